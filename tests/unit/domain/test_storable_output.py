"""Provider output is made storable rather than rejected."""

from __future__ import annotations

from promptlab.domain.catalog import MAX_TOKEN_COUNT, Usage
from promptlab.domain.executions import ExecutionError, ExecutionOutcome, ExecutionStatus
from promptlab.domain.text import storable_text


def test_nul_and_lone_surrogates_become_replacement() -> None:
    assert storable_text("a\x00b\ud800c\udfff") == "a\ufffdb\ufffdc\ufffd"


def test_other_text_is_unchanged() -> None:
    text = "👩🏽‍💻 e\u0301 مرحبا \U0001f600"

    assert storable_text(text) == text


def test_long_text_is_cut_to_length() -> None:
    assert storable_text("x" * 70, max_length=64) == "x" * 64


def test_implausible_token_counts_become_unknown() -> None:
    usage = Usage(
        input_tokens=MAX_TOKEN_COUNT,
        output_tokens=MAX_TOKEN_COUNT + 1,
        total_tokens=-1,
        cached_input_tokens=True,  # type: ignore[arg-type]
    )

    assert usage.input_tokens == MAX_TOKEN_COUNT
    assert usage.output_tokens is None
    assert usage.total_tokens is None
    assert usage.cached_input_tokens is None


def test_outcome_fields_are_storable() -> None:
    outcome = ExecutionOutcome(
        status=ExecutionStatus.FAILED,
        attempts=1,
        output="partial\x00",
        finish_reason="r" * 100,
        provider_request_id="q" * 300,
        error=ExecutionError(code="bad_request", message="provider said \x00"),
    )

    assert outcome.output == "partial\ufffd"
    assert outcome.finish_reason == "r" * 64
    assert outcome.provider_request_id == "q" * 200
    assert outcome.error is not None
    assert outcome.error.message == "provider said \ufffd"
