"""Results shared by the project use cases."""

from __future__ import annotations

import attrs

from promptlab.domain.projects import Project, ProjectRole


@attrs.frozen
class ProjectView:
    """A project and the caller's effective role on it."""

    project: Project
    role: ProjectRole
