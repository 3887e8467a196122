"""The dashboard: server-rendered pages for an organization's people, signed in with a secret key.
How to add a page module: /tmp/brief/dashboard_core.md (routes, templates, sidebar, sessions, CSRF)."""
