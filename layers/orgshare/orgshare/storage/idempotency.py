"""The idempotency records' table (IDEMPOTENCY_TABLE), through powertools' DynamoDB persistence
layer: one per warm container. What a record holds is decided in domain/idempotency.py."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from orgshare.settings import get_settings
from orgshare.storage.dynamo import client


@lru_cache(maxsize=1)
def persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table, boto3_client=client())
