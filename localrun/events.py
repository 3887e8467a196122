"""python -m localrun.events: write events/, one sample API Gateway event per route of
template.yaml (and one for the authorizer), for `sam local invoke -e events/...`, and
events/env.json, the `--env-vars` file naming the resources the functions read.

Ids in the events are placeholders (org_SAMPLE, acct_SAMPLE, cus_SAMPLE, ...): put your own in, or let
tests/unit/test_sample_events.py show how it substitutes them. env.json's values are placeholders
too (`<DirectoryTable name>`, `<VaultKey ARN>`, ...): your stack's resources.
"""

from __future__ import annotations

import json
import re
from typing import Any

from localrun import template as tpl
from localrun.gateway import authorizer_event, proxy_event

EVENTS = tpl.ROOT / "events"
ENV_VARS = EVENTS / "env.json"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PATH_SAMPLES = {
    "customer": "cus_SAMPLE",
    "account": "acct_SAMPLE",
    "key": "key_SAMPLE",
    "payment_method": "pm_SAMPLE",
    "event": "evt_SAMPLE",
    "endpoint": "we_SAMPLE",
    "profile": "pro_SAMPLE",
    "connector": "mca_SAMPLE",
    "intent": "pi_SAMPLE",
    "refund": "re_SAMPLE",
    "charge": "ch_SAMPLE",
    "session": "cs_test_SAMPLE",
    "setup_intent": "seti_SAMPLE",
    "name": "checkout.css",
    "enablement": "she_SAMPLE",
    "erasure": "cer_SAMPLE",
    "proxy": "sign-in",  # a dashboard page (`{proxy+}`: the rest of the path)
}
_PATH_PARAM = re.compile(r"\{(\w+)\+?\}")
BODIES = {
    ("POST", "/v1/customers"): "name=Jenny+Rosen&email=jenny%40example.com&metadata[ride]=42",
    ("POST", "/v1/customers/{customer}"): "phone=%2B4930123456&metadata[vip]=true",
    ("POST", "/v1/accounts"): "type=connected&business_profile[name]=Rocket+Rockets",
    ("POST", "/v1/accounts/{account}/api_keys"): "name=ci",
    ("POST", "/v1/payment_methods"): "type=card&card[token]=tok_visa&billing_details[name]=Jenny+Rosen",
    ("POST", "/v1/payment_methods/{payment_method}"): "billing_details[email]=jenny%40example.com&metadata[label]=work",
    ("POST", "/v1/payment_methods/{payment_method}/attach"): "customer=cus_SAMPLE",
    ("POST", "/v1/webhook_endpoints"): "url=http%3A%2F%2F127.0.0.1%3A9999%2Fhooks&enabled_events[0]=customer.*",
    ("POST", "/v1/webhook_endpoints/{endpoint}"): "description=Orders+service",
    ("POST", "/v1/events/{event}/retry"): "webhook_endpoint=we_SAMPLE",
    ("POST", "/v1/business_profiles"): "name=Web+shop",
    ("POST", "/v1/business_profiles/{profile}/connectors"): "connector_name=test&credentials[api_key]=sim_key_1234",
    ("POST", "/v1/business_profiles/{profile}/connectors/{connector}"): "disabled=false",
    ("POST", "/v1/payment_intents"): "amount=2000&currency=eur&payment_method=pm_card_visa&confirm=true",
    ("POST", "/v1/payment_intents/{intent}"): "description=Ride+42",
    ("POST", "/v1/payment_intents/{intent}/capture"): "amount_to_capture=2000",
    ("POST", "/v1/payment_intents/{intent}/cancel"): "cancellation_reason=requested_by_customer",
    ("POST", "/v1/refunds"): "payment_intent=pi_SAMPLE&amount=500",
    ("POST", "/v1/refunds/{refund}"): "metadata[note]=sample",
    ("POST", "/v1/checkout/sessions"): (
        "mode=payment&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=7500"
        "&line_items[0][price_data][product_data][name]=Ride+service&line_items[0][quantity]=1"
        "&success_url=https%3A%2F%2Frides.example%2Fdone%3Fsession%3D%7BCHECKOUT_SESSION_ID%7D"
    ),
    ("POST", "/v1/checkout/sessions/{session}/confirm"): "card[token]=tok_visa&email=jenny%40example.com",
    ("POST", "/v1/setup_intents"): "customer=cus_SAMPLE&payment_method=pm_SAMPLE",
    ("POST", "/v1/setup_intents/{setup_intent}"): "metadata[purpose]=rides",
    ("POST", "/v1/setup_intents/{setup_intent}/confirm"): "payment_method=pm_SAMPLE",
    ("POST", "/checkout/{session}"): "key=SESSION_KEY&payment_method=new&number=4242+4242+4242+4242&exp=12%2F34&cvc=123",
    ("POST", "/checkout/{session}/authenticate"): "key=SESSION_KEY&outcome=complete",
    ("POST", "/v1/organization/sharing_enablements"): "accounts[0]=acct_SAMPLE_STANDARD&consent_collected=true",
    ("POST", "/v1/organization/sandboxes"): "name=Staging",
}
QUERIES = {
    ("GET", "/v1/customers"): {"limit": ["3"]},
    ("GET", "/v1/accounts"): {"limit": ["3"]},
    ("GET", "/v1/payment_methods"): {"customer": ["cus_SAMPLE"], "type": ["card"]},
    ("GET", "/v1/events"): {"type": ["customer.*"]},
    ("GET", "/v1/payment_intents"): {"limit": ["3"]},
    ("GET", "/v1/refunds"): {"payment_intent": ["pi_SAMPLE"]},
    ("GET", "/v1/charges"): {"payment_intent": ["pi_SAMPLE"]},
    ("GET", "/v1/customers/search"): {"query": ['name:"Sample"']},
    ("GET", "/checkout/{session}"): {"key": ["SESSION_KEY"]},
}


def caller(kind: str) -> dict[str, Any]:
    """What the authorizer puts in the request context for a caller of `kind`."""
    return {
        "principalId": "acct_SAMPLE_CALLER",
        "org": "org_SAMPLE",
        "account": "acct_SAMPLE_CALLER",
        "kind": kind,
        "pool": "pool_SAMPLE",
        "mode": "test",
        "key_id": "key_SAMPLE_CALLER",
        "key_account": "acct_SAMPLE_CALLER",
        "key_type": "secret",
    }


def sample_events() -> dict[str, dict[str, Any]]:
    template = tpl.load()
    events: dict[str, dict[str, Any]] = {}
    for name, res in tpl.resources(template, "AWS::Serverless::Function").items():
        for event_name, spec in res["Properties"].get("Events", {}).items():
            if spec["Type"] != "Api":
                continue
            method, resource = spec["Properties"]["Method"].upper(), spec["Properties"]["Path"]
            # a parameter without a sample of its own gets <name>_SAMPLE (a route added since: give it one)
            params = {p: PATH_SAMPLES.get(p, f"{p}_SAMPLE") for p in _PATH_PARAM.findall(resource)}
            path = _PATH_PARAM.sub(lambda m: params[m.group(1)], resource)  # noqa: B023 - used at once, in this iteration
            body = BODIES.get((method, resource), "")
            headers = {**(FORM if body else {}), **({"Idempotency-Key": f"sample-{name}-{event_name}"} if method != "GET" else {})}
            kind = "platform" if name in ("AccountsFunction", "OrganizationFunction") else "connected"
            file = f"{name.removesuffix('Function').lower()}_{event_name.lower()}"
            events[file] = proxy_event(
                method,
                resource,
                path,
                params,
                headers,
                QUERIES.get((method, resource), {}),
                body.encode(),
                caller(kind),
                "dev",
                "sample-request",
            )
    # The migration worker's queue message: one step of a sharing enablement.
    step = {"org": "org_SAMPLE", "mode": "test", "enablement": "she_SAMPLE", "seq": 0, "attempt": 0}
    events["migration_step"] = {"Records": [{
        "messageId": "sample-message", "receiptHandle": "sample-receipt", "body": json.dumps(step), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:migration",
    }]}  # fmt: skip
    events["authorizer"] = authorizer_event(
        "GET", "/v1/customers", "/v1/customers", {"Authorization": "Bearer sk_test_REPLACE_WITH_YOUR_KEY"}, "dev"
    )
    return events


# What a Ref to each kind of resource gives (CloudFormation's return values): the placeholder says which to look up.
_REF_IS = {"AWS::DynamoDB::Table": "name", "AWS::SQS::Queue": "URL", "AWS::Events::EventBus": "name", "AWS::KMS::Key": "id"}


def sam_env_vars() -> dict[str, dict[str, str]]:
    """SAM's --env-vars file: the variables that name a resource of the stack, with a placeholder
    for each (`<DirectoryTable name>`). Under "Parameters", SAM's key for every function: each
    function gets only the variables its template entry declares. The others (log level, retry
    schedule, ...) keep the template's values, which `sam local invoke` resolves itself."""
    template = tpl.load()

    def variables(spec: dict[str, Any]) -> dict[str, Any]:
        return dict(spec.get("Environment", {}).get("Variables", {}))

    declared = variables(template.get("Globals", {}).get("Function", {}))
    for res in tpl.resources(template, "AWS::Serverless::Function").values():
        declared.update(variables(res["Properties"]))
    placeholders = {}
    for name, value in declared.items():
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            placeholders[name] = f"<{logical} {attribute.upper() if attribute == 'Arn' else attribute}>"
        elif isinstance(value, dict) and value.get("Ref") in template["Resources"]:
            logical = value["Ref"]
            placeholders[name] = f"<{logical} {_REF_IS.get(template['Resources'][logical]['Type'], 'id')}>"
    return {"Parameters": dict(sorted(placeholders.items()))}


def main() -> None:
    EVENTS.mkdir(exist_ok=True)
    for name, event in sample_events().items():
        event.get("requestContext", {}).pop("requestTimeEpoch", None)  # keep the files stable
        (EVENTS / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n")
        print(f"events/{name}.json")
    ENV_VARS.write_text(json.dumps(sam_env_vars(), indent=2) + "\n")
    print(f"events/{ENV_VARS.name}")


if __name__ == "__main__":
    main()
