"""The diagnostic in a real browser (Debian's Chromium, Playwright), against uvicorn:

- a student signs in and takes the whole test with the keyboard alone (Tab, typing, arrow
  keys, Space, Enter);
- a student closes the page mid-test, signs in again in a new browser context and carries on
  with the same question;
- axe-core finds no serious or critical violation on the test's pages (introduction, a
  question, the end) and on the teacher's results page.

Runs on a private copy of the tiny district: finishing writes evidence."""

from __future__ import annotations

import json
import random

from tests.web.test_browser import AXE, _start, browser, pytestmark  # noqa: F401
from tests.web.test_diagnostic import no_sessions

MAX_STEPS = 40


def _sign_in_by_keyboard(page, base: str, user: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("User name").focus()
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    page.keyboard.type("pw")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "/sign-in" not in u)


def _focused(page, expr: str) -> object:
    return page.evaluate(f"() => {{ const e = document.activeElement; return e && ({expr}); }}")


def _tab_until(page, expr: str, most: int = 40) -> None:
    for _ in range(most):
        if _focused(page, expr):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"nothing matching {expr} reachable by Tab on {page.url}")


def _axe(page) -> list:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => JSON.stringify((await axe.run()).violations)")
    return [(v["id"], v["impact"], len(v["nodes"])) for v in json.loads(result)
            if v["impact"] in ("serious", "critical")]


def _answer_by_keyboard(page, rng: random.Random) -> None:
    """Answer the question on the page with keys only, then submit with Enter."""
    from sounding.diagnostic import durable

    item_id = page.locator("input[name=item_id]").get_attribute("value")
    item = durable.default_engine().bank.item(item_id)
    if item.answer_type == "choice":
        _tab_until(page, "e.type === 'radio'")
        for _ in range(rng.randrange(len(item.options))):
            page.keyboard.press("ArrowDown")  # moves and selects within the group
        page.keyboard.press("Space")
        _tab_until(page, "e.tagName === 'BUTTON' && e.type === 'submit' && "
                         "e.textContent.includes('Save')")
    else:
        _tab_until(page, "e.name === 'response'")
        page.keyboard.type(item.key if rng.random() < 0.5 else "I don't know")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_student_takes_the_test_by_keyboard_and_axe_passes(store_copy, browser,  # noqa: F811
                                                              shapes):
    base, stop = _start(no_sessions(store_copy))
    violations = {}
    try:
        page = browser.new_page()
        page.set_default_timeout(30_000)
        _sign_in_by_keyboard(page, base, "student1")
        _tab_until(page, "e.getAttribute('href') === '/diagnostic'")  # from the home page
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "no timer" in page.locator("main").inner_text()
        violations["intro"] = _axe(page)
        _tab_until(page, "e.id === 'start'")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        rng = random.Random(2)
        for step in range(MAX_STEPS):
            text = page.locator("main").inner_text()
            if "ready to learn next" in text.lower():
                break
            assert f"Question {step + 1}" in text and page.locator("math").count() >= 0
            low = text.lower()
            assert "incorrect" not in low and "wrong" not in low  # no marks during the test
            if step == 0:
                violations["question"] = _axe(page)
            _answer_by_keyboard(page, rng)
        else:
            raise AssertionError("the test did not end")
        assert "Here is what you are ready to learn next" in page.locator("main").inner_text()
        violations["end"] = _axe(page)
        page.close()
        teacher = browser.new_page()
        _sign_in_by_keyboard(teacher, base, "teacher1")
        teacher.goto(base + f"/diagnostic/classes/{shapes['c1']}")
        assert "1 finished" in teacher.locator("main").inner_text()
        violations["class results"] = _axe(teacher)
        teacher.close()
    finally:
        stop()
    assert not any(violations.values()), violations


def test_closing_the_page_mid_test_resumes_on_the_same_question(store_copy,
                                                               browser):  # noqa: F811
    base, stop = _start(no_sessions(store_copy))
    try:
        ctx = browser.new_context()
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        _sign_in_by_keyboard(page, base, "student1")
        page.goto(base + "/diagnostic")
        _tab_until(page, "e.id === 'start'")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        rng = random.Random(0)
        for _ in range(2):  # "I don't know" twice: the engine keeps asking after that
            rng.random = lambda: 1.0  # type: ignore[method-assign]
            _answer_by_keyboard(page, rng)
        assert "Question 3" in page.locator("main").inner_text()
        item_id = page.locator("input[name=item_id]").get_attribute("value")
        ctx.close()  # the browser is closed: cookies and page gone
        ctx2 = browser.new_context()
        page2 = ctx2.new_page()
        _sign_in_by_keyboard(page2, base, "student1")
        _tab_until(page2, "e.getAttribute('href') === '/diagnostic'")
        with page2.expect_navigation():
            page2.keyboard.press("Enter")
        assert "Question 3" in page2.locator("main").inner_text()
        assert page2.locator("input[name=item_id]").get_attribute("value") == item_id
        ctx2.close()
    finally:
        stop()
