"""Generation parameters shared by session defaults, execute overrides and providers."""

from __future__ import annotations

import math

import attrs

from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.text import find_text_errors

MAX_STOP_SEQUENCES = 4
# Upper bound on max_tokens when no model is known yet (a session without a
# default model); above any current model's output limit.
MAX_TOKENS_ANY_MODEL = 1_000_000
MAX_STOP_SEQUENCE_LENGTH = 200


@attrs.frozen
class GenerationParameters:
    """Sampling parameters; None means "not set here", so the next layer's value applies."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None

    def merged_with(self, overrides: GenerationParameters) -> GenerationParameters:
        """Return these parameters with every field that `overrides` sets replaced."""
        changes = {
            field.name: getattr(overrides, field.name)
            for field in attrs.fields(GenerationParameters)
            if getattr(overrides, field.name) is not None
        }
        return attrs.evolve(self, **changes)

    def to_dict(self) -> dict[str, object]:
        """Return the fields that are set, as plain JSON-compatible values."""
        result: dict[str, object] = {}
        for field in attrs.fields(GenerationParameters):
            value = getattr(self, field.name)
            if value is not None:
                result[field.name] = list(value) if isinstance(value, tuple) else value
        return result

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> GenerationParameters:
        """Build parameters from stored JSON, as written by `to_dict`."""
        stop = data.get("stop")
        return cls(
            temperature=data.get("temperature"),  # type: ignore[arg-type]
            top_p=data.get("top_p"),  # type: ignore[arg-type]
            max_tokens=data.get("max_tokens"),  # type: ignore[arg-type]
            stop=tuple(stop) if isinstance(stop, list | tuple) else None,  # type: ignore[arg-type]
            seed=data.get("seed"),  # type: ignore[arg-type]
        )


def validate_parameters(
    parameters: GenerationParameters,
    *,
    field_prefix: str,
    max_output_tokens: int | None = None,
) -> None:
    """Raise ValidationError naming every out-of-range field and its allowed range.

    `field_prefix` is the input path of the parameters object, for example
    `default_parameters` or `parameters`, so errors point at the field a client sent.
    `max_output_tokens` is the model's limit, when a model is known.
    """
    errors: list[FieldError] = []

    def invalid(name: str, message: str) -> None:
        errors.append(FieldError(f"{field_prefix}.{name}", message))

    if parameters.temperature is not None:
        t = parameters.temperature
        if not math.isfinite(t) or not 0 <= t <= 2:
            invalid("temperature", f"must be between 0 and 2, got {t}")
    if parameters.top_p is not None:
        p = parameters.top_p
        if not math.isfinite(p) or not 0 <= p <= 1:
            invalid("top_p", f"must be between 0 and 1, got {p}")
    if parameters.max_tokens is not None:
        m = parameters.max_tokens
        if m < 1:
            invalid("max_tokens", f"must be a positive integer, got {m}")
        elif max_output_tokens is not None and m > max_output_tokens:
            invalid(
                "max_tokens",
                f"must be at most {max_output_tokens}, the model's maximum output, got {m}",
            )
        elif m > MAX_TOKENS_ANY_MODEL:
            invalid("max_tokens", f"must be at most {MAX_TOKENS_ANY_MODEL}, got {m}")
    if parameters.stop is not None:
        if len(parameters.stop) > MAX_STOP_SEQUENCES:
            invalid(
                "stop",
                f"allows at most {MAX_STOP_SEQUENCES} sequences, got {len(parameters.stop)}",
            )
        for index, sequence in enumerate(parameters.stop):
            if not sequence:
                invalid(f"stop.{index}", "must not be empty")
            elif len(sequence) > MAX_STOP_SEQUENCE_LENGTH:
                invalid(
                    f"stop.{index}",
                    f"must be at most {MAX_STOP_SEQUENCE_LENGTH} characters",
                )
            else:
                errors.extend(find_text_errors(sequence, field=f"{field_prefix}.stop.{index}"))
    if parameters.seed is not None and not -(2**63) <= parameters.seed < 2**63:
        invalid("seed", "must fit in a signed 64-bit integer")

    if errors:
        raise ValidationError(errors)
