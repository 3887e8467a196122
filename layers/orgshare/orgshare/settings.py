"""Settings read once from the environment (template.yaml sets them in Lambda, localrun locally)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    directory_table: str = Field(alias="DIRECTORY_TABLE")
    data_table: str = Field(alias="DATA_TABLE")
    events_table: str = Field(alias="EVENTS_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    # Only the dashboard's function is given this table (its sign-in sessions).
    dashboard_sessions_table: str | None = Field(default=None, alias="DASHBOARD_SESSIONS_TABLE")
    max_body_bytes: int = Field(default=262_144, alias="MAX_BODY_BYTES", gt=0)
    idempotency_ttl_seconds: int = Field(default=86_400, alias="IDEMPOTENCY_TTL_SECONDS", gt=0)
    event_retention_days: int = Field(default=30, alias="EVENT_RETENTION_DAYS", gt=0)
    account_cache_seconds: int = Field(default=60, alias="ACCOUNT_CACHE_SECONDS", ge=0)
    # Short enough to answer inside API Gateway's 29 s; the local run gives moto longer (its
    # transactions copy whole tables, and a timed-out, retried transaction would fail its own guard).
    aws_read_timeout_seconds: float = Field(default=5.0, alias="AWS_READ_TIMEOUT_SECONDS", gt=0, le=120)
    # The event path (the events issue): where events go and how webhooks are delivered.
    event_bus_name: str | None = Field(default=None, alias="EVENT_BUS_NAME")
    delivery_queue_url: str | None = Field(default=None, alias="DELIVERY_QUEUE_URL")
    # The slow lane: retries, and deliveries to endpoints whose last attempt failed (domain/webhook_health.py).
    delivery_slow_queue_url: str | None = Field(default=None, alias="DELIVERY_SLOW_QUEUE_URL")
    # An endpoint failing this long is disabled, with a webhook_endpoint.disabled event.
    webhook_disable_after_days: float = Field(default=3.0, alias="WEBHOOK_DISABLE_AFTER_DAYS", gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, alias="WEBHOOK_TIMEOUT_SECONDS", gt=0, le=30)
    webhook_concurrency: int = Field(default=128, alias="WEBHOOK_CONCURRENCY", ge=1, le=512)
    # Seconds to wait before each retry; the default spreads 8 retries over 3 days, as Stripe does.
    webhook_retry_schedule: str = Field(default="60,300,1800,3600,10800,21600,43200,172800", alias="WEBHOOK_RETRY_SCHEDULE")
    # Only the functions that save payment methods are given these (and the KMS grants for them).
    vault_key_id: str | None = Field(default=None, alias="VAULT_KEY_ID")
    fingerprint_key_id: str | None = Field(default=None, alias="FINGERPRINT_KEY_ID")
    # The HMAC key (in KMS) behind keyed hashes of secrets: API key lookups, idempotency fingerprints.
    lookup_key_id: str | None = Field(default=None, alias="LOOKUP_KEY_ID")
    # Test-mode webhook endpoints on loopback (http://localhost): only the local system turns this on;
    # in a deployed stack loopback is the Lambda runtime's own API.
    # Where the API is reached from outside, for the URLs it hands out (checkout pages); by default
    # what each request came to. Set for a custom domain; the local system sets its own.
    public_base_url: str | None = Field(default=None, alias="PUBLIC_BASE_URL")
    allow_loopback_webhooks: bool = Field(default=False, alias="ALLOW_LOOPBACK_WEBHOOKS")
    # Sharing enablements: an account switches to the shared pool this long after the enablement,
    # once no cached answer about it (the authorizer's, an account record's) can still be served,
    # and no request that began before can still be running (the margin: API Gateway's 29 s).
    authorizer_cache_seconds: int = Field(default=60, alias="AUTHORIZER_CACHE_SECONDS", ge=0)
    sharing_switch_margin_seconds: float = Field(default=35.0, alias="SHARING_SWITCH_MARGIN_SECONDS", ge=0)
    migration_queue_url: str | None = Field(default=None, alias="MIGRATION_QUEUE_URL")
    migration_batch_size: int = Field(default=100, alias="MIGRATION_BATCH_SIZE", ge=1, le=1000)
    migration_attempts: int = Field(default=5, alias="MIGRATION_ATTEMPTS", ge=1, le=20)
    # Seconds before the first retry of a failed batch; doubled each time, at most SQS's 900.
    migration_retry_seconds: int = Field(default=10, alias="MIGRATION_RETRY_SECONDS", ge=0, le=900)
    # A step whose checkpoint is older than this lost its successor: longer than the queue takes to
    # hand a dying step's message over again (its visibility timeout, 720 s).
    migration_stall_seconds: int = Field(default=900, alias="MIGRATION_STALL_SECONDS", ge=0)

    def sharing_switch_delay(self) -> float:
        return max(self.authorizer_cache_seconds, self.account_cache_seconds) + self.sharing_switch_margin_seconds

    def retry_delays(self) -> list[int]:
        return [int(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
