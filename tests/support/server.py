"""The real app served over HTTP on loopback, in a background thread."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import uvicorn
from litestar import Litestar


class LiveServer:
    """Runs an ASGI app with uvicorn on 127.0.0.1 and a free port until `stop`."""

    def __init__(self, app: Litestar) -> None:
        self._app = app
        self._server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False
            )
        )
        self._thread = threading.Thread(target=self._run, name="promptlab-live-server", daemon=True)
        self.url = ""

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self, timeout: float = 30.0) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the test server stopped during startup; see the log above")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the test server did not start within {timeout} s")
            time.sleep(0.02)
        sockets: list[Any] = self._server.servers[0].sockets
        port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
