"""The outbox: one record per change, written in the change's own transaction.

The events table's stream carries each record on (to EventBridge, in the events issue), so a
change that committed always yields its events, even if the writer dies right after the commit.
"""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import to_item


def change_put(change: dict[str, Any]) -> dict[str, Any]:
    item = {"pk": keys.change_pk(change["id"]), "sk": keys.CHANGE_SK, **change}
    return {
        "Put": {
            "TableName": get_settings().events_table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
