"""The model catalog of this deployment."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from promptlab.application.executions.list_models import ListModels
from promptlab.entrypoints.http.dependencies import CurrentUser, singleton
from promptlab.entrypoints.http.schemas.common import PageOut
from promptlab.entrypoints.http.schemas.models import ModelOut, model_out


class ModelController(Controller):
    path = "/api/models"
    tags = ["models"]

    @get(
        "/",
        dependencies={"list_models": singleton("list_models")},
        summary="List the models this deployment serves and whether each can run",
        description=(
            "The whole catalog on one page, in catalog order, so `next` is always null. A model "
            "whose provider is not configured says in `detail` how to configure it."
        ),
    )
    async def list_models(
        self, current_user: CurrentUser, list_models: NamedDependency[ListModels]
    ) -> PageOut[ModelOut]:
        entries = await list_models()
        return PageOut(results=[model_out(entry) for entry in entries], next=None)
