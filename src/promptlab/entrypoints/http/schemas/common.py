"""Wire types shared by every resource."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec
from litestar import Response
from litestar.enums import MediaType

from promptlab.application.pagination import Page, encode_cursor

T = TypeVar("T")


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base for request bodies: unknown fields are rejected, so no mass assignment."""


class PageOut(msgspec.Struct, Generic[T]):
    results: list[T]
    next: str | None


def page_out(page: Page, convert) -> PageOut:  # type: ignore[no-untyped-def, type-arg]
    return PageOut(
        results=[convert(item) for item in page.items],
        next=encode_cursor(page.next) if page.next else None,
    )


def encoded_json(body: bytes) -> Response[Any]:
    """Return a 200 response whose body is JSON the handler has already encoded.

    The handler's return annotation, `Response[SomeOut]`, still documents
    the body's schema in the OpenAPI document.
    """
    return Response(content=body, media_type=MediaType.JSON)
