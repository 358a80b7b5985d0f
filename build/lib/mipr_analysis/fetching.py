"""What `mipr fetch` asks SSB for, and the command itself.

`fetch_plan` gives one request plan per distinct table and query in the registry; `fetch_all`
fetches a plan; `run_fetch` is the whole `mipr fetch` command (progress, summary, failures).
Everything `run_fetch` prints is for the user and in Norwegian bokmål.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mipr_analysis import config
from mipr_analysis.errors import MiprError
from mipr_analysis.hashing import digest
from mipr_analysis.indicators.registry import Indicator, extra_tables, load_registry
from mipr_analysis.ssb import SSBError
from mipr_analysis.ssb.client import Client, Progress
from mipr_analysis.ssb.errors import RetryAfterTooLong, Unreachable

STOPS = (Unreachable, RetryAfterTooLong)
"""Failures that end the whole run: SSB cannot be reached at all, or asks us to wait longer
than allowed. Every other failure fails one query and the run goes on."""


@dataclass
class FetchItem:
    """One table and query, and the indicators that need it."""

    table: str
    selection: dict[str, list[str]]
    codelists: dict[str, str]
    indicators: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return digest([self.table, self.selection, self.codelists])


@dataclass
class FetchOutcome:
    item: FetchItem
    status: str  # "hentet" | "gjenbrukt" | "feilet"
    detail: str = ""


def fetch_plan(
    registry: Iterable[Indicator] | None = None, tables: Iterable[str] | None = None
) -> tuple[list[FetchItem], list[str]]:
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
        item = FetchItem(
            src.table, {k: list(v) for k, v in src.selection.items()}, dict(src.codelists)
        )
        items.setdefault(item.key, item).indicators.append(ind.id)
    if registry is None:
        for extra in extra_tables():
            if wanted and extra.table not in wanted:
                continue
            seen.add(extra.table)
            item = FetchItem(extra.table, extra.selection, extra.codelists)
            items.setdefault(item.key, item).indicators.append(extra.used_by)
    if unknown := sorted(wanted - seen):
        raise SSBError(
            f"Tabell {', '.join(unknown)} brukes ikke av noen indikator i registeret. "
            "Legg den til i registry.yaml, eller hent den fra en notatbok med "
            "Client.fetch."
        )
    return list(items.values()), pending


def by_table(items: Iterable[FetchItem]) -> list[tuple[str, list[FetchItem]]]:
    """The items grouped by table, tables in the order they first appear."""
    groups: dict[str, list[FetchItem]] = {}
    for item in items:
        groups.setdefault(item.table, []).append(item)
    return list(groups.items())


def fetch_all(
    items: list[FetchItem],
    client: Client | None = None,
    on_done: Callable[[FetchOutcome], None] | None = None,
) -> list[FetchOutcome]:
    """Fetch every item (reusing snapshots SSB has not updated since), table by table, each
    table within one time budget (`Client.table_budget`). One failure stops none, except the
    `STOPS`, which are raised."""
    client = client or Client()
    outcomes = []
    with client.one_check_per_table():
        for table, group in by_table(items):
            with client.table_budget(table):
                for item in group:
                    outcome = _fetch_one(client, item)
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
    return outcomes


def _fetch_one(client: Client, item: FetchItem) -> FetchOutcome:
    """Fetch one query (or reuse its snapshot); an SSB error becomes a failed outcome, except
    the `STOPS`."""
    try:
        client.metadata(item.table)  # stored (once), so registry codes can be checked offline
        before = len(client.store.list(item.table))
        df = client.fetch(item.table, item.selection, item.codelists or None, reuse=True)
    except STOPS:
        raise
    except SSBError as exc:
        return FetchOutcome(item, "feilet", one_line(exc))
    snap = df.attrs.get("snapshot", {})
    status = "hentet" if len(client.store.list(item.table)) > before else "gjenbrukt"
    return FetchOutcome(
        item, status, f"{len(df)} celler, SSB oppdatert {snap.get('ssb_updated') or 'ukjent'}"
    )


def one_line(message: object) -> str:
    """A message as one line (runs of whitespace, newlines included, become one space)."""
    return " ".join(str(message).split())


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _counts(outcomes: list[FetchOutcome]) -> dict[str, int]:
    return {s: sum(o.status == s for o in outcomes) for s in ("hentet", "gjenbrukt", "feilet")}


def run_fetch(
    tables: list[str] | None,
    *,
    echo: Callable[[str], None] = print,
    echo_err: Callable[[str], None] = _to_stderr,
    client: Client | None = None,
) -> int:
    """The `mipr fetch` command: fetch what the registry needs (only `tables`, if given).

    Progress, the summary and the not-yet-fetchable indicators go to `echo`; failed queries,
    one line per table and message, to `echo_err`. Returns 0 when nothing failed, else 1.
    Raises `MiprError` when offline (`MIPR_OFFLINE=1`), for a table the registry does not use,
    and for a stop (`STOPS`: SSB unreachable, or a `Retry-After` beyond the maximum wait).
    `client`: for tests; it gets a progress callback unless it has one.
    """
    if config.offline():
        raise MiprError(
            "MIPR_OFFLINE=1 er satt, så `mipr fetch` kan ikke hente fra SSB. "
            "Fjern MIPR_OFFLINE (eller sett MIPR_OFFLINE=0) og kjør på nytt."
        )
    items, pending = fetch_plan(tables=tables)
    where = {"label": ""}

    def progress(event: Progress) -> None:
        echo(f"  {where['label'] or event.table or 'SSB'}: {event.message}")

    client = client or Client(progress=progress)
    if client.progress is None:
        client.progress = progress
    groups = by_table(items)
    total = len(items)
    echo(
        f"Henter {total} spørring(er) fra {len(groups)} tabell(er) hos SSB ({client.base_url}); "
        f"tidsbudsjett {client.budget:g} s per tabell."
    )
    outcomes: list[FetchOutcome] = []
    try:
        with client.one_check_per_table():
            for table, group in groups:
                echo(f"{table}: {len(group)} spørring(er) …")
                with client.table_budget(table):
                    for number, item in enumerate(group, start=1):
                        where["label"] = f"{table}, spørring {number}/{len(group)}"
                        outcome = _fetch_one(client, item)
                        outcomes.append(outcome)
                        echo(
                            f"[{len(outcomes)}/{total}] {where['label']}: {outcome.status}  "
                            f"{outcome.detail}"
                        )
    except STOPS:
        c = _counts(outcomes)
        echo(
            f"Stoppet etter {len(outcomes)} av {total} spørring(er): {c['hentet']} hentet, "
            f"{c['gjenbrukt']} gjenbrukt, {c['feilet']} feilet; resten ble ikke forsøkt."
        )
        raise
    finally:
        where["label"] = ""
    c = _counts(outcomes)
    echo(
        f"Ferdig: {c['hentet']} hentet, {c['gjenbrukt']} gjenbrukt (uendret hos SSB), "
        f"{c['feilet']} feilet."
    )
    for line in pending:
        echo(f"Ikke hentet ennå: {line}")
    failed = [o for o in outcomes if o.status == "feilet"]
    reported: dict[tuple[str, str], int] = {}
    for outcome in failed:
        key = (outcome.item.table, outcome.detail)
        reported[key] = reported.get(key, 0) + 1
    per_table = {table: len(group) for table, group in groups}
    for (table, detail), count in reported.items():
        of = f" ({count} av {per_table[table]} spørringer)" if per_table[table] > 1 else ""
        echo_err(f"mipr fetch: {table}{of}: {detail}")
    return 1 if failed else 0
