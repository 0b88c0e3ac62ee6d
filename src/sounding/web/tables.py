"""The class page's two big tables, written as HTML in Python.

Why: a class of 25 on a grade with 25 standards is a 625-cell table of P(mastered) beside
a students x strands table; through Jinja every cell was an attribute lookup, a dict
lookup, a format filter and an autoescape, about half of the page's rendering time. The
cells are numbers (formatted here) and the names are escaped here, once; the template
inserts the rows as markup.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from sounding.web.render import _num


def strand_rows(view: dict[str, Any]) -> Markup:
    """Rows of the students x strands table: name (linked), grades below per strand,
    the number of unfinished standards."""
    strands = view["strands"]
    out = []
    for s in view["students"]:
        below = s["grades_below"]
        cells = "".join(f"<td>{escape(_num(below.get(k)))}</td>" for k in strands)
        out.append(f'<tr><th scope="row"><a href="/students/{escape(s["student_id"])}">'
                   f'{escape(s["name"])}</a></th>{cells}'
                   f'<td>{escape(s["n_unfinished"])}</td></tr>')
    return Markup("".join(out))


def p_mastered_rows(view: dict[str, Any]) -> Markup:
    """Rows of the students x standards table: name, P(mastered) to two decimals ('–'
    where the student has no estimate)."""
    codes = [h["standard"] for h in view.get("heat_standards") or []]
    out = []
    for s in view["students"]:
        pm = s.get("p_mastered") or {}
        cells = "".join("<td>–</td>" if (p := pm.get(c)) is None else f"<td>{p:.2f}</td>"
                        for c in codes)
        out.append(f'<tr><th scope="row">{escape(s["name"])}</th>{cells}</tr>')
    return Markup("".join(out))


def recommendation(r: dict[str, Any], names: dict[str, str]) -> Markup:
    """One finding as ``_recs.html``'s ``rec`` macro writes it (the class page shows a
    few dozen, each naming up to a class of students: through the macro, most of the
    page's rendering). Byte for byte the macro's output."""
    out = [f"<p><strong>{escape(r.get('action', ''))}</strong><br>"
           f"{escape(r.get('reason', ''))}</p>\n"]
    if r.get("standards"):
        out.append(f"<p>Standards: {escape(', ').join(escape(s) for s in r['standards'])}"
                   "</p>")
    students = r.get("students")
    if students:
        links = ", ".join(f'<a href="/students/{escape(s)}">{escape(names.get(s, s))}</a>'
                          for s in students)
        out.append(f"<p>Students ({len(students)}): {links}</p>")
    return Markup("".join(out))
