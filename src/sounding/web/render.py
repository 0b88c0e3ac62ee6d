"""Jinja2 rendering for the pages: one environment per language (English, Spanish).

Messages are marked with ``_()`` / ``{% trans %}`` and translated from the gettext catalogues
in ``sounding/web/locale`` (Babel: ``pybabel extract/update/compile``; the compiled ``.mo``
files are committed, see notes/web.md).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, PackageLoader, select_autoescape

LOCALES = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "es": "Español"}


def _pct(v: Any, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if isinstance(v, str):
        return v
    return f"{100 * float(v):.{digits}f}%"


def _num(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return f"{v:,.1f}"
    return f"{v:,}"


@lru_cache(maxsize=4)
def environment(lang: str = "en") -> Environment:
    env = Environment(loader=PackageLoader("sounding.web", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    trans = gettext.translation("messages", localedir=str(LOCALES), languages=[lang],
                                fallback=True)
    env.install_gettext_translations(trans, newstyle=True)  # type: ignore[attr-defined]
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    return env


def render(request: Request, template: str, *, lang: str = "en", **context: Any) -> str:
    who = getattr(request.state, "principal", None)
    return environment(lang if lang in LANGUAGES else "en").get_template(template).render(
        request=request, who=who, csrf=getattr(request.state, "csrf", ""), lang=lang,
        **context)
