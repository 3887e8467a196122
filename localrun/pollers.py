"""Lambda's event source mappings, locally: a DynamoDB stream and an SQS queue polled on threads,
each batch handed to the real function in-process, with the template's filter criteria and
partial batch failure reporting (failed stream records are retried, failed messages redelivered);
and EventBridge schedules (`Type: Schedule`), each a thread invoking its function at its rate."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3

from localrun import template as tpl
from localrun.gateway import Function, InFlight
from localrun.moto_server import Changes

# An idle poller waits for moto's next change (moto_server.Changes), at most this long: what no
# change announces (a message whose visibility timeout ends) is picked up by then.
_IDLE_WAIT = 0.5
# How long a batch waits for the API requests being served to finish (gateway.InFlight).
_YIELD_BOUND = 0.2


def _matches(pattern: Any, value: Any) -> bool:
    """The subset of EventBridge/Lambda filter patterns the template uses: nested objects, lists
    of accepted values, and {"prefix": ...}."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_matches(p, value.get(k)) for k, p in pattern.items())
    return any(
        (isinstance(option, dict) and isinstance(value, str) and value.startswith(option["prefix"])) or option == value
        for option in pattern
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class StreamPoller(threading.Thread):
    def __init__(
        self,
        function: Function,
        stream_arn: str,
        props: dict[str, Any],
        stop: threading.Event,
        changes: Changes,
        in_flight: InFlight,
        paused: bool = False,
    ) -> None:
        super().__init__(daemon=True, name=f"stream-{function.name}")
        self.function, self.stream_arn, self.stop, self.changes, self.paused = function, stream_arn, stop, changes, paused
        self.in_flight = in_flight
        self.batch_size = int(props.get("BatchSize", 100))
        self.patterns = [json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]
        self.table = stream_arn.split(":", 5)[5].split("/")[1]  # arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
        # The sequence number of the last record handed on (delivered, failed for good, or filtered
        # out); None before the first. Local persistence keeps what comes after it.
        self.checkpoint: int | None = None
        self.progressed: Callable[[], None] = lambda: None

    def _deliver(self, records: list[dict[str, Any]]) -> bool:
        """Hands `records` on; False if stopped before they all were."""
        # A failed record and everything after it in the shard are retried, as Lambda does.
        for _ in range(10):
            if not records:
                return True
            if self.stop.is_set():
                return False
            self.in_flight.yield_to_requests(_YIELD_BOUND)
            failures = _failures(self.function, records, lambda r: r["dynamodb"]["SequenceNumber"])
            if not failures:
                return True
            first = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == failures[0]["itemIdentifier"])
            records = records[first:]
            self.stop.wait(0.2)
        return True  # given up on after its retries, as Lambda does

    def run(self) -> None:
        if self.paused:  # LOCALRUN_PAUSE_STREAM: changes are committed but never handed on (tests of a restart)
            return
        streams = boto3.client("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        iterators = {
            s["ShardId"]: streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON")[
                "ShardIterator"
            ]
            for s in shards
        }
        while not self.stop.is_set():
            busy, seen = False, self.changes.seen("tables")
            for shard, iterator in list(iterators.items()):
                answer = streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
                iterators[shard] = answer["NextShardIterator"]
                records = [
                    {"eventID": r["eventID"], "eventName": r["eventName"], "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                     "awsRegion": "us-east-1", "dynamodb": _plain(r["dynamodb"]), "eventSourceARN": self.stream_arn}
                    for r in answer.get("Records", [])
                ]  # fmt: skip
                wanted = [r for r in records if not self.patterns or any(_matches(p, r) for p in self.patterns)]
                busy = busy or bool(records)
                if not self._deliver(wanted):
                    return  # stopping: what was not handed on stays after the checkpoint
                if records:
                    self.checkpoint = int(records[-1]["dynamodb"]["SequenceNumber"])
                    self.progressed()
            if not busy:
                self.changes.wait("tables", seen, _IDLE_WAIT)


class QueuePoller(threading.Thread):
    def __init__(
        self,
        function: Function,
        queue_url: str,
        queue_arn: str,
        props: dict[str, Any],
        stop: threading.Event,
        changes: Changes,
        in_flight: InFlight,
    ) -> None:
        super().__init__(daemon=True, name=f"queue-{function.name}")
        self.function, self.queue_url, self.queue_arn, self.stop, self.changes = function, queue_url, queue_arn, stop, changes
        self.in_flight = in_flight
        self.batch_size = min(int(props.get("BatchSize", 10)), 10)

    def run(self) -> None:
        sqs = boto3.client("sqs")
        while not self.stop.is_set():
            seen = self.changes.seen("messages")
            messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size).get("Messages", [])
            if not messages:  # no long poll: moto's loops over the queue every 10 ms while it waits
                self.changes.wait("messages", seen, _IDLE_WAIT)
                continue
            records = [
                {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "attributes": {},
                 "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
                 "eventSourceARN": self.queue_arn, "awsRegion": "us-east-1"}
                for m in messages
            ]  # fmt: skip
            self.in_flight.yield_to_requests(_YIELD_BOUND)
            failed = {f["itemIdentifier"] for f in _failures(self.function, records, lambda r: r["messageId"])}
            done: Any = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages) if m["MessageId"] not in failed
            ]
            if done:
                sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done)
            for m in messages:
                if m["MessageId"] in failed:  # back soon (not after the queue's full visibility timeout)
                    sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=1)


def _failures(function: Function, records: list[dict[str, Any]], item_id: Callable[[dict[str, Any]], str]) -> list[dict[str, str]]:
    """The batch's failed items, as the function reports them. A function that raises failed the
    whole batch, as in Lambda: it is handed over again, and the poller, which carries every
    organization's events, goes on."""
    try:
        return list(function.invoke({"Records": records}).get("batchItemFailures") or [])
    except Exception:
        logging.getLogger("localrun").exception("%s failed on a batch of %d; it will be handed over again", function.name, len(records))
        return [{"itemIdentifier": item_id(r)} for r in records]


PAUSE_STREAM = "LOCALRUN_PAUSE_STREAM"  # local-only switch: "1" holds the stream poller back


_RATE = re.compile(r"^rate\((\d+) (second|minute|hour|day)s?\)$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def schedule_seconds(expression: str) -> float:
    """A schedule's period: `rate(1 minute)` is 60. LOCALRUN_SCHEDULE_SECONDS overrides every
    schedule's (local only: tests of scheduled work need not wait a minute)."""
    override = os.environ.get("LOCALRUN_SCHEDULE_SECONDS")
    if override:
        return float(override)
    match = _RATE.match(expression.strip())
    if match is None:
        raise ValueError(f"unsupported schedule expression for the local run: {expression}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class ScheduleRunner(threading.Thread):
    def __init__(self, function: Function, expression: str, stop: threading.Event) -> None:
        super().__init__(daemon=True, name=f"schedule-{function.name}")
        self.function, self.period, self.stop = function, schedule_seconds(expression), stop

    def run(self) -> None:
        event = {"version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        while not self.stop.wait(self.period):
            try:
                self.function.invoke(event)
            except Exception:  # as in Lambda, a failed run is only that: the next one comes
                logging.getLogger("localrun").exception("scheduled %s failed", self.function.name)


def start_pollers(
    template: dict[str, Any],
    physical: tpl.Physical,
    functions: dict[str, Function],
    stop: threading.Event,
    changes: Changes,
    in_flight: InFlight,
    pause_streams: bool = False,
) -> list[threading.Thread]:
    pollers: list[threading.Thread] = []
    for name, res in tpl.resources(template, "AWS::Serverless::Function").items():
        for spec in res["Properties"].get("Events", {}).values():
            props = spec["Properties"]
            if spec["Type"] == "DynamoDB":
                stream = tpl.resolve(props["Stream"], template, physical)
                pollers.append(StreamPoller(functions[name], stream, props, stop, changes, in_flight, pause_streams))
            elif spec["Type"] == "SQS":
                logical = props["Queue"]["Fn::GetAtt"][0]
                queue = physical[logical]
                pollers.append(QueuePoller(functions[name], queue["Ref"], queue["Arn"], props, stop, changes, in_flight))
            elif spec["Type"] == "Schedule":
                pollers.append(ScheduleRunner(functions[name], props["Schedule"], stop))
    for poller in pollers:
        poller.start()
    return pollers
