"""The published OpenAPI document describes what the app does: errors, auth, bodies and links.

Schemathesis found each of these gaps by comparing responses with the
document; these tests keep them closed without running the fuzzer.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from promptlab.entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.support.api import Api

PUBLIC_OPERATIONS = {
    ("get", "/health/"),
    ("post", "/api/auth/register/"),
    ("post", "/api/auth/login/"),
    ("post", "/api/auth/token/refresh/"),
}
EXECUTE = "/api/projects/{project_id}/sessions/{session_id}/prompts/{prompt_id}/execute/"
PROBLEM_REFERENCE = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        app = create_app(make_settings(data_dir, f"sqlite+aiosqlite:///{data_dir / 'doc.db'}"))
        return app.openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def problem_schema(operation: dict[str, Any], status: str) -> Any:
    return operation["responses"][status]["content"]["application/problem+json"]["schema"]


def test_errors_are_documented_as_problems(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        if (method, path) not in PUBLIC_OPERATIONS:
            assert problem_schema(operation, "401") == PROBLEM_REFERENCE, where
        if "{" in path:
            assert problem_schema(operation, "404") == PROBLEM_REFERENCE, where
        if "requestBody" in operation:
            assert problem_schema(operation, "400") == PROBLEM_REFERENCE, where
            assert problem_schema(operation, "413") == PROBLEM_REFERENCE, where
            assert problem_schema(operation, "422") == PROBLEM_REFERENCE, where
        assert "503" in responses, where
        assert "application/json" not in responses.get("400", {}).get("content", {}), where


def test_problem_schema_matches_the_body(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["errors"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/FieldProblem"
    }


def test_rate_limits_and_outages_document_retry_after(document: dict[str, Any]) -> None:
    execute = document["paths"][EXECUTE]["post"]

    assert execute["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert execute["responses"]["503"]["headers"]["Retry-After"]["required"] is True


def test_bearer_token_is_declared(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["BearerToken"]

    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    for method, path, operation in operations(document):
        expected = None if (method, path) in PUBLIC_OPERATIONS else [{"BearerToken": []}]
        assert operation.get("security") == expected, f"{method.upper()} {path}"


def test_request_bodies_reject_unknown_fields(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    bodies = [name for name in schemas if name.endswith("In")]

    assert "RegisterIn" in bodies
    assert "ParametersIn" in bodies
    for name in bodies:
        assert schemas[name]["additionalProperties"] is False, name


def test_execute_documents_the_event_stream(document: dict[str, Any]) -> None:
    content = document["paths"][EXECUTE]["post"]["responses"]["201"]["content"]
    events = content["text/event-stream"]["schema"]

    assert set(content) == {"application/json", "text/event-stream"}
    assert events["properties"]["event"]["enum"] == ["execution", "delta", "error", "done"]
    assert "DeltaOut" in document["components"]["schemas"]


def test_created_objects_link_to_their_operations(document: dict[str, Any]) -> None:
    paths = document["paths"]
    operation_ids = {operation["operationId"] for _, _, operation in operations(document)}
    project_links = paths["/api/projects/"]["post"]["responses"]["201"]["links"]
    execution_links = paths[EXECUTE]["post"]["responses"]["201"]["links"]

    assert project_links["GetProject"]["parameters"] == {"project_id": "$response.body#/id"}
    assert (
        project_links["GetProject"]["operationId"]
        == (paths["/api/projects/{project_id}/"]["get"]["operationId"])
    )
    assert execution_links["GetExecution"]["parameters"]["execution_id"] == "$response.body#/id"
    for _, _, operation in operations(document):
        for response in operation["responses"].values():
            for link in (response.get("links") or {}).values():
                assert link["operationId"] in operation_ids


@pytest.mark.parametrize(
    "query", [{"limit": "0"}, {"limit": "abc"}, {"cursor": "not-a-cursor"}], ids=str
)
def test_anonymous_list_is_unauthorized_first(api: Api, query: dict[str, str]) -> None:
    response = api.get("/api/projects/", params=query)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_paths_end_with_a_slash(document: dict[str, Any]) -> None:
    unslashed = [path for path in document["paths"] if not path.endswith("/")]

    assert unslashed == []
