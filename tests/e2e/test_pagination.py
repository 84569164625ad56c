"""Keyset pagination over HTTP: every list endpoint, cursors, and a walk while items are added."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.routes import HTTPRoute

from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import Settings
from tests.e2e.route_world import (  # noqa: F401 - world_server is a fixture
    ROUTE_CASES,
    build_world,
    routes_of,
    world_api,
    world_server,
)
from tests.fakes.fixtures import fake_provider_server  # noqa: F401
from tests.support.api import Account, Api

# The model catalog is a configuration file of a few dozen entries, not a
# table, so it is served whole on one page.
NOT_PAGINATED = {"/api/models"}


def list_routes(app_settings: Settings) -> list[str]:
    """Return the paths of every GET route that lists a collection under /api/."""
    paths = []
    for route in create_app(app_settings).routes:
        if not isinstance(route, HTTPRoute) or "GET" not in route.methods:
            continue
        path = route.path
        if not path.startswith("/api/") or path.startswith("/api/auth/"):
            continue
        if path.endswith("}") or path in NOT_PAGINATED:
            continue
        paths.append(path)
    return paths


def encoded_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Bad paging parameters and the status each gets on every list. The last two
# cursors decode, but their times have no UTC equivalent.
PAGING_ERRORS = (
    ("limit=0", 422),
    ("limit=201", 422),
    ("cursor=garbage", 400),
    (f"cursor={encoded_cursor('0001-01-01T00:00:00+01:00|' + '0' * 32)}", 400),
    (f"cursor={encoded_cursor('9999-12-31T23:59:59-01:00|' + '0' * 32)}", 400),
)


def test_every_list_validates_paging(
    world_api: Api,  # noqa: F811
    settings_factory: Callable[..., Settings],
) -> None:
    world = build_world(world_api, routes_of(settings_factory()))
    owner = world.accounts["owner"]
    paths = list_routes(settings_factory())

    failures = []
    for path in paths:
        case = ROUTE_CASES.get(("GET", path))
        url = world.url(case) if case else path + "/"
        for query, status in PAGING_ERRORS:
            response = world_api.get(f"{url}?{query}", as_=owner)
            if response.status_code != status:
                failures.append(f"GET {url}?{query}: {response.status_code} {response.text[:200]}")
            elif status == 422 and response.json()["errors"][0]["field"] != "limit":
                failures.append(f"GET {url}?{query}: the error does not name `limit`")
        page = world_api.get(f"{url}?limit=1", as_=owner)
        if page.status_code != 200 or set(page.json()) != {"results", "next"}:
            failures.append(f"GET {url}?limit=1: {page.status_code} {page.text[:200]}")

    assert not failures, "\n".join(failures)
    assert "/api/projects" in paths
    assert "/api/projects/{project_id:uuid}/collaborators" in paths


def create_projects(api: Api, owner: Account, count: int) -> None:
    for _ in range(count):
        response = api.post(
            "/api/projects/", as_=owner, json={"name": f"Paged {uuid.uuid4().hex[:10]}"}
        )
        assert response.status_code == 201, response.text


def sort_key(item: dict) -> tuple[datetime, uuid.UUID]:
    return datetime.fromisoformat(item["created_at"]), uuid.UUID(item["id"])


def test_default_limit_and_tampered_cursor(api: Api) -> None:
    owner = api.register()
    create_projects(api, owner, 51)

    first = api.get("/api/projects/", as_=owner).json()
    cursor = first["next"]
    rest = api.get(f"/api/projects/?cursor={cursor}", as_=owner).json()
    truncated = api.get(f"/api/projects/?cursor={cursor[: len(cursor) // 2]}", as_=owner)

    assert len(first["results"]) == 50
    assert cursor is not None
    assert len(rest["results"]) == 1
    assert rest["next"] is None
    assert truncated.status_code == 400
    assert "cursor" in truncated.json()["detail"]


# Each example: how many projects exist, the page size, and how many new
# projects are created after each page request.
WALKS = st.tuples(
    st.integers(min_value=0, max_value=7),
    st.integers(min_value=1, max_value=3),
    st.lists(st.integers(min_value=0, max_value=2), max_size=4),
)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(walk=WALKS)
def test_walk_returns_each_once(api: Api, walk: tuple[int, int, list[int]]) -> None:
    count, limit, created_per_page = walk
    owner = api.register()
    create_projects(api, owner, count)
    expected = api.get("/api/projects/?limit=200", as_=owner).json()["results"]

    walked: list[dict] = []
    url = f"/api/projects/?limit={limit}"
    for page_number in range(count + 2):
        page = api.get(url, as_=owner).json()
        walked.extend(page["results"])
        if page["next"] is None:
            break
        url = f"/api/projects/?limit={limit}&cursor={page['next']}"
        if page_number < len(created_per_page):
            create_projects(api, owner, created_per_page[page_number])

    walked_ids = [item["id"] for item in walked]
    assert walked_ids == [item["id"] for item in expected]
    assert len(set(walked_ids)) == count
    assert walked == sorted(walked, key=sort_key, reverse=True)
