"""Accounts (argon2id passwords, hashed tokens, provisioning), the policy table, the CLI."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from sounding.access import (
    POLICY,
    AuthenticationFailed,
    Principal,
    Resource,
    Role,
    add_account,
    authenticate,
    can,
    issue_token,
    principal_for,
    principal_for_token,
    provision,
)
from sounding.access.policy import DISCLOSURE
from sounding.cli import main
from sounding.errors import InvalidInput, NotFound
from sounding.store import Store
from sounding.store import tables as T


def test_the_policy_denies_by_default_and_names_every_role():
    assert set(POLICY) == set(Role) == set(DISCLOSURE)
    assert all(can(Role.admin, "read", r) for r in Resource)
    for role in (Role.state, Role.provider, Role.researcher):
        assert not any(can(role, "read", r) for r in (Resource.student, Resource.class_,
                                                       Resource.school, Resource.district))
        assert not DISCLOSURE[role].student_rows and DISCLOSURE[role].min_n == 10
    assert not can(Role.teacher, "read", Resource.school)
    assert not can(Role.guardian, "read", Resource.class_summary)
    assert not any(can(r, "write", Resource.accounts) for r in Role if r is not Role.admin)
    assert DISCLOSURE[Role.researcher].deidentify


def test_passwords_are_argon2_hashes_and_tokens_are_stored_hashed(tmp_path):
    with Store.open(tmp_path / "a.db") as store:
        add_account(store, "ana", Role.teacher, scopes=["c1"], password="s3cret")
        with store.engine.connect() as conn:
            stored = conn.execute(sa.select(T.accounts.c.password_hash)).scalar()
        assert stored.startswith("$argon2id$") and "s3cret" not in stored
        assert authenticate(store, "ana", "s3cret") == Principal("ana", Role.teacher,
                                                                  frozenset({"c1"}))
        for user, pw in (("ana", "wrong"), ("nobody", "s3cret")):
            with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
                authenticate(store, user, pw)
        token = issue_token(store, "ana")
        with store.engine.connect() as conn:
            hashes = [r[0] for r in conn.execute(sa.select(T.api_tokens.c.token_hash))]
        assert token not in hashes and len(hashes) == 1 and len(hashes[0]) == 64
        assert principal_for_token(store, token).user == "ana"
        with pytest.raises(AuthenticationFailed):
            principal_for_token(store, token + "x")
        with pytest.raises(InvalidInput, match="already exists"):
            add_account(store, "ana", Role.admin)
        with pytest.raises(InvalidInput, match="unknown role"):
            add_account(store, "bob", "superuser")
        with pytest.raises(NotFound):
            principal_for(store, "bob")


def test_provisioning_maps_roster_roles(tmp_path):
    with Store.open(tmp_path / "p.db") as store:
        with store.begin() as conn:
            conn.execute(T.orgs.insert(), [
                {"org_id": "d1", "name": "D", "type": "district"},
                {"org_id": "s1", "name": "S", "type": "school", "parent_id": "d1"}])
            conn.execute(T.users.insert(), [
                {"user_id": u, "username": u.replace("-", "."), "given_name": u}
                for u in ("t-1", "a-1", "a-2", "s-1", "p-1", "x-1")])
            conn.execute(T.roles.insert(), [
                {"role_id": f"r{i}", "user_id": u, "role_type": "primary", "role": r, "org_id": o}
                for i, (u, r, o) in enumerate([
                    ("t-1", "teacher", "s1"), ("a-1", "administrator", "s1"),
                    ("a-2", "districtAdministrator", "d1"), ("s-1", "student", "s1"),
                    ("p-1", "parent", "s1"), ("x-1", "aide", "s1")])])
        result = provision(store)
        assert result.created == {"district": 1, "guardian": 1, "school_leader": 1,
                                  "student": 1, "teacher": 1}
        assert provision(store).created == {} and provision(store).skipped == 5
        leader = principal_for(store, "a.1")
        assert leader.role is Role.school_leader and leader.scope == {"s1"}
        assert principal_for(store, "a.2").scope == {"d1"}
        assert principal_for(store, "t.1").user_id == "t-1"


def test_users_cli_add_list_token_and_as(tmp_path, capsys, monkeypatch):
    import io

    db = str(tmp_path / "u.db")
    monkeypatch.setattr("sys.stdin", io.StringIO("pw1\n"))
    assert main(["users", "add", "ana", "--role", "teacher", "--scope", "c1",
                 "--password-stdin", "--db", db]) == 0
    capsys.readouterr()
    assert main(["users", "list", "--db", db, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"username": "ana", "role": "teacher", "scopes": ["c1"], "user_id": None,
                     "display_name": None, "active": True}]
    assert main(["users", "token", "ana", "--db", db]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("snd_") and len(token) > 40
    assert main(["users", "provision", "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0
    # a teacher acting through --as may not manage accounts, and cannot tell why
    assert main(["--as", "ana", "users", "list", "--db", db]) == 1
    assert "no such command" in capsys.readouterr().err
    assert main(["--as", "ghost", "users", "list", "--db", db]) == 1
    assert "no user 'ghost'" in capsys.readouterr().err
