"""Results of the session use cases."""

from __future__ import annotations

import attrs

from promptlab.domain.sessions import PromptSession, SessionCounts


@attrs.frozen
class SessionDetail:
    """A session with the number of its prompts and of their executions."""

    session: PromptSession
    counts: SessionCounts
