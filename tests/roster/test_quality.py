"""Data-quality signals on a roster with known gaps (hand-made, so every answer is known)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from sounding.evidence import import_responses
from sounding.roster import import_roster
from sounding.store import Store, data_quality
from tests.roster.mini_roster import DLM

RESPONSES = """student_id,item_id,standard,correct,timestamp,source
s-1,i1,4.NF.B.3,1,2026-04-01T10:00:00,classwork
s-1,i2,4.NF.B.3a,0,2026-03-01T10:00:00,classwork
s-3,i3,K.CC.A.1,1,2025-09-01T09:00:00,diagnostic
"""


@pytest.fixture
def gappy(mini, edit, tmp_path):
    """c-2 loses its teacher, c-3 has nobody, s-5 is in no class; only s-1 and s-3 have
    evidence, and c-2's stopped in September."""
    edit(mini, "classes.csv", lambda ls: ls + [
        f"c-3,,{DLM},Math 4 - empty,04,crs-04,M4-2,scheduled,Room 3,sch-1,as-2026,,,"])
    edit(mini, "users.csv", lambda ls: ls + [ls[-1].replace("s-4,", "s-5,")])
    edit(mini, "roles.csv", lambda ls: ls + [ls[-1].replace("r-s-4,", "r-s-5,")
                                             .replace(",s-4,", ",s-5,")])
    edit(mini, "enrollments.csv", lambda ls: [ln for ln in ls if not ln.startswith("e-t-2,")])
    (tmp_path / "responses.csv").write_text(RESPONSES)
    return mini, tmp_path / "responses.csv"


def test_signals(gappy, db_url):
    roster, responses = gappy
    with Store.open(db_url) as store:
        import_roster(store, roster)
        import_responses(store, responses)
        dq = data_quality(store)
    assert dq.as_of == datetime(2026, 4, 1, 10, 0)
    assert dq.n_students == 5 and dq.n_classes == 3 and dq.n_responses == 3
    assert dq.students_without_evidence == ["s-2", "s-4", "s-5"]
    assert dq.students_not_enrolled == ["s-5"]
    assert dq.classes_without_teacher == ["c-2", "c-3"]
    assert dq.classes_without_students == ["c-3"]
    assert dq.stale_classes == ["c-2"]
    ce = dq.class_evidence.set_index("class_id")
    assert ce.loc["c-1", "days_since_last"] == 0
    assert ce.loc["c-2", "days_since_last"] == 212
    assert ce.loc["c-1", "n_students"] == 2 and ce.loc["c-1", "n_with_evidence"] == 1
    d = json.loads(json.dumps(dq.to_dict()))
    assert d["counts"]["classes with no evidence in 120 days"] == 1
    assert d["class_evidence"][1]["last_response"] == "2025-09-01T09:00:00"


def test_as_of_and_window_are_honoured(gappy, tmp_path):
    roster, responses = gappy
    with Store.open(tmp_path / "q.db") as store:
        import_roster(store, roster)
        import_responses(store, responses)
        dq = data_quality(store, as_of="2026-06-01", stale_days=30)
    assert dq.stale_classes == ["c-1", "c-2"]


def test_empty_store_has_no_as_of(tmp_path):
    with Store.open(tmp_path / "e.db") as store:
        dq = data_quality(store)
    assert dq.as_of is None and dq.n_students == 0 and dq.stale_classes == []
    assert dq.to_dict()["counts"]["students"] == 0
