"""The dashboard's Developers pages make the same domain calls as the API functions for webhook
endpoints, events, API keys, business profiles and sharing enablements: the DashboardFunction must
be granted what those calls need (IAM isn't enforced locally; a missing grant would be a 500)."""

from __future__ import annotations

from typing import Any

import pytest

from localrun import template as tpl
from tests.unit.test_template_grants import _granted

DASHBOARD = "DashboardFunction"


def _kms_contexts(function: str, action: str) -> list[list[str]]:
    """The encryption-context keys each statement allowing `action` on the vault key is limited to."""
    res = tpl.resources(tpl.load(), "AWS::Serverless::Function")[function]
    found = []
    for policy in res["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []):
            if action in statement["Action"] and "VaultKey" in str(statement["Resource"]):
                condition: Any = statement.get("Condition", {})
                found.append(sorted(condition.get("ForAllValues:StringEquals", {}).get("kms:EncryptionContextKeys", [])))
    return found


@pytest.mark.parametrize(
    ("api_function", "table"),
    [
        ("WebhookEndpointsFunction", "DirectoryTable"),  # endpoints: BatchGetItem, PutItem, DeleteItem
        ("AccountsFunction", "DirectoryTable"),  # accounts' keys: minted, rolled, revoked
        ("ProfilesFunction", "DirectoryTable"),  # profiles and connectors
        ("OrganizationFunction", "DirectoryTable"),  # organization keys, enablements (ConditionCheckItem)
        ("EventsFunction", "EventsTable"),  # an event (BatchGetItem) and its attempts (Query)
    ],
)
def test_the_dashboard_may_do_what_the_api_does_for_the_developers_pages(api_function: str, table: str) -> None:
    assert _granted(DASHBOARD, table) >= _granted(api_function, table), api_function


def test_the_dashboard_may_resend_events_and_start_enablements() -> None:
    assert "sqs:SendMessage" in _granted(DASHBOARD, "DeliveryQueue")
    assert "sqs:SendMessage" in _granted(DASHBOARD, "MigrationQueue")


def test_the_dashboard_seals_new_secrets_only_for_endpoints_and_connectors() -> None:
    # A connector's credentials; the organization's webhook key pair, sealed with its first endpoint (domain/webhook_secrets.py).
    assert sorted(_kms_contexts(DASHBOARD, "kms:GenerateDataKey")) == [["connector", "org"], ["keyring", "mode", "org"]]
    # What it may open stays limited by context (the Developers pages open nothing: secrets are shown once, at creation).
    assert all(_kms_contexts(DASHBOARD, "kms:Decrypt"))
    env = tpl.resources(tpl.load(), "AWS::Serverless::Function")[DASHBOARD]["Properties"]["Environment"]["Variables"]
    assert "VAULT_KEY_ID" in env
