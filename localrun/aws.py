"""The AWS side of the local run: moto (in-process, and a server for tools), tables created from template.yaml."""

from __future__ import annotations

import base64
import json
import logging
import os
from typing import Any

import boto3

from localrun import template as tpl
from localrun.moto_server import MotoServer


def start_moto() -> MotoServer:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    return MotoServer()


# moto accepts any credentials; these dummies keep boto3 from looking for real ones.
MOTO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def point_sdk_at_moto() -> None:
    """Every boto3 client of this process made after this is answered by moto in-process (see
    moto_server): AWS's own endpoints, moto's dummy credentials."""
    os.environ.update(MOTO_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def tool_environment(endpoint: str) -> dict[str, str]:
    """What a process outside the local system (the admin command with --local, a test reading the
    tables) needs to reach its moto: the server's endpoint and the dummy credentials."""
    return {**MOTO_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}


def _kms_backend() -> Any:
    from moto.kms.models import kms_backends

    return kms_backends["123456789012"][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")]  # moto's default account


def kms_snapshot(physical: tpl.Physical, template: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The template's KMS keys' ids and material as moto holds them (local persistence only: with
    them, values sealed in an earlier run still open after a restart)."""
    keys = _kms_backend().keys
    snapshot = {}
    for logical in tpl.resources(template, "AWS::KMS::Key"):
        key = keys[physical[logical]["Ref"]]
        snapshot[logical] = {"id": key.id, "arn": key.arn, "material": base64.b64encode(key.key_material).decode()}
    return snapshot


def create_resources(template: dict[str, Any], kms: dict[str, dict[str, str]] | None = None) -> tpl.Physical:
    """The template's tables, KMS keys (those in `kms` put back as they were), queues, event buses
    and rules, made in moto; their physical ids and attributes by logical id."""
    physical: tpl.Physical = {}
    dynamodb = boto3.client("dynamodb")
    for logical, definition in tpl.table_definitions(template).items():
        args = dict(definition)
        ttl = args.pop("_ttl", None)
        table = dynamodb.create_table(**args)["TableDescription"]
        if ttl:
            dynamodb.update_time_to_live(TableName=args["TableName"], TimeToLiveSpecification=ttl)
        physical[logical] = {"Ref": args["TableName"], "Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")}
    kms_client = boto3.client("kms")
    for logical, res in tpl.resources(template, "AWS::KMS::Key").items():
        props = res["Properties"]
        key = kms_client.create_key(Description=props.get("Description", logical), KeySpec=props["KeySpec"], KeyUsage=props["KeyUsage"])
        physical[logical] = {"Ref": key["KeyMetadata"]["KeyId"], "Arn": key["KeyMetadata"]["Arn"]}
        if kms and logical in kms:  # the same key as before the restart: same id, same material
            backend, saved = _kms_backend(), kms[logical]
            restored = backend.keys.pop(key["KeyMetadata"]["KeyId"])
            restored.id, restored.arn, restored.key_material = saved["id"], saved["arn"], base64.b64decode(saved["material"])
            backend.keys[restored.id] = restored
            physical[logical] = {"Ref": saved["id"], "Arn": saved["arn"]}
    sqs = boto3.client("sqs")
    queues = tpl.resources(template, "AWS::SQS::Queue")
    # Dead-letter queues first: the others name them in their redrive policies.
    for logical in sorted(queues, key=lambda name: "RedrivePolicy" in queues[name].get("Properties", {})):
        props = tpl.resolve(queues[logical].get("Properties", {}), template, physical)
        attributes: Any = {"VisibilityTimeout": str(props.get("VisibilityTimeout", 30))}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = sqs.create_queue(QueueName=f"{tpl.STACK_NAME}-{logical}", Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        physical[logical] = {"Ref": url, "Arn": arn, "QueueName": f"{tpl.STACK_NAME}-{logical}"}
    events = boto3.client("events")
    for logical, res in tpl.resources(template, "AWS::Events::EventBus").items():
        name = tpl.resolve(res["Properties"]["Name"], template, physical)
        physical[logical] = {"Ref": name, "Arn": events.create_event_bus(Name=name)["EventBusArn"], "Name": name}
    for logical, res in tpl.resources(template, "AWS::Events::Rule").items():
        props = tpl.resolve(res["Properties"], template, physical)
        arn = events.put_rule(Name=logical, EventBusName=props["EventBusName"], EventPattern=json.dumps(props["EventPattern"]))["RuleArn"]
        events.put_targets(
            Rule=logical, EventBusName=props["EventBusName"], Targets=[{"Id": t["Id"], "Arn": t["Arn"]} for t in props["Targets"]]
        )
        physical[logical] = {"Ref": logical, "Arn": arn}
    return physical


def table_names(template: dict[str, Any]) -> list[str]:
    return [definition["TableName"] for definition in tpl.table_definitions(template).values()]
