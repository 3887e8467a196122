"""The local system's moto: transactions stay all-or-nothing (stream included) with the item-level backup;
snapshots of it (local persistence) hold what it holds and put it back without publishing it again."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localrun import persistence
from localrun.moto_server import MotoServer

TABLE = "local-moto-transactions"
SESSION = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
SET_TWO = {"UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    server = MotoServer()
    client = SESSION.client("dynamodb", endpoint_url=server.endpoint)
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    yield client
    server.stop()


def stream(client: Any, table: str = TABLE) -> list[tuple[str, str]]:
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = SESSION.client("dynamodbstreams", endpoint_url=client.meta.endpoint_url)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [(r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in streams.get_records(ShardIterator=it)["Records"]]


def key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "P"}, "sk": {"S": sk}}


def test_a_failed_transaction_changes_nothing_and_streams_nothing(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**key("a"), "n": {"N": "1"}})
    with pytest.raises(ClientError) as err:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**key("b"), "n": {"N": "1"}}}},
            {"Update": {"TableName": TABLE, "Key": key("a"), **SET_TWO}},
            {"Delete": {"TableName": TABLE, "Key": key("a2")}},
            {"ConditionCheck": {"TableName": TABLE, "Key": key("missing"), "ConditionExpression": "attribute_exists(pk)"}},
        ])  # fmt: skip
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=key("b"))
    assert dynamodb.get_item(TableName=TABLE, Key=key("a"))["Item"]["n"] == {"N": "1"}
    assert stream(dynamodb) == [("INSERT", "a")]

    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {**key("b"), "n": {"N": "1"}}}},
        {"Update": {"TableName": TABLE, "Key": key("a"), **SET_TWO}},
    ])  # fmt: skip
    assert dynamodb.get_item(TableName=TABLE, Key=key("a"))["Item"]["n"] == {"N": "2"}
    assert stream(dynamodb) == [("INSERT", "a"), ("INSERT", "b"), ("MODIFY", "a")]


def test_an_invalid_transaction_is_refused_whole(dynamodb: Any) -> None:
    with pytest.raises(ClientError) as err:  # the same item twice: moto's validation, after it wrote the first
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**key("c"), "n": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {**key("c"), "n": {"N": "2"}}}},
        ])  # fmt: skip
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=key("c"))
    assert ("INSERT", "c") not in stream(dynamodb)


def test_moto_queues_a_burst_of_connections() -> None:
    # werkzeug's listen backlog, not the stdlib's 5: a burst of new connections waits to be accepted.
    server = MotoServer()
    try:
        assert server.server.request_queue_size >= 128
    finally:
        server.stop()


# Local persistence: snapshots read from moto's backend in-process, and put back into it.

SNAPSHOTS = "local-moto-snapshots"
QUEUE = "local-moto-snapshots-queue"


def _create_snapshot_table(client: Any) -> None:
    client.create_table(
        TableName=SNAPSHOTS,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )


def _wire(value: Any) -> Any:
    """boto3's items with binary values as base64 text, as a snapshot holds them."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _scan(client: Any) -> list[Any]:
    return sorted((_wire(i) for i in client.scan(TableName=SNAPSHOTS)["Items"]), key=lambda i: i["sk"]["S"])


def _tables(snapshot: str) -> list[Any]:
    return sorted(json.loads(snapshot)["tables"][SNAPSHOTS], key=lambda i: i["sk"]["S"])


@pytest.fixture
def snapshotting() -> Iterator[tuple[MotoServer, Any, Any]]:
    server = MotoServer()
    client = SESSION.client("dynamodb", endpoint_url=server.endpoint)
    sqs = SESSION.client("sqs", endpoint_url=server.endpoint)
    _create_snapshot_table(client)
    sqs.create_queue(QueueName=QUEUE)
    yield server, client, sqs
    client.delete_table(TableName=SNAPSHOTS)
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"])
    server.stop()


def _capture(server: MotoServer, checkpoint: Callable[[], int | None] = lambda: None) -> persistence.Capture:
    return persistence.Capture(server.turn, [SNAPSHOTS], [QUEUE], lambda: {SNAPSHOTS: checkpoint()}, {})


def test_a_snapshot_holds_what_the_table_holds_after_every_kind_of_write(snapshotting: tuple[MotoServer, Any, Any]) -> None:
    server, client, _sqs = snapshotting
    capture = _capture(server)
    sealed = {"M": {"ciphertext": {"B": b"\x00\x01secret"}, "v": {"N": "1"}}}  # binary inside a map, as sealed values are
    client.put_item(TableName=SNAPSHOTS, Item={**key("a"), "n": {"N": "1"}, "raw": {"B": b"\xff\x00"}, "sealed": sealed})
    client.put_item(TableName=SNAPSHOTS, Item={**key("b"), "tags": {"SS": ["x", "y"]}})
    assert _tables(capture()) == _scan(client)

    client.update_item(TableName=SNAPSHOTS, Key=key("a"), **SET_TWO)  # moto changes the item in place
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": SNAPSHOTS, "Item": {**key("c"), "n": {"N": "3"}}}},
        {"Update": {"TableName": SNAPSHOTS, "Key": key("b"), **SET_TWO}},
    ])  # fmt: skip
    with pytest.raises(ClientError):  # rolled back: the snapshot shows nothing of it
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": SNAPSHOTS, "Key": key("c"), **SET_TWO}},
            {"ConditionCheck": {"TableName": SNAPSHOTS, "Key": key("missing"), "ConditionExpression": "attribute_exists(pk)"}},
        ])  # fmt: skip
    client.delete_item(TableName=SNAPSHOTS, Key=key("b"))
    snapshot = capture()
    assert _tables(snapshot) == _scan(client)
    assert [i["n"] for i in _tables(snapshot)] == [{"N": "2"}, {"N": "3"}]


def test_a_restore_writes_no_stream_records_and_puts_the_unpublished_ones_first(snapshotting: tuple[MotoServer, Any, Any]) -> None:
    server, client, sqs = snapshotting
    for sk in ("a", "b", "c"):
        client.put_item(TableName=SNAPSHOTS, Item={**key(sk), "raw": {"B": b"\x00" + sk.encode()}})
    shard = persistence._table(SNAPSHOTS).stream_shard
    assert shard is not None
    handed_on = shard.starting_sequence_number  # the first record, "a", was handed on
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="now")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=600)  # a scheduled retry
    saved = json.loads(_capture(server, lambda: handed_on)())
    before = _scan(client)

    client.delete_table(TableName=SNAPSHOTS)  # a new start: empty tables and queues
    sqs.purge_queue(QueueUrl=url)
    _create_snapshot_table(client)
    persistence.restore(persistence.Saved(saved["tables"], {}, saved["stream"], saved["queues"]), server.turn)

    assert _scan(client) == before
    assert [(name, sk) for name, sk in stream(client, SNAPSHOTS)] == [("INSERT", "b"), ("INSERT", "c")]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesDelayed"]) == ("1", "1")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])] == ["now"]


def test_a_second_server_in_the_process_answers_its_in_process_calls() -> None:
    """The in-process path (AWS's own endpoints, no endpoint_url) through a server started after
    another one stopped: once it took DynamoDB's turn twice and never answered."""
    import threading

    answers: list[Any] = []
    for _ in range(2):
        server = MotoServer()
        client = SESSION.client("dynamodb")  # no endpoint_url: moto's stubber in this process
        caller = threading.Thread(target=lambda c=client: answers.append(c.list_tables()["TableNames"]), daemon=True)
        caller.start()
        caller.join(10)
        server.stop()
        assert not caller.is_alive(), "the in-process call never answered"
    assert len(answers) == 2
