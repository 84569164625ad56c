"""The authentication flow over HTTP, on both databases."""

from __future__ import annotations

import uuid

from tests.support.api import Api


def unique_email(name: str = "flow") -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@Example.com"


def test_register_login_refresh_me(api: Api) -> None:
    email = unique_email("Flow.User")
    registered = api.post(
        "/api/auth/register/",
        json={"email": email, "password": "correct horse battery", "full_name": " Flow User "},
    )
    assert registered.status_code == 201
    body = registered.json()
    assert body["user"]["email"] == email
    assert body["user"]["full_name"] == "Flow User"
    assert body["user"]["is_active"] is True
    assert body["organization"]["is_personal"] is True
    assert body["organization"]["role"] == "owner"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900

    me = api.get("/api/auth/me/", headers={"Authorization": f"Bearer {body['access']}"})
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]
    assert me.json()["email"] == email

    login = api.post(
        "/api/auth/login/", json={"email": email.upper(), "password": "correct horse battery"}
    )
    assert login.status_code == 200
    tokens = login.json()
    assert set(tokens) == {"access", "refresh", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] > 0

    refreshed = api.post("/api/auth/token/refresh/", json={"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200
    rotated = refreshed.json()
    assert rotated["refresh"] != tokens["refresh"]
    me_again = api.get("/api/auth/me/", headers={"Authorization": f"Bearer {rotated['access']}"})
    assert me_again.status_code == 200

    replayed = api.post("/api/auth/token/refresh/", json={"refresh": tokens["refresh"]})
    assert replayed.status_code == 401


def test_wrong_email_and_password_look_alike(api: Api) -> None:
    account = api.register()

    wrong_password = api.post(
        "/api/auth/login/", json={"email": account.email, "password": "not the password"}
    )
    unknown_email = api.post(
        "/api/auth/login/", json={"email": unique_email("nobody"), "password": account.password}
    )

    assert wrong_password.status_code == 401
    assert unknown_email.status_code == 401
    assert wrong_password.json()["detail"] == unknown_email.json()["detail"]
    assert wrong_password.headers["www-authenticate"].startswith("Bearer")


def test_me_requires_token(api: Api) -> None:
    response = api.get("/api/auth/me/")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Authorization: Bearer" in response.json()["detail"]


def test_health_reports_database(api: Api) -> None:
    response = api.get("/health/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
