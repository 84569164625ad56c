"""In-memory adapters and real token and hash adapters for the auth use-case tests."""

from __future__ import annotations

from datetime import timedelta

import attrs

from promptlab.adapters.memory.clock import ManualClock, SequentialIdGenerator
from promptlab.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from promptlab.adapters.security.argon2_hasher import Argon2PasswordHasher
from promptlab.adapters.security.jwt_tokens import JwtTokenService
from promptlab.application.auth.authenticate import AuthenticateRequest
from promptlab.application.auth.login import LoginCommand, LoginUser
from promptlab.application.auth.refresh import RefreshCommand, RefreshTokens
from promptlab.application.auth.register import RegisterCommand, RegisterResult, RegisterUser
from promptlab.application.auth.tokens import TokenPair
from promptlab.domain.accounts import User

PASSWORD = "correct horse battery"
SECRET_KEY = b"unit-test-secret-key-that-is-long-enough"
ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=30)


def cheap_hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@attrs.define
class AuthWorld:
    uow_factory: InMemoryUnitOfWorkFactory = attrs.Factory(InMemoryUnitOfWorkFactory)
    clock: ManualClock = attrs.Factory(ManualClock)
    ids: SequentialIdGenerator = attrs.Factory(SequentialIdGenerator)
    hasher: Argon2PasswordHasher = attrs.Factory(cheap_hasher)
    tokens: JwtTokenService = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.tokens = JwtTokenService(
            secret_key=SECRET_KEY,
            issuer="promptlab",
            audience="promptlab-api",
            access_token_lifetime=ACCESS_LIFETIME,
            refresh_token_lifetime=REFRESH_LIFETIME,
            clock=self.clock,
            ids=self.ids,
        )

    async def register(
        self, email: str = "ada@example.com", *, full_name: str = "Ada Lovelace"
    ) -> RegisterResult:
        register = RegisterUser(self.uow_factory(), self.hasher, self.tokens, self.clock, self.ids)
        return await register(RegisterCommand(email=email, password=PASSWORD, full_name=full_name))

    async def login(
        self,
        email: str = "ada@example.com",
        password: str = PASSWORD,
        *,
        hasher: Argon2PasswordHasher | None = None,
    ) -> TokenPair:
        login = LoginUser(
            self.uow_factory(), hasher or self.hasher, self.tokens, self.clock, self.ids
        )
        return await login(LoginCommand(email=email, password=password))

    async def refresh(self, refresh_token: str) -> TokenPair:
        refresh = RefreshTokens(self.uow_factory(), self.uow_factory, self.tokens, self.clock)
        return await refresh(RefreshCommand(refresh=refresh_token))

    async def authenticate(self, access_token: str) -> User:
        return await AuthenticateRequest(self.uow_factory(write=False), self.tokens)(access_token)

    async def stored_user(self, email: str = "ada@example.com") -> User:
        async with self.uow_factory(write=False) as uow:
            user = await uow.users.get_by_email(email)
        assert user is not None
        return user

    async def deactivate(self, user: User) -> None:
        async with self.uow_factory() as uow:
            stored = await uow.users.get(user.id)
            assert stored is not None
            stored.is_active = False
            await uow.users.update(stored)
            await uow.commit()
