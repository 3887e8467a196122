"""Sessions past their expires_at expire on their own: a scheduled sweep, not a check on read.

Open sessions are indexed by the minute they expire; each run reads the minutes since the last one
it finished (a checkpoint), so a run that fails or is late is caught up by the next, and each
session is expired once, with its checkout.session.expired event.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from orgshare.domain import auth, payments
from orgshare.domain.checkout import completion, sessions
from orgshare.domain.principal import RequestInfo
from orgshare.settings import get_settings
from orgshare.storage import checkout as store

MAX_MINUTES = 24 * 60  # a run catches up at most a day: sessions live at most 24 hours
_PAGE = 100
_PAGES_PER_MINUTE = 50  # bounds one run's work (and a stale index's re-reads)


def _minutes(first: datetime, last: datetime) -> list[str]:
    count = int((last - first).total_seconds() // 60) + 1
    return [(first + timedelta(minutes=n)).strftime("%Y%m%d%H%M") for n in range(max(0, min(count, MAX_MINUTES)))]


def sweep(now: float | None = None) -> int:
    """Expires what is due in every minute that has fully passed since the last sweep; the count."""
    current = datetime.fromtimestamp(now if now is not None else time.time(), tz=UTC).replace(second=0, microsecond=0)
    done = store.swept_until()
    # A first run looks an hour back: sessions are at least 30 minutes long, so none is due before that.
    start = datetime.strptime(done, "%Y%m%d%H%M").replace(tzinfo=UTC) + timedelta(minutes=1) if done else current - timedelta(hours=1)
    expired = 0
    for minute in _minutes(start, current - timedelta(minutes=1)):
        for _ in range(_PAGES_PER_MINUTE):
            batch = store.expiring_in(minute, _PAGE)
            expired += sum(_expire(item) for item in batch)
            if len(batch) < _PAGE:
                break
        else:
            return expired  # more than one run should take on: the next run resumes at this minute
        store.mark_swept(minute)
    return expired


def _expire(item: dict[str, object]) -> bool:
    who = auth.account_principal(str(item["org"]), str(item["account"]), str(item["mode"]), "expiry", get_settings().account_cache_seconds)
    if who is None:
        return False
    request = RequestInfo("req_expiry_" + str(item["id"]).rpartition("_")[2])
    session = sessions.load(who, str(item["id"]))
    if session["status"] != "open" or int(session.get("attempt_started") or 0) > time.time() - completion.ATTEMPT_SECONDS:
        return False  # done with meanwhile, or being paid right now (the next run looks again)
    if session.get("payment_intent"):  # paid, but the session never completed (a crash between the two): complete it instead
        intent = payments.load(who, str(session["payment_intent"]))
        if intent["status"] == "succeeded":
            completion.complete(who, session, payments.render(intent), None, request)
            return False
    return sessions.expired_version(who, session, request) is not None
