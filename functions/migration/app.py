"""Migration worker: the steps of sharing enablements, one bounded batch per queue message.

A step that raises is retried by the worker itself, later, with backoff (and reported on the
enablement as failed after MIGRATION_ATTEMPTS); a worker that dies or times out leaves its message
to the queue, which hands it over again and, after maxReceiveCount, to the dead-letter queue."""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.domain.migration import worker
from orgshare.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def _step(record: SQSRecord) -> None:
    worker.handle(json.loads(record.body))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_step, processor=processor, context=context)
