from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, Uuid

from promptlab.adapters.sqlalchemy.tables.base import metadata
from promptlab.adapters.sqlalchemy.types import JsonDocument, Money, UTCDateTime

executions = Table(
    "executions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column(
        "session_id",
        Uuid,
        ForeignKey("prompt_sessions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("prompt_id", Uuid, ForeignKey("prompts.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("messages", JsonDocument, nullable=False),
    Column("variables", JsonDocument, nullable=False),
    Column("parameters", JsonDocument, nullable=False),
    Column("status", String(16), nullable=False),
    Column("output", Text, nullable=True),
    Column("finish_reason", String(64), nullable=True),
    Column("input_tokens", Integer, nullable=True),
    Column("output_tokens", Integer, nullable=True),
    Column("total_tokens", Integer, nullable=True),
    Column("cached_input_tokens", Integer, nullable=True),
    Column("cost", Money, nullable=True),
    Column("latency_ms", Integer, nullable=True),
    Column("time_to_first_token_ms", Integer, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("error_provider_status", Integer, nullable=True),
    Column("provider_request_id", String(200), nullable=True),
    Column("streamed", Boolean, nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("request_fingerprint", String(64), nullable=True),
    Column("created_by", Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("deadline_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime, nullable=True),
    Index("ix_executions_prompt_id_created_at_id", "prompt_id", "created_at", "id"),
    # The reaper looks for logs still running past their deadline.
    Index("ix_executions_status_deadline_at", "status", "deadline_at"),
    # An Idempotency-Key is scoped to the user who sent it.
    Index("uq_executions_created_by_idempotency_key", "created_by", "idempotency_key", unique=True),
)
