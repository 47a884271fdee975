"""Schemathesis against the generated OpenAPI document, on SQLite and on PostgreSQL: for every
operation a bounded number of generated requests (valid and invalid) with an admin token and with
a department token, asserting no server error, documented status codes and content types, and
responses that match their schemas."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance, not_a_server_error, response_headers_conformance, response_schema_conformance,
    status_code_conformance,
)

from test_api_kit import running_api

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
MAX_EXAMPLES = 25  # per operation and token: keeps the run short


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_openapi_document_holds_for_generated_requests(tmp_path, db):
    with running_api(tmp_path, db) as api:
        api.apply()  # something to find
        app = api.client.app  # its lifespan is running: the same app object answers schemathesis
        schema = schemathesis.openapi.from_asgi("/v1/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 25
        seen: dict[str, set[int]] = {}
        for who in ("admin", "tj"):  # the department token again on the workflow, where its view differs
            headers = {"Authorization": f"Bearer {api.tokens[who]}"}
            for op in operations:
                if who == "tj" and not op.path.startswith("/v1/applications"):
                    continue

                @given(case=op.as_strategy())
                @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                def check(case):
                    response = case.call(headers={**(case.headers or {}), **headers})
                    seen.setdefault(op.label, set()).add(response.status_code)
                    case.validate_response(response, checks=CHECKS)

                check()
        assert not any(code >= 500 for codes in seen.values() for code in codes)
        assert 200 in seen["GET /v1/policy"] and 422 in seen["POST /v1/decisions"]
