"""Authentication endpoints."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from promptlab.application.auth.login import LoginCommand, LoginUser
from promptlab.application.auth.refresh import RefreshCommand, RefreshTokens
from promptlab.application.auth.register import RegisterCommand, RegisterUser
from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.rate_limit import RateLimit
from promptlab.application.ports.security import TokenType
from promptlab.application.rate_limits import enforce_rate_limit
from promptlab.domain.accounts import email_key
from promptlab.entrypoints.http.dependencies import (
    CurrentUser,
    client_address,
    container_of,
    public_use_case,
)
from promptlab.entrypoints.http.schemas.auth import (
    LoginIn,
    RefreshIn,
    RegisterIn,
    RegisterOut,
    TokenPairOut,
    UserOut,
    token_pair_out,
    user_out,
)
from promptlab.entrypoints.http.schemas.organizations import organization_out


async def _limit(request: Request[Any, Any, Any], state: State, name: str, *keys: str) -> None:
    """Apply the rate limit named `name` per client address and per each extra key."""
    container = container_of(state)
    settings = container.settings()
    if not settings.rate_limits_enabled:
        return
    setting = getattr(settings, f"rate_limit_{name}")
    address = client_address(request, settings.trust_forwarded_for)
    await enforce_rate_limit(
        container.rate_limiter(),
        RateLimit(requests=setting.requests, window_seconds=setting.window_seconds),
        f"{name}:address:{address}",
        *(f"{name}:{key}" for key in keys),
    )


def _email_key(email: str) -> str:
    # The same key as the email's uniqueness key, so "A@x.com" and "a@X.com" share one budget.
    return "email:" + email_key(email.strip())


def _refresh_user_keys(state: State, refresh: str) -> tuple[str, ...]:
    """Return the user key of a refresh token whose signature and claims verify, else none.

    Only a verified token names its user, so a forged one cannot spend
    another user's budget. It still counts against its client address.
    """
    try:
        claims = container_of(state).tokens().decode(refresh, TokenType.REFRESH)
    except AuthenticationError:
        return ()
    return (f"user:{claims.user_id}",)


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/register/",
        status_code=HTTP_201_CREATED,
        dependencies={"register": public_use_case("register_user")},
        summary="Register a user and their personal organization",
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[RegisterIn],
        register: NamedDependency[RegisterUser],
    ) -> RegisterOut:
        await _limit(request, state, "register", _email_key(data.email))
        result = await register(
            RegisterCommand(email=data.email, password=data.password, full_name=data.full_name)
        )
        return RegisterOut(
            user=user_out(result.user),
            organization=organization_out(result.organization, "owner"),
            access=result.tokens.access,
            refresh=result.tokens.refresh,
            token_type=result.tokens.token_type,
            expires_in=result.tokens.expires_in,
        )

    @post(
        "/login/",
        status_code=HTTP_200_OK,
        dependencies={"login": public_use_case("login_user")},
        summary="Exchange email and password for a token pair",
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[LoginIn],
        login: NamedDependency[LoginUser],
    ) -> TokenPairOut:
        await _limit(request, state, "login", _email_key(data.email))
        pair = await login(LoginCommand(email=data.email, password=data.password))
        return token_pair_out(pair)

    @post(
        "/token/refresh/",
        status_code=HTTP_200_OK,
        dependencies={"refresh_tokens": public_use_case("refresh_tokens")},
        summary="Rotate a refresh token",
    )
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[RefreshIn],
        refresh_tokens: NamedDependency[RefreshTokens],
    ) -> TokenPairOut:
        await _limit(request, state, "refresh", *_refresh_user_keys(state, data.refresh))
        pair = await refresh_tokens(RefreshCommand(refresh=data.refresh))
        return token_pair_out(pair)

    @get("/me/", summary="The current user")
    async def me(self, current_user: CurrentUser) -> UserOut:
        return user_out(current_user)
