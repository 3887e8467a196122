"""Every page module of the dashboard, in the order their routes are tried: a new page group
(a module with a `router`) is added here, and its routes are served (functions/dashboard/app.py)."""

from __future__ import annotations

from types import ModuleType

from orgshare.web.dashboard import customers, home, payments, signin
from orgshare.web.dashboard.developers import DEVELOPER_PAGES

PAGES: tuple[ModuleType, ...] = (signin, home, payments, customers, *DEVELOPER_PAGES)
