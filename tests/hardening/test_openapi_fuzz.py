"""Schemathesis against the all-in-one: every documented operation, signed in as an admin, with generated
input. No answer is a 5xx, and every answer (status, headers, body) matches what the OpenAPI document says."""

from __future__ import annotations

import copy
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.conftest import token_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

EXAMPLES = 25
# What the issue promises: no 5xx, and status, content type, headers and body as documented. (Whether the
# document states every validation rule, e.g. a password's minimum length, is not checked here.)
PAGINATION_KEYS = {"total", "total_pages", "first_page", "last_page", "page", "previous_page", "next_page"}


def headers_as_documented(ctx, response, case):
    """Schemathesis's header check, except for X-Pagination: it holds JSON (documented with `content`), which
    the check would split as a comma-separated `simple` value; it is parsed and checked here instead."""
    value = response.headers.get("x-pagination")
    if value:
        metadata = json.loads(value[0])
        assert set(metadata) <= PAGINATION_KEYS and all(isinstance(v, int) for v in metadata.values()), value
        response = copy.copy(response)
        response.headers = {k: v for k, v in response.headers.items() if k != "x-pagination"}
    return checks.response_headers_conformance(ctx, response, case)


def not_a_server_error(ctx, response, case):
    """No 5xx, but oEmbed's 501 for a format other than JSON: the oEmbed 1.0 spec's own answer (documented)."""
    if response.status_code == 501 and case.path == "/api/oembed" and case.query.get("format", "json") != "json":
        return None
    return checks.not_a_server_error(ctx, response, case)


CHECKS = [not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          headers_as_documented, checks.response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory, signing_key_pem):
    """One all-in-one app on SQLite for the whole run (a database per example would cost more than the calls)."""
    from videoforge import create_app

    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app(INSTANCE_PATH=str(folder / "instance"), DATABASE_URL=f"sqlite:///{folder}/fuzz.db",
                     STORAGE_PATH=str(folder / "storage"), WORKER_IN_PROCESS=False, AUTH_SIGNING_KEY=signing_key_pem,
                     LOG_LEVEL="CRITICAL", TESTING=True, RATE_LIMIT_PER_MINUTE=0)
    yield app
    app.extensions["videoforge.db"].engine.dispose()


@pytest.fixture(scope="module")
def admin_headers(fuzzed_app):
    return {"Authorization": f"Bearer {token_for(fuzzed_app, groups=['admin'], ttl=3600)}"}


def fuzz(operation, headers: dict) -> str | None:
    """Run generated cases against one operation; the first failure, described, or None."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every failure is reported with its operation
        return f"{operation.label}: {type(exc).__name__}: {exc}"[:3000]
    return None


def test_every_operation_answers_as_documented(fuzzed_app, admin_headers):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25, [op.label for op in operations]  # every module's API is in the document
    failures = [failure for op in operations if (failure := fuzz(op, admin_headers))]
    assert not failures, "\n\n".join(failures)
