"""Translation of driver errors into application errors."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from promptlab.application.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)


def is_unavailable(error: BaseException) -> bool:
    """Return whether a driver error means the database cannot be reached or used right now."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OSError | ConnectionError | TimeoutError)


def unavailable(error: BaseException) -> ServiceUnavailableError:
    logger.error("database unavailable: %s", error.__class__.__name__, exc_info=error)
    return ServiceUnavailableError(
        "The database is unavailable. Nothing was saved; retry the request shortly."
    )
