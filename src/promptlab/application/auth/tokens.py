"""Issuing a token pair, shared by register, login and refresh."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.ports.security import TokenService, TokenType
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import RefreshTokenRecord


@attrs.frozen
class TokenPair:
    access: str
    refresh: str
    expires_in: int  # seconds until the access token expires
    token_type: str = "Bearer"


async def issue_token_pair(
    uow: UnitOfWork, tokens: TokenService, user_id: uuid.UUID, family_id: uuid.UUID
) -> TokenPair:
    """Issue an access token and a refresh token of `family_id`, recording the refresh token.

    The caller commits, so the token record lands in the same transaction as
    whatever made the pair necessary.
    """
    access = tokens.issue(user_id, TokenType.ACCESS)
    refresh = tokens.issue(user_id, TokenType.REFRESH, family_id=family_id)
    await uow.refresh_tokens.add(
        RefreshTokenRecord(
            jti=refresh.claims.jti,
            family_id=family_id,
            user_id=user_id,
            issued_at=refresh.claims.issued_at,
            expires_at=refresh.claims.expires_at,
        )
    )
    return TokenPair(
        access=access.token,
        refresh=refresh.token,
        expires_in=tokens.access_token_lifetime_seconds,
    )
