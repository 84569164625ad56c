"""Simultaneous creates of one project name: the database lets exactly one through."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.sqlalchemy.tables import projects
from tests.support.api import Api
from tests.support.server import LiveServer

CONCURRENT_CREATES = 20


async def test_concurrent_creates_one_wins(
    api: Api, live_server: LiveServer, engine: AsyncEngine
) -> None:
    owner = api.register()
    name = f"Race {uuid.uuid4().hex[:8]}"

    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/projects/",
                    headers=owner.headers,
                    # Letter case varies, so the case-insensitive index decides.
                    json={"name": name.upper() if index % 2 else name},
                )
                for index in range(CONCURRENT_CREATES)
            )
        )
    statuses = sorted(response.status_code for response in responses)

    async with engine.connect() as connection:
        rows = await connection.scalar(
            select(func.count())
            .select_from(projects)
            .where(projects.c.organization_id == uuid.UUID(owner.organization_id))
        )

    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == CONCURRENT_CREATES - 1, statuses
    assert rows == 1
