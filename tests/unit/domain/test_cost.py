"""Cost arithmetic: USD per call from token counts and per-million prices, in exact decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from promptlab.domain.catalog import Prices, Usage, compute_cost

# Prices as the shipped catalog lists them, USD per million tokens.
GPT_5_4_MINI = Prices(
    input_per_million=Decimal("0.75"),
    output_per_million=Decimal("4.50"),
    cached_input_per_million=Decimal("0.075"),
)
CLAUDE_HAIKU_4_5 = Prices(
    input_per_million=Decimal("1"),
    output_per_million=Decimal("5"),
    cached_input_per_million=Decimal("0.10"),
)
LOCAL = Prices(input_per_million=Decimal("0"), output_per_million=Decimal("0"))


def test_input_and_output_tokens_only() -> None:
    usage = Usage(input_tokens=1_000, output_tokens=500, total_tokens=1_500)

    # 1000 * 0.75 / 1e6 = 0.00075 and 500 * 4.50 / 1e6 = 0.00225.
    assert compute_cost(usage, GPT_5_4_MINI) == Decimal("0.003")


def test_cached_input_billed_at_cached_price() -> None:
    usage = Usage(input_tokens=10_000, output_tokens=200, cached_input_tokens=8_000)

    # 2000 uncached * 0.75 = 1500, 8000 cached * 0.075 = 600 and 200 * 4.50 = 900,
    # so 3000 / 1e6.
    assert compute_cost(usage, GPT_5_4_MINI) == Decimal("0.003")


def test_anthropic_cache_reads_after_normalisation() -> None:
    # The Anthropic adapter reports input_tokens=20, cache_read_input_tokens=980
    # and cache_creation_input_tokens=0 as 1000 input tokens of which 980 cached.
    usage = Usage(
        input_tokens=1_000, output_tokens=100, total_tokens=1_100, cached_input_tokens=980
    )

    # 20 * 1 + 980 * 0.10 + 100 * 5 = 20 + 98 + 500 = 618, / 1e6.
    assert compute_cost(usage, CLAUDE_HAIKU_4_5) == Decimal("0.000618")


def test_cached_tokens_fall_back_to_input_price() -> None:
    prices = Prices(input_per_million=Decimal("2"), output_per_million=Decimal("8"))
    usage = Usage(input_tokens=300, output_tokens=100, cached_input_tokens=200)

    # Without a cached price all 300 input tokens cost 2 each, plus 100 * 8, so 1400 / 1e6.
    assert compute_cost(usage, prices) == Decimal("0.0014")


def test_cost_is_exact_for_single_token() -> None:
    usage = Usage(input_tokens=1, output_tokens=1)

    assert compute_cost(usage, GPT_5_4_MINI) == Decimal("0.00000525")


def test_local_model_costs_zero() -> None:
    usage = Usage(input_tokens=24, output_tokens=19, total_tokens=43)

    assert compute_cost(usage, LOCAL) == Decimal("0")


@pytest.mark.parametrize(
    "usage",
    [
        None,
        Usage(),
        Usage(input_tokens=None, output_tokens=10),
        Usage(input_tokens=10, output_tokens=None),
    ],
)
def test_unknown_usage_gives_unknown_cost(usage: Usage | None) -> None:
    assert compute_cost(usage, GPT_5_4_MINI) is None


@pytest.mark.parametrize(
    "prices",
    [
        Prices(input_per_million=None, output_per_million=Decimal("1")),
        Prices(input_per_million=Decimal("1"), output_per_million=None),
    ],
)
def test_unknown_price_gives_unknown_cost(prices: Prices) -> None:
    assert compute_cost(Usage(input_tokens=10, output_tokens=10), prices) is None


def test_cost_is_decimal_not_float() -> None:
    cost = compute_cost(Usage(input_tokens=3, output_tokens=7), GPT_5_4_MINI)

    assert isinstance(cost, Decimal)
    # 3 * 0.75 + 7 * 4.50 = 2.25 + 31.5 = 33.75, / 1e6.
    assert cost == Decimal("0.00003375")
