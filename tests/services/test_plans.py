"""Plans cut to their object and to the principal: a class plan names only its students."""

from __future__ import annotations

import pytest

from sounding.access import principal_for
from sounding.errors import NotFound
from sounding.services import Context, class_plan, school_plan
from sounding.services._data import triage_plan
from sounding.store import Store


def _students(plan: dict) -> set[str]:
    out = {str(t["student_id"]) for t in plan["tiers"]}
    for r in plan["recommendations"]:
        out |= {str(s) for s in r["students"]}
    return out


def test_a_class_plan_no_longer_carries_other_classes_students(district_db):
    with Store.open(district_db) as store:
        operator = Context.operator(store)
        plan = triage_plan(operator)
        leaky = []
        for c, members in plan.class_members.items():
            # what TriagePlan.restricted alone gives: wide findings keep everyone (the leak)
            raw = plan.restricted(class_id=c).to_dict()
            if _students(raw) - {str(s) for s in members}:
                leaky.append((c, {str(s) for s in members}, raw))
        assert leaky, "the district has no wide finding to cut"
        for c, members, raw in leaky:
            cut = class_plan(operator, c)
            assert _students(cut) <= members
            assert len(cut["recommendations"]) == len(raw["recommendations"])  # cut, not lost
            for r in cut["recommendations"]:
                assert set(r["classes"]) <= {c}
        c, members, _ = leaky[0]
        teacher = store.enrollments().query("class_id == @c and role == 'teacher'")
        from sounding.access import Principal, Role

        ctx = Context(store, Principal("t", Role.teacher, user_id=teacher["user_id"].iloc[0]))
        assert _students(class_plan(ctx, c)) <= members


def test_a_school_plan_names_only_its_schools_students(district_db, shapes):
    with Store.open(district_db) as store:
        ctx = Context(store, principal_for(store, "leader1"))
        school = shapes["schools"][0]
        plan = school_plan(ctx, school)
        assert _students(plan) and _students(plan) <= set(ctx.reach.students)
        with pytest.raises(NotFound):
            school_plan(ctx, shapes["schools"][-1])


def test_a_teacher_of_two_schools_sees_both_classes_and_nothing_else(district_db, shapes):
    with Store.open(district_db) as store:
        ctx = Context(store, principal_for(store, "two.schools"))
        assert ctx.reach.classes == {shapes["c1"], shapes["c3"]}
        assert ctx.reach.schools == {shapes["schools"][0], shapes["schools"][-1]}
        for c in (shapes["c1"], shapes["c3"]):
            assert class_plan(ctx, c)["recommendations"] is not None
        with pytest.raises(NotFound):
            class_plan(ctx, shapes["c2"])


def test_a_student_who_moved_leaves_the_old_class(district_db, shapes):
    with Store.open(district_db) as store:
        old = Context(store, principal_for(store, "teacher1"))
        assert shapes["mover"] not in old.reach.students
        assert shapes["c2"] in Context(store, principal_for(store, "leader1")).reach.classes
        from sounding.services import student_view

        with pytest.raises(NotFound):
            student_view(old, shapes["mover"])


def test_a_guardian_of_two_sees_both_children_only(district_db, shapes):
    from sounding.services import family_report, student_view

    with Store.open(district_db) as store:
        ctx = Context(store, principal_for(store, "gdn.two"))
        assert ctx.reach.students == {shapes["child_a"], shapes["child_b"]}
        for child in (shapes["child_a"], shapes["child_b"]):
            assert student_view(ctx, child)["student_id"] == child
            assert "<html" in family_report(ctx, child)["html"].lower()
        with pytest.raises(NotFound):
            student_view(ctx, shapes["mover"])
