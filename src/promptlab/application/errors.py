"""Application errors: failures of a use case that are not a domain rule."""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthenticationError(ApplicationError):
    """Credentials or a token are missing, invalid, expired or revoked."""


class InvalidCursorError(ApplicationError):
    """A pagination cursor could not be decoded: it was not issued by this server."""


class RateLimitedError(ApplicationError):
    """Too many attempts. `retry_after` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailableError(ApplicationError):
    """A backing service (the database) cannot be reached right now."""


class IdempotencyMismatchError(ApplicationError):
    """An Idempotency-Key was reused with a different request body."""
