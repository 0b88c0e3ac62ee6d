"""Scope resolution and redaction over generated rosters (hypothesis): IDs, roles, shapes.

Each example writes a small roster -- one state, one district, 1-3 schools, classes in each,
students enrolled in one or two classes (some moved: their old enrollment is
``tobedeleted``), teachers of any classes (a teacher may teach in two schools), guardians of
one to three children -- and checks that every role reaches exactly what the rules say, that
any probed id outside the scope is refused, and that redaction leaves nothing outside it.
"""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sounding.access import Principal, Role, redact, resolve
from sounding.store import Store
from sounding.store import tables as T

ROSTER_TABLES = (T.orgs, T.classes, T.users, T.roles, T.enrollments)


@st.composite
def rosters(draw):
    n_schools = draw(st.integers(1, 3))
    schools = [f"sch-{i}" for i in range(n_schools)]
    classes = {f"cls-{i}-{k}": s for i, s in enumerate(schools)
               for k in range(draw(st.integers(1, 3)))}
    names = sorted(classes)
    students = {}
    for n in range(draw(st.integers(1, 10))):
        now = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
        moved = draw(st.lists(st.sampled_from([c for c in names if c not in now] or names),
                              max_size=1, unique=True))
        students[f"stu-{n}"] = (now, [c for c in moved if c not in now])
    teachers = {f"tch-{n}": draw(st.lists(st.sampled_from(names), min_size=1, max_size=3,
                                          unique=True))
                for n in range(draw(st.integers(1, 3)))}
    ids = sorted(students)
    guardians = {f"gdn-{n}": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3,
                                           unique=True))
                 for n in range(draw(st.integers(0, 2)))}
    return {"schools": schools, "classes": classes, "students": students,
            "teachers": teachers, "guardians": guardians}


def _write(store: Store, r: dict) -> None:
    orgs = [{"org_id": "st", "name": "State", "type": "state", "parent_id": None},
            {"org_id": "dst", "name": "District", "type": "district", "parent_id": "st"}]
    orgs += [{"org_id": s, "name": s, "type": "school", "parent_id": "dst"} for s in r["schools"]]
    classes = [{"class_id": c, "title": c, "school_id": s} for c, s in r["classes"].items()]
    users, roles, enr = [], [], []

    def user(uid, org, agents=None):
        users.append({"user_id": uid, "username": uid, "primary_org_id": org,
                      "agent_ids": agents})

    for sid, (now, moved) in r["students"].items():
        school = r["classes"][now[0]]
        user(sid, school)
        roles.append({"role_id": f"r-{sid}", "user_id": sid, "role_type": "primary",
                      "role": "student", "org_id": school})
        for c in now:
            enr.append({"enrollment_id": f"e-{sid}-{c}", "class_id": c, "user_id": sid,
                        "school_id": r["classes"][c], "role": "student", "status": None})
        for c in moved:
            enr.append({"enrollment_id": f"e-{sid}-{c}", "class_id": c, "user_id": sid,
                        "school_id": r["classes"][c], "role": "student",
                        "status": "tobedeleted"})
    for tid, taught in r["teachers"].items():
        user(tid, r["classes"][taught[0]])
        roles.append({"role_id": f"r-{tid}", "user_id": tid, "role_type": "primary",
                      "role": "teacher", "org_id": r["classes"][taught[0]]})
        for c in taught:
            enr.append({"enrollment_id": f"e-{tid}-{c}", "class_id": c, "user_id": tid,
                        "school_id": r["classes"][c], "role": "teacher", "status": None})
    for gid, kids in r["guardians"].items():
        user(gid, None, ",".join(kids))
        roles.append({"role_id": f"r-{gid}", "user_id": gid, "role_type": "primary",
                      "role": "parent", "org_id": "dst"})
    with store.begin() as conn:
        for t in ROSTER_TABLES:
            conn.execute(t.delete())
        conn.execute(T.orgs.insert(), orgs)
        conn.execute(T.classes.insert(), classes)
        conn.execute(T.users.insert(), users)
        conn.execute(T.roles.insert(), roles)
        conn.execute(T.enrollments.insert(), enr)


def _enrolled(r: dict, classes) -> set[str]:
    return {s for s, (now, _) in r["students"].items() if set(now) & set(classes)}


_STORE: dict[str, Store] = {}


def _store(tmp_path_factory) -> Store:
    if "s" not in _STORE:
        _STORE["s"] = Store.open(str(tmp_path_factory.mktemp("scope") / "scope.db"))
    return _STORE["s"]


probe_ids = st.one_of(st.sampled_from(["stu-0", "stu-1", "stu-9", "cls-0-0", "cls-2-2",
                                       "sch-0", "sch-2", "dst", "st", "", "' OR 1=1 --"]),
                      st.text(max_size=12))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(r=rosters(), probes=st.lists(probe_ids, max_size=8))
def test_each_role_reaches_exactly_its_scope(tmp_path_factory, r, probes):
    store = _store(tmp_path_factory)
    _write(store, r)
    for tid, taught in r["teachers"].items():
        reach = resolve(store, Principal(tid, Role.teacher, user_id=tid))
        assert reach.classes == set(taught)
        assert reach.students == _enrolled(r, taught)  # moved-away students are gone
        assert reach.schools == {r["classes"][c] for c in taught}
        for p in probes:
            assert reach.has("student", p) == (p in _enrolled(r, taught))
            assert reach.has("class", p) == (p in taught)
    for gid, kids in r["guardians"].items():
        reach = resolve(store, Principal(gid, Role.guardian, user_id=gid))
        assert reach.students == set(kids)
        for p in probes:
            assert reach.has("student", p) == (p in kids)
    for sid in r["students"]:
        reach = resolve(store, Principal(sid, Role.student, user_id=sid))
        assert reach.students == {sid}
        assert reach.classes == set(r["students"][sid][0])
    for school in r["schools"]:
        reach = resolve(store, Principal("l", Role.school_leader, frozenset({school})))
        own = [c for c, s in r["classes"].items() if s == school]
        assert reach.classes == set(own)
        mine = {s for s, (now, _) in r["students"].items() if r["classes"][now[0]] == school}
        assert reach.students == mine | _enrolled(r, own)
    district = resolve(store, Principal("d", Role.district, frozenset({"dst"})))
    assert district.students == set(r["students"]) and district.schools == set(r["schools"])
    nobody = resolve(store, Principal("x", Role.teacher))
    assert not (nobody.students or nobody.classes or nobody.schools)


ids = st.sampled_from([f"stu-{i}" for i in range(6)] + [f"cls-{i}" for i in range(4)])
leaf = st.one_of(st.integers(), st.text(max_size=4), st.none(), ids)
json_like = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.fixed_dictionaries({}, optional={"student_id": ids, "class_id": ids,
                                            "students": st.lists(ids, max_size=4),
                                            "classes": st.lists(ids, max_size=4),
                                            "rows": st.lists(inner, max_size=3),
                                            "n": st.integers()})),
    max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(data=json_like, students=st.frozensets(st.sampled_from([f"stu-{i}" for i in range(6)])),
       classes=st.frozensets(st.sampled_from([f"cls-{i}" for i in range(4)])))
def test_redaction_leaves_nothing_outside_scope(data, students, classes):
    from sounding.access.scope import Reach

    reach = Reach(Principal("t", Role.teacher), students=students, classes=classes)
    out = redact(data, reach)
    found_s, found_c = set(), set()

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "student_id" and v is not None:
                    found_s.add(v)
                elif k == "class_id" and v is not None:
                    found_c.add(v)
                elif k == "students":
                    found_s.update(i for i in v if isinstance(i, str))
                elif k == "classes":
                    found_c.update(i for i in v if isinstance(i, str))
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(out)
    assert found_s <= students and found_c <= classes
    assert redact(data, Reach(Principal("a", Role.admin), everything=True)) == data


def test_scope_sql_filter_is_a_condition_on_the_column(tmp_path):
    from sounding.access.scope import Reach

    reach = Reach(Principal("t", Role.teacher), students=frozenset({"a", "b"}))
    sql = str(reach.student_filter(T.responses.c.student_id).compile(
        compile_kwargs={"literal_binds": True}))
    assert "responses.student_id IN ('a', 'b')" in sql
    everything = Reach(Principal("x", Role.admin), everything=True)
    assert str(everything.student_filter(T.responses.c.student_id)) == str(sa.true())
