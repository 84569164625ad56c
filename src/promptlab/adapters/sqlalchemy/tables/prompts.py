from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, Uuid

from promptlab.adapters.sqlalchemy.tables.base import metadata
from promptlab.adapters.sqlalchemy.types import JsonDocument, UTCDateTime

prompt_sessions = Table(
    "prompt_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("default_model", String(200), nullable=True),
    Column("default_parameters", JsonDocument, nullable=False),
    Column("metadata", JsonDocument, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_prompt_sessions_project_id_created_at_id", "project_id", "created_at", "id"),
    # Serves the list filtered by status, so a page of active sessions does not
    # scan past every closed one.
    Index(
        "ix_prompt_sessions_project_id_status_created_at_id",
        "project_id",
        "status",
        "created_at",
        "id",
    ),
)

prompts = Table(
    "prompts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column(
        "session_id",
        Uuid,
        ForeignKey("prompt_sessions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(200), nullable=True),
    Column("messages", JsonDocument, nullable=False),
    Column("variables", JsonDocument, nullable=False),
    Column("parent_id", Uuid, ForeignKey("prompts.id", ondelete="SET NULL"), nullable=True),
    Column("created_by", Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_prompts_session_id_created_at_id", "session_id", "created_at", "id"),
)
