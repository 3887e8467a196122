"""The dashboard's sign-in sessions, in a table of their own (only the dashboard's function may
read it). An item is found by a keyed hash of the cookie's token: the table never holds the token,
nor the API key that signed in, so a copy of it opens no session. DynamoDB's TTL removes an item
after its `expires_at`; reads check that time themselves (TTL deletes late)."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage.dynamo import client, from_item, key, to_item, to_value

SK = "SESSION"


def _table() -> str:
    table = get_settings().dashboard_sessions_table
    if not table:
        raise RuntimeError("DASHBOARD_SESSIONS_TABLE is not configured for this function")
    return table


def session_pk(token_hash: str) -> str:
    return f"DSESSION#{token_hash}"


def put(token_hash: str, values: dict[str, Any]) -> None:
    """A new session (a token is random: an existing item under its hash would be a bug, refused)."""
    item = to_item({"pk": session_pk(token_hash), "sk": SK, **values})
    client().put_item(TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(pk)")


def get(token_hash: str) -> dict[str, Any] | None:
    answer = client().get_item(TableName=_table(), Key=key(session_pk(token_hash), SK), ConsistentRead=True)
    return from_item(answer["Item"]) if "Item" in answer else None


def touch(token_hash: str, last_seen: int) -> None:
    """Records activity (the idle timeout counts from it); a session deleted meanwhile stays deleted."""
    try:
        client().update_item(
            TableName=_table(),
            Key=key(session_pk(token_hash), SK),
            UpdateExpression="SET last_seen = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":at": to_value(last_seen)},
        )
    except client().exceptions.ConditionalCheckFailedException:
        pass


def delete(token_hash: str) -> None:
    client().delete_item(TableName=_table(), Key=key(session_pk(token_hash), SK))
