"""Prompts over HTTP on both databases: shapes, templates, parents, limits, immutability."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from promptlab.domain.text import MAX_MESSAGE_LENGTH, MAX_MESSAGES_PER_PROMPT, MAX_PROMPT_LENGTH
from tests.support.api import Account, Api

PROMPT_FIELDS = {
    "id",
    "session",
    "project",
    "name",
    "messages",
    "variables",
    "parent",
    "created_by",
    "created_at",
}
# The live server runs with the default PROMPTLAB_MAX_REQUEST_BODY_BYTES.
MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024


def create_session(api: Api, owner: Account) -> str:
    """Create a project with one session and return the session's prompts URL."""
    name = f"Prompts {uuid.uuid4().hex[:8]}"
    project = api.post("/api/projects/", as_=owner, json={"name": name})
    assert project.status_code == 201, project.text
    sessions_url = f"/api/projects/{project.json()['id']}/sessions/"
    session = api.post(sessions_url, as_=owner, json={"name": "Session"})
    assert session.status_code == 201, session.text
    return f"{sessions_url}{session.json()['id']}/prompts/"


def create_prompt(api: Api, owner: Account, url: str, **body: Any) -> dict[str, Any]:
    response = api.post(url, as_=owner, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def field_errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def user_messages(*contents: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": content} for content in contents]


def test_create_list_and_detail(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)

    short = create_prompt(api, owner, url, content="Summarize {{ text }} for {{audience}}")
    full = create_prompt(
        api,
        owner,
        url,
        name="Support",
        messages=[
            {"role": "system", "content": "You help {{ customer }}."},
            {"role": "user", "content": "{{question}} ({{customer}})"},
            {"role": "assistant", "content": "Sure."},
        ],
        parent=short["id"],
    )

    assert set(short) == PROMPT_FIELDS
    assert short["messages"] == user_messages("Summarize {{ text }} for {{audience}}")
    assert short["variables"] == ["text", "audience"]
    assert short["name"] is None
    assert short["parent"] is None
    assert short["created_by"] == owner.id
    assert full["variables"] == ["customer", "question"]
    assert full["parent"] == short["id"]
    assert api.get(url + full["id"] + "/", as_=owner).json() == full
    assert api.get(url, as_=owner).json()["results"] == [full, short]


def test_prompts_are_immutable(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)
    prompt_url = url + create_prompt(api, owner, url, content="fixed")["id"] + "/"

    for method in ("PUT", "PATCH", "DELETE"):
        response = api.request(method, prompt_url, as_=owner, json={"content": "changed"})
        assert response.status_code == 405, f"{method}: {response.text}"
    assert api.get(prompt_url, as_=owner).json()["messages"] == user_messages("fixed")


def test_invalid_bodies_name_fields(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)

    both = field_errors(api.post(url, as_=owner, json={"content": "a", "messages": []}))
    neither = field_errors(api.post(url, as_=owner, json={"name": "only a name"}))
    syntax = field_errors(
        api.post(
            url,
            as_=owner,
            json={"messages": user_messages("fine", "Hello {{ user.name }}")},
        )
    )
    shorthand_syntax = field_errors(api.post(url, as_=owner, json={"content": "{{ 1st }}"}))
    role = api.post(url, as_=owner, json={"messages": [{"role": "tool", "content": "x"}]})

    assert list(both) == ["content"]
    assert list(neither) == ["messages"]
    assert list(syntax) == ["messages.1.content"]
    assert "offset 6" in syntax["messages.1.content"]
    assert "attribute access" in syntax["messages.1.content"]
    assert list(shorthand_syntax) == ["content"]
    assert role.status_code == 422


def test_parent_must_be_in_project(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)
    other_url = create_session(api, owner)
    other = create_prompt(api, owner, other_url, content="elsewhere")

    errors = field_errors(api.post(url, as_=owner, json={"content": "x", "parent": other["id"]}))

    assert list(errors) == ["parent"]
    assert other["id"] in errors["parent"]


def test_pagination_of_prompts(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)
    created = [create_prompt(api, owner, url, content=f"prompt {i}")["id"] for i in range(5)]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get(url, as_=owner, params=params).json()
        seen.extend(item["id"] for item in page["results"])
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break

    assert seen == created[::-1]
    assert pages == 3
    assert api.get(url, as_=owner, params={"cursor": "garbage"}).status_code == 400
    assert api.get(url, as_=owner, params={"limit": 0}).status_code == 422


def test_message_count_limit(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)

    at_limit = api.post(
        url, as_=owner, json={"messages": user_messages(*["x"] * MAX_MESSAGES_PER_PROMPT)}
    )
    past_limit = api.post(
        url, as_=owner, json={"messages": user_messages(*["x"] * (MAX_MESSAGES_PER_PROMPT + 1))}
    )

    assert at_limit.status_code == 201, at_limit.text
    assert len(at_limit.json()["messages"]) == MAX_MESSAGES_PER_PROMPT
    assert list(field_errors(past_limit)) == ["messages"]


def test_message_length_limit(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)

    at_limit = api.post(url, as_=owner, json={"content": "é" * MAX_MESSAGE_LENGTH})
    past_limit = api.post(
        url, as_=owner, json={"messages": user_messages("ok", "é" * (MAX_MESSAGE_LENGTH + 1))}
    )

    assert at_limit.status_code == 201, at_limit.text
    assert list(field_errors(past_limit)) == ["messages.1.content"]


def test_total_length_limit(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)
    full_messages = MAX_PROMPT_LENGTH // MAX_MESSAGE_LENGTH
    contents = ["a" * MAX_MESSAGE_LENGTH] * full_messages

    at_limit = api.post(url, as_=owner, json={"messages": user_messages(*contents)})
    past_limit = api.post(url, as_=owner, json={"messages": user_messages(*contents, "b")})

    assert at_limit.status_code == 201, at_limit.text
    errors = field_errors(past_limit)
    assert list(errors) == ["messages"]
    assert f"at most {MAX_PROMPT_LENGTH} characters in total" in errors["messages"]


def test_body_over_request_limit_is_json_413(api: Api) -> None:
    owner = api.register()
    url = create_session(api, owner)
    padding = MAX_REQUEST_BODY_BYTES - len(b'{"content":""}') + 1
    body = b'{"content":"' + b"a" * padding + b'"}'

    response = api.post(url, as_=owner, content=body, headers={"Content-Type": "application/json"})

    assert len(body) == MAX_REQUEST_BODY_BYTES + 1
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 413


def test_prompt_of_other_session_not_found(api: Api) -> None:
    owner = api.register()
    stranger = api.register()
    url = create_session(api, owner)
    other_url = create_session(api, owner)
    prompt_id = create_prompt(api, owner, url, content="x")["id"]

    assert api.get(other_url + prompt_id + "/", as_=owner).status_code == 404
    assert api.get(url + prompt_id + "/", as_=stranger).status_code == 404
    assert api.post(url, as_=stranger, json={"content": "x"}).status_code == 404
