"""The pages: sign-in, a home per role, and one page per thing a role works from.

Every handler builds a :class:`~sounding.services.Context` for the signed-in principal and
calls services; what a service refuses (NotFound) is a 404 page, whether the object is
missing or outside the principal's scope. Sections that rest on data the store may lack
(scale scores for growth, say) say so instead of failing the page.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sounding.access.accounts import AuthenticationFailed, authenticate
from sounding.access.policy import Resource
from sounding.access.principal import Principal
from sounding.access.roles import Role
from sounding.errors import InvalidInput, NotFound
from sounding.web import charts, tables
from sounding.web.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    client_key,
    cookie_args,
    page_principal,
)
from sounding.web.cache import cached
from sounding.web.render import LANGUAGES, render

router = APIRouter(include_in_schema=False)

Who = Depends(page_principal)


def context(request: Request, who: Principal) -> Any:
    from sounding.web.cache import request_context

    return request_context(request, who)


def page(request: Request, template: str, **kw: Any) -> HTMLResponse:
    return HTMLResponse(render(request, template, **kw))


def optional(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """A section's data, or (None, why not) when the store lacks what it needs."""
    try:
        return fn(*args, **kwargs), None
    except (InvalidInput, NotFound) as exc:
        return None, str(exc)


# -- sign-in ----------------------------------------------------------------------------


def _safe_next(nxt: str | None) -> str:
    """Only a local path (no scheme, no host, no //) may follow sign-in."""
    if not nxt or not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        return "/"
    parts = urlparse(nxt)
    return "/" if parts.scheme or parts.netloc else nxt


def _sign_in_page(request: Request, *, nxt: str, error: str | None = None,
                  status: int = 200, username: str = "") -> HTMLResponse:
    import secrets

    auth = request.app.state.auth
    token = secrets.token_urlsafe(32)
    body = render(request, "sign_in.html", title="Sign in", next=nxt, error=error,
                  login_csrf=token, username=username)
    resp = HTMLResponse(body, status_code=status)
    resp.set_cookie(LOGIN_COOKIE, auth.sign(token), max_age=3600, **cookie_args(request))
    return resp


@router.get("/sign-in")
def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
    return _sign_in_page(request, nxt=_safe_next(next))


@router.post("/sign-in")
def sign_in(request: Request, username: str = Form(""), password: str = Form(""),
            csrf: str = Form(""), next: str = Form("/")) -> Response:  # noqa: A002
    import secrets

    auth = request.app.state.auth
    nxt = _safe_next(next)
    expected = auth.unsign(request.cookies.get(LOGIN_COOKIE), max_age=3600)
    if not expected or not secrets.compare_digest(expected, csrf or ""):
        return _sign_in_page(request, nxt=nxt, status=403,
                             error="The sign-in form had expired. Please try again.")
    keys = ("user:" + username.strip().lower(), client_key(request))
    if auth.throttle.blocked(*keys):
        return _sign_in_page(request, nxt=nxt, status=429, username=username,
                             error="Too many failed sign-ins. Wait a minute and try again.")
    try:
        who = authenticate(request.app.state.store, username.strip(), password)
    except AuthenticationFailed:
        auth.throttle.fail(*keys)
        return _sign_in_page(request, nxt=nxt, status=401, username=username,
                             error="Wrong user name or password.")
    auth.throttle.clear(keys[0])
    sid = auth.sessions.create(who.user)
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(SESSION_COOKIE, auth.sign(sid), **cookie_args(request))
    resp.delete_cookie(LOGIN_COOKIE, path="/")
    return resp


@router.post("/sign-out")
def sign_out(request: Request, csrf: str = Form(""), who: Principal = Who) -> Response:
    check_csrf(request, csrf)
    auth = request.app.state.auth
    sid = auth.unsign(request.cookies.get(SESSION_COOKIE))
    if sid:
        auth.sessions.end(sid)
    resp = RedirectResponse("/sign-in", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# -- home -------------------------------------------------------------------------------


@router.get("/")
def home(request: Request, who: Principal = Who) -> Response:
    """What this role opens first: the lists of what it may open."""
    from sounding import services as S

    ctx = context(request, who)
    if who.role is Role.student:
        own = S.students(ctx)
        if len(own) == 1:
            return RedirectResponse(f"/students/{own[0]['student_id']}/next", status_code=303)
    lists = {
        "classes": S.classes(ctx) if ctx.can(Resource.class_) else [],
        "schools": S.schools(ctx),
        "districts": S.districts(ctx),
        "states": S.states(ctx),
        "providers": S.providers(ctx),
        "children": S.students(ctx) if who.role in (Role.guardian, Role.student) else [],
    }
    return page(request, "home.html", title="Home", lists=lists,
                extract=ctx.can(Resource.extract), admin=ctx.can(Resource.accounts),
                accountability=ctx.can(Resource.state_summary)
                or ctx.can(Resource.provider_summary))


# -- teacher ----------------------------------------------------------------------------


@router.get("/classes/{class_id}")
def class_page(request: Request, class_id: str, who: Principal = Who) -> HTMLResponse:
    """The teacher's class: what to do first, the heat map, who misses which foundations of
    the next unit, small groups, whole-class topics to reteach."""
    from sounding import services as S
    from sounding.services.stored import prefetch_for

    ctx = context(request, who)
    prefetch_for(ctx, "class", class_id)  # the class's five stored views in one SELECT
    view = cached(ctx, S.class_view, class_id)
    plan, plan_note = optional(cached, ctx, S.class_plan, class_id)
    groups, groups_note = optional(cached, ctx, S.groups, class_id)
    progress, _ = optional(S.class_progress, ctx, class_id)
    mastery_over_time, _ = optional(S.class_mastery_progress, ctx, class_id)
    names = {s["student_id"]: s["name"] for s in view["students"]}
    teacher = plan["teacher_plan"] if plan else None
    reteach = []
    if teacher:
        reteach = [r for r in teacher["lead"] + teacher["more"]
                   if r["kind"] in ("reteach", "district_wide", "school_wide")]
    checks = plan.get("checks", []) if plan else []  # views stored before checks lack it
    return page(request, "class.html", title=view["title"], view=view, teacher=teacher,
                checks=checks,
                plan_note=plan_note, groups=groups, groups_note=groups_note, names=names,
                reteach=reteach, heatmap=charts.class_heatmap(view), progress=progress,
                standards_heatmap=charts.class_standards_heatmap(view),
                strand_rows=tables.strand_rows(view), p_mastered_rows=tables.p_mastered_rows(view),
                rec_html=tables.recommendation,
                mastery_over_time=mastery_over_time,
                mastery_chart=charts.class_mastery(mastery_over_time)
                if mastery_over_time else "",
                progress_chart=charts.class_progress(progress) if progress else "",
                standards_chart=charts.class_standards(view))


@router.get("/students/{student_id}")
def student_page(request: Request, student_id: str, who: Principal = Who) -> HTMLResponse:
    """One student's iceberg, pathway (ready to learn), evidence and the plan's tier."""
    from sounding import services as S

    ctx = context(request, who)
    view = cached(ctx, S.student_view, student_id, n_ready=8)
    ints = S.student_interventions(ctx, student_id, progress=False)
    return page(request, "student.html", title=view["name"], view=view,
                iceberg=charts.iceberg(view), interventions=ints["records"],
                can_record=ctx.can(Resource.class_),
                family=ctx.can(Resource.student) and who.role is not Role.student)


@router.get("/students/{student_id}/interventions")
def interventions_page(request: Request, student_id: str,
                       who: Principal = Who) -> HTMLResponse:
    """Progress monitoring: mastery change on each intervention's standards since it began."""
    from sounding import services as S

    ctx = context(request, who)
    view = cached(ctx, S.student_view, student_id, n_ready=0, n_unfinished=0)
    data = S.student_interventions(ctx, student_id, progress=True)
    return page(request, "interventions.html", title=f"Interventions: {view['name']}",
                view=view, data=data)


@router.post("/students/{student_id}/interventions")
def record_intervention(request: Request, student_id: str, intervention: str = Form(""),
                        standards: str = Form(""), start_date: str = Form(""),
                        minutes: str = Form(""), csrf: str = Form(""),
                        who: Principal = Who) -> Response:
    """A teacher (or other staff in scope) records an intervention for a student."""
    from sounding import services as S

    check_csrf(request, csrf)
    mins = int(minutes) if minutes.strip().isdigit() else None
    S.record_intervention(context(request, who), student_id, intervention=intervention,
                          standards=standards, start_date=start_date, minutes=mins)
    return RedirectResponse(f"/students/{student_id}/interventions", status_code=303)


@router.get("/students/{student_id}/next")
def ready_page(request: Request, student_id: str, who: Principal = Who) -> HTMLResponse:
    """A student's own page: what I am ready to learn next (the diagnostic plugs in here)."""
    from sounding import services as S

    view = cached(context(request, who), S.student_view, student_id, n_ready=5)
    return page(request, "ready.html", title="Ready to learn next", view=view)


@router.get("/students/{student_id}/family")
def family_page(request: Request, student_id: str, lang: str = "en",
                who: Principal = Who) -> HTMLResponse:
    """The family page, in English or Spanish, from the student's record."""
    from sounding import services as S

    lang = lang if lang in LANGUAGES else "en"
    view = cached(context(request, who), S.student_view, student_id, n_ready=3, n_unfinished=3)
    from sounding.web.i18n import ALGEBRA, GRADE, STRAND_NAMES

    # strengths: strands taught by now (some standards, a secure level) held on grade
    strong = [s for s in view["strands"] if s.get("grades_below") == 0
              and s.get("n_standards") and s.get("secure_through") is not None]
    return HTMLResponse(render(request, "family.html", lang=lang, title=view["name"],
                               view=view, strong=strong, languages=LANGUAGES,
                               strand_names=STRAND_NAMES, grade_word=GRADE,
                               algebra=ALGEBRA))


@router.get("/students/{student_id}/family/print")
def family_print(request: Request, student_id: str, who: Principal = Who) -> HTMLResponse:
    """The printable family report the planning package writes (English)."""
    from sounding import services as S

    return HTMLResponse(S.family_report(context(request, who), student_id)["html"])


# -- coach / school leader, district ---------------------------------------------------


@router.get("/schools/{school_id}")
def school_page(request: Request, school_id: str, who: Principal = Who) -> HTMLResponse:
    """A school's plan (coach / school leader), or its aggregates for summary roles."""
    from sounding import services as S
    from sounding.services.stored import prefetch_for

    ctx = context(request, who)
    prefetch_for(ctx, "school", school_id)  # the school's stored views in one SELECT
    growth, growth_note = optional(cached, ctx, S.school_growth, school_id)
    if not ctx.can(Resource.school):
        if growth is None:
            raise NotFound("no school")
        return page(request, "summary.html", title=f"School {school_id}", growth=growth,
                    growth_note=None)
    plan = cached(ctx, S.school_plan, school_id)
    ready, ready_note = optional(cached, ctx, S.readiness, school_id)
    classes = [c for c in S.classes(ctx) if c["school_id"] == school_id]
    return page(request, "school.html", title=f"School {school_id}", school_id=school_id,
                plan=plan, ready=ready, ready_note=ready_note, growth=growth,
                growth_note=growth_note, classes=classes,
                tiers_chart=charts.tier_load(plan))


@router.get("/districts/{district_id}")
def district_page(request: Request, district_id: str, who: Principal = Who) -> HTMLResponse:
    """The district plan, school comparison, system findings, Algebra I access."""
    from sounding import services as S

    ctx = context(request, who)
    growth, growth_note = optional(cached, ctx, S.district_growth, district_id)
    if not ctx.can(Resource.district):
        if growth is None:
            raise NotFound("no district")
        return page(request, "summary.html", title=f"District {district_id}", growth=growth,
                    growth_note=None)
    plan = cached(ctx, S.district_plan, district_id)
    schools = S.schools(ctx)
    comparison = []
    for s in schools:
        sg, _ = optional(cached, ctx, S.school_growth, s["school_id"])
        tiers = [t for t in plan["tiers"] if t.get("school_id") == s["school_id"]]
        n = len(tiers)
        comparison.append({
            "school_id": s["school_id"], "name": s["name"], "n_students": n,
            "tier3": sum(1 for t in tiers if t["tier"] == 3) / n if n else None,
            "tier2": sum(1 for t in tiers if t["tier"] == 2) / n if n else None,
            "growth": sg["rows"] if sg else []})
    ready, ready_note = optional(cached, ctx, S.readiness, None)
    system = [r for r in plan["recommendations"] if r["level"] == "system"]
    return page(request, "district.html", title=f"District {district_id}",
                district_id=district_id, plan=plan, comparison=comparison, system=system,
                ready=ready, ready_note=ready_note, growth=growth, growth_note=growth_note)


# -- state, provider, researcher ---------------------------------------------------------


@router.get("/accountability")
def accountability_page(request: Request, level: str = "district",
                        who: Principal = Who) -> HTMLResponse:
    """Accountability tables (suppressed) at school, district or provider level."""
    from sounding.web.queries import accountability

    if level not in ("school", "district", "provider"):
        raise NotFound("no such level")
    data, note = optional(accountability, context(request, who), level)
    return page(request, "accountability.html", title="Accountability", level=level,
                data=data, note=note)


@router.get("/providers/{provider_id}")
def provider_page(request: Request, provider_id: str, who: Principal = Who) -> HTMLResponse:
    from sounding import services as S

    growth = S.provider_growth(context(request, who), provider_id)
    return page(request, "summary.html", title=f"Provider {provider_id}", growth=growth,
                growth_note=None)


@router.get("/extracts/{district_id}")
def extract_page(request: Request, district_id: str, who: Principal = Who) -> HTMLResponse:
    from sounding import services as S

    data = S.research_extract(context(request, who), district_id)
    return page(request, "extract.html", title=f"Research extract {district_id}", data=data,
                district_id=district_id)


@router.get("/extracts/{district_id}/download")
def extract_download(request: Request, district_id: str, format: str = "csv",  # noqa: A002
                     who: Principal = Who) -> Response:
    """The de-identified, suppressed extract as CSV or Parquet."""
    import pandas as pd

    from sounding import services as S

    if format not in ("csv", "parquet"):
        raise NotFound("no such format")
    data = S.research_extract(context(request, who), district_id)
    df = pd.DataFrame(data["rows"])
    name = f"sounding-extract-{district_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(df.to_csv(index=False), media_type="text/csv", headers=headers)
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return Response(buf.getvalue(), media_type="application/vnd.apache.parquet",
                    headers=headers)


# -- admin ------------------------------------------------------------------------------


@router.get("/admin/accounts")
def accounts_page(request: Request, done: str = "", who: Principal = Who) -> HTMLResponse:
    from sounding import services as S

    rows = S.accounts(context(request, who))
    return page(request, "accounts.html", title="Accounts", rows=rows, done=done)


@router.post("/admin/accounts/{username}/password")
def reset_password(request: Request, username: str, password: str = Form(""),
                   csrf: str = Form(""), who: Principal = Who) -> Response:
    """An admin sets a new password; the user's open sessions end."""
    from urllib.parse import quote

    from sounding import services as S
    from sounding.access.policy import Action

    check_csrf(request, csrf)
    ctx = context(request, who)
    ctx.require(Resource.accounts, action=Action.write)  # 404 for everyone but admins
    S.reset_password(ctx, username, password)
    request.app.state.auth.sessions.end_user(username)
    return RedirectResponse(f"/admin/accounts?done={quote(username)}",
                            status_code=303)
