from __future__ import annotations


def test_every_role_gets_a_home_page(clients, shapes):
    for user, c in clients.items():
        r = c.get("/")
        assert r.status_code == 200, (user, r.status_code, r.text[:500])
