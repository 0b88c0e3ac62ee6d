"""QTI 3.0 export and import: items as ``qti-assessment-item`` XML in an IMS content package.

Each item is one XML file (``items/<id>.xml``) with

* a ``qti-response-declaration`` whose ``qti-correct-response`` holds the key (base type
  ``identifier`` for a choice item, ``string`` otherwise),
* the prompt in ``qti-item-body`` with its math as MathML, and a
  ``qti-text-entry-interaction`` (open response) or ``qti-choice-interaction``,
* standard response processing (``match_correct``),

and the package's ``imsmanifest.xml`` lists every item as a resource of type
``imsqti_item_xmlv3p0``. A QTI player scores open responses by exact match of the key; what
QTI cannot say -- that ``6/8`` and ``0.75`` are also right -- travels in ``data-sounding-*``
attributes on the interaction (answer type, required form, variables, units; QTI 3 allows
``data-`` attributes in the item body) and in the resource's metadata (standard, kind and
calibration), so re-importing restores the exact checker. The
prompt text is kept verbatim (with its ``$...$`` math) in ``data-sounding-prompt`` so a
round trip gives the identical item.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from sounding.errors import InvalidData, Problem
from sounding.items.mathml import MATHML_NS, prompt_to_html
from sounding.items.model import Item

QTI_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
SND_NS = "https://sounding.example.org/xsd/item_v1"
QTI_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
RESOURCE_TYPE = "imsqti_item_xmlv3p0"

ET.register_namespace("", QTI_NS)
ET.register_namespace("m", MATHML_NS)


def _ident(item_id: str) -> str:
    """A QTI identifier (NCName) for an item id such as ``5.NF.A.1/2~77``."""
    out = "".join(c if c.isalnum() or c in "-_." else "_" for c in item_id)
    return out if out[:1].isalpha() or out[:1] == "_" else f"i_{out}"


def item_to_xml(item: Item) -> str:
    """One item as a QTI 3.0 ``qti-assessment-item`` document."""
    q = f"{{{QTI_NS}}}"
    root = ET.Element(f"{q}qti-assessment-item", {
        "identifier": _ident(item.item_id), "title": f"{item.standard} ({item.kind})",
        "adaptive": "false", "time-dependent": "false", "xml:lang": "en"})
    choice = item.answer_type == "choice"
    rd = ET.SubElement(root, f"{q}qti-response-declaration", {
        "identifier": "RESPONSE", "cardinality": "single",
        "base-type": "identifier" if choice else "string"})
    cr = ET.SubElement(rd, f"{q}qti-correct-response")
    key = f"C{item.options.index(item.key)}" if choice else item.key
    ET.SubElement(cr, f"{q}qti-value").text = key
    od = ET.SubElement(root, f"{q}qti-outcome-declaration", {
        "identifier": "SCORE", "cardinality": "single", "base-type": "float"})
    dv = ET.SubElement(od, f"{q}qti-default-value")
    ET.SubElement(dv, f"{q}qti-value").text = "0"
    body = ET.SubElement(root, f"{q}qti-item-body")
    html = prompt_to_html(item.prompt)
    frag = ET.fromstring(f'<div xmlns="{QTI_NS}">{html}</div>')
    prompt_div = ET.SubElement(body, f"{q}div", {"class": "prompt"})
    prompt_div.text = frag.text
    for child in frag:
        prompt_div.append(child)
    ext = {
        "data-sounding-prompt": item.prompt,
        "data-sounding-answer-type": item.answer_type,
        "data-sounding-form": item.form or "",
        "data-sounding-variables": " ".join(item.variables),
        "data-sounding-units": json.dumps(list(item.units)),
        "data-sounding-distractors": json.dumps(list(item.distractors)),
    }
    if choice:
        ci = ET.SubElement(body, f"{q}qti-choice-interaction", {
            "response-identifier": "RESPONSE", "max-choices": "1", "shuffle": "false", **ext})
        for i, opt in enumerate(item.options):
            sc = ET.SubElement(ci, f"{q}qti-simple-choice", {"identifier": f"C{i}"})
            sc.text = opt
    else:
        p = ET.SubElement(body, f"{q}p")
        ET.SubElement(p, f"{q}qti-text-entry-interaction", {
            "response-identifier": "RESPONSE", "expected-length": "20", **ext})
    ET.SubElement(root, f"{q}qti-response-processing", {"template": MATCH_CORRECT})
    return ET.tostring(root, encoding="unicode", xml_declaration=False)


def export_package(items: list[Item], path: str | Path) -> int:
    """Write an IMS content package (zip) with one QTI 3.0 item per file; returns the count."""
    ET.register_namespace("", CP_NS)
    man = ET.Element(f"{{{CP_NS}}}manifest", {"identifier": "sounding-item-bank"})
    meta = ET.SubElement(man, f"{{{CP_NS}}}metadata")
    ET.SubElement(meta, f"{{{CP_NS}}}schema").text = "QTI Package"
    ET.SubElement(meta, f"{{{CP_NS}}}schemaversion").text = "3.0.0"
    ET.SubElement(man, f"{{{CP_NS}}}organizations")
    res = ET.SubElement(man, f"{{{CP_NS}}}resources")
    seen: set[str] = set()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in items:
            ident = _ident(item.item_id)
            if ident in seen:
                continue
            seen.add(ident)
            href = f"items/{ident}.xml"
            ET.register_namespace("", QTI_NS)
            z.writestr(href, '<?xml version="1.0" encoding="UTF-8"?>\n' + item_to_xml(item))
            r = ET.SubElement(res, f"{{{CP_NS}}}resource", {"identifier": ident,
                                                            "type": RESOURCE_TYPE,
                                                            "href": href})
            md = ET.SubElement(r, f"{{{CP_NS}}}metadata")
            ET.SubElement(md, f"{{{SND_NS}}}item", {
                "item-id": item.item_id, "template-id": item.template_id,
                "standard": item.standard, "kind": item.kind,
                "difficulty": repr(item.difficulty),
                "discrimination": repr(item.discrimination),
                "guess": repr(item.guess), "slip": repr(item.slip)})
            ET.SubElement(r, f"{{{CP_NS}}}file", {"href": href})
        ET.register_namespace("", CP_NS)
        ET.register_namespace("snd", SND_NS)
        z.writestr("imsmanifest.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
                   + ET.tostring(man, encoding="unicode"))
    ET.register_namespace("", QTI_NS)
    return len(seen)


def _text(el: ET.Element) -> str:
    return "".join(el.itertext()).strip()


def import_package(path: str | Path | bytes) -> list[Item]:
    """Read a package written by :func:`export_package` (or any QTI 3.0 package whose items
    use a text-entry or single choice interaction) back into items.

    Problems name the file inside the package and the element or attribute at fault.
    """
    label = "package" if isinstance(path, bytes) else str(path)
    src = io.BytesIO(path) if isinstance(path, bytes) else path
    try:
        z = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidData([Problem(label, None, "package", f"not a zip package: {exc}")]
                          ) from None
    problems: list[Problem] = []
    with z:
        try:
            man = ET.fromstring(z.read("imsmanifest.xml"))
        except KeyError:
            raise InvalidData([Problem(label, None, "imsmanifest.xml", "missing")]) from None
        except ET.ParseError as exc:
            raise InvalidData([Problem(f"{label}:imsmanifest.xml", exc.position[0], "xml",
                                       str(exc))]) from None
        items = []
        for r in man.iter(f"{{{CP_NS}}}resource"):
            if r.get("type") != RESOURCE_TYPE:
                continue
            href = r.get("href", "")
            meta = r.find(f".//{{{SND_NS}}}item")
            where = f"{label}:{href}"
            try:
                xml = ET.fromstring(z.read(href))
            except KeyError:
                problems.append(Problem(label, None, href, "listed in the manifest but missing"))
                continue
            except ET.ParseError as exc:
                problems.append(Problem(where, exc.position[0], "xml", str(exc)))
                continue
            try:
                items.append(_item_from_xml(xml, meta))
            except ValueError as exc:
                problems.append(Problem(where, None, "qti-assessment-item", str(exc)))
    if problems:
        raise InvalidData(problems)
    return items


def _item_from_xml(xml: ET.Element, meta: ET.Element | None) -> Item:
    q = f"{{{QTI_NS}}}"
    if xml.tag != f"{q}qti-assessment-item":
        raise ValueError(f"root element is {xml.tag}, not qti-assessment-item")
    val = xml.find(f"{q}qti-response-declaration/{q}qti-correct-response/{q}qti-value")
    if val is None or val.text is None:
        raise ValueError("no qti-correct-response")
    inter = xml.find(f".//{q}qti-choice-interaction")
    options: tuple[str, ...] = ()
    if inter is not None:
        ids = [c.get("identifier") for c in inter.findall(f"{q}qti-simple-choice")]
        options = tuple(_text(c) for c in inter.findall(f"{q}qti-simple-choice"))
        if val.text not in ids:
            raise ValueError(f"correct response {val.text!r} is not one of the choices")
        key = options[ids.index(val.text)]
        answer_type = "choice"
    else:
        inter = xml.find(f".//{q}qti-text-entry-interaction")
        if inter is None:
            raise ValueError("no text-entry or choice interaction")
        key = val.text
        answer_type = inter.get("data-sounding-answer-type", "number")
    prompt = inter.get("data-sounding-prompt")
    if prompt is None:
        div = xml.find(f"{q}qti-item-body")
        prompt = _text(div) if div is not None else ""
    m = meta.attrib if meta is not None else {}
    ident = xml.get("identifier", "")
    return Item(
        item_id=m.get("item-id", ident), template_id=m.get("template-id", ident),
        standard=m.get("standard", ""), kind=m.get("kind", "procedural"), prompt=prompt,
        answer_type=answer_type, key=key, options=options,
        form=inter.get("data-sounding-form") or None,
        variables=tuple(inter.get("data-sounding-variables", "").split()),
        units=tuple(json.loads(inter.get("data-sounding-units", "[]"))),
        distractors=tuple(json.loads(inter.get("data-sounding-distractors", "[]"))),
        difficulty=float(m.get("difficulty", 0.0)),
        discrimination=float(m.get("discrimination", 1.0)),
        guess=float(m.get("guess", 0.05)), slip=float(m.get("slip", 0.1)))
