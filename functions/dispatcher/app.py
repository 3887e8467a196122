"""Webhook dispatcher: the delivery queue (events from the bus, and scheduled retries) to
signed POSTs, every endpoint concurrently. A message that cannot be read is reported as a batch
item failure; after the queue's maxReceiveCount it moves to the dead-letter queue, blocking nothing."""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain import delivery
from orgshare.observability import count, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # Read every message first, then post everything at once: endpoints of different messages
    # are delivered concurrently too, so a slow one delays nobody.
    planned: dict[str, list[delivery.Delivery]] = {}

    def plan(record: SQSRecord) -> None:
        planned[record.message_id] = delivery.deliveries_for(json.loads(record.body))

    response = process_partial_response(event=event, record_handler=plan, processor=processor, context=context)
    attempts = delivery.run([d for batch in planned.values() for d in batch])
    for attempt in attempts:
        count("WebhooksDelivered" if attempt["status"] == "succeeded" else "WebhooksFailed")
    logger.info("deliveries", extra={"messages": len(planned), "attempts": len(attempts)})
    return response
