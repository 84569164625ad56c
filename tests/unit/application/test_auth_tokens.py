"""The JWT token service: round trip of claims, type separation and the clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptlab.adapters.security.jwt_tokens import JwtTokenService
from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.security import TokenType
from tests.unit.application.auth_world import AuthWorld

WORLD = AuthWorld()


@given(st.uuids(), st.sampled_from(list(TokenType)), st.uuids())
def test_issue_then_decode_round_trip(
    user_id: uuid.UUID, token_type: TokenType, family_id: uuid.UUID
) -> None:
    family = family_id if token_type is TokenType.REFRESH else None
    issued = WORLD.tokens.issue(user_id, token_type, family_id=family)

    decoded = WORLD.tokens.decode(issued.token, token_type)

    assert decoded == issued.claims
    assert decoded.user_id == user_id
    assert decoded.family_id == family


@given(st.uuids())
def test_token_types_never_swap(user_id: uuid.UUID) -> None:
    access = WORLD.tokens.issue(user_id, TokenType.ACCESS)
    refresh = WORLD.tokens.issue(user_id, TokenType.REFRESH, family_id=uuid.uuid4())

    with pytest.raises(AuthenticationError):
        WORLD.tokens.decode(access.token, TokenType.REFRESH)
    with pytest.raises(AuthenticationError):
        WORLD.tokens.decode(refresh.token, TokenType.ACCESS)


def test_every_token_has_unique_jti() -> None:
    user_id = uuid.uuid4()

    first = WORLD.tokens.issue(user_id, TokenType.ACCESS)
    second = WORLD.tokens.issue(user_id, TokenType.ACCESS)

    assert first.claims.jti != second.claims.jti


def test_expiry_follows_clock() -> None:
    world = AuthWorld()
    issued = world.tokens.issue(uuid.uuid4(), TokenType.ACCESS)
    world.clock.advance(15 * 60 - 1)
    assert world.tokens.decode(issued.token, TokenType.ACCESS) == issued.claims

    world.clock.advance(1)

    with pytest.raises(AuthenticationError) as raised:
        world.tokens.decode(issued.token, TokenType.ACCESS)
    assert raised.value.message == "The token has expired."


def test_rejects_token_from_future() -> None:
    issuing = AuthWorld()
    issuing.clock.advance(3600)
    issued = issuing.tokens.issue(uuid.uuid4(), TokenType.ACCESS)

    with pytest.raises(AuthenticationError):
        AuthWorld().tokens.decode(issued.token, TokenType.ACCESS)


def test_short_secret_key_rejected() -> None:
    world = AuthWorld()

    with pytest.raises(ValueError, match="at least 32 bytes"):
        JwtTokenService(
            secret_key=b"x" * 31,
            issuer="promptlab",
            audience="promptlab-api",
            access_token_lifetime=timedelta(minutes=15),
            refresh_token_lifetime=timedelta(days=30),
            clock=world.clock,
            ids=world.ids,
        )


def test_verified_token_keeps_type_check() -> None:
    world = AuthWorld()
    access = world.tokens.issue(uuid.uuid4(), TokenType.ACCESS)
    assert world.tokens.decode(access.token, TokenType.ACCESS) == access.claims

    with pytest.raises(AuthenticationError) as raised:
        world.tokens.decode(access.token, TokenType.REFRESH)

    assert raised.value.message == "The token is not a refresh token."


def test_future_token_valid_once_issued() -> None:
    issuing = AuthWorld()
    issuing.clock.advance(3600)
    issued = issuing.tokens.issue(uuid.uuid4(), TokenType.ACCESS)
    verifying = AuthWorld()
    with pytest.raises(AuthenticationError):
        verifying.tokens.decode(issued.token, TokenType.ACCESS)

    verifying.clock.advance(3600)

    assert verifying.tokens.decode(issued.token, TokenType.ACCESS) == issued.claims


def test_tampered_token_rejected_after_genuine() -> None:
    world = AuthWorld()
    issued = world.tokens.issue(uuid.uuid4(), TokenType.ACCESS)
    assert world.tokens.decode(issued.token, TokenType.ACCESS) == issued.claims
    header, payload, signature = issued.token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    tampered = ".".join([header, payload, flipped + signature[1:]])

    with pytest.raises(AuthenticationError) as raised:
        world.tokens.decode(tampered, TokenType.ACCESS)

    assert raised.value.message == "The token is invalid."
