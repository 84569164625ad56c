"""The model catalog over HTTP: prices, limits and which providers can take calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from promptlab.adapters.catalog import load_catalog
from promptlab.adapters.providers import llama_cpp_local
from promptlab.adapters.providers.registry import ProviderRegistry
from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import Settings
from tests.support.api import Api
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
def catalog_client(settings_factory: Callable[..., Settings]) -> Iterator[Api]:
    """A server whose environment has only an Anthropic key and no llama.cpp."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(llama_cpp_local, "llama_cpp_installed", lambda: False)
        registry = ProviderRegistry(load_catalog(), {"ANTHROPIC_API_KEY": "sk-ant-test"})
    server = LiveServer(
        create_app(settings_factory(), overrides={"model_providers": registry})
    ).start()
    client = Api(server.url)
    yield client
    client.close()
    server.stop()


def by_id(client: Api) -> dict[str, dict[str, object]]:
    account = client.register()
    response = client.get("/api/models/", as_=account)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    return {model["id"]: model for model in body["results"]}


def test_models_need_authentication(catalog_client: Api) -> None:
    response = catalog_client.get("/api/models/")

    assert response.status_code == 401


def test_models_list_limits_and_prices(catalog_client: Api) -> None:
    models = by_id(catalog_client)

    gpt = models["gpt-5.4-mini"]
    assert gpt["provider"] == "openai"
    assert gpt["upstream_name"] == "gpt-5.4-mini"
    assert gpt["context_window"] == 400000
    assert gpt["max_output_tokens"] == 128000
    assert Decimal(str(gpt["input_price_per_million"])) == Decimal("0.75")
    assert Decimal(str(gpt["output_price_per_million"])) == Decimal("4.50")
    assert Decimal(str(gpt["cached_input_price_per_million"])) == Decimal("0.075")


def test_models_report_provider_configuration(catalog_client: Api) -> None:
    models = by_id(catalog_client)

    claude = models["claude-haiku-4-5"]
    gpt = models["gpt-5.4-mini"]
    local = models["smollm2-135m-instruct"]
    assert claude["configured"] is True
    assert claude["detail"] is None
    assert gpt["configured"] is False
    assert "OPENAI_API_KEY" in str(gpt["detail"])
    assert local["configured"] is False
    assert "make install-local" in str(local["detail"])


def test_unconfigured_model_rejects_execution(catalog_client: Api) -> None:
    account = catalog_client.register()
    project = catalog_client.post("/api/projects/", as_=account, json={"name": "Catalog"})
    project_id = project.json()["id"]
    session = catalog_client.post(
        f"/api/projects/{project_id}/sessions/", as_=account, json={"name": "Try"}
    )
    session_id = session.json()["id"]
    prompt = catalog_client.post(
        f"/api/projects/{project_id}/sessions/{session_id}/prompts/",
        as_=account,
        json={"content": "Hello"},
    )
    path = f"/api/projects/{project_id}/sessions/{session_id}/prompts/{prompt.json()['id']}"

    response = catalog_client.post(path + "/execute/", as_=account, json={"model": "gpt-5.4-mini"})

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "model"
    assert "OPENAI_API_KEY" in error["message"]
