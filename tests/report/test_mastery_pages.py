"""The mastery pages of the report: overview, class heat maps, student icebergs."""

from __future__ import annotations

import re

import pytest

import sounding.report.pages.mastery as mp
from sounding.mastery.pipeline import fit_mastery, roster_from_oneroster
from sounding.progression import grade_label, load_default
from sounding.report import Site, write_site
from sounding.report.pages.mastery import class_slug, mastery_pages, page_id, student_slug
from sounding.testing import tiny_district

GRAPH = load_default().k8_algebra1()
EVIL = "<script>x</script>"


@pytest.fixture(scope="module")
def inputs():
    d = tiny_district()
    roster = roster_from_oneroster(d.oneroster())
    students = roster.students.copy()
    evil_id = students["student_id"].iloc[0]
    students.loc[0, "name"] = EVIL
    classes = roster.classes.copy()
    classes.loc[0, "title"] = "<b>Math</b> & Co"
    result = fit_mastery(d.responses, students, GRAPH, classes_df=classes,
                         enrollments_df=roster.enrollments, model_options={"max_iter": 6})
    return result, students, classes, roster.enrollments, evil_id


@pytest.fixture(scope="module")
def pages(inputs):
    result, students, classes, enrollments, _ = inputs
    return mastery_pages(result, students, classes, enrollments, GRAPH)


def _by_slug(pages):
    return {p.slug: p for p in pages}


def test_one_overview_one_page_per_class_and_per_student(pages, inputs):
    result, students, classes, enrollments, _ = inputs
    slugs = _by_slug(pages)
    assert "mastery.html" in slugs and slugs["mastery.html"].nav
    for cid in classes["class_id"]:
        assert class_slug(cid) in slugs and not slugs[class_slug(cid)].nav
    for sid in students["student_id"]:
        assert student_slug(sid) in slugs and not slugs[student_slug(sid)].nav
    assert len(pages) == 1 + len(classes) + len(students)
    assert all(p.charts for p in pages)


def test_overview_links_every_class_and_charts_the_iceberg(pages, inputs):
    _, _, classes, _, _ = inputs
    body = _by_slug(pages)["mastery.html"].body
    for cid in classes["class_id"]:
        assert f'href="{class_slug(cid)}"' in body
    assert body.count("plotly-graph-div") >= 3  # district, by school, by subgroup
    assert "Red Rock Elementary School" in body  # schools by name, not id
    assert "English learners" in body


def test_class_page_has_the_heat_map_and_links_to_students(pages, inputs):
    result, students, classes, enrollments, _ = inputs
    cid = classes["class_id"].iloc[3]
    page = _by_slug(pages)[class_slug(cid)]
    assert "mastery-heatmap" in page.body and '"type":"heatmap"' in page.body
    members = enrollments.loc[enrollments["class_id"] == cid, "student_id"]
    for sid in members:
        assert f'href="../{student_slug(sid)}"' in page.body
    grade = int(classes["grade"].iloc[3])
    def heading(g: int) -> str:  # the column-group label, as Plotly's JSON spells it
        return f"Grade {grade_label(g)}\\u003c"

    for g in range(max(0, grade - 3), grade + 1):  # class grade and the 3 below, no more
        assert heading(g) in page.body
    assert heading(grade + 1) not in page.body
    assert len(page.body) < 200_000


def test_student_page_draws_the_iceberg_and_lists_unfinished(pages, inputs):
    result, *_ = inputs
    sid = result.icebergs.students.sort_values("depth")["student_id"].iloc[-1]
    page = _by_slug(pages)[student_slug(sid)]
    assert "current grade" in page.body and "secure foundations" in page.body
    assert "Unfinished standards below grade" in page.body
    assert 'href="../classes/' in page.body


def test_user_text_is_escaped_everywhere(tmp_path, pages, inputs):
    *_, evil_id = inputs
    index = write_site(Site("Test", list(pages)), tmp_path)
    assert index.exists() and (tmp_path / "assets" / "plotly.min.js").exists()
    html_files = list(tmp_path.rglob("*.html"))
    assert len(html_files) == len(pages) + 1  # + the generated index
    for f in html_files:
        text = f.read_text(encoding="utf-8")
        assert EVIL not in text, f
        assert "<b>Math</b>" not in text, f
    student = (tmp_path / student_slug(evil_id)).read_text(encoding="utf-8")
    assert "&lt;script&gt;x&lt;/script&gt;" in student
    klass = next(f for f in html_files if "classes/" in str(f)
                 and "&lt;script&gt;" in f.read_text(encoding="utf-8"))
    assert klass.exists()


def test_student_pages_are_limited_for_large_districts(inputs):
    result, students, classes, enrollments, _ = inputs
    pages = mastery_pages(result, students, classes, enrollments, GRAPH, max_student_pages=70)
    slugs = _by_slug(pages)
    student_pages = [p for p in pages if p.slug.startswith("students/")]
    assert 0 < len(student_pages) <= 70
    overview = slugs["mastery.html"].body
    assert re.search(rf"written for {len(student_pages)} of {len(students)} students", overview)
    # whole classes only: a class either links all its students or none
    for cid in classes["class_id"]:
        body = slugs[class_slug(cid)].body
        members = enrollments.loc[enrollments["class_id"] == cid, "student_id"]
        linked = [f'href="../{student_slug(s)}"' in body for s in members]
        assert all(linked) or not any(linked)
    assert any("Iceberg pages exist for 0 of" in slugs[class_slug(c)].body
               for c in classes["class_id"])


def test_figures_are_valid_plotly(inputs, monkeypatch):
    """The per-page charts skip Plotly's validators for speed; check they would pass them."""
    monkeypatch.setattr(mp, "VALIDATE_FIGURES", True)
    result, students, classes, enrollments, _ = inputs
    small = classes.head(1)
    pages = mastery_pages(result, students, small, enrollments, GRAPH, max_student_pages=40)
    assert any(p.slug.startswith("students/") for p in pages)


def test_page_ids_are_safe_and_distinct():
    assert page_id("cls-0001-03-01") == "cls-0001-03-01"
    a, b = page_id("a/b"), page_id("a?b")
    assert a != b and re.fullmatch(r"[A-Za-z0-9_-]+", a)
    assert student_slug("../etc") != "students/../etc.html"
