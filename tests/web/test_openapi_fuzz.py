"""schemathesis against the OpenAPI document: no generated request gets a 500, signed in as
a teacher (student rows in scope) and as a state analyst (aggregates only)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from sounding.access.accounts import issue_token


@pytest.fixture(scope="module")
def schema(web_app):
    return schemathesis.openapi.from_asgi("/openapi.json", web_app)


def test_no_500_on_generated_requests(web_app, schema):
    tokens = {u: issue_token(web_app.state.store, u) for u in ("teacher1", "state1")}
    seen = []
    for op in schema.get_all_operations():
        operation = op.ok()

        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            for tok in tokens.values():
                r = case.call(headers={"Authorization": f"Bearer {tok}"})
                assert r.status_code < 500, (case.method, case.formatted_path, r.text[:200])
                seen.append(r.status_code)

        run()
    assert len(seen) >= 40 and 200 in seen and 404 in seen
