"""Litestar dependencies that resolve adapters and use cases from the container.

Handlers receive use cases as ordinary typed parameters; the container stays
the one composition root. Each request gets one unit of work, opened here
and rolled back at the end unless the use case committed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.di import Dependency as NamedMarker
from litestar.params import QueryParameter, SkipValidationMarker

from promptlab.application.errors import AuthenticationError
from promptlab.application.pagination import PageRequest, build_page_request
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import User
from promptlab.domain.errors import FieldError, ValidationError
from promptlab.entrypoints.container import Container

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Litestar validates injected values against their annotations; a Protocol
# cannot be checked with isinstance, so the unit of work skips that check.
RequestUnitOfWork = Annotated[UnitOfWork, SkipValidationMarker(), NamedMarker(kind="named")]
CurrentUser = NamedDependency[User]


def container_of(state: State) -> Container:
    return state["container"]


# The dependencies below take the request and reach the container through
# `request.app.state`: a `state` parameter makes Litestar copy the app's
# State for each dependency of each request, which cost 10 us per request.


def request_container(request: Request[Any, Any, Any]) -> Container:
    return request.app.state["container"]


async def provide_uow(
    request: Request[Any, Any, Any], current_user: CurrentUser
) -> AsyncGenerator[UnitOfWork, None]:
    """The request's unit of work, for a handler that builds its use case itself.

    It waits on the user, so that Litestar resolves the two one after the
    other (see below).
    """
    del current_user
    async with _request_uow(request) as uow:
        yield uow


def _request_uow(request: Request[Any, Any, Any]) -> UnitOfWork:
    return request_container(request).uow_factory()(write=request.method not in SAFE_METHODS)


async def provide_current_user(request: Request[Any, Any, Any]) -> User:
    """Authenticate the request's bearer token and return its user.

    The user is read in a read-only unit of work of its own: on a write
    request the request's unit of work is a write transaction, which on
    SQLite would take the database's write lock only to read the user.
    """
    scheme, _, token = _authorization_header(request).partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "Authentication required: send the header `Authorization: Bearer <access token>`; "
            "get a token from POST /api/auth/login/."
        )
    container = request_container(request)
    authenticate = container.authenticate_request(uow=container.uow_factory()(write=False))
    user = await authenticate(token.strip())
    # Checked once the caller is known, so an anonymous request still gets 401 first.
    reject_repeated_query_parameters(request)
    return user


def _authorization_header(request: Request[Any, Any, Any]) -> str:
    """Return the first Authorization header, or "" without one.

    Read from the ASGI scope, whose header names are lowercase bytes:
    `request.headers` would parse every header of the request first.
    """
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")
    return ""


def reject_repeated_query_parameters(request: Request[Any, Any, Any]) -> None:
    """Raise a validation error naming each query parameter that appears more than once.

    Every query parameter of the API takes one value. Litestar would bind
    the last of repeated values, so `?limit=abc&limit=5` passed as 5 while
    `?limit=5&limit=abc` failed.
    """
    # Parameters are separated by "&" only, so without one nothing repeats.
    if b"&" not in request.scope.get("query_string", b""):
        return
    repeated = [
        FieldError(field=name, message=f"appears {len(values)} times; send it once")
        for name, values in request.query_params.dict().items()
        if len(values) > 1
    ]
    if repeated:
        raise ValidationError(repeated)


PageLimit = Annotated[
    int | None,
    QueryParameter(description="Items per page: 1 to the server's maximum (200 by default)."),
]
PageCursor = Annotated[
    str | None,
    QueryParameter(description="The `next` value of the previous page; omit for the first page."),
]


def requested_page(
    request: Request[Any, Any, Any], limit: int | None, cursor: str | None
) -> PageRequest:
    """Return the page a list handler was asked for, from its `limit` and `cursor` parameters.

    List handlers call this in their body rather than taking the page as a
    dependency, one dependency fewer per list request. Litestar validates a
    handler's own parameters only after its dependencies, the user among
    them, so an anonymous request with an invalid `limit` or `cursor` still
    gets 401, not 422.
    """
    settings = request_container(request).settings()
    return build_page_request(
        limit,
        cursor,
        default_limit=settings.default_page_size,
        max_limit=settings.max_page_size,
    )


# Litestar resolves the dependencies that wait on the same ones concurrently,
# in an anyio task group, which cost more than the dependencies themselves.
# So each use case provider waits on the user, and a request resolves its
# dependencies one after another: user, then use case. The use case
# provider opens the request's unit of work and closes it once the response
# is sent. Each dependency costs about 8 us, so the unit of work is not one
# of its own.


def use_case(name: str) -> Provide:
    """Provide the container's use case `name` for an authenticated route."""

    async def provide(
        request: Request[Any, Any, Any], current_user: CurrentUser
    ) -> AsyncGenerator[Any, None]:
        del current_user
        async with _request_uow(request) as uow:
            yield getattr(request_container(request), name)(uow=uow)

    provide.__name__ = f"provide_{name}"
    return Provide(provide)


def public_use_case(name: str) -> Provide:
    """Provide the container's use case `name` for a route open to anonymous callers."""

    async def provide(request: Request[Any, Any, Any]) -> AsyncGenerator[Any, None]:
        async with _request_uow(request) as uow:
            yield getattr(request_container(request), name)(uow=uow)

    provide.__name__ = f"provide_{name}"
    return Provide(provide)


def singleton(name: str) -> Provide:
    """Provide an adapter (rate limiter, catalog, ...) that lives as long as the app."""

    def provide(request: Request[Any, Any, Any]) -> Any:
        return getattr(request_container(request), name)()

    provide.__name__ = f"provide_{name}"
    return Provide(provide, sync_to_thread=False)


def client_address(request: Request[Any, Any, Any], trust_forwarded_for: bool) -> str:
    """Return the client's IP address, from X-Forwarded-For only behind a trusted proxy."""
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.client.host if request.client else "unknown"


BASE_DEPENDENCIES: dict[str, Provide | Callable[..., Any]] = {
    "uow": Provide(provide_uow),
    "current_user": Provide(provide_current_user),
}
