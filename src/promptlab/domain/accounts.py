"""Users and the rules for their email addresses."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime

import attrs

from promptlab.domain.errors import FieldError, ValidationError

MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


@attrs.define
class User:
    id: uuid.UUID
    email: str
    email_normalized: str
    full_name: str
    password_hash: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


def normalize_email(email: str) -> str:
    """Return the key under which an address is unique: NFC, trimmed, lower case.

    Raises ValidationError on the `email` field when the address is not of the
    form local@domain. Delivery is not checked; the address only identifies a user.
    """
    candidate = unicodedata.normalize("NFC", email.strip())
    local, at, domain = candidate.rpartition("@")
    problems: list[str] = []
    if not at or not local or not domain:
        problems.append("must be an address of the form name@example.com")
    elif any(character.isspace() for character in candidate):
        problems.append("must not contain spaces")
    elif "." not in domain.strip(".") or domain.startswith(".") or domain.endswith("."):
        problems.append("must have a domain with a dot, such as example.com")
    if len(candidate) > MAX_EMAIL_LENGTH:
        problems.append(f"must be at most {MAX_EMAIL_LENGTH} characters")
    if "\x00" in candidate:
        problems.append("must not contain a NUL character")
    if problems:
        raise ValidationError([FieldError("email", problem) for problem in problems])
    return candidate.lower()


def check_password(password: str) -> None:
    """Raise ValidationError on the `password` field when it is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            FieldError("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")
        )
    if "\x00" in password:
        raise ValidationError(FieldError("password", "must not contain a NUL character"))


@attrs.define
class RefreshTokenRecord:
    """A refresh token that was issued. Only its id (`jti`) is stored, never the token.

    Tokens issued by rotating one another share a `family_id`, so presenting a
    used token can revoke every token descended from the same login.
    """

    jti: str
    family_id: uuid.UUID
    user_id: uuid.UUID
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None
