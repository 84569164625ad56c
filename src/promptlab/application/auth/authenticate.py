"""Authenticate a request from its access token."""

from __future__ import annotations

from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.security import TokenService, TokenType
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import User


class AuthenticateRequest:
    """Return the active user an access token belongs to.

    The user is loaded on every request, so deactivation and deletion take
    effect at once rather than when the token expires. The lookup ends its
    transaction before returning or raising, because authentication runs
    while the request's dependencies are resolved: when it fails there, the
    request's unit of work is not always cleaned up (Litestar 2.25, on routes
    whose use case also depends on it), and its connection would stay
    checked out until garbage collection.
    """

    def __init__(self, uow: UnitOfWork, tokens: TokenService) -> None:
        self._uow = uow
        self._tokens = tokens

    async def __call__(self, access_token: str) -> User:
        claims = self._tokens.decode(access_token, TokenType.ACCESS)
        async with self._uow as uow:
            user = await uow.users.get(claims.user_id)
        if user is None or not user.is_active:
            raise AuthenticationError("The account no longer exists or is deactivated.")
        return user
