"""An HTTP client for the API with helpers to create users and objects."""

from __future__ import annotations

import uuid
from typing import Any

import attrs
import httpx

DEFAULT_PASSWORD = "correct horse battery"


@attrs.define
class Account:
    """A registered user, as the tests use one."""

    id: str
    email: str
    password: str
    access: str
    refresh: str
    organization_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


class Api:
    """Thin wrapper over httpx.Client bound to a live server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=60)

    def close(self) -> None:
        self.http.close()

    def request(
        self, method: str, path: str, *, as_: Account | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if as_ is not None:
            headers.update(as_.headers)
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, *, as_: Account | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, as_=as_, **kwargs)

    def post(self, path: str, *, as_: Account | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, as_=as_, **kwargs)

    def patch(self, path: str, *, as_: Account | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, as_=as_, **kwargs)

    def delete(self, path: str, *, as_: Account | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, as_=as_, **kwargs)

    def register(self, *, email: str | None = None, full_name: str = "Test User") -> Account:
        email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
        response = self.post(
            "/api/auth/register/",
            json={"email": email, "password": DEFAULT_PASSWORD, "full_name": full_name},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Account(
            id=body["user"]["id"],
            email=email,
            password=DEFAULT_PASSWORD,
            access=body["access"],
            refresh=body["refresh"],
            organization_id=body["organization"]["id"],
        )
