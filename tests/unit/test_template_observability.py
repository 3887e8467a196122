"""What an operator sees and hears, checked on template.yaml itself: the operations dashboard shows every
function, every dead-letter queue, the API, webhook deliveries and their lag and sharing migrations; every
dead-letter queue and delivery lane has an alarm; every alarm notifies the alarm topic; and the alarm topic's
subscriptions exist only when the deploy names an address (docs/deploy.md, "Hearing the alarms").

The dashboard's body is Fn::Sub text: each `${...}` becomes `<...>` (a string JSON can hold) before it is parsed,
so `"${CustomersFunction}"` is read as `"<CustomersFunction>"`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from localrun import template as tpl

TEMPLATE = tpl.load()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
PARAMETERS: dict[str, dict[str, Any]] = TEMPLATE["Parameters"]
FUNCTIONS = tpl.resources(TEMPLATE, "AWS::Serverless::Function")
QUEUES = tpl.resources(TEMPLATE, "AWS::SQS::Queue")
DLQS = sorted(name for name in QUEUES if name.endswith("DLQ"))
ALARMS = tpl.resources(TEMPLATE, "AWS::CloudWatch::Alarm")
SUBSCRIPTIONS = tpl.resources(TEMPLATE, "AWS::SNS::Subscription")
GLOBAL_ENV: dict[str, Any] = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
ROOT = Path(__file__).resolve().parents[2]

_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")
PSEUDO = {"AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}


def _dashboards() -> dict[str, dict[str, Any]]:
    return tpl.resources(TEMPLATE, "AWS::CloudWatch::Dashboard")


def _body_text() -> str:
    (dashboard,) = _dashboards().values()
    body = dashboard["Properties"]["DashboardBody"]
    assert isinstance(body, dict) and isinstance(body.get("Fn::Sub"), str), "DashboardBody is one Fn::Sub string"
    text: str = body["Fn::Sub"]
    return text


def _body() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(_PLACEHOLDER.sub(r"<\1>", _body_text()))
    return parsed


def _metrics() -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """Every metric of every widget: (namespace, name, dimensions, options), "." shorthand expanded as CloudWatch
    does (the same field as the metric above); metric math expressions left out."""
    found: list[tuple[str, str, dict[str, str], dict[str, Any]]] = []
    for widget in _body()["widgets"]:
        if widget["type"] != "metric":
            continue
        previous: list[Any] = []
        for entry in widget["properties"]["metrics"]:
            options = entry[-1] if isinstance(entry[-1], dict) else {}
            fields = entry[:-1] if options is entry[-1] else entry
            if not fields:  # an expression: [{"expression": ...}]
                continue
            fields = [previous[i] if f == "." and i < len(previous) else f for i, f in enumerate(fields)]
            previous = fields
            namespace, name, *pairs = fields
            assert len(pairs) % 2 == 0, f"dimensions come in name, value pairs: {entry}"
            found.append((namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True)), options))
    return found


def _shown(namespace: str, name: str, dimensions: dict[str, str], stat: str | None = None) -> bool:
    """A widget shows this metric (with this stat, when given; a widget's own `stat` is the default)."""
    return any(
        (ns, n, dims) == (namespace, name, dimensions) and (stat is None or options.get("stat") == stat)
        for ns, n, dims, options in _metrics()
    )


def _alarms_on(namespace: str, name: str, dimension: str, value: Any) -> list[dict[str, Any]]:
    return [
        alarm["Properties"]
        for alarm in ALARMS.values()
        if alarm["Properties"]["Namespace"] == namespace
        and alarm["Properties"]["MetricName"] == name
        and {"Name": dimension, "Value": value} in alarm["Properties"]["Dimensions"]
    ]


# ------------------------------------------------------------------ the dashboard itself


def test_one_dashboard_named_after_the_stack_and_its_url_is_an_output() -> None:
    dashboards = _dashboards()
    assert len(dashboards) == 1, sorted(dashboards)
    ((logical, dashboard),) = dashboards.items()
    assert dashboard["Properties"]["DashboardName"] == {"Fn::Sub": "${AWS::StackName}-operations"}
    url = TEMPLATE["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert url.startswith("https://") and "${" + logical + "}" in url


def test_the_body_refers_only_to_what_the_template_has() -> None:
    for reference in _PLACEHOLDER.findall(_body_text()):
        logical = reference.split(".")[0]
        assert reference in PSEUDO or logical in RESOURCES or reference in PARAMETERS, reference
        if "." in reference:
            assert reference.split(".", 1)[1] == "QueueName" and logical in QUEUES, reference


def test_every_widget_fits_the_grid_and_every_metric_widget_names_its_region() -> None:
    for widget in _body()["widgets"]:
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 24, widget
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "<AWS::Region>", widget["properties"].get("title")
            assert widget["properties"]["metrics"], widget["properties"].get("title")


# ------------------------------------------------------------------ what the dashboard shows


def test_the_api_requests_errors_and_latency_with_the_alarms_dimensions() -> None:
    api = next(iter(tpl.resources(TEMPLATE, "AWS::Serverless::Api").values()))["Properties"]
    assert api["Name"] == {"Fn::Sub": "${AWS::StackName}-api"}
    assert ALARMS["Api5xxAlarm"]["Properties"]["Dimensions"] == [
        {"Name": "ApiName", "Value": {"Fn::Sub": "${AWS::StackName}-api"}},
        {"Name": "Stage", "Value": {"Ref": "Stage"}},
    ]
    dims = {"ApiName": "<AWS::StackName>-api", "Stage": "<Stage>"}
    for name in ("Count", "4XXError", "5XXError"):
        assert _shown("AWS/ApiGateway", name, dims, "Sum"), name
    for stat in ("p50", "p99"):
        assert _shown("AWS/ApiGateway", "Latency", dims, stat), stat


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_has_its_duration_errors_and_throttles(function: str) -> None:
    dims = {"FunctionName": f"<{function}>"}
    for stat in ("p50", "p99"):
        assert _shown("AWS/Lambda", "Duration", dims, stat), f"{function}: Duration {stat} on the dashboard"
    for name in ("Errors", "Throttles"):
        assert _shown("AWS/Lambda", name, dims, "Sum"), f"{function}: {name} on the dashboard"


def test_webhook_deliveries_in_the_namespace_and_dimension_powertools_writes() -> None:
    # powertools Metrics: the namespace POWERTOOLS_METRICS_NAMESPACE, a `service` dimension POWERTOOLS_SERVICE_NAME.
    namespace, service = GLOBAL_ENV["POWERTOOLS_METRICS_NAMESPACE"], GLOBAL_ENV["POWERTOOLS_SERVICE_NAME"]
    dispatcher = (ROOT / "functions" / "dispatcher" / "app.py").read_text()
    for name in ("WebhooksDelivered", "WebhooksFailed"):
        assert f'"{name}"' in dispatcher, f"the dispatcher no longer counts {name}"
        assert _shown(namespace, name, {"service": service}, "Sum"), name


def _dispatcher_queues() -> list[str]:
    events = FUNCTIONS["DispatcherFunction"]["Properties"]["Events"].values()
    return sorted(e["Properties"]["Queue"]["Fn::GetAtt"][0] for e in events if e["Type"] == "SQS")


def test_the_delivery_lanes_are_the_two_queues_the_dispatcher_reads() -> None:
    assert _dispatcher_queues() == ["DeliveryQueue", "DeliverySlowQueue"]


@pytest.mark.parametrize("queue", _dispatcher_queues())
def test_every_delivery_lane_shows_its_lag_and_alarms_on_it(queue: str) -> None:
    assert _shown("AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": f"<{queue}.QueueName>"}, "Maximum"), queue
    (alarm,) = _alarms_on("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", {"Fn::GetAtt": [queue, "QueueName"]})
    # Above SQS's longest delay (900 s) on the slow lane, whose retries wait out theirs in the queue.
    limit = {"DeliveryQueue": 300, "DeliverySlowQueue": 1800}[queue]
    assert (alarm["Threshold"], alarm["Statistic"], alarm["ComparisonOperator"]) == (limit, "Maximum", "GreaterThanThreshold")


def test_every_queue_something_dead_letters_into_is_named_as_a_dlq() -> None:
    """So the DLQ tests below cannot miss one: every redrive target and every event source's OnFailure
    destination ends in DLQ."""
    targets: set[str] = set()
    for queue in QUEUES.values():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            targets.add(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0])
    for function in FUNCTIONS.values():
        for event in function["Properties"].get("Events", {}).values():
            failure = event["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if failure:
                targets.add(failure["Fn::GetAtt"][0])
    assert targets, "no dead-letter queue found"
    assert targets <= set(DLQS), sorted(targets - set(DLQS))


@pytest.mark.parametrize("dlq", DLQS)
def test_every_dlq_has_a_depth_widget_and_an_alarm_on_its_first_message(dlq: str) -> None:
    assert _shown("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": f"<{dlq}.QueueName>"}, "Maximum"), dlq
    alarms = _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", {"Fn::GetAtt": [dlq, "QueueName"]})
    assert alarms, f"{dlq} has no depth alarm"
    assert any(a["Threshold"] == 1 and a["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" for a in alarms), dlq


def test_migration_progress() -> None:
    assert _shown("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": "<MigrationQueue.QueueName>"})
    for name in ("Invocations", "Errors"):
        assert _shown("AWS/Lambda", name, {"FunctionName": "<MigrationFunction>"}, "Sum"), name


# ------------------------------------------------------------------ alarms and who hears them


@pytest.mark.parametrize("alarm", sorted(ALARMS))
def test_every_alarm_notifies_the_alarm_topic(alarm: str) -> None:
    props = ALARMS[alarm]["Properties"]
    assert {"Ref": "AlarmTopic"} in props["AlarmActions"], alarm
    assert props["TreatMissingData"] == "notBreaching", alarm
    assert props.get("AlarmDescription"), alarm


def test_the_p99_latency_alarm() -> None:
    (alarm,) = _alarms_on("AWS/ApiGateway", "Latency", "ApiName", {"Fn::Sub": "${AWS::StackName}-api"})
    assert (alarm["ExtendedStatistic"], alarm["Threshold"], alarm["Period"] * alarm["EvaluationPeriods"]) == ("p99", 3000, 300)
    assert "Statistic" not in alarm


def test_the_dispatcher_alarms_on_its_errors() -> None:
    assert _alarms_on("AWS/Lambda", "Errors", "FunctionName", {"Ref": "DispatcherFunction"})


def _condition_parameter(condition: str) -> str:
    """The parameter a condition is `!Not [!Equals [!Ref P, ""]]` of."""
    node = TEMPLATE["Conditions"][condition]
    (equals,) = node["Fn::Not"]
    ref, empty = equals["Fn::Equals"]
    assert empty == "", condition
    name: str = ref["Ref"]
    return name


def test_each_subscription_exists_only_when_its_parameter_is_set() -> None:
    protocols: dict[str, str] = {}
    for logical, res in SUBSCRIPTIONS.items():
        props = res["Properties"]
        assert props["TopicArn"] == {"Ref": "AlarmTopic"}, logical
        assert "Condition" in res, f"{logical} is created whatever the parameters"
        parameter = _condition_parameter(res["Condition"])
        assert props["Endpoint"] == {"Ref": parameter}, logical
        assert PARAMETERS[parameter]["Default"] == "", f"{parameter}: nobody is subscribed by default"
        protocols[props["Protocol"]] = parameter
    assert protocols == {"email": "AlarmEmail", "https": "AlarmHttpsEndpoint"}


def test_the_subscription_parameters_refuse_what_sns_would() -> None:
    def allowed(parameter: str, value: str) -> bool:
        # CloudFormation matches AllowedPattern against the whole value (Java regex; these are plain enough).
        return re.fullmatch(PARAMETERS[parameter]["AllowedPattern"], value) is not None

    assert allowed("AlarmEmail", "") and allowed("AlarmEmail", "oncall@example.com")
    assert not allowed("AlarmEmail", "oncall") and not allowed("AlarmEmail", "a b@example.com")
    assert allowed("AlarmHttpsEndpoint", "") and allowed("AlarmHttpsEndpoint", "https://events.pagerduty.com/integration/abc/enqueue")
    assert not allowed("AlarmHttpsEndpoint", "http://example.com/hook")
    # An integration URL often carries its key: not shown in the console's parameters.
    assert PARAMETERS["AlarmHttpsEndpoint"].get("NoEcho") is True
