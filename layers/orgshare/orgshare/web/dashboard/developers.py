"""The Developers page group: webhook endpoints, events and their deliveries, API keys, business
profiles and connectors, sharing enablement. pages.PAGES serves these modules' routes."""

from __future__ import annotations

from types import ModuleType

from orgshare.web.dashboard import developers_events, developers_keys, developers_profiles, developers_sharing, developers_webhooks

DEVELOPER_PAGES: tuple[ModuleType, ...] = (developers_webhooks, developers_events, developers_keys, developers_profiles, developers_sharing)
