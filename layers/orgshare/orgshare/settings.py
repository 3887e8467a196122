"""Settings read once from the environment (template.yaml sets them in Lambda, localrun locally).

A plain dataclass, not a pydantic model: importing pydantic's model machinery and building the
model was a fifth of the authorizer's cold import, and the authorizer needs no other pydantic. The
rules are still pydantic's: a value in the plain form its setting takes (the digits of an integer, a
decimal number, true or false) and within its bounds is read here; anything else (a missing table,
a value out of bounds, `yes` for a flag, ` 5`) goes to a pydantic model made from the same fields
(`_model`, built only then), which reads it as it always did or raises the ValidationError it
always raised.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Settings:
    # Each field's "env" is the variable it is read from (the field's own name is read too, when
    # that is missing, as pydantic's populate_by_name did); "gt", "ge" and "le" bound it.
    directory_table: str = field(metadata={"env": "DIRECTORY_TABLE"})
    data_table: str = field(metadata={"env": "DATA_TABLE"})
    events_table: str = field(metadata={"env": "EVENTS_TABLE"})
    idempotency_table: str = field(metadata={"env": "IDEMPOTENCY_TABLE"})
    # Only the dashboard's function is given this table (its sign-in sessions).
    dashboard_sessions_table: str | None = field(default=None, metadata={"env": "DASHBOARD_SESSIONS_TABLE"})
    max_body_bytes: int = field(default=262_144, metadata={"env": "MAX_BODY_BYTES", "gt": 0})
    idempotency_ttl_seconds: int = field(default=86_400, metadata={"env": "IDEMPOTENCY_TTL_SECONDS", "gt": 0})
    event_retention_days: int = field(default=30, metadata={"env": "EVENT_RETENTION_DAYS", "gt": 0})
    account_cache_seconds: int = field(default=60, metadata={"env": "ACCOUNT_CACHE_SECONDS", "ge": 0})
    # Short enough to answer inside API Gateway's 29 s; the local run gives moto longer (its
    # transactions copy whole tables, and a timed-out, retried transaction would fail its own guard).
    aws_read_timeout_seconds: float = field(default=5.0, metadata={"env": "AWS_READ_TIMEOUT_SECONDS", "gt": 0, "le": 120})
    # The event path (the events issue): where events go and how webhooks are delivered.
    event_bus_name: str | None = field(default=None, metadata={"env": "EVENT_BUS_NAME"})
    delivery_queue_url: str | None = field(default=None, metadata={"env": "DELIVERY_QUEUE_URL"})
    # The slow lane: retries, and deliveries to endpoints whose last attempt failed (domain/webhook_health.py).
    delivery_slow_queue_url: str | None = field(default=None, metadata={"env": "DELIVERY_SLOW_QUEUE_URL"})
    # An endpoint failing this long is disabled, with a webhook_endpoint.disabled event.
    webhook_disable_after_days: float = field(default=3.0, metadata={"env": "WEBHOOK_DISABLE_AFTER_DAYS", "gt": 0})
    webhook_timeout_seconds: float = field(default=5.0, metadata={"env": "WEBHOOK_TIMEOUT_SECONDS", "gt": 0, "le": 30})
    webhook_concurrency: int = field(default=128, metadata={"env": "WEBHOOK_CONCURRENCY", "ge": 1, "le": 512})
    # Seconds to wait before each retry; the default spreads 8 retries over 3 days, as Stripe does.
    webhook_retry_schedule: str = field(default="60,300,1800,3600,10800,21600,43200,172800", metadata={"env": "WEBHOOK_RETRY_SCHEDULE"})
    # Only the functions that save payment methods are given these (and the KMS grants for them).
    vault_key_id: str | None = field(default=None, metadata={"env": "VAULT_KEY_ID"})
    fingerprint_key_id: str | None = field(default=None, metadata={"env": "FINGERPRINT_KEY_ID"})
    # The HMAC key (in KMS) behind keyed hashes of secrets: API key lookups, idempotency fingerprints.
    lookup_key_id: str | None = field(default=None, metadata={"env": "LOOKUP_KEY_ID"})
    # Test-mode webhook endpoints on loopback (http://localhost): only the local system turns this on;
    # in a deployed stack loopback is the Lambda runtime's own API.
    # Where the API is reached from outside, for the URLs it hands out (checkout pages); by default
    # what each request came to. Set for a custom domain; the local system sets its own.
    public_base_url: str | None = field(default=None, metadata={"env": "PUBLIC_BASE_URL"})
    allow_loopback_webhooks: bool = field(default=False, metadata={"env": "ALLOW_LOOPBACK_WEBHOOKS"})
    # Sharing enablements: an account switches to the shared pool this long after the enablement,
    # once no cached answer about it (the authorizer's, an account record's) can still be served,
    # and no request that began before can still be running (the margin: API Gateway's 29 s).
    authorizer_cache_seconds: int = field(default=60, metadata={"env": "AUTHORIZER_CACHE_SECONDS", "ge": 0})
    sharing_switch_margin_seconds: float = field(default=35.0, metadata={"env": "SHARING_SWITCH_MARGIN_SECONDS", "ge": 0})
    migration_queue_url: str | None = field(default=None, metadata={"env": "MIGRATION_QUEUE_URL"})
    migration_batch_size: int = field(default=100, metadata={"env": "MIGRATION_BATCH_SIZE", "ge": 1, "le": 1000})
    migration_attempts: int = field(default=5, metadata={"env": "MIGRATION_ATTEMPTS", "ge": 1, "le": 20})
    # Seconds before the first retry of a failed batch; doubled each time, at most SQS's 900.
    migration_retry_seconds: int = field(default=10, metadata={"env": "MIGRATION_RETRY_SECONDS", "ge": 0, "le": 900})
    # A step whose checkpoint is older than this lost its successor: longer than the queue takes to
    # hand a dying step's message over again (its visibility timeout, 720 s).
    migration_stall_seconds: int = field(default=900, metadata={"env": "MIGRATION_STALL_SECONDS", "ge": 0})

    def sharing_switch_delay(self) -> float:
        return max(self.authorizer_cache_seconds, self.account_cache_seconds) + self.sharing_switch_margin_seconds

    def retry_delays(self) -> list[int]:
        return [int(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]


class _NotPlain(Exception):
    """A value this module does not read itself: pydantic's rules decide it (`_model`)."""


# The forms read here, each exactly as pydantic reads it; any other form is left to pydantic.
_INTEGER = re.compile(r"0|[1-9][0-9]{0,17}")
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")
_BOOLEANS = {"true": True, "false": False}


def _plain(kind: Any, text: str, bounds: Mapping[str, Any]) -> Any:
    if kind is int or kind is float:
        if not (_INTEGER if kind is int else _DECIMAL).fullmatch(text):
            raise _NotPlain
        value: Any = kind(text)
        above = ("gt" not in bounds or value > bounds["gt"]) and ("ge" not in bounds or value >= bounds["ge"])
        if not above or ("le" in bounds and value > bounds["le"]):
            raise _NotPlain  # out of bounds: pydantic's error tells it
        return value
    if kind is bool:
        if text not in _BOOLEANS:
            raise _NotPlain
        return _BOOLEANS[text]
    return text  # str, and str | None: any string, as it is


def _model() -> Any:
    """The pydantic model these settings were (the same fields, aliases, bounds and config)."""
    from pydantic import ConfigDict, Field, create_model

    spec: dict[str, Any] = {}
    for f in fields(Settings):
        bounds = {k: v for k, v in f.metadata.items() if k != "env"}
        spec[f.name] = (f.type, Field(... if f.default is MISSING else f.default, alias=f.metadata["env"], **bounds))
    return create_model("Settings", __config__=ConfigDict(frozen=True, populate_by_name=True), **spec)


def parse(environ: Mapping[str, str]) -> Settings:
    """Settings from `environ`, as pydantic validated them: the values, or its ValidationError."""
    values: dict[str, Any] = {}
    try:
        for f in fields(Settings):
            env = f.metadata["env"]
            text = environ[env] if env in environ else environ.get(f.name)
            if text is None:
                if f.default is MISSING:
                    raise _NotPlain
                continue
            values[f.name] = _plain(f.type, text, f.metadata)
    except _NotPlain:
        return Settings(**_model().model_validate(dict(environ)).model_dump())
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return parse(os.environ)
