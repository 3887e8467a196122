"""An organization as JSON lines: export it, and import it back into the same system or a stack
that shares its KMS keys (sealed values open only under the keys that sealed them).

The first line names the export ({"orgshare_export": 1, "org": ..., "exported_at": ...}); each
other line is one item, {"table": "directory" | "data" | "events", "item": <DynamoDB's JSON>},
binary values in base64. Nothing is opened or re-sealed on the way: card numbers stay ciphertext."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from typing import Any, TextIO

from orgshare.ids import id_time_ms
from orgshare.storage import org_export

FORMAT = 1


def _encode(attribute: dict[str, Any]) -> dict[str, Any]:
    ((kind, value),) = attribute.items()
    if kind == "B":
        return {"B": base64.b64encode(bytes(value)).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(bytes(v)).decode() for v in value]}
    if kind == "M":
        return {"M": {k: _encode(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [_encode(v) for v in value]}
    return attribute


def _item_out(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _encode(attribute) for name, attribute in item.items()}


def _decode(attribute: dict[str, Any]) -> dict[str, Any]:
    ((kind, value),) = attribute.items()
    if kind == "B":
        return {"B": base64.b64decode(value)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in value]}
    if kind == "M":
        return {"M": {k: _decode(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [_decode(v) for v in value]}
    return attribute


class BadExport(ValueError):
    """The file is not an orgshare export this version reads."""


def _belongs(item: dict[str, Any], org: str) -> bool:
    """An item of `org`'s: its key names the organization as a whole segment, or its `org` is it."""
    pk = str(item.get("pk", {}).get("S", ""))
    return org in pk.split("#") or item.get("org", {}).get("S") == org


def export(org: str, out: TextIO) -> int:
    """Writes `org`'s export to `out`; returns how many items."""
    if not org.startswith("org_") or id_time_ms(org) is None:
        raise BadExport(f"{org!r} is not an organization's id (org_...)")
    out.write(json.dumps({"orgshare_export": FORMAT, "org": org, "exported_at": int(time.time())}) + "\n")
    count = 0
    for table, item in org_export.items(org):
        if not _belongs(item, org):
            continue
        out.write(json.dumps({"table": table, "item": _item_out(item)}, sort_keys=True) + "\n")
        count += 1
    return count


def restore(lines: Iterable[str]) -> tuple[str, int]:
    """Writes an export's items back (an item already there is replaced by the exported one);
    returns (the organization, how many items). The whole file is read and checked first, so a
    file that is not an export writes nothing."""
    it = iter(lines)
    try:
        header = json.loads(next(it))
    except (StopIteration, json.JSONDecodeError) as exc:
        raise BadExport("not an orgshare export: its first line must name it") from exc
    if not isinstance(header, dict) or header.get("orgshare_export") != FORMAT or not isinstance(header.get("org"), str):
        raise BadExport(f"not an orgshare export of format {FORMAT}")
    by_table: dict[str, list[dict[str, Any]]] = {name: [] for name in org_export.TABLES}
    for number, line in enumerate(it, start=2):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            item = {name: _decode(attribute) for name, attribute in entry["item"].items()}
            by_table[entry["table"]].append(item)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadExport(f"line {number} is not an exported item") from exc
        if not _belongs(item, header["org"]):  # a file names one organization, and writes only into it
            raise BadExport(f"line {number} is an item of another organization than {header['org']}")
    for table, batch in by_table.items():
        org_export.put(table, batch)
    return header["org"], sum(len(b) for b in by_table.values())
