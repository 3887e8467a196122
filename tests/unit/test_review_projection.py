"""Review of the organization view's projector on moto: what a deleted customer leaves in the view's
items (whatever arrives late), what the copies keep of personal free text, and a poison message
in a batch of the projector's queue."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3

from localrun import template as tpl
from localrun.gateway import Function
from orgshare.domain.organization import projection
from orgshare.domain.principal import Principal
from orgshare.settings import get_settings
from orgshare.storage import org_view
from tests.unit.test_org_projection import event, jenny  # noqa: F401 - the fixture, reused

Jenny = tuple[Principal, str, list[dict[str, Any]]]


def _view_items(org: str) -> list[dict[str, Any]]:
    """Every item of the organization's view, raw (a copy of the table is what is judged here)."""
    table = get_settings().data_table
    items = [i for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table) for i in page["Items"]]
    return [i for i in items if i["pk"]["S"].startswith(org_view.prefix(org, "test"))]


def test_a_deleted_customer_leaves_no_summary_and_late_payments_write_none_back(jenny: Jenny) -> None:  # noqa: F811
    platform, cus, entries = jenny
    payments = [e for e in entries if not e["event"]["type"].startswith("customer.")]
    for e in [entries[0], *payments[:4]]:
        projection.apply(e)
    _index, summary = org_view.get_view(platform.org, "test", cus)
    assert summary is not None and summary["cards"]  # card fingerprints, the newest payments
    gone = event("customer.deleted", {"id": cus, "object": "customer", "deleted": True}, int(time.time() * 1000))
    assert projection.apply({**entries[0], "event": gone}) > 0
    # The rest of her payments' events arrive after the deletion (any order is possible).
    for e in payments[4:]:
        projection.apply(e)
    _index, summary = org_view.get_view(platform.org, "test", cus)
    assert summary is not None and set(summary) <= {"pk", "sk", "id", "deleted", "version"}, summary
    # Nothing of her cards or payments is left under her (what a copy of the table would show).
    hers = [i for i in _view_items(platform.org) if i["pk"]["S"] == org_view.customer_pk(platform.org, "test", cus)]
    assert "fingerprint" not in json.dumps(hers) and "pm_shared" not in json.dumps(hers)


def test_the_view_copies_no_personal_free_text(jenny: Jenny) -> None:  # noqa: F811
    platform, _cus, entries = jenny
    personal = {"description": "Ride for Jenny Rosen", "metadata": {"passenger": "Jenny Rosen"}, "receipt_email": "jenny@example.com",
                "shipping": {"name": "Jenny Rosen", "address": {"line1": "1 Main St"}}}  # fmt: skip
    for e in entries:
        obj = e["event"]["data"]["object"]
        if obj.get("object") in ("payment_intent", "refund"):
            obj.update(personal)
        for refund in (obj.get("refunds") or {}).get("data") or []:
            refund.update(personal)
        projection.apply(e)
    copies = [i for i in _view_items(platform.org) if i["sk"]["S"] in ("PAY", "RE", "SUMMARY")]
    assert {i["sk"]["S"] for i in copies} == {"PAY", "RE", "SUMMARY"}
    assert "Jenny Rosen" not in json.dumps(copies) and "jenny@example.com" not in json.dumps(copies)


def test_a_poison_message_fails_alone_and_the_others_are_applied(jenny: Jenny) -> None:  # noqa: F811
    platform, cus, entries = jenny
    res = tpl.resources(tpl.load(), "AWS::Serverless::Function")["OrgProjectorFunction"]
    projector = Function("OrgProjectorFunction", tpl.ROOT / res["Properties"]["CodeUri"], res["Properties"]["Handler"])
    common = {"eventSource": "aws:sqs", "receiptHandle": "r", "attributes": {}, "messageAttributes": {}}
    broken = {**entries[1], "event": {k: v for k, v in entries[1]["event"].items() if k != "created"}}
    records = [
        {"messageId": "not-json", "body": "{nope", **common},
        {"messageId": "no-detail", "body": json.dumps({"detail": {"org_copy": True}}), **common},
        {"messageId": "malformed", "body": json.dumps({"detail": broken}), **common},
        {"messageId": "good", "body": json.dumps({"detail": entries[0]}), **common},
    ]
    reply = projector.invoke({"Records": records})
    assert sorted(f["itemIdentifier"] for f in reply["batchItemFailures"]) == ["malformed", "no-detail", "not-json"]
    index, _summary = org_view.get_view(platform.org, "test", cus)
    assert index is not None and index["email"] == "jenny@example.com"
