"""A stored tiny district for the services, with the roster shapes access must get right.

Mastery is the simulator's truth made into probabilities (0.9 mastered, 0.15 not), written
straight to the store: the services read estimates, and the access rules do not depend on
how they were fitted (a real fit takes most of a minute).

Roster shapes added to the simulated one:

- ``tch-two-schools`` teaches a class in school 1 and a class in school 3;
- guardian ``gdn-two`` has two children in different classes (agents both ways);
- ``stu-0000002`` moved from class 1 to class 2: the old enrollment is ``tobedeleted``.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from sounding.access import Principal, Role, add_account
from sounding.pipeline import import_stage
from sounding.store import Store
from sounding.store import tables as T
from sounding.testing import tiny_district, write_tiny_district


def _first_student(store: Store, class_id: str, skip: set[str]) -> str:
    en = store.enrollments()
    ids = en[(en["class_id"] == class_id) & (en["role"] == "student")]["user_id"]
    return next(s for s in ids if s not in skip)


@pytest.fixture(scope="session")
def district_db(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("services")
    folder = write_tiny_district(root / "district")
    db = str(root / "sounding.db")
    truth = tiny_district().mastery_long()
    with Store.open(db) as store:
        import_stage(store, folder)
        m = truth.rename(columns={"mastered": "p"})
        store.write_mastery(pd.DataFrame({
            "student_id": m["student_id"], "standard": m["standard"],
            "p_mastered": np.where(m["p"].astype(bool), 0.9, 0.15), "n_evidence": 1}),
            model="graph")
        classes = store.classes()
        by_school = classes.groupby("school_id")["class_id"].first()
        schools = sorted(by_school.index)
        c1, c3 = by_school[schools[0]], by_school[schools[-1]]
        c2 = classes[(classes["school_id"] == schools[0]) & (classes["class_id"] != c1)][
            "class_id"].iloc[0]
        child_a = _first_student(store, c1, set())
        child_b = _first_student(store, c3, {child_a})
        mover = _first_student(store, c1, {child_a})
        now = "2026-01-01"
        with store.begin() as conn:
            conn.execute(T.users.insert(), [
                {"user_id": "tch-two-schools", "username": "two.schools", "given_name": "Two",
                 "family_name": "Schools", "primary_org_id": schools[0], "agent_ids": None},
                {"user_id": "gdn-two", "username": "gdn.two", "given_name": "Gina",
                 "family_name": "Two", "agent_ids": f"{child_a},{child_b}",
                 "primary_org_id": None}])
            conn.execute(T.roles.insert(), [
                {"role_id": "rol-tch-two", "user_id": "tch-two-schools", "role_type": "primary",
                 "role": "teacher", "org_id": schools[0]},
                {"role_id": "rol-gdn-two", "user_id": "gdn-two", "role_type": "primary",
                 "role": "parent", "org_id": schools[0]}])
            conn.execute(T.enrollments.insert(), [
                {"enrollment_id": "enr-two-1", "class_id": c1, "school_id": schools[0],
                 "user_id": "tch-two-schools", "role": "teacher", "primary": False},
                {"enrollment_id": "enr-two-3", "class_id": c3, "school_id": schools[-1],
                 "user_id": "tch-two-schools", "role": "teacher", "primary": False},
                {"enrollment_id": "enr-mover-new", "class_id": c2, "school_id": schools[0],
                 "user_id": mover, "role": "student", "primary": True, "begin_date": now}])
            conn.execute(T.enrollments.update()
                         .where(T.enrollments.c.user_id == mover)
                         .where(T.enrollments.c.class_id == c1)
                         .values(status="tobedeleted"))
            conn.execute(T.users.update().where(T.users.c.user_id == child_a)
                         .values(agent_ids="gdn-two"))
        shapes = {"c1": c1, "c2": c2, "c3": c3, "child_a": child_a, "child_b": child_b,
                  "mover": mover, "schools": schools}
        for name, role, scope, uid in [
            ("teacher1", Role.teacher, (), _teacher_of(store, c1)),
            ("two.schools", Role.teacher, (), "tch-two-schools"),
            ("gdn.two", Role.guardian, (), "gdn-two"),
            ("student1", Role.student, (), child_a),
            ("leader1", Role.school_leader, (schools[0],), None),
            ("district1", Role.district, (str(store.orgs().query("type == 'district'")
                                              ["org_id"].iloc[0]),), None),
            ("state1", Role.state, (), None),
            ("provider1", Role.provider, ("prv-01",), None),
            ("researcher1", Role.researcher, (), None),
            ("admin1", Role.admin, (), None),
        ]:
            add_account(store, name, role, scopes=scope, user_id=uid, password="pw")
    (root / "shapes.json").write_text(pd.Series(shapes).to_json())
    return db


def _teacher_of(store: Store, class_id: str) -> str:
    en = store.enrollments()
    return str(en[(en["class_id"] == class_id) & (en["role"] == "teacher")]["user_id"].iloc[0])


@pytest.fixture(scope="session")
def shapes(district_db) -> dict:
    import json
    from pathlib import Path

    return json.loads((Path(district_db).parent / "shapes.json").read_text())


@pytest.fixture
def store_copy(district_db, tmp_path):
    """A private copy of the district store (for tests that write)."""
    target = tmp_path / "copy.db"
    with Store.open(district_db) as s:  # checkpoint the WAL so the file is whole
        with s.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(district_db, target)
    return str(target)


def principal(store: Store, username: str) -> Principal:
    from sounding.access import principal_for

    return principal_for(store, username)
