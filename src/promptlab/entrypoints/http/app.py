"""The Litestar app factory. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dependency_injector import providers
from litestar import Litestar
from litestar.datastructures import State

from promptlab import __version__
from promptlab.adapters.sqlalchemy.migrate import run_migrations
from promptlab.entrypoints.container import Container
from promptlab.entrypoints.http.dependencies import BASE_DEPENDENCIES
from promptlab.entrypoints.http.openapi import complete_openapi, openapi_config
from promptlab.entrypoints.http.problems import EXCEPTION_HANDLERS
from promptlab.entrypoints.http.requests import StrictTextRequest
from promptlab.entrypoints.http.routes import ROUTE_HANDLERS
from promptlab.entrypoints.logging import configure_logging
from promptlab.entrypoints.settings import Settings

logger = logging.getLogger(__name__)


def build_container(settings: Settings, overrides: Mapping[str, Any] | None = None) -> Container:
    """Build the container; each override replaces the provider of that name with a fixed object."""
    container = Container(settings=settings)
    for name, value in (overrides or {}).items():
        provider = getattr(container, name, None)
        if not isinstance(provider, providers.Provider):
            raise ValueError(
                f"cannot override {name!r}: the container has no provider of that name"
            )
        provider.override(providers.Object(value))
    return container


def create_app(
    settings: Settings | None = None, *, overrides: Mapping[str, Any] | None = None
) -> Litestar:
    """Create the app from `settings` (default: read from the environment) and adapter overrides."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    container = build_container(settings, overrides)

    async def on_startup(app: Litestar) -> None:
        if settings.is_embedded:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.is_embedded and settings.auto_migrate:
            await run_migrations(container.engine())
        for hook in STARTUP_HOOKS:
            await hook(container)
        logger.info(
            "promptlab %s started (database %s)", __version__, container.engine().dialect.name
        )

    async def on_shutdown(app: Litestar) -> None:
        for hook in SHUTDOWN_HOOKS:
            await hook(container)
        await container.rate_limiter().aclose()
        # The SQL factory owns connections of its own (the SQLite reader and
        # writer, the PostgreSQL reader), and a factory given as an override
        # may have no aclose().
        close_factory = getattr(container.uow_factory(), "aclose", None)
        if close_factory is not None:
            await close_factory()
        await container.engine().dispose()
        logger.info("promptlab stopped")

    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        dependencies=BASE_DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        state=State({"container": container}),
        request_max_body_size=settings.max_request_body_bytes,
        # Every route reports NUL and lone surrogates in a JSON body as a 422 naming the field.
        request_class=StrictTextRequest,
        openapi_config=openapi_config(),
        # Logging is configured once, by configure_logging. Litestar's default
        # config would set the root logger back to INFO whatever
        # PROMPTLAB_LOG_LEVEL sets.
        logging_config=None,
        debug=False,
    )
    complete_openapi(app)
    return app


async def _start_executions(container: Container) -> None:
    # Building the providers loads the model catalog, so an invalid models
    # file stops the start-up rather than the first execution.
    container.model_providers()
    container.execution_reaper().start()


async def _stop_execution_reaper(container: Container) -> None:
    await container.execution_reaper().stop()


async def _close_model_providers(container: Container) -> None:
    await container.model_providers().aclose()


# Async callables taking the container, run after migrations at startup and
# before the engine closes at shutdown (background tasks such as the reaper).
STARTUP_HOOKS: list[Any] = [_start_executions]
SHUTDOWN_HOOKS: list[Any] = [_stop_execution_reaper, _close_model_providers]


def create_app_from_env() -> Litestar:
    """Factory for ASGI servers: `granian --factory promptlab.entrypoints.http.app:create_app_from_env`."""
    return create_app()
