"""A warm function opens a connector's credentials with KMS once, and again as soon as they are
sealed anew (an update): a payment's only KMS call is then its card's."""

from __future__ import annotations

import json
from typing import Any

from bench.counting import kms_calls
from orgshare import admin
from orgshare.domain import profiles
from orgshare.vault import sealing


def _record(who: Any, secret: dict[str, str]) -> dict[str, Any]:
    sealed = sealing.seal(json.dumps(secret), {"org": who.org, "connector": "mca_1"}).as_item()
    return {"id": "mca_1", "credentials": sealed}


def test_credentials_are_opened_once_while_their_seal_is_unchanged(aws: dict[str, str]) -> None:
    demo = admin.seed_demo()
    who = admin.platform_principal(demo.org, demo.accounts[0].id, demo.pool, "test")
    first = _record(who, {"api_key": "old"})
    with kms_calls() as calls:
        assert profiles._credentials(who, first) == {"api_key": "old"}
        opened = profiles._credentials(who, first)
        opened["api_key"] = "changed by a caller"  # a copy: the next payment still gets the stored value
        assert profiles._credentials(who, first) == {"api_key": "old"}
    assert calls == {"Decrypt": 1}
    updated = _record(who, {"api_key": "new"})
    with kms_calls() as calls:
        assert profiles._credentials(who, updated) == {"api_key": "new"}
    assert calls == {"Decrypt": 1}
    other = admin.platform_principal("org_other", demo.accounts[0].id, demo.pool, "test")
    theirs = _record(other, {"api_key": "theirs"})
    with kms_calls() as calls:  # another organization's connector of the same id is its own
        assert profiles._credentials(other, theirs) == {"api_key": "theirs"}
    assert calls == {"Decrypt": 1}
