"""The composition root: every adapter and use case is built here from settings."""

from __future__ import annotations

import os
from datetime import timedelta

from dependency_injector import containers, providers

from promptlab.adapters.catalog.loader import load_catalog
from promptlab.adapters.ratelimit.memory import InMemoryRateLimiter
from promptlab.adapters.security.argon2_hasher import Argon2PasswordHasher
from promptlab.adapters.security.jwt_tokens import JwtTokenService
from promptlab.adapters.sqlalchemy.engine import create_engine
from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.adapters.system import SystemClock, UuidV7Generator
from promptlab.application.auth.authenticate import AuthenticateRequest
from promptlab.application.auth.login import LoginUser
from promptlab.application.auth.refresh import RefreshTokens
from promptlab.application.auth.register import RegisterUser
from promptlab.application.organizations.add_member import AddMember
from promptlab.application.organizations.change_member_role import ChangeMemberRole
from promptlab.application.organizations.create_organization import CreateOrganization
from promptlab.application.organizations.get_organization import GetOrganization
from promptlab.application.organizations.list_members import ListMembers
from promptlab.application.organizations.list_organizations import ListOrganizations
from promptlab.application.organizations.remove_member import RemoveMember
from promptlab.application.organizations.update_organization import UpdateOrganization
from promptlab.application.projects.add_collaborator import AddCollaborator
from promptlab.application.projects.archive_project import ArchiveProject
from promptlab.application.projects.create_project import CreateProject
from promptlab.application.projects.get_project import GetProject
from promptlab.application.projects.list_collaborators import ListCollaborators
from promptlab.application.projects.list_projects import ListProjects
from promptlab.application.projects.remove_collaborator import RemoveCollaborator
from promptlab.application.projects.update_collaborator import UpdateCollaborator
from promptlab.application.projects.update_project import UpdateProject
from promptlab.application.prompts.create_prompt import CreatePrompt
from promptlab.application.prompts.get_prompt import GetPrompt
from promptlab.application.prompts.list_prompts import ListPrompts
from promptlab.application.sessions.create_session import CreateSession
from promptlab.application.sessions.get_session import GetSession
from promptlab.application.sessions.list_sessions import ListSessions
from promptlab.application.sessions.update_session import UpdateSession
from promptlab.domain.sessions import MetadataLimits
from promptlab.domain.text import TextLimits
from promptlab.adapters.catalog import Catalog
from promptlab.adapters.providers.registry import ProviderRegistry
from promptlab.application.executions.execute import ExecutePrompt
from promptlab.application.executions.get_execution import GetExecution
from promptlab.application.executions.list_executions import ListExecutions
from promptlab.application.executions.list_models import ListModels
from promptlab.application.executions.policy import ExecutionPolicy
from promptlab.application.executions.reap import PeriodicReaper, ReapInterruptedExecutions
from promptlab.application.executions.stream import StreamPromptExecution
from promptlab.application.ports.rate_limit import RateLimit
from promptlab.entrypoints.http.schemas.prompts import ListedPromptJson
from promptlab.entrypoints.settings import Settings


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    return create_engine(
        settings.database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )


def _rate_limiter(settings: Settings):  # type: ignore[no-untyped-def]
    if settings.redis_url:
        from promptlab.adapters.ratelimit.redis import RedisRateLimiter

        return RedisRateLimiter(settings.redis_url)
    return InMemoryRateLimiter()


def _model_providers(catalog: Catalog, settings: Settings) -> ProviderRegistry:
    # API keys are read from the process environment by the variable names
    # the catalog gives, so a key never sits in a settings or catalog file.
    return ProviderRegistry(
        catalog,
        os.environ,
        local_model_path=settings.local_model_path,
        local_max_concurrency=settings.local_model_concurrency,
    )


def _execution_policy(settings: Settings) -> ExecutionPolicy:
    return ExecutionPolicy(
        attempt_timeout=settings.provider_timeout_seconds,
        deadline=settings.execution_deadline_seconds,
        max_attempts=settings.provider_max_attempts,
        retry_after_cap=settings.provider_retry_after_cap_seconds,
        backoff_initial=settings.provider_backoff_initial_seconds,
        backoff_max=settings.provider_backoff_max_seconds,
        max_rendered_length=settings.max_prompt_length,
    )


def _execute_rate_limit(settings: Settings) -> RateLimit | None:
    if not settings.rate_limits_enabled:
        return None
    setting = settings.rate_limit_execute
    return RateLimit(requests=setting.requests, window_seconds=setting.window_seconds)


class Container(containers.DeclarativeContainer):
    """Adapters are singletons per app; use cases are built per request around its unit of work.

    Tests replace any provider through `create_app(settings, overrides={...})`.
    """

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidV7Generator)

    engine = providers.Singleton(_engine, settings)
    uow_factory = providers.Singleton(
        SqlAlchemyUnitOfWorkFactory,
        engine,
        # SQLite writers wait for each other this long, as SQLite's busy timeout.
        write_lock_timeout=providers.Callable(
            lambda milliseconds: milliseconds / 1000, settings.provided.sqlite_busy_timeout_ms
        ),
        listed_prompts_cache_bytes=settings.provided.listed_prompts_cache_bytes,
    )

    hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=settings.provided.argon2_time_cost,
        memory_cost=settings.provided.argon2_memory_cost,
        parallelism=settings.provided.argon2_parallelism,
    )
    tokens = providers.Singleton(
        JwtTokenService,
        secret_key=settings.provided.secret_key,
        issuer=settings.provided.jwt_issuer,
        audience=settings.provided.jwt_audience,
        access_token_lifetime=providers.Factory(
            timedelta, seconds=settings.provided.access_token_ttl_seconds
        ),
        refresh_token_lifetime=providers.Factory(
            timedelta, seconds=settings.provided.refresh_token_ttl_seconds
        ),
        clock=clock,
        ids=ids,
        leeway_seconds=settings.provided.jwt_leeway_seconds,
    )
    rate_limiter = providers.Singleton(_rate_limiter, settings)

    # Use cases. Each takes the request's unit of work as `uow`.
    authenticate_request = providers.Factory(AuthenticateRequest, tokens=tokens)
    register_user = providers.Factory(
        RegisterUser, hasher=hasher, tokens=tokens, clock=clock, ids=ids
    )
    login_user = providers.Factory(LoginUser, hasher=hasher, tokens=tokens, clock=clock, ids=ids)
    refresh_tokens = providers.Factory(
        RefreshTokens, uow_factory=uow_factory, tokens=tokens, clock=clock
    )

    # --- organizations ---
    list_organizations = providers.Factory(ListOrganizations)
    create_organization = providers.Factory(CreateOrganization, clock=clock, ids=ids)
    get_organization = providers.Factory(GetOrganization)
    update_organization = providers.Factory(UpdateOrganization, clock=clock)
    list_members = providers.Factory(ListMembers)
    add_member = providers.Factory(AddMember, clock=clock)
    change_member_role = providers.Factory(ChangeMemberRole)
    remove_member = providers.Factory(RemoveMember)

    # --- projects and collaborators ---
    list_projects = providers.Factory(ListProjects)
    create_project = providers.Factory(CreateProject, clock=clock, ids=ids)
    get_project = providers.Factory(GetProject)
    update_project = providers.Factory(UpdateProject, clock=clock)
    archive_project = providers.Factory(ArchiveProject, clock=clock)
    list_collaborators = providers.Factory(ListCollaborators)
    add_collaborator = providers.Factory(AddCollaborator, clock=clock)
    update_collaborator = providers.Factory(UpdateCollaborator)
    remove_collaborator = providers.Factory(RemoveCollaborator)

    # --- sessions and prompts ---
    text_limits = providers.Singleton(
        TextLimits,
        max_messages_per_prompt=settings.provided.max_messages_per_prompt,
        max_message_length=settings.provided.max_message_length,
        max_prompt_length=settings.provided.max_prompt_length,
    )
    metadata_limits = providers.Singleton(
        MetadataLimits,
        max_keys=settings.provided.max_metadata_keys,
        max_key_length=settings.provided.max_metadata_key_length,
        max_value_length=settings.provided.max_metadata_value_length,
    )
    list_sessions = providers.Factory(ListSessions)
    get_session = providers.Factory(GetSession)
    list_prompts = providers.Factory(ListPrompts)
    listed_prompt_json = providers.Singleton(
        ListedPromptJson, max_bytes=settings.provided.listed_prompts_cache_bytes
    )
    get_prompt = providers.Factory(GetPrompt)
    create_prompt = providers.Factory(CreatePrompt, clock=clock, ids=ids, text_limits=text_limits)

    # --- models, providers and executions ---
    catalog = providers.Singleton(load_catalog, settings.provided.models_file)
    model_providers = providers.Singleton(_model_providers, catalog, settings)
    execution_policy = providers.Singleton(_execution_policy, settings)
    execute_rate_limit = providers.Singleton(_execute_rate_limit, settings)
    execute_prompt = providers.Factory(
        ExecutePrompt,
        catalog=catalog,
        providers=model_providers,
        clock=clock,
        ids=ids,
        policy=execution_policy,
        rate_limiter=rate_limiter,
        rate_limit=execute_rate_limit,
    )
    stream_prompt_execution = providers.Factory(
        StreamPromptExecution,
        uow_factory=uow_factory,
        catalog=catalog,
        providers=model_providers,
        clock=clock,
        ids=ids,
        policy=execution_policy,
        rate_limiter=rate_limiter,
        rate_limit=execute_rate_limit,
    )
    list_executions = providers.Factory(ListExecutions)
    get_execution = providers.Factory(GetExecution)
    list_models = providers.Factory(ListModels, catalog=catalog, providers=model_providers)
    reap_executions = providers.Factory(ReapInterruptedExecutions, uow_factory, clock=clock)
    execution_reaper = providers.Singleton(
        PeriodicReaper, reap_executions, interval=settings.provided.reaper_interval_seconds
    )

    # --- sessions and prompts, continued: these need the catalog defined above ---
    create_session = providers.Factory(
        CreateSession,
        catalog=catalog,
        clock=clock,
        ids=ids,
        text_limits=text_limits,
        metadata_limits=metadata_limits,
    )
    update_session = providers.Factory(
        UpdateSession,
        catalog=catalog,
        clock=clock,
        text_limits=text_limits,
        metadata_limits=metadata_limits,
    )
