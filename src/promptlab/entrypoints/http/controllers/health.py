"""Liveness and database reachability."""

from __future__ import annotations

import msgspec
from litestar import Response, get, head
from litestar.datastructures import State
from sqlalchemy import text

from promptlab import __version__
from promptlab.entrypoints.http.dependencies import container_of


class HealthOut(msgspec.Struct):
    status: str
    database: str
    version: str


async def _database_reachable(state: State) -> bool:
    engine = container_of(state).engine()
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "unreachable" to a probe
        return False
    return True


@get("/health/", tags=["health"], summary="Liveness and database reachability")
async def health(state: State) -> Response[HealthOut]:
    reachable = await _database_reachable(state)
    body = HealthOut(
        status="ok" if reachable else "degraded",
        database="ok" if reachable else "unavailable",
        version=__version__,
    )
    return Response(content=body, status_code=200 if reachable else 503)


@head("/health/", tags=["health"], summary="Liveness and database reachability, status only")
async def health_head(state: State) -> Response[None]:
    """Return 200 when the database is reachable, else 503, for probes that send HEAD."""
    reachable = await _database_reachable(state)
    return Response(content=None, status_code=200 if reachable else 503)
