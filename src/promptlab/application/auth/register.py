"""Register a user together with their personal organization."""

from __future__ import annotations

import attrs

from promptlab.application.auth.tokens import TokenPair, issue_token_pair
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.security import PasswordHasher, TokenService
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import User, check_password, normalize_email
from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.organizations import Membership, Organization, OrganizationRole
from promptlab.domain.text import check_text

MAX_FULL_NAME_LENGTH = 200


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
    - the email is unique ignoring letter case (ConflictError otherwise);
    - the password is 8 to 1024 characters;
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
        errors: list[FieldError] = []
        email_normalized = _collect(errors, lambda: normalize_email(command.email))
        _collect(errors, lambda: check_password(command.password))
        full_name = command.full_name.strip()
        _collect(
            errors,
            lambda: check_text(
                full_name, field="full_name", max_length=MAX_FULL_NAME_LENGTH, allow_empty=False
            ),
        )
        if errors:
            raise ValidationError(errors)

        now = self._clock.now()
        user = User(
            id=self._ids.new_id(),
            email=command.email.strip(),
            email_normalized=email_normalized,
            full_name=full_name,
            password_hash=self._hasher.hash(command.password),
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        organization = Organization(
            id=self._ids.new_id(),
            name=f"{full_name}'s workspace"[:200],
            description="Personal organization",
            is_personal=True,
            created_at=now,
            updated_at=now,
        )

        async with self._uow as uow:
            await uow.users.add(user)
            await uow.organizations.add(organization, personal_owner_id=user.id)
            await uow.organizations.add_membership(
                Membership(
                    organization_id=organization.id,
                    user_id=user.id,
                    role=OrganizationRole.OWNER,
                    created_at=now,
                )
            )
            pair = await issue_token_pair(uow, self._tokens, user.id, self._ids.new_id())
            await uow.commit()

        return RegisterResult(user=user, organization=organization, tokens=pair)


def _collect(errors: list[FieldError], check):  # type: ignore[no-untyped-def]
    """Run one check, adding its field errors to `errors` so all fields are reported at once."""
    try:
        return check()
    except ValidationError as error:
        errors.extend(error.errors)
        return None
