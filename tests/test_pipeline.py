"""The whole chain end to end, as `make demo` runs it (small district)."""

from __future__ import annotations

import json
import re

import pytest

from sounding.cli import main
from sounding.store import Store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--students", "700", "--seed", "3", "--out", str(out),
                 "--format", "json"]) == 0
    return out


def test_every_layer_reaches_the_report(demo):
    site = demo / "report"
    for page in ("index.html", "district.html", "progression.html", "mastery.html",
                 "plans/district.html", "plans/algebra.html", "growth.html"):
        assert (site / page).is_file(), page
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000  # offline charts
    index = (site / "index.html").read_text()
    for link in ("district.html", "progression.html", "mastery.html", "plans/district.html",
                 "growth.html"):
        assert f'href="{link}"' in index
    assert list((site / "classes").glob("*.html")) and list((site / "plans").glob("class-*.html"))
    assert list((site / "family").glob("*.html"))


def test_report_pages_link_only_to_pages_that_exist(demo):
    site = demo / "report"
    for page in [site / "plans" / "district.html", *list((site / "plans").glob("class-*"))[:3]]:
        for href in re.findall(r'href="([^"#]+)"', page.read_text()):
            assert (page.parent / href).resolve().is_file(), (page.name, href)


def test_the_store_holds_what_the_report_shows(demo):
    with Store.open(str(demo / "sounding.db")) as store:
        counts = store.counts()
        n_students = len(store.students())
        mastery = store.mastery()
    assert n_students == 700
    assert counts["responses"] > 700 * 20
    assert mastery["student_id"].nunique() == 700


def test_growth_page_suppresses_small_groups(demo):
    html = (demo / "report" / "growth.html").read_text()
    assert "Median SGP" in html and "primary" in html  # some subgroup under 10 is hidden


def test_demo_json_summary(tmp_path, capsys):
    assert main(["demo", "--students", "300", "--out", str(tmp_path), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["report"].endswith("index.html")
    assert set(info["plan"]["by_level"]) == {"system", "classroom", "student"}


def test_growth_report_from_the_store(demo, capsys):
    db = str(demo / "sounding.db")
    capsys.readouterr()
    assert main(["growth", "report", "--level", "school", "--db", db, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {"school_id", "subgroup", "n", "median_sgp", "suppression"} <= set(rows[0])
    hidden = [r for r in rows if r["suppression"]]
    assert hidden and all(r["median_sgp"] in (None, "*") for r in hidden)
    # the demo imported its provider mapping, so the provider level reads it from the store
    assert main(["growth", "report", "--level", "provider", "--db", db]) == 0
    assert "Providers from the store" in capsys.readouterr().out
    providers = demo / "district" / "providers.csv"
    assert main(["growth", "report", "--level", "provider", "--providers", str(providers),
                 "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"]
