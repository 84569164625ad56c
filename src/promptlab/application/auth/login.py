"""Log in with email and password."""

from __future__ import annotations

import asyncio
import logging
import weakref

import attrs

from promptlab.application.auth.tokens import TokenPair, issue_token_pair
from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.security import PasswordHasher, TokenService
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import normalize_email
from promptlab.domain.errors import ValidationError

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS = "The email or password is incorrect."

# Verifying against a real hash when the user does not exist keeps the
# response time the same, so timing does not reveal which emails exist.
_DUMMY_PASSWORD = "promptlab-timing-equaliser"
_dummy_hashes: weakref.WeakKeyDictionary[PasswordHasher, str] = weakref.WeakKeyDictionary()


def _dummy_hash(hasher: PasswordHasher) -> str:
    if hasher not in _dummy_hashes:
        _dummy_hashes[hasher] = hasher.hash(_DUMMY_PASSWORD)
    return _dummy_hashes[hasher]


@attrs.frozen
class LoginCommand:
    email: str
    password: str


class LoginUser:
    """Exchange email and password for a token pair.

    Rules:
    - a wrong email, a wrong password and a deactivated user all give the
      same AuthenticationError, and an unknown email costs the same password
      verification as a known one;
    - a hash made with other parameters than the current ones is replaced
      on a successful login, in the transaction that records the new tokens;
    - the password is verified outside any transaction, and the user is read
      again afterwards, so a deactivation or password change made meanwhile
      wins.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        tokens: TokenService,
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock
        self._ids = ids

    async def __call__(self, command: LoginCommand) -> TokenPair:
        try:
            email_normalized = normalize_email(command.email)
        except ValidationError:
            email_normalized = None

        async with self._uow as uow:
            user = await uow.users.get_by_email(email_normalized) if email_normalized else None
            # End the transaction before hashing: on SQLite a write transaction
            # holds the database write lock, and verification takes tens of ms.
            await uow.rollback()

            # argon2 releases the GIL, so hashing in a thread keeps other requests moving.
            if user is None:
                dummy = await asyncio.to_thread(_dummy_hash, self._hasher)
                await asyncio.to_thread(self._hasher.verify, dummy, command.password)
                raise AuthenticationError(INVALID_CREDENTIALS)
            verified = await asyncio.to_thread(
                self._hasher.verify, user.password_hash, command.password
            )
            if not verified or not user.is_active:
                raise AuthenticationError(INVALID_CREDENTIALS)
            new_hash = None
            if self._hasher.needs_rehash(user.password_hash):
                new_hash = await asyncio.to_thread(self._hasher.hash, command.password)

            # Read the user again: it may have been deactivated, or its password
            # changed, while the password was being verified.
            current = await uow.users.get(user.id)
            if current is None or not current.is_active:
                raise AuthenticationError(INVALID_CREDENTIALS)
            if current.password_hash != user.password_hash:
                raise AuthenticationError(INVALID_CREDENTIALS)
            if new_hash is not None:
                current.password_hash = new_hash
                current.updated_at = self._clock.now()
                await uow.users.update(current)
                logger.info("password hash upgraded for user %s", current.id)

            pair = await issue_token_pair(uow, self._tokens, current.id, self._ids.new_id())
            await uow.commit()
        return pair
