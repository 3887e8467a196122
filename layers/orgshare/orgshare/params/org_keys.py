"""Organization API key parameters (the platform's own secret key manages them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from orgshare.params.common import ListParams, Params, WireBool, WireInt


class OrgKeyCreate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    expires_at: Annotated[WireInt, Field(gt=0)] | None = None
    # A read-only (restricted, rk_...) key: every POST and DELETE it makes is refused.
    read_only: WireBool = False


class OrgKeyList(ListParams):
    pass
