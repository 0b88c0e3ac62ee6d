"""A teacher records an intervention from the student page and sees progress monitoring;
a guardian of the same student cannot record one (404, as for a student out of scope)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import sign_in


def test_teacher_records_an_intervention_and_sees_progress(store_copy, shapes):
    from sounding.web import create_app

    app = create_app(store_copy, secret="s")
    teacher, guardian = (TestClient(app, base_url="http://127.0.0.1") for _ in range(2))
    sign_in(teacher, "two.schools")
    sign_in(guardian, "gdn.two")
    child = shapes["child_a"]
    page = teacher.get(f"/students/{child}")
    assert page.status_code == 200 and "Record an intervention" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    code = re.search(r'id="standards" name="standards" value="([^"]*)"', page.text).group(1)
    form = {"csrf": token, "intervention": "Fractions small group", "standards": code,
            "start_date": "2025-09-15", "minutes": "120"}
    bad = teacher.post(f"/students/{child}/interventions", data={**form, "standards": "9.ZZ"})
    assert bad.status_code == 422 and "unknown: 9.ZZ" in bad.text
    r = teacher.post(f"/students/{child}/interventions", data=form)
    assert r.status_code == 200 and "Fractions small group" in r.text
    assert "P(mastered) before" in r.text  # progress monitoring ran for the new record
    g_token = re.search(r'name="csrf" value="([^"]+)"', guardian.get("/").text).group(1)
    denied = guardian.post(f"/students/{child}/interventions", data={**form, "csrf": g_token})
    assert denied.status_code == 404
    assert "Record an intervention" not in guardian.get(f"/students/{child}").text
