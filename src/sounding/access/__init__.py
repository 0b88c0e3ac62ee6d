"""Who may see what: principals, roles, the access policy, scope, disclosure, the access log.

    from sounding.access import Principal, Role, resolve, can, Resource
    reach = resolve(store, Principal("t1", Role.teacher, user_id="tch-0001"))
    reach.has("student", "stu-0000001")

Deny by default: :data:`~sounding.access.policy.POLICY` grants each role reads of resource
kinds, :func:`~sounding.access.scope.resolve` says which objects its scope holds, and the
services (:mod:`sounding.services`) check both before every read and redact every result.
"""

from sounding.access.accounts import (
    Account,
    AuthenticationFailed,
    add_account,
    authenticate,
    get_account,
    issue_token,
    list_accounts,
    principal_for,
    principal_for_token,
    provision,
)
from sounding.access.disclosure import Pseudonyms, deidentify, redact
from sounding.access.log import read_log, record
from sounding.access.policy import DISCLOSURE, POLICY, Action, Disclosure, Resource, can
from sounding.access.principal import Principal
from sounding.access.roles import Role, parse_role
from sounding.access.scope import Reach, resolve

__all__ = [
    "DISCLOSURE", "POLICY", "Account", "Action", "AuthenticationFailed", "Disclosure",
    "Principal", "Pseudonyms", "Reach", "Resource", "Role", "add_account", "authenticate", "can",
    "deidentify", "get_account", "issue_token", "list_accounts", "parse_role", "principal_for",
    "principal_for_token", "provision", "read_log", "record", "redact", "resolve",
]
