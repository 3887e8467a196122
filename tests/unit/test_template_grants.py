"""What the code calls, the template grants: IAM isn't enforced by moto or the local system, so
these checks stand in for a deployment refusing a call (an AccessDenied would be a 500)."""

from __future__ import annotations

from typing import Any

import pytest

from localrun import template as tpl

# Every function that serves a request of an account may meet a customer or payment method not
# moved yet into the shared pool, and move it there and then (domain/migration/handover.py): the
# reads and the conditional transaction of puts, deletes and the enablement's counters.
MOVES_ON_TOUCH = ("CustomersFunction", "PaymentMethodsFunction", "PaymentsFunction", "CheckoutFunction", "SetupIntentsFunction",
                  "PagesFunction")  # fmt: skip
MOVE_ACTIONS = {"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"}


def _granted(function: str, table: str) -> set[str]:
    template = tpl.load()
    res = tpl.resources(template, "AWS::Serverless::Function")[function]
    actions: set[str] = set()
    for policy in res["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []):
            resources: Any = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            if any(table in str(r) for r in resources):
                actions |= set(statement["Action"])
    return actions


@pytest.mark.parametrize("function", MOVES_ON_TOUCH)
def test_functions_that_move_on_touch_may_make_the_moves(function: str) -> None:
    assert _granted(function, "DataTable") >= MOVE_ACTIONS, function


def test_the_migration_worker_has_what_it_uses_and_no_more() -> None:
    assert _granted("MigrationFunction", "DirectoryTable") == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert _granted("MigrationFunction", "DataTable") == MOVE_ACTIONS
    assert _granted("MigrationFunction", "EventsTable") == {"dynamodb:PutItem"}


# Minting a key (listing and lookup items, its keyed hash), rolling it (a new key, the old one's
# expiry or revocation) and revoking it (the lookup item deleted), for accounts' and the organization's keys.
KEY_MANAGERS = ("AccountsFunction", "OrganizationFunction")
KEY_ACTIONS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}


@pytest.mark.parametrize("function", KEY_MANAGERS)
def test_functions_that_manage_api_keys_may_mint_roll_and_revoke_them(function: str) -> None:
    assert _granted(function, "DirectoryTable") >= KEY_ACTIONS, function
    assert "kms:GenerateMac" in _granted(function, "LookupKey"), function


def test_the_organization_view_reads_only_and_its_projector_writes_only_its_items() -> None:
    # The view: reads of the data table and its indexes, an account check in the directory; no writes anywhere.
    assert _granted("OrgViewFunction", "DataTable") == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    assert _granted("OrgViewFunction", "DirectoryTable") == {"dynamodb:GetItem"}
    assert _granted("OrgViewFunction", "EventsTable") == set()
    # The projector: one BatchGetItem over the data and events tables, one transaction of puts and deletes, the account's pool.
    assert _granted("OrgProjectorFunction", "DataTable") == {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}
    assert _granted("OrgProjectorFunction", "EventsTable") == {"dynamodb:BatchGetItem", "dynamodb:PutItem"}
    assert _granted("OrgProjectorFunction", "DirectoryTable") == {"dynamodb:GetItem"}


def test_the_projection_queue_is_fed_by_its_rule_and_watched() -> None:
    template = tpl.load()
    rule = template["Resources"]["EventsToProjectionRule"]["Properties"]
    assert rule["EventPattern"]["detail"] == {"org_copy": [True]}
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["ProjectionQueue", "Arn"]}
    queue = template["Resources"]["ProjectionQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ProjectionDLQ", "Arn"]}
    alarm = template["Resources"]["ProjectionDLQDepthAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["ProjectionDLQ", "QueueName"]}
    events = template["Resources"]["OrgProjectorFunction"]["Properties"]["Events"]
    assert events["Projection"]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_erasure_function_can_redact_and_destroy_but_never_opens_the_vault() -> None:
    # Redacting (UpdateItem), destroying (DeleteItem), the tombstone and the record (PutItem), its
    # guards (ConditionCheckItem), reading by key and by the customer indexes; the change record.
    assert _granted("OrgPrivacyFunction", "DataTable") == {"dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
                                                           "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                                                           "dynamodb:ConditionCheckItem"}  # fmt: skip
    assert _granted("OrgPrivacyFunction", "index/*") == _granted("OrgPrivacyFunction", "DataTable")
    assert _granted("OrgPrivacyFunction", "EventsTable") == {"dynamodb:PutItem"}
    # Accounts and enablements (Query), Stripe-Account (GetItem), duplicate lists (BatchGetItem, UpdateItem, DeleteItem).
    assert _granted("OrgPrivacyFunction", "DirectoryTable") == {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem",
                                                                "dynamodb:UpdateItem", "dynamodb:DeleteItem"}  # fmt: skip
    # Destroying a sealed card deletes the item holding it: no vault grant at all, not even to seal.
    assert _granted("OrgPrivacyFunction", "VaultKey") == set() and _granted("OrgPrivacyFunction", "FingerprintKey") == set()
    assert _granted("OrgPrivacyFunction", "LookupKey") == {"kms:GenerateMac"}
    template = tpl.load()
    events = tpl.resources(template, "AWS::Serverless::Function")["OrgPrivacyFunction"]["Properties"]["Events"]
    assert {e["Properties"]["Path"] for e in events.values()} == {
        "/v1/organization/customers/{customer}/erase", "/v1/organization/customer_erasures", "/v1/organization/customer_erasures/{erasure}",
        "/v1/organization/customers/{customer}/consents", "/v1/organization/customers/{customer}/consents/export",
    }  # fmt: skip


def test_the_dashboard_has_what_its_pages_use() -> None:
    # Its sessions (storage/dashboard_sessions.py), the key check and the switcher (directory), the
    # organization view's reads, the changes it makes through the domain (and moves on touch), events.
    assert _granted("DashboardFunction", "DashboardSessionsTable") == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                                                       "dynamodb:DeleteItem"}  # fmt: skip
    assert _granted("DashboardFunction", "DirectoryTable") >= {"dynamodb:GetItem", "dynamodb:Query"}
    assert _granted("DashboardFunction", "DataTable") >= MOVE_ACTIONS | {"dynamodb:GetItem", "dynamodb:ConditionCheckItem"}
    assert _granted("DashboardFunction", "EventsTable") >= {"dynamodb:Query", "dynamodb:PutItem"}
    # A form's change runs once per its request token (web/dashboard/replays.py): the API's idempotency records.
    assert _granted("DashboardFunction", "IdempotencyTable") == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                                                 "dynamodb:DeleteItem"}  # fmt: skip
    # Only the dashboard reads the sessions table.
    others = [f for f in tpl.resources(tpl.load(), "AWS::Serverless::Function") if f != "DashboardFunction"]
    assert all(not _granted(f, "DashboardSessionsTable") for f in others)


def _vault_statements(function: str) -> list[dict[str, Any]]:
    res = tpl.resources(tpl.load(), "AWS::Serverless::Function")[function]
    return [s for p in res["Properties"].get("Policies", []) for s in p.get("Statement", []) if "VaultKey" in str(s["Resource"])]


@pytest.mark.parametrize("function", ["DispatcherFunction", "WebhookEndpointsFunction", "DashboardFunction"])
def test_webhook_keyrings_open_under_their_own_context_only(function: str) -> None:
    # domain/webhook_secrets.py: one key pair per organization and mode, its private key sealed under the context
    # {org, mode, keyring}. Whatever may use it can open no card: a card's context names its payment_method.
    keyring = [s for s in _vault_statements(function) if "kms:EncryptionContext:keyring" in str(s.get("Condition"))]
    assert len(keyring) == 1, function
    condition = keyring[0]["Condition"]
    assert condition["StringEquals"] == {"kms:EncryptionContext:keyring": "webhook_secrets"}
    assert condition["ForAllValues:StringEquals"] == {"kms:EncryptionContextKeys": ["org", "mode", "keyring"]}
    # The dispatcher opens the private key and seals nothing; the functions that create endpoints seal the new secret to
    # the public key and may only seal the private key (with the first endpoint): they can never open a secret.
    assert keyring[0]["Action"] == (["kms:Decrypt"] if function == "DispatcherFunction" else ["kms:GenerateDataKey"])
    for statement in _vault_statements(function):
        assert "payment_method" not in str(statement.get("Condition")), function


def test_the_dispatchers_slow_lane_is_a_queue_of_its_own_with_a_low_concurrency() -> None:
    # domain/webhook_health.py: failing endpoints and retries hold at most the slow lane's 5 executions, never the main lane's 50.
    template = tpl.load()
    dispatcher = tpl.resources(template, "AWS::Serverless::Function")["DispatcherFunction"]["Properties"]
    events = dispatcher["Events"].values()
    lanes = {e["Properties"]["Queue"]["Fn::GetAtt"][0]: e["Properties"]["ScalingConfig"]["MaximumConcurrency"] for e in events}
    assert lanes == {"DeliveryQueue": 50, "DeliverySlowQueue": 5}
    assert template["Globals"]["Function"]["Environment"]["Variables"]["DELIVERY_SLOW_QUEUE_URL"] == {"Ref": "DeliverySlowQueue"}
    assert _granted("DispatcherFunction", "DeliverySlowQueue") == {"sqs:SendMessage"}
    # Its health (UpdateItem) and, disabling an endpoint, the change record of its event (PutItem).
    assert {"dynamodb:UpdateItem", "dynamodb:GetItem"} <= _granted("DispatcherFunction", "DirectoryTable")
    assert "dynamodb:PutItem" in _granted("DispatcherFunction", "EventsTable")
