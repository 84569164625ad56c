"""Drive an HTTP endpoint with wrk and read its summary back as numbers.

wrk (Debian package `wrk`, 4.1) is a C load generator: one thread keeps N
connections busy, each sending its next request as soon as the previous
response arrives (a closed loop). It costs far less CPU per request than a
Python client, which matters on a two-core machine where the load generator
and the server share the processors. A Lua `done` hook writes the summary as
JSON, so nothing is scraped from wrk's human-readable output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import attrs

WRK_INSTALL_HINT = "Install it with `apt-get install wrk` (or run `make bench`, which does)."

_SCRIPT = r"""
local paths = {%(paths)s}
local method = "%(method)s"
local body = %(body)s
local headers = {%(headers)s}
local counter = 0

request = function()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local out = io.open("%(result_path)s", "w")
  out:write(string.format(
    '{"requests": %%d, "duration_us": %%d, "bytes": %%d, ' ..
    '"connect_errors": %%d, "read_errors": %%d, "write_errors": %%d, ' ..
    '"status_errors": %%d, "timeouts": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d, "mean_us": %%f}',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
  out:close()
end
"""


@attrs.frozen
class LoadResult:
    """One wrk run. Latencies are in milliseconds; `errors` counts every failure kind together.

    A status error is a response outside 2xx and 3xx.
    """

    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    status_errors: int
    socket_errors: int

    def as_dict(self) -> dict[str, float | int]:
        return attrs.asdict(self)


@attrs.frozen
class Request:
    """The request each connection sends: one method and body, cycling through `paths`."""

    method: str
    paths: tuple[str, ...]
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(f"bench: the load generator `wrk` was not found. {WRK_INSTALL_HINT}")
    return path


def _lua_string(value: str) -> str:
    # LuaJIT has no \u escapes, so only ASCII text is accepted. The remaining
    # JSON string escapes are valid Lua escapes.
    if not value.isascii():
        raise ValueError(f"wrk scripts take ASCII text only, got {value!r}")
    return json.dumps(value)


def _script(request: Request, result_path: Path) -> str:
    headers = dict(request.headers)
    if request.body is not None:
        headers.setdefault("Content-Type", "application/json")
    return _SCRIPT % {
        "paths": ", ".join(_lua_string(path) for path in request.paths),
        "method": request.method,
        "body": _lua_string(request.body.decode()) if request.body is not None else "nil",
        "headers": ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()),
        "result_path": str(result_path),
    }


def run_wrk(
    base_url: str,
    request: Request,
    *,
    connections: int,
    seconds: float,
    timeout_seconds: float = 10.0,
) -> LoadResult:
    """Run wrk with one thread and `connections` connections for `seconds`, and parse its summary."""
    wrk = require_wrk()
    with tempfile.TemporaryDirectory(prefix="promptlab-wrk-") as folder:
        result_path = Path(folder) / "result.json"
        script_path = Path(folder) / "script.lua"
        script_path.write_text(_script(request, result_path))
        command = [
            wrk,
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(seconds))}s",
            "--timeout",
            f"{max(1, round(timeout_seconds))}s",
            "--script",
            str(script_path),
            base_url,
        ]
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + timeout_seconds + 30,
            check=False,
        )
        if completed.returncode != 0 or not result_path.exists():
            raise RuntimeError(
                f"wrk failed with exit code {completed.returncode}: "
                f"{completed.stderr.strip() or completed.stdout.strip()}"
            )
        raw = json.loads(result_path.read_text())

    seconds_measured = raw["duration_us"] / 1e6
    socket_errors = (
        raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    )
    return LoadResult(
        requests=raw["requests"],
        seconds=round(seconds_measured, 2),
        requests_per_second=round(raw["requests"] / seconds_measured, 1),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p90_ms=round(raw["p90_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        max_ms=round(raw["max_us"] / 1000, 2),
        errors=raw["status_errors"] + socket_errors,
        status_errors=raw["status_errors"],
        socket_errors=socket_errors,
    )
