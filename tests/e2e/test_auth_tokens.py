"""Tokens over HTTP: forged and misused tokens, refresh reuse, and a concurrent refresh race."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.support.api import Account, Api
from tests.support.server import LiveServer

ISSUER = "promptlab"
AUDIENCE = "promptlab-api"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims(account: Account, token_type: str = "access", **changes: Any) -> dict[str, Any]:
    """Claims of a valid token for `account`; a change to None removes that claim."""
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": account.id,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": token_type,
    }
    if token_type == "refresh":
        values["fam"] = str(uuid.uuid4())
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def sign(payload: dict[str, Any], *, key: bytes = TEST_SECRET_KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def unsigned(payload: dict[str, Any]) -> str:
    """A token with `alg: none` and an empty signature."""
    return f"{b64url_json({'alg': 'none', 'typ': 'JWT'})}.{b64url_json(payload)}."


def hmac_with_header(payload: dict[str, Any], algorithm: str) -> str:
    """A token signed with HMAC-SHA256 and the real secret, but claiming another algorithm."""
    signing_input = f"{b64url_json({'alg': algorithm, 'typ': 'JWT'})}.{b64url_json(payload)}"
    signature = hmac.new(TEST_SECRET_KEY, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def tampered(token: str, **changes: Any) -> str:
    """`token` with its payload changed and its original signature kept."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(changes)
    return f"{header}.{b64url_json(decoded)}.{signature}"


def me(api: Api, token: str) -> httpx.Response:
    return api.get("/api/auth/me/", headers={"Authorization": f"Bearer {token}"})


def refresh(api: Api, token: str) -> httpx.Response:
    return api.post("/api/auth/token/refresh/", json={"refresh": token})


def test_forged_valid_token_accepted(api: Api) -> None:
    """The forging helpers build tokens the server accepts, so each bad case below has one flaw."""
    account = api.register()

    response = me(api, sign(claims(account)))

    assert response.status_code == 200
    assert response.json()["id"] == account.id


BAD_ACCESS_TOKENS = {
    "alg none": lambda account, other: unsigned(claims(account)),
    "HS512 with the same secret": lambda account, other: sign(claims(account), algorithm="HS512"),
    "RS256 header over an HMAC signature": lambda account, other: hmac_with_header(
        claims(account), "RS256"
    ),
    "wrong key": lambda account, other: sign(claims(account), key=b"k" * 48),
    "expired": lambda account, other: sign(
        claims(account, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    ),
    "wrong audience": lambda account, other: sign(claims(account, aud="another-api")),
    "wrong issuer": lambda account, other: sign(claims(account, iss="someone-else")),
    "refresh token as access": lambda account, other: account.refresh,
    "missing jti": lambda account, other: sign(claims(account, jti=None)),
    "missing typ": lambda account, other: sign(claims(account, typ=None)),
    "tampered subject": lambda account, other: tampered(account.access, sub=other.id),
    "issued in the future": lambda account, other: sign(
        claims(account, iat=int(time.time()) + 3600, exp=int(time.time()) + 7200)
    ),
    "not a JWT": lambda account, other: "not.a.token",
}


@pytest.mark.parametrize("case", sorted(BAD_ACCESS_TOKENS))
def test_bad_access_token_rejected(api: Api, case: str) -> None:
    account = api.register()
    other = api.register()
    token = BAD_ACCESS_TOKENS[case](account, other)

    response = me(api, token)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


BAD_REFRESH_TOKENS = {
    "access token to refresh": lambda account: account.access,
    "alg none": lambda account: unsigned(claims(account, "refresh")),
    "wrong key": lambda account: sign(claims(account, "refresh"), key=b"k" * 48),
    "tampered family": lambda account: tampered(account.refresh, fam=str(uuid.uuid4())),
    "never issued": lambda account: sign(claims(account, "refresh")),
    "missing family": lambda account: sign(claims(account, "refresh", fam=None)),
}


@pytest.mark.parametrize("case", sorted(BAD_REFRESH_TOKENS))
def test_bad_refresh_token_rejected(api: Api, case: str) -> None:
    account = api.register()

    response = refresh(api, BAD_REFRESH_TOKENS[case](account))

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_refresh_reuse_revokes_family(api: Api) -> None:
    account = api.register()
    separate_login = api.post(
        "/api/auth/login/", json={"email": account.email, "password": account.password}
    ).json()
    rotated = refresh(api, account.refresh)
    assert rotated.status_code == 200

    reused = refresh(api, account.refresh)
    legitimate = refresh(api, rotated.json()["refresh"])
    other_family = refresh(api, separate_login["refresh"])

    assert reused.status_code == 401
    assert legitimate.status_code == 401
    assert other_family.status_code == 200


async def test_concurrent_refresh_one_winner(api: Api, live_server: LiveServer) -> None:
    account = api.register()

    async with httpx.AsyncClient(base_url=live_server.url, timeout=120) as client:
        responses = await asyncio.gather(
            *(
                client.post("/api/auth/token/refresh/", json={"refresh": account.refresh})
                for _ in range(50)
            )
        )

    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 1
    assert statuses.count(401) == 49
    # The losers presented a used token, which revokes the family, the winner's new token too.
    winner = next(response for response in responses if response.status_code == 200)
    assert refresh(api, winner.json()["refresh"]).status_code == 401
