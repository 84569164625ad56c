"""Settings read once from PROMPTLAB_* environment variables at startup."""

from __future__ import annotations

import importlib.util
import os
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from promptlab.domain.sessions import (
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_LENGTH,
)
from promptlab.domain.text import MAX_MESSAGE_LENGTH, MAX_MESSAGES_PER_PROMPT, MAX_PROMPT_LENGTH

PREFIX = "PROMPTLAB_"
MIN_SECRET_KEY_BYTES = 32
SECRET_KEY_FILE_NAME = "secret_key"

T = TypeVar("T")


class SettingsError(ValueError):
    """A PROMPTLAB_* variable has an invalid value. The message names the variable and the fix."""


def default_data_dir() -> Path:
    """Return the per-user data folder: $XDG_DATA_HOME/promptlab, else ~/.local/share/promptlab."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "promptlab"


@attrs.frozen
class RateLimitSetting:
    """At most `requests` per `window_seconds`; written as `10/60` (ten per minute)."""

    requests: int
    window_seconds: int


@attrs.frozen(kw_only=True)
class Settings:
    """Every tunable of a deployment. See the README's configuration table for each variable."""

    data_dir: Path
    database_url: str
    secret_key: bytes
    # Tokens
    jwt_issuer: str = "promptlab"
    jwt_audience: str = "promptlab-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    jwt_leeway_seconds: int = 0
    # Password hashing (argon2id); memory in KiB. Defaults: the OWASP Password Storage
    # Cheat Sheet's minimum (19 MiB, 2 passes, 1 lane). Each login or registration in
    # progress uses this memory, so it bounds what concurrent logins cost a worker.
    argon2_time_cost: int = 2
    argon2_memory_cost: int = 19456
    argon2_parallelism: int = 1
    # HTTP edge
    max_request_body_bytes: int = 2 * 1024 * 1024
    default_page_size: int = 50
    max_page_size: int = 200
    listed_prompts_cache_bytes: int = 8 * 1024 * 1024
    trust_forwarded_for: bool = False
    # Rate limits
    redis_url: str | None = None
    rate_limit_login: RateLimitSetting = RateLimitSetting(10, 60)
    rate_limit_register: RateLimitSetting = RateLimitSetting(5, 60)
    rate_limit_refresh: RateLimitSetting = RateLimitSetting(30, 60)
    rate_limit_execute: RateLimitSetting = RateLimitSetting(60, 60)
    # Counted per client address, besides the per-user limit above, so that
    # many accounts behind one client cannot multiply what one user may run.
    rate_limit_execute_per_client: RateLimitSetting = RateLimitSetting(300, 60)
    rate_limits_enabled: bool = True
    # Database
    db_pool_size: int = 10
    db_max_overflow: int = 10
    sqlite_busy_timeout_ms: int = 30_000
    auto_migrate: bool = True
    # Models and providers
    models_file: Path | None = None
    local_model_path: Path | None = None
    local_model_concurrency: int = 1
    local_model_context: int = 2048
    provider_timeout_seconds: float = 60.0
    execution_deadline_seconds: float = 300.0
    provider_max_attempts: int = 3
    provider_retry_after_cap_seconds: float = 30.0
    provider_backoff_initial_seconds: float = 0.5
    provider_backoff_max_seconds: float = 8.0
    reaper_interval_seconds: float = 60.0
    # Prompt text and session metadata; lengths in Unicode code points
    max_messages_per_prompt: int = MAX_MESSAGES_PER_PROMPT
    max_message_length: int = MAX_MESSAGE_LENGTH
    max_prompt_length: int = MAX_PROMPT_LENGTH
    max_metadata_keys: int = MAX_METADATA_KEYS
    max_metadata_key_length: int = MAX_METADATA_KEY_LENGTH
    max_metadata_value_length: int = MAX_METADATA_VALUE_LENGTH
    # Logging
    log_level: str = "INFO"

    @property
    def is_embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from `environ` (default os.environ); `overrides` win over both.

        Raises SettingsError naming the variable for any invalid value.
        """
        env = _Reader(os.environ if environ is None else environ)
        data_dir = env.get("DATA_DIR", Path, default_data_dir())
        data_dir = overrides.pop("data_dir", data_dir)
        database_url = overrides.pop(
            "database_url",
            env.get("DATABASE_URL", str, f"sqlite+aiosqlite:///{Path(data_dir) / 'promptlab.db'}"),
        )
        _check_database_url(database_url)

        secret_key = overrides.pop("secret_key", None)
        if secret_key is None:
            secret_key = _secret_key(env, Path(data_dir), database_url)

        values: dict[str, Any] = {
            "jwt_issuer": env.get("JWT_ISSUER", str, None),
            "jwt_audience": env.get("JWT_AUDIENCE", str, None),
            "access_token_ttl_seconds": env.get("ACCESS_TOKEN_TTL_SECONDS", _positive_int, None),
            "refresh_token_ttl_seconds": env.get("REFRESH_TOKEN_TTL_SECONDS", _positive_int, None),
            "jwt_leeway_seconds": env.get("JWT_LEEWAY_SECONDS", _non_negative_int, None),
            "argon2_time_cost": env.get("ARGON2_TIME_COST", _positive_int, None),
            "argon2_memory_cost": env.get("ARGON2_MEMORY_COST", _positive_int, None),
            "argon2_parallelism": env.get("ARGON2_PARALLELISM", _positive_int, None),
            "max_request_body_bytes": env.get("MAX_REQUEST_BODY_BYTES", _positive_int, None),
            "default_page_size": env.get("DEFAULT_PAGE_SIZE", _positive_int, None),
            "max_page_size": env.get("MAX_PAGE_SIZE", _positive_int, None),
            "listed_prompts_cache_bytes": env.get(
                "LISTED_PROMPTS_CACHE_BYTES", _non_negative_int, None
            ),
            "trust_forwarded_for": env.get("TRUST_FORWARDED_FOR", _bool, None),
            "redis_url": env.get("REDIS_URL", str, None),
            "rate_limit_login": env.get("RATE_LIMIT_LOGIN", _rate, None),
            "rate_limit_register": env.get("RATE_LIMIT_REGISTER", _rate, None),
            "rate_limit_refresh": env.get("RATE_LIMIT_REFRESH", _rate, None),
            "rate_limit_execute": env.get("RATE_LIMIT_EXECUTE", _rate, None),
            "rate_limit_execute_per_client": env.get("RATE_LIMIT_EXECUTE_PER_CLIENT", _rate, None),
            "rate_limits_enabled": env.get("RATE_LIMITS_ENABLED", _bool, None),
            "db_pool_size": env.get("DB_POOL_SIZE", _positive_int, None),
            "db_max_overflow": env.get("DB_MAX_OVERFLOW", _non_negative_int, None),
            "sqlite_busy_timeout_ms": env.get("SQLITE_BUSY_TIMEOUT_MS", _positive_int, None),
            "auto_migrate": env.get("AUTO_MIGRATE", _bool, None),
            "models_file": env.get("MODELS_FILE", _existing_file, None),
            "local_model_path": env.get("LOCAL_MODEL_PATH", _existing_file, None),
            "local_model_concurrency": env.get("LOCAL_MODEL_CONCURRENCY", _positive_int, None),
            "local_model_context": env.get("LOCAL_MODEL_CONTEXT", _positive_int, None),
            "provider_timeout_seconds": env.get("PROVIDER_TIMEOUT_SECONDS", _positive_float, None),
            "execution_deadline_seconds": env.get(
                "EXECUTION_DEADLINE_SECONDS", _positive_float, None
            ),
            "provider_max_attempts": env.get("PROVIDER_MAX_ATTEMPTS", _positive_int, None),
            "provider_retry_after_cap_seconds": env.get(
                "PROVIDER_RETRY_AFTER_CAP_SECONDS", _positive_float, None
            ),
            "provider_backoff_initial_seconds": env.get(
                "PROVIDER_BACKOFF_INITIAL_SECONDS", _positive_float, None
            ),
            "provider_backoff_max_seconds": env.get(
                "PROVIDER_BACKOFF_MAX_SECONDS", _positive_float, None
            ),
            "reaper_interval_seconds": env.get("REAPER_INTERVAL_SECONDS", _positive_float, None),
            "max_messages_per_prompt": env.get("MAX_MESSAGES_PER_PROMPT", _positive_int, None),
            "max_message_length": env.get("MAX_MESSAGE_LENGTH", _positive_int, None),
            "max_prompt_length": env.get("MAX_PROMPT_LENGTH", _positive_int, None),
            "max_metadata_keys": env.get("MAX_METADATA_KEYS", _positive_int, None),
            "max_metadata_key_length": env.get("MAX_METADATA_KEY_LENGTH", _positive_int, None),
            "max_metadata_value_length": env.get("MAX_METADATA_VALUE_LENGTH", _positive_int, None),
            "log_level": env.get("LOG_LEVEL", _log_level, None),
        }
        values = {key: value for key, value in values.items() if value is not None}
        values.update(overrides)
        settings = cls(
            data_dir=Path(data_dir), database_url=database_url, secret_key=secret_key, **values
        )
        if settings.default_page_size > settings.max_page_size:
            raise SettingsError(
                f"{PREFIX}DEFAULT_PAGE_SIZE ({settings.default_page_size}) must not exceed "
                f"{PREFIX}MAX_PAGE_SIZE ({settings.max_page_size})."
            )
        return settings


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self._environ.get(PREFIX + name)
        if raw is None or raw == "":
            return default
        try:
            return parse(raw)
        except (ValueError, TypeError) as error:
            raise SettingsError(f"{PREFIX}{name}={raw!r} is invalid: {error}") from error


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or a positive integer")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError("must be a positive number of seconds")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _rate(raw: str) -> RateLimitSetting:
    requests, _, window = raw.partition("/")
    try:
        parsed = RateLimitSetting(int(requests), int(window))
    except ValueError:
        raise ValueError("must be REQUESTS/SECONDS, for example 10/60") from None
    if parsed.requests < 1 or parsed.window_seconds < 1:
        raise ValueError("both numbers of REQUESTS/SECONDS must be positive")
    return parsed


def _existing_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ValueError(f"no file at {path}")
    return path


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _check_database_url(url: str) -> None:
    if url.startswith("postgresql+asyncpg://") and importlib.util.find_spec("asyncpg") is None:
        raise SettingsError(
            f"{PREFIX}DATABASE_URL names PostgreSQL, but its driver asyncpg is not installed. "
            "Install it with: .venv/bin/pip install -e '.[postgres]'"
        )
    if url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://"):
        return
    raise SettingsError(
        f"{PREFIX}DATABASE_URL={url!r} is not supported. Use sqlite+aiosqlite:///PATH "
        "or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE."
    )


def _secret_key(env: _Reader, data_dir: Path, database_url: str) -> bytes:
    """Return PROMPTLAB_SECRET_KEY, or for the embedded default a key kept in the data folder.

    A generated key is written once with owner-only permissions, so restarts
    and every worker on the machine sign and verify with the same key. With
    PostgreSQL, workers may run on several machines, so the key must be given.
    """
    given = env.get("SECRET_KEY", str, None)
    if given is not None:
        key = given.encode("utf-8")
        if len(key) < MIN_SECRET_KEY_BYTES:
            raise SettingsError(
                f"{PREFIX}SECRET_KEY is {len(key)} bytes; it must be at least "
                f"{MIN_SECRET_KEY_BYTES}. Generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return key

    if not database_url.startswith("sqlite"):
        raise SettingsError(
            f"{PREFIX}SECRET_KEY is required with {PREFIX}DATABASE_URL set to a server database, "
            "because every worker on every machine must share it. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return load_or_create_secret_key(data_dir)


def load_or_create_secret_key(data_dir: Path) -> bytes:
    path = data_dir / SECRET_KEY_FILE_NAME
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        # O_EXCL: when several workers start at once, one creates the file
        # and the others read what it wrote.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret_key(path)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return _read_secret_key(path)


def _read_secret_key(path: Path) -> bytes:
    # A racing worker may read before the creator's write lands, so wait briefly.
    for _ in range(50):
        key = path.read_bytes().strip()
        if key:
            break
        time.sleep(0.02)
    if len(key) < MIN_SECRET_KEY_BYTES:
        raise SettingsError(
            f"The secret key file {path} contains {len(key)} bytes; it must contain at least "
            f"{MIN_SECRET_KEY_BYTES}. Delete it to have a new one generated (this logs everyone out)."
        )
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return key
