"""Every parametrized route, called by each kind of caller who must not get through.

The routes come from the app's own route table, so a route added later is
covered automatically once it has an entry in ROUTE_CASES.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.entrypoints.settings import Settings
from tests.e2e.route_world import (  # noqa: F401 - world_server is a fixture
    ROUTE_CASES,
    WRITE_METHODS,
    Scope,
    build_world,
    changed_tables,
    missing_cases,
    routes_of,
    snapshot,
    world_api,
    world_server,
)
from tests.fakes.fixtures import fake_provider_server  # noqa: F401
from tests.support.api import Api


async def test_isolation_matrix(
    world_api: Api,  # noqa: F811
    engine: AsyncEngine,
    settings_factory: Callable[..., Settings],
) -> None:
    routes = routes_of(settings_factory())
    missing = missing_cases(routes)
    assert not missing, (
        "Routes without an entry in ROUTE_CASES (tests/e2e/route_world.py), so the "
        f"isolation matrix cannot call them: {', '.join(missing)}"
    )
    world = build_world(world_api, routes)
    accounts = world.accounts
    before = await snapshot(engine)

    failures: list[str] = []

    def check(method: str, path: str, who: str, expected: int) -> None:
        case = ROUTE_CASES[(method, path)]
        actor = accounts.get(who)
        response = world.call(method, case, actor)
        if response.status_code != expected:
            failures.append(
                f"{method} {path} as {who}: expected {expected}, got {response.status_code} "
                f"{response.text[:200]}"
            )
        elif expected == 404 and "Isolation" in response.text:
            # The world's organization and project names start with "Isolation".
            failures.append(f"{method} {path} as {who}: the 404 body names a hidden object")

    covered = 0
    for method, path in routes:
        case = ROUTE_CASES[(method, path)]
        if case.scope is Scope.PUBLIC:
            continue
        covered += 1
        is_write = method in WRITE_METHODS

        check(method, path, "anonymous", 401)
        check(method, path, "outsider", 404)
        check(method, path, "removed", 404)
        if case.scope is Scope.PROJECT:
            # The viewer can see the object, which also proves the URL is right.
            check(method, path, "viewer", 403 if is_write else 200)
        else:
            check(method, path, "viewer", 404)
            check(method, path, "member", 403 if is_write else 200)

    after = await snapshot(engine)

    assert not failures, "\n".join(failures)
    assert covered >= 9
    assert changed_tables(before, after) == []
