"""Checks of a session's default model and parameters against the model catalog."""

from __future__ import annotations

from promptlab.application.ports.model_provider import ModelCatalog
from promptlab.domain.catalog import ModelSpec
from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.parameters import GenerationParameters, validate_parameters

MODEL_FIELD = "default_model"
PARAMETERS_FIELD = "default_parameters"

_MAX_SHOWN_LENGTH = 100


def find_model_errors(catalog: ModelCatalog, model_id: str) -> list[FieldError]:
    """Return an error naming the available models unless `model_id` is in the catalog."""
    if catalog.find(model_id) is not None:
        return []
    available = ", ".join(model.id for model in catalog.list_models()) or "none"
    # repr() escapes control characters and surrogates, so the message can
    # always be encoded.
    quoted_id = repr(model_id[:_MAX_SHOWN_LENGTH]) + (
        "..." if len(model_id) > _MAX_SHOWN_LENGTH else ""
    )
    return [
        FieldError(
            MODEL_FIELD,
            f"unknown model {quoted_id}. Available models: {available}. "
            "GET /api/models/ lists them with their limits and prices.",
        )
    ]


def find_parameters_errors(
    parameters: GenerationParameters, model: ModelSpec | None
) -> list[FieldError]:
    """Return an error for each out-of-range default parameter, naming the allowed range.

    `max_tokens` is also checked against the model's maximum output when
    `model` is known. `validate_parameters` also applies the text rules to
    stop sequences.
    """
    errors: list[FieldError] = []
    try:
        validate_parameters(
            parameters,
            field_prefix=PARAMETERS_FIELD,
            max_output_tokens=model.max_output_tokens if model is not None else None,
        )
    except ValidationError as error:
        errors.extend(error.errors)
    return errors
