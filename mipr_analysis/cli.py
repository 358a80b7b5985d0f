"""The `mipr` command: fetch, import-csv, status, list, build, report.

Exit codes: 0 success, 1 an expected failure (one line on stderr, no traceback), 2 usage errors
(also one line). Everything printed for the user is Norwegian bokmål. This is the only module
that knows every layer; each command imports what it needs when it runs, so that a `mipr report`
with nothing to do starts quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mipr_analysis.errors import MiprError, UsageError

MAX_MESSAGE = 400
"""Longest error line printed; a longer message (a 10 000-column header) is cut with '…'."""

_ARGPARSE_NB = {
    "the following arguments are required: %s": "disse argumentene mangler: %s",
    "unrecognized arguments: %s": "ukjente argumenter: %s",
    "expected one argument": "forventet én verdi",
    "expected at least one argument": "forventet minst én verdi",
    "invalid choice: %(value)r (choose from %(choices)s)": "ugyldig valg: %(value)r (velg blant "
    "%(choices)s)",
    "argument %(argument_name)s: %(message)s": "argumentet %(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "ugyldig verdi: %(value)r",
    "usage: ": "bruk: ",
    "positional arguments": "argumenter",
    "options": "valg",
    "show this help message and exit": "vis denne hjelpeteksten og avslutt",
}


def _nb(message: str) -> str:
    """argparse's English texts in bokmål (argparse looks its texts up through gettext)."""
    return _ARGPARSE_NB.get(message, message)


argparse._ = _nb  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one bokmål line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}. Se `{self.prog} --help`")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    command = "mipr"
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        command = f"mipr {args.command}"
        return args.run(args)
    except UsageError as exc:
        _print_error(command, exc)
        return 2
    except MiprError as exc:
        _print_error(command, exc)
        return 1
    except KeyboardInterrupt:
        print(f"{command}: avbrutt.", file=sys.stderr)
        return 130


def one_line(message: object, limit: int = MAX_MESSAGE) -> str:
    """A message as one printable line of at most `limit` characters."""
    text = " ".join(str(message).split())
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates from paths
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_error(command: str, exc: BaseException) -> None:
    text = one_line(exc)
    if not text.endswith((".", "!", "?", "…")):
        text += "."
    print(f"{command}: {text}", file=sys.stderr)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} er ikke et heltall") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} må være minst 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mipr", description="Indikatorer for Mosseregionen: data fra SSB og rapporter.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("fetch", help="hent SSB-tabellene indikatorene trenger (krever internett)")
    p.add_argument("--table", action="append", metavar="ID", help="bare denne tabellen (kan gjentas)")
    p.set_defaults(run=cmd_fetch)

    p = sub.add_parser("import-csv", help="importer en CSV-fil lastet ned fra Statistikkbanken")
    p.add_argument("file", type=Path)
    p.add_argument("--table", required=True, metavar="ID", help="SSB-tabellens nummer, f.eks. 07459")
    p.set_defaults(run=cmd_import_csv)

    p = sub.add_parser("status", help="vis lagrede data, hvor de kommer fra, og feil i dem")
    p.set_defaults(run=cmd_status)

    p = sub.add_parser("list", help="vis alle indikatorene")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("build", help="bygg data/processed/ fra data/raw/")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("report", help="bygg data og kjør alle rapportene (papermill + HTML)")
    p.add_argument("--force", action="store_true", help="kjør alt på nytt selv om ingenting er endret")
    p.add_argument("--only", nargs="+", metavar="ID", help="bare disse sidene eller indikatorene")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="parallelle notatbøker (standard: antall kjerner)")
    p.add_argument("--timeout", type=_positive_int, default=600,
                   help="tidsgrense per celle i sekunder (standard 600)")
    p.add_argument("--no-progress", action="store_true", help="ingen fremdriftslinje")
    p.set_defaults(run=cmd_report)
    return parser


def cmd_fetch(args: argparse.Namespace) -> int:
    from mipr_analysis.fetching import run_fetch
    from mipr_analysis.locking import data_lock

    with data_lock("fetch"):
        return run_fetch(args.table)


def cmd_import_csv(args: argparse.Namespace) -> int:
    from mipr_analysis.locking import data_lock
    from mipr_analysis.ssb.statbank_csv import import_statbank_csv

    if not args.file.is_file():
        raise MiprError(f"{args.file}: finner ikke filen. Oppgi stien til en CSV-fil lastet ned "
                        "fra Statistikkbanken")
    with data_lock("import-csv"):
        snap = import_statbank_csv(args.file, args.table)
    periods = snap.meta.get("periods") or []
    span = f"{min(periods)}–{max(periods)}" if periods else "ukjent periode"
    print(f"Importert {args.file.name} som tabell {args.table} ({span}) -> {snap.body_path}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from mipr_analysis import config
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
                print(f"{table}: kunne ikke sjekke SSB ({one_line(exc)})")
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
    from mipr_analysis.locking import data_lock

    with data_lock("build"):
        result = build()
    for path in result.paths.values():
        print(f"Skrev {path}")
    for note in result.notes:
        print(f"Merk: {note}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import warnings

    from mipr_analysis.locking import data_lock
    from mipr_analysis.report.plan import plan_jobs
    from mipr_analysis.report.runner import run_batch

    def build() -> object:
        from mipr_analysis.indicators import build

        return build()

    with data_lock("report"), warnings.catch_warnings():
        warnings.simplefilter("default")
        result = run_batch(
            plan_jobs(), workers=args.workers, timeout=args.timeout, force=args.force,
            only=args.only, prepare=build, progress=not args.no_progress,
        )
    print(result.summary())
    if not result.ok:
        failed = [r.name for r in result.failed]
        print(f"mipr report: {len(failed)} side(r) feilet: {', '.join(failed)}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
