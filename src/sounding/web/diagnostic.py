"""The diagnostic's pages and API: a student takes it one item at a time; staff read results.

Mounted by :func:`mount` (``web/app.py``). Every handler calls the query layer
(:mod:`sounding.services.diagnostic`), which decides who may do what; an answer is committed
before the next item goes back (:mod:`sounding.diagnostic.durable`), so a reload, a closed
browser or a killed server resumes on the same question.

API (bearer token of a student account for the writes):

- ``POST /api/v1/diagnostic/sessions``: start or resume the student's diagnostic;
- ``GET /api/v1/diagnostic/sessions/{session_id}``: items answered, done, placement;
- ``POST /api/v1/diagnostic/sessions/{session_id}/answers`` with
  ``{"item_id": ..., "response": "..."}``: the next item, or the result at the end.

Pages: ``/diagnostic`` (the student's test: an introduction, then one item per page with a
plain form, no timer, no right/wrong marks, and a growth-framed end),
``/diagnostic/classes/{class_id}`` (a class's results as they come in).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sounding.access.principal import Principal
from sounding.errors import InvalidInput
from sounding.web.auth import api_principal, check_csrf, page_principal
from sounding.web.render import render

api = APIRouter(prefix="/api/v1/diagnostic", tags=["diagnostic"],
                responses={401: {"description": "No or bad bearer token"},
                           404: {"description": "Missing, or outside your scope"},
                           422: {"description": "Not the item being asked, or a bad body"}})
pages = APIRouter(include_in_schema=False)

ApiWho = Depends(api_principal)
PageWho = Depends(page_principal)

_ANSWER_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["item_id", "response"],
        "properties": {"item_id": {"type": "string", "description": "the item being asked"},
                       "response": {"type": "string", "maxLength": 200,
                                    "description": "what the student typed (or an option "
                                                   "letter for a choice item)"}}}}},
}


def mount(app: FastAPI) -> None:
    """Add the diagnostic's routes to ``app`` and its evidence writer to ``app.state``."""
    from sounding.services.diagnostic import evidence_writer, warm_engine

    app.include_router(pages)
    app.include_router(api)
    app.state.diagnostic_writer = evidence_writer(app.state.store)
    # build the engine (model + item bank, a few seconds) before the first student needs it
    threading.Thread(target=warm_engine, name="diagnostic-warm", daemon=True).start()


def _ctx(request: Request, who: Principal) -> Any:
    from sounding.services import Context
    from sounding.web.cache import RequestCache

    request.app.state.diagnostic_writer.ensure_running()
    return Context(request.app.state.store, who, cache=RequestCache(request.app.state.cache, who))


def _after(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    if view.get("done"):
        request.app.state.diagnostic_writer.poke()  # its results become evidence soon
    return view


# -- API ------------------------------------------------------------------------------------


@api.post("/sessions")
def start_session(request: Request, who: Principal = ApiWho) -> dict[str, Any]:
    """Start the signed-in student's diagnostic, or resume it where it was left (the same
    pending item). Only a student account may take a diagnostic; others get 404."""
    from sounding.services.diagnostic import diagnostic_start

    return _after(request, diagnostic_start(_ctx(request, who)))


@api.get("/sessions/{session_id}")
def get_session(request: Request, session_id: str, who: Principal = ApiWho) -> dict[str, Any]:
    """A session's state: items answered, done, the pending item, the placement at the end."""
    from sounding.services.diagnostic import diagnostic_session

    return diagnostic_session(_ctx(request, who), session_id)


@api.post("/sessions/{session_id}/answers", openapi_extra={"requestBody": _ANSWER_BODY})
async def post_answer(request: Request, session_id: str,
                      who: Principal = ApiWho) -> dict[str, Any]:
    """Answer the pending item. The answer is committed before the reply, which carries the
    next item or, when the test is over, the placement. Sending the same answer again (a
    retry after a lost reply) returns the current state with ``repeated: true``."""
    from starlette.concurrency import run_in_threadpool

    from sounding.services.diagnostic import diagnostic_answer

    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        body = None
    item_id = body.get("item_id") if isinstance(body, dict) else None
    response = body.get("response") if isinstance(body, dict) else None
    ctx = _ctx(request, who)
    view = await run_in_threadpool(diagnostic_answer, ctx, session_id, item_id, response)
    return _after(request, view)


# -- pages ----------------------------------------------------------------------------------


def _page(request: Request, template: str, status: int = 200, **kw: Any) -> HTMLResponse:
    return HTMLResponse(render(request, template, **kw), status_code=status)


@pages.get("/diagnostic")
def take_page(request: Request, who: Principal = PageWho) -> Response:
    """The student's diagnostic: the introduction, the pending item, or the end."""
    from sounding import services as S
    from sounding.services.diagnostic import _own_student, diagnostic_session

    ctx = _ctx(request, who)
    student_id = _own_student(ctx)
    status = S.diagnostic_status(ctx, student_id)
    if status["status"] == "not_started":
        return _page(request, "diagnostic/intro.html", title="Your math check-in")
    view = diagnostic_session(ctx, status["session_id"])
    if view["done"]:
        from sounding.web.i18n import STRAND_NAMES

        return _page(request, "diagnostic/done.html", title="What you are ready to learn next",
                     view=view, strand_names=STRAND_NAMES)
    error = request.query_params.get("error")
    return _page(request, "diagnostic/item.html",
                 title=f"Question {view['items_answered'] + 1}", view=view, item=view["item"],
                 error=error if error in _ERRORS else None, errors=_ERRORS)


_ERRORS = {"empty": "Type an answer, or choose one, before going on. If you are not sure, "
                    "your best try is fine, or type \"I don't know\"."}


@pages.post("/diagnostic/start")
def start_page(request: Request, csrf: str = Form(""), who: Principal = PageWho) -> Response:
    """Begin (or resume) the test, then show its current item."""
    from sounding.services.diagnostic import diagnostic_start

    check_csrf(request, csrf)
    _after(request, diagnostic_start(_ctx(request, who)))
    return RedirectResponse("/diagnostic", status_code=303)


@pages.post("/diagnostic/answer")
def answer_page(request: Request, session_id: str = Form(""), item_id: str = Form(""),
                response: str = Form(""), csrf: str = Form(""),
                who: Principal = PageWho) -> Response:
    """Keep the answer (committed before the next page), then show the next item or the end.
    Post/redirect/get: reloading the next page never sends an answer twice."""
    from sounding.services.diagnostic import _own_student, diagnostic_answer, diagnostic_session

    check_csrf(request, csrf)
    ctx = _ctx(request, who)
    _own_student(ctx)
    if not response.strip():
        diagnostic_session(ctx, session_id)  # NotFound unless it is the student's own
        return RedirectResponse("/diagnostic?error=empty#answer", status_code=303)
    try:
        _after(request, diagnostic_answer(ctx, session_id, item_id, response))
    except InvalidInput:
        pass  # an old page (another tab answered it): show what is being asked now
    return RedirectResponse("/diagnostic", status_code=303)


@pages.get("/diagnostic/classes/{class_id}")
def class_results_page(request: Request, class_id: str,
                       who: Principal = PageWho) -> HTMLResponse:
    """A class's diagnostic results as they come in."""
    from sounding import services as S

    ctx = _ctx(request, who)
    data = S.diagnostic_class_results(ctx, class_id)
    title = next((c["title"] for c in S.classes(ctx) if str(c["class_id"]) == str(class_id)),
                 class_id)
    return _page(request, "diagnostic/class.html", title=f"Diagnostic results: {title}",
                 data=data, class_id=class_id)
