"""Prompt sessions and prompts.

Revision ID: 0003_prompts
Revises: 0002_projects
"""

import sqlalchemy as sa
from alembic import op

from promptlab.adapters.sqlalchemy.types import JsonDocument, UTCDateTime

revision = "0003_prompts"
down_revision = "0002_projects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prompt_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("default_model", sa.String(200), nullable=True),
        sa.Column("default_parameters", JsonDocument, nullable=False),
        sa.Column("metadata", JsonDocument, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_prompt_sessions_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name="fk_prompt_sessions_created_by_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_sessions"),
    )
    op.create_index(
        "ix_prompt_sessions_project_id_created_at_id",
        "prompt_sessions",
        ["project_id", "created_at", "id"],
    )
    op.create_index(
        "ix_prompt_sessions_project_id_status_created_at_id",
        "prompt_sessions",
        ["project_id", "status", "created_at", "id"],
    )
    op.create_table(
        "prompts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("messages", JsonDocument, nullable=False),
        sa.Column("variables", JsonDocument, nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_prompts_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["prompt_sessions.id"],
            name="fk_prompts_session_id_prompt_sessions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["prompts.id"], name="fk_prompts_parent_id_prompts", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_prompts_created_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_prompts"),
    )
    op.create_index(
        "ix_prompts_session_id_created_at_id", "prompts", ["session_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_table("prompts")
    op.drop_table("prompt_sessions")
