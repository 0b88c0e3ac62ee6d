"""Browser journeys: one per role, from the sign-in page to the page that role works from,
in Debian's Chromium driven by Playwright, against a real uvicorn server on 127.0.0.1 (a
free port), on SQLite and on PostgreSQL (the same district copied over)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (scripts/test.sh "
                                       "installs it)")

#: user -> (link texts to click from home, in order; text the last page must show)
JOURNEYS = {
    "teacher1": (["__first_class__", "__first_student__"], "Iceberg"),
    "two.schools": (["__first_class__"], "What to do first"),
    "leader1": (["__first_school__"], "Tier load against capacity"),
    "district1": (["__first_district__"], "School comparison"),
    "state1": (["Districts"], "Level:"),
    "provider1": (["__first_provider__"], "suppressed"),
    "researcher1": (["__first_district__"], "Download CSV"),
    "gdn.two": (["informe para la familia (español)"], "Lo que sigue"),
    "student1": ([], "ready to learn next"),
    "admin1": (["Accounts and passwords"], "Reset password"),
}
FIRST = {"__first_class__": "a[href^='/classes/']", "__first_student__": "a[href^='/students/']",
         "__first_school__": "a[href^='/schools/']",
         "__first_district__": "main a[href^='/districts/'], main a[href^='/extracts/']",
         "__first_provider__": "a[href^='/providers/']"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_store(src: str, dst: str) -> None:
    """Every table of the SQLite district into another (empty) store."""
    import sqlalchemy as sa

    from sounding.store import Store
    from sounding.store import tables as T

    with Store.open(src) as a, Store.open(dst) as b:
        with a.engine.connect() as ca, b.begin() as cb:
            for table in T.metadata.sorted_tables:
                if table.autoincrement_column is not None:  # logs: ids come from sequences
                    continue
                rows = [dict(r._mapping) for r in ca.execute(sa.select(table))]
                if rows:
                    cb.execute(table.delete())
                    cb.execute(table.insert(), rows)


def _start(url: str):
    import uvicorn

    from sounding.web import create_app

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(url, secret="browser"), host="127.0.0.1",
                                        port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)

    def stop() -> None:
        srv.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    not os.environ.get("SOUNDING_TEST_PG_URL"), reason="SOUNDING_TEST_PG_URL is not set"))])
def server(request, district_db, tmp_path):
    if request.param == "sqlite":
        url, cleanup = district_db, None
    else:
        from tests._pg import _fresh_schema_url

        base = os.environ["SOUNDING_TEST_PG_URL"]
        url, schema = _fresh_schema_url(base)
        _copy_store(district_db, url)
        cleanup = (base, schema)
    base_url, stop = _start(url)
    yield base_url
    stop()
    if cleanup:
        from tests._pg import _drop_schema

        _drop_schema(*cleanup)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_every_role_signs_in_and_reaches_its_page(server, browser):
    failures = []
    for user, (clicks, expect) in JOURNEYS.items():
        ctx = browser.new_context()
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        page.goto(server + "/")  # anonymous: the sign-in page
        assert "/sign-in" in page.url
        page.get_by_label("User name").fill(user)
        page.get_by_label("Password").fill("pw")
        page.keyboard.press("Enter")  # submit by keyboard
        page.wait_for_url(lambda u: "/sign-in" not in u)
        page.wait_for_load_state()
        for c in clicks:
            link = page.locator(FIRST[c]).first if c in FIRST else page.get_by_role(
                "link", name=c, exact=True).first
            with page.expect_navigation():
                link.click()
            page.wait_for_load_state()
        body = page.locator("main").inner_text()
        if expect.lower() not in body.lower():
            failures.append((user, page.url, body[:200]))
        ctx.close()
    assert not failures, failures


def test_sign_out_by_keyboard(server, browser):
    page = browser.new_page()
    page.goto(server + "/sign-in")
    page.get_by_label("User name").fill("teacher1")
    page.get_by_label("Password").fill("pw")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "/sign-in" not in u)
    page.get_by_role("button", name="Sign out").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/sign-in" in page.url
    page.goto(server + "/")
    assert "/sign-in" in page.url
    page.close()


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: Every page type, with an account that may open it ({...} filled from the district).
PAGE_TYPES = [
    (None, "/sign-in"), ("teacher1", "/"), ("teacher1", "/classes/{c1}"),
    ("teacher1", "/students/{child_a}"), ("teacher1", "/students/{child_a}/interventions"),
    ("gdn.two", "/students/{child_a}/family?lang=es"), ("student1", "/students/{child_a}/next"),
    ("leader1", "/schools/{school}"), ("district1", "/districts/{district}"),
    ("state1", "/accountability?level=district"), ("provider1", "/providers/prv-01"),
    ("researcher1", "/extracts/{district}"), ("admin1", "/admin/accounts"),
    ("teacher1", "/students/no-such-id"),
]


def test_axe_finds_no_serious_violations_on_any_page_type(district_db, browser, shapes):
    """axe-core in the browser on every page type: no serious or critical violations."""
    import json

    from sounding.store import Store

    with Store.open(district_db) as st:
        orgs = st.orgs()
    fill = {**shapes, "school": shapes["schools"][0],
            "district": str(orgs[orgs["type"] == "district"]["org_id"].iloc[0])}
    base, stop = _start(district_db)
    script = AXE.read_text(encoding="utf-8")
    found = {}
    try:
        for user, path in PAGE_TYPES:
            ctx = browser.new_context()
            page = ctx.new_page()
            if user:
                page.goto(base + "/sign-in")
                page.get_by_label("User name").fill(user)
                page.get_by_label("Password").fill("pw")
                page.keyboard.press("Enter")
                page.wait_for_url(lambda u: "/sign-in" not in u)
            page.goto(base + path.format(**fill))
            page.wait_for_load_state("networkidle")
            page.add_script_tag(content=script)
            result = page.evaluate("async () => JSON.stringify((await axe.run()).violations)")
            bad = [(v["id"], v["impact"], len(v["nodes"])) for v in json.loads(result)
                   if v["impact"] in ("serious", "critical")]
            if bad:
                found[path] = bad
            ctx.close()
    finally:
        stop()
    assert not found, found


def _tab_to(page, href_prefix: str, most: int = 60) -> None:
    """Press Tab until a link whose href starts with ``href_prefix`` has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        href = page.evaluate("() => document.activeElement && "
                             "document.activeElement.getAttribute('href')")
        if href and href.startswith(href_prefix):
            return
    raise AssertionError(f"no link to {href_prefix} reachable by Tab")


def test_keyboard_only_journeys(district_db, browser):
    """Teacher: sign in -> class -> student; guardian: sign in -> Spanish family page; all
    by keyboard (Tab, typing, Enter), no mouse."""
    base, stop = _start(district_db)
    try:
        for user, hops, expect in [("teacher1", ["/classes/", "/students/"], "Iceberg"),
                                   ("gdn.two", ["/students/"], "What comes next")]:
            page = browser.new_page()
            page.goto(base + "/sign-in")
            page.keyboard.press("Tab")  # skip link
            page.keyboard.press("Tab")  # home link
            page.keyboard.press("Tab")  # user name
            page.keyboard.type(user)
            page.keyboard.press("Tab")
            page.keyboard.type("pw")
            page.keyboard.press("Enter")
            page.wait_for_url(lambda u: "/sign-in" not in u)
            for prefix in hops:
                _tab_to(page, prefix)
                with page.expect_navigation():
                    page.keyboard.press("Enter")
            assert expect.lower() in page.locator("main").inner_text().lower(), page.url
            page.close()
    finally:
        stop()
