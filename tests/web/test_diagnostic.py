"""The diagnostic over HTTP: a student takes it through the API and the pages, resumes after a
restart on the same question, and nobody else may start, answer or read it out of scope.

Runs on a private copy of the services' tiny district (the tests write sessions and, at the
end of a test, evidence)."""

from __future__ import annotations

import random
import re
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sounding.access.accounts import issue_token
from sounding.diagnostic import durable
from sounding.store import Store
from sounding.store import tables as T
from tests.web.conftest import USERS, sign_in

OTHERS = [u for u in USERS if u != "student1"]


def no_sessions(db: str) -> str:
    """The store at ``db`` without diagnostic sessions (the shared district may hold some
    that other tests started: the authorization sweep starts a few)."""
    with Store.open(db) as store, store.begin() as conn:
        conn.execute(T.diagnostic_answers.delete())
        conn.execute(T.diagnostic_sessions.delete())
    return db


@pytest.fixture
def app(store_copy):
    from sounding.web import create_app

    return create_app(no_sessions(store_copy), secret="test-secret")


@pytest.fixture
def tokens(app):
    return {u: issue_token(app.state.store, u) for u in USERS}


def _api(client, tokens, user, method, url, **kw):
    return client.request(method, url, headers={"Authorization": f"Bearer {tokens[user]}"},
                          **kw)


def _respond(item_id: str, rng: random.Random, p_right: float = 0.6) -> str:
    """A made-up student: right with probability p_right (key from the bank), else wrong."""
    item = durable.default_engine().bank.item(item_id)
    return item.key if rng.random() < p_right else "I don't know"


def _answers_in_db(store, session_id):
    a = T.diagnostic_answers.c
    with store.engine.connect() as conn:
        return conn.execute(sa.select(a.position, a.item_id, a.response)
                            .where(a.session_id == session_id).order_by(a.position)).all()


def test_a_student_takes_it_through_the_api_and_staff_see_the_result(app, tokens, shapes):
    client = TestClient(app, base_url="http://127.0.0.1")
    r = _api(client, tokens, "student1", "POST", "/api/v1/diagnostic/sessions")
    assert r.status_code == 200, r.text
    view = r.json()
    sid, rng, n = view["session_id"], random.Random(1), 0
    assert view["student_id"] == shapes["child_a"] and view["items_answered"] == 0
    assert "<math" in view["item"]["prompt_html"] and "key" not in view["item"]
    while not view["done"]:
        item_id = view["item"]["item_id"]
        r = _api(client, tokens, "student1", "POST", f"/api/v1/diagnostic/sessions/{sid}/answers",
                 json={"item_id": item_id, "response": _respond(item_id, rng)})
        assert r.status_code == 200, r.text
        view, n = r.json(), n + 1
        # committed before the reply: the database holds every acknowledged answer
        assert len(_answers_in_db(app.state.store, sid)) == n == view["items_answered"]
        assert "correct" not in r.text.replace("item", "")  # no marks for the student
    assert 1 <= n <= 25 and view["item"] is None
    assert view["placement"] and view["ready_to_learn"] is not None
    # starting again shows the finished test, not a new one
    again = _api(client, tokens, "student1", "POST", "/api/v1/diagnostic/sessions").json()
    assert again["session_id"] == sid and again["done"]
    # the teacher's class results and the session itself (with marks, for staff)
    t = _api(client, tokens, "teacher1", "GET", f"/api/v1/diagnostic/sessions/{sid}").json()
    assert t["done"] and t["items_correct"] == sum(
        1 for a in durable.load(app.state.store, sid).answers if a.correct)
    from sounding.access import principal_for
    from sounding.services import Context, diagnostic_class_results

    store = app.state.store
    res = diagnostic_class_results(Context(store, principal_for(store, "teacher1")),
                                   shapes["c1"])
    row = next(s for s in res["students"] if s["student_id"] == shapes["child_a"])
    assert row["status"] == "done" and row["items_answered"] == n and row["placement"]
    assert res["counts"]["done"] == 1
    # the results become evidence (responses with source diagnostic) without anyone asking
    # (the simulated district has older diagnostic-source answers: count this session's)
    items = {row.item_id for row in _answers_in_db(store, sid)}
    deadline = time.time() + 30
    while time.time() < deadline:
        got = store.table("responses")
        got = got[(got["source"] == "diagnostic") & (got["student_id"] == shapes["child_a"])
                  & got["item_id"].isin(items)]
        if len(got) == n:
            break
        time.sleep(0.2)
    assert len(got) == n
    assert len(store.mastery(model="diagnostic", student_ids=[shapes["child_a"]]))


def test_only_the_student_starts_or_answers_and_others_get_404(app, tokens, shapes):
    client = TestClient(app, base_url="http://127.0.0.1")
    sid = _api(client, tokens, "student1", "POST", "/api/v1/diagnostic/sessions").json()[
        "session_id"]
    missing = "no-such-session"
    for user in OTHERS:
        r = _api(client, tokens, user, "POST", "/api/v1/diagnostic/sessions")
        assert r.status_code == 404, (user, r.status_code)
        for target in (sid, missing):
            r = _api(client, tokens, user, "POST",
                     f"/api/v1/diagnostic/sessions/{target}/answers",
                     json={"item_id": "x", "response": "1"})
            assert (r.status_code, r.json()) == (404, {"detail": "not found"}), (user, target)
    # reading a session: whoever may open the student's record; everyone else 404 == missing
    for user in USERS:
        r = _api(client, tokens, user, "GET", f"/api/v1/diagnostic/sessions/{sid}")
        may = user in ("student1", "teacher1", "two.schools", "gdn.two", "leader1",
                       "district1", "admin1")
        assert r.status_code == (200 if may else 404), (user, r.status_code)
        if not may:
            assert r.json() == {"detail": "not found"}
    assert _api(client, tokens, "student1", "GET",
                f"/api/v1/diagnostic/sessions/{missing}").status_code == 404
    # nothing was answered by anyone else
    assert _answers_in_db(app.state.store, sid) == []


def test_bad_answers_are_refused_clearly_and_retries_are_safe(app, tokens):
    client = TestClient(app, base_url="http://127.0.0.1")
    view = _api(client, tokens, "student1", "POST", "/api/v1/diagnostic/sessions").json()
    sid, item_id = view["session_id"], view["item"]["item_id"]
    url = f"/api/v1/diagnostic/sessions/{sid}/answers"
    for body in ({"item_id": "other~1", "response": "3"}, {"item_id": item_id},
                 {"item_id": item_id, "response": 3}, [1, 2], None):
        r = _api(client, tokens, "student1", "POST", url, json=body)
        assert r.status_code == 422 and r.json()["detail"], (body, r.text)
    r = _api(client, tokens, "student1", "POST", url, content=b"{not json")
    assert r.status_code == 422
    assert _answers_in_db(app.state.store, sid) == []
    first = _api(client, tokens, "student1", "POST", url,
                 json={"item_id": item_id, "response": "7"}).json()
    # the reply was lost, the client sends the same answer again: nothing is added
    again = _api(client, tokens, "student1", "POST", url,
                 json={"item_id": item_id, "response": "7"}).json()
    assert again.get("repeated") and again["item"] == first["item"]
    assert len(_answers_in_db(app.state.store, sid)) == 1


def test_a_restarted_server_resumes_on_the_same_question(store_copy, tokens, app):
    """Answers are rebuilt from the database: a new app (a new process's state) with the
    engine's cache emptied serves the same pending item and keeps every answer."""
    from sounding.web import create_app

    client = TestClient(app, base_url="http://127.0.0.1")
    view = _api(client, tokens, "student1", "POST", "/api/v1/diagnostic/sessions").json()
    sid, rng = view["session_id"], random.Random(3)
    for _ in range(4):  # (answers all wrong: the engine asks more than four items then)
        item_id = view["item"]["item_id"]
        view = _api(client, tokens, "student1", "POST",
                    f"/api/v1/diagnostic/sessions/{sid}/answers",
                    json={"item_id": item_id, "response": _respond(item_id, rng, 0.0)}).json()
    pending = view["item"]["item_id"]
    durable.default_engine().forget(durable.load(app.state.store, sid))
    durable.default_engine()._cache.clear()
    app2 = create_app(Store.open(store_copy), secret="other-secret")
    c2 = TestClient(app2, base_url="http://127.0.0.1")
    resumed = _api(c2, tokens, "student1", "POST", "/api/v1/diagnostic/sessions").json()
    assert (resumed["session_id"], resumed["items_answered"]) == (sid, 4)
    assert resumed["item"]["item_id"] == pending
    # and the test carries on to the same end as an uninterrupted run would reach
    assert len(_answers_in_db(app2.state.store, sid)) == 4


def test_the_student_pages_take_the_test_without_marks(app, shapes):
    client = TestClient(app, base_url="http://127.0.0.1")
    sign_in(client, "student1")
    home = client.get("/", follow_redirects=True)
    assert 'href="/diagnostic"' in home.text
    intro = client.get("/diagnostic")
    assert intro.status_code == 200 and "no timer" in intro.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', intro.text).group(1)
    page = client.post("/diagnostic/start", data={"csrf": csrf}, follow_redirects=True)
    assert "Question 1" in page.text and "<math" in page.text
    rng = random.Random(5)
    for k in range(30):
        if "ready to learn next" in page.text:
            break
        item_id = re.search(r'name="item_id" value="([^"]+)"', page.text).group(1)
        session_id = re.search(r'name="session_id" value="([^"]+)"', page.text).group(1)
        if k == 0:  # an empty answer is not taken: the same question, with a message
            again = client.post("/diagnostic/answer", data={
                "csrf": csrf, "session_id": session_id, "item_id": item_id, "response": " "},
                follow_redirects=True)
            assert 'role="alert"' in again.text and item_id in again.text
        page = client.post("/diagnostic/answer", data={
            "csrf": csrf, "session_id": session_id, "item_id": item_id,
            "response": _respond(item_id, rng)}, follow_redirects=True)
        assert page.status_code == 200
        low = page.text.lower()
        assert "incorrect" not in low and "wrong" not in low and "correct!" not in low
    assert "Here is what you are ready to learn next" in page.text
    # staff read the class's results page; roles without the class get 404
    teacher = TestClient(app, base_url="http://127.0.0.1")
    sign_in(teacher, "teacher1")
    r = teacher.get(f"/diagnostic/classes/{shapes['c1']}")
    assert r.status_code == 200 and "1 finished" in r.text
    state = TestClient(app, base_url="http://127.0.0.1")
    sign_in(state, "state1")
    assert state.get(f"/diagnostic/classes/{shapes['c1']}").status_code == 404
    assert state.get("/diagnostic").status_code == 404


def test_generated_requests_to_the_diagnostic_api_never_get_a_500(app, tokens):
    """schemathesis on the diagnostic's operations, as the student who may write (the
    shared fuzz test signs in as roles that get 404 before any body is read)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    client = TestClient(app, base_url="http://127.0.0.1")
    sid = _api(client, tokens, "student1", "POST", "/api/v1/diagnostic/sessions").json()[
        "session_id"]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen, calls = [], []
    for op in schema.get_all_operations():
        operation = op.ok()
        if "/diagnostic/" not in operation.path:
            continue

        @settings(max_examples=10, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            calls.append(1)  # (hypothesis seeds `random` per example: alternate instead)
            if "{session_id}" in case.operation.path and len(calls) % 2:
                case.path_parameters = {"session_id": sid}  # the real session half the time
            r = case.call(headers={"Authorization": f"Bearer {tokens['student1']}"})
            assert r.status_code < 500, (case.method, case.formatted_path, r.text[:200])
            seen.append((case.operation.path, r.status_code))

        run()
    assert {p for p, _ in seen} == {"/api/v1/diagnostic/sessions",
                                    "/api/v1/diagnostic/sessions/{session_id}",
                                    "/api/v1/diagnostic/sessions/{session_id}/answers"}
    assert {c for _, c in seen} >= {200, 404, 422}, sorted(set(seen))
