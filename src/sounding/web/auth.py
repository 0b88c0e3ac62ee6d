"""Sign-in for the web application: sessions, CSRF tokens, login throttling, bearer tokens.

- A session is a random id kept server-side in the store (:class:`Sessions`, shared by
  every worker of ``sounding serve --workers N``) and sent as a signed cookie
  (itsdangerous): HttpOnly, SameSite=Lax, Secure when the request came over TLS (directly or
  ``X-Forwarded-Proto: https`` from the proxy in front). Signing out or an admin's password
  reset ends it at once, which a self-contained cookie could not do.
- Every form carries the session's CSRF token (the sign-in form a pre-session one, kept in
  its own signed cookie: double submit); a POST without the right token is refused (403).
- Failed sign-ins are throttled per user name and per client address (in the store too): more than
  :data:`MAX_FAILURES` in :data:`WINDOW` seconds answers 429 until the window has passed.
- The JSON API takes ``Authorization: Bearer <token>`` from ``sounding users token``.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from sounding.access.accounts import AuthenticationFailed, principal_for, principal_for_token
from sounding.access.principal import Principal
from sounding.errors import NotFound
from sounding.services.sessions import IDLE, Session, Sessions, Throttle

SESSION_COOKIE = "sounding_session"
LOGIN_COOKIE = "sounding_login"


__all__ = ["IDLE", "Auth", "Session", "Sessions", "Throttle"]


class SignInRequired(Exception):
    """A page was asked for without a (live) session: redirect to the sign-in page."""


class ApiUnauthorized(Exception):
    """An API call without a valid bearer token: 401."""


class CsrfFailed(Exception):
    """A form came without the session's CSRF token: 403."""


class Auth:
    """The app's sessions, throttles and cookie signer."""

    def __init__(self, store: Any, secret: str | None = None) -> None:
        self.signer = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32),
                                             salt="sounding-web")
        self.sessions = Sessions(store)
        self.throttle = Throttle(store)

    # -- cookies -------------------------------------------------------------------------
    def sign(self, value: str) -> str:
        return self.signer.dumps(value)

    def unsign(self, token: str | None, max_age: int = IDLE) -> str | None:
        if not token:
            return None
        try:
            return str(self.signer.loads(token, max_age=max_age))
        except BadSignature:
            return None

    def session(self, request: Request) -> tuple[str, Session] | None:
        sid = self.unsign(request.cookies.get(SESSION_COOKIE))
        if sid is None:
            return None
        s = self.sessions.get(sid)
        return None if s is None else (sid, s)


def secure_request(request: Request) -> bool:
    """Whether the browser reached us over TLS (directly or via a proxy that says so)."""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or proto == "https"


def cookie_args(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": secure_request(request),
            "path": "/"}


def client_key(request: Request) -> str:
    return "ip:" + (request.client.host if request.client else "unknown")


def page_principal(request: Request) -> Principal:
    """The signed-in principal of a page request, else SignInRequired (redirect)."""
    auth: Auth = request.app.state.auth
    found = auth.session(request)
    if found is None:
        raise SignInRequired()
    sid, s = found
    try:
        who = principal_for(request.app.state.store, s.username)
    except NotFound:  # the account was removed or deactivated meanwhile
        auth.sessions.end(sid)
        raise SignInRequired() from None
    request.state.csrf = s.csrf
    request.state.principal = who
    return who


def api_principal(request: Request) -> Principal:
    """The principal of a bearer token, else ApiUnauthorized (401)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiUnauthorized()
    try:
        return principal_for_token(request.app.state.store, token.strip())
    except AuthenticationFailed:
        raise ApiUnauthorized() from None


def check_csrf(request: Request, token: str | None) -> None:
    """A form's token must equal the session's (constant-time compare)."""
    expected = getattr(request.state, "csrf", None)
    if not expected or not token or not secrets.compare_digest(expected, token):
        raise CsrfFailed()
