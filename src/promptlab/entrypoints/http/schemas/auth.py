"""Wire schemas of the authentication endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from promptlab.application.auth.tokens import TokenPair
from promptlab.domain.accounts import User
from promptlab.entrypoints.http.schemas.common import Body
from promptlab.entrypoints.http.schemas.organizations import OrganizationOut


class RegisterIn(Body):
    email: str
    password: str
    full_name: str


class LoginIn(Body):
    email: str
    password: str


class RefreshIn(Body):
    refresh: str


class UserOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    full_name: str
    is_active: bool
    created_at: datetime


class TokenPairOut(msgspec.Struct):
    access: str
    refresh: str
    token_type: str
    expires_in: int


class RegisterOut(msgspec.Struct):
    """The new user, their personal organization, and a token pair shaped as login returns it."""

    user: UserOut
    organization: OrganizationOut
    access: str
    refresh: str
    token_type: str
    expires_in: int


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def token_pair_out(pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access=pair.access,
        refresh=pair.refresh,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )
