"""Checkout expiry: every minute, open sessions past their expires_at become expired (with
checkout.session.expired), resuming where the last run stopped."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain.checkout import expiry
from orgshare.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    del event  # the schedule's event says nothing the sweep needs
    expired = expiry.sweep()
    logger.info("checkout sessions expired", extra={"expired": expired})
    return {"expired": expired}
