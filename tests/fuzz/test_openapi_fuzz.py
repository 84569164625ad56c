"""Every operation of the app's OpenAPI document, fuzzed by Schemathesis on both databases.

Each operation gets up to 100 generated requests, valid and invalid, sent as
a user who owns real objects. A response fails the test when it is a server
error, has a status or content type the document does not list, breaks the
documented body schema or headers, accepts invalid input, or ignores auth.
"""

from __future__ import annotations

import httpx
from hypothesis import settings
from schemathesis import Case

from tests.fuzz.schema import DOCUMENT, EXCLUDED_CHECKS, FUZZ_SETTINGS, SCHEMA
from tests.fuzz.world import STATISTICS, FuzzTarget


def test_document_is_served(fuzz_target: FuzzTarget) -> None:
    response = httpx.get(fuzz_target.base_url + "/schema/openapi.json", timeout=30)

    assert response.status_code == 200
    assert response.json() == DOCUMENT


@SCHEMA.parametrize()
@settings(FUZZ_SETTINGS)
def test_operation_conforms(case: Case, fuzz_target: FuzzTarget) -> None:
    response = case.call_and_validate(
        base_url=fuzz_target.base_url,
        headers=fuzz_target.headers,
        excluded_checks=EXCLUDED_CHECKS,
    )

    STATISTICS.examples[(fuzz_target.backend, case.operation.label)] += 1
    STATISTICS.statuses[(fuzz_target.backend, response.status_code)] += 1
