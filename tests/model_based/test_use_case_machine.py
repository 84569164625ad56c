"""Random sequences of use-case calls on each database, checked step by step against a model.

Every example registers users of its own (unique emails), so it starts from an
empty world inside the session's shared database: every organization and
project a user can reach was made by that example. After each step the
invariants compare what the use cases return and what the rows hold with the
reference model in `reference.py`.

`PROMPTLAB_MODEL_EXAMPLES` and `PROMPTLAB_MODEL_STEPS` raise the bounds for
a deeper local run; CI uses the defaults, derandomized.
"""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.auth.login import LoginCommand
from promptlab.application.auth.refresh import RefreshCommand
from promptlab.application.auth.register import RegisterCommand
from promptlab.application.errors import AuthenticationError
from promptlab.application.executions.get_execution import GetExecutionQuery
from promptlab.application.executions.list_executions import ListExecutionsQuery
from promptlab.application.executions.starting import ExecutePromptCommand
from promptlab.application.organizations.add_member import AddMemberCommand
from promptlab.application.organizations.change_member_role import ChangeMemberRoleCommand
from promptlab.application.organizations.create_organization import CreateOrganizationCommand
from promptlab.application.organizations.list_organizations import ListOrganizationsQuery
from promptlab.application.organizations.remove_member import RemoveMemberCommand
from promptlab.application.pagination import PageRequest
from promptlab.application.projects.add_collaborator import AddCollaboratorCommand
from promptlab.application.projects.archive_project import ArchiveProjectCommand
from promptlab.application.projects.create_project import CreateProjectCommand
from promptlab.application.projects.get_project import GetProjectCommand
from promptlab.application.projects.list_projects import ListProjectsCommand
from promptlab.application.projects.remove_collaborator import RemoveCollaboratorCommand
from promptlab.application.projects.update_collaborator import UpdateCollaboratorCommand
from promptlab.application.projects.update_project import UpdateProjectCommand
from promptlab.application.prompts.create_prompt import CreatePromptCommand
from promptlab.application.prompts.get_prompt import GetPromptCommand
from promptlab.application.prompts.list_prompts import ListPromptsCommand
from promptlab.application.sessions.create_session import CreateSessionCommand
from promptlab.application.sessions.get_session import GetSessionCommand
from promptlab.application.sessions.list_sessions import ListSessionsCommand
from promptlab.application.sessions.update_session import UpdateSessionCommand
from promptlab.domain.accounts import User
from promptlab.domain.errors import DomainError, NotFoundError
from promptlab.domain.executions import ExecutionStatus
from promptlab.domain.organizations import OrganizationRole
from promptlab.domain.projects import ProjectRole
from promptlab.domain.sessions import SessionStatus
from tests.model_based.harness import MODEL, Harness, ProviderScript
from tests.model_based.reference import (
    OWNER,
    ModelExecution,
    ModelOrganization,
    ModelProject,
    ModelPrompt,
    ModelSession,
    Outcome,
    ReferenceModel,
    name_key,
)

T = TypeVar("T")

PASSWORD = "model based password"
# Two of these differ only in case and surrounding whitespace, so they clash.
PROJECT_NAMES = ("Alpha", " alpha", "Beta", "Gamma")
VARIABLE_TEXT = "Say {{word}} twice"
PLAIN_TEXT = "Say hello twice"

MAX_USERS = 4
MAX_ORGANIZATIONS = 7
MAX_PROJECTS = 6
MAX_SESSIONS = 8
MAX_PROMPTS = 10
MAX_EXECUTIONS = 14
EVERYTHING = PageRequest(limit=200)

EXAMPLES = int(os.environ.get("PROMPTLAB_MODEL_EXAMPLES", "40"))
STEPS = int(os.environ.get("PROMPTLAB_MODEL_STEPS", "30"))

MACHINE_SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@attrs.define
class RunStatistics:
    """What the machine did across all examples, to report and to check the run's coverage."""

    examples: int = 0
    steps: int = 0
    outcomes: Counter[str] = attrs.Factory(Counter)

    def summary(self) -> str:
        lines = [f"{self.examples} examples, {self.steps} steps"]
        lines += [f"  {name}: {count}" for name, count in sorted(self.outcomes.items())]
        return "\n".join(lines)


class UseCaseMachine(RuleBasedStateMachine):
    def __init__(self, harness: Harness, statistics: RunStatistics) -> None:
        super().__init__()
        self.harness = harness
        self.statistics = statistics
        self.model = ReferenceModel()
        self.users: dict[uuid.UUID, User] = {}
        self.emails: dict[uuid.UUID, str] = {}
        self.personal: dict[uuid.UUID, uuid.UUID] = {}
        self.archived_rows: dict[uuid.UUID, dict[str, list[dict[str, Any]]]] = {}
        self.tag = uuid.uuid4().hex[:12]
        statistics.examples += 1

    # Helpers

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.harness.run(coroutine)

    def expect(self, step: str, outcome: Outcome, coroutine: Coroutine[Any, Any, T]) -> T | None:
        """Run a use case and check it raised exactly `outcome`, or succeeded when it is None."""
        self.statistics.steps += 1
        try:
            result = self.run(coroutine)
        except DomainError as error:
            name = type(error).__name__
            self.statistics.outcomes[f"{step} -> {name}"] += 1
            assert outcome is not None, f"{step}: expected success, got {name}: {error}"
            # Subclasses count: a VariablesError is the ValidationError of a template.
            assert isinstance(error, outcome), f"{step}: expected {outcome.__name__}, got {name}"
            return None
        self.statistics.outcomes[f"{step} -> ok"] += 1
        assert outcome is None, f"{step}: expected {outcome.__name__}, but it succeeded"
        return result

    def pick(self, data: st.DataObject, ids: Iterable[uuid.UUID], label: str) -> uuid.UUID:
        return data.draw(st.sampled_from(list(ids)), label=label)

    def user(self, data: st.DataObject, label: str = "actor") -> User:
        return self.users[self.pick(data, self.users, label)]

    def insider(self, data: st.DataObject, preferred: Iterable[uuid.UUID]) -> User:
        """Draw an actor, three times in four from `preferred` when it has anyone.

        Uniform draws would mostly pick users who cannot see the object, and
        the steps that build deeper state (sessions, prompts, executions)
        would rarely succeed.
        """
        candidates = [user_id for user_id in preferred if user_id in self.users]
        if candidates and data.draw(st.integers(0, 3), label="from preferred") > 0:
            return self.users[self.pick(data, candidates, "actor")]
        return self.user(data)

    def project_insider(self, data: st.DataObject, project_id: uuid.UUID) -> User:
        return self.insider(
            data, [u for u in self.users if self.model.project_role(project_id, u) is not None]
        )

    def organization_insider(self, data: st.DataObject, organization_id: uuid.UUID) -> User:
        return self.insider(data, self.model.organizations[organization_id].members)

    def register(self) -> None:
        email = f"model-{self.tag}-{len(self.users)}@example.com"
        result = self.run(
            self.harness.register()(
                RegisterCommand(email=email, password=PASSWORD, full_name=f"User {len(self.users)}")
            )
        )
        user_id = result.user.id
        self.users[user_id] = result.user
        self.emails[user_id] = email
        self.personal[user_id] = result.organization.id
        self.model.users.add(user_id)
        self.model.organizations[result.organization.id] = ModelOrganization(
            result.organization.id, personal=True, members={user_id: OWNER}
        )

    def remember_archived(self, project_id: uuid.UUID) -> None:
        self.archived_rows[project_id] = self.run(self.harness.project_rows(project_id))

    # Users and organizations

    @initialize()
    def start_with_a_prompt(self) -> None:
        """Two users, and a project of the first with a session and a prompt.

        Starting with content lets the short runs reach sessions, prompts and
        executions often; later steps still create and change all of them.
        """
        self.register()
        self.register()
        owner = self.users[next(iter(self.users))]

        view = self.expect(
            "create_project",
            None,
            self.harness.create_project()(CreateProjectCommand(user=owner, name=PROJECT_NAMES[0])),
        )
        assert view is not None
        project_id = view.project.id
        self.model.projects[project_id] = ModelProject(
            project_id, self.personal[owner.id], name_key(PROJECT_NAMES[0])
        )

        session = self.expect(
            "create_session",
            None,
            self.harness.create_session()(
                CreateSessionCommand(user=owner, project_id=project_id, name="Session")
            ),
        )
        assert session is not None
        self.model.sessions[session.id] = ModelSession(session.id, project_id)

        prompt = self.expect(
            "create_prompt",
            None,
            self.harness.create_prompt()(
                CreatePromptCommand(
                    user=owner, project_id=project_id, session_id=session.id, content=VARIABLE_TEXT
                )
            ),
        )
        assert prompt is not None
        self.model.prompts[prompt.id] = ModelPrompt(prompt.id, session.id, project_id, True)

    @precondition(lambda self: len(self.users) < MAX_USERS)
    @rule()
    def register_user(self) -> None:
        self.statistics.steps += 1
        self.register()

    @rule(data=st.data())
    def log_in_and_rotate(self, data: st.DataObject) -> None:
        user = self.user(data)
        self.statistics.steps += 1
        pair = self.run(
            self.harness.login()(LoginCommand(email=self.emails[user.id], password=PASSWORD))
        )
        authenticated = self.run(self.harness.authenticate()(pair.access))
        rotated = self.run(self.harness.refresh()(RefreshCommand(refresh=pair.refresh)))

        with pytest.raises(AuthenticationError):
            self.run(self.harness.refresh()(RefreshCommand(refresh=pair.refresh)))
        # Reusing a spent token revoked its family, the rotated token included.
        with pytest.raises(AuthenticationError):
            self.run(self.harness.refresh()(RefreshCommand(refresh=rotated.refresh)))
        assert authenticated.id == user.id

    @precondition(lambda self: len(self.model.organizations) < MAX_ORGANIZATIONS)
    @rule(data=st.data())
    def create_organization(self, data: st.DataObject) -> None:
        actor = self.user(data)
        view = self.expect(
            "create_organization",
            None,
            self.harness.create_organization()(
                CreateOrganizationCommand(actor_id=actor.id, name=f"Team {self.tag}")
            ),
        )
        assert view is not None
        assert view.role is OWNER
        self.model.organizations[view.organization.id] = ModelOrganization(
            view.organization.id, personal=False, members={actor.id: OWNER}
        )

    @rule(data=st.data(), role=st.sampled_from(OrganizationRole))
    def add_member(self, data: st.DataObject, role: OrganizationRole) -> None:
        organization_id = self.pick(data, self.model.organizations, "organization")
        actor = self.organization_insider(data, organization_id)
        target = self.user(data, "target")
        outcome = self.model.add_member_outcome(actor.id, organization_id, target.id, role)
        member = self.expect(
            "add_member",
            outcome,
            self.harness.add_member()(
                AddMemberCommand(
                    actor_id=actor.id,
                    organization_id=organization_id,
                    email=self.emails[target.id].upper(),
                    role=role,
                )
            ),
        )
        if outcome is None:
            assert member is not None
            assert member.user_id == target.id
            self.model.organizations[organization_id].members[target.id] = role

    @rule(data=st.data(), role=st.sampled_from(OrganizationRole))
    def change_member_role(self, data: st.DataObject, role: OrganizationRole) -> None:
        organization_id = self.pick(data, self.model.organizations, "organization")
        actor = self.organization_insider(data, organization_id)
        target = self.insider(data, self.model.organizations[organization_id].members)
        outcome = self.model.change_role_outcome(actor.id, organization_id, target.id, role)
        member = self.expect(
            "change_member_role",
            outcome,
            self.harness.change_member_role()(
                ChangeMemberRoleCommand(
                    actor_id=actor.id,
                    organization_id=organization_id,
                    user_id=target.id,
                    role=role,
                )
            ),
        )
        if outcome is None:
            assert member is not None
            assert member.role is role
            self.model.organizations[organization_id].members[target.id] = role

    @rule(data=st.data())
    def remove_member(self, data: st.DataObject) -> None:
        organization_id = self.pick(data, self.model.organizations, "organization")
        actor = self.organization_insider(data, organization_id)
        target = self.insider(data, self.model.organizations[organization_id].members)
        outcome = self.model.remove_member_outcome(actor.id, organization_id, target.id)
        self.expect(
            "remove_member",
            outcome,
            self.harness.remove_member()(
                RemoveMemberCommand(
                    actor_id=actor.id, organization_id=organization_id, user_id=target.id
                )
            ),
        )
        if outcome is None:
            del self.model.organizations[organization_id].members[target.id]

    # Projects and collaborators

    @precondition(lambda self: len(self.model.projects) < MAX_PROJECTS)
    @rule(data=st.data(), name=st.sampled_from(PROJECT_NAMES), in_personal=st.booleans())
    def create_project(self, data: st.DataObject, name: str, in_personal: bool) -> None:
        actor = self.user(data)
        own = [o.id for o in self.model.organizations.values() if actor.id in o.members]
        organization_id = (
            self.personal[actor.id]
            if in_personal
            else self.pick(data, own + list(self.model.organizations), "organization")
        )
        outcome = self.model.create_project_outcome(actor.id, organization_id, name_key(name))
        view = self.expect(
            "create_project",
            outcome,
            self.harness.create_project()(
                CreateProjectCommand(
                    user=actor,
                    name=name,
                    organization_id=None if in_personal else organization_id,
                )
            ),
        )
        if outcome is None:
            assert view is not None
            assert view.project.organization_id == organization_id
            self.model.projects[view.project.id] = ModelProject(
                view.project.id, organization_id, name_key(name)
            )
            assert str(view.role) == self.model.project_role(view.project.id, actor.id)

    @precondition(lambda self: self.model.projects)
    @rule(
        data=st.data(),
        name=st.none() | st.sampled_from(PROJECT_NAMES),
        is_archived=st.sampled_from((None, True, False)),
    )
    def update_project(
        self, data: st.DataObject, name: str | None, is_archived: bool | None
    ) -> None:
        project_id = self.pick(data, self.model.projects, "project")
        actor = self.project_insider(data, project_id)
        key = None if name is None else name_key(name)
        outcome = self.model.update_project_outcome(actor.id, project_id, key, is_archived)
        view = self.expect(
            "update_project",
            outcome,
            self.harness.update_project()(
                UpdateProjectCommand(
                    user=actor, project_id=project_id, name=name, is_archived=is_archived
                )
            ),
        )
        if outcome is not None:
            return
        assert view is not None
        project = self.model.projects[project_id]
        if key is not None:
            project.name_key = key
        if is_archived is not None and is_archived != project.archived:
            project.archived = is_archived
            if is_archived:
                self.remember_archived(project_id)
            else:
                del self.archived_rows[project_id]
        assert view.project.is_archived == project.archived

    @precondition(lambda self: self.model.projects)
    @rule(data=st.data())
    def archive_project(self, data: st.DataObject) -> None:
        project_id = self.pick(data, self.model.projects, "project")
        actor = self.project_insider(data, project_id)
        outcome = self.model.project_outcome(project_id, actor.id, ProjectRole.ADMIN)
        self.expect(
            "archive_project",
            outcome,
            self.harness.archive_project()(
                ArchiveProjectCommand(user=actor, project_id=project_id)
            ),
        )
        if outcome is None:
            self.model.projects[project_id].archived = True
            self.remember_archived(project_id)

    @precondition(lambda self: self.model.projects)
    @rule(data=st.data(), role=st.sampled_from(ProjectRole))
    def add_collaborator(self, data: st.DataObject, role: ProjectRole) -> None:
        project_id = self.pick(data, self.model.projects, "project")
        actor = self.project_insider(data, project_id)
        target = self.user(data, "target")
        outcome = self.model.add_collaborator_outcome(actor.id, project_id, target.id)
        self.expect(
            "add_collaborator",
            outcome,
            self.harness.add_collaborator()(
                AddCollaboratorCommand(
                    user=actor, project_id=project_id, email=self.emails[target.id], role=role
                )
            ),
        )
        if outcome is None:
            self.model.projects[project_id].collaborators[target.id] = role

    @precondition(lambda self: self.model.projects)
    @rule(data=st.data(), role=st.sampled_from(ProjectRole))
    def update_collaborator(self, data: st.DataObject, role: ProjectRole) -> None:
        project_id = self.pick(data, self.model.projects, "project")
        actor = self.project_insider(data, project_id)
        target = self.insider(data, self.model.projects[project_id].collaborators)
        outcome = self.model.update_collaborator_outcome(actor.id, project_id, target.id)
        self.expect(
            "update_collaborator",
            outcome,
            self.harness.update_collaborator()(
                UpdateCollaboratorCommand(
                    user=actor, project_id=project_id, collaborator_id=target.id, role=role
                )
            ),
        )
        if outcome is None:
            self.model.projects[project_id].collaborators[target.id] = role

    @precondition(lambda self: self.model.projects)
    @rule(data=st.data())
    def remove_collaborator(self, data: st.DataObject) -> None:
        project_id = self.pick(data, self.model.projects, "project")
        actor = self.project_insider(data, project_id)
        target = self.insider(data, self.model.projects[project_id].collaborators)
        outcome = self.model.remove_collaborator_outcome(actor.id, project_id, target.id)
        self.expect(
            "remove_collaborator",
            outcome,
            self.harness.remove_collaborator()(
                RemoveCollaboratorCommand(
                    user=actor, project_id=project_id, collaborator_id=target.id
                )
            ),
        )
        if outcome is None:
            del self.model.projects[project_id].collaborators[target.id]

    # Sessions, prompts and executions

    @precondition(lambda self: self.model.projects and len(self.model.sessions) < MAX_SESSIONS)
    @rule(data=st.data())
    def create_session(self, data: st.DataObject) -> None:
        project_id = self.pick(data, self.model.projects, "project")
        actor = self.project_insider(data, project_id)
        outcome = self.model.project_outcome(project_id, actor.id, ProjectRole.EDITOR)
        session = self.expect(
            "create_session",
            outcome,
            self.harness.create_session()(
                CreateSessionCommand(user=actor, project_id=project_id, name="Session")
            ),
        )
        if outcome is None:
            assert session is not None
            self.model.sessions[session.id] = ModelSession(session.id, project_id)

    @precondition(lambda self: self.model.sessions)
    @rule(data=st.data(), closed=st.booleans())
    def set_session_status(self, data: st.DataObject, closed: bool) -> None:
        session = self.model.sessions[self.pick(data, self.model.sessions, "session")]
        actor = self.project_insider(data, session.project_id)
        outcome = self.model.project_outcome(session.project_id, actor.id, ProjectRole.EDITOR)
        status = SessionStatus.CLOSED if closed else SessionStatus.ACTIVE
        detail = self.expect(
            "set_session_status",
            outcome,
            self.harness.update_session()(
                UpdateSessionCommand(
                    user=actor, project_id=session.project_id, session_id=session.id, status=status
                )
            ),
        )
        if outcome is None:
            assert detail is not None
            assert detail.session.status is status
            session.closed = closed

    @precondition(lambda self: self.model.sessions and len(self.model.prompts) < MAX_PROMPTS)
    @rule(data=st.data(), has_variable=st.booleans())
    def create_prompt(self, data: st.DataObject, has_variable: bool) -> None:
        session = self.model.sessions[self.pick(data, self.model.sessions, "session")]
        actor = self.project_insider(data, session.project_id)
        outcome = self.model.content_outcome(actor.id, session.id)
        prompt = self.expect(
            "create_prompt",
            outcome,
            self.harness.create_prompt()(
                CreatePromptCommand(
                    user=actor,
                    project_id=session.project_id,
                    session_id=session.id,
                    content=VARIABLE_TEXT if has_variable else PLAIN_TEXT,
                )
            ),
        )
        if outcome is None:
            assert prompt is not None
            assert prompt.variables == (("word",) if has_variable else ())
            self.model.prompts[prompt.id] = ModelPrompt(
                prompt.id, session.id, session.project_id, has_variable
            )

    @precondition(lambda self: self.model.prompts and len(self.model.executions) < MAX_EXECUTIONS)
    @rule(data=st.data(), script=st.sampled_from(ProviderScript.ALL), omit_variables=st.booleans())
    def execute(self, data: st.DataObject, script: str, omit_variables: bool) -> None:
        prompt = self.model.prompts[self.pick(data, self.model.prompts, "prompt")]
        actor = self.project_insider(data, prompt.project_id)
        outcome = self.model.execute_outcome(actor.id, prompt.id, omit_variables=omit_variables)
        variables = {} if omit_variables or not prompt.has_variable else {"word": "hi"}
        provider = self.harness.registry.provider
        provider.load(script)
        execution = self.expect(
            "execute",
            outcome,
            self.harness.execute_prompt()(
                ExecutePromptCommand(
                    user=actor,
                    project_id=prompt.project_id,
                    session_id=prompt.session_id,
                    prompt_id=prompt.id,
                    model=MODEL,
                    variables=variables,
                )
            ),
        )
        if outcome is not None:
            assert provider.calls == 0
            return

        assert execution is not None
        expected = (
            ExecutionStatus.SUCCEEDED if ProviderScript.SUCCEEDS[script] else ExecutionStatus.FAILED
        )
        assert execution.status is expected
        assert execution.attempts == ProviderScript.ATTEMPTS[script]
        assert provider.calls == ProviderScript.ATTEMPTS[script]
        assert execution.completed_at is not None
        stored = self.run(
            self.harness.get_execution()(
                GetExecutionQuery(
                    user=actor,
                    project_id=prompt.project_id,
                    session_id=prompt.session_id,
                    prompt_id=prompt.id,
                    execution_id=execution.id,
                )
            )
        )
        assert stored.status is expected
        self.model.executions[execution.id] = ModelExecution(execution.id, prompt.id, expected)

    @precondition(lambda self: self.model.prompts and len(self.model.executions) < MAX_EXECUTIONS)
    @rule(
        data=st.data(),
        succeeds=st.booleans(),
        abandon=st.booleans(),
        omit_variables=st.booleans(),
    )
    def stream_execution(
        self, data: st.DataObject, succeeds: bool, abandon: bool, omit_variables: bool
    ) -> None:
        prompt = self.model.prompts[self.pick(data, self.model.prompts, "prompt")]
        actor = self.project_insider(data, prompt.project_id)
        outcome = self.model.execute_outcome(actor.id, prompt.id, omit_variables=omit_variables)
        variables = {} if omit_variables or not prompt.has_variable else {"word": "hi"}
        provider = self.harness.registry.provider
        provider.load(ProviderScript.SUCCEED if succeeds else ProviderScript.FAIL)
        streamed = self.expect(
            "stream_execution",
            outcome,
            self.harness.stream_prompt_execution(abandon=abandon)(
                ExecutePromptCommand(
                    user=actor,
                    project_id=prompt.project_id,
                    session_id=prompt.session_id,
                    prompt_id=prompt.id,
                    model=MODEL,
                    variables=variables,
                )
            ),
        )
        if outcome is not None:
            assert provider.calls == 0
            return

        assert streamed is not None
        execution, output = streamed
        if not succeeds:
            expected = ExecutionStatus.FAILED
        elif abandon:
            expected = ExecutionStatus.CANCELLED
        else:
            expected = ExecutionStatus.SUCCEEDED
        stored = self.run(
            self.harness.get_execution()(
                GetExecutionQuery(
                    user=actor,
                    project_id=prompt.project_id,
                    session_id=prompt.session_id,
                    prompt_id=prompt.id,
                    execution_id=execution.id,
                )
            )
        )
        assert stored.status is expected
        assert stored.output == (output or None)
        # An abandoned stream ends before its last update, so only the stored
        # log shows its outcome; the others end with the final log.
        if expected is not ExecutionStatus.CANCELLED:
            assert execution.status is expected
        self.model.executions[execution.id] = ModelExecution(execution.id, prompt.id, expected)

    # Reads that a step may aim at the wrong parent

    @precondition(lambda self: self.model.projects)
    @rule(data=st.data())
    def read_project_contents(self, data: st.DataObject) -> None:
        project_id = self.pick(data, self.model.projects, "project")
        actor = self.project_insider(data, project_id)
        visible = self.model.project_role(project_id, actor.id) is not None
        outcome = None if visible else NotFoundError
        observed = self.expect(
            "read_project_contents", outcome, self.read_contents(actor, project_id)
        )
        if outcome is not None:
            return

        expected_sessions = {
            s.id: self.model.session_counts(s.id)
            for s in self.model.sessions.values()
            if s.project_id == project_id
        }
        expected_prompts = {p.id for p in self.model.prompts.values() if p.project_id == project_id}
        expected_executions = {
            e.id: e.status
            for e in self.model.executions.values()
            if e.prompt_id in expected_prompts
        }
        assert observed is not None
        sessions, prompts, executions = observed
        assert sessions == expected_sessions
        assert prompts == expected_prompts
        assert executions == expected_executions

    async def read_contents(
        self, actor: User, project_id: uuid.UUID
    ) -> tuple[dict[uuid.UUID, tuple[int, int]], set[uuid.UUID], dict[uuid.UUID, ExecutionStatus]]:
        """List sessions, their prompts and the prompts' executions as `actor` sees them."""
        harness = self.harness
        sessions: dict[uuid.UUID, tuple[int, int]] = {}
        prompts: set[uuid.UUID] = set()
        executions: dict[uuid.UUID, ExecutionStatus] = {}
        page = await harness.list_sessions()(
            ListSessionsCommand(user=actor, project_id=project_id, page=EVERYTHING)
        )
        for session in page.items:
            detail = await harness.get_session()(
                GetSessionCommand(user=actor, project_id=project_id, session_id=session.id)
            )
            sessions[session.id] = (detail.counts.prompts, detail.counts.executions)
            prompt_page = await harness.list_prompts()(
                ListPromptsCommand(
                    user=actor, project_id=project_id, session_id=session.id, page=EVERYTHING
                )
            )
            for listed_prompt in prompt_page.items:
                prompt_id = uuid.UUID(listed_prompt.id)
                prompts.add(prompt_id)
                execution_page = await harness.list_executions()(
                    ListExecutionsQuery(
                        user=actor,
                        project_id=project_id,
                        session_id=session.id,
                        prompt_id=prompt_id,
                        page=EVERYTHING,
                    )
                )
                executions.update({e.id: e.status for e in execution_page.items})
        return sessions, prompts, executions

    @precondition(lambda self: self.model.prompts and self.model.projects)
    @rule(data=st.data())
    def read_through_other_parent(self, data: st.DataObject) -> None:
        prompt = self.model.prompts[self.pick(data, self.model.prompts, "prompt")]
        actor = self.project_insider(data, prompt.project_id)
        # Mostly the prompt's own parents, sometimes any other.
        project_id = self.pick(data, [prompt.project_id] * 3 + list(self.model.projects), "project")
        session_id = self.pick(data, [prompt.session_id] * 3 + list(self.model.sessions), "session")
        visible = self.model.project_role(project_id, actor.id) is not None

        session_outcome = (
            None
            if visible and self.model.sessions[session_id].project_id == project_id
            else NotFoundError
        )
        self.expect(
            "get_session",
            session_outcome,
            self.harness.get_session()(
                GetSessionCommand(user=actor, project_id=project_id, session_id=session_id)
            ),
        )
        prompt_outcome = (
            None
            if visible and prompt.project_id == project_id and prompt.session_id == session_id
            else NotFoundError
        )
        self.expect(
            "get_prompt",
            prompt_outcome,
            self.harness.get_prompt()(
                GetPromptCommand(
                    user=actor, project_id=project_id, session_id=session_id, prompt_id=prompt.id
                )
            ),
        )

    # Every write against an archived project

    @precondition(lambda self: any(p.archived for p in self.model.projects.values()))
    @rule(data=st.data())
    def write_to_archived_project(self, data: st.DataObject) -> None:
        archived = [p.id for p in self.model.projects.values() if p.archived]
        project = self.model.projects[self.pick(data, archived, "archived project")]
        actor = self.project_insider(data, project.id)
        admin = self.model.project_outcome(project.id, actor.id, ProjectRole.ADMIN)
        editor = self.model.project_outcome(project.id, actor.id, ProjectRole.EDITOR)
        attempts: list[tuple[str, Outcome, Coroutine[Any, Any, Any]]] = [
            (
                "archived: rename",
                admin,
                self.harness.update_project()(
                    UpdateProjectCommand(user=actor, project_id=project.id, name="Renamed")
                ),
            ),
            (
                "archived: archive again",
                admin,
                self.harness.archive_project()(
                    ArchiveProjectCommand(user=actor, project_id=project.id)
                ),
            ),
            (
                "archived: add collaborator",
                self.model.add_collaborator_outcome(actor.id, project.id, actor.id),
                self.harness.add_collaborator()(
                    AddCollaboratorCommand(
                        user=actor, project_id=project.id, email=self.emails[actor.id], role="admin"
                    )
                ),
            ),
            (
                "archived: change own collaborator role",
                self.model.update_collaborator_outcome(actor.id, project.id, actor.id),
                self.harness.update_collaborator()(
                    UpdateCollaboratorCommand(
                        user=actor, project_id=project.id, collaborator_id=actor.id, role="viewer"
                    )
                ),
            ),
            (
                "archived: leave",
                self.model.remove_collaborator_outcome(actor.id, project.id, actor.id),
                self.harness.remove_collaborator()(
                    RemoveCollaboratorCommand(
                        user=actor, project_id=project.id, collaborator_id=actor.id
                    )
                ),
            ),
            (
                "archived: create session",
                editor,
                self.harness.create_session()(
                    CreateSessionCommand(user=actor, project_id=project.id, name="Late")
                ),
            ),
        ]
        for session in [s for s in self.model.sessions.values() if s.project_id == project.id]:
            attempts.append(
                (
                    "archived: close session",
                    editor,
                    self.harness.update_session()(
                        UpdateSessionCommand(
                            user=actor,
                            project_id=project.id,
                            session_id=session.id,
                            status=SessionStatus.CLOSED,
                        )
                    ),
                )
            )
            attempts.append(
                (
                    "archived: create prompt",
                    self.model.content_outcome(actor.id, session.id),
                    self.harness.create_prompt()(
                        CreatePromptCommand(
                            user=actor,
                            project_id=project.id,
                            session_id=session.id,
                            content=PLAIN_TEXT,
                        )
                    ),
                )
            )
        for prompt in [p for p in self.model.prompts.values() if p.project_id == project.id]:
            self.harness.registry.provider.load(ProviderScript.SUCCEED)
            attempts.append(
                (
                    "archived: execute",
                    self.model.execute_outcome(actor.id, prompt.id, omit_variables=False),
                    self.harness.execute_prompt()(
                        ExecutePromptCommand(
                            user=actor,
                            project_id=project.id,
                            session_id=prompt.session_id,
                            prompt_id=prompt.id,
                            model=MODEL,
                            variables={"word": "hi"} if prompt.has_variable else {},
                        )
                    ),
                )
            )

        for step, outcome, coroutine in attempts:
            # An archived project takes no write, so the model never predicts success.
            assert outcome is not None, f"{step}: the model predicts success"
            self.expect(step, outcome, coroutine)
        assert self.harness.registry.provider.calls == 0

    # Invariants

    @invariant()
    def visibility_matches(self) -> None:
        observed = self.run(self.observe_visibility())
        for user_id in self.users:
            organizations, active, archived, details = observed[user_id]
            assert organizations == self.model.memberships_of(user_id)
            assert active == self.model.visible_projects(user_id, archived=False)
            assert archived == self.model.visible_projects(user_id, archived=True)
            for project_id, role in details.items():
                expected = self.model.project_role(project_id, user_id)
                assert role == (None if expected is None else str(expected)), project_id

    async def observe_visibility(self) -> dict[uuid.UUID, Any]:
        """For each user: organizations and projects listed, and each project's detail or 404."""
        harness = self.harness
        observed = {}
        for user in self.users.values():
            organizations = await harness.list_organizations()(
                ListOrganizationsQuery(actor_id=user.id, page=EVERYTHING)
            )
            lists = []
            for archived in (False, True):
                page = await harness.list_projects()(
                    ListProjectsCommand(user=user, page=EVERYTHING, archived=archived)
                )
                lists.append({view.project.id: str(view.role) for view in page.items})
            details: dict[uuid.UUID, str | None] = {}
            for project_id in self.model.projects:
                try:
                    view = await harness.get_project()(
                        GetProjectCommand(user=user, project_id=project_id)
                    )
                    details[project_id] = str(view.role)
                except NotFoundError:
                    details[project_id] = None
            observed[user.id] = (
                {view.organization.id: str(view.role) for view in organizations.items},
                lists[0],
                lists[1],
                details,
            )
        return observed

    @invariant()
    def archived_projects_unchanged(self) -> None:
        for project_id, rows in self.archived_rows.items():
            assert self.run(self.harness.project_rows(project_id)) == rows, project_id

    @invariant()
    def counts_match_and_nothing_running(self) -> None:
        project_ids = list(self.model.projects)
        if not project_ids:
            return
        counts = self.run(self.harness.child_counts(project_ids))
        expected = self.model.count_by_parent()
        assert counts["sessions"] == expected["sessions"]
        assert counts["prompts"] == expected["prompts"]
        assert counts["executions"] == expected["executions"]
        assert self.run(self.harness.unfinished_executions(project_ids)) == 0


RULES = {
    "add_collaborator",
    "add_member",
    "archive_project",
    "archived: archive again",
    "change_member_role",
    "create_organization",
    "create_project",
    "create_prompt",
    "create_session",
    "execute",
    "get_prompt",
    "get_session",
    "read_project_contents",
    "remove_collaborator",
    "remove_member",
    "set_session_status",
    "stream_execution",
    "update_collaborator",
    "update_project",
}


async def test_use_cases_follow_reference_model(
    engine: AsyncEngine, uow_factory: SqlAlchemyUnitOfWorkFactory, backend: str
) -> None:
    harness = Harness(engine, uow_factory, asyncio.get_running_loop())
    statistics = RunStatistics()

    # Hypothesis drives the machine synchronously, so it runs in a thread while
    # this loop stays free to run the use cases it submits.
    await asyncio.to_thread(
        functools.partial(
            run_state_machine_as_test,
            lambda: UseCaseMachine(harness, statistics),
            settings=MACHINE_SETTINGS,
        )
    )

    print(f"\nmodel-based run on {backend}: {statistics.summary()}")
    exercised = {name.partition(" -> ")[0] for name in statistics.outcomes}
    assert statistics.examples >= EXAMPLES
    assert RULES <= exercised, sorted(RULES - exercised)
