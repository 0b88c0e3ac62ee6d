"""Standard texts read as people read them: no source-file artifacts in any shipped text."""

from __future__ import annotations

import json

import pytest

from sounding.progression import load_default
from sounding.progression.text import artifacts, clean_text, clean_title


def test_every_standard_cluster_and_domain_text_of_the_coherence_map_is_clean():
    g = load_default()
    found = []
    for code in g.codes:
        s = g[code]
        texts = {"text": s.text, "cluster": s.cluster_name, "domain": s.domain_name}
        texts.update({f"footnote {i + 1}": f for i, f in enumerate(s.footnotes)})
        for where, text in texts.items():
            assert text, f"{code}: empty {where}"
            found += [(code, where, a, text[:80]) for a in artifacts(text)]
    assert found == []


def test_the_issue_examples_read_as_sentences_with_footnotes_apart():
    g = load_default()
    nbt = g["3.NBT.A.1"]
    assert nbt.cluster_name == ("Use place value understanding and properties of operations "
                                "to perform multi-digit arithmetic")
    assert nbt.text == ("Use place value understanding to round whole numbers to the nearest "
                        "10 or 100.")
    assert "A range of algorithms may be used." in nbt.footnotes
    oa = g["3.OA.A.1"]
    assert oa.text.startswith("Interpret products of whole numbers, e.g., interpret 5 × 7 as")
    k = g["K.OA.A.1"]
    assert "drawings, sounds (e.g., claps)" in k.text and "*" not in k.text
    assert k.footnotes[0].startswith("Drawings need not show details")
    # examples printed with the standard stay in its text; the footnote does not
    props = g["1.OA.B.3"]
    assert "Examples: If 8 + 3 = 11 is known" in props.text
    assert props.footnotes == ("Students need not use formal terms for these properties.",)
    # exponents the Coherence Map lost ("x 2 = 49") come back from the official text
    assert "x² = 49" in g["A-REI.B.4b"].text
    assert g["4.NF.B.3"].domain_name == "Number and Operations—Fractions"


@pytest.mark.parametrize("raw, text, notes", [
    ("Add within 100.* *See Glossary, Table 1 .", "Add within 100.", ("See Glossary, Table 1.",)),
    ("Compare problems* using a bar graph. *See Glossary, Table 1",
     "Compare problems using a bar graph.", ("See Glossary, Table 1",)),
    ("Count objects.* * Include groups with up to ten objects.", "Count objects.",
     ("Include groups with up to ten objects.",)),
    ("Solve problems.** *Excludes units. **Excludes comparisons.", "Solve problems.",
     ("Excludes units.", "Excludes comparisons.")),
    ("whole numbers , e.g., 5 × 7 ; and more", "whole numbers, e.g., 5 × 7; and more", ()),
    ("adding three- digit numbers; one- and two-step problems; put- together",
     "adding three-digit numbers; one- and two-step problems; put-together", ()),
    ("where a , c ,and d are numbers", "where a, c, and d are numbers", ()),
    ("see x<sup>4</sup> — y<sub>2</sub>; rate \\$5; 8 + ? = 11, 0, 1, 2, ..., and 10",
     "see x⁴ − y₂; rate $5; 8 + ? = 11, 0, 1, 2, ..., and 10", ()),
    ("numbers 11—19 and 100 — 900; ten ones — called a ten", "numbers 11–19 and 100–900; "
     "ten ones — called a ten", ()),
    ("Use <a id=\"[3]\">Properties</a> To Add.</p>\r\n\r\n<p>&nbsp;</p>", "Use Properties To Add.",
     ()),
    ("", "", ()),
])
def test_clean_text_cases(raw, text, notes):
    assert clean_text(raw) == (text, notes)
    assert artifacts(text) == []


def test_artifacts_are_detected_in_raw_texts():
    assert "footnote marker" in artifacts("arithmetic.* *A range of algorithms")
    assert "space before punctuation" in artifacts("whole numbers , e.g.")
    assert "HTML markup" in artifacts("Use <a id='x'>this</a>")
    assert clean_title("Use Place Value.*</p>\r\n<p><sup>*A range.</sup></p>") == "Use Place Value"


def test_show_prints_the_footnote_apart_from_the_sentence(capsys):
    from sounding.cli import main

    assert main(["progression", "show", "3.NBT.A.1", "--depth", "1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "to the nearest 10 or 100. Note: A range of algorithms may be used." in out
    assert "*" not in out
    assert main(["progression", "show", "3.NBT.A.1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["footnotes"] == [
        "A range of algorithms may be used."]


def test_planning_plain_text_keeps_clean_texts_intact():
    """The planner's plain_text used to join 'one- and two-step' and strip 'x < c or x >'."""
    from sounding.planning.scope import plain_text

    g = load_default()
    assert [c for c in g.codes if plain_text(g[c].text) != g[c].text.removesuffix(".")] == []
    assert "one- and two-step" in plain_text(g["2.OA.A.1"].text)
    assert "x > c or x < c" in plain_text(g["6.EE.B.8"].text)
