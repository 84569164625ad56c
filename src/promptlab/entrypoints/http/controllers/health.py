"""Liveness and database reachability."""

from __future__ import annotations


import msgspec
from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from promptlab import __version__
from promptlab.entrypoints.http.dependencies import container_of


class HealthOut(msgspec.Struct):
    status: str
    database: str
    version: str


@get("/health/", tags=["health"], summary="Liveness and database reachability")
async def health(state: State) -> Response[HealthOut]:
    engine = container_of(state).engine()
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means "unreachable" to a probe
        database = "unavailable"
    status_code = 200 if database == "ok" else 503
    body = HealthOut(
        status="ok" if database == "ok" else "degraded", database=database, version=__version__
    )
    return Response(content=body, status_code=status_code)
