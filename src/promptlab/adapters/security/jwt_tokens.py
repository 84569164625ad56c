"""JWT access and refresh tokens with PyJWT, HS256 pinned."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.security import IssuedToken, TokenClaims, TokenType

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "iss", "aud", "typ"]

# Clients send the same access token with every request until it expires,
# and PyJWT's decode was a quarter of the CPU time of an authenticated read.
# The signature and claim checks depend only on the token text and this
# service's key, issuer and audience, so their outcome for a valid token is
# kept. The time checks run on every call. Invalid tokens are never kept.
VERIFIED_TOKEN_CACHE_SIZE = 4096
_ARTICLE = {TokenType.ACCESS: "an", TokenType.REFRESH: "a"}


class JwtTokenService:
    def __init__(
        self,
        *,
        secret_key: bytes,
        issuer: str,
        audience: str,
        access_token_lifetime: timedelta,
        refresh_token_lifetime: timedelta,
        clock: Clock,
        ids: IdGenerator,
        leeway_seconds: int = 0,
    ) -> None:
        if len(secret_key) < 32:
            raise ValueError("the token signing key must be at least 32 bytes")
        self._secret_key = secret_key
        self._issuer = issuer
        self._audience = audience
        self._lifetimes = {
            TokenType.ACCESS: access_token_lifetime,
            TokenType.REFRESH: refresh_token_lifetime,
        }
        self._clock = clock
        self._ids = ids
        self._leeway = leeway_seconds
        self._verified_payload = functools.lru_cache(maxsize=VERIFIED_TOKEN_CACHE_SIZE)(
            self._verify_signature_and_claims
        )

    @property
    def access_token_lifetime_seconds(self) -> int:
        return int(self._lifetimes[TokenType.ACCESS].total_seconds())

    def issue(
        self, user_id: uuid.UUID, token_type: TokenType, *, family_id: uuid.UUID | None = None
    ) -> IssuedToken:
        # JWT times are whole seconds, so the claims carry exactly what the token says.
        issued_at = self._clock.now().replace(microsecond=0)
        expires_at = issued_at + self._lifetimes[token_type]
        jti = self._ids.new_token_id()
        payload: dict[str, object] = {
            "sub": str(user_id),
            "iat": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": jti,
            "iss": self._issuer,
            "aud": self._audience,
            "typ": token_type.value,
        }
        if token_type is TokenType.REFRESH:
            if family_id is None:
                raise ValueError("a refresh token needs a family id")
            payload["fam"] = str(family_id)
        token = jwt.encode(payload, self._secret_key, algorithm=ALGORITHM)
        claims = TokenClaims(
            user_id=user_id,
            token_type=token_type,
            jti=jti,
            issued_at=issued_at,
            expires_at=expires_at,
            family_id=family_id,
        )
        return IssuedToken(token=token, claims=claims)

    def decode(self, token: str, expected_type: TokenType) -> TokenClaims:
        payload = self._verified_payload(token)

        issued_at_seconds = payload["iat"]
        expires_at_seconds = payload["exp"]
        now = self._clock.now().timestamp()
        if expires_at_seconds <= now - self._leeway:
            raise AuthenticationError("The token has expired.")
        if issued_at_seconds > now + self._leeway:
            raise AuthenticationError("The token is invalid: it was issued in the future.")

        if payload["typ"] != expected_type.value:
            raise AuthenticationError(
                f"The token is not {_ARTICLE[expected_type]} {expected_type.value} token."
            )
        family_id = payload["fam"] if expected_type is TokenType.REFRESH else None
        if expected_type is TokenType.REFRESH and family_id is None:
            raise AuthenticationError("The token is invalid.")
        return TokenClaims(
            user_id=payload["sub"],
            token_type=expected_type,
            jti=payload["jti"],
            issued_at=datetime.fromtimestamp(issued_at_seconds, UTC),
            expires_at=datetime.fromtimestamp(expires_at_seconds, UTC),
            family_id=family_id,
        )

    def _verify_signature_and_claims(self, token: str) -> dict[str, Any]:
        """Check everything about `token` that does not depend on the time, and parse its ids.

        Returns the payload with `sub` and `fam` as UUIDs (`fam` is None when
        the token has none or it is not a UUID). The result is cached, so it
        must stay a pure function of the token text.
        """
        try:
            payload = jwt.decode(
                token,
                self._secret_key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                # Times are checked by `decode` against the Clock port rather
                # than the wall clock, so tests and the issuing side agree on "now".
                options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError("The token is invalid.") from error

        if not _is_timestamp(payload["iat"]) or not _is_timestamp(payload["exp"]):
            raise AuthenticationError("The token is invalid.")
        try:
            user_id = uuid.UUID(str(payload["sub"]))
            jti = str(payload["jti"])
        except (ValueError, TypeError) as error:
            raise AuthenticationError("The token is invalid.") from error
        if not jti:
            raise AuthenticationError("The token is invalid.")
        return {
            "sub": user_id,
            "jti": jti,
            "iat": payload["iat"],
            "exp": payload["exp"],
            "typ": payload.get("typ"),
            "fam": _uuid_or_none(payload.get("fam")),
        }


def _is_timestamp(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**40


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None
