"""Wire types shared by every resource."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

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
