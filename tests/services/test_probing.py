"""Probing ids (hypothesis): any id, any role -- an answer only inside scope and grant, and
"not found" reads the same whether the id exists elsewhere or not at all."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sounding.access import can, principal_for
from sounding.errors import NotFound
from sounding.services import SERVICES, Context
from sounding.store import Store

USERS = ["admin1", "district1", "leader1", "teacher1", "two.schools", "student1", "gdn.two",
         "state1", "provider1", "researcher1"]
#: Quick services (the plans' triage is cached per Context, so they are quick after the first)
PROBED = ["student_view", "class_summary", "class_view", "family_report", "school_plan"]


@pytest.fixture(scope="module")
def world(district_db):
    store = Store.open(district_db)
    ids = {"student": list(store.students()["student_id"].astype(str)),
           "class": list(store.classes()["class_id"].astype(str)),
           "school": ["sch-0001", "sch-0002", "sch-0003"]}
    contexts = {u: Context(store, principal_for(store, u)) for u in USERS}
    yield ids, contexts
    store.close()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_probing_any_id_answers_only_inside_scope(world, data):
    ids, contexts = world
    user = data.draw(st.sampled_from(USERS))
    svc = SERVICES[data.draw(st.sampled_from(PROBED))]
    obj = data.draw(st.one_of(st.sampled_from(ids[svc.kind]), st.text(max_size=16),
                              st.sampled_from(["stu-9999999", "cls-0001-03-01 ", "STU-0000001",
                                               "stu-0000001' --", "%"])))
    ctx = contexts[user]
    allowed = can(ctx.principal.role, "read", svc.resource) and ctx.reach.has(svc.kind, obj) \
        and obj in ids[svc.kind]
    try:
        result = svc.fn(ctx, **{svc.target: obj})
    except NotFound as exc:
        # a denial reads exactly like a missing id; an allowed object may lack data
        if allowed:
            assert str(exc) != f"no {svc.kind} {obj!r}", (user, svc.name, obj)
        else:
            assert str(exc).startswith(f"no {svc.kind} {obj!r}"), (user, svc.name, obj, str(exc))
        return
    assert allowed, (user, svc.name, obj)
    assert result is not None
