"""Organization sandboxes (a helper is writing this)."""

from __future__ import annotations

from typing import Any

from orgshare.domain.principal import Principal
from orgshare.errors import InvalidRequest
from orgshare.params.organization import SandboxCreate


def create(principal: Principal, params: SandboxCreate) -> dict[str, Any]:
    del principal, params
    raise InvalidRequest("Sandboxes are not available yet.", code="not_implemented")
