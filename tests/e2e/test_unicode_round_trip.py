"""Text that users paste, over HTTP on both databases: stored byte-exact, NUL and surrogates 422.

The rejection tests send raw JSON bytes, because a JSON library would refuse
to encode a lone surrogate, and the point is what the server does with the
`\\ud800` and `\\u0000` escapes a client can send.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from promptlab.domain.text import MAX_MESSAGE_LENGTH
from tests.support.api import Account, Api

PASTED = {
    "family": "👨‍👩‍👧‍👦 and 🧑🏿‍🤝‍🧑🏻 and 🏳️‍🌈",
    "skin tones": "👍🏽👋🏿🤌🏻",
    "combining": "e\u0301 vs \u00e9, Z\u0351\u0352\u0353algo, n\u0303",
    "arabic": "مرحبا بالعالم، كيف حالك؟",
    "hebrew": "שלום \u200fעולם\u200e mixed with English",
    "bidi controls": "\u202eoverride\u202c \u2067isolate\u2069",
    "cjk": "中文, 日本語, 한국어",
    "invisible": "\u200b zero width, \ufeff BOM, \u00a0 no-break space",
    "astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 𝟘𝟙𝟚",
    "line endings": "CRLF\r\nLF\nCR\rtab\t",
}
ALL_PASTED = " | ".join(PASTED.values())


def long_document() -> str:
    """A document of mixed scripts and emoji sequences, just under the per-message limit."""
    paragraph = "".join(PASTED.values()) + " Lorem ipsum dolor sit amet.\n"
    document = paragraph * (MAX_MESSAGE_LENGTH // len(paragraph))
    assert MAX_MESSAGE_LENGTH - len(paragraph) < len(document) <= MAX_MESSAGE_LENGTH
    return document


def create_session(api: Api, owner: Account, **body: Any) -> httpx.Response:
    project = api.post(
        "/api/projects/", as_=owner, json={"name": f"Unicode {uuid.uuid4().hex[:8]}"}
    )
    assert project.status_code == 201, project.text
    body.setdefault("name", "Session")
    return api.post(f"/api/projects/{project.json()['id']}/sessions/", as_=owner, json=body)


def exact(value: str) -> bytes:
    return value.encode("utf-8")


def post_raw(api: Api, owner: Account, url: str, body: bytes) -> httpx.Response:
    return api.post(url, as_=owner, content=body, headers={"Content-Type": "application/json"})


@pytest.fixture
def owner(api: Api) -> Account:
    return api.register()


def test_session_text_round_trip(api: Api, owner: Account) -> None:
    created = create_session(
        api,
        owner,
        name=PASTED["family"] + PASTED["combining"],
        description=ALL_PASTED,
        metadata={label: text for label, text in PASTED.items()} | {"🔑 e\u0301": "ключ"},
    )
    assert created.status_code == 201, created.text
    url = str(created.url) + created.json()["id"] + "/"

    for body in (created.json(), api.get(url, as_=owner).json()):
        assert exact(body["name"]) == exact(PASTED["family"] + PASTED["combining"])
        assert exact(body["description"]) == exact(ALL_PASTED)
        assert {key: exact(value) for key, value in body["metadata"].items()} == {
            key: exact(value) for key, value in (PASTED | {"🔑 e\u0301": "ключ"}).items()
        }


def test_prompt_text_round_trip(api: Api, owner: Account) -> None:
    session = create_session(api, owner)
    assert session.status_code == 201, session.text
    url = str(session.url) + session.json()["id"] + "/prompts/"
    document = long_document()
    contents = [ALL_PASTED, document, PASTED["arabic"] + " {{ name }}"]
    messages = [
        {"role": role, "content": content}
        for role, content in zip(("system", "user", "assistant"), contents, strict=True)
    ]

    created = api.post(url, as_=owner, json={"name": PASTED["skin tones"], "messages": messages})
    assert created.status_code == 201, created.text
    prompt_id = created.json()["id"]
    detail = api.get(url + prompt_id + "/", as_=owner).json()
    listed = api.get(url, as_=owner).json()["results"][0]

    for body in (created.json(), detail, listed):
        assert exact(body["name"]) == exact(PASTED["skin tones"])
        assert [exact(message["content"]) for message in body["messages"]] == [
            exact(content) for content in contents
        ]
        assert body["variables"] == ["name"]


def test_escaped_surrogate_pair_accepted(api: Api, owner: Account) -> None:
    session = create_session(api, owner)
    url = str(session.url) + session.json()["id"] + "/prompts/"

    response = post_raw(api, owner, url, b'{"content": "smile \\ud83d\\ude00"}')

    assert response.status_code == 201, response.text
    assert exact(response.json()["messages"][0]["content"]) == exact("smile 😀")


PROMPT_CASES = [
    (b'{"content": "a\\u0000b"}', "content", "NUL"),
    (b'{"messages": [{"role": "user", "content": "\\u0000"}]}', "messages.0.content", "NUL"),
    (b'{"content": "x", "name": "n\\u0000"}', "name", "NUL"),
    (b'{"content": "a\\ud800b"}', "content", "surrogate"),
    (
        b'{"messages": [{"role": "user", "content": "ok"}, '
        b'{"role": "user", "content": "\\udc00"}]}',
        "messages.1.content",
        "surrogate",
    ),
    (b'{"content": "x", "name": "\\ud800"}', "name", "surrogate"),
]


@pytest.mark.parametrize(("body", "field", "kind"), PROMPT_CASES)
def test_prompt_invalid_text_rejected(
    api: Api, owner: Account, body: bytes, field: str, kind: str
) -> None:
    session = create_session(api, owner)
    url = str(session.url) + session.json()["id"] + "/prompts/"

    response = post_raw(api, owner, url, body)

    assert response.status_code == 422, response.text
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert list(errors) == [field]
    assert kind in errors[field]
    assert api.get(url, as_=owner).json()["results"] == []


SESSION_CASES = [
    (b'{"name": "a\\u0000"}', "name", "NUL"),
    (b'{"name": "a", "description": "\\u0000"}', "description", "NUL"),
    (b'{"name": "a", "metadata": {"team": "x\\u0000"}}', "metadata.team", "NUL"),
    (b'{"name": "\\ud800"}', "name", "surrogate"),
    (b'{"name": "a", "description": "x\\udbff"}', "description", "surrogate"),
    (b'{"name": "a", "metadata": {"team": "\\ud800"}}', "metadata.team", "surrogate"),
    (b'{"name": "a", "metadata": {"\\udc00": "v"}}', "metadata.\\udc00", "surrogate"),
]


@pytest.mark.parametrize(("body", "field", "kind"), SESSION_CASES)
def test_session_invalid_text_rejected(
    api: Api, owner: Account, body: bytes, field: str, kind: str
) -> None:
    session = create_session(api, owner)
    sessions_url = str(session.url)

    created = post_raw(api, owner, sessions_url, body)
    patched = api.request(
        "PATCH",
        sessions_url + session.json()["id"] + "/",
        as_=owner,
        content=body.replace(b'"name": "a", ', b""),
        headers={"Content-Type": "application/json"},
    )

    for response in (created, patched):
        assert response.status_code == 422, response.text
        errors = {error["field"]: error["message"] for error in response.json()["errors"]}
        assert list(errors) == [field]
        assert kind in errors[field]


EXECUTE_CASES = [
    (b'{"variables": {"topic": "a\\u0000"}}', "variables.topic"),
    (b'{"variables": {"topic": "a"}, "parameters": {"stop": ["\\u0000"]}}', "parameters.stop.0"),
]


@pytest.mark.parametrize(("body", "field"), EXECUTE_CASES)
def test_execute_nul_rejected(api: Api, owner: Account, body: bytes, field: str) -> None:
    session = create_session(api, owner)
    url = str(session.url) + session.json()["id"] + "/prompts/"
    prompt = api.post(url, as_=owner, json={"content": "About {{ topic }}"})
    assert prompt.status_code == 201, prompt.text

    response = post_raw(api, owner, url + prompt.json()["id"] + "/execute/", body)

    assert response.status_code == 422, response.text
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert list(errors) == [field]
    assert "NUL" in errors[field]
