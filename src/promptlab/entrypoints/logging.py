"""Plain stdlib logging for the server and CLI."""

from __future__ import annotations

import logging

_FORMAT = "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(handler, "_promptlab", False) for handler in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._promptlab = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
