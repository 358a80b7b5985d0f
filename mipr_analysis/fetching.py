"""What `mipr fetch` asks SSB for: one request plan per distinct table and query in the registry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mipr_analysis.indicators import Indicator, load_registry
from mipr_analysis.ssb import SSBError
from mipr_analysis.ssb.client import Client


@dataclass
class FetchItem:
    """One table and query, and the indicators that need it."""

    table: str
    selection: dict[str, list[str]]
    codelists: dict[str, str]
    indicators: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return json.dumps([self.table, self.selection, self.codelists], sort_keys=True)


@dataclass
class FetchOutcome:
    item: FetchItem
    status: str  # "hentet" | "gjenbrukt" | "feilet"
    detail: str = ""


def fetch_plan(registry: Iterable[Indicator] | None = None,
               tables: Iterable[str] | None = None) -> tuple[list[FetchItem], list[str]]:
    """The distinct queries the registry needs, and the indicators that cannot be fetched yet.

    `tables` limits the plan to those table ids. Indicators whose source is `pending` (codes not
    confirmed yet) are listed in the second value with the reason, never guessed.
    """
    wanted = set(tables or [])
    items: dict[str, FetchItem] = {}
    pending: list[str] = []
    seen: set[str] = set()
    for ind in registry if registry is not None else load_registry():
        src = ind.source
        if src.type != "ssb" or (wanted and src.table not in wanted):
            continue
        seen.add(src.table)
        if src.pending:
            pending.append(f"{ind.id} (tabell {src.table}): {src.pending}")
            continue
        item = FetchItem(src.table, {k: list(v) for k, v in src.selection.items()},
                         dict(src.codelists))
        items.setdefault(item.key, item).indicators.append(ind.id)
    if unknown := sorted(wanted - seen):
        raise SSBError(f"table {', '.join(unknown)} is not used by any indicator in the registry; "
                       "add it to registry.yaml, or fetch it from a notebook with Client.fetch")
    return list(items.values()), pending


def fetch_all(items: list[FetchItem], client: Client | None = None,
              on_done: Callable[[FetchOutcome], None] | None = None) -> list[FetchOutcome]:
    """Fetch every item (reusing snapshots SSB has not updated since); one failure stops none."""
    client = client or Client()
    outcomes = []
    with client.one_check_per_table():
        for item in items:
            outcome = _fetch_one(client, item)
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    return outcomes


def _fetch_one(client: Client, item: FetchItem) -> FetchOutcome:
    """Fetch one query (or reuse its snapshot); an SSB error becomes a failed outcome."""
    try:
        client.metadata(item.table)  # stored (once), so registry codes can be checked offline
        before = len(client.store.list(item.table))
        df = client.fetch(item.table, item.selection, item.codelists or None, reuse=True)
    except SSBError as exc:
        return FetchOutcome(item, "feilet", str(exc))
    snap = df.attrs.get("snapshot", {})
    status = "hentet" if len(client.store.list(item.table)) > before else "gjenbrukt"
    return FetchOutcome(item, status, f"{len(df)} celler, SSB oppdatert "
                                      f"{snap.get('ssb_updated') or 'ukjent'}")
