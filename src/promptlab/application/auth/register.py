"""Register a user together with their personal organization."""

from __future__ import annotations

import asyncio

import attrs

from promptlab.application.auth.tokens import TokenPair, issue_token_pair
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.security import PasswordHasher, TokenService
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import (
    MAX_FULL_NAME_LENGTH,
    EmailAddress,
    User,
    check_password,
    parse_email,
)
from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.organizations import Membership, Organization, OrganizationRole
from promptlab.domain.text import MAX_NAME_LENGTH, find_text_errors

PERSONAL_ORGANIZATION_DESCRIPTION = "Personal organization"


@attrs.frozen
class RegisterCommand:
    email: str
    password: str
    full_name: str


@attrs.frozen
class RegisterResult:
    user: User
    organization: Organization
    tokens: TokenPair


class RegisterUser:
    """Create a user, their personal organization (they own it) and a first token pair.

    Rules:
    - the email is unique ignoring letter case (ConflictError otherwise) and
      is stored as written, trimmed and in NFC;
    - the password has 8 to 1024 characters;
    - the full name is trimmed, not empty and at most 200 characters;
    - every invalid field is reported at once;
    - user, organization, membership and refresh token are saved in one
      transaction, so a failure leaves none of them.
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

    async def __call__(self, command: RegisterCommand) -> RegisterResult:
        email, full_name = _validate(command)

        # argon2 takes tens of milliseconds of CPU and releases the GIL, so it
        # runs in a thread rather than stalling every other request.
        password_hash = await asyncio.to_thread(self._hasher.hash, command.password)

        now = self._clock.now()
        user = User(
            id=self._ids.new_id(),
            email=email.address,
            email_normalized=email.key,
            full_name=full_name,
            password_hash=password_hash,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        organization = Organization(
            id=self._ids.new_id(),
            name=f"{full_name}'s workspace"[:MAX_NAME_LENGTH],
            description=PERSONAL_ORGANIZATION_DESCRIPTION,
            is_personal=True,
            created_at=now,
            updated_at=now,
        )
        membership = Membership(
            organization_id=organization.id,
            user_id=user.id,
            role=OrganizationRole.OWNER,
            created_at=now,
        )

        async with self._uow as uow:
            await uow.users.add(user)
            await uow.organizations.add(organization, personal_owner_id=user.id)
            await uow.organizations.add_membership(membership)
            pair = await issue_token_pair(uow, self._tokens, user.id, self._ids.new_id())
            await uow.commit()

        return RegisterResult(user=user, organization=organization, tokens=pair)


def _validate(command: RegisterCommand) -> tuple[EmailAddress, str]:
    """Return the parsed email and trimmed full name, or raise with every invalid field."""
    errors: list[FieldError] = []

    email: EmailAddress | None = None
    try:
        email = parse_email(command.email)
    except ValidationError as error:
        errors.extend(error.errors)

    try:
        check_password(command.password)
    except ValidationError as error:
        errors.extend(error.errors)

    full_name = command.full_name.strip()
    errors.extend(
        find_text_errors(
            full_name, field="full_name", max_length=MAX_FULL_NAME_LENGTH, allow_empty=False
        )
    )

    if errors or email is None:
        raise ValidationError(errors)
    return email, full_name
