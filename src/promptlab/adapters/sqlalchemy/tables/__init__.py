"""Table definitions. Every table is on one MetaData, which Alembic revisions must match."""

from promptlab.adapters.sqlalchemy.tables.accounts import (
    memberships,
    organizations,
    refresh_tokens,
    users,
)
from promptlab.adapters.sqlalchemy.tables.base import metadata
from promptlab.adapters.sqlalchemy.tables.executions import executions
from promptlab.adapters.sqlalchemy.tables.projects import collaborators, projects
from promptlab.adapters.sqlalchemy.tables.prompts import prompt_sessions, prompts

__all__ = [
    "collaborators",
    "executions",
    "memberships",
    "metadata",
    "organizations",
    "projects",
    "prompt_sessions",
    "prompts",
    "refresh_tokens",
    "users",
]
