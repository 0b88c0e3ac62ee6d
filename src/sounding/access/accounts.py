"""Accounts: who may sign in, with which role and scope; passwords and API tokens.

Passwords are kept only as argon2id hashes (argon2-cffi, the OWASP recommendation); API
tokens are 256-bit random strings of which only the SHA-256 is stored. Accounts are
provisioned from the stored OneRoster roster (:func:`provision`): teachers, administrators,
students and guardians map to roles, and their scope comes from the roster when it is asked
for (:func:`~sounding.access.scope.resolve`), so a roster refresh moves a teacher's classes
without touching the account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sounding.access.principal import Principal
from sounding.access.roles import ONEROSTER_ROLES, Role, parse_role
from sounding.errors import InvalidInput, NotFound, SoundingError
from sounding.store import tables as T

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")
#: Characters of a printed token's prefix (``snd_``) that identify it as ours in logs/scanners.
TOKEN_PREFIX = "snd_"


class AuthenticationFailed(SoundingError):
    status = 401
    hint = "Check the user name and password (or token)."


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    scopes: tuple[str, ...]
    user_id: str | None
    display_name: str | None
    active: bool

    def principal(self) -> Principal:
        return Principal(self.username, self.role, frozenset(self.scopes), self.user_id)

    def to_dict(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role.value, "scopes": list(self.scopes),
                "user_id": self.user_id, "display_name": self.display_name,
                "active": self.active}


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash (salt and parameters inside the string)."""
    if not password:
        raise InvalidInput("the password is empty")
    return _hasher().hash(password)


def check_username(username: str) -> str:
    if not _USERNAME.match(username or ""):
        raise InvalidInput(f"user name {username!r} must be 1-128 letters, digits or _.@+- "
                           "(starting with a letter or digit)")
    return username


def _row_to_account(row: Any) -> Account:
    return Account(row.username, Role(row.role), tuple(json.loads(row.scopes or "[]")),
                   row.user_id, row.display_name, bool(row.active))


def add_account(store: Any, username: str, role: Role | str, *, scopes: Iterable[str] = (),
                password: str | None = None, user_id: str | None = None,
                display_name: str | None = None, replace: bool = False) -> Account:
    """Create (or with ``replace``, overwrite) an account; the password is hashed here."""
    check_username(username)
    role = parse_role(role) if isinstance(role, str) else role
    values = {"username": username, "role": role.value,
              "scopes": json.dumps(sorted({str(s) for s in scopes})), "user_id": user_id,
              "display_name": display_name, "active": True,
              "password_hash": hash_password(password) if password is not None else None,
              "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    a = T.accounts.c
    with store.begin() as conn:
        exists = conn.execute(sa.select(a.username).where(a.username == username)).first()
        if exists and not replace:
            raise InvalidInput(f"user {username!r} already exists")
        if exists:
            conn.execute(T.accounts.delete().where(a.username == username))
        conn.execute(T.accounts.insert().values(**values))
    return get_account(store, username)


def set_password(store: Any, username: str, password: str) -> None:
    """Replace ``username``'s password (argon2id hash); NotFound for an unknown user."""
    pw = hash_password(password)
    with store.begin() as conn:
        res = conn.execute(T.accounts.update().where(T.accounts.c.username == username)
                           .values(password_hash=pw))
    if not res.rowcount:
        raise NotFound(f"no user {username!r}")


def get_account(store: Any, username: str) -> Account:
    """The account, or NotFound."""
    a = T.accounts.c
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(T.accounts).where(a.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    return _row_to_account(row)


def list_accounts(store: Any) -> list[Account]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(T.accounts).order_by(T.accounts.c.username)).all()
    return [_row_to_account(r) for r in rows]


def principal_for(store: Any, username: str) -> Principal:
    """The principal an account acts as (``--as USERNAME``); an inactive account is NotFound."""
    account = get_account(store, username)
    if not account.active:
        raise NotFound(f"no user {username!r}")
    return account.principal()


def authenticate(store: Any, username: str, password: str) -> Principal:
    """The principal for a correct password, else AuthenticationFailed (same message for an
    unknown user and a wrong password)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    a = T.accounts.c
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(T.accounts).where(a.username == username)).first()
    if row is None or not row.active or not row.password_hash:
        _hasher().hash("timing-equaliser")  # an unknown user costs what a known one does
        raise AuthenticationFailed("wrong user name or password")
    try:
        _hasher().verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationFailed("wrong user name or password") from None
    return _row_to_account(row).principal()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: Any, username: str) -> str:
    """A new bearer token for ``username`` (printed once; only its hash is kept)."""
    get_account(store, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.begin() as conn:
        conn.execute(T.api_tokens.insert().values(
            token_hash=_token_hash(token), username=username, revoked=False,
            created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    return token


def principal_for_token(store: Any, token: str) -> Principal:
    """The principal a bearer token stands for, else AuthenticationFailed."""
    t = T.api_tokens.c
    with store.engine.connect() as conn:
        user = conn.execute(sa.select(t.username).where(t.token_hash == _token_hash(token))
                            .where(t.revoked.is_(False))).scalar()
    if user is None:
        raise AuthenticationFailed("unknown or revoked token")
    try:
        return principal_for(store, user)
    except NotFound:
        raise AuthenticationFailed("unknown or revoked token") from None


def revoke_tokens(store: Any, username: str) -> int:
    with store.begin() as conn:
        res = conn.execute(T.api_tokens.update().where(T.api_tokens.c.username == username)
                           .values(revoked=True))
    return int(res.rowcount or 0)


@dataclass(frozen=True)
class Provisioned:
    created: dict[str, int]
    skipped: int

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "skipped_existing": self.skipped,
                "total": sum(self.created.values())}


def roster_accounts(store: Any) -> list[dict[str, Any]]:
    """The accounts the stored roster implies: one per roster user with a role we map.

    Teachers, students and guardians (``parent``/``guardian``/``relative``) keep an empty
    scope (their classes / self / children come from the roster when asked); administrators
    of a school become ``school_leader`` and of a district ``district``, scoped to that org.
    A user with several roles gets the broadest (district over school leader over teacher).
    """
    u, r, o = T.users.c, T.roles.c, T.orgs.c
    active = sa.or_(r.status.is_(None), r.status != "tobedeleted")
    with store.engine.connect() as conn:
        org_type = dict(conn.execute(sa.select(o.org_id, o.type)).all())
        rows = conn.execute(sa.select(r.user_id, r.role, r.org_id, u.username, u.given_name,
                                      u.family_name)
                            .join(T.users, u.user_id == r.user_id).where(active)
                            .order_by(r.user_id)).all()
    rank = {Role.admin: 0, Role.district: 1, Role.school_leader: 2, Role.teacher: 3,
            Role.guardian: 4, Role.student: 5}
    best: dict[str, dict[str, Any]] = {}
    for uid, roster_role, org, username, given, family in rows:
        role = ONEROSTER_ROLES.get(roster_role)
        if role is None:
            continue
        scopes: set[str] = set()
        if role in (Role.school_leader, Role.district):
            role = Role.district if org_type.get(org) == "district" else Role.school_leader
            scopes = {str(org)}
        cur = best.get(uid)
        if cur is not None and rank[cur["role"]] < rank[role]:
            continue
        if cur is not None and cur["role"] is role:
            cur["scopes"] |= scopes
            continue
        name = " ".join(x for x in (given, family) if x) or None
        login = username if username and _USERNAME.match(username) else uid
        best[uid] = {"username": login, "role": role, "scopes": scopes, "user_id": uid,
                     "display_name": name}
    return list(best.values())


def provision(store: Any) -> Provisioned:
    """Create an account (no password: set one with ``users add --replace`` or use a token)
    for every roster user with a mapped role who has none yet; existing accounts stay."""
    a = T.accounts.c
    with store.engine.connect() as conn:
        have_user = {r[0] for r in conn.execute(sa.select(a.user_id)) if r[0]}
        have_name = {r[0] for r in conn.execute(sa.select(a.username))}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    new, skipped, created = [], 0, {}
    for acc in roster_accounts(store):
        if acc["user_id"] in have_user or acc["username"] in have_name:
            skipped += 1
            continue
        have_name.add(acc["username"])
        new.append({"username": acc["username"], "role": acc["role"].value,
                    "scopes": json.dumps(sorted(acc["scopes"])), "user_id": acc["user_id"],
                    "display_name": acc["display_name"], "password_hash": None,
                    "active": True, "created_at": now})
        created[acc["role"].value] = created.get(acc["role"].value, 0) + 1
    if new:
        with store.begin() as conn:
            conn.execute(T.accounts.insert(), new)
    return Provisioned(dict(sorted(created.items())), skipped)
