"""Prompt sessions over HTTP on both databases: fields, validation, roles, closing, archiving."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import Account, Api

SESSION_FIELDS = {
    "id",
    "project",
    "name",
    "description",
    "default_model",
    "default_parameters",
    "metadata",
    "status",
    "created_by",
    "created_at",
    "updated_at",
}
# The shipped catalog's local model; its maximum output is 1024 tokens.
LOCAL_MODEL = "smollm2-135m-instruct"


def create_project(api: Api, owner: Account) -> str:
    response = api.post("/api/projects/", as_=owner, json={"name": "Sessions e2e"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def sessions_url(project_id: str) -> str:
    return f"/api/projects/{project_id}/sessions/"


def create_session(api: Api, account: Account, project_id: str, **body: Any) -> dict[str, Any]:
    body.setdefault("name", "Experiment")
    response = api.post(sessions_url(project_id), as_=account, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def add_collaborator(
    api: Api, owner: Account, project_id: str, collaborator: Account, role: str
) -> None:
    response = api.post(
        f"/api/projects/{project_id}/collaborators/",
        as_=owner,
        json={"email": collaborator.email, "role": role},
    )
    assert response.status_code == 201, response.text


def field_errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def test_session_lifecycle(api: Api) -> None:
    owner = api.register()
    project_id = create_project(api, owner)

    created = create_session(
        api,
        owner,
        project_id,
        name="Summaries",
        description="Shorter system prompts",
        default_model=LOCAL_MODEL,
        default_parameters={"temperature": 0.3, "max_tokens": 1024, "stop": "END", "seed": 7},
        metadata={"ticket": "PL-1", "area": "support"},
    )
    assert set(created) == SESSION_FIELDS | {"prompt_count", "execution_count"}
    assert created["project"] == project_id
    assert created["status"] == "active"
    assert created["created_by"] == owner.id
    assert created["default_parameters"] == {
        "temperature": 0.3,
        "top_p": None,
        "max_tokens": 1024,
        "stop": ["END"],
        "seed": 7,
    }
    assert list(created["metadata"]) == ["area", "ticket"]
    assert (created["prompt_count"], created["execution_count"]) == (0, 0)

    url = sessions_url(project_id) + created["id"] + "/"
    prompts_url = url + "prompts/"
    for content in ("first", "second"):
        assert api.post(prompts_url, as_=owner, json={"content": content}).status_code == 201

    detail = api.get(url, as_=owner).json()
    assert (detail["prompt_count"], detail["execution_count"]) == (2, 0)

    patched = api.patch(url, as_=owner, json={"name": "Renamed", "default_model": None})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Renamed"
    assert body["default_model"] is None
    assert body["description"] == "Shorter system prompts"
    assert body["metadata"] == {"area": "support", "ticket": "PL-1"}
    assert body["prompt_count"] == 2

    listed = api.get(sessions_url(project_id), as_=owner).json()
    assert [item["id"] for item in listed["results"]] == [created["id"]]
    assert set(listed["results"][0]) == SESSION_FIELDS
    assert listed["next"] is None


def test_status_filter_and_pages(api: Api) -> None:
    owner = api.register()
    project_id = create_project(api, owner)
    ids = [create_session(api, owner, project_id, name=f"s{index}")["id"] for index in range(3)]
    closed = api.patch(
        sessions_url(project_id) + ids[1] + "/", as_=owner, json={"status": "closed"}
    )
    assert closed.status_code == 200, closed.text

    first = api.get(sessions_url(project_id), as_=owner, params={"limit": 2}).json()
    second = api.get(
        sessions_url(project_id), as_=owner, params={"limit": 2, "cursor": first["next"]}
    ).json()
    only_closed = api.get(sessions_url(project_id), as_=owner, params={"status": "closed"})
    invalid = field_errors(api.get(sessions_url(project_id), as_=owner, params={"status": "open"}))

    assert [item["id"] for item in first["results"] + second["results"]] == ids[::-1]
    assert second["next"] is None
    assert [item["id"] for item in only_closed.json()["results"]] == [ids[1]]
    assert list(invalid) == ["status"]


def test_invalid_defaults_name_fields(api: Api) -> None:
    owner = api.register()
    project_id = create_project(api, owner)

    unknown = field_errors(
        api.post(sessions_url(project_id), as_=owner, json={"name": "x", "default_model": "gpt-0"})
    )
    out_of_range = field_errors(
        api.post(
            sessions_url(project_id),
            as_=owner,
            json={
                "name": "x",
                "default_model": LOCAL_MODEL,
                "default_parameters": {
                    "temperature": 2.1,
                    "top_p": 1.5,
                    "max_tokens": 1025,
                    "stop": ["a", "b", "c", "d", "e"],
                },
            },
        )
    )
    wrong_type = field_errors(
        api.post(
            sessions_url(project_id),
            as_=owner,
            json={"name": "x", "default_parameters": {"seed": 1.5}},
        )
    )
    unknown_field = field_errors(
        api.post(sessions_url(project_id), as_=owner, json={"name": "x", "status": "closed"})
    )

    assert list(unknown) == ["default_model"]
    assert LOCAL_MODEL in unknown["default_model"]
    assert "between 0 and 2" in out_of_range["default_parameters.temperature"]
    assert "between 0 and 1" in out_of_range["default_parameters.top_p"]
    assert "at most 1024" in out_of_range["default_parameters.max_tokens"]
    assert "at most 4" in out_of_range["default_parameters.stop"]
    assert list(wrong_type) == ["default_parameters.seed"]
    assert list(unknown_field) == ["status"]


def test_metadata_limits_at_n_and_n_plus_one(api: Api) -> None:
    owner = api.register()
    project_id = create_project(api, owner)
    at_limit = {f"{index:0100d}": "v" * 2000 for index in range(50)}

    accepted = api.post(
        sessions_url(project_id), as_=owner, json={"name": "x", "metadata": at_limit}
    )
    too_many = field_errors(
        api.post(
            sessions_url(project_id),
            as_=owner,
            json={"name": "x", "metadata": {str(index): "" for index in range(51)}},
        )
    )
    key_too_long = field_errors(
        api.post(
            sessions_url(project_id), as_=owner, json={"name": "x", "metadata": {"k" * 101: ""}}
        )
    )
    value_too_long = field_errors(
        api.post(
            sessions_url(project_id),
            as_=owner,
            json={"name": "x", "metadata": {"team": "v" * 2001}},
        )
    )
    not_string = field_errors(
        api.post(sessions_url(project_id), as_=owner, json={"name": "x", "metadata": {"n": 1}})
    )

    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["metadata"] == at_limit
    assert list(too_many) == ["metadata"]
    assert list(key_too_long) == ["metadata." + "k" * 101]
    assert list(value_too_long) == ["metadata.team"]
    assert list(not_string) == ["metadata.n"]


def test_closed_session_conflict_until_reopened(api: Api) -> None:
    owner = api.register()
    project_id = create_project(api, owner)
    session = create_session(api, owner, project_id)
    url = sessions_url(project_id) + session["id"] + "/"

    assert api.patch(url, as_=owner, json={"status": "closed"}).json()["status"] == "closed"
    rejected = api.post(url + "prompts/", as_=owner, json={"content": "hi"})
    reopened = api.patch(url, as_=owner, json={"status": "active"})
    accepted = api.post(url + "prompts/", as_=owner, json={"content": "hi"})

    assert rejected.status_code == 409
    assert rejected.headers["content-type"].startswith("application/problem+json")
    assert '{"status": "active"}' in rejected.json()["detail"]
    assert reopened.json()["status"] == "active"
    assert accepted.status_code == 201


def test_archived_project_read_only(api: Api) -> None:
    owner = api.register()
    project_id = create_project(api, owner)
    session = create_session(api, owner, project_id)
    url = sessions_url(project_id) + session["id"] + "/"
    assert api.delete(f"/api/projects/{project_id}/", as_=owner).status_code == 204

    create = api.post(sessions_url(project_id), as_=owner, json={"name": "new"})
    patch = api.patch(url, as_=owner, json={"name": "renamed"})
    prompt = api.post(url + "prompts/", as_=owner, json={"content": "hi"})
    read = api.get(url, as_=owner)

    assert create.status_code == 409
    assert "archived" in create.json()["detail"]
    assert patch.status_code == 409
    assert prompt.status_code == 409
    assert read.status_code == 200


def test_other_tenant_gets_not_found(api: Api) -> None:
    owner = api.register()
    stranger = api.register()
    project_id = create_project(api, owner)
    session = create_session(api, owner, project_id)
    url = sessions_url(project_id) + session["id"] + "/"

    responses = {
        "list": api.get(sessions_url(project_id), as_=stranger),
        "create": api.post(sessions_url(project_id), as_=stranger, json={"name": "x"}),
        "detail": api.get(url, as_=stranger),
        "update": api.patch(url, as_=stranger, json={"name": "x"}),
        "prompts": api.get(url + "prompts/", as_=stranger),
    }

    assert {name: response.status_code for name, response in responses.items()} == dict.fromkeys(
        responses, 404
    )


def test_viewer_reads_but_cannot_write(api: Api) -> None:
    owner = api.register()
    viewer = api.register()
    project_id = create_project(api, owner)
    add_collaborator(api, owner, project_id, viewer, "viewer")
    session = create_session(api, owner, project_id)
    url = sessions_url(project_id) + session["id"] + "/"

    assert api.get(url, as_=viewer).status_code == 200
    assert api.get(sessions_url(project_id), as_=viewer).status_code == 200
    assert api.post(sessions_url(project_id), as_=viewer, json={"name": "x"}).status_code == 403
    assert api.patch(url, as_=viewer, json={"status": "closed"}).status_code == 403
    assert api.post(url + "prompts/", as_=viewer, json={"content": "x"}).status_code == 403
