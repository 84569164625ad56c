"""The embedded local model producing real text through the HTTP API."""

from __future__ import annotations

import pytest

from tests.support.api import Api

LOCAL_MODEL = "smollm2-135m-instruct"


@pytest.mark.slow
def test_local_model_is_deterministic(api: Api) -> None:
    owner = api.register()
    models = api.get("/api/models/", as_=owner).json()["results"]
    local = next(model for model in models if model["id"] == LOCAL_MODEL)
    assert local["configured"], local["detail"]

    project_id = api.post("/api/projects/", as_=owner, json={"name": "Local"}).json()["id"]
    session_id = api.post(
        f"/api/projects/{project_id}/sessions/", as_=owner, json={"name": "Local model"}
    ).json()["id"]
    prompt_id = api.post(
        f"/api/projects/{project_id}/sessions/{session_id}/prompts/",
        as_=owner,
        json={"content": "Name one {{thing}}. Answer in a few words."},
    ).json()["id"]
    path = f"/api/projects/{project_id}/sessions/{session_id}/prompts/{prompt_id}/execute/"
    body = {
        "model": LOCAL_MODEL,
        "variables": {"thing": "colour"},
        "parameters": {"temperature": 0, "max_tokens": 12},
    }

    first = api.post(path, as_=owner, json=body)
    second = api.post(path, as_=owner, json=body)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    first_log, second_log = first.json(), second.json()
    assert first_log["status"] == "succeeded", first_log["error"]
    assert second_log["status"] == "succeeded", second_log["error"]
    assert first_log["output"].strip()
    assert second_log["output"] == first_log["output"]
    assert first_log["usage"]["input_tokens"] > 0
    assert 0 < first_log["usage"]["output_tokens"] <= 12
    assert first_log["usage"]["total_tokens"] == (
        first_log["usage"]["input_tokens"] + first_log["usage"]["output_tokens"]
    )
    assert first_log["cost"] == "0"
    assert first_log["latency_ms"] > 0
    assert first_log["provider"] == "local"
