"""Webhook endpoint parameters (Stripe's /v1/webhook_endpoints)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from orgshare import event_types
from orgshare.params.common import ListParams, Metadata, Params, Unsettable


def _known(value: str) -> str:
    if not event_types.accepts(value):
        raise ValueError(f"'{value}' is not an event type orgshare sends (use '*', a type such as customer.created, or customer.*).")
    return value


# The index of a refused entry is its param: enabled_events[N].
EventType = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_known)]
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
