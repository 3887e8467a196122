"""Webhook endpoint parameters (Stripe's /v1/webhook_endpoints)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from orgshare.params.common import ListParams, Metadata, Params, Unsettable

EventType = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$")]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class WebhookEndpointCreate(Params):
    url: Url
    enabled_events: Annotated[list[EventType], Field(min_length=1, max_length=100)]
    description: Unsettable[str] = Field(None, max_length=5000)
    metadata: Metadata = None
    # orgshare's addition: "organization" endpoints (platform key only) get every account's events.
    scope: Literal["account", "organization"] = "account"
    api_version: Annotated[str, StringConstraints(max_length=64)] | None = None


class WebhookEndpointUpdate(Params):
    url: Url | None = None
    enabled_events: Annotated[list[EventType], Field(min_length=1, max_length=100)] | None = None
    description: Unsettable[str] = Field(None, max_length=5000)
    metadata: Metadata = None
    disabled: bool | None = None


class WebhookEndpointRetrieve(Params):
    pass


class WebhookEndpointList(ListParams):
    pass
