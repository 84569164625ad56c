"""Users, the rules for their email addresses and passwords, and refresh token records."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime

import attrs

from promptlab.domain.errors import ConflictError, FieldError, ValidationError

MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_FULL_NAME_LENGTH = 200


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


@attrs.frozen
class EmailAddress:
    """An address as the user wrote it (trimmed, NFC) and the key under which it is unique."""

    address: str
    key: str


def parse_email(email: str, *, field: str = "email") -> EmailAddress:
    """Check an address and return it with its uniqueness key.

    The key is the NFC form of the Unicode case folding of the address, so two
    addresses that differ only in letter case (including "ß" and "SS") share
    one key. The address must have exactly one `@` with a non-empty local part
    before it and a domain with a dot after it, no whitespace, control or
    surrogate characters, and at most 254 characters. Delivery is not checked:
    the address only identifies a user. Raises ValidationError on `field`.
    """
    address = unicodedata.normalize("NFC", email.strip())
    local, _, domain = address.partition("@")

    problems: list[str] = []
    if address.count("@") != 1 or not local or not domain:
        problems.append("must be an address of the form name@example.com, with exactly one @")
    elif any(character.isspace() for character in address):
        problems.append("must not contain spaces")
    elif "." not in domain.strip(".") or domain.startswith(".") or domain.endswith("."):
        problems.append("must have a domain with a dot, such as example.com")
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in address):
        problems.append("must not contain control characters, NUL or lone surrogates")

    key = email_key(address)
    if max(len(address), len(key)) > MAX_EMAIL_LENGTH:
        problems.append(f"must be at most {MAX_EMAIL_LENGTH} characters")

    if problems:
        raise ValidationError([FieldError(field, problem) for problem in problems])
    return EmailAddress(address=address, key=key)


def normalize_email(email: str, *, field: str = "email") -> str:
    """Return the key under which an address is unique; see `parse_email` for the rules."""
    return parse_email(email, field=field).key


def email_key(address: str) -> str:
    # Canonical caseless matching as Unicode defines it (NFD, then case
    # folding), recomposed to NFC so that the key is stable when folded again.
    folded = unicodedata.normalize("NFD", address).casefold()
    return unicodedata.normalize("NFC", folded)


def check_password(password: str) -> None:
    """Raise ValidationError on `password` for every rule it breaks.

    A password has 8 to 1024 characters and no NUL or lone surrogate, because
    the hasher takes it as UTF-8 bytes.
    """
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if "\x00" in password:
        problems.append("must not contain a NUL character")
    if any(unicodedata.category(character) == "Cs" for character in password):
        problems.append("must not contain lone surrogates; send valid UTF-8")
    if problems:
        raise ValidationError([FieldError("password", problem) for problem in problems])


def email_taken(email: str) -> ConflictError:
    """Return the error for registering or changing to an address another user has."""
    return ConflictError(
        f"A user with the email {email!r} already exists. Log in instead, or use another address."
    )


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
