"""Projects and collaborators.

Revision ID: 0002_projects
Revises: 0001_accounts
"""

import sqlalchemy as sa
from alembic import op

from promptlab.adapters.sqlalchemy.types import UTCDateTime

revision = "0002_projects"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_normalized", sa.String(600), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_projects_organization_id_organizations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_projects_created_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
    )
    op.create_index(
        "ix_projects_organization_id_created_at_id",
        "projects",
        ["organization_id", "created_at", "id"],
    )
    op.create_index(
        "uq_projects_active_name",
        "projects",
        ["organization_id", "name_normalized"],
        unique=True,
        sqlite_where=sa.text("is_archived = 0"),
        postgresql_where=sa.text("is_archived = false"),
    )
    op.create_table(
        "collaborators",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_collaborators_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_collaborators_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("project_id", "user_id", name="pk_collaborators"),
    )
    op.create_index("ix_collaborators_user_id", "collaborators", ["user_id"])
    op.create_index(
        "ix_collaborators_project_id_created_at_user_id",
        "collaborators",
        ["project_id", "created_at", "user_id"],
    )


def downgrade() -> None:
    op.drop_table("collaborators")
    op.drop_table("projects")
