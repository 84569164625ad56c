"""Model catalog entries, provider settings and cost arithmetic."""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

ONE_MILLION = Decimal(1_000_000)

# Token counts are stored as 32-bit integers. A provider that reports a count
# outside this range reports nonsense, so the count is treated as unknown.
MAX_TOKEN_COUNT = 2**31 - 1


class ProviderKind(enum.StrEnum):
    """The wire protocol a provider speaks."""

    OPENAI_COMPATIBLE = "openai_compatible"
    ANTHROPIC = "anthropic"
    LOCAL = "local"


@attrs.frozen
class ProviderConfig:
    """One provider of a deployment: how to reach it and where its key lives.

    `api_key_env` names the environment variable holding the key, so the key
    itself never sits in a catalog file.
    """

    name: str
    kind: ProviderKind
    base_url: str | None = None
    api_key_env: str | None = None


@attrs.frozen
class Prices:
    """USD per million tokens. None means the price is unknown, so cost is unknown too."""

    input_per_million: Decimal | None
    output_per_million: Decimal | None
    cached_input_per_million: Decimal | None = None


def _token_count(value: int | None) -> int | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_TOKEN_COUNT else None


@attrs.frozen
class Usage:
    """Token counts as reported by a provider. None means the provider did not report it.

    A count that is negative or above MAX_TOKEN_COUNT becomes None.
    """

    input_tokens: int | None = attrs.field(default=None, converter=_token_count)
    output_tokens: int | None = attrs.field(default=None, converter=_token_count)
    total_tokens: int | None = attrs.field(default=None, converter=_token_count)
    cached_input_tokens: int | None = attrs.field(default=None, converter=_token_count)


@attrs.frozen
class ModelSpec:
    """One catalog entry. `id` is what clients send; `upstream_name` is what the provider gets."""

    id: str
    provider: str
    upstream_name: str
    context_window: int
    max_output_tokens: int
    prices: Prices
    display_name: str | None = None


def compute_cost(usage: Usage | None, prices: Prices) -> Decimal | None:
    """Return the USD cost of one call, or None when a needed count or price is unknown.

    Cached input tokens are a subset of input tokens (as both OpenAI and
    Anthropic report them after normalisation), billed at the cached price
    when one is listed and at the input price otherwise.
    """
    if usage is None or usage.input_tokens is None or usage.output_tokens is None:
        return None
    if prices.input_per_million is None or prices.output_per_million is None:
        return None

    cached = usage.cached_input_tokens or 0
    cached_price = prices.cached_input_per_million
    if cached_price is None:
        cached_price = prices.input_per_million
    uncached = usage.input_tokens - cached

    total = (
        Decimal(uncached) * prices.input_per_million
        + Decimal(cached) * cached_price
        + Decimal(usage.output_tokens) * prices.output_per_million
    )
    return total / ONE_MILLION
