"""The local system's moto: transactions stay all-or-nothing (stream included) with the item-level backup."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

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


def stream(client: Any) -> list[tuple[str, str]]:
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
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
