"""Outbox publisher: the events table's stream to per-account events on the EventBridge bus.

A batch item that fails (a throttled write, PutEvents still failing after its retries) is
reported, and the stream hands it (and what follows it in its shard) over again: a committed change
reaches the bus even if this function dies mid-batch. Event ids are derived from the change, so
a second run writes the same events again rather than new ones.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain import events
from orgshare.observability import count, logger, metrics, tracer
from orgshare.storage.outbox import change_from_stream

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    image = (record.raw_event.get("dynamodb") or {}).get("NewImage")
    change = change_from_stream(image) if record.raw_event.get("eventName") == "INSERT" and image else None
    if change is None:
        return  # event and attempt items share the table; only change records are published
    published = events.publish(change)
    logger.info("change published", extra={"change": change["id"], "type": change["type"], "events": published})
    count("EventsPublished")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
