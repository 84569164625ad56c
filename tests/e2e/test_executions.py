"""Executing prompts over HTTP against fake OpenAI and Anthropic servers, on both databases."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.catalog import load_catalog
from promptlab.adapters.providers.registry import ProviderRegistry
from promptlab.adapters.sqlalchemy.tables import executions
from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import Settings
from tests.fakes import Behavior, FakeProviderServer
from tests.fakes.fixtures import fake_provider_server, fake_server  # noqa: F401
from tests.support.api import Account, Api
from tests.support.server import LiveServer

OPENAI_KEY_VARIABLE = "PROMPTLAB_TEST_FAKE_OPENAI_KEY"
ANTHROPIC_KEY_VARIABLE = "PROMPTLAB_TEST_FAKE_ANTHROPIC_KEY"
OPENAI_KEY = "sk-fake-openai-key-that-must-not-leak"
ANTHROPIC_KEY = "sk-ant-fake-key-that-must-not-leak"

# Prices of the test catalog, USD per million tokens.
PRICES = {
    "fake-gpt": (Decimal("2.50"), Decimal("10.00")),
    "fake-claude": (Decimal(3), Decimal(15)),
}
MAX_ATTEMPTS = 2

SYSTEM_TEXT = "You answer briefly."
USER_TEMPLATE = "Say {{word}} to {{name}}"
VARIABLES = {"word": "hello", "name": "Ada"}
# Prompt length limit of this module's server: the templates here are far shorter.
RENDERED_LIMIT = 2_000
RENDERED_USER_TEXT = "Say hello to Ada"
# The fake counts one token per whitespace-separated word plus 3 per message,
# and replies "Echo:" followed by the words of the last user message.
EXPECTED_INPUT_TOKENS = len(SYSTEM_TEXT.split()) + 3 + len(RENDERED_USER_TEXT.split()) + 3
EXPECTED_OUTPUT = "Echo: Say hello to Ada"
EXPECTED_OUTPUT_TOKENS = len(EXPECTED_OUTPUT.split())

MODELS_FILE = """
[providers.fake-openai]
kind = "openai_compatible"
base_url = "{openai_base_url}"
api_key_env = "{openai_key_variable}"

[providers.fake-anthropic]
kind = "anthropic"
base_url = "{anthropic_base_url}"
api_key_env = "{anthropic_key_variable}"

[models."fake-gpt"]
provider = "fake-openai"
upstream_name = "gpt-fake"
context_window = 8000
max_output_tokens = 1000
input_price_per_million = "2.50"
output_price_per_million = "10.00"

[models."fake-claude"]
provider = "fake-anthropic"
upstream_name = "claude-fake"
context_window = 8000
max_output_tokens = 1000
input_price_per_million = "3"
output_price_per_million = "15"
"""


@attrs.frozen
class PromptSetup:
    """A user's own project, session and prompt, ready to execute."""

    owner: Account
    project_id: str
    session_id: str
    prompt_id: str

    @property
    def prompt_path(self) -> str:
        return (
            f"/api/projects/{self.project_id}/sessions/{self.session_id}/prompts/{self.prompt_id}"
        )

    @property
    def execute_path(self) -> str:
        return self.prompt_path + "/execute/"


@pytest.fixture(scope="module")
def execution_server(
    settings_factory: Callable[..., Settings],
    fake_provider_server: FakeProviderServer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """The app with the fake providers in its catalog, short timeouts and a fast reaper."""
    models_file = tmp_path_factory.mktemp("catalog") / "models.toml"
    models_file.write_text(
        MODELS_FILE.format(
            openai_base_url=fake_provider_server.openai_base_url,
            anthropic_base_url=fake_provider_server.anthropic_base_url,
            openai_key_variable=OPENAI_KEY_VARIABLE,
            anthropic_key_variable=ANTHROPIC_KEY_VARIABLE,
        )
    )
    settings = settings_factory(
        models_file=models_file,
        provider_timeout_seconds=1.0,
        execution_deadline_seconds=20.0,
        provider_max_attempts=MAX_ATTEMPTS,
        provider_retry_after_cap_seconds=2.0,
        provider_backoff_initial_seconds=0.05,
        provider_backoff_max_seconds=0.2,
        reaper_interval_seconds=0.2,
        max_prompt_length=RENDERED_LIMIT,
    )
    registry = ProviderRegistry(
        load_catalog(models_file),
        {OPENAI_KEY_VARIABLE: OPENAI_KEY, ANTHROPIC_KEY_VARIABLE: ANTHROPIC_KEY},
    )
    server = LiveServer(create_app(settings, overrides={"model_providers": registry})).start()
    yield server
    server.stop()


@pytest.fixture
def client(execution_server: LiveServer) -> Iterator[Api]:
    api = Api(execution_server.url)
    yield api
    api.close()


def create_prompt_setup(client: Api, **session_fields: Any) -> PromptSetup:
    owner = client.register()
    project = client.post(
        "/api/projects/", as_=owner, json={"name": f"Project {uuid.uuid4().hex[:8]}"}
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]

    session = client.post(
        f"/api/projects/{project_id}/sessions/",
        as_=owner,
        json={"name": "Experiment", **session_fields},
    )
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]

    prompt = client.post(
        f"/api/projects/{project_id}/sessions/{session_id}/prompts/",
        as_=owner,
        json={
            "messages": [
                {"role": "system", "content": SYSTEM_TEXT},
                {"role": "user", "content": USER_TEMPLATE},
            ]
        },
    )
    assert prompt.status_code == 201, prompt.text
    return PromptSetup(owner, project_id, session_id, prompt.json()["id"])


@pytest.fixture
def setup(client: Api) -> PromptSetup:
    return create_prompt_setup(client)


def execute(
    client: Api,
    setup: PromptSetup,
    model: str = "fake-gpt",
    *,
    as_: Account | None = None,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> httpx.Response:
    payload: dict[str, Any] = {"model": model, "variables": VARIABLES, **body}
    return client.post(
        setup.execute_path, as_=as_ or setup.owner, json=payload, headers=headers or {}
    )


def read_events(response: httpx.Response) -> list[tuple[str, Any]]:
    """Parse a whole server-sent event stream into (event, decoded data) pairs."""
    events: list[tuple[str, Any]] = []
    name = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name or "message", json.loads(line.removeprefix("data: "))))
            name = None
    return events


async def count_logs(engine: AsyncEngine, prompt_id: str) -> int:
    async with engine.connect() as connection:
        result = await connection.execute(
            select(func.count())
            .select_from(executions)
            .where(executions.c.prompt_id == uuid.UUID(prompt_id))
        )
        return int(result.scalar_one())


def expected_cost(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    input_price, output_price = PRICES[model]
    return (input_tokens * input_price + output_tokens * output_price) / Decimal(1_000_000)


def wait_for_status(
    client: Api, setup: PromptSetup, execution_id: str, statuses: set[str]
) -> dict[str, Any]:
    """Poll a log until its status is one of `statuses`, for at most 10 seconds."""
    deadline = time.monotonic() + 10
    while True:
        response = client.get(f"{setup.prompt_path}/executions/{execution_id}/", as_=setup.owner)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in statuses or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


# Success


@pytest.mark.parametrize("model", ["fake-gpt", "fake-claude"])
async def test_execute_records_success(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
    model: str,
) -> None:
    response = execute(client, setup, model, parameters={"temperature": 0.2, "max_tokens": 50})

    assert response.status_code == 201, response.text
    log = response.json()
    assert log["status"] == "succeeded"
    assert log["output"] == EXPECTED_OUTPUT
    assert log["usage"]["input_tokens"] == EXPECTED_INPUT_TOKENS
    assert log["usage"]["output_tokens"] == EXPECTED_OUTPUT_TOKENS
    assert log["usage"]["total_tokens"] == EXPECTED_INPUT_TOKENS + EXPECTED_OUTPUT_TOKENS
    assert Decimal(log["cost"]) == expected_cost(
        model, EXPECTED_INPUT_TOKENS, EXPECTED_OUTPUT_TOKENS
    )
    assert log["latency_ms"] is not None and log["latency_ms"] >= 0
    assert log["time_to_first_token_ms"] is None
    assert log["attempts"] == 1
    assert log["error"] is None
    assert log["provider_request_id"].startswith("req_fake_")
    assert log["finish_reason"] in {"stop", "end_turn"}
    assert log["messages"] == [
        {"role": "system", "content": SYSTEM_TEXT},
        {"role": "user", "content": RENDERED_USER_TEXT},
    ]
    assert log["variables"] == VARIABLES
    assert log["parameters"] == {"temperature": 0.2, "max_tokens": 50}
    assert log["model"] == model
    assert log["prompt"] == setup.prompt_id
    assert log["session"] == setup.session_id
    assert log["project"] == setup.project_id
    assert log["created_by"] == setup.owner.id
    assert log["completed_at"] is not None
    assert len(fake_server.requests) == 1
    assert await count_logs(engine, setup.prompt_id) == 1

    detail = client.get(f"{setup.prompt_path}/executions/{log['id']}/", as_=setup.owner)
    assert detail.status_code == 200
    assert detail.json() == log


@pytest.mark.parametrize("model", ["fake-gpt", "fake-claude"])
async def test_stream_records_success(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
    model: str,
) -> None:
    with client.http.stream(
        "POST",
        setup.execute_path + "?stream=true",
        headers=setup.owner.headers,
        json={"model": model, "variables": VARIABLES},
    ) as response:
        assert response.status_code == 201
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)

    names = [name for name, _ in events]
    assert names[0] == "execution"
    assert names[-1] == "done"
    assert "error" not in names
    assert set(names[1:-1]) == {"delta"}
    assert events[0][1]["status"] == "running"

    final = events[-1][1]
    assert final["id"] == events[0][1]["id"]
    assert final["status"] == "succeeded"
    assert "".join(data["text"] for name, data in events if name == "delta") == EXPECTED_OUTPUT
    assert final["output"] == EXPECTED_OUTPUT
    assert final["usage"]["input_tokens"] == EXPECTED_INPUT_TOKENS
    assert final["usage"]["output_tokens"] == EXPECTED_OUTPUT_TOKENS
    assert Decimal(final["cost"]) == expected_cost(
        model, EXPECTED_INPUT_TOKENS, EXPECTED_OUTPUT_TOKENS
    )
    assert final["time_to_first_token_ms"] is not None
    assert final["latency_ms"] >= final["time_to_first_token_ms"]
    assert final["provider_request_id"].startswith("req_fake_")
    assert final["attempts"] == 1
    assert await count_logs(engine, setup.prompt_id) == 1

    stored = client.get(f"{setup.prompt_path}/executions/{final['id']}/", as_=setup.owner)
    assert stored.json() == final


# Provider failures


@pytest.mark.parametrize(
    ("model", "behavior", "status", "code", "provider_status", "attempts"),
    [
        pytest.param(
            "fake-gpt", Behavior.hang(5), "failed", "timeout", None, MAX_ATTEMPTS, id="hang"
        ),
        pytest.param(
            "fake-gpt",
            Behavior.error(500),
            "failed",
            "provider_server_error",
            500,
            MAX_ATTEMPTS,
            id="server-error",
        ),
        pytest.param(
            "fake-claude",
            Behavior.error(429, retry_after="1"),
            "failed",
            "rate_limited",
            429,
            MAX_ATTEMPTS,
            id="rate-limited",
        ),
        pytest.param(
            "fake-claude",
            Behavior.error(529),
            "failed",
            "overloaded",
            529,
            MAX_ATTEMPTS,
            id="overloaded",
        ),
        pytest.param(
            "fake-gpt",
            Behavior.error(401),
            "failed",
            "authentication_failed",
            401,
            1,
            id="unauthorized",
        ),
        pytest.param(
            "fake-gpt",
            Behavior.malformed_json(),
            "failed",
            "invalid_response",
            200,
            1,
            id="malformed-json",
        ),
    ],
)
async def test_execute_records_provider_failure(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
    model: str,
    behavior: Behavior,
    status: str,
    code: str,
    provider_status: int | None,
    attempts: int,
) -> None:
    fake_server.enqueue(*[behavior] * MAX_ATTEMPTS)

    response = execute(client, setup, model)

    assert response.status_code == 201, response.text
    log = response.json()
    assert log["status"] == status
    assert log["error"]["code"] == code
    assert log["error"]["provider_status"] == provider_status
    assert log["attempts"] == attempts
    assert len(fake_server.requests) == attempts
    assert log["output"] is None
    assert log["usage"] is None
    assert log["cost"] is None
    assert OPENAI_KEY not in log["error"]["message"]
    assert ANTHROPIC_KEY not in log["error"]["message"]
    assert await count_logs(engine, setup.prompt_id) == 1


async def test_retry_after_then_success(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    fake_server.enqueue(Behavior.error(429, retry_after="1"))

    log = execute(client, setup).json()

    assert log["status"] == "succeeded"
    assert log["attempts"] == 2
    assert log["error"] is None
    assert len(fake_server.requests) == 2


async def test_missing_usage_leaves_cost_unknown(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
) -> None:
    fake_server.enqueue(Behavior.no_usage())

    log = execute(client, setup).json()

    assert log["status"] == "succeeded"
    assert log["output"] == EXPECTED_OUTPUT
    assert log["usage"] is None
    assert log["cost"] is None
    assert log["attempts"] == 1
    assert await count_logs(engine, setup.prompt_id) == 1


@pytest.mark.parametrize("model", ["fake-gpt", "fake-claude"])
async def test_cut_stream_records_partial_failure(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
    model: str,
) -> None:
    fake_server.enqueue(Behavior.cut_stream(after_deltas=2))

    with client.http.stream(
        "POST",
        setup.execute_path + "?stream=true",
        headers=setup.owner.headers,
        json={"model": model, "variables": VARIABLES},
    ) as response:
        events = read_events(response)

    names = [name for name, _ in events]
    assert names == ["execution", "delta", "delta", "error", "done"]
    final = events[-1][1]
    assert final["status"] == "failed"
    assert final["error"]["code"] == "stream_interrupted"
    assert events[-2][1] == final["error"]
    assert final["output"] == "Echo: Say"
    assert final["attempts"] == 1
    assert len(fake_server.requests) == 1
    assert await count_logs(engine, setup.prompt_id) == 1


async def test_stream_retries_before_first_delta(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    fake_server.enqueue(Behavior.error(503))

    with client.http.stream(
        "POST",
        setup.execute_path + "?stream=true",
        headers=setup.owner.headers,
        json={"model": "fake-gpt", "variables": VARIABLES},
    ) as response:
        events = read_events(response)

    final = events[-1][1]
    assert final["status"] == "succeeded"
    assert final["attempts"] == 2
    assert final["output"] == EXPECTED_OUTPUT
    assert len(fake_server.requests) == 2


async def test_client_disconnect_cancels_stream(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
) -> None:
    fake_server.enqueue(Behavior.stall_stream(after_deltas=2, seconds=5))

    deltas: list[str] = []
    with client.http.stream(
        "POST",
        setup.execute_path + "?stream=true",
        headers=setup.owner.headers,
        json={"model": "fake-gpt", "variables": VARIABLES},
    ) as response:
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: ") and name == "execution":
                execution_id = json.loads(line.removeprefix("data: "))["id"]
            elif line.startswith("data: ") and name == "delta":
                deltas.append(json.loads(line.removeprefix("data: "))["text"])
                if len(deltas) == 2:
                    break

    log = wait_for_status(client, setup, execution_id, {"cancelled", "failed", "succeeded"})

    assert log["status"] == "cancelled"
    assert log["output"] == "".join(deltas)
    assert log["error"] is None
    assert log["time_to_first_token_ms"] is not None
    assert log["completed_at"] is not None
    assert await count_logs(engine, setup.prompt_id) == 1


# Idempotency


async def test_idempotency_key_replays_log(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}

    first = execute(client, setup, headers=key)
    again = execute(client, setup, headers=key)

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert len(fake_server.requests) == 1
    assert await count_logs(engine, setup.prompt_id) == 1

    changed = execute(client, setup, headers=key, parameters={"temperature": 1})
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(fake_server.requests) == 1
    assert await count_logs(engine, setup.prompt_id) == 1


async def test_idempotency_key_during_run(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    # The first attempt hangs past the 1 s attempt timeout and the retry
    # succeeds, so the first request stays running for over a second.
    fake_server.enqueue(Behavior.hang(5))
    first: dict[str, httpx.Response] = {}
    worker = threading.Thread(
        target=lambda: first.update(response=execute(client, setup, headers=key))
    )
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not fake_server.requests and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

        during = execute(client, setup, headers=key)
    finally:
        worker.join(30)

    finished = first["response"].json()
    assert during.status_code == 201
    assert during.json()["status"] == "running"
    assert during.json()["id"] == finished["id"]
    assert finished["status"] == "succeeded"
    assert finished["attempts"] == 2
    assert len(fake_server.requests) == finished["attempts"]
    assert await count_logs(engine, setup.prompt_id) == 1


# The reaper


async def test_reaper_interrupts_abandoned_log(
    client: Api, setup: PromptSetup, engine: AsyncEngine
) -> None:
    execution_id = uuid.uuid4()
    started = datetime.now(UTC) - timedelta(hours=1)
    async with engine.begin() as connection:
        await connection.execute(
            insert(executions).values(
                id=execution_id,
                project_id=uuid.UUID(setup.project_id),
                session_id=uuid.UUID(setup.session_id),
                prompt_id=uuid.UUID(setup.prompt_id),
                model="fake-gpt",
                provider="fake-openai",
                messages=[{"role": "user", "content": RENDERED_USER_TEXT}],
                variables=VARIABLES,
                parameters={},
                status="running",
                attempts=1,
                streamed=False,
                created_by=uuid.UUID(setup.owner.id),
                created_at=started,
                deadline_at=started + timedelta(minutes=5),
            )
        )

    log = wait_for_status(client, setup, str(execution_id), {"failed", "succeeded"})

    assert log["status"] == "failed"
    assert log["error"]["code"] == "interrupted"
    assert log["completed_at"] is not None


# Rules checked before any provider call


async def test_archived_project_rejects_execution(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
) -> None:
    archived = client.delete(f"/api/projects/{setup.project_id}/", as_=setup.owner)
    assert archived.status_code == 204

    response = execute(client, setup)

    assert response.status_code == 409
    assert "archived" in response.json()["detail"]
    assert fake_server.requests == []
    assert await count_logs(engine, setup.prompt_id) == 0


async def test_closed_session_rejects_execution(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    closed = client.patch(
        f"/api/projects/{setup.project_id}/sessions/{setup.session_id}/",
        as_=setup.owner,
        json={"status": "closed"},
    )
    assert closed.status_code == 200, closed.text

    response = execute(client, setup)

    assert response.status_code == 409
    assert "closed" in response.json()["detail"]
    assert fake_server.requests == []


async def test_viewer_reads_but_cannot_execute(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    executed = execute(client, setup)
    assert executed.status_code == 201
    viewer = client.register()
    added = client.post(
        f"/api/projects/{setup.project_id}/collaborators/",
        as_=setup.owner,
        json={"email": viewer.email, "role": "viewer"},
    )
    assert added.status_code == 201, added.text

    response = execute(client, setup, as_=viewer)
    listed = client.get(f"{setup.prompt_path}/executions/", as_=viewer)

    assert response.status_code == 403
    assert listed.status_code == 200
    assert [log["id"] for log in listed.json()["results"]] == [executed.json()["id"]]
    assert len(fake_server.requests) == 1


async def test_other_tenant_gets_not_found(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    executed = execute(client, setup).json()
    stranger = client.register()

    response = execute(client, setup, as_=stranger)
    listed = client.get(f"{setup.prompt_path}/executions/", as_=stranger)
    detail = client.get(f"{setup.prompt_path}/executions/{executed['id']}/", as_=stranger)

    assert response.status_code == 404
    assert listed.status_code == 404
    assert detail.status_code == 404
    assert len(fake_server.requests) == 1


async def test_missing_variables_are_all_named(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
) -> None:
    response = execute(client, setup, variables={"nmae": "Ada"})

    assert response.status_code == 422
    messages = [error["message"] for error in response.json()["errors"]]
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"variables"}
    assert any("word" in message and "name" in message for message in messages)
    assert any("nmae" in message for message in messages)
    assert fake_server.requests == []
    assert await count_logs(engine, setup.prompt_id) == 0


async def test_unknown_model_lists_available(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    response = execute(client, setup, model="no-such-model")

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "model"
    assert "no-such-model" in error["message"]
    assert "fake-gpt" in error["message"]
    assert "fake-claude" in error["message"]
    assert fake_server.requests == []


async def test_session_default_model_and_parameters(
    client: Api,
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    setup = create_prompt_setup(
        client,
        default_model="fake-claude",
        default_parameters={"temperature": 0.5, "max_tokens": 40},
    )

    without_model = client.post(
        setup.execute_path,
        as_=setup.owner,
        json={"variables": VARIABLES, "parameters": {"max_tokens": 30}},
    )

    assert without_model.status_code == 201, without_model.text
    log = without_model.json()
    assert log["model"] == "fake-claude"
    assert log["parameters"] == {"temperature": 0.5, "max_tokens": 30}
    assert fake_server.requests[0].json["max_tokens"] == 30


async def test_model_required_without_session_default(client: Api, setup: PromptSetup) -> None:
    response = client.post(setup.execute_path, as_=setup.owner, json={"variables": VARIABLES})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "model"


async def test_max_tokens_above_model_limit(client: Api, setup: PromptSetup) -> None:
    response = execute(client, setup, parameters={"max_tokens": 1001})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parameters.max_tokens"


# Listing


async def test_list_filters_and_pages(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    fake_server.enqueue(Behavior.error(401))
    failed = execute(client, setup).json()
    succeeded = [execute(client, setup).json(), execute(client, setup, "fake-claude").json()]
    path = f"{setup.prompt_path}/executions/"

    first_page = client.get(path, as_=setup.owner, params={"limit": 2}).json()
    second_page = client.get(
        path, as_=setup.owner, params={"limit": 2, "cursor": first_page["next"]}
    ).json()
    only_failed = client.get(path, as_=setup.owner, params={"status": "failed"}).json()
    only_claude = client.get(path, as_=setup.owner, params={"model": "fake-claude"}).json()

    newest_first = [succeeded[1]["id"], succeeded[0]["id"], failed["id"]]
    assert [log["id"] for log in first_page["results"]] == newest_first[:2]
    assert [log["id"] for log in second_page["results"]] == newest_first[2:]
    assert second_page["next"] is None
    assert [log["id"] for log in only_failed["results"]] == [failed["id"]]
    assert [log["id"] for log in only_claude["results"]] == [succeeded[1]["id"]]


@pytest.mark.parametrize("model", ["fake-gpt", "fake-claude"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
async def test_unstorable_output_is_recorded_cleaned(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
    model: str,
    stream: bool,
) -> None:
    # A NUL cannot be stored in PostgreSQL text and a lone surrogate cannot be
    # encoded for SQLite; a count beyond 32 bits fits neither integer column.
    fake_server.enqueue(Behavior.reply("a\x00b", "c\ud800d"))
    fake_server.enqueue(Behavior.with_usage({"completion_tokens": 10**30, "output_tokens": 10**30}))

    if stream:
        with client.http.stream(
            "POST",
            f"{setup.prompt_path}/execute/?stream=true",
            headers=setup.owner.headers,
            json={"model": model, "variables": VARIABLES},
        ) as response:
            assert response.status_code == 201
            events = read_events(response)
        log = events[-1][1]
    else:
        response = execute(client, setup, model=model)
        assert response.status_code == 201
        log = response.json()
    huge_usage = execute(client, setup, model=model).json()

    assert log["status"] == "succeeded"
    assert log["output"] == "a\ufffdb c\ufffdd"
    assert huge_usage["status"] == "succeeded"
    assert huge_usage["usage"]["output_tokens"] is None
    assert huge_usage["cost"] is None
    assert await count_logs(engine, setup.prompt_id) == 2


async def test_rendered_prompt_over_limit_is_rejected(
    client: Api,
    setup: PromptSetup,
    fake_server: FakeProviderServer,  # noqa: F811
    engine: AsyncEngine,
) -> None:
    response = execute(client, setup, variables={"word": "x" * RENDERED_LIMIT, "name": "Ada"})

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == ["variables"]
    assert str(RENDERED_LIMIT) in errors[0]["message"]
    assert fake_server.requests == []
    assert await count_logs(engine, setup.prompt_id) == 0
