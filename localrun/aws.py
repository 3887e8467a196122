"""The AWS side of the local run: moto in server mode, tables created from template.yaml."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from localrun import template as tpl


def start_moto(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


# moto accepts any credentials; these dummies keep boto3 from looking for real ones.
MOTO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def point_sdk_at(endpoint: str) -> None:
    """Every boto3 client made after this talks to moto (boto3 reads AWS_ENDPOINT_URL)."""
    os.environ.update(MOTO_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def create_resources(template: dict[str, Any]) -> dict[str, str]:
    """The template's tables and KMS keys, made in moto: their physical ids by logical id."""
    physical: dict[str, str] = {}
    dynamodb = boto3.client("dynamodb")
    for logical, definition in tpl.table_definitions(template).items():
        args = dict(definition)
        ttl = args.pop("_ttl", None)
        dynamodb.create_table(**args)
        if ttl:
            dynamodb.update_time_to_live(TableName=args["TableName"], TimeToLiveSpecification=ttl)
        physical[logical] = args["TableName"]
    kms = boto3.client("kms")
    for logical, res in tpl.resources(template, "AWS::KMS::Key").items():
        props = res["Properties"]
        key = kms.create_key(Description=props.get("Description", logical), KeySpec=props["KeySpec"], KeyUsage=props["KeyUsage"])
        physical[logical] = key["KeyMetadata"]["Arn"]
    return physical


def table_names(template: dict[str, Any]) -> list[str]:
    return [definition["TableName"] for definition in tpl.table_definitions(template).values()]


def dump_tables(names: list[str], path: Path) -> None:
    """Local persistence only (make run PERSIST=1): a Scan is fine here, never on a request path."""
    client = boto3.client("dynamodb")
    state: dict[str, list[Any]] = {}
    for name in names:
        items: list[Any] = []
        for page in client.get_paginator("scan").paginate(TableName=name):
            items += page["Items"]
        state[name] = items
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state))


def load_tables(path: Path) -> None:
    client = boto3.client("dynamodb")
    for name, items in json.loads(path.read_text()).items():
        for item in items:
            client.put_item(TableName=name, Item=item)
