"""The organization view's projector: the projection queue (the organization's copy of each
payment, charge, refund, customer and payment method event, from the bus) into the view's items
(domain/organization/projection.py).

Each message succeeds or fails alone (a partial batch response): one that cannot be applied (a
lost race after several reads, a throttled table) is handed over again, after the queue's
visibility timeout; after maxReceiveCount it moves to the dead-letter queue, which raises an
alarm. Applying an event twice changes nothing, so redelivery is always safe."""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain.organization import projection
from orgshare.observability import count, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def apply(record: SQSRecord) -> None:
    written = projection.apply(json.loads(record.body)["detail"])
    count("ProjectedEvents" if written else "ProjectionSkips")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=apply, processor=processor, context=context)
