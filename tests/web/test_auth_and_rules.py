"""Sign-in mechanics (cookies, CSRF, throttling, sign-out, password reset) and the rule that
the web package reads only through the services."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import sign_in

WEB = Path(__file__).resolve().parents[2] / "src" / "sounding" / "web"


def test_web_imports_no_store_except_the_app_factory():
    offenders = []
    for path in WEB.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for n in names:
                if n.startswith("sounding.store") and path.name != "app.py":
                    offenders.append((path.name, n))
    assert not offenders
    app_src = (WEB / "app.py").read_text()
    assert app_src.count("sounding.store") == 1  # Store.open in create_app, nothing else


def test_cookie_flags_and_secure_behind_tls(web_app):
    c = TestClient(web_app, base_url="http://127.0.0.1")
    page = c.get("/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/sign-in", data={"username": "teacher1", "password": "pw", "csrf": token},
               headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/sign-in").text).group(1)
    r = c.post("/sign-in", data={"username": "teacher1", "password": "pw", "csrf": token},
               follow_redirects=False)
    assert "secure" not in r.headers["set-cookie"].lower()  # plain http: no Secure flag


def test_sign_in_needs_the_forms_csrf_token(web_app):
    c = TestClient(web_app, base_url="http://127.0.0.1")
    c.get("/sign-in")
    r = c.post("/sign-in", data={"username": "teacher1", "password": "pw", "csrf": "forged"},
               follow_redirects=False)
    assert r.status_code == 403


def test_wrong_passwords_are_throttled_per_user(web_app):
    c = TestClient(web_app, base_url="http://127.0.0.2")
    codes = []
    for _ in range(7):
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/sign-in").text).group(1)
        codes.append(c.post("/sign-in", data={"username": "leader1", "password": "nope",
                                              "csrf": token}, follow_redirects=False)
                     .status_code)
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/sign-in").text).group(1)
    r = c.post("/sign-in", data={"username": "leader1", "password": "pw", "csrf": token},
               follow_redirects=False)
    assert r.status_code == 429  # even the right password waits out the window
    web_app.state.auth.throttle.reset()


def test_forms_need_the_session_token_and_sign_out_ends_the_session(web_app):
    c = TestClient(web_app, base_url="http://127.0.0.1")
    sign_in(c, "teacher1")
    assert c.post("/sign-out", data={"csrf": "forged"}).status_code == 403
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
    old = c.cookies.get("sounding_session")
    c.post("/sign-out", data={"csrf": token}, follow_redirects=False)
    c.cookies.set("sounding_session", old)  # replaying the old cookie does not help
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")


def test_admin_password_reset_signs_the_user_out(store_copy):
    from sounding.web import create_app

    app = create_app(store_copy, secret="s")
    admin, user = (TestClient(app, base_url="http://127.0.0.1") for _ in range(2))
    sign_in(admin, "admin1")
    sign_in(user, "leader1")
    token = re.search(r'name="csrf" value="([^"]+)"', admin.get("/").text).group(1)
    r = admin.post("/admin/accounts/leader1/password",
                   data={"csrf": token, "password": "a-new-passphrase"}, follow_redirects=False)
    assert r.status_code == 303
    assert user.get("/", follow_redirects=False).status_code == 303
    sign_in(user, "leader1", "a-new-passphrase")


def test_api_bearer_tokens_and_openapi(web_app):
    from sounding.access.accounts import issue_token

    c = TestClient(web_app, base_url="http://127.0.0.1")
    assert c.get("/api/v1/me").status_code == 401
    assert c.get("/api/v1/me", headers={"Authorization": "Bearer snd_bad"}).status_code == 401
    tok = issue_token(web_app.state.store, "district1")
    me = c.get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"}).json()
    assert me == {"username": "district1", "role": "district"}
    paths = c.get("/openapi.json").json()["paths"]
    for p in ("/api/v1/students/{student_id}", "/api/v1/classes/{class_id}",
              "/api/v1/schools/{school_id}/plan", "/api/v1/districts/{district_id}/plan",
              "/api/v1/accountability"):
        assert p in paths
    assert not any(p.startswith("/classes") for p in paths)  # pages stay out of the API doc


def test_pages_use_offline_plotly_and_spanish_family_page(clients, shapes):
    c = clients["gdn.two"]
    child = shapes["child_a"]
    es = c.get(f"/students/{child}/family?lang=es")
    assert es.status_code == 200 and "Lo que sigue" in es.text and 'lang="es"' in es.text
    t = clients["teacher1"].get(f"/classes/{shapes['c1']}")
    assert t.status_code == 200 and '<script src="/static/plotly.min.js">' in t.text
    assert "cdn" not in t.text.lower()
    js = clients["teacher1"].get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000


def test_a_cached_page_still_writes_the_access_log(store_copy, shapes):
    from sounding.access.log import read_log
    from sounding.web import create_app

    app = create_app(store_copy, secret="s")
    orgs = app.state.store.orgs()
    district = orgs[orgs["type"] == "district"]["org_id"].iloc[0]
    for user, url in [("teacher1", f"/classes/{shapes['c1']}"),
                      ("leader1", f"/schools/{shapes['schools'][0]}"),
                      ("district1", f"/districts/{district}")]:
        c = TestClient(app, base_url="http://127.0.0.1")
        sign_in(c, user)
        counts = [len(read_log(app.state.store, username=user))]  # the fixture's own reads
        for _ in range(3):
            assert c.get(url).status_code == 200
            counts.append(len(read_log(app.state.store, username=user)))
        fresh, hit1, hit2 = (b - a for a, b in zip(counts, counts[1:], strict=False))
        assert hit1 == fresh and hit2 == fresh, (user, counts)
        assert fresh > 0


def test_sessions_and_throttles_are_shared_by_worker_processes(store_copy):
    """Two apps over one store stand for two workers of ``sounding serve --workers 2``: a
    session made by one is honoured by the other, a sign-out on one ends it on both, and
    failed sign-ins counted by one block on the other."""
    from sounding.web import create_app

    a, b = (create_app(store_copy, secret="shared") for _ in range(2))
    ca = TestClient(a, base_url="http://127.0.0.1")
    sign_in(ca, "teacher1")
    cb = TestClient(b, base_url="http://127.0.0.1")
    cb.cookies.set("sounding_session", ca.cookies.get("sounding_session"))
    page = cb.get("/", follow_redirects=False)
    assert page.status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    cb.post("/sign-out", data={"csrf": token}, follow_redirects=False)
    assert ca.get("/", follow_redirects=False).status_code == 303
    for app in (a, b, a, b, a):
        c = TestClient(app, base_url="http://127.0.0.1")
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/sign-in").text).group(1)
        assert c.post("/sign-in", data={"username": "leader1", "password": "x",
                                        "csrf": token}).status_code == 401
    c = TestClient(b, base_url="http://127.0.0.1")
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/sign-in").text).group(1)
    assert c.post("/sign-in", data={"username": "leader1", "password": "pw",
                                    "csrf": token}).status_code == 429


def test_the_class_page_lists_the_plans_checks(web_app, clients, shapes):
    import html

    from sounding.access.accounts import issue_token

    def api(user: str, path: str) -> dict:
        tok = issue_token(web_app.state.store, user)
        r = clients[user].get(path, headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 200, r.text[:300]
        return r.json()

    cid = shapes["c1"]
    checks = api("teacher1", f"/api/v1/classes/{cid}/plan")["checks"]
    assert checks, "the fixture's class has an unsure finding to check"
    assert all(c["class_id"] == cid for c in checks)  # only the teacher's own class
    page = html.unescape(clients["teacher1"].get(f"/classes/{cid}").text)
    assert ("Short checks to give first" in page) == bool(checks)
    for c in checks:
        assert c["reason"] in page
    # a school leader's plan lists the checks of the school's classes only
    school = shapes["schools"][0]
    leader = api("leader1", f"/api/v1/schools/{school}/plan")["checks"]
    assert {c["school_id"] for c in leader} <= {school}
    assert cid in {c["class_id"] for c in leader}  # the teacher's class is in this school
    spage = html.unescape(clients["leader1"].get(f"/schools/{school}").text)
    assert ("Short checks the plan asks for" in spage) == bool(leader)
    for c in leader:
        assert f'<a href="/classes/{c["class_id"]}">' in spage
