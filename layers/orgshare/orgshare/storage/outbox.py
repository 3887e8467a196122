"""The outbox: one record per change, written in the change's own transaction.

The events table's stream carries each record on (to EventBridge, in the events issue), so a
change that committed always yields its events, even if the writer dies right after the commit.
"""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import from_item, to_item


def change_put(change: dict[str, Any]) -> dict[str, Any]:
    item = {"pk": keys.change_pk(change["id"]), "sk": keys.CHANGE_SK, **change}
    return {
        "Put": {
            "TableName": get_settings().events_table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def change_from_stream(image: dict[str, Any]) -> dict[str, Any] | None:
    """The change record in a stream record's NewImage, or None for any other item of the table."""
    if not image.get("pk", {}).get("S", "").startswith(keys.change_pk("")):
        return None
    change = from_item(image)
    for attribute in ("pk", "sk", "expires_at"):
        change.pop(attribute, None)
    return change
