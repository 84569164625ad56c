"""The authentication flow over HTTP, on both databases."""

from __future__ import annotations

from tests.support.api import Api


def test_register_login_refresh_me(api: Api) -> None:
    account = api.register(email="Flow.User@Example.com", full_name="Flow User")

    me = api.get("/api/auth/me/", as_=account)
    assert me.status_code == 200
    assert me.json()["email"] == "Flow.User@Example.com"

    login = api.post(
        "/api/auth/login/", json={"email": "flow.user@example.COM", "password": account.password}
    )
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] > 0

    refreshed = api.post("/api/auth/token/refresh/", json={"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh"] != tokens["refresh"]


def test_health_reports_database(api: Api) -> None:
    response = api.get("/health/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
