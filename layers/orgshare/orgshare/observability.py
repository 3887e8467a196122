"""Logger, tracer and metrics, one of each per process.

The tracer is powertools' own where tracing is on (in Lambda, the template's `Tracing: Active`);
where powertools would switch it off anyway (POWERTOOLS_TRACE_DISABLED, or outside Lambda: the
local system, tests, `make bench`), a stand-in that adds nothing, because `Tracer()` imports the
X-Ray SDK, a third of a handler's cold import, even to disable it.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from orgshare.masking import CardDataFilter, MaskingFormatter

F = TypeVar("F", bound=Callable[..., Any])


class _Untraced:
    """What the handlers use of a Tracer, doing nothing (tracing is off)."""

    def capture_lambda_handler(self, handler: F) -> F:
        return handler


logger = Logger(logger_formatter=MaskingFormatter())
logger.addFilter(CardDataFilter())
# Typed as powertools' Tracer: the stand-in has the one method the handlers call.
tracer: Tracer = cast(Tracer, _Untraced()) if Tracer._is_tracer_disabled() else Tracer()
metrics = Metrics()
_METRICS_ON = not is_metrics_disabled()


def count(name: str) -> None:
    # Powertools still prints a disabled metric set once it holds 100 values: add none then.
    if _METRICS_ON:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
