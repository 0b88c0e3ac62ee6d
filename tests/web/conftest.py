"""The web tests run on the services' tiny stored district (tests/services/conftest.py): the
same accounts (password ``pw``) and roster shapes the query-layer sweep uses."""

from __future__ import annotations

import pytest

from tests.services.conftest import district_db, shapes, store_copy  # noqa: F401

USERS = ["admin1", "district1", "leader1", "teacher1", "two.schools", "student1", "gdn.two",
         "state1", "provider1", "researcher1"]


@pytest.fixture(scope="session")
def web_app(district_db):  # noqa: F811
    from sounding.web import create_app

    return create_app(district_db, secret="test-secret")


def sign_in(client, username: str, password: str = "pw") -> None:
    """Sign ``client`` in through the form (CSRF token from the page, as a browser does)."""
    import re

    page = client.get("/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/sign-in", data={"username": username, "password": password,
                                      "csrf": token, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, (username, r.status_code, r.text[:300])


@pytest.fixture(scope="session")
def clients(web_app):
    """One signed-in TestClient per account."""
    from fastapi.testclient import TestClient

    out = {}
    for u in USERS:
        c = TestClient(web_app, base_url="http://127.0.0.1")
        sign_in(c, u)
        out[u] = c
    return out
