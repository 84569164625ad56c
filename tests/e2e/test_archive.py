"""An archived project and everything in it is read-only until restored."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.entrypoints.settings import Settings
from tests.e2e.route_world import (  # noqa: F401 - world_server is a fixture
    ROUTE_CASES,
    WRITE_METHODS,
    P,
    Scope,
    build_world,
    changed_tables,
    expect_status,
    missing_cases,
    routes_of,
    snapshot,
    world_api,
    world_server,
)
from tests.fakes.fixtures import fake_provider_server  # noqa: F401
from tests.support.api import Api


async def test_archived_project_rejects_every_write(
    world_api: Api,  # noqa: F811
    engine: AsyncEngine,
    settings_factory: Callable[..., Settings],
) -> None:
    routes = routes_of(settings_factory())
    assert not missing_cases(routes), f"routes without a case: {missing_cases(routes)}"
    world = build_world(world_api, routes)
    owner = world.accounts["owner"]
    project_url = f"/api/projects/{world.ids['project']}/"
    expect_status(world_api.delete(project_url, as_=owner), 204, "archive")
    writes = [
        (method, path)
        for method, path in routes
        if method in WRITE_METHODS and ROUTE_CASES[(method, path)].scope is Scope.PROJECT
    ]
    before = await snapshot(engine)

    failures = []
    for method, path in writes:
        response = world.call(method, ROUTE_CASES[(method, path)], owner)
        detail = response.json().get("detail", "") if response.content else ""
        if response.status_code != 409 or "archived" not in detail:
            failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    after = await snapshot(engine)

    assert not failures, "\n".join(failures)
    assert ("DELETE", P) in writes
    assert ("POST", P + "/collaborators") in writes
    assert changed_tables(before, after) == []

    shown = expect_status(world_api.get(project_url, as_=owner), 200, "read archived")
    assert shown["is_archived"] is True
    assert shown["archived_at"] is not None
    collaborators = expect_status(
        world_api.get(project_url + "collaborators/", as_=owner), 200, "list collaborators"
    )
    assert len(collaborators["results"]) == 2


def test_restore_brings_writes_back(
    world_api: Api,  # noqa: F811
    settings_factory: Callable[..., Settings],
) -> None:
    owner = world_api.register()
    guest = world_api.register()
    created = world_api.post("/api/projects/", as_=owner, json={"name": "Restorable"})
    project_url = f"/api/projects/{created.json()['id']}/"
    expect_status(world_api.delete(project_url, as_=owner), 204, "archive")

    listed = world_api.get("/api/projects/", as_=owner).json()["results"]
    archived = world_api.get("/api/projects/?archived=true", as_=owner).json()["results"]
    assert listed == []
    assert [project["name"] for project in archived] == ["Restorable"]

    restored = world_api.patch(project_url, as_=owner, json={"is_archived": False})
    assert restored.status_code == 200
    assert restored.json()["is_archived"] is False
    assert restored.json()["archived_at"] is None

    changed = world_api.patch(project_url, as_=owner, json={"description": "back"})
    added = world_api.post(
        project_url + "collaborators/", as_=owner, json={"email": guest.email, "role": "viewer"}
    )
    assert changed.status_code == 200
    assert added.status_code == 201
    if ("POST", P + "/sessions") in routes_of(settings_factory()):
        session = world_api.post(project_url + "sessions/", as_=owner, json={"name": "After"})
        assert session.status_code == 201


def test_restore_into_taken_name_conflicts(world_api: Api) -> None:  # noqa: F811
    owner = world_api.register()
    first = world_api.post("/api/projects/", as_=owner, json={"name": "Twin"}).json()
    world_api.delete(f"/api/projects/{first['id']}/", as_=owner)
    second = world_api.post("/api/projects/", as_=owner, json={"name": "twin"})
    assert second.status_code == 201

    clash = world_api.patch(f"/api/projects/{first['id']}/", as_=owner, json={"is_archived": False})
    renamed = world_api.patch(
        f"/api/projects/{first['id']}/",
        as_=owner,
        json={"is_archived": False, "name": "Twin (old)"},
    )

    assert clash.status_code == 409
    assert "Rename one of them" in clash.json()["detail"]
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Twin (old)"
