"""Authenticate a request from its access token."""

from __future__ import annotations

from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.security import TokenService, TokenType
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import User


class AuthenticateRequest:
    """Return the active user an access token belongs to.

    The user is loaded on every request, so deactivation and deletion take
    effect at once rather than when the token expires.
    """

    def __init__(self, uow: UnitOfWork, tokens: TokenService) -> None:
        self._uow = uow
        self._tokens = tokens

    async def __call__(self, access_token: str) -> User:
        claims = self._tokens.decode(access_token, TokenType.ACCESS)
        user = await self._uow.users.get(claims.user_id)
        if user is None or not user.is_active:
            raise AuthenticationError("The account no longer exists or is deactivated.")
        return user
