"""The `mipr` command: fetch, import-csv, status, list, build, report.

Exit codes: 0 success, 1 an expected failure (one line on stderr, no traceback), 2 usage errors.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from mipr_analysis import config
from mipr_analysis.errors import MiprError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except MiprError as exc:
        print(f"mipr {args.command}: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mipr {args.command}: avbrutt", file=sys.stderr)
        return 130


def _one_line(message: object) -> str:
    """An error or text as one line (for stderr)."""
    return " ".join(str(message).split())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mipr", description="Indikatorer for Mosseregionen: data fra SSB og rapporter.")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("fetch", help="hent SSB-tabellene indikatorene trenger")
    p.add_argument("--table", action="append", metavar="ID", help="bare denne tabellen (kan gjentas)")
    p.set_defaults(run=cmd_fetch)

    p = sub.add_parser("import-csv", help="importer en CSV-fil lastet ned fra Statistikkbanken")
    p.add_argument("file", type=Path)
    p.add_argument("--table", required=True, metavar="ID", help="SSB-tabellens nummer, f.eks. 07459")
    p.set_defaults(run=cmd_import_csv)

    p = sub.add_parser("status", help="vis lagrede øyeblikksbilder (og om SSB har oppdatert siden)")
    p.set_defaults(run=cmd_status)

    p = sub.add_parser("list", help="vis alle indikatorene")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("build", help="bygg data/processed/ fra data/raw/")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("report", help="bygg data og kjør alle rapportene (papermill + HTML)")
    p.add_argument("--force", action="store_true", help="kjør alt på nytt selv om ingenting er endret")
    p.add_argument("--only", nargs="+", metavar="ID", help="bare disse sidene eller indikatorene")
    p.add_argument("--workers", type=int, default=None, help="parallelle notatbøker (standard: antall kjerner)")
    p.add_argument("--timeout", type=int, default=600, help="tidsgrense per celle i sekunder")
    p.add_argument("--no-progress", action="store_true", help="ingen fremdriftslinje")
    p.set_defaults(run=cmd_report)
    return parser


def cmd_fetch(args: argparse.Namespace) -> int:
    from mipr_analysis.fetching import fetch_all, fetch_plan

    items, pending = fetch_plan(tables=args.table)
    if config.offline():
        raise MiprError("MIPR_OFFLINE=1 is set: `mipr fetch` needs internet. Unset it and retry.")
    total, done = len(items), itertools.count(1)

    def show(outcome) -> None:
        print(f"[{next(done)}/{total}] {outcome.item.table}: {outcome.status}  {outcome.detail}",
              flush=True)

    outcomes = fetch_all(items, on_done=show)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("hentet", "gjenbrukt", "feilet")}
    print(f"Ferdig: {counts['hentet']} hentet, {counts['gjenbrukt']} gjenbrukt (uendret hos SSB), "
          f"{counts['feilet']} feilet.")
    for line in pending:
        print(f"Ikke hentet ennå: {line}")
    failed = [o for o in outcomes if o.status == "feilet"]
    if failed:
        print(f"mipr fetch: {len(failed)} tabell(er) feilet: "
              + "; ".join(f"{o.item.table}: {_one_line(o.detail)}" for o in failed),
              file=sys.stderr)
        return 1
    return 0


def cmd_import_csv(args: argparse.Namespace) -> int:
    from mipr_analysis.ssb.statbank_csv import import_statbank_csv

    if not args.file.is_file():
        raise MiprError(f"{args.file}: no such file. Give the path of a CSV file downloaded "
                        "from Statistikkbanken.")
    snap = import_statbank_csv(args.file, args.table)
    periods = snap.meta.get("periods") or []
    span = f"{min(periods)}–{max(periods)}" if periods else "ukjent periode"
    print(f"Importert {args.file.name} som tabell {args.table} ({span}) -> {snap.body_path}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from mipr_analysis.ssb.client import Client
    from mipr_analysis.ssb.store import SnapshotStore

    store = SnapshotStore()
    snaps = store.list()
    if not snaps:
        print(f"Ingen SSB-øyeblikksbilder i {store.root}. Hent med `mipr fetch` eller "
              "importer med `mipr import-csv`.")
    client = None if config.offline() else Client()
    newest: dict[str, object] = {}
    for snap in snaps:
        when = snap.meta.get("imported_at") or snap.meta["fetched_at"]
        part = f" del {snap.meta['part']}/{snap.meta['parts']}" if snap.meta.get("parts") else ""
        print(f"{snap.table_id}  {snap.source:<13} {snap.kind:<8} SSB oppdatert "
              f"{snap.meta.get('ssb_updated') or '–':<20} hentet {when[:10]} "
              f"({snap.age_days} dager){part}  {snap.body_path.name}")
        newest[snap.table_id] = snap
    for orphan in store.orphans():
        print(f"Ufullstendig (uten sidefil, ignoreres): {orphan}")
    if client is not None:
        for table, snap in newest.items():
            try:
                updated = client.table_info(table).get("updated")
            except MiprError as exc:
                print(f"{table}: kunne ikke sjekke SSB ({_one_line(exc)})")
                continue
            mine = snap.meta.get("ssb_updated")
            if updated and mine and updated[:19] > mine[:19]:
                print(f"{table}: SSB har oppdatert tabellen {updated[:10]} (lagret: {mine[:10]}). "
                      f"Kjør `mipr fetch --table {table}`.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from mipr_analysis.indicators import registry_table

    table = registry_table()
    has_data = _has_data()
    for row in table.itertuples():
        flag = "data" if has_data.get(row.id) else "bare nullpunkt" if row.kind == "resultat" else "–"
        print(f"{row.id:<34} {row.goal:<10} {row.source:<28} {flag:<14} {row.title}")
    return 0


def _has_data() -> dict[str, bool]:
    """Which indicators have values in data/processed (empty when it is not built)."""
    from mipr_analysis.indicators import indicator_values

    try:
        values = indicator_values()
    except (MiprError, FileNotFoundError):
        return {}
    return {k: True for k in values.loc[values["origin"] != "plan", "indicator"].unique()}


def cmd_build(args: argparse.Namespace) -> int:
    from mipr_analysis.indicators import build

    result = build()
    for name, path in result.paths.items():
        print(f"Skrev {path}")
    for note in result.notes:
        print(f"Merk: {note}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from mipr_analysis.indicators import build
    from mipr_analysis.report.plan import plan_jobs
    from mipr_analysis.report.runner import run_batch

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        result = run_batch(
            plan_jobs(), workers=args.workers, timeout=args.timeout, force=args.force,
            only=args.only, prepare=build, progress=not args.no_progress,
        )
    print(result.summary())
    if not result.ok:
        failed = [r.name for r in result.failed]
        print(f"mipr report: {len(failed)} side(r) feilet: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
