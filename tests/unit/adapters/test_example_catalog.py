"""The example models file in the docs loads as a deployment catalog."""

from __future__ import annotations

from pathlib import Path

from promptlab.adapters.catalog.loader import load_catalog

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "models.toml"


def test_example_models_file_loads() -> None:
    catalog = load_catalog(EXAMPLE)

    local_server = catalog.find("llama3.2-3b")
    hosted = catalog.find("openrouter-llama-3.3-70b")
    assert local_server is not None
    assert local_server.provider == "ollama"
    assert hosted is not None
    assert hosted.prices.input_per_million is None
    assert catalog.find("smollm2-135m-instruct") is not None
