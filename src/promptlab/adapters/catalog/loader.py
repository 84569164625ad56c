"""Loading of the model catalog from the shipped TOML file and a deployment's own file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from promptlab.domain.catalog import ModelSpec, Prices, ProviderConfig, ProviderKind

SHIPPED_CATALOG = "models.toml"

_PROVIDER_FIELDS = frozenset({"kind", "base_url", "api_key_env"})
_MODEL_FIELDS = frozenset(
    {
        "provider",
        "upstream_name",
        "display_name",
        "context_window",
        "max_output_tokens",
        "input_price_per_million",
        "output_price_per_million",
        "cached_input_price_per_million",
    }
)
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CatalogError(Exception):
    """A catalog file cannot be used. The message lists every problem, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@attrs.frozen
class Catalog:
    """The providers and models of a deployment. Implements the ModelCatalog port."""

    providers: Mapping[str, ProviderConfig]
    models: Mapping[str, ModelSpec]

    def list_models(self) -> list[ModelSpec]:
        """Return every model, shipped entries first, in file order."""
        return list(self.models.values())

    def find(self, model_id: str) -> ModelSpec | None:
        return self.models.get(model_id)

    def provider_config(self, provider: str) -> ProviderConfig | None:
        return self.providers.get(provider)

    def list_providers(self) -> list[ProviderConfig]:
        return list(self.providers.values())

    def models_of(self, provider: str) -> list[ModelSpec]:
        return [model for model in self.models.values() if model.provider == provider]


def load_catalog(extra_file: Path | None = None) -> Catalog:
    """Load the shipped catalog, then apply `extra_file` (PROMPTLAB_MODELS_FILE) on top.

    An entry in `extra_file` adds a provider or model, or replaces the shipped
    entry of the same name whole. Raises CatalogError naming the file, the
    entry and the field of every problem found.
    """
    shipped_text = resources.files(__package__).joinpath(SHIPPED_CATALOG).read_text("utf-8")
    sources = [_parse(SHIPPED_CATALOG, shipped_text)]
    if extra_file is not None:
        sources.append(_parse(str(extra_file), _read(extra_file)))

    problems: list[str] = []
    providers: dict[str, ProviderConfig] = {}
    models: dict[str, tuple[str, ModelSpec]] = {}
    for source_name, document in sources:
        file_providers, file_models = _validate_document(source_name, document, problems)
        providers.update(file_providers)
        models.update({model_id: (source_name, spec) for model_id, spec in file_models.items()})

    for model_id, (source_name, spec) in models.items():
        if spec.provider not in providers:
            known = ", ".join(sorted(providers)) or "none"
            problems.append(
                f"{source_name}: {_model_key(model_id)}.provider names the unknown provider "
                f"'{spec.provider}' (known providers: {known})"
            )

    if problems:
        raise CatalogError(problems)
    return Catalog(
        providers=providers, models={model_id: spec for model_id, (_, spec) in models.items()}
    )


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise CatalogError(
            [
                f"The models file {path} does not exist. "
                "Point PROMPTLAB_MODELS_FILE at an existing file or unset it."
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError([f"The models file {path} could not be read: {error}"]) from None


def _parse(source_name: str, text: str) -> tuple[str, dict[str, Any]]:
    try:
        return source_name, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogError([f"{source_name} is not valid TOML: {error}"]) from None


def _validate_document(
    source_name: str, document: dict[str, Any], problems: list[str]
) -> tuple[dict[str, ProviderConfig], dict[str, ModelSpec]]:
    for key in document:
        if key not in ("providers", "models"):
            problems.append(
                f"{source_name}: unknown top-level key '{key}' (expected 'providers' or 'models')"
            )

    providers: dict[str, ProviderConfig] = {}
    for name, table in _tables(source_name, document, "providers", problems):
        provider = _validate_provider(source_name, name, table, problems)
        if provider is not None:
            providers[name] = provider

    models: dict[str, ModelSpec] = {}
    for model_id, table in _tables(source_name, document, "models", problems):
        model = _validate_model(source_name, model_id, table, problems)
        if model is not None:
            models[model_id] = model
    return providers, models


def _tables(
    source_name: str, document: dict[str, Any], section: str, problems: list[str]
) -> Iterable[tuple[str, dict[str, Any]]]:
    entries = document.get(section, {})
    if not isinstance(entries, dict):
        problems.append(f"{source_name}: '{section}' must be a table")
        return []

    tables = []
    for name, table in entries.items():
        key = _provider_key(name) if section == "providers" else _model_key(name)
        if not name.strip():
            problems.append(f"{source_name}: {key} must have a non-empty name")
        elif not isinstance(table, dict):
            problems.append(f"{source_name}: {key} must be a table")
        else:
            tables.append((name, table))
    return tables


def _validate_provider(
    source_name: str, name: str, table: dict[str, Any], problems: list[str]
) -> ProviderConfig | None:
    entry = _EntryChecker(source_name, _provider_key(name), problems)
    entry.reject_unknown(table, _PROVIDER_FIELDS)

    kind_value = entry.string(table, "kind", required=True)
    kind: ProviderKind | None = None
    if kind_value is not None:
        try:
            kind = ProviderKind(kind_value)
        except ValueError:
            allowed = ", ".join(f'"{k.value}"' for k in ProviderKind)
            entry.invalid("kind", f'must be one of {allowed}, got "{kind_value}"')

    needs_url = kind is not None and kind != ProviderKind.LOCAL
    base_url = entry.string(table, "base_url", required=needs_url)
    api_key_env = entry.string(table, "api_key_env", required=False)

    if kind == ProviderKind.LOCAL:
        for field in ("base_url", "api_key_env"):
            if field in table:
                entry.invalid(field, 'is not used by a provider of kind "local"; remove it')
    if base_url is not None and kind != ProviderKind.LOCAL:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            entry.invalid("base_url", f'must be an http:// or https:// URL, got "{base_url}"')
    if api_key_env is not None and not _ENV_VAR_NAME.match(api_key_env):
        entry.invalid(
            "api_key_env",
            f'must be an environment variable name such as OPENAI_API_KEY, got "{api_key_env}"',
        )

    if entry.failed or kind is None:
        return None
    return ProviderConfig(
        name=name,
        kind=kind,
        base_url=base_url if kind != ProviderKind.LOCAL else None,
        api_key_env=api_key_env if kind != ProviderKind.LOCAL else None,
    )


def _validate_model(
    source_name: str, model_id: str, table: dict[str, Any], problems: list[str]
) -> ModelSpec | None:
    entry = _EntryChecker(source_name, _model_key(model_id), problems)
    entry.reject_unknown(table, _MODEL_FIELDS)

    provider = entry.string(table, "provider", required=True)
    upstream_name = entry.string(table, "upstream_name", required=True)
    display_name = entry.string(table, "display_name", required=False)
    context_window = entry.positive_integer(table, "context_window")
    max_output_tokens = entry.positive_integer(table, "max_output_tokens")
    input_price = entry.price(table, "input_price_per_million")
    output_price = entry.price(table, "output_price_per_million")
    cached_input_price = entry.price(table, "cached_input_price_per_million")

    if (
        context_window is not None
        and max_output_tokens is not None
        and max_output_tokens > context_window
    ):
        entry.invalid(
            "max_output_tokens",
            f"must not exceed context_window ({context_window}), got {max_output_tokens}",
        )

    if entry.failed:
        return None
    assert provider is not None and upstream_name is not None
    assert context_window is not None and max_output_tokens is not None
    return ModelSpec(
        id=model_id,
        provider=provider,
        upstream_name=upstream_name,
        context_window=context_window,
        max_output_tokens=max_output_tokens,
        prices=Prices(
            input_per_million=input_price,
            output_per_million=output_price,
            cached_input_per_million=cached_input_price,
        ),
        display_name=display_name,
    )


class _EntryChecker:
    """Reader of one catalog entry's fields that records a problem for each invalid one."""

    def __init__(self, source_name: str, key: str, problems: list[str]) -> None:
        self._prefix = f"{source_name}: {key}"
        self._problems = problems
        self.failed = False

    def invalid(self, field: str, message: str) -> None:
        self._problems.append(f"{self._prefix}.{field} {message}")
        self.failed = True

    def reject_unknown(self, table: dict[str, Any], allowed: frozenset[str]) -> None:
        for field in table:
            if field not in allowed:
                expected = ", ".join(sorted(allowed))
                self.invalid(field, f"is not a known field (expected one of: {expected})")

    def string(self, table: dict[str, Any], field: str, *, required: bool) -> str | None:
        if field not in table:
            if required:
                self.invalid(field, "is required")
            return None
        value = table[field]
        if not isinstance(value, str) or not value.strip():
            self.invalid(field, f"must be a non-empty string, got {_show(value)}")
            return None
        return value

    def positive_integer(self, table: dict[str, Any], field: str) -> int | None:
        if field not in table:
            self.invalid(field, "is required")
            return None
        value = table[field]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.invalid(field, f"must be a positive integer, got {_show(value)}")
            return None
        return value

    def price(self, table: dict[str, Any], field: str) -> Decimal | None:
        """Read an optional USD price. Floats are rejected because they are not exact."""
        if field not in table:
            return None
        value = table[field]
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.invalid(
                field,
                f'must be a decimal number written as a string such as "2.50", got {_show(value)}',
            )
            return None
        try:
            price = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or price < 0:
            self.invalid(
                field,
                f'must be a non-negative decimal number such as "2.50", got {_show(value)}',
            )
            return None
        return price


def _provider_key(name: str) -> str:
    return f"providers.{name}" if _BARE_KEY.match(name) else f'providers."{name}"'


def _model_key(model_id: str) -> str:
    return f'models."{model_id}"'


def _show(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)
