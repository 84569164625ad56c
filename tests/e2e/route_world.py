"""A tenant world built over HTTP, and a table that turns every route into a concrete call.

The isolation matrix and the archive test walk the app's own route table, so
a route added later must get an entry in ROUTE_CASES; the tests fail naming
any route that has none.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.catalog import load_catalog
from promptlab.adapters.providers.registry import ProviderRegistry
from promptlab.adapters.sqlalchemy.tables import metadata
from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import Settings
from tests.fakes.provider_server import FakeProviderServer
from tests.support.api import Account, Api
from tests.support.server import LiveServer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Methods that Litestar handles itself (CORS preflight, automatic HEAD), with no handler of ours.
FRAMEWORK_METHODS = frozenset({"OPTIONS", "HEAD"})


class Scope(enum.Enum):
    """What a route's object belongs to, which decides who may see it."""

    PROJECT = "project"  # visible to organization members and collaborators
    ORGANIZATION = "organization"  # visible to organization members only
    PUBLIC = "public"  # no tenant data and no authentication (the OpenAPI document)


@attrs.frozen
class RouteCase:
    """How to call one route: the URL with `{world key}` placeholders, and a valid body.

    Bodies are valid on purpose, so that a rejection comes from authorization
    and never from input validation.
    """

    url: str
    scope: Scope
    body: dict[str, Any] | None = None


P = "/api/projects/{project_id:uuid}"
S = P + "/sessions/{session_id:uuid}"
PR = S + "/prompts/{prompt_id:uuid}"
ORG = "/api/organizations/{organization_id:uuid}"

PROJECT_URL = "/api/projects/{project}"
SESSION_URL = PROJECT_URL + "/sessions/{session}"
PROMPT_URL = SESSION_URL + "/prompts/{prompt}"
ORGANIZATION_URL = "/api/organizations/{organization}"

# Keyed by (method, Litestar route path). Routes of other areas that are not
# served yet have entries already; an entry without a route is simply unused.
ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    # organizations
    ("GET", ORG): RouteCase(ORGANIZATION_URL + "/", Scope.ORGANIZATION),
    ("PATCH", ORG): RouteCase(
        ORGANIZATION_URL + "/", Scope.ORGANIZATION, {"description": "changed"}
    ),
    ("GET", ORG + "/members"): RouteCase(ORGANIZATION_URL + "/members/", Scope.ORGANIZATION),
    ("POST", ORG + "/members"): RouteCase(
        ORGANIZATION_URL + "/members/",
        Scope.ORGANIZATION,
        {"email": "{spare_email}", "role": "member"},
    ),
    ("PATCH", ORG + "/members/{user_id:uuid}"): RouteCase(
        ORGANIZATION_URL + "/members/{teammate}/", Scope.ORGANIZATION, {"role": "admin"}
    ),
    ("DELETE", ORG + "/members/{user_id:uuid}"): RouteCase(
        ORGANIZATION_URL + "/members/{teammate}/", Scope.ORGANIZATION
    ),
    # projects and collaborators
    ("GET", P): RouteCase(PROJECT_URL + "/", Scope.PROJECT),
    ("PATCH", P): RouteCase(PROJECT_URL + "/", Scope.PROJECT, {"description": "changed"}),
    ("DELETE", P): RouteCase(PROJECT_URL + "/", Scope.PROJECT),
    ("GET", P + "/collaborators"): RouteCase(PROJECT_URL + "/collaborators/", Scope.PROJECT),
    ("POST", P + "/collaborators"): RouteCase(
        PROJECT_URL + "/collaborators/",
        Scope.PROJECT,
        {"email": "{spare_email}", "role": "editor"},
    ),
    ("PATCH", P + "/collaborators/{user_id:uuid}"): RouteCase(
        PROJECT_URL + "/collaborators/{guest}/", Scope.PROJECT, {"role": "admin"}
    ),
    ("DELETE", P + "/collaborators/{user_id:uuid}"): RouteCase(
        PROJECT_URL + "/collaborators/{guest}/", Scope.PROJECT
    ),
    # sessions and prompts
    ("GET", P + "/sessions"): RouteCase(PROJECT_URL + "/sessions/", Scope.PROJECT),
    ("POST", P + "/sessions"): RouteCase(
        PROJECT_URL + "/sessions/", Scope.PROJECT, {"name": "Another session"}
    ),
    ("GET", S): RouteCase(SESSION_URL + "/", Scope.PROJECT),
    ("PATCH", S): RouteCase(SESSION_URL + "/", Scope.PROJECT, {"description": "changed"}),
    ("GET", S + "/prompts"): RouteCase(SESSION_URL + "/prompts/", Scope.PROJECT),
    ("POST", S + "/prompts"): RouteCase(
        SESSION_URL + "/prompts/", Scope.PROJECT, {"content": "Another {{topic}}"}
    ),
    ("GET", PR): RouteCase(PROMPT_URL + "/", Scope.PROJECT),
    # executions
    ("POST", PR + "/execute"): RouteCase(
        PROMPT_URL + "/execute/",
        Scope.PROJECT,
        {"model": "fake-gpt", "variables": {"topic": "tenants"}},
    ),
    ("GET", PR + "/executions"): RouteCase(PROMPT_URL + "/executions/", Scope.PROJECT),
    ("GET", PR + "/executions/{execution_id:uuid}"): RouteCase(
        PROMPT_URL + "/executions/{execution}/", Scope.PROJECT
    ),
    # the OpenAPI document
    ("GET", "/schema/{path:str}"): RouteCase("/schema/openapi.json", Scope.PUBLIC),
}


# One model on the fake provider server, so the world can hold a real execution.
WORLD_MODELS_FILE = """
[providers.fake-openai]
kind = "openai_compatible"
base_url = "{base_url}"
api_key_env = "{key_variable}"

[models."fake-gpt"]
provider = "fake-openai"
upstream_name = "gpt-fake"
context_window = 8000
max_output_tokens = 1000
"""
WORLD_KEY_VARIABLE = "PROMPTLAB_TEST_WORLD_KEY"


@pytest.fixture(scope="module")
def world_server(
    settings_factory: Callable[..., Settings],
    fake_provider_server: FakeProviderServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """The app on the session's database with one fake model in its catalog."""
    models_file = tmp_path_factory.mktemp("world-catalog") / "models.toml"
    models_file.write_text(
        WORLD_MODELS_FILE.format(
            base_url=fake_provider_server.openai_base_url, key_variable=WORLD_KEY_VARIABLE
        )
    )
    registry = ProviderRegistry(load_catalog(models_file), {WORLD_KEY_VARIABLE: "sk-world"})
    app = create_app(
        settings_factory(models_file=models_file), overrides={"model_providers": registry}
    )
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def world_api(world_server: LiveServer) -> Iterator[Api]:
    client = Api(world_server.url)
    yield client
    client.close()


def parametrized_routes(app: Litestar) -> Iterator[tuple[str, str]]:
    """Yield (method, path) for every HTTP route of `app` whose path has a parameter."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "{" not in route.path:
            continue
        for method in sorted(route.methods - FRAMEWORK_METHODS):
            yield method, route.path


def routes_of(settings: Settings) -> list[tuple[str, str]]:
    """Return the parametrized routes of an app built like the live server's, never started."""
    return list(parametrized_routes(create_app(settings)))


def missing_cases(routes: list[tuple[str, str]]) -> list[str]:
    return [f"{method} {path}" for method, path in routes if (method, path) not in ROUTE_CASES]


@attrs.define
class World:
    """One organization with a project and one object of each kind, plus the actors.

    - owner: owns the organization, so is admin on the project;
    - member: organization member (project editor through the organization);
    - teammate: another organization member, the target of member routes;
    - viewer: viewer collaborator from outside the organization;
    - guest: editor collaborator, the target of collaborator routes;
    - removed: was a collaborator and was removed;
    - outsider: member of another organization only;
    - spare: a user in no organization but their own, used as an email in bodies.
    """

    api: Api
    accounts: dict[str, Account] = attrs.field(factory=dict)
    ids: dict[str, str] = attrs.field(factory=dict)

    def url(self, case: RouteCase) -> str:
        return self._fill(case.url)

    def body(self, case: RouteCase) -> dict[str, Any] | None:
        if case.body is None:
            return None
        return {
            key: self._fill(value) if isinstance(value, str) else value
            for key, value in case.body.items()
        }

    def _fill(self, template: str) -> str:
        try:
            return template.format(**self.ids)
        except KeyError as error:
            raise AssertionError(
                f"The world has no {error.args[0]!r} for {template!r}: create one in "
                "build_world (tests/e2e/route_world.py) through the HTTP API."
            ) from None

    def call(self, method: str, case: RouteCase, actor: Account | None) -> httpx.Response:
        return self.api.request(method, self.url(case), as_=actor, json=self.body(case))


def expect_status(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text}"
    return response.json() if response.content else {}


def build_world(api: Api, routes: list[tuple[str, str]]) -> World:
    """Create the world through the HTTP API, including objects only routes in `routes` need."""
    world = World(api=api)
    names = ("owner", "member", "teammate", "viewer", "guest", "removed", "outsider", "spare")
    for name in names:
        world.accounts[name] = api.register(full_name=name.title())
    owner = world.accounts["owner"]
    for name in names:
        world.ids[name] = world.accounts[name].id
    world.ids["spare_email"] = world.accounts["spare"].email

    organization = expect_status(
        api.post("/api/organizations/", as_=owner, json={"name": "Isolation team"}),
        201,
        "create organization",
    )
    world.ids["organization"] = organization["id"]
    for name in ("member", "teammate"):
        expect_status(
            api.post(
                f"/api/organizations/{organization['id']}/members/",
                as_=owner,
                json={"email": world.accounts[name].email, "role": "member"},
            ),
            201,
            f"add {name} to the organization",
        )

    project = expect_status(
        api.post(
            "/api/projects/",
            as_=owner,
            json={"name": "Isolation project", "organization": organization["id"]},
        ),
        201,
        "create project",
    )
    world.ids["project"] = project["id"]
    collaborators = f"/api/projects/{project['id']}/collaborators/"
    for name, role in (("viewer", "viewer"), ("guest", "editor"), ("removed", "editor")):
        expect_status(
            api.post(
                collaborators, as_=owner, json={"email": world.accounts[name].email, "role": role}
            ),
            201,
            f"add {name} as a collaborator",
        )
    expect_status(
        api.delete(collaborators + f"{world.accounts['removed'].id}/", as_=owner),
        204,
        "remove a collaborator",
    )

    available = {path for _, path in routes}
    if P + "/sessions" in available:
        session = expect_status(
            api.post(
                f"/api/projects/{project['id']}/sessions/", as_=owner, json={"name": "Session"}
            ),
            201,
            "create session",
        )
        world.ids["session"] = session["id"]
    if S + "/prompts" in available and "session" in world.ids:
        prompt = expect_status(
            api.post(
                f"/api/projects/{project['id']}/sessions/{world.ids['session']}/prompts/",
                as_=owner,
                json={"content": "Tell me about {{topic}}"},
            ),
            201,
            "create prompt",
        )
        world.ids["prompt"] = prompt["id"]
    if PR + "/execute" in available and "prompt" in world.ids:
        execution = expect_status(
            api.post(
                f"/api/projects/{project['id']}/sessions/{world.ids['session']}"
                f"/prompts/{world.ids['prompt']}/execute/",
                as_=owner,
                json={"model": "fake-gpt", "variables": {"topic": "tenants"}},
            ),
            201,
            "execute the prompt",
        )
        world.ids["execution"] = execution["id"]
    return world


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table, sorted, to compare before and after a test's calls."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as connection:
        for table in metadata.sorted_tables:
            result = await connection.execute(select(table))
            rows[table.name] = sorted((tuple(row) for row in result), key=repr)
    return rows


def changed_tables(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    return [
        name for name in sorted(before.keys() | after.keys()) if before.get(name) != after.get(name)
    ]
