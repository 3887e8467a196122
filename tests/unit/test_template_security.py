"""What an operator relies on in template.yaml's security posture, checked on the template itself (checkov
runs in `make lint`; these pin down the decisions behind its result): point-in-time recovery on every table
that holds what cannot be rebuilt, an access log that says who asked and what came back but never a key,
a header or a body, and the EncryptionKeyMode option really putting every table, queue and the access log
under the stack's own key (Fn::If evaluated here by hand, as CloudFormation would)."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from localrun import template as tpl
from orgshare.domain.principal import Principal

TEMPLATE = tpl.load()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
TABLES = tpl.resources(TEMPLATE, "AWS::DynamoDB::Table")
QUEUES = tpl.resources(TEMPLATE, "AWS::SQS::Queue")
KEY = {"Fn::GetAtt": ["StorageKey", "Arn"]}

# Tables without point-in-time recovery, each because what it holds can be lost without harm; the template
# says why on the table (its CKV_AWS_28 skip). Any other table must have PITR.
REBUILDABLE = {"DashboardSessionsTable": "sign-in sessions: lost ones mean signing in again"}

_NO_VALUE = object()


def _conditions(mode: str) -> dict[str, bool]:
    """The template's Conditions for EncryptionKeyMode=mode, every other parameter at its default."""
    parameters = {name: str(spec.get("Default", "")) for name, spec in TEMPLATE["Parameters"].items()}
    parameters["EncryptionKeyMode"] = mode

    def value(node: Any) -> Any:
        if isinstance(node, dict) and "Ref" in node:
            return parameters[node["Ref"]]
        if isinstance(node, dict) and "Fn::Equals" in node:
            left, right = (value(side) for side in node["Fn::Equals"])
            return str(left) == str(right)
        if isinstance(node, dict) and "Fn::Not" in node:
            return not value(node["Fn::Not"][0])
        assert not isinstance(node, dict), f"a condition function this test cannot evaluate: {node}"
        return node

    return {name: bool(value(node)) for name, node in TEMPLATE["Conditions"].items()}


def _render(node: Any, conditions: dict[str, bool]) -> Any:
    """node with each Fn::If decided and AWS::NoValue dropped, as CloudFormation deploys it."""
    if isinstance(node, dict) and "Fn::If" in node:
        name, if_true, if_false = node["Fn::If"]
        return _render(if_true if conditions[name] else if_false, conditions)
    if isinstance(node, dict) and node.get("Ref") == "AWS::NoValue":
        return _NO_VALUE
    if isinstance(node, dict):
        rendered = {k: _render(v, conditions) for k, v in node.items()}
        return {k: v for k, v in rendered.items() if v is not _NO_VALUE}
    if isinstance(node, list):
        return [v for v in (_render(item, conditions) for item in node) if v is not _NO_VALUE]
    return node


def _deployed(name: str, mode: str) -> dict[str, Any] | None:
    """A resource's properties as a stack with EncryptionKeyMode=mode gets them; None if it is not created."""
    conditions = _conditions(mode)
    res = RESOURCES[name]
    if "Condition" in res and not conditions[res["Condition"]]:
        return None
    props: dict[str, Any] = _render(res.get("Properties", {}), conditions)
    return props


def _skips(name: str) -> dict[str, str]:
    return {skip["id"]: skip["comment"] for skip in RESOURCES[name].get("Metadata", {}).get("checkov", {}).get("skip", [])}


# ------------------------------------------------------------------------------------------ recovery


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_table_that_holds_what_cannot_be_rebuilt_has_point_in_time_recovery(table: str) -> None:
    pitr = TABLES[table]["Properties"].get("PointInTimeRecoverySpecification", {})
    if table in REBUILDABLE:
        assert not pitr.get("PointInTimeRecoveryEnabled"), f"{table} has PITR now: take it off REBUILDABLE"
        assert _skips(table).get("CKV_AWS_28"), f"{table} has no PITR and the template does not say why (a CKV_AWS_28 skip)"
    else:
        assert pitr.get("PointInTimeRecoveryEnabled") is True, f"{table}: PointInTimeRecoverySpecification not enabled"


def test_the_rebuildable_list_names_only_tables_of_the_template() -> None:
    assert set(REBUILDABLE) <= set(TABLES)


def test_the_tables_kept_on_delete_are_the_recovered_ones() -> None:
    # A retained table outlives the stack; without PITR its last 35 days could not be restored.
    for table, res in TABLES.items():
        if res.get("DeletionPolicy") == "Retain":
            assert table not in REBUILDABLE, table


# ------------------------------------------------------------------------------------------ access log


def _access_log() -> dict[str, Any]:
    api = next(iter(tpl.resources(TEMPLATE, "AWS::Serverless::Api").values()))["Properties"]
    setting: dict[str, Any] = api["AccessLogSetting"]
    return setting


def test_the_api_stage_writes_an_access_log_to_a_group_with_retention() -> None:
    setting = _access_log()
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["AccessLogGroup", "Arn"]}
    group = RESOURCES["AccessLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert int(tpl.resolve(group["Properties"]["RetentionInDays"], TEMPLATE, {})) >= 365  # the parameter's default


def test_the_access_log_is_one_json_object_of_context_variables() -> None:
    fields = json.loads(_access_log()["Format"])
    assert isinstance(fields, dict)
    for name, value in fields.items():
        assert re.fullmatch(r"\$context\.[A-Za-z.]+", value), f"{name}: {value} is not one $context variable"


def test_the_access_log_says_who_asked_and_what_came_back() -> None:
    fields = json.loads(_access_log()["Format"])
    assert fields["requestId"] == "$context.requestId"  # the Request-Id header, without "req_" and dashes
    assert fields["status"] == "$context.status"
    assert fields["latency"] == "$context.responseLatency"
    assert fields["method"] == "$context.httpMethod"
    assert fields["path"] == "$context.path"
    # The authorizer's context, under the names the authorizer gives it (Principal.as_context).
    assert fields["account"] == "$context.authorizer.account"
    assert fields["organization"] == "$context.authorizer.org"
    context_names = {f.name for f in dataclasses.fields(Principal)}
    for value in fields.values():
        if value.startswith("$context.authorizer."):
            assert value.removeprefix("$context.authorizer.") in context_names, value


def test_the_access_log_has_no_header_key_or_body() -> None:
    log_format = _access_log()["Format"].lower()
    for forbidden in ("header", "authorization", "body", "$input", "apikey", "api_key", "key_id", "querystring", "sourceip", "useragent"):
        assert forbidden not in log_format, f"the access log format carries {forbidden}"


# ------------------------------------------------------------------------------------------ keys


def test_the_key_option_defaults_to_aws_keys() -> None:
    spec = TEMPLATE["Parameters"]["EncryptionKeyMode"]
    assert spec["AllowedValues"] == ["aws-managed", "customer-managed"]
    assert spec["Default"] == "aws-managed"
    assert _deployed("StorageKey", "aws-managed") is None


@pytest.mark.parametrize("table", sorted(TABLES))
def test_with_customer_managed_keys_every_table_is_under_the_stack_key(table: str) -> None:
    sse = (_deployed(table, "customer-managed") or {})["SSESpecification"]
    assert sse == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY}
    # By default: DynamoDB's AWS managed key (aws/dynamodb), as before the option existed.
    assert (_deployed(table, "aws-managed") or {})["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}


@pytest.mark.parametrize("queue", sorted(QUEUES))
def test_with_customer_managed_keys_every_queue_is_under_the_stack_key(queue: str) -> None:
    props = _deployed(queue, "customer-managed") or {}
    assert props["KmsMasterKeyId"] == KEY
    assert props["SqsManagedSseEnabled"] is False
    assert props["KmsDataKeyReusePeriodSeconds"] == 300
    default = _deployed(queue, "aws-managed") or {}
    assert default["SqsManagedSseEnabled"] is True
    assert "KmsMasterKeyId" not in default and "KmsDataKeyReusePeriodSeconds" not in default


def test_with_customer_managed_keys_the_access_log_is_under_the_stack_key() -> None:
    assert (_deployed("AccessLogGroup", "customer-managed") or {})["KmsKeyId"] == KEY
    assert "KmsKeyId" not in (_deployed("AccessLogGroup", "aws-managed") or {})


def test_the_stack_key_rotates_is_kept_and_lets_in_only_what_uses_it() -> None:
    key = RESOURCES["StorageKey"]
    assert key["Condition"] == "CustomerManagedKeys"
    assert key["DeletionPolicy"] == "Retain" and key["UpdateReplacePolicy"] == "Retain"
    props = _deployed("StorageKey", "customer-managed") or {}
    assert props["EnableKeyRotation"] is True
    statements = {s["Sid"]: s for s in props["KeyPolicy"]["Statement"]}
    # Anyone of the account, but only through DynamoDB and SQS of the stack's region.
    through = statements["ThisAccountThroughDynamoDBAndSQS"]
    assert through["Principal"] == {"AWS": "*"}
    assert through["Condition"]["StringEquals"]["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}
    assert through["Condition"]["StringEquals"]["kms:ViaService"] == [
        {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"},
        {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"},
    ]
    assert statements["EventBridgeSendsToTheQueues"]["Principal"] == {"Service": "events.amazonaws.com"}
    # CloudWatch Logs, for the access log group only (its name, as the group declares it).
    logs = statements["CloudWatchLogsWritesTheAccessLog"]
    group_name = RESOURCES["AccessLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    arn = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    assert arn.endswith(f":log-group:{group_name}")


def _references_outside_condition(node: Any, target: str, condition: str, guarded: bool = False) -> list[Any]:
    """References to `target` not under the true branch of an Fn::If on `condition`."""
    found: list[Any] = []
    if isinstance(node, dict):
        if "Fn::If" in node:
            name, if_true, if_false = node["Fn::If"]
            found += _references_outside_condition(if_true, target, condition, guarded or name == condition)
            found += _references_outside_condition(if_false, target, condition, guarded)
            return found
        if not guarded and (node.get("Ref") == target or (node.get("Fn::GetAtt") or [None])[0] == target):
            found.append(node)
        if not guarded and isinstance(node.get("Fn::Sub"), str) and f"${{{target}" in node["Fn::Sub"]:
            found.append(node)
        for value in node.values():
            found += _references_outside_condition(value, target, condition, guarded)
    elif isinstance(node, list):
        for value in node:
            found += _references_outside_condition(value, target, condition, guarded)
    return found


@pytest.mark.parametrize(
    ("target", "condition"), [("StorageKey", "CustomerManagedKeys"), ("ApiGatewayAccount", "CreateApiGatewayLogsRole")]
)
def test_a_conditional_resource_is_referenced_only_where_its_condition_holds(target: str, condition: str) -> None:
    assert RESOURCES[target]["Condition"] == condition
    for name, res in RESOURCES.items():
        if res.get("Condition") == condition:
            continue
        assert not _references_outside_condition(res, target, condition), f"{name} refers to {target} outside Fn::If [{condition}, ...]"


# ------------------------------------------------------------------------------------------ skips


def test_every_checkov_skip_names_a_check_and_says_why() -> None:
    skipped = 0
    for name, res in RESOURCES.items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip.get("id", "")), f"{name}: {skip}"
            assert len(skip.get("comment", "").strip()) >= 20, f"{name}: {skip['id']} has no reason"
            skipped += 1
    assert skipped  # the template records its decisions
