"""Logs carry ids, never passwords, tokens, provider API keys or prompt text.

Every record the process logs while a user registers, logs in, refreshes,
reuses a refresh token and executes prompts (one failing because the
provider rejects its API key and quotes it back) is searched for each of
those values.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.e2e.route_world import world_api, world_server  # noqa: F401 - fixtures
from tests.fakes import Behavior, FakeProviderServer
from tests.fakes.fixtures import fake_provider_server, fake_server  # noqa: F401
from tests.support.api import DEFAULT_PASSWORD, Api

# The API key that route_world's server sends to the fake provider.
WORLD_MODEL_KEY = "sk-world"


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def captured_logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(capture)
    # DEBUG, so that no level hides a leak.
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(previous_level)


def test_logs_hold_no_secrets_or_prompts(
    world_api: Api,  # noqa: F811
    fake_server: FakeProviderServer,  # noqa: F811
) -> None:
    api = world_api
    secret_text = f"confidential plan {uuid.uuid4().hex}"
    secret_value = f"value-{uuid.uuid4().hex}"

    with captured_logs() as logs:
        owner = api.register()
        login = api.post(
            "/api/auth/login/", json={"email": owner.email, "password": DEFAULT_PASSWORD}
        )
        wrong = api.post(
            "/api/auth/login/", json={"email": owner.email, "password": "wrong " + secret_value}
        )
        refreshed = api.post("/api/auth/token/refresh/", json={"refresh": owner.refresh})
        reused = api.post("/api/auth/token/refresh/", json={"refresh": owner.refresh})
        forged = api.get("/api/auth/me/", headers={"Authorization": "Bearer " + secret_value})

        project = api.post("/api/projects/", as_=owner, json={"name": "Logging"}).json()
        session = api.post(
            f"/api/projects/{project['id']}/sessions/", as_=owner, json={"name": "S"}
        ).json()
        prompt = api.post(
            f"/api/projects/{project['id']}/sessions/{session['id']}/prompts/",
            as_=owner,
            json={"content": secret_text + " {{topic}}"},
        ).json()
        execute_path = (
            f"/api/projects/{project['id']}/sessions/{session['id']}"
            f"/prompts/{prompt['id']}/execute/"
        )
        body = {"model": "fake-gpt", "variables": {"topic": secret_value}}
        succeeded = api.post(execute_path, as_=owner, json=body)
        fake_server.enqueue(Behavior.error(401))
        failed = api.post(execute_path, as_=owner, json=body)

    assert login.status_code == 200
    assert wrong.status_code == 401
    assert refreshed.status_code == 200
    assert reused.status_code == 401
    assert forged.status_code == 401
    assert succeeded.json()["status"] == "succeeded"
    assert failed.json()["error"]["code"] == "authentication_failed"
    # The fake provider quoted the key back in its error.
    assert WORLD_MODEL_KEY in fake_server.requests[-1].headers["authorization"]

    text = "\n".join(logs.lines)
    assert logs.lines
    assert DEFAULT_PASSWORD not in text
    assert secret_value not in text
    assert owner.access not in text
    assert owner.refresh not in text
    assert login.json()["access"] not in text
    assert refreshed.json()["refresh"] not in text
    assert WORLD_MODEL_KEY not in text
    assert secret_text not in text
