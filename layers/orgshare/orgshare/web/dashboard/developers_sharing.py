"""Sharing enablement, for the organization: its accounts and whether each shares, enabling sharing
for chosen standard accounts (the consent box is required and its wording shown beside it; the
domain checks the value, as the API's consent_collected), behind a confirmation (it cannot be
undone), then the enablement's page with its progress: a <progress> bar that a small script keeps
current from a JSON answer, or (no script) a page that refreshes itself until it has finished."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.domain.migration.enablement_view import CONSENT_WORDING, CONSENT_WORDING_VERSION
from orgshare.domain.organization import enablements, view
from orgshare.domain.organization.enablements import IRREVERSIBLE
from orgshare.errors import ApiError
from orgshare.params.common import parse
from orgshare.params.organization import SharingDuplicateList, SharingEnablementCreate
from orgshare.web.dashboard import guard, layout, replays
from orgshare.web.dashboard.developers_common import SCRIPT, SECTION, names, require_organization
from orgshare.web.dashboard.layout import NavItem

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
PATH = "/dashboard/developers/sharing"
REFRESH_SECONDS = 2  # the page without script reloads itself this often while the enablement runs
FINISHED = ("succeeded", "failed")
STATUS_TEXT = {"pending": "Waiting for the switch", "in_progress": "Moving customers", "succeeded": "Succeeded", "failed": "Failed"}
_ACCOUNT_FIELD = re.compile(r"^accounts\[(\d{1,3})\]$")

layout.add_nav(NavItem("Sharing", PATH, "organization", section=SECTION, order=63))
layout.add_notices({
    "sharing_enabled": "Sharing is enabled. The accounts switch to the shared pool shortly; their customers then move in.",
    "sharing_retried": "The enablement continues from where it stopped.",
})  # fmt: skip


def _page(visit: guard.Visit, error: ApiError | None = None, chosen: list[str] | None = None) -> Response[str]:
    require_organization(visit)
    organization = view.retrieve(visit.principal)
    candidates = [a for a in organization["accounts"] if a["type"] == "standard" and not a["shares"]]
    return layout.render(visit, "developers/sharing.html", 400 if error else 200, title="Sharing", organization=organization,
                         accounts=organization["accounts"], candidates=candidates, enablements=organization["sharing_enablements"]["data"],
                         names=names(visit), wording=CONSENT_WORDING, wording_version=CONSENT_WORDING_VERSION, irreversible=IRREVERSIBLE,
                         error=error.message if error else None, chosen=chosen or [], status_text=STATUS_TEXT)  # fmt: skip


@router.get(PATH)
def sharing() -> Response[str]:
    return _page(guard.visit(router))


def chosen_accounts(form: dict[str, str]) -> list[str]:
    """The ticked accounts: accounts[N]=acct_... (as on the wire), in N's order."""
    found = sorted((int(m.group(1)), v) for k, v in form.items() if (m := _ACCOUNT_FIELD.match(k)) and v)
    return [v for _, v in found]


@router.post(PATH)
def enable() -> Response[str]:
    visit, form = guard.change(router)
    require_organization(visit)
    chosen = chosen_accounts(form)
    # The box ticked is exactly true; unticked is no answer at all, which the domain refuses with its own message.
    consent = True if form.get("consent_collected") == "true" else None
    try:
        params = parse(SharingEnablementCreate, {"accounts": chosen or None, "consent_collected": consent})
        if consent and chosen and not layout.confirmed(form):
            listed = names(visit)
            who = ", ".join(listed.get(a, a) for a in chosen)
            return layout.confirm(visit, title="Enable sharing?", button="Enable sharing", back=PATH, action=PATH, fields=form,
                                  text=f"Enable sharing for {who}? Their customers and saved cards become visible to every account of the "
                                       f"shared pool. {IRREVERSIBLE}")  # fmt: skip
        # Without the consent or without an account the domain refuses before it writes anything,
        # so those answers need no confirmation step: its message is shown on the form.
        made = replays.once(visit, visit.principal, form, lambda: enablements.create(visit.principal, params, visit.request))
    except ApiError as error:
        return _page(visit, error, chosen)
    return layout.redirect(visit, f"{PATH}/{made['id']}", notice="sharing_enabled")


def percent(enablement: dict[str, Any]) -> int:
    """How far the move is: 100 only once it has succeeded (the total grows as each account is
    counted, so a running one never shows 100)."""
    if enablement["status"] == "succeeded":
        return 100
    progress = enablement["progress"]
    total = progress["customers_total"]
    return min(99, progress["customers_moved"] * 100 // total) if total else 0


def progress_text(enablement: dict[str, Any]) -> str:
    progress, status = enablement["progress"], enablement["status"]
    moved, total = progress["customers_moved"], progress["customers_total"]
    if status == "succeeded":
        return f"Succeeded: {moved} of {total} customers moved (100%)."
    if status == "failed":
        return f"Failed after moving {moved} of {total} customers: {(enablement.get('failure') or {}).get('message', 'see below')}"
    if status == "pending":
        return "Waiting for the accounts to switch to the shared pool (0%)."
    return f"Moving customers: {moved} of {total} moved ({percent(enablement)}%)."


def snapshot(enablement: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of an enablement, and what its script is sent to update it."""
    status = enablement["status"]
    return {"id": enablement["id"], "status": status, "status_text": STATUS_TEXT.get(status, status),
            "percent": percent(enablement), "text": progress_text(enablement), "progress": enablement["progress"],
            "failure": enablement.get("failure"), "finished": status in FINISHED}  # fmt: skip


@router.get(PATH + "/<enablement>")
def show(enablement: str) -> Response[str]:
    visit = guard.visit(router)
    require_organization(visit)
    found = enablements.retrieve(visit.principal, enablement)
    duplicates = []
    if found["status"] == "succeeded":
        url = f"/v1/organization/sharing_enablements/{enablement}/duplicates"
        duplicates = enablements.duplicates(visit.principal, enablement, parse(SharingDuplicateList, {"limit": 20}), url)["data"]
    return layout.render(visit, "developers/enablement.html", title="Sharing enablement", enablement=found, shown=snapshot(found),
                         names=names(visit), duplicates=duplicates, refresh=None if found["status"] in FINISHED else REFRESH_SECONDS,
                         script=SCRIPT, status_url=visit.url(f"{PATH}/{enablement}/progress"))  # fmt: skip


@router.get(PATH + "/<enablement>/progress")
def progress(enablement: str) -> Response[Any]:
    """The enablement's progress as JSON, for the page's script (same session, same origin)."""
    visit = guard.visit(router)
    require_organization(visit)
    found = enablements.retrieve(visit.principal, enablement)
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return Response(status_code=200, body=json.dumps(snapshot(found)), headers=headers)


@router.post(PATH + "/<enablement>/retry")
def retry(enablement: str) -> Response[str]:
    visit, form = guard.change(router)
    require_organization(visit)
    page = f"{PATH}/{enablement}"
    try:
        replays.once(visit, visit.principal, form, lambda: enablements.retry(visit.principal, enablement, visit.request))
    except ApiError as error:
        return layout.failed(visit, error, back=page)
    return layout.redirect(visit, page, notice="sharing_retried")
