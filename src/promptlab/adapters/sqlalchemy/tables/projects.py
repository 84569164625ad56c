from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text, Uuid, text

from promptlab.adapters.sqlalchemy.tables.base import metadata
from promptlab.adapters.sqlalchemy.types import UTCDateTime

projects = Table(
    "projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id",
        Uuid,
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(200), nullable=False),
    # Case-folded name, so uniqueness and search ignore letter case the same
    # way on both databases. Case folding can triple a name's length.
    Column("name_normalized", String(600), nullable=False),
    Column("description", Text, nullable=False),
    Column("is_archived", Boolean, nullable=False),
    Column("archived_at", UTCDateTime, nullable=True),
    Column("created_by", Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_projects_organization_id_created_at_id", "organization_id", "created_at", "id"),
    # Names are unique per organization among active projects only, so an
    # archived project never blocks reusing its name.
    Index(
        "uq_projects_active_name",
        "organization_id",
        "name_normalized",
        unique=True,
        sqlite_where=text("is_archived = 0"),
        postgresql_where=text("is_archived = false"),
    ),
)

collaborators = Table(
    "collaborators",
    metadata,
    Column("project_id", Uuid, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_collaborators_user_id", "user_id"),
    # Serves the collaborator list of a project, newest first.
    Index("ix_collaborators_project_id_created_at_user_id", "project_id", "created_at", "user_id"),
)
