"""All settings in one typed object, read from the environment once (``TONEMATCH_*`` and ``REDIS_URL``)."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.dev_keys import MIN_SECRET_BYTES, development_secret

DATA_KEY_BYTES = 32  # AES-256
SECRET_FILE_NAME = "secret.key"  # noqa: S105 - a file name, not a secret
DATA_KEY_FILE_NAME = "data.key"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Settings(BaseSettings):
    """Service settings. Every field can be set as ``TONEMATCH_<FIELD>``; Redis also as ``REDIS_URL``."""

    model_config = SettingsConfigDict(env_prefix="TONEMATCH_", frozen=True, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Field(default=Path("var"), description="Local state: embedded Redis data, dev secret key")
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "TONEMATCH_REDIS_URL"),
        description="Redis to use; when unset, `tonematch serve` starts an embedded one under data_dir",
    )
    redis_server_binary: Path | None = None
    secret_key: SecretStr | None = Field(default=None, description="Signs bearer tokens (at least 32 bytes)")
    token_issuer: str = "tonematch"  # noqa: S105 - the JWT "iss" claim
    token_ttl_seconds: int = Field(default=24 * 3600, gt=0, le=366 * 24 * 3600)
    max_json_body_bytes: int = Field(default=64 * 1024, gt=0, description="Limit for JSON request bodies")
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, gt=0, description="Limit for photo uploads")
    redis_timeout_seconds: float = Field(default=2.0, gt=0)
    body_chunk_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Each part of a request body must arrive within this (408 otherwise)"
    )
    body_timeout_seconds: float = Field(
        default=60.0, gt=0, description="The whole request body must arrive within this of the request's start"
    )
    keep_alive_timeout_seconds: float = Field(
        default=5.0, gt=0, description="An idle keep-alive connection is closed after this (uvicorn)"
    )
    privacy_notice_versions: list[str] = Field(
        default=["2026-01"],
        min_length=1,
        description="Privacy notice versions a customer may consent to (JSON list); others are refused (422)",
    )
    rate_limit_measurements_per_hour: int = Field(
        default=60, gt=0, description="Measurements a customer may post an hour (429 with Retry-After beyond)"
    )
    rate_limit_orders_per_hour: int = Field(
        default=20, gt=0, description="Orders and reorders a customer may post an hour (429 with Retry-After beyond)"
    )
    storage_grace_seconds: float = Field(
        default=15.0,
        ge=0,
        description="`/healthz` stays 200 this long after Redis last answered (a restart takes seconds), then 503",
    )
    face_model: Path | None = Field(
        default=None, description="YuNet ONNX file for server-side face finding; OpenCV's Haar cascade otherwise"
    )
    measurement_workers: int = Field(default=2, ge=1, le=64, description="Photos measured at once")
    base_library: str | None = Field(
        default=None, description="Base library version for recipes: a lab-fitted one in data_dir/bases, or packaged"
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = Field(
        default="json", description="JSON lines with a request id (outside tests), or the standard library's text"
    )
    redis_cluster: bool = Field(default=False, description="Connect to `redis_url` as a Redis Cluster")
    retention_days: int = Field(
        default=365, ge=1, le=3650, description="Measurements expire after this many days unless an order keeps them"
    )
    idempotency_hours: int = Field(
        default=7 * 24, ge=1, le=90 * 24, description="How long an Idempotency-Key of POST /v1/orders is remembered"
    )
    data_keys: dict[str, SecretStr] | None = Field(
        default=None,
        description='AES-256 keys for personal data at rest, JSON {"key id": "base64url key"}; required in production',
    )
    data_key_id: str | None = Field(default=None, description="Which of `data_keys` seals new values")
    reorder_threshold_dE00: float = Field(
        default=2.0,
        gt=0,
        le=20,
        description="A new measurement this far (CIEDE2000) from an order's suggests a new formulation",
    )
    fulfilment_webhook_url: str | None = Field(
        default=None, description="Where ready-to-ship events are POSTed; none: events wait in the outbox"
    )
    fulfilment_webhook_secret: SecretStr | None = Field(
        default=None, description="Standard Webhooks secret (whsec_...) that signs outbound events"
    )
    fulfilment_inbound_secret: SecretStr | None = Field(
        default=None, description="Standard Webhooks secret the fulfilment partner signs its events with"
    )
    webhook_max_attempts: int = Field(default=12, ge=1, le=100, description="Attempts before the dead-letter list")
    webhook_backoff_seconds: float = Field(default=2.0, gt=0, le=3600, description="First retry delay; doubles")
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=86400)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    max_catalogue_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="Limit for a shade catalogue file (`catalog import`, PUT /v1/admin/catalog/sources/{name})",
    )
    # Batch sizes the lab's dispenser makes (the batch sheet refuses others with 422 batch_size_not_makeable).
    # 15 g is the smallest bottle sold. The physical library's recipes hold a few tenths of a per cent of red and
    # yellow: with the grams searched on the 0.01 g grid, a 15 g batch's worst drawdown reading moves at most 0.31
    # ΔE00 from the recipe's (phys-2026.3, medium, L* 25-70; largest remainders alone up to 0.93) but 0.60-0.75 for
    # L* 75-80 (alone: 1.56-2.62); the batch sheet flags any batch over half the QC tolerance and names a size that
    # fits (demo recipes: ≤ 0.15).
    batch_min_g: float = Field(default=15.0, gt=0, description="Smallest batch the batch sheet gives, grams")
    batch_max_g: float = Field(
        default=5000.0, gt=0, description="Largest batch, grams: what the dispenser's mixing vessel holds"
    )
    batch_step_g: float = Field(
        default=1.0, gt=0, description="Batch sizes are whole multiples of this, grams (the dispenser's batch program)"
    )
    # The lab's console (``/lab/``): a session outlives one shift (8 h) and no more, so a console left signed in on a
    # shared bench computer is closed by the next morning; the cookie is Secure unless a localhost test serves HTTP.
    lab_session_seconds: int = Field(
        default=8 * 3600, ge=60, le=7 * 24 * 3600, description="Lab console sign-ins last this long, then end"
    )
    lab_cookie_secure: bool = Field(
        default=True,
        description="Mark the lab console's cookies Secure (HTTPS only); false only for plain-HTTP localhost tests",
    )

    @field_validator("secret_key")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"TONEMATCH_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")
        return value

    @model_validator(mode="after")
    def _secure_cookies_off_only_on_localhost(self) -> Settings:
        if not self.lab_cookie_secure and (self.environment == "production" or self.host not in LOOPBACK_HOSTS):
            raise ValueError(
                "TONEMATCH_LAB_COOKIE_SECURE=false is only for plain-HTTP tests on localhost (not in production, and "
                "only with TONEMATCH_HOST 127.0.0.1, ::1 or localhost)"
            )
        return self

    @field_validator("fulfilment_webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("TONEMATCH_FULFILMENT_WEBHOOK_URL must be an http:// or https:// URL")
        return value

    def resolved_secret_key(self) -> str:
        """The token signing key: the configured one, else (outside production) a key kept in data_dir.

        The development key is created once with 0600 permissions so that tokens minted by
        `tonematch token create` keep working across restarts of `tonematch serve`.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return self._development_secret("TONEMATCH_SECRET_KEY", SECRET_FILE_NAME, lambda: secrets.token_urlsafe(48))

    def resolved_data_keys(self) -> tuple[dict[str, str], str]:
        """The data keys (base64url) and the current key id: configured, else (outside production) a development
        key kept in data_dir. ``api.sealing`` decodes and checks them."""
        if self.data_keys is not None:
            keys = {key_id: value.get_secret_value() for key_id, value in self.data_keys.items()}
            current = self.data_key_id or (sorted(keys)[-1] if keys else "")
            return keys, current
        key = self._development_secret(
            "TONEMATCH_DATA_KEYS", DATA_KEY_FILE_NAME, lambda: secrets.token_urlsafe(DATA_KEY_BYTES)
        )
        return {"dev": key}, "dev"

    def resolved_webhook_secret(self, inbound: bool) -> str:
        """Standard Webhooks secret for outbound signing or inbound verification (development: kept in data_dir)."""
        configured = self.fulfilment_inbound_secret if inbound else self.fulfilment_webhook_secret
        if configured is not None:
            return configured.get_secret_value()
        name = "TONEMATCH_FULFILMENT_INBOUND_SECRET" if inbound else "TONEMATCH_FULFILMENT_WEBHOOK_SECRET"
        file_name = "webhook-inbound.secret" if inbound else "webhook-outbound.secret"
        return self._development_secret(name, file_name, lambda: "whsec_" + base64.b64encode(os.urandom(32)).decode())

    def _development_secret(self, variable: str, file_name: str, make: Callable[[], str]) -> str:
        production = self.environment == "production"
        return development_secret(self.data_dir, file_name, make, production=production, variable=variable)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
