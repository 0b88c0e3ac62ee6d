"""Scope resolution is the same SQL on SQLite and PostgreSQL."""

from __future__ import annotations

from sounding.access import Principal, Role, add_account, principal_for, resolve
from sounding.store import Store
from tests._pg import db_url  # noqa: F401  (fixture)
from tests.access.test_scope_properties import _write

ROSTER = {
    "schools": ["sch-0", "sch-1"],
    "classes": {"cls-0-0": "sch-0", "cls-0-1": "sch-0", "cls-1-0": "sch-1"},
    "students": {"stu-0": (["cls-0-0"], []), "stu-1": (["cls-0-1"], ["cls-0-0"]),
                 "stu-2": (["cls-1-0"], [])},
    "teachers": {"tch-0": ["cls-0-0", "cls-1-0"]},
    "guardians": {"gdn-0": ["stu-0", "stu-2"]},
}


def test_scope_on_both_backends(db_url):  # noqa: F811
    with Store.open(db_url) as store:
        _write(store, ROSTER)
        add_account(store, "t", Role.teacher, user_id="tch-0")
        teacher = resolve(store, principal_for(store, "t"))
        assert teacher.classes == {"cls-0-0", "cls-1-0"}
        assert teacher.students == {"stu-0", "stu-2"}  # stu-1 moved out of cls-0-0
        assert teacher.schools == {"sch-0", "sch-1"}
        guardian = resolve(store, Principal("g", Role.guardian, user_id="gdn-0"))
        assert guardian.students == {"stu-0", "stu-2"}
        leader = resolve(store, Principal("l", Role.school_leader, frozenset({"sch-0"})))
        assert leader.students == {"stu-0", "stu-1"} and leader.classes == {"cls-0-0",
                                                                             "cls-0-1"}
        state = resolve(store, Principal("s", Role.state))
        assert state.states == {"st"} and state.districts == {"dst"}
        assert state.students == {"stu-0", "stu-1", "stu-2"}
