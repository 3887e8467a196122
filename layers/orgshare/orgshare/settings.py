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
    max_body_bytes: int = Field(default=262_144, alias="MAX_BODY_BYTES", gt=0)
    idempotency_ttl_seconds: int = Field(default=86_400, alias="IDEMPOTENCY_TTL_SECONDS", gt=0)
    event_retention_days: int = Field(default=30, alias="EVENT_RETENTION_DAYS", gt=0)
    act_as_cache_seconds: int = Field(default=60, alias="ACT_AS_CACHE_SECONDS", ge=0)
    # Only the functions that save payment methods are given these (and the KMS grants for them).
    vault_key_id: str | None = Field(default=None, alias="VAULT_KEY_ID")
    fingerprint_key_id: str | None = Field(default=None, alias="FINGERPRINT_KEY_ID")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
