"""What `mipr fetch` asks SSB for, the command itself, and its check (`mipr fetch --check`).

`fetch_plan` gives one request plan per distinct table and query in the registry; `fetch_all`
fetches a plan; `run_fetch` is the whole `mipr fetch` command (progress, summary, failures, and
with `pages` what is new); `run_check` is `mipr fetch --check`: it asks SSB for each table's
metadata and the codelists the queries name, checks every query with `ssb.check` (the check the
pages' note uses too) and counts cells and requests as the client would (`Client.request_plan`),
without fetching data. A query SSB refuses during a fetch gets the same problem report.
Everything printed is for the user and in Norwegian bokmål.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from mipr_analysis import config
from mipr_analysis.console import one_line, printable, table_lines
from mipr_analysis.errors import MiprError
from mipr_analysis.formatting import fmt_number, year_spans
from mipr_analysis.hashing import digest
from mipr_analysis.indicators import commuting
from mipr_analysis.indicators.registry import Indicator, extra_tables, load_registry
from mipr_analysis.ssb import SSBError
from mipr_analysis.ssb.check import Problem, SelectionCheck, check_selection, offered_codelists
from mipr_analysis.ssb.client import Client, Progress, RequestPlan
from mipr_analysis.ssb.errors import BadQuery, RetryAfterTooLong, Unreachable
from mipr_analysis.ssb.jsonstat import TableMetadata

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
    """`problems`: what SSB's metadata says is wrong with a query SSB refused (`BadQuery`).
    `years`: the years with values in what was fetched or reused."""

    item: FetchItem
    status: str  # "hentet" | "gjenbrukt" | "feilet"
    detail: str = ""
    problems: list[Problem] = field(default_factory=list)
    years: tuple[int, ...] = ()


@dataclass(frozen=True)
class Pending:
    """An indicator whose codes are not chosen yet (`source.pending`): not fetched."""

    indicator: str
    table: str
    reason: str

    def __str__(self) -> str:
        return f"{self.indicator} (tabell {self.table}): {self.reason}"


def fetch_plan(
    registry: Iterable[Indicator] | None = None, tables: Iterable[str] | None = None
) -> tuple[list[FetchItem], list[Pending]]:
    """The distinct queries the registry needs, and the indicators that cannot be fetched yet.

    `tables` limits the plan to those table ids. Indicators whose source is `pending` (codes not
    confirmed yet) are listed in the second value with the reason, never guessed. The
    registry's `tables:` are added when `registry` is None (the packaged registry).
    """
    wanted = set(tables or [])
    items: dict[str, FetchItem] = {}
    pending: list[Pending] = []
    seen: set[str] = set()
    for ind in registry if registry is not None else load_registry():
        src = ind.source
        if src.type != "ssb" or (wanted and src.table not in wanted):
            continue
        assert src.table is not None, "the registry requires source.table of an SSB source"
        seen.add(src.table)
        if src.pending:
            pending.append(Pending(ind.id, src.table, src.pending))
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
    the `STOPS`. A query SSB refuses is checked against the table's metadata, so the outcome
    says which variable and code are wrong."""
    try:
        client.metadata(item.table)  # stored (once), so registry codes can be checked offline
        before = _data_snapshots(client, item.table)
        df = client.fetch(item.table, item.selection, item.codelists or None, reuse=True)
    except STOPS:
        raise
    except BadQuery as exc:  # SSB refused the query, or the client saw it would
        problems = _diagnose(client, item)
        detail = "; ".join(p.text for p in problems) if problems else one_line(exc)
        return FetchOutcome(item, "feilet", detail, problems=problems)
    except SSBError as exc:
        return FetchOutcome(item, "feilet", one_line(exc))
    snap = df.attrs.get("snapshot", {})
    status = "hentet" if _data_snapshots(client, item.table) > before else "gjenbrukt"
    years = df.loc[df["value"].notna(), "year"].dropna().unique() if "year" in df else []
    return FetchOutcome(
        item,
        status,
        f"{len(df)} celler, SSB oppdatert {snap.get('ssb_updated') or 'ukjent'}",
        years=tuple(sorted(int(y) for y in years)),
    )


def _data_snapshots(client: Client, table: str) -> int:
    return sum(s.kind == "data" for s in client.store.list(table))


def _diagnose(client: Client, item: FetchItem) -> list[Problem]:
    """What the table's metadata says is wrong with a query SSB refused ([] when it cannot
    tell, or SSB cannot be asked)."""
    try:
        return check_item(client, item, client.metadata(item.table), count=False).problems
    except STOPS:
        raise
    except SSBError:
        return []


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
    registry: list[Indicator] | None = None,
    pages: PagesOf | None = None,
) -> int:
    """The `mipr fetch` command: fetch what the registry needs (only `tables`, if given).

    Progress, the summary and the not-yet-fetchable indicators go to `echo`; failed queries,
    one line per table and message (for a query SSB refused: one line per problem its
    metadata shows), to `echo_err`. Returns 0 when nothing failed, else 1. With `pages` (page
    titles for indicator ids and processed tables, from the report plan) it ends by saying what
    is new: indicators with years after their baseline the report has not shown, the pages
    that change, and that `make report` is next.
    Raises `MiprError` when offline (`MIPR_OFFLINE=1`), for a table the registry does not use,
    and for a stop (`STOPS`: SSB unreachable, or a `Retry-After` beyond the maximum wait).
    `client`: for tests; it gets a progress callback unless it has one. `registry`: for tests.
    """
    if config.offline():
        raise MiprError(
            "MIPR_OFFLINE=1 er satt, så `mipr fetch` kan ikke hente fra SSB. "
            "Fjern MIPR_OFFLINE (eller sett MIPR_OFFLINE=0) og kjør på nytt."
        )
    items, pending = fetch_plan(registry, tables)
    where = {"label": ""}
    client = _client_with_progress(client, echo, where)
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
    for waiting in pending:
        echo(f"Ikke hentet ennå: {waiting}")
    failed = [o for o in outcomes if o.status == "feilet"]
    reported: dict[tuple[str, str], int] = {}
    for outcome in (o for o in failed if not o.problems):
        key = (outcome.item.table, outcome.detail)
        reported[key] = reported.get(key, 0) + 1
    per_table = {table: len(group) for table, group in groups}
    for (table, detail), count in reported.items():
        of = f" ({count} av {per_table[table]} spørringer)" if per_table[table] > 1 else ""
        echo_err(f"mipr fetch: {table}{of}: {detail}")
    diagnosed = [(o.item, o.problems) for o in failed if o.problems]
    for line in problem_lines(diagnosed):
        echo_err(f"mipr fetch: {line}")
    if diagnosed:
        echo(FIX_HINT)
    if pages is not None:
        for line in news_lines(whats_new(outcomes, client.store.data_dir), pages):
            echo(line)
    return 1 if failed else 0


# -- mipr fetch --check ----------------------------------------------------------------------------

FIX_HINT = (
    "Rett utvalget i registry.yaml (se «Første dag med internett» i README) og kontroller med "
    "`mipr fetch --check` før du henter igjen."
)


@dataclass
class ItemCheck:
    """One query checked against its table's metadata: what the check found, the problems
    (the check's, and codelists or counts SSB could not give), and how it would be fetched
    (`plan`: None when there are problems)."""

    item: FetchItem
    meta: TableMetadata
    check: SelectionCheck
    problems: list[Problem]
    codelist_codes: dict[str, dict[str, str]]
    plan: RequestPlan | None = None


def check_item(
    client: Client, item: FetchItem, meta: TableMetadata, *, count: bool = True
) -> ItemCheck:
    """Check one query against the table's metadata and the codelists it names (fetched and
    stored by the client); with `count`, and no problems, count its cells and requests the way
    a fetch would. Raises only the `STOPS`."""
    problems: list[Problem] = []
    codes: dict[str, dict[str, str]] = {}
    for dim, codelist in offered_codelists(meta, item.codelists).items():
        try:
            codes[codelist] = client.codelist(codelist, table_id=item.table)
        except STOPS:
            raise
        except SSBError as exc:
            problems.append(
                Problem(
                    item.table,
                    dim,
                    codelist,
                    f"kodelisten {codelist} for {dim} kunne ikke hentes: {one_line(exc)}",
                )
            )
    check = check_selection(meta, item.selection, item.codelists, codes, table=item.table)
    problems = check.problems + problems
    plan = None
    if count and not problems:
        try:
            plan = client.request_plan(item.table, item.selection, item.codelists or None)
        except STOPS:
            raise
        except SSBError as exc:
            problems.append(Problem(item.table, "", "", one_line(exc)))
    return ItemCheck(item, meta, check, problems, codes, plan)


def problem_lines(found: Iterable[tuple[FetchItem, list[Problem]]]) -> list[str]:
    """One line per problem: table, the indicators whose query has it, and what is wrong
    ("07459 (befolkning): Personer9 finnes ikke i ContentsCode; SSB har Personer1
    «Personer»"). The same problem in several queries of a table is one line."""
    users: dict[tuple[str, str], list[str]] = {}
    for item, problems in found:
        for problem in problems:
            names = users.setdefault((problem.table, problem.text), [])
            names += [i for i in item.indicators if i not in names]
    return [
        printable(f"{table} ({', '.join(names)}): {text}" if names else f"{table}: {text}")
        for (table, text), names in users.items()
    ]


def run_check(
    tables: list[str] | None,
    *,
    echo: Callable[[str], None] = print,
    echo_err: Callable[[str], None] = _to_stderr,
    client: Client | None = None,
    registry: list[Indicator] | None = None,
) -> int:
    """`mipr fetch --check`: check every query of the fetch plan (only `tables`, if given)
    against SSB's metadata, without fetching data.

    Asks SSB for each table's metadata (also for tables whose indicators wait for codes), the
    codelists the queries name and `/config` (the cell limit); stores the metadata and
    codelists as snapshots (so the pages' "tabell og koder bekreftet" note follows). Prints a
    table of what `mipr fetch` would fetch, the waiting indicators with the variables SSB has,
    and one line per problem. Returns 0 when every query holds, else 1 (the last line, on
    `echo_err`, says so). Raises `MiprError` offline and for the `STOPS`.
    """
    if config.offline():
        raise MiprError(
            "MIPR_OFFLINE=1 er satt, så `mipr fetch --check` kan ikke spørre SSB om tabellene. "
            "Fjern MIPR_OFFLINE (eller sett MIPR_OFFLINE=0) og kjør på nytt med internett."
        )
    items, pending = fetch_plan(registry, tables)
    client = _client_with_progress(client, echo, {"label": ""})
    groups = dict(by_table(items))
    for wait in pending:
        groups.setdefault(wait.table, [])
    echo(
        f"Kontrollerer {len(items)} spørring(er) i {len(groups)} tabell(er) mot SSBs metadata "
        f"({client.base_url}); ingen data hentes."
    )
    checks: list[ItemCheck] = []
    failed: list[tuple[FetchItem, list[Problem]]] = []
    metas: dict[str, TableMetadata] = {}
    done = 0
    try:
        for table, group in groups.items():
            with client.table_budget(table):
                try:
                    metas[table] = client.metadata(table)
                except STOPS:
                    raise
                except SSBError as exc:
                    problem = [Problem(table, "", "", one_line(exc))]
                    waiting = [w.indicator for w in pending if w.table == table]
                    failed.append((FetchItem(table, {}, {}, waiting), problem))
                    failed += [(item, problem) for item in group]
                    done += 1
                    continue
                checks += [check_item(client, item, metas[table]) for item in group]
            done += 1
    except STOPS:
        echo(f"Stoppet etter {done} av {len(groups)} tabell(er); resten ble ikke kontrollert.")
        raise
    for line in _check_table(groups, checks, metas, pending):
        echo(line)
    for wait in pending:
        if wait.table in metas:
            echo(f"Venter på koder: {wait}. {_variables(metas[wait.table])}")
    failed += [(c.item, c.problems) for c in checks if c.problems]
    lines = problem_lines(failed)
    if lines:
        echo("")
        echo(f"Problemer ({len(lines)}):")
        for line in lines:
            echo(f"  {line}")
        echo(FIX_HINT)
        tables_hit = len({item.table for item, _ in failed})
        echo_err(
            f"mipr fetch --check: {len(lines)} problem(er) i {tables_hit} tabell(er); se "
            "listen over. Ingen data er hentet."
        )
        return 1
    cells = sum(c.plan.cells for c in checks if c.plan)
    requests = sum(len(c.plan.requests) for c in checks if c.plan)
    echo(
        f"Alt stemmer med SSBs metadata: {len(checks)} spørring(er) i {len(metas)} tabell(er). "
        f"`mipr fetch` henter {fmt_number(cells)} celler i {requests} forespørsel(er). "
        "Metadataene er lagret; sidene sier «tabell og koder kontrollert» etter `make report`."
    )
    return 0


def _client_with_progress(
    client: Client | None, echo: Callable[[str], None], where: dict[str, str]
) -> Client:
    """The client, reporting retries and waits through `echo` (labelled with `where`)."""

    def progress(event: Progress) -> None:
        echo(f"  {where['label'] or event.table or 'SSB'}: {event.message}")

    client = client or Client(progress=progress)
    if client.progress is None:
        client.progress = progress
    return client


CHECK_COLUMNS = (
    ("Tabell", 6),
    ("Tittel hos SSB", 30),
    ("Utvalg", 46),
    ("Perioder", 11),
    ("Celler", 10),
    ("Spørringer", 10),
    ("Status", 9),
)
"""The columns of the `--check` table and the width each is wrapped to."""


def _check_table(
    groups: dict[str, list[FetchItem]],
    checks: list[ItemCheck],
    metas: dict[str, TableMetadata],
    pending: list[Pending],
) -> list[str]:
    """The `--check` table: one row per query (one per table SSB did not answer for, and one
    per table whose indicators wait for codes)."""
    by_item = {id(c.item): c for c in checks}
    rows: list[list[str]] = []
    for table, group in groups.items():
        if table not in metas:
            rows.append([table, "–", f"{len(group)} spørring(er); se problemene under"])
            rows[-1] += ["–", "–", "–", "feil"]
            continue
        title = _title(metas[table], table)
        for item in group:
            found = by_item[id(item)]
            plan = found.plan
            rows.append(
                [
                    table,
                    title,
                    _fetched_text(found),
                    _periods(found),
                    fmt_number(plan.cells) if plan else "–",
                    str(len(plan.requests)) if plan else "–",
                    f"{len(found.problems)} feil" if found.problems else "ok",
                ]
            )
            title = ""  # once per table
        if not group:
            waiting = ", ".join(w.indicator for w in pending if w.table == table)
            rows.append(
                [table, title, f"kodene er ikke valgt ennå ({waiting})", "–", "–", "–", "venter"]
            )
    return table_lines([name for name, _ in CHECK_COLUMNS], rows, [w for _, w in CHECK_COLUMNS])


def _title(meta: TableMetadata, table: str) -> str:
    """SSB's title, without the table number it starts with (the table column has it)."""
    return meta.label.removeprefix(f"{table}:").strip() or meta.label


def _fetched_text(found: ItemCheck) -> str:
    """The variables and codes the query selects (labels for a few codes; the registry's
    values where they resolve to nothing), and those left out, which SSB sums over."""
    meta, check, item = found.meta, found.check, found.item
    resolved = {dim.lower(): codes for dim, codes in check.resolved.items()}
    parts = []
    for dim, values in item.selection.items():
        if meta.time_dimension and dim.lower() == meta.time_dimension.lower():
            continue
        codes = resolved.get(dim.lower(), [])
        codelist = item.codelists.get(dim)
        known = next((d for d in meta.dimensions if d.lower() == dim.lower()), dim)
        labels = found.codelist_codes.get(codelist or "") or meta.dimensions.get(known, {})
        if not codes:
            text = f"{', '.join(values)} (feil)"
        elif len(codes) <= 3:
            text = ", ".join(_with_label(c, labels.get(c, "")) for c in codes)
        else:
            text = f"{len(codes)} koder"
        parts.append(f"{dim}: {text}" + (f" ({codelist})" if codelist else ""))
    for note in check.unchecked:
        parts.append(f"ikke kontrollert: {note}")
    if check.eliminated:
        parts.append(f"utelatt: {', '.join(check.eliminated)}")
    return "; ".join(parts)


def _with_label(code: str, label: str) -> str:
    return code if not label or label == code else f"{code} «{label}»"


def _periods(found: ItemCheck) -> str:
    time = found.meta.time_dimension or ""
    periods = found.check.resolved.get(time, [])
    if not periods:
        asked = next((v for d, v in found.item.selection.items() if d.lower() == time.lower()), [])
        return f"{', '.join(asked)} (feil)" if asked else "–"
    if all(p.isdigit() and len(p) == 4 for p in periods):
        return year_spans([int(p) for p in periods])
    return periods[0] if len(periods) == 1 else f"{periods[0]}–{periods[-1]}"


def _variables(meta: TableMetadata) -> str:
    """What a waiting indicator's table offers: each variable with its number of codes, and
    the codes of the content variable, so the registry's codes can be chosen."""
    metric = next(iter(meta.roles.get("metric") or []), None)
    parts = []
    for dim, codes in meta.dimensions.items():
        if dim == metric and len(codes) <= 12:
            listed = ", ".join(_with_label(c, printable(label)) for c, label in codes.items())
            parts.append(f"{dim}: {listed}")
        elif dim == meta.time_dimension and codes:
            parts.append(f"{dim}: {next(iter(codes))}–{list(codes)[-1]}")
        else:
            parts.append(f"{dim} ({len(codes)} koder)")
    return f"SSB har «{printable(meta.label)}» med {'; '.join(parts)}."


# -- what is new after a fetch ---------------------------------------------------------------------

PagesOf = Callable[[Collection[str], Collection[str]], list[str]]
"""Page titles showing any of the indicator ids or processed tables (the report plan's)."""

PROCESSED_TABLES = {"commuting": (commuting.TABLE_ID, commuting.EMPLOYMENT_TABLE_ID)}
"""Processed tables the build makes from SSB tables beyond the indicators' rows."""


@dataclass
class News:
    """What a fetch brought: per indicator the years after its baseline the last build did not
    show (`new_years`), the tables with new data, the indicators and processed tables that
    read them."""

    new_years: dict[str, list[int]]
    tables: list[str]
    indicators: list[str]
    processed: list[str]


def whats_new(
    outcomes: Sequence[FetchOutcome],
    data_dir=None,
    registry: list[Indicator] | None = None,
) -> News:
    """Compare what was fetched with what the last build shows (`data/processed/`)."""
    registry = registry if registry is not None else load_registry()
    fetched = [o for o in outcomes if o.status == "hentet"]
    tables = list(dict.fromkeys(o.item.table for o in fetched))
    years_of = {i: o.years for o in fetched for i in o.item.indicators}
    by_id = {ind.id: ind for ind in registry}
    readers = [i.id for i in registry if set(i.source.tables()) & set(tables)]
    for ind in registry:  # indicators derived from those (once is enough: none chain)
        if ind.source.type == "derived" and ind.source.derived_from in readers:
            readers.append(ind.id)
            years_of.setdefault(ind.id, years_of.get(ind.source.derived_from or "", ()))
    shown = _shown_years(data_dir)
    new_years = {}
    for ind_id in readers:
        ind = by_id[ind_id]
        after = sorted(
            y
            for y in years_of.get(ind_id, ())
            if y > ind.baseline_year and y not in shown.get(ind_id, set())
        )
        if after:
            new_years[ind_id] = after
    processed = [name for name, sources in PROCESSED_TABLES.items() if set(sources) & set(tables)]
    return News(new_years, tables, readers, processed)


def news_lines(news: News, pages: PagesOf) -> list[str]:
    """What `mipr fetch` says at the end when it stored new data (nothing when it did not)."""
    if not news.tables:
        return []
    registry = {ind.id: ind for ind in load_registry()}
    lines = ["", f"Nytt fra SSB i tabell {', '.join(news.tables)}:"]
    if news.new_years:
        for ind_id, years in news.new_years.items():
            ind = registry.get(ind_id)
            title = ind.title if ind else ind_id
            baseline = f"; nullpunkt {ind.baseline_year}" if ind else ""
            lines.append(f"  {title} ({ind_id}): {year_spans(years)}{baseline}")
    else:
        lines.append(
            "  Ingen indikator har fått år etter nullpunktet som rapporten ikke viser fra før."
        )
    changed = pages(news.indicators, news.processed)
    if changed:
        lines.append(f"Sider som endres: {', '.join(changed)}.")
    lines.append(
        "Neste steg: `make report` bygger tallene og sidene på nytt (uten nett). Se så over "
        "endringsloggen før rapporten sendes (se «Første dag med internett» i README)."
    )
    return lines


def _shown_years(data_dir) -> dict[str, set[int]]:
    """Per indicator the years with a value the last build made (plan figures aside); empty
    when nothing is built."""
    from mipr_analysis.indicators import processed

    try:
        values = processed.read("values", data_dir)
    except MiprError:
        return {}
    values = values[(values["origin"] != "plan") & values["value"].notna()]
    return {
        ind: {int(p) for p in group["period"].dropna()}
        for ind, group in values.groupby("indicator", sort=False)
    }
