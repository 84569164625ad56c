"""Domain errors. The HTTP edge maps each family to one status code."""

from __future__ import annotations

import attrs


class DomainError(Exception):
    """Base class for errors raised by domain rules."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@attrs.frozen
class FieldError:
    """One invalid input field: a dotted path such as `messages.0.content` and why."""

    field: str
    message: str


class ValidationError(DomainError):
    """Input breaks a domain rule. Carries every offending field, not just the first."""

    def __init__(self, errors: list[FieldError] | FieldError, message: str | None = None) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        summary = message or "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(summary)


class NotFoundError(DomainError):
    """The object does not exist, or the caller may not see it."""


class PermissionDeniedError(DomainError):
    """The caller can see the object but their role is too low for the action."""


class ConflictError(DomainError):
    """The action clashes with current state: a duplicate, or a write to a read-only object."""
