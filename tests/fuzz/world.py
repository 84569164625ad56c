"""The fuzzing target: the app on one database, a user who owns a world of objects, and counts.

Every path parameter the fuzzer generates as a valid UUID is swapped, most of
the time, for the id of a real object of that kind, so that examples reach the
code behind the 404 as well as the 404 itself.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import attrs
from hypothesis import strategies as st

from tests.support.api import Account

# The model and placeholder of the world built by tests/e2e/route_world.py.
WORLD_MODEL = "fake-gpt"
WORLD_VARIABLES = {"topic": "fuzzing"}


@attrs.define
class FuzzTarget:
    """A live server on one backend and the ids of the objects its fuzzing user can reach."""

    backend: str
    base_url: str
    user: Account
    # Path parameter name -> id of a real object, per operation path prefix.
    ids: dict[str, str]

    @property
    def headers(self) -> dict[str, str]:
        return self.user.headers

    def real_parameters(self, path: str, generated: dict[str, Any]) -> dict[str, Any]:
        """Return `generated` with each valid UUID replaced by the world's object of that kind."""
        real = dict(generated)
        for name, value in generated.items():
            if not _is_uuid(value):
                continue
            key = name
            if name == "user_id":
                key = "member_id" if "/members/" in path else "collaborator_id"
            if key in self.ids:
                real[name] = self.ids[key]
        return real


@attrs.define
class FuzzStatistics:
    """Examples sent per (backend, operation), and stateful steps per backend."""

    examples: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    statuses: Counter[tuple[str, int]] = attrs.field(factory=Counter)
    stateful_steps: Counter[str] = attrs.field(factory=Counter)


# The target the running test fuzzes; set by the `fuzz_target` fixture.
CURRENT: dict[str, FuzzTarget] = {}
STATISTICS = FuzzStatistics()


def current_target() -> FuzzTarget:
    try:
        return CURRENT["target"]
    except KeyError:
        raise RuntimeError("no fuzz target is set; request the `fuzz_target` fixture") from None


def mostly_real(path: str, generated: Any) -> st.SearchStrategy[Any]:
    """Draw the world's ids three times in four, and the generated ones otherwise."""
    if not isinstance(generated, dict):
        return st.just(generated)
    real = current_target().real_parameters(path, generated)
    return st.integers(0, 3).map(lambda choice: generated if choice == 0 else real)


def mostly_runnable(body: Any) -> st.SearchStrategy[Any]:
    """Draw an execute body naming the world's model and variables three times in four."""
    if not isinstance(body, dict):
        return st.just(body)
    runnable = {**body, "model": WORLD_MODEL, "variables": dict(WORLD_VARIABLES)}
    return st.integers(0, 3).map(lambda choice: body if choice == 0 else runnable)


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def runnable_body(method: str, path: str, body: Any) -> Any:
    """Return `body` changed just enough to pass the domain's rules, so a chain goes on.

    Names become printable and non-blank, a prompt gets exactly one of
    `messages` and `content`, and an execution names the world's model with
    no variables (generated prompt text has no placeholders).
    """
    if not isinstance(body, dict):
        return body
    changed = {key: _printable(value) for key, value in body.items()}
    for key in ("name", "full_name"):
        if key in changed and not str(changed[key]).strip():
            changed[key] = "linked"
    if method.upper() == "POST" and path.endswith("/prompts"):
        changed.pop("parent", None)
        if "content" in changed or not changed.get("messages"):
            changed.pop("messages", None)
            changed["content"] = changed.get("content") or "linked prompt"
    if method.upper() == "POST" and path.endswith("/execute"):
        changed["model"] = WORLD_MODEL
        changed["variables"] = {}
    return changed


def _printable(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return "".join(
        character if character.isprintable() and not 0xD800 <= ord(character) <= 0xDFFF else "x"
        for character in value
    )
