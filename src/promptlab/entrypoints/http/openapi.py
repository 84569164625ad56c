"""The OpenAPI document: what Litestar generates, plus what handler signatures cannot express.

Litestar documents each handler's success response and a 400 in its own
error shape. The app returns every error as RFC 9457 problem details, takes
a bearer token on most routes and rate-limits some, so `complete_openapi`
adds, for every operation, the security requirement, the problem responses
it can return and the links from a created object to the operations on it.
The rules below follow the code that produces each status:

- 400: malformed JSON or an invalid cursor, on every operation with input;
- 401: missing, invalid or expired token, on every authenticated operation;
- 403: the role is too low, on authenticated writes;
- 404: a path object is hidden or missing, or a body names one;
- 409: duplicates and writes under an archived project or closed session;
- 413: the body is larger than PROMPTLAB_MAX_REQUEST_BODY_BYTES;
- 422: an invalid field, named in `errors`;
- 429: the rate-limited operations in RATE_LIMITED;
- 503: the database is unavailable (every operation reads it).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import (
    Components,
    Link,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

from promptlab import __version__
from promptlab.entrypoints.http.problems import (
    PROBLEM_MEDIA_TYPE,
    TITLES,
    FieldProblem,
    Problem,
)
from promptlab.entrypoints.http.schemas.common import Body
from promptlab.entrypoints.http.schemas.executions import DeltaOut
from promptlab.entrypoints.http.sse import EVENT_STREAM_MEDIA_TYPE

BEARER_SCHEME = "BearerToken"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

P = "/api/projects/{project_id}"
S = P + "/sessions/{session_id}"
PR = S + "/prompts/{prompt_id}"
ORG = "/api/organizations/{organization_id}"

# Operations that enforce a rate limit, as (method, OpenAPI path).
RATE_LIMITED = frozenset(
    {
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/token/refresh"),
        ("POST", PR + "/execute"),
    }
)

# Statuses of unauthenticated operations that the general rules do not cover.
EXTRA_STATUSES: dict[tuple[str, str], frozenset[int]] = {
    # Wrong credentials, and an invalid, expired or reused refresh token.
    ("POST", "/api/auth/login"): frozenset({401}),
    ("POST", "/api/auth/token/refresh"): frozenset({401}),
    # The email is taken.
    ("POST", "/api/auth/register"): frozenset({409}),
}

# Operations that return their success body, not a problem, with another status.
SUCCESS_BODY_STATUSES: dict[tuple[str, str], int] = {
    # The health probe reports an unreachable database in its own body.
    ("GET", "/health"): 503,
}

# Operations whose success response may also be a server-sent event stream.
EVENT_STREAMS = frozenset({("POST", PR + "/execute")})

# Links from a created object to the operations on it: (method, path) of the
# creating operation -> link name -> ((method, path) of the target, parameters).
# Parameter values are OpenAPI runtime expressions.
LINKS: dict[tuple[str, str], dict[str, tuple[tuple[str, str], dict[str, str]]]] = {
    ("POST", "/api/organizations"): {
        "GetOrganization": (("GET", ORG), {"organization_id": "$response.body#/id"}),
        "UpdateOrganization": (("PATCH", ORG), {"organization_id": "$response.body#/id"}),
        "ListMembers": (("GET", ORG + "/members"), {"organization_id": "$response.body#/id"}),
        "AddMember": (("POST", ORG + "/members"), {"organization_id": "$response.body#/id"}),
    },
    ("POST", ORG + "/members"): {
        "ChangeMemberRole": (
            ("PATCH", ORG + "/members/{user_id}"),
            {
                "organization_id": "$request.path.organization_id",
                "user_id": "$response.body#/user_id",
            },
        ),
        "RemoveMember": (
            ("DELETE", ORG + "/members/{user_id}"),
            {
                "organization_id": "$request.path.organization_id",
                "user_id": "$response.body#/user_id",
            },
        ),
    },
    ("POST", "/api/projects"): {
        "GetProject": (("GET", P), {"project_id": "$response.body#/id"}),
        "UpdateProject": (("PATCH", P), {"project_id": "$response.body#/id"}),
        "ArchiveProject": (("DELETE", P), {"project_id": "$response.body#/id"}),
        "ListCollaborators": (("GET", P + "/collaborators"), {"project_id": "$response.body#/id"}),
        "AddCollaborator": (("POST", P + "/collaborators"), {"project_id": "$response.body#/id"}),
        "ListSessions": (("GET", P + "/sessions"), {"project_id": "$response.body#/id"}),
        "CreateSession": (("POST", P + "/sessions"), {"project_id": "$response.body#/id"}),
    },
    ("POST", P + "/collaborators"): {
        "UpdateCollaborator": (
            ("PATCH", P + "/collaborators/{user_id}"),
            {"project_id": "$request.path.project_id", "user_id": "$response.body#/user_id"},
        ),
        "RemoveCollaborator": (
            ("DELETE", P + "/collaborators/{user_id}"),
            {"project_id": "$request.path.project_id", "user_id": "$response.body#/user_id"},
        ),
    },
    ("POST", P + "/sessions"): {
        "GetSession": (
            ("GET", S),
            {"project_id": "$response.body#/project", "session_id": "$response.body#/id"},
        ),
        "UpdateSession": (
            ("PATCH", S),
            {"project_id": "$response.body#/project", "session_id": "$response.body#/id"},
        ),
        "ListPrompts": (
            ("GET", S + "/prompts"),
            {"project_id": "$response.body#/project", "session_id": "$response.body#/id"},
        ),
        "CreatePrompt": (
            ("POST", S + "/prompts"),
            {"project_id": "$response.body#/project", "session_id": "$response.body#/id"},
        ),
    },
    ("POST", S + "/prompts"): {
        "GetPrompt": (
            ("GET", PR),
            {
                "project_id": "$response.body#/project",
                "session_id": "$response.body#/session",
                "prompt_id": "$response.body#/id",
            },
        ),
        "ExecutePrompt": (
            ("POST", PR + "/execute"),
            {
                "project_id": "$response.body#/project",
                "session_id": "$response.body#/session",
                "prompt_id": "$response.body#/id",
            },
        ),
        "ListExecutions": (
            ("GET", PR + "/executions"),
            {
                "project_id": "$response.body#/project",
                "session_id": "$response.body#/session",
                "prompt_id": "$response.body#/id",
            },
        ),
    },
    ("POST", PR + "/execute"): {
        "GetExecution": (
            ("GET", PR + "/executions/{execution_id}"),
            {
                "project_id": "$response.body#/project",
                "session_id": "$response.body#/session",
                "prompt_id": "$response.body#/prompt",
                "execution_id": "$response.body#/id",
            },
        ),
    },
}


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="promptlab",
        version=__version__,
        description="Self-hostable backend for teams who engineer LLM prompts.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="An access token from POST /api/auth/login/ or register.",
                )
            }
        ),
    )


def complete_openapi(app: Litestar) -> None:
    """Add security, problem responses and links to the app's generated OpenAPI document.

    Litestar builds the document once and caches it, so this runs once,
    right after the app is created and before it serves the document.
    """
    document = app.openapi_schema
    assert document.components is not None
    schemas: dict[str, Any] = dict(document.components.schemas or {})
    _forbid_unknown_fields(schemas)
    schemas.update(_problem_schemas())
    document.components.schemas = schemas

    operations = dict(_operations(app))
    for (method, path), (operation, handler, route) in operations.items():
        _complete_operation(method, path, operation, handler, route)
    for source, links in LINKS.items():
        if source not in operations:
            continue
        operation = operations[source][0]
        _add_links(operation, links, operations)
    _publish_trailing_slashes(document)


def _publish_trailing_slashes(document: Any) -> None:
    """Publish every path with its trailing slash, as the API is specified and documented.

    Litestar stores routes without the slash and serves both forms, so
    clients generated from the document call the canonical form.
    """
    if document.paths:
        document.paths = {
            (path if path.endswith("/") else path + "/"): item
            for path, item in document.paths.items()
        }


def _operations(
    app: Litestar,
) -> Any:
    """Yield ((method, path), (operation, handler, route)) for every documented operation."""
    document = app.openapi_schema
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = route.path_format or "/"
        path_item = (document.paths or {}).get(path)
        if path_item is None:
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                operation = getattr(path_item, method.lower(), None)
                if isinstance(operation, Operation):
                    yield (method, path), (operation, handler, route)


def _complete_operation(
    method: str, path: str, operation: Operation, handler: HTTPRouteHandler, route: HTTPRoute
) -> None:
    signature = handler.parsed_fn_signature.parameters
    authenticated = "current_user" in signature
    has_body = "data" in signature
    has_input = has_body or bool(operation.parameters)
    is_write = method in WRITE_METHODS

    if authenticated:
        operation.security = [{BEARER_SCHEME: []}]

    statuses = set(EXTRA_STATUSES.get((method, path), ()))
    if has_input:
        statuses |= {400, 422}
    if authenticated:
        statuses.add(401)
    if authenticated and is_write:
        statuses |= {403, 409}
    if route.path_parameters or (authenticated and has_body):
        statuses.add(404)
    if has_body:
        statuses.add(413)
    if (method, path) in RATE_LIMITED:
        statuses.add(429)
    statuses.add(503)

    responses = operation.responses or {}
    success = responses[str(handler.status_code)]
    for status in sorted(statuses):
        if SUCCESS_BODY_STATUSES.get((method, path)) == status:
            responses[str(status)] = success
        else:
            # Replaces Litestar's own 400, whose body is not a problem.
            responses[str(status)] = _problem_response(status)
    operation.responses = dict(sorted(responses.items()))

    if (method, path) in EVENT_STREAMS:
        assert isinstance(success, OpenAPIResponse)
        success.content = {
            **(success.content or {}),
            EVENT_STREAM_MEDIA_TYPE: OpenAPIMediaType(schema=_execution_event_schema()),
        }


def _forbid_unknown_fields(schemas: dict[str, Any]) -> None:
    """Declare `additionalProperties: false` on request bodies, which reject unknown fields."""
    for body_type in _subclasses(Body):
        schema = schemas.get(body_type.__name__)
        if isinstance(schema, Schema) and body_type.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    for subclass in cls.__subclasses__():
        found.append(subclass)
        found.extend(_subclasses(subclass))
    return found


def _problem_response(status: int) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] = {}
    if status in (429, 503):
        headers["Retry-After"] = OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING),
            description="Seconds to wait before retrying.",
            required=True,
        )
    if status == 401:
        headers["WWW-Authenticate"] = OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING),
            description="The bearer challenge.",
            required=True,
        )
    return OpenAPIResponse(
        description=TITLES.get(status, "Error"),
        headers=headers or None,
        content={
            PROBLEM_MEDIA_TYPE: OpenAPIMediaType(
                schema=Reference(ref="#/components/schemas/Problem")
            )
        },
    )


def _problem_schemas() -> dict[str, Any]:
    """Return the JSON Schemas of the problem and stream types, generated from the msgspec types."""
    _, components = msgspec.json.schema_components(
        [Problem, FieldProblem, DeltaOut], ref_template="#/components/schemas/{name}"
    )
    return components


def _execution_event_schema() -> dict[str, Any]:
    """Return the schema of one server-sent event of an execution stream.

    Each event's `data` is one JSON document, whose schema depends on the event name.
    """
    payloads = {
        "execution": "ExecutionOut",
        "delta": "DeltaOut",
        "error": "ExecutionErrorOut",
        "done": "ExecutionOut",
    }
    return {
        "type": "object",
        "description": "An `execution` event with the running log, `delta` events with output "
        "text, then `done` with the final log, preceded by `error` when it failed.",
        "required": ["event", "data"],
        "properties": {"event": {"enum": list(payloads)}, "data": {"type": "string"}},
        "oneOf": [
            {
                "properties": {
                    "event": {"const": event},
                    "data": {
                        "contentMediaType": "application/json",
                        "contentSchema": {"$ref": f"#/components/schemas/{name}"},
                    },
                }
            }
            for event, name in payloads.items()
        ],
    }


def _add_links(
    operation: Operation,
    links: dict[str, tuple[tuple[str, str], dict[str, str]]],
    operations: dict[tuple[str, str], Any],
) -> None:
    responses = operation.responses or {}
    success_key = next(key for key in sorted(responses) if key.startswith("2"))
    success = responses[success_key]
    assert isinstance(success, OpenAPIResponse)
    resolved: dict[str, Link | Reference] = {}
    for name, (target, parameters) in links.items():
        if target not in operations:
            continue
        resolved[name] = Link(
            operation_id=operations[target][0].operation_id, parameters=dict(parameters)
        )
    success.links = resolved or None
