"""Input errors on the auth endpoints: 400, 409, 413 and 422, always as problem details."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.support.api import DEFAULT_PASSWORD, Api

PROBLEM = "application/problem+json"


def error_fields(response: httpx.Response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


def register_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "email": f"valid-{uuid.uuid4().hex[:10]}@example.com",
        "password": DEFAULT_PASSWORD,
        "full_name": "Valid Name",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    "variant", [str.lower, str.upper, str.title, lambda email: f"  {email.swapcase()} "]
)
def test_duplicate_email_any_case(api: Api, variant: Callable[[str], str]) -> None:
    email = f"Case-{uuid.uuid4().hex[:10]}@Example.com"
    first = api.post("/api/auth/register/", json=register_body(email=email))
    assert first.status_code == 201

    duplicate = api.post("/api/auth/register/", json=register_body(email=variant(email)))

    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"].startswith(PROBLEM)
    assert "already exists" in duplicate.json()["detail"]


def test_register_names_every_invalid_field(api: Api) -> None:
    response = api.post(
        "/api/auth/register/",
        json={"email": "not-an-email", "password": "short", "full_name": "   "},
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert error_fields(response) == {"email", "password", "full_name"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "two@at@example.com"}, "email"),
        ({"email": "x" * 250 + "@example.com"}, "email"),
        ({"email": "nul\u0000@example.com"}, "email"),
        ({"password": "x" * 1025}, "password"),
        ({"password": "has a nul \u0000 char"}, "password"),
        ({"full_name": "n" * 201}, "full_name"),
        ({"full_name": "Nul\u0000Name"}, "full_name"),
        ({"email": 42}, "email"),
        ({"password": None}, "password"),
    ],
)
def test_register_rejects_field(api: Api, changes: dict[str, object], field: str) -> None:
    response = api.post("/api/auth/register/", json=register_body(**changes))

    assert response.status_code == 422
    assert error_fields(response) == {field}


def test_lone_surrogate_names_field(api: Api) -> None:
    # json.dumps writes the lone surrogate as a \ud800 escape, which is JSON
    # text that decodes to no Unicode character.
    body = json.dumps(register_body(password="surrogate \ud800 here"))

    response = api.post(
        "/api/auth/register/", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert error_fields(response) == {"password"}
    assert "surrogate" in response.json()["errors"][0]["message"]


def test_register_missing_field(api: Api) -> None:
    body = register_body()
    del body["full_name"]

    response = api.post("/api/auth/register/", json=body)

    assert response.status_code == 422
    assert error_fields(response) == {"full_name"}


def test_malformed_json_is_400(api: Api) -> None:
    response = api.post(
        "/api/auth/login/",
        content=b'{"email": "a@example.com", "password": ',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 400


def test_unknown_field_is_422(api: Api) -> None:
    response = api.post("/api/auth/register/", json=register_body(is_admin=True))

    assert response.status_code == 422
    assert error_fields(response) == {"is_admin"}
    assert "is_admin" in response.json()["errors"][0]["message"]


def test_body_over_limit_is_413(api: Api) -> None:
    # The test server keeps the default limit of 2 MiB.
    oversized = json.dumps(register_body(full_name="x" * (2 * 1024 * 1024)))

    response = api.post(
        "/api/auth/register/", content=oversized, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 413
    assert body["title"] == "Request body too large"
    assert "smaller body" in body["detail"]
