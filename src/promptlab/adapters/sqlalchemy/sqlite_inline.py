"""aiosqlite connections that run short SQLite calls on the event loop's own thread.

aiosqlite hands every call (cursor, execute, fetch, commit, rollback) to a
thread of its own and wakes the event loop when it is done: two thread
switches per call and about ten per request. `python -m bench` measured that
hand-off at about 0.15 ms per call on a two-core machine, so a read unit of
work with one indexed query took 2.0 ms through aiosqlite and 0.5 ms inline.

A call on a local SQLite file returns in microseconds unless it waits for
a lock or for the disk. Two kinds of call can, and they still go to the
connection's thread, so the event loop does not wait on them:

- `BEGIN IMMEDIATE`, which waits up to the busy timeout for another writer;
- `COMMIT`, which may run an automatic WAL checkpoint that syncs the file.

NOTE: A reader can still wait for a lock in rare cases (another connection
recovering the WAL after a crash); such a wait blocks the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite

_THREADED_STATEMENT_PREFIXES = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "COMMIT", "END")
_THREADED_METHODS = frozenset({"commit"})


def _may_wait(function: Callable[..., Any], arguments: tuple[Any, ...]) -> bool:
    if getattr(function, "__name__", "") in _THREADED_METHODS:
        return True
    if arguments and type(arguments[0]) is str:
        return arguments[0][:32].lstrip().upper().startswith(_THREADED_STATEMENT_PREFIXES)
    return False


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run inline unless they may wait (see the module)."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if _may_wait(fn, args):
            return await super()._execute(fn, *args, **kwargs)
        return fn(*args, **kwargs)


async def connect(database: str, **kwargs: Any) -> InlineConnection:
    """Open `database` as `aiosqlite.connect` does, for use from both threads.

    The sqlite3 connection is used by one caller at a time (the pool hands it
    to one unit of work), so sharing it between the two threads is safe.
    """
    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = InlineConnection(connector, iter_chunk_size=64)
    # As SQLAlchemy does for aiosqlite: the thread must not keep the process alive.
    connection._thread.daemon = True
    return await connection
