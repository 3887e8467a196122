"""Logger, tracer and metrics, one of each per process."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from orgshare.masking import CardDataFilter, MaskingFormatter

logger = Logger(logger_formatter=MaskingFormatter())
logger.addFilter(CardDataFilter())
tracer = Tracer()
metrics = Metrics()
_METRICS_ON = not is_metrics_disabled()


def count(name: str) -> None:
    # Powertools still prints a disabled metric set once it holds 100 values: add none then.
    if _METRICS_ON:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
