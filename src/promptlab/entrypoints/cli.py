"""The `promptlab` command: serve the API and migrate the database."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import socket
import sys

from promptlab.entrypoints.logging import configure_logging
from promptlab.entrypoints.settings import Settings, SettingsError

logger = logging.getLogger("promptlab.cli")


def _load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        print(f"promptlab: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from error


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


async def _migrate(settings: Settings, revision: str) -> None:
    from alembic.util.exc import CommandError

    from promptlab.adapters.sqlalchemy.engine import create_engine
    from promptlab.adapters.sqlalchemy.migrate import current_revision, run_migrations

    if settings.is_embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    try:
        try:
            await run_migrations(engine, revision)
        except CommandError as error:
            raise CliError(f"cannot migrate to revision {revision!r}: {error}") from error
        logger.info("database is at revision %s", await current_revision(engine))
    finally:
        await engine.dispose()


def command_migrate(arguments: argparse.Namespace) -> int:
    settings = _load_settings()
    configure_logging(settings.log_level)
    asyncio.run(_migrate(settings, arguments.revision))
    return 0


def command_serve(arguments: argparse.Namespace) -> int:
    from granian.constants import Interfaces
    from granian.server import Server

    settings = _load_settings()
    configure_logging(settings.log_level)
    _check_port_free(arguments.host, arguments.port)

    # Migrate once here, before the workers start, so they do not race for it.
    if settings.auto_migrate and settings.is_embedded:
        asyncio.run(_migrate(settings, "head"))

    logger.info(
        "serving on http://%s:%d with %d worker(s), database %s",
        arguments.host,
        arguments.port,
        arguments.workers,
        "SQLite at " + str(settings.data_dir) if settings.is_embedded else "PostgreSQL",
    )
    server = Server(
        "promptlab.entrypoints.http.app:create_app_from_env",
        address=arguments.host,
        port=arguments.port,
        interface=Interfaces.ASGI,
        workers=arguments.workers,
        factory=True,
        log_access=arguments.access_log,
    )
    server.serve()
    return 0


def _check_port_free(host: str, port: int) -> None:
    """Fail when another process listens on the port.

    granian binds with SO_REUSEPORT, so a second server on a busy port would
    start silently and take half the connections. A plain bind, without that
    option, fails as long as any other socket is bound to the port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR lets the probe past connections of a stopped server
        # still in TIME_WAIT, but not past a socket that is listening.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is already in use. Stop the other server, "
                    "or choose another port with --port."
                ) from error
            raise CliError(f"cannot listen on {host}:{port}: {error.strerror}") from error


def _port(raw: str) -> int:
    value = _positive(raw)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port from 1 to 65535, got {value}")
    return value


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptlab",
        description="promptlab: a self-hostable backend for teams who engineer LLM prompts. "
        "Configuration comes from PROMPTLAB_* environment variables (see the README).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument(
        "--host",
        default=os.environ.get("PROMPTLAB_HOST", "127.0.0.1"),
        help="address to listen on (default 127.0.0.1; use 0.0.0.0 to accept remote clients)",
    )
    # String defaults go through `type` too, so a bad PROMPTLAB_PORT or
    # PROMPTLAB_WORKERS is reported like a bad option instead of a traceback.
    serve.add_argument(
        "--port",
        type=_port,
        default=os.environ.get("PROMPTLAB_PORT", "8000"),
        help="TCP port to listen on (default 8000)",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=os.environ.get("PROMPTLAB_WORKERS", "1"),
        help="number of worker processes (default 1); with more than one, set "
        "PROMPTLAB_REDIS_URL so rate limits are shared",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log one line per request (off by default)",
    )
    serve.set_defaults(handler=command_serve)

    migrate = commands.add_parser(
        "migrate",
        help="apply database migrations (the embedded SQLite default also does this on start)",
    )
    migrate.add_argument(
        "revision", nargs="?", default="head", help="target Alembic revision (default head)"
    )
    migrate.set_defaults(handler=command_migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return int(arguments.handler(arguments))
    except CliError as error:
        print(f"promptlab: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
