"""The operator CLI bootstraps an organization on a deployed stack (tables from its outputs)."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from orgshare import admin
from orgshare.domain import auth
from orgshare.settings import get_settings


def test_create_org_against_a_stack_reads_tables_from_its_outputs(aws: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {
        "DirectoryTableName": aws["DIRECTORY_TABLE"],
        "DataTableName": aws["DATA_TABLE"],
        "EventsTableName": aws["EVENTS_TABLE"],
        "IdempotencyTableName": aws["IDEMPOTENCY_TABLE"],
    }
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(StackName="orgshare-test", TemplateBody=json.dumps(template))
    for variable in ("DIRECTORY_TABLE", "DATA_TABLE", "EVENTS_TABLE", "IDEMPOTENCY_TABLE"):
        os.environ[variable] = "unset-until-the-stack-says"
    get_settings.cache_clear()

    admin.main(["create-org", "--name", "Stacked", "--stack", "orgshare-test"])

    printed = json.loads(capsys.readouterr().out)
    assert printed["platform"]["type"] == "platform"
    for mode in ("test", "live"):
        principal = auth.authenticate(printed["keys"][mode])
        assert principal.kind == "platform" and principal.mode == mode and principal.org == printed["organization"]
