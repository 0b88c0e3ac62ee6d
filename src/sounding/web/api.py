"""The JSON API under ``/api/v1``: the same services and authorization as the pages.

Authenticate with ``Authorization: Bearer <token>`` (``sounding users token USERNAME``).
An id outside the token's scope answers 404 with the same body as a missing one.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request

from sounding.access.principal import Principal
from sounding.web.auth import api_principal
from sounding.web.cache import cached

router = APIRouter(prefix="/api/v1", tags=["v1"],
                   responses={401: {"description": "No or bad bearer token"},
                              404: {"description": "Missing, or outside your scope"}})

Who = Depends(api_principal)


def _ctx(request: Request, who: Principal) -> Any:
    from sounding.web.cache import request_context

    return request_context(request, who)


@router.get("/me")
def me(who: Principal = Who) -> dict[str, Any]:
    """Who the token signs in as."""
    return {"username": who.user, "role": who.role.value}


@router.get("/students")
def list_students(request: Request, who: Principal = Who) -> list[dict[str, Any]]:
    """The students whose records the token may open."""
    from sounding import services as S

    return S.students(_ctx(request, who))


@router.get("/students/{student_id}")
def student(request: Request, student_id: str, who: Principal = Who) -> dict[str, Any]:
    """One student's iceberg: secure level per strand, unfinished standards, ready to learn."""
    from sounding import services as S

    return cached(_ctx(request, who), S.student_view, student_id)


@router.get("/classes")
def list_classes(request: Request, who: Principal = Who) -> list[dict[str, Any]]:
    from sounding import services as S

    return S.classes(_ctx(request, who))


@router.get("/classes/{class_id}")
def klass(request: Request, class_id: str, who: Principal = Who) -> dict[str, Any]:
    """A class's heat-map rows, standards not secured and iceberg distribution."""
    from sounding import services as S

    return cached(_ctx(request, who), S.class_view, class_id)


@router.get("/classes/{class_id}/plan")
def class_plan(request: Request, class_id: str, who: Principal = Who) -> dict[str, Any]:
    """The class's plan, with ``teacher_plan`` (``lead`` first, ``more`` after)."""
    from sounding import services as S

    return cached(_ctx(request, who), S.class_plan, class_id)


@router.get("/schools")
def list_schools(request: Request, who: Principal = Who) -> list[dict[str, Any]]:
    from sounding import services as S

    return S.schools(_ctx(request, who))


@router.get("/schools/{school_id}/plan")
def school_plan(request: Request, school_id: str, who: Principal = Who) -> dict[str, Any]:
    from sounding import services as S

    return S.school_plan(_ctx(request, who), school_id)


@router.get("/districts/{district_id}/plan")
def district_plan(request: Request, district_id: str, who: Principal = Who) -> dict[str, Any]:
    from sounding import services as S

    return S.district_plan(_ctx(request, who), district_id)


@router.get("/accountability")
def accountability(request: Request, level: Literal["school", "district", "provider"],
                   who: Principal = Who) -> dict[str, Any]:
    """Suppressed accountability rows of every object of ``level`` the token may open."""
    from sounding.web.queries import accountability as rows

    return rows(_ctx(request, who), level)
