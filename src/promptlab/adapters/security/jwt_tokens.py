"""JWT access and refresh tokens with PyJWT, HS256 pinned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.security import IssuedToken, TokenClaims, TokenType

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "iss", "aud", "typ"]
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
        try:
            payload = jwt.decode(
                token,
                self._secret_key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                # Times are checked below against the Clock port rather than
                # the wall clock, so tests and the issuing side agree on "now".
                options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError("The token is invalid.") from error

        issued_at_seconds = payload["iat"]
        expires_at_seconds = payload["exp"]
        if not _is_timestamp(issued_at_seconds) or not _is_timestamp(expires_at_seconds):
            raise AuthenticationError("The token is invalid.")
        now = self._clock.now().timestamp()
        if expires_at_seconds <= now - self._leeway:
            raise AuthenticationError("The token has expired.")
        if issued_at_seconds > now + self._leeway:
            raise AuthenticationError("The token is invalid: it was issued in the future.")

        if payload.get("typ") != expected_type.value:
            raise AuthenticationError(
                f"The token is not {_ARTICLE[expected_type]} {expected_type.value} token."
            )
        try:
            user_id = uuid.UUID(str(payload["sub"]))
            family_id = (
                uuid.UUID(str(payload["fam"])) if expected_type is TokenType.REFRESH else None
            )
            jti = str(payload["jti"])
        except (KeyError, ValueError, TypeError) as error:
            raise AuthenticationError("The token is invalid.") from error
        if not jti:
            raise AuthenticationError("The token is invalid.")
        return TokenClaims(
            user_id=user_id,
            token_type=expected_type,
            jti=jti,
            issued_at=datetime.fromtimestamp(issued_at_seconds, UTC),
            expires_at=datetime.fromtimestamp(expires_at_seconds, UTC),
            family_id=family_id,
        )


def _is_timestamp(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**40
