"""Schemathesis against the served OpenAPI document: random valid requests to every operation
(bounded examples) never get a 500 and always get an answer that matches the document.

Runs against a server of its own (its own control-plane namespace), as the admin. Left out:
the event stream (never ends), logout and password changes (they would end the admin's session
or rate-limit it), which have their own tests.
"""

import schemathesis
from conftest import start_server
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SKIP = {
    ("GET", "/api/v1/stream/applications"),
    ("DELETE", "/api/v1/session"),
    ("PUT", "/api/v1/account/password"),
}
EXAMPLES = 10


def test_openapi_fuzz(kube, tmp_path_factory):
    srv, stop = start_server(kube, tmp_path_factory)
    try:
        with srv.client() as c:
            doc = c.get("/api/openapi.json").json()
        schema = schemathesis.openapi.from_dict(doc)
        token = srv.login("admin")
        headers = {"Authorization": f"Bearer {token}"}
        checks = [
            not_a_server_error,
            response_schema_conformance,
            content_type_conformance,
            status_code_conformance,
        ]
        ran = 0
        for result in schema.get_all_operations():
            op = result.ok()
            if (op.method.upper(), op.path) in SKIP:
                continue

            @given(case=op.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
            def run(case):
                response = case.call(base_url=srv.url, headers=headers, timeout=30)
                case.validate_response(response, checks=checks, headers=headers)

            run()
            ran += 1
        assert ran >= 50
    finally:
        stop()
