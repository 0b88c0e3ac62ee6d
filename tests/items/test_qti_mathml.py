"""QTI 3.0 round trip and offline MathML."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree as ET

import pytest

from sounding.errors import InvalidData
from sounding.items import ItemBank
from sounding.items.mathml import math_to_mathml, prompt_to_html
from sounding.items.qti import QTI_NS, export_package, import_package

BANK = ItemBank.default()


def test_qti_round_trip_keeps_every_item_and_its_checker(tmp_path):
    items = [t.generate(11) for t in BANK]
    path = tmp_path / "bank.zip"
    assert export_package(items, path) == len(items)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "imsmanifest.xml" in names
        xml = ET.fromstring(z.read(names[0]))
        assert xml.tag == f"{{{QTI_NS}}}qti-assessment-item"
        assert xml.find(f"{{{QTI_NS}}}qti-response-declaration") is not None
    back = import_package(path)
    assert back == items
    for a, b in zip(items, back, strict=True):
        assert b.check(a.key) and all(not b.check(w) for w in a.distractors)


def test_qti_import_reports_problems(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InvalidData, match="not a zip"):
        import_package(bad)
    p = tmp_path / "nomanifest.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("x.xml", "<a/>")
    with pytest.raises(InvalidData, match="imsmanifest.xml"):
        import_package(p)
    items = [BANK.generate("3.NF.A.1", 1)]
    good = tmp_path / "g.zip"
    export_package(items, good)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(good) as zi, zipfile.ZipFile(broken, "w") as zo:
        for n in zi.namelist():
            data = zi.read(n)
            zo.writestr(n, data.replace(b"qti-correct-response", b"qti-nothing")
                        if n != "imsmanifest.xml" else data)
    with pytest.raises(InvalidData, match="qti-correct-response"):
        import_package(broken)


def test_mathml_keeps_the_written_order_and_structure():
    m = math_to_mathml("3 + 8")
    assert m.index("<mn>3</mn>") < m.index("<mn>8</mn>")
    frac = math_to_mathml("2/3 + x^2")
    assert "<mfrac><mn>2</mn><mn>3</mn></mfrac>" in frac and "<msup><mi>x</mi><mn>2</mn>" in frac
    assert "<msqrt>" in math_to_mathml("sqrt(50)")
    html = prompt_to_html("Solve $3x + 5 = 20$ <now>.")
    assert "&lt;now&gt;" in html and 'xmlns="http://www.w3.org/1998/Math/MathML"' in html
    for t in list(BANK)[::25]:
        ET.fromstring(f"<div>{t.generate(0).html}</div>")  # well-formed XML
