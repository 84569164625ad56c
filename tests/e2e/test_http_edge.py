"""Problem details at the HTTP edge, for any route."""

from __future__ import annotations

from tests.support.api import Api

JSON = {"content-type": "application/json"}


def test_lone_surrogate_is_422_on_every_route(api: Api) -> None:
    account = api.register()

    for path in ("/api/organizations/", "/api/projects/"):
        response = api.post(path, as_=account, content=b'{"name": "a\\ud800b"}', headers=JSON)

        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [error["field"] for error in response.json()["errors"]] == ["name"]


def test_list_positions_use_dotted_field_names(api: Api) -> None:
    account = api.register()
    project = api.post("/api/projects/", as_=account, json={"name": "edge"}).json()
    session = api.post(
        f"/api/projects/{project['id']}/sessions/", as_=account, json={"name": "s"}
    ).json()

    response = api.post(
        f"/api/projects/{project['id']}/sessions/{session['id']}/prompts/",
        as_=account,
        json={"messages": [{"role": "user", "content": "hi"}, {"role": 5, "content": "x"}]},
    )

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["messages.1.role"]


def test_malformed_json_is_400_problem(api: Api) -> None:
    account = api.register()

    response = api.post("/api/projects/", as_=account, content=b'{"name": ', headers=JSON)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 400


def test_empty_body_is_400_problem(api: Api) -> None:
    account = api.register()

    response = api.post("/api/projects/", as_=account, content=b"", headers=JSON)

    assert response.status_code == 400
    assert "empty" in response.json()["detail"]


def test_deeply_nested_body_is_400_problem(api: Api) -> None:
    body = b'{"a": ' + b"[" * 1200 + b"]" * 1200 + b"}"

    response = api.post("/api/auth/login/", content=body, headers=JSON)

    assert response.status_code == 400
    assert "deeply" in response.json()["detail"]


def test_overflowing_number_names_field(api: Api) -> None:
    account = api.register()
    project = api.post("/api/projects/", as_=account, json={"name": "numbers"}).json()

    response = api.post(
        f"/api/projects/{project['id']}/sessions/",
        as_=account,
        content=b'{"name": "s", "default_parameters": {"temperature": 1e309}}',
        headers=JSON,
    )

    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["default_parameters.temperature"]


def test_health_answers_head(api: Api) -> None:
    response = api.request("HEAD", "/health/")

    assert response.status_code == 200
    assert response.content == b""


def test_problem_instance_is_the_requested_path(api: Api) -> None:
    response = api.get("/api/auth/me/")

    assert response.status_code == 401
    assert response.json()["instance"] == "/api/auth/me/"
