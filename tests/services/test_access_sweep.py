"""The access sweep: every service x every role x objects inside and outside scope.

Generated from :data:`sounding.services.SERVICES`, so a new service is swept without anyone
remembering to add it. For each call it checks:

- an object outside the principal's scope (or of a resource kind its role is not granted)
  answers NotFound, exactly like an id that does not exist;
- a result names no student, class or school outside the scope;
- results for state and provider principals name no student at all (no ``student_id``, no
  roster student id anywhere in the JSON), and researchers see only pseudonyms;
- every granted (service, role) pair returns a result for at least one in-scope object, so
  the sweep cannot pass by denying everything.
"""

from __future__ import annotations

import json
import re

import pytest

from sounding.access import Principal, Role, can, principal_for
from sounding.access.disclosure import TOTAL_LABELS
from sounding.access.policy import DISCLOSURE
from sounding.errors import InvalidInput, NotFound
from sounding.services import SERVICES, Context
from sounding.store import Store

USERS = ["admin1", "district1", "leader1", "teacher1", "two.schools", "student1", "gdn.two",
         "state1", "provider1", "researcher1"]
MISSING = "no-such-id-42"


def _ids(data, keys_one: tuple[str, ...], keys_many: tuple[str, ...]) -> set[str]:
    out: set[str] = set()

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k in keys_one and isinstance(v, str | int):
                    out.add(str(v))
                elif k in keys_many and isinstance(v, list):
                    for item in v:
                        if isinstance(item, str | int):
                            out.add(str(item))
                        else:
                            walk(item)
                else:
                    walk(v)
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v)

    walk(data)
    return out - TOTAL_LABELS


def _all_ids(store: Store) -> dict[str, list[str]]:
    orgs = store.orgs()
    return {
        "student": sorted(store.students()["student_id"].astype(str)),
        "class": sorted(store.classes()["class_id"].astype(str)),
        "school": sorted(orgs[orgs["type"] == "school"]["org_id"].astype(str)),
        "district": sorted(orgs[orgs["type"] == "district"]["org_id"].astype(str)),
        "state": sorted(orgs[orgs["type"] == "state"]["org_id"].astype(str)),
        "provider": sorted(store.table("provider_assignments")["provider_id"].astype(str)),
    }


@pytest.fixture(scope="module")
def sweep(district_db):
    """Run the whole sweep once; tests below assert on what it recorded."""
    calls = []
    with Store.open(district_db) as store:
        everyone = _all_ids(store)
        for user in USERS:
            ctx = Context(store, principal_for(store, user))
            reach = ctx.reach
            for svc in SERVICES.values():
                if svc.target is None:
                    calls.append(_call(ctx, svc, None, True))
                    continue
                known = everyone[svc.kind]
                inside = known if reach.everything else sorted(reach.ids(svc.kind))
                outside = [] if reach.everything else [i for i in known if i not in inside]
                for obj in inside[:2]:
                    calls.append(_call(ctx, svc, obj, True))
                for obj in outside[:2] + [MISSING]:
                    calls.append(_call(ctx, svc, obj, False))
        log = store.table("access_log")
    return {"calls": calls, "everyone": everyone, "log": log}


def _call(ctx: Context, svc, obj, inside: bool) -> dict:
    kwargs = {} if svc.target is None else {svc.target: obj}
    try:
        result, error = svc.fn(ctx, **kwargs), None
    except (NotFound, InvalidInput) as exc:
        result, error = None, exc
    return {"service": svc.name, "resource": svc.resource, "user": ctx.principal.user,
            "role": ctx.principal.role, "reach": ctx.reach, "obj": obj, "inside": inside,
            "result": result, "error": error}


def test_the_sweep_covers_every_service_and_role(sweep):
    seen = {(c["service"], c["user"]) for c in sweep["calls"]}
    assert seen == {(s, u) for s in SERVICES for u in USERS}
    assert len(SERVICES) >= 15


def test_out_of_scope_and_missing_objects_are_not_found(sweep):
    bad = [(c["service"], c["user"], c["obj"], c["result"] is not None)
           for c in sweep["calls"] if not c["inside"]
           and not isinstance(c["error"], NotFound)]
    assert not bad, bad[:5]
    assert sum(1 for c in sweep["calls"] if not c["inside"] and c["obj"] != MISSING) > 100


def test_roles_without_a_grant_get_not_found_even_inside_scope(sweep):
    for c in sweep["calls"]:
        if c["obj"] is not None and not can(c["role"], "read", c["resource"]):
            assert isinstance(c["error"], NotFound), (c["service"], c["user"], c["obj"])


def test_no_result_names_anything_outside_scope(sweep):
    checked = 0
    for c in sweep["calls"]:
        reach, result = c["reach"], c["result"]
        if result is None or reach.everything:
            continue
        checked += 1
        for kind, one, many in (("student", ("student_id",), ("students", "ready",
                                                                 "unassessed")),
                                ("class", ("class_id",), ("classes",)),
                                ("school", ("school_id",), ("schools",))):
            leaked = _ids(result, one, many) - set(reach.ids(kind))
            assert not leaked, (c["service"], c["user"], c["obj"], kind, sorted(leaked)[:5])
    assert checked > 50


def test_state_provider_and_researcher_never_see_a_student_row(sweep):
    ids = sweep["everyone"]["student"]
    pattern = re.compile("|".join(re.escape(f'"{s}"') for s in ids))
    checked = 0
    for c in sweep["calls"]:
        if c["result"] is None or DISCLOSURE[c["role"]].student_rows:
            continue
        checked += 1
        text = json.dumps(c["result"], default=str)
        assert '"student_id"' not in text, (c["service"], c["user"])
        hit = pattern.search(text)
        assert hit is None, (c["service"], c["user"], hit and hit.group())
    assert checked >= 10


def test_every_granted_service_answers_inside_scope(sweep):
    """Not vacuous: each (service, role) the policy grants returns something in scope."""
    answered: dict[tuple[str, str], bool] = {}
    for c in sweep["calls"]:
        if c["inside"] and can(c["role"], "read", c["resource"]):
            key = (c["service"], c["user"])
            answered[key] = answered.get(key, False) or c["result"] is not None
    missing = sorted(k for k, ok in answered.items() if not ok)
    assert not missing, missing


def test_student_reads_are_in_the_access_log(sweep):
    log = sweep["log"]
    teacher = log[log["username"] == "teacher1"]
    assert {"student_view", "class_view", "class_plan"} <= set(teacher["action"])
    assert set(log["username"]) >= {"teacher1", "gdn.two", "student1", "leader1"}
    assert not ({"state1", "provider1", "researcher1"} & set(log["username"]))
    assert "operator" not in set(log["username"])


def test_a_principal_with_no_rule_reaches_nothing(district_db):
    with Store.open(district_db) as store:
        ctx = Context(store, Principal("nobody", Role.teacher))  # no classes, no roster user
        assert ctx.reach.students == frozenset() and ctx.reach.classes == frozenset()
        with pytest.raises(NotFound):
            SERVICES["student_view"].fn(ctx, "stu-0000001")
