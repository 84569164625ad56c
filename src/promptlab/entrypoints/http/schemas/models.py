"""Wire schemas of the model catalog."""

from __future__ import annotations

from typing import Annotated

import msgspec

from promptlab.application.executions.list_models import ModelEntry
from promptlab.entrypoints.http.schemas.executions import decimal_string

PRICE = msgspec.Meta(description="USD per million tokens as a decimal string; null when unknown.")


class ModelOut(msgspec.Struct, kw_only=True):
    id: Annotated[str, msgspec.Meta(description="The id to send as `model` when executing.")]
    display_name: str | None
    provider: str
    upstream_name: Annotated[str, msgspec.Meta(description="The name the provider receives.")]
    context_window: int
    max_output_tokens: int
    input_price_per_million: Annotated[str | None, PRICE]
    output_price_per_million: Annotated[str | None, PRICE]
    cached_input_price_per_million: Annotated[str | None, PRICE]
    configured: Annotated[
        bool, msgspec.Meta(description="Whether the model's provider can take calls here.")
    ]
    detail: Annotated[
        str | None,
        msgspec.Meta(description="When not configured: what to do to configure the provider."),
    ]


def model_out(entry: ModelEntry) -> ModelOut:
    model = entry.model
    return ModelOut(
        id=model.id,
        display_name=model.display_name,
        provider=model.provider,
        upstream_name=model.upstream_name,
        context_window=model.context_window,
        max_output_tokens=model.max_output_tokens,
        input_price_per_million=decimal_string(model.prices.input_per_million),
        output_price_per_million=decimal_string(model.prices.output_per_million),
        cached_input_price_per_million=decimal_string(model.prices.cached_input_per_million),
        configured=entry.status.configured,
        detail=None if entry.status.configured else entry.status.detail,
    )
