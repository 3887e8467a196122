"""Event parameters (Stripe's /v1/events)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

from orgshare.params.common import ListParams, Params, WireInt

EventType = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Range(BaseModel):
    """created[gt]=..., created[lte]=...; a bare integer means exactly that second."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    gt: WireInt | None = None
    gte: WireInt | None = None
    lt: WireInt | None = None
    lte: WireInt | None = None

    def admits(self, value: int) -> bool:
        return (
            (self.gt is None or value > self.gt)
            and (self.gte is None or value >= self.gte)
            and (self.lt is None or value < self.lt)
            and (self.lte is None or value <= self.lte)
        )


def _exact(value: Any) -> Any:
    return {"gte": value, "lte": value} if isinstance(value, int | str) and not isinstance(value, bool) else value


class EventList(ListParams):
    type: EventType | None = None
    types: list[EventType] | None = None
    created: Annotated[Range | None, BeforeValidator(_exact)] = None


class EventRetrieve(Params):
    pass


class EventRetry(Params):
    webhook_endpoint: Annotated[str, StringConstraints(min_length=1, max_length=255)]
