"""The model catalog loader: the shipped file, deployment files and their validation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from promptlab.adapters.catalog import CatalogError, load_catalog
from promptlab.domain.catalog import ProviderKind


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    return caught.value.problems


def test_shipped_catalog_has_three_providers() -> None:
    catalog = load_catalog()

    local = catalog.provider_config("local")
    openai = catalog.provider_config("openai")
    anthropic = catalog.provider_config("anthropic")
    assert local is not None and local.kind == ProviderKind.LOCAL
    assert local.base_url is None
    assert openai is not None and openai.kind == ProviderKind.OPENAI_COMPATIBLE
    assert openai.base_url == "https://api.openai.com/v1"
    assert openai.api_key_env == "OPENAI_API_KEY"
    assert anthropic is not None and anthropic.kind == ProviderKind.ANTHROPIC
    assert anthropic.base_url == "https://api.anthropic.com"
    assert anthropic.api_key_env == "ANTHROPIC_API_KEY"


def test_shipped_catalog_local_model_is_free() -> None:
    model = load_catalog().find("smollm2-135m-instruct")

    assert model is not None
    assert model.provider == "local"
    assert model.prices.input_per_million == Decimal("0")
    assert model.prices.output_per_million == Decimal("0")
    assert model.max_output_tokens <= model.context_window


def test_shipped_catalog_prices_are_decimals() -> None:
    catalog = load_catalog()

    assert {m.provider for m in catalog.list_models()} == {"local", "openai", "anthropic"}
    for model in catalog.list_models():
        for price in (
            model.prices.input_per_million,
            model.prices.output_per_million,
            model.prices.cached_input_per_million,
        ):
            assert price is None or isinstance(price, Decimal), model.id
        assert model.prices.input_per_million is not None, model.id
        assert model.prices.output_per_million is not None, model.id


def test_shipped_catalog_reads_exact_prices() -> None:
    model = load_catalog().find("gpt-5.4-mini")

    assert model is not None
    assert model.prices.input_per_million == Decimal("0.75")
    assert model.prices.cached_input_per_million == Decimal("0.075")
    assert model.prices.output_per_million == Decimal("4.50")


def test_deployment_file_adds_provider_and_model(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [providers.vllm]
        kind = "openai_compatible"
        base_url = "http://127.0.0.1:8000/v1"

        [models."qwen-small"]
        provider = "vllm"
        upstream_name = "Qwen/Qwen3-0.6B"
        context_window = 32768
        max_output_tokens = 4096
        """,
    )

    catalog = load_catalog(path)

    provider = catalog.provider_config("vllm")
    model = catalog.find("qwen-small")
    assert provider is not None and provider.api_key_env is None
    assert model is not None
    assert model.upstream_name == "Qwen/Qwen3-0.6B"
    assert model.prices.input_per_million is None
    assert catalog.find("gpt-5.4") is not None
    assert [m.id for m in catalog.list_models()][-1] == "qwen-small"


def test_deployment_override_replaces_whole_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [models."gpt-5.4-mini"]
        provider = "openai"
        upstream_name = "gpt-5.4-mini-2026-03-17"
        context_window = 400000
        max_output_tokens = 1000
        input_price_per_million = "1"
        output_price_per_million = "2"
        """,
    )

    model = load_catalog(path).find("gpt-5.4-mini")

    assert model is not None
    assert model.upstream_name == "gpt-5.4-mini-2026-03-17"
    assert model.max_output_tokens == 1000
    assert model.prices.input_per_million == Decimal("1")
    # The shipped entry's cached price is not carried over.
    assert model.prices.cached_input_per_million is None
    assert model.display_name is None


def test_deployment_override_replaces_provider(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [providers.openai]
        kind = "openai_compatible"
        base_url = "http://127.0.0.1:4000/v1"
        api_key_env = "PROXY_KEY"
        """,
    )

    provider = load_catalog(path).provider_config("openai")

    assert provider is not None
    assert provider.base_url == "http://127.0.0.1:4000/v1"
    assert provider.api_key_env == "PROXY_KEY"


def test_deployment_price_accepts_integer(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [models."m"]
        provider = "local"
        upstream_name = "m"
        context_window = 10
        max_output_tokens = 5
        input_price_per_million = 3
        """,
    )

    model = load_catalog(path).find("m")

    assert model is not None
    assert model.prices.input_per_million == Decimal(3)


def test_missing_deployment_file_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"

    problems = problems_of(missing)

    assert len(problems) == 1
    assert problems[0].startswith(f"The models file {missing} does not exist.")


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[models.\n")

    problems = problems_of(path)

    assert len(problems) == 1
    assert problems[0].startswith(f"{path} is not valid TOML")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "context_window = -1\nmax_output_tokens = 5",
            'models."gpt-x".context_window must be a positive integer, got -1',
        ),
        (
            "context_window = 10\nmax_output_tokens = 0",
            'models."gpt-x".max_output_tokens must be a positive integer, got 0',
        ),
        (
            'context_window = "big"\nmax_output_tokens = 5',
            'models."gpt-x".context_window must be a positive integer, got "big"',
        ),
        (
            "context_window = true\nmax_output_tokens = 5",
            'models."gpt-x".context_window must be a positive integer, got true',
        ),
        (
            "context_window = 10\nmax_output_tokens = 20",
            'models."gpt-x".max_output_tokens must not exceed context_window (10), got 20',
        ),
        (
            "context_window = 10\nmax_output_tokens = 5\ninput_price_per_million = 2.5",
            'models."gpt-x".input_price_per_million must be a decimal number written as a '
            'string such as "2.50", got 2.5',
        ),
        (
            'context_window = 10\nmax_output_tokens = 5\noutput_price_per_million = "cheap"',
            'models."gpt-x".output_price_per_million must be a non-negative decimal number '
            'such as "2.50", got "cheap"',
        ),
        (
            'context_window = 10\nmax_output_tokens = 5\ncached_input_price_per_million = "-1"',
            'models."gpt-x".cached_input_price_per_million must be a non-negative decimal '
            'number such as "2.50", got "-1"',
        ),
        (
            'context_window = 10\nmax_output_tokens = 5\ninput_price_per_million = "NaN"',
            'models."gpt-x".input_price_per_million must be a non-negative decimal number '
            'such as "2.50", got "NaN"',
        ),
        (
            "context_window = 10\nmax_output_tokens = 5\ncontext = 3",
            'models."gpt-x".context is not a known field',
        ),
    ],
)
def test_invalid_model_field_names_file_entry_and_field(
    tmp_path: Path, entry: str, expected: str
) -> None:
    path = write(
        tmp_path, f'[models."gpt-x"]\nprovider = "openai"\nupstream_name = "gpt-x"\n{entry}\n'
    )

    problems = problems_of(path)

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: {expected}"), problems[0]


def test_model_missing_required_fields(tmp_path: Path) -> None:
    path = write(tmp_path, '[models."bare"]\ndisplay_name = "Bare"\n')

    problems = problems_of(path)

    assert problems == [
        f'{path}: models."bare".provider is required',
        f'{path}: models."bare".upstream_name is required',
        f'{path}: models."bare".context_window is required',
        f'{path}: models."bare".max_output_tokens is required',
    ]


def test_model_with_unknown_provider(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [models."m"]
        provider = "mistral"
        upstream_name = "m"
        context_window = 10
        max_output_tokens = 5
        """,
    )

    problems = problems_of(path)

    assert problems == [
        f"{path}: models.\"m\".provider names the unknown provider 'mistral' "
        "(known providers: anthropic, local, openai)"
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            'kind = "grpc"',
            'providers.p.kind must be one of "openai_compatible", "anthropic", "local", got "grpc"',
        ),
        ('kind = "anthropic"', "providers.p.base_url is required"),
        (
            'kind = "openai_compatible"\nbase_url = "ftp://x"',
            'providers.p.base_url must be an http:// or https:// URL, got "ftp://x"',
        ),
        (
            'kind = "openai_compatible"\nbase_url = "http://x"\napi_key_env = "MY KEY"',
            'providers.p.api_key_env must be an environment variable name such as OPENAI_API_KEY, got "MY KEY"',
        ),
        (
            'kind = "local"\nbase_url = "http://x"',
            'providers.p.base_url is not used by a provider of kind "local"; remove it',
        ),
        ('base_url = "http://x"', "providers.p.kind is required"),
        ('kind = "local"\ntimeout = 3', "providers.p.timeout is not a known field"),
    ],
)
def test_invalid_provider_names_file_entry_and_field(
    tmp_path: Path, entry: str, expected: str
) -> None:
    path = write(tmp_path, f"[providers.p]\n{entry}\n")

    problems = problems_of(path)

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: {expected}"), problems[0]


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, 'default_model = "gpt-5.4"\n')

    problems = problems_of(path)

    assert problems == [
        f"{path}: unknown top-level key 'default_model' (expected 'providers' or 'models')"
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [providers.p]
        kind = "nope"

        [models."a"]
        provider = "local"
        upstream_name = "a"
        context_window = 0
        max_output_tokens = 5

        [models."b"]
        provider = "local"
        upstream_name = "b"
        context_window = 10
        max_output_tokens = 5
        color = "red"
        """,
    )

    problems = problems_of(path)

    assert len(problems) == 3
    assert any("providers.p.kind" in p for p in problems)
    assert any('models."a".context_window' in p for p in problems)
    assert any('models."b".color' in p for p in problems)
