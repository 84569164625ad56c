"""Rate limits on login, register and refresh, on a server of their own with low limits."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import RateLimitSetting, Settings
from tests.support.api import DEFAULT_PASSWORD, Api
from tests.support.server import LiveServer

REDIS_URL = os.environ.get("PROMPTLAB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WINDOW_SECONDS = 60


@pytest.fixture(scope="module", params=["memory", "redis"])
def limited_api(
    request: pytest.FixtureRequest, settings_factory: Callable[..., Settings]
) -> Iterator[Api]:
    """A server allowing 3 logins, 2 registrations and 2 refreshes per key and minute.

    X-Forwarded-For is trusted, so each test picks its own client addresses
    and counters never carry over between tests. Keys on Redis include a
    random address or email, so runs sharing one Redis never collide.
    """
    settings = settings_factory(
        rate_limit_login=RateLimitSetting(3, WINDOW_SECONDS),
        rate_limit_register=RateLimitSetting(2, WINDOW_SECONDS),
        rate_limit_refresh=RateLimitSetting(2, WINDOW_SECONDS),
        trust_forwarded_for=True,
        redis_url=REDIS_URL if request.param == "redis" else None,
    )
    server = LiveServer(create_app(settings)).start()
    client = Api(server.url)
    yield client
    client.close()
    server.stop()


def new_address() -> str:
    """A random client address from the IPv6 documentation prefix 2001:db8::/32 (RFC 3849)."""
    groups = uuid.uuid4().hex[:24]
    return "2001:db8:" + ":".join(groups[index : index + 4] for index in range(0, 24, 4))


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def new_email() -> str:
    return f"limited-{uuid.uuid4().hex[:12]}@example.com"


def login(api: Api, email: str, address: str) -> httpx.Response:
    return api.post(
        "/api/auth/login/",
        json={"email": email, "password": "wrong password"},
        headers=from_address(address),
    )


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/problem+json")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW_SECONDS
    assert f"{retry_after} seconds" in response.json()["detail"]


def test_login_limited_per_address(limited_api: Api) -> None:
    address = new_address()

    responses = [login(limited_api, new_email(), address) for _ in range(4)]

    assert [response.status_code for response in responses[:3]] == [401, 401, 401]
    assert_rate_limited(responses[3])
    assert login(limited_api, new_email(), new_address()).status_code == 401


def test_login_limited_per_email(limited_api: Api) -> None:
    email = new_email()

    responses = [login(limited_api, email, new_address()) for _ in range(3)]
    # The same address in another letter case shares the budget.
    over = login(limited_api, email.upper(), new_address())

    assert [response.status_code for response in responses] == [401, 401, 401]
    assert_rate_limited(over)
    assert login(limited_api, new_email(), new_address()).status_code == 401


def test_limited_login_rejects_right_password(limited_api: Api) -> None:
    email = new_email()
    registered = limited_api.post(
        "/api/auth/register/",
        json={"email": email, "password": DEFAULT_PASSWORD, "full_name": "Limited"},
        headers=from_address(new_address()),
    )
    assert registered.status_code == 201
    for _ in range(3):
        login(limited_api, email, new_address())

    response = limited_api.post(
        "/api/auth/login/",
        json={"email": email, "password": DEFAULT_PASSWORD},
        headers=from_address(new_address()),
    )

    assert_rate_limited(response)


def test_register_limited(limited_api: Api) -> None:
    address = new_address()

    def register() -> httpx.Response:
        return limited_api.post(
            "/api/auth/register/",
            json={"email": new_email(), "password": DEFAULT_PASSWORD, "full_name": "Limited"},
            headers=from_address(address),
        )

    responses = [register() for _ in range(3)]

    assert [response.status_code for response in responses[:2]] == [201, 201]
    assert_rate_limited(responses[2])


def test_refresh_limited(limited_api: Api) -> None:
    address = new_address()

    responses = [
        limited_api.post(
            "/api/auth/token/refresh/", json={"refresh": "invalid"}, headers=from_address(address)
        )
        for _ in range(3)
    ]

    assert [response.status_code for response in responses[:2]] == [401, 401]
    assert_rate_limited(responses[2])
