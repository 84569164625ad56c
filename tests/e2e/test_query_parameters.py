"""Query parameters: each takes one value, and a repeated one is a 422 naming it."""

from __future__ import annotations

import pytest

from tests.support.api import Api

REPEATED = [
    ("/api/organizations/", [("limit", "abc"), ("limit", "5")], "limit"),
    ("/api/organizations/", [("limit", "5"), ("limit", "abc")], "limit"),
    ("/api/projects/", [("archived", "true"), ("archived", "false")], "archived"),
    ("/api/projects/", [("search", "a"), ("limit", "2"), ("search", "b")], "search"),
    ("/api/projects/", [("cursor", "x"), ("cursor", "y")], "cursor"),
]


@pytest.mark.parametrize(("path", "query", "field"), REPEATED, ids=str)
def test_repeated_parameter_rejected(
    api: Api, path: str, query: list[tuple[str, str]], field: str
) -> None:
    account = api.register()

    response = api.get(path, params=query, as_=account)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert errors[0]["message"] == "appears 2 times; send it once"


def test_repeated_parameter_anonymous_unauthorized(api: Api) -> None:
    response = api.get("/api/projects/", params=[("limit", "5"), ("limit", "6")])

    assert response.status_code == 401


def test_single_parameters_still_accepted(api: Api) -> None:
    account = api.register()

    response = api.get(
        "/api/projects/", params=[("limit", "5"), ("archived", "false")], as_=account
    )

    assert response.status_code == 200
