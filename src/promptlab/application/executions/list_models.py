"""List the model catalog with each provider's readiness."""

from __future__ import annotations

import attrs

from promptlab.application.ports.model_provider import (
    ModelCatalog,
    ModelProviderRegistry,
    ProviderStatus,
)
from promptlab.domain.catalog import ModelSpec


@attrs.frozen
class ModelEntry:
    model: ModelSpec
    status: ProviderStatus


class ListModels:
    """Return every catalog model, in catalog order, with whether its provider is configured.

    Business rules:
    - any authenticated user may read the catalog; it holds no tenant data;
    - an unconfigured provider comes with the detail that says how to
      configure it, never with a key or its value.
    """

    def __init__(self, *, catalog: ModelCatalog, providers: ModelProviderRegistry) -> None:
        self._catalog = catalog
        self._providers = providers

    async def __call__(self) -> list[ModelEntry]:
        return [
            ModelEntry(model=model, status=self._providers.status(model.provider))
            for model in self._catalog.list_models()
        ]
