"""Every route handler of the app, in one list the app factory registers."""

from __future__ import annotations

from typing import Any

from promptlab.entrypoints.http.controllers.auth import AuthController
from promptlab.entrypoints.http.controllers.executions import ExecutionController
from promptlab.entrypoints.http.controllers.health import health, health_head
from promptlab.entrypoints.http.controllers.models import ModelController
from promptlab.entrypoints.http.controllers.organizations import OrganizationController
from promptlab.entrypoints.http.controllers.projects import ProjectController
from promptlab.entrypoints.http.controllers.prompts import PromptController
from promptlab.entrypoints.http.controllers.sessions import SessionController

ROUTE_HANDLERS: list[Any] = [
    health,
    health_head,
    AuthController,
    # organizations
    OrganizationController,
    # projects and collaborators
    ProjectController,
    # sessions and prompts
    SessionController,
    PromptController,
    # models and executions
    ModelController,
    ExecutionController,
]
