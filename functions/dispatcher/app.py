"""Webhook dispatcher: the delivery queue (events from the bus, and scheduled retries) to
signed POSTs, every endpoint of every message concurrently.

Each message succeeds or fails alone (a partial batch response): one that cannot be read, or whose
attempts or retries cannot be written, is reported as a batch item failure and handed over again
(after the queue's maxReceiveCount it moves to the dead-letter queue, blocking nothing). A failed
POST is no such failure: it is a recorded attempt and a scheduled retry of its own."""

import json
from concurrent.futures import Future
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain import delivery
from orgshare.observability import count, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def _plan(records: list[dict[str, Any]]) -> dict[str, list[delivery.Delivery] | Exception]:
    """What each message asks for, or why it could not be read."""
    planned: dict[str, list[delivery.Delivery] | Exception] = {}
    for record in map(SQSRecord, records):
        try:
            planned[record.message_id] = delivery.deliveries_for(json.loads(record.body))
        except Exception as exc:  # reported, with this message only, by the batch processor below
            planned[record.message_id] = exc
    return planned


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    planned = _plan(event["Records"])
    # Every POST of the batch starts now, so a slow endpoint delays nobody; each message then waits
    # for its own and records them.
    posting: dict[str, list[Future[dict[str, Any]]]] = {
        message: delivery.start(plan) for message, plan in planned.items() if not isinstance(plan, Exception)
    }

    def settle(record: SQSRecord) -> None:
        plan = planned[record.message_id]
        if isinstance(plan, Exception):
            raise plan
        attempts = [f.result() for f in posting[record.message_id]]
        for attempt in attempts:
            count("WebhooksDelivered" if attempt["status"] == "succeeded" else "WebhooksFailed")
        delivery.settle(plan, attempts)

    response = process_partial_response(event=event, record_handler=settle, processor=processor, context=context)
    logger.info("deliveries", extra={"messages": len(planned), "attempts": sum(len(p) for p in posting.values())})
    return response
