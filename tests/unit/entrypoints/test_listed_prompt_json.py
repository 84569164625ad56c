"""Pages of listed prompts encode to the same JSON as the prompt wire schema, kept or not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from promptlab.application.pagination import Cursor, Page, encode_cursor
from promptlab.application.ports.prompts import ListedPrompt
from promptlab.application.text_forms import timestamp_text
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.prompts import Prompt
from promptlab.entrypoints.http.schemas.common import PageOut
from promptlab.entrypoints.http.schemas.prompts import ListedPromptJson, PromptOut, prompt_out

PROJECT = uuid.uuid4()
SESSION = uuid.uuid4()
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


def as_listed(prompt: Prompt) -> ListedPrompt:
    """The text form the database adapters return: compact JSON, as SQLite stores it."""
    messages = [{"role": m.role.value, "content": m.content} for m in prompt.messages]
    return ListedPrompt(
        id=str(prompt.id),
        name=prompt.name,
        messages_json=msgspec.json.encode(messages).decode(),
        variables_json=msgspec.json.encode(list(prompt.variables)).decode(),
        parent_id=str(prompt.parent_id) if prompt.parent_id else None,
        created_by=str(prompt.created_by) if prompt.created_by else None,
        created_at=timestamp_text(prompt.created_at),
    )


PROMPTS = st.builds(
    Prompt,
    id=st.uuids(),
    project_id=st.just(PROJECT),
    session_id=st.just(SESSION),
    name=st.none() | TEXT,
    messages=st.lists(
        st.builds(Message, st.sampled_from(list(MessageRole)), TEXT), min_size=1, max_size=3
    ).map(tuple),
    variables=st.lists(TEXT, max_size=3).map(tuple),
    parent_id=st.none() | st.uuids(),
    created_by=st.none() | st.uuids(),
    created_at=st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1)),
)


@given(prompts=st.lists(PROMPTS, max_size=5), with_next=st.booleans())
def test_page_json_equals_wire_schema_bytes(prompts: list[Prompt], with_next: bool) -> None:
    cursor = Cursor(created_at=datetime(2026, 1, 1, tzinfo=UTC), id=uuid.uuid4())
    next_cursor = cursor if with_next else None
    expected = msgspec.json.encode(
        PageOut[PromptOut](
            results=[prompt_out(prompt) for prompt in prompts],
            next=encode_cursor(cursor) if with_next else None,
        )
    )
    page = Page(items=[as_listed(prompt) for prompt in prompts], next=next_cursor)
    encoder = ListedPromptJson(max_bytes=1024 * 1024)

    first = encoder.page_json(page, PROJECT, SESSION)
    again = encoder.page_json(page, PROJECT, SESSION)

    assert first == expected
    assert again == expected


def test_kept_json_stays_within_budget() -> None:
    encoder = ListedPromptJson(max_bytes=8 * 1024)
    items = [
        ListedPrompt(str(uuid.uuid4()), "x" * 500, "[]", "[]", None, None, "2026-01-01T00:00:00Z")
        for _ in range(40)
    ]

    encoder.page_json(Page(items=items, next=None), PROJECT, SESSION)

    assert 0 < encoder.kept_bytes <= 8 * 1024


def test_zero_budget_keeps_nothing() -> None:
    encoder = ListedPromptJson(max_bytes=0)
    item = ListedPrompt(str(uuid.uuid4()), None, "[]", "[]", None, None, "2026-01-01T00:00:00Z")

    body = encoder.page_json(Page(items=[item], next=None), PROJECT, SESSION)

    assert msgspec.json.decode(body)["results"][0]["id"] == item.id
    assert encoder.kept_bytes == 0
