"""The ceiling reference: a bare Litestar endpoint returning a page of 50 prompts from memory.

It is served by granian with the same options as `promptlab serve`, so the
gap between its figures and promptlab's list endpoint is what promptlab's own
work costs (authentication, authorization, the database, mapping) on this
machine. The page is the real one: the benchmark fetches it from promptlab
first and passes it in a file, and it is decoded into promptlab's own wire
types, so encoding it costs what encoding promptlab's response costs.

Run by the benchmark as `python -m bench.ceiling --port N --workers N --page FILE`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, get

PAGE_FILE_VARIABLE = "PROMPTLAB_BENCH_CEILING_PAGE"
CEILING_PATH = "/ceiling/prompts/"


def _page_type() -> Any:
    """Return promptlab's list-of-prompts wire type, or plain JSON values before it exists."""
    try:
        from promptlab.entrypoints.http.schemas.common import PageOut
        from promptlab.entrypoints.http.schemas.prompts import PromptOut
    except ImportError:
        return Any
    return PageOut[PromptOut]


def create_app() -> Litestar:
    """Factory for granian: load the page once, then serve it on every request."""
    raw = Path(os.environ[PAGE_FILE_VARIABLE]).read_bytes()
    try:
        page = msgspec.json.decode(raw, type=_page_type())
    except msgspec.ValidationError:
        # A synthetic page (promptlab's list endpoint did not answer) may not
        # match the wire type exactly; serve it as plain JSON values then.
        page = msgspec.json.decode(raw)

    @get(CEILING_PATH)
    async def list_prompts() -> Any:
        return page

    return Litestar(route_handlers=[list_prompts], debug=False, openapi_config=None)


def main() -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    parser = argparse.ArgumentParser(description="Serve the benchmark's ceiling endpoint.")
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--page", type=Path, required=True, help="JSON file with the page to serve")
    arguments = parser.parse_args()

    os.environ[PAGE_FILE_VARIABLE] = str(arguments.page.resolve())
    # The same server options as `promptlab serve` (see promptlab.entrypoints.cli).
    Server(
        "bench.ceiling:create_app",
        address="127.0.0.1",
        port=arguments.port,
        interface=Interfaces.ASGI,
        workers=arguments.workers,
        factory=True,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()
