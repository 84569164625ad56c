"""Rotate a refresh token, detecting reuse."""

from __future__ import annotations

import logging

import attrs

from promptlab.application.auth.tokens import TokenPair, issue_token_pair
from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.clock import Clock
from promptlab.application.ports.security import TokenService, TokenType
from promptlab.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)


@attrs.frozen
class RefreshCommand:
    refresh: str


class RefreshTokens:
    """Exchange a refresh token for a new pair; the presented token stops working.

    Rules:
    - only a refresh token is accepted (an access token is rejected);
    - consumption is one conditional UPDATE, so of many concurrent requests
      with one token exactly one succeeds;
    - presenting a token that was already used revokes its whole family,
      because either the client or an attacker holds a stolen copy;
    - the user must still exist and be active.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        uow_factory: UnitOfWorkFactory,
        tokens: TokenService,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._uow_factory = uow_factory
        self._tokens = tokens
        self._clock = clock

    async def __call__(self, command: RefreshCommand) -> TokenPair:
        claims = self._tokens.decode(command.refresh, TokenType.REFRESH)
        now = self._clock.now()

        async with self._uow as uow:
            consumed = await uow.refresh_tokens.consume(claims.jti, now)
            if not consumed:
                await uow.rollback()
                await self._handle_rejected(claims.jti)
                raise AuthenticationError("The refresh token is invalid, expired or already used.")

            user = await uow.users.get(claims.user_id)
            if user is None or not user.is_active:
                raise AuthenticationError("The account no longer exists or is deactivated.")

            assert claims.family_id is not None
            pair = await issue_token_pair(uow, self._tokens, user.id, claims.family_id)
            await uow.commit()
        return pair

    async def _handle_rejected(self, jti: str) -> None:
        """Revoke the family when a known token is presented again after use.

        Runs in its own transaction: the revocation must persist even though
        the request itself fails.
        """
        async with self._uow_factory() as uow:
            record = await uow.refresh_tokens.get(jti)
            if record is None or record.used_at is None:
                return
            revoked = await uow.refresh_tokens.revoke_family(record.family_id, self._clock.now())
            await uow.commit()
        if revoked:
            logger.warning(
                "refresh token reuse detected for user %s; revoked %d tokens of family %s",
                record.user_id,
                revoked,
                record.family_id,
            )
