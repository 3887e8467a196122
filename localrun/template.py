"""template.yaml as data: CloudFormation short tags become their long forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{suffix}", node.start_mark)
    return {name: value}


_Loader.add_multi_constructor("!", _tag)  # type: ignore[no-untyped-call]


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        return loaded


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def local_table_name(logical_id: str) -> str:
    return f"orgshare-local-{logical_id}"


def table_definitions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """create_table arguments for each table the template declares, by logical id."""
    tables = {}
    for name, res in resources(template, "AWS::DynamoDB::Table").items():
        props = res["Properties"]
        args: dict[str, Any] = {
            "TableName": local_table_name(name),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if "StreamSpecification" in props:
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if "TimeToLiveSpecification" in props:
            args["_ttl"] = props["TimeToLiveSpecification"]
        tables[name] = args
    return tables


STACK_NAME = "orgshare-local"
Physical = dict[str, dict[str, str]]  # logical id -> {"Ref": ..., "Arn": ..., other attributes}


def resolve(value: Any, template: dict[str, Any], physical: Physical) -> Any:
    """A template value with Ref, GetAtt and Sub resolved to parameters' defaults and the local
    resources made for the template."""
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        if ref in template.get("Parameters", {}):
            return str(template["Parameters"][ref].get("Default", ""))
        return physical.get(ref, {}).get("Ref", ref)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        return physical.get(logical, {}).get(attribute, value)
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"].replace("${AWS::StackName}", STACK_NAME)
    if isinstance(value, dict):
        return {k: resolve(v, template, physical) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, template, physical) for v in value]
    return value


def function_environment(template: dict[str, Any], physical: Physical) -> dict[str, str]:
    """Every variable a function of the template gets: the globals and each function's own
    (in-process, the functions share one environment)."""

    def variables(spec: dict[str, Any]) -> dict[str, Any]:
        return dict(spec.get("Environment", {}).get("Variables", {}))

    env = variables(template.get("Globals", {}).get("Function", {}))
    for res in resources(template, "AWS::Serverless::Function").values():
        env.update(variables(res["Properties"]))
    return {k: str(resolve(v, template, physical)) for k, v in env.items()}
