"""Log in with email and password."""

from __future__ import annotations

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
      same AuthenticationError;
    - a hash made with weaker parameters than the current ones is replaced
      on a successful login.
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
            if user is None:
                self._hasher.verify(_dummy_hash(self._hasher), command.password)
                raise AuthenticationError(INVALID_CREDENTIALS)
            if not self._hasher.verify(user.password_hash, command.password):
                raise AuthenticationError(INVALID_CREDENTIALS)
            if not user.is_active:
                raise AuthenticationError(INVALID_CREDENTIALS)

            if self._hasher.needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(command.password)
                user.updated_at = self._clock.now()
                await uow.users.update(user)
                logger.info("password hash upgraded for user %s", user.id)

            pair = await issue_token_pair(uow, self._tokens, user.id, self._ids.new_id())
            await uow.commit()
        return pair
