"""The authorization sweep over HTTP, generated from the app's route table.

Every route (pages and /api/v1) x every account x objects inside and outside its scope, so a
new route is covered without anyone remembering to add it: a path parameter's name says what
kind of object it takes (``class_id`` -> class). Checks:

- an object outside scope answers 404, exactly as a missing one (same body);
- a 200 names no student outside the principal's reach, and state, provider and researcher
  principals get no roster student id at all;
- anonymous page requests go to the sign-in page, anonymous API requests get 401;
- hypothesis: any id text for any role and route gives 200 only for an object in scope, and
  never a 500;
- the sweep is not vacuous: every role reads some in-scope object with a 200.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sounding.access import principal_for, resolve
from sounding.access.accounts import issue_token
from tests.web.conftest import USERS

#: Path parameter -> the kind of object it names (scope kind, or account).
KINDS = {"student_id": "student", "class_id": "class", "school_id": "school",
         "district_id": "district", "provider_id": "provider", "username": "account",
         "session_id": "diagnostic_session"}
#: Required query parameters -> values the sweep tries.
QUERIES = {"level": ["school", "district", "provider"]}
MISSING = "no-such-id-42"
SUMMARY_ROLES = {"state1", "provider1", "researcher1"}
SKIP = {"/sign-in", "/sign-out", "/static/plotly.min.js", "/openapi.json", "/api/docs",
        "/api/docs/oauth2-redirect"}


def _flat(items) -> list:
    """Routes, with included routers opened (FastAPI >= 0.165 keeps them wrapped)."""
    out = []
    for r in items:
        inner = getattr(r, "original_router", None)
        out.extend(_flat(inner.routes) if inner is not None else [r])
    return out


def routes(app) -> list[tuple[str, str, list[str]]]:
    """(method, path, path params) of every route the app serves, from its route table."""
    out = []
    for r in _flat(app.routes):
        if r.path in SKIP or not hasattr(r, "methods"):
            continue
        params = [p.name for p in r.dependant.path_params] if isinstance(r, APIRoute) else []
        for m in sorted(r.methods - {"HEAD"}):
            out.append((m, r.path, params))
    return out


@pytest.fixture(scope="module")
def world(web_app):
    store = web_app.state.store
    orgs = store.orgs()
    every = {
        "student": sorted(store.students()["student_id"].astype(str)),
        "class": sorted(store.classes()["class_id"].astype(str)),
        "school": sorted(orgs[orgs["type"] == "school"]["org_id"].astype(str)),
        "district": sorted(orgs[orgs["type"] == "district"]["org_id"].astype(str)),
        "provider": sorted(store.table("provider_assignments")["provider_id"].astype(str)),
        "account": USERS,
    }
    # diagnostic sessions (a session id is in scope when its student is): one of student1's
    # and of a few others, started (never finished: nothing becomes evidence)
    from sounding.diagnostic import durable

    own = principal_for(store, "student1").user_id
    owners = [own] + [s for s in every["student"][:3] if s != own]
    every["diagnostic_session"] = sorted(
        durable.start(store, s, 5).session.session_id for s in owners)
    reach = {u: resolve(store, principal_for(store, u)) for u in USERS}
    tokens = {u: issue_token(store, u) for u in USERS}
    return {"every": every, "reach": reach, "tokens": tokens}


def _session_student(store, session_id: str) -> str | None:
    from sounding.diagnostic import durable

    return durable.student_of_or_none(store, session_id)


def _in_reach(reach, kind: str, value: str, store) -> bool:
    if kind == "diagnostic_session":
        return _session_student(store, value) in reach.students
    return value in reach.ids(kind)


def _ids_in(reach, kind: str, every: dict, store=None) -> tuple[list[str], list[str]]:
    if kind == "account":
        return every["account"][:1], []
    if reach.everything:
        return every[kind][:2], []
    inside = [i for i in every[kind] if _in_reach(reach, kind, i, store)]
    return inside[:2], [i for i in every[kind] if i not in inside][:2]


def _request(client, world, user, method, path, params, value, query=None):
    url = path
    for p in params:
        url = url.replace("{" + p + "}", value)
    headers = {}
    if path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {world['tokens'][user]}"
    if method == "POST":
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        return client.post(url, data={"csrf": csrf, "password": "x"}, headers=headers,
                           follow_redirects=False)
    return client.get(url, params=query, headers=headers, follow_redirects=False)


def _student_leaks(body: str, user: str, world) -> set[str]:
    reach = world["reach"][user]
    named = {s for s in world["every"]["student"] if s in body}
    if user in SUMMARY_ROLES:
        return named
    return set() if reach.everything else named - set(reach.students)


@pytest.fixture(scope="module")
def sweep(web_app, clients, world):
    calls = []
    for user in USERS:
        client, reach = clients[user], world["reach"][user]
        for method, path, params in routes(web_app):
            queries = [{}] if "accountability" not in path else [{"level": v}
                                                                 for v in QUERIES["level"]]
            if not params:
                for q in queries:
                    r = _request(client, world, user, method, path, params, "", q)
                    calls.append((user, method, path, None, True, r))
                continue
            kind = KINDS[params[0]]
            inside, outside = _ids_in(reach, kind, world["every"], web_app.state.store)
            if method == "POST":  # a write: try it only outside scope and for non-admins
                inside = []
            for value, ok in [(i, True) for i in inside] + [(o, False)
                                                             for o in outside + [MISSING]]:
                r = _request(client, world, user, method, path, params, value)
                calls.append((user, method, path, value, ok, r))
    return calls


def test_the_route_table_is_swept(web_app, sweep):
    swept = {(m, p) for _, m, p, *_ in sweep}
    assert swept == {(m, p) for m, p, _ in routes(web_app)}
    assert len(swept) >= 20


def test_outside_scope_is_404_like_missing(sweep):
    bad = [(u, p, v, r.status_code) for u, m, p, v, ok, r in sweep
           if not ok and not (r.status_code == 404 or (m == "POST" and r.status_code == 403))]
    assert not bad, bad[:10]
    bodies = {(p, r.text.replace(v, "ID")) for u, m, p, v, ok, r in sweep
              if not ok and m == "GET" and p.startswith("/api/")}
    assert {b for _, b in bodies} == {'{"detail":"not found"}'}


def test_no_student_outside_reach_and_none_for_summary_roles(sweep, world):
    leaks = [(u, p, v, sorted(_student_leaks(r.text, u, world))[:3])
             for u, m, p, v, ok, r in sweep if r.status_code == 200
             and _student_leaks(r.text, u, world)]
    assert not leaks, leaks[:10]
    assert any(r.status_code == 200 for u, *_, r in sweep if u in SUMMARY_ROLES)


def test_no_server_errors_and_every_role_reads_something(sweep):
    assert not [(u, p, v) for u, m, p, v, ok, r in sweep if r.status_code >= 500]
    for user in USERS:
        assert any(r.status_code == 200 and v is not None for u, m, p, v, ok, r in sweep
                   if u == user and ok), user


def test_writes_outside_scope_or_role_are_404(sweep):
    posts = [(u, p, r.status_code) for u, m, p, v, ok, r in sweep if m == "POST"
             and not ok and (u != "admin1" or p.startswith("/students"))]
    assert posts and all(code == 404 for *_, code in posts), posts[:5]
    assert {p for _, p, _ in posts} >= {"/admin/accounts/{username}/password",
                                        "/students/{student_id}/interventions"}


def test_anonymous_requests_sign_in_or_401(web_app):
    from fastapi.testclient import TestClient

    anon = TestClient(web_app, base_url="http://127.0.0.1")
    for method, path, params in routes(web_app):
        url = path
        for p in params:
            url = url.replace("{" + p + "}", MISSING)
        r = anon.request(method, url, params={"level": "school"}, follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (path, r.status_code)
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/sign-in"), \
                (path, r.status_code)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_id_for_any_role(data, web_app, clients, world):
    user = data.draw(st.sampled_from(USERS))
    method, path, params = data.draw(st.sampled_from(
        [r for r in routes(web_app) if r[2] and r[0] == "GET"]))
    kind = KINDS[params[0]]
    value = data.draw(st.one_of(st.sampled_from(world["every"][kind]),
                                st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.",
                                        min_size=1, max_size=20)
                                .filter(lambda v: v not in (".", ".."))))  # dot segments:
    # a URL path of "." or ".." is resolved by the client to another route, not an id
    r = _request(clients[user], world, user, method, path, params, value)
    assert r.status_code < 500
    if r.status_code == 200 and kind != "account":
        reach = world["reach"][user]
        assert reach.everything or _in_reach(reach, kind, value, web_app.state.store), (
            user, path, value)
        assert not _student_leaks(r.text, user, world)
