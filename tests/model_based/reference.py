"""The reference model: plain dicts and sets stating who may see and do what, and what exists.

The state machine applies every step to the real use cases and to this model,
and compares the two. The model is written from the documented rules, not
from the use cases' code, so a disagreement points at one or the other.
"""

from __future__ import annotations

import uuid

import attrs

from promptlab.domain.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from promptlab.domain.executions import ExecutionStatus
from promptlab.domain.organizations import OrganizationRole
from promptlab.domain.projects import ProjectRole

Outcome = type[DomainError] | None
"""The error class a step must raise, or None when it must succeed."""

OWNER = OrganizationRole.OWNER
ADMIN = OrganizationRole.ADMIN
MEMBER = OrganizationRole.MEMBER

_PROJECT_RANK = {ProjectRole.VIEWER: 1, ProjectRole.EDITOR: 2, ProjectRole.ADMIN: 3}


def name_key(name: str) -> str:
    """Project names are unique per organization after trimming and ignoring letter case."""
    return name.strip().casefold()


@attrs.define
class ModelOrganization:
    id: uuid.UUID
    personal: bool
    members: dict[uuid.UUID, OrganizationRole]

    def owner_count(self) -> int:
        return sum(role is OWNER for role in self.members.values())


@attrs.define
class ModelProject:
    id: uuid.UUID
    organization_id: uuid.UUID
    name_key: str
    archived: bool = False
    collaborators: dict[uuid.UUID, ProjectRole] = attrs.Factory(dict)


@attrs.define
class ModelSession:
    id: uuid.UUID
    project_id: uuid.UUID
    closed: bool = False


@attrs.define
class ModelPrompt:
    id: uuid.UUID
    session_id: uuid.UUID
    project_id: uuid.UUID
    has_variable: bool


@attrs.define
class ModelExecution:
    id: uuid.UUID
    prompt_id: uuid.UUID
    status: ExecutionStatus


@attrs.define
class ReferenceModel:
    """Everything one example created, keyed by the ids the use cases returned."""

    users: set[uuid.UUID] = attrs.Factory(set)
    organizations: dict[uuid.UUID, ModelOrganization] = attrs.Factory(dict)
    projects: dict[uuid.UUID, ModelProject] = attrs.Factory(dict)
    sessions: dict[uuid.UUID, ModelSession] = attrs.Factory(dict)
    prompts: dict[uuid.UUID, ModelPrompt] = attrs.Factory(dict)
    executions: dict[uuid.UUID, ModelExecution] = attrs.Factory(dict)

    # Roles and visibility

    def organization_role(
        self, organization_id: uuid.UUID, user_id: uuid.UUID
    ) -> OrganizationRole | None:
        return self.organizations[organization_id].members.get(user_id)

    def project_role(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectRole | None:
        """The stronger of the role the organization grants and the collaborator role."""
        project = self.projects[project_id]
        candidates = []
        organization_role = self.organization_role(project.organization_id, user_id)
        if organization_role in (OWNER, ADMIN):
            candidates.append(ProjectRole.ADMIN)
        elif organization_role is MEMBER:
            candidates.append(ProjectRole.EDITOR)
        if user_id in project.collaborators:
            candidates.append(project.collaborators[user_id])
        if not candidates:
            return None
        return max(candidates, key=_PROJECT_RANK.__getitem__)

    def visible_projects(self, user_id: uuid.UUID, *, archived: bool) -> dict[uuid.UUID, str]:
        """Project id to the user's role, for the projects a list with `archived` shows."""
        visible = {}
        for project in self.projects.values():
            role = self.project_role(project.id, user_id)
            if role is not None and project.archived == archived:
                visible[project.id] = str(role)
        return visible

    def memberships_of(self, user_id: uuid.UUID) -> dict[uuid.UUID, str]:
        return {
            organization.id: str(organization.members[user_id])
            for organization in self.organizations.values()
            if user_id in organization.members
        }

    def active_name_taken(
        self, organization_id: uuid.UUID, key: str, *, except_id: uuid.UUID | None = None
    ) -> bool:
        return any(
            project.organization_id == organization_id
            and not project.archived
            and project.name_key == key
            and project.id != except_id
            for project in self.projects.values()
        )

    # Organization outcomes

    def add_member_outcome(
        self,
        actor: uuid.UUID,
        organization_id: uuid.UUID,
        target: uuid.UUID,
        role: OrganizationRole,
    ) -> Outcome:
        organization = self.organizations[organization_id]
        actor_role = organization.members.get(actor)
        if actor_role is None:
            return NotFoundError
        if actor_role is MEMBER:
            return PermissionDeniedError
        if actor_role is ADMIN and role is OWNER:
            return PermissionDeniedError
        if organization.personal:
            return ConflictError
        if target in organization.members:
            return ConflictError
        return None

    def change_role_outcome(
        self,
        actor: uuid.UUID,
        organization_id: uuid.UUID,
        target: uuid.UUID,
        role: OrganizationRole,
    ) -> Outcome:
        organization = self.organizations[organization_id]
        actor_role = organization.members.get(actor)
        target_role = organization.members.get(target)
        if actor_role is None or target_role is None:
            return NotFoundError
        if actor_role is MEMBER:
            return PermissionDeniedError
        if actor_role is ADMIN and (target_role is OWNER or role is OWNER):
            return PermissionDeniedError
        demotes_owner = target_role is OWNER and role is not OWNER
        if demotes_owner and (organization.personal or organization.owner_count() <= 1):
            return ConflictError
        return None

    def remove_member_outcome(
        self, actor: uuid.UUID, organization_id: uuid.UUID, target: uuid.UUID
    ) -> Outcome:
        organization = self.organizations[organization_id]
        actor_role = organization.members.get(actor)
        target_role = organization.members.get(target)
        if actor_role is None or target_role is None:
            return NotFoundError
        if target != actor:
            if actor_role is MEMBER:
                return PermissionDeniedError
            if actor_role is ADMIN and target_role is OWNER:
                return PermissionDeniedError
        if target_role is OWNER and (organization.personal or organization.owner_count() <= 1):
            return ConflictError
        if organization.personal:
            return ConflictError
        return None

    # Project outcomes

    def project_outcome(
        self, project_id: uuid.UUID, user_id: uuid.UUID, minimum: ProjectRole
    ) -> Outcome:
        """The outcome of a write needing `minimum`: 404 when unseen, then 403, then 409."""
        role = self.project_role(project_id, user_id)
        if role is None:
            return NotFoundError
        if _PROJECT_RANK[role] < _PROJECT_RANK[minimum]:
            return PermissionDeniedError
        if self.projects[project_id].archived:
            return ConflictError
        return None

    def create_project_outcome(
        self, actor: uuid.UUID, organization_id: uuid.UUID, key: str
    ) -> Outcome:
        if self.organization_role(organization_id, actor) is None:
            return NotFoundError
        if self.active_name_taken(organization_id, key):
            return ConflictError
        return None

    def update_project_outcome(
        self,
        actor: uuid.UUID,
        project_id: uuid.UUID,
        key: str | None,
        is_archived: bool | None,
    ) -> Outcome:
        project = self.projects[project_id]
        role = self.project_role(project_id, actor)
        if role is None:
            return NotFoundError
        if role is not ProjectRole.ADMIN:
            return PermissionDeniedError
        restoring = is_archived is False and project.archived
        if project.archived and not restoring:
            return ConflictError
        stays_active = is_archived is not True
        if stays_active and (key is not None or restoring):
            final_key = key if key is not None else project.name_key
            if self.active_name_taken(project.organization_id, final_key, except_id=project_id):
                return ConflictError
        return None

    def add_collaborator_outcome(
        self, actor: uuid.UUID, project_id: uuid.UUID, target: uuid.UUID
    ) -> Outcome:
        outcome = self.project_outcome(project_id, actor, ProjectRole.ADMIN)
        if outcome is not None:
            return outcome
        if target in self.projects[project_id].collaborators:
            return ConflictError
        return None

    def update_collaborator_outcome(
        self, actor: uuid.UUID, project_id: uuid.UUID, target: uuid.UUID
    ) -> Outcome:
        outcome = self.project_outcome(project_id, actor, ProjectRole.ADMIN)
        if outcome is not None:
            return outcome
        if target not in self.projects[project_id].collaborators:
            return NotFoundError
        return None

    def remove_collaborator_outcome(
        self, actor: uuid.UUID, project_id: uuid.UUID, target: uuid.UUID
    ) -> Outcome:
        # Any collaborator may leave; removing someone else needs the admin role.
        minimum = ProjectRole.VIEWER if target == actor else ProjectRole.ADMIN
        outcome = self.project_outcome(project_id, actor, minimum)
        if outcome is not None:
            return outcome
        if target not in self.projects[project_id].collaborators:
            return NotFoundError
        return None

    # Session, prompt and execution outcomes

    def content_outcome(self, actor: uuid.UUID, session_id: uuid.UUID) -> Outcome:
        """A new prompt or execution in the session: editor role, active project and session."""
        session = self.sessions[session_id]
        outcome = self.project_outcome(session.project_id, actor, ProjectRole.EDITOR)
        if outcome is not None:
            return outcome
        if session.closed:
            return ConflictError
        return None

    def execute_outcome(
        self, actor: uuid.UUID, prompt_id: uuid.UUID, *, omit_variables: bool
    ) -> Outcome:
        prompt = self.prompts[prompt_id]
        outcome = self.content_outcome(actor, prompt.session_id)
        if outcome is not None:
            return outcome
        if prompt.has_variable and omit_variables:
            return ValidationError
        return None

    # Counts

    def session_counts(self, session_id: uuid.UUID) -> tuple[int, int]:
        prompts = {p.id for p in self.prompts.values() if p.session_id == session_id}
        executions = sum(e.prompt_id in prompts for e in self.executions.values())
        return len(prompts), executions

    def count_by_parent(self) -> dict[str, dict[uuid.UUID, int]]:
        """Rows per parent: sessions per project, prompts per session, executions per prompt."""
        counts: dict[str, dict[uuid.UUID, int]] = {
            "sessions": {},
            "prompts": {},
            "executions": {},
        }
        for session in self.sessions.values():
            counts["sessions"][session.project_id] = (
                counts["sessions"].get(session.project_id, 0) + 1
            )
        for prompt in self.prompts.values():
            counts["prompts"][prompt.session_id] = counts["prompts"].get(prompt.session_id, 0) + 1
        for execution in self.executions.values():
            counts["executions"][execution.prompt_id] = (
                counts["executions"].get(execution.prompt_id, 0) + 1
            )
        return counts
