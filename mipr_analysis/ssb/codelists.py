"""SSB's codelists (groupings `agg_…` and valuesets `vs_…`): reading `GET /codelists/{id}`
responses and finding the ones stored beside a table.

A codelist is stored as a snapshot of the table whose query uses it (`kind: codelist`, the
codelist's id in the sidecar's `codelist`), so a table's stored files say everything its
queries depended on. The client fetches and stores them; the pages' check reads them here.
"""

from __future__ import annotations

import json
import logging

from .errors import InvalidResponse
from .store import SnapshotStore

log = logging.getLogger(__name__)

CODELIST_KIND = "codelist"


def parse_codelist(body: bytes, codelist_id: str, url: str) -> dict[str, str]:
    """code -> label, in SSB's order, of a `GET /codelists/{id}` response."""
    try:
        doc = json.loads(body)
        return {str(v["code"]): str(v.get("label") or "") for v in doc["values"]}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.debug("codelist %s unreadable: %s", codelist_id, exc)
        raise InvalidResponse(
            f"SSBs svar for kodelisten {codelist_id} ({url}) er ikke JSON med values[].code, så "
            "ingenting ble lagret. Sjekk navnet på kodelisten i tabellens metadata, eller prøv "
            "igjen senere."
        ) from exc


def stored_codelist(store: SnapshotStore, table_id: str, codelist_id: str) -> dict[str, str] | None:
    """code -> label of the newest codelist `codelist_id` stored with the table (any
    language), or None when none is stored."""
    for snap in reversed(store.list(table_id)):
        if (
            snap.kind == CODELIST_KIND
            and str(snap.meta.get("codelist", "")).lower() == codelist_id.lower()
        ):
            return parse_codelist(snap.read_bytes(), codelist_id, snap.meta.get("url", ""))
    return None
