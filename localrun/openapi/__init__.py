"""The OpenAPI 3.1 description of the API, generated from template.yaml and the request models.

Assembled here rather than by powertools' `get_openapi_schema`: that one describes routes from
their decorators' type hints, while our handlers read their params model inside (`api.read`,
`api.write`), and template.yaml, not the resolvers, says which routes exist and which need a key.
A dev tool (never shipped: the layer is orgshare/), next to localrun.events, which also turns the
template into files; the API serves the committed copy (functions/openapi)."""

from __future__ import annotations

import json
from typing import Any

from localrun import template as tpl

DOC = tpl.ROOT / "docs" / "openapi.json"
SERVED = tpl.ROOT / "functions" / "openapi" / "openapi.json"  # what GET /v1/openapi.json answers


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generate() -> str:
    from localrun.openapi.document import build  # the params models load only when asked

    return render(build())


def write() -> list[str]:
    """Writes the document where it is committed and where the API serves it; returns those written."""
    text = generate()
    written = []
    for path in (DOC, SERVED):
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(str(path.relative_to(tpl.ROOT)))
    return written
