"""The `mipr` command: fetch, import-csv, import-codes, import-file, status, list, build, report,
pdf.

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
        prog="mipr", description="Indikatorer for Mosseregionen: data fra SSB og rapporter."
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("fetch", help="hent SSB-tabellene indikatorene trenger (krever internett)")
    p.add_argument(
        "--table", action="append", metavar="ID", help="bare denne tabellen (kan gjentas)"
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="kontroller tabeller, variabler og koder mot SSBs metadata uten å hente data",
    )
    p.set_defaults(run=cmd_fetch)

    p = sub.add_parser("import-csv", help="importer en CSV-fil lastet ned fra Statistikkbanken")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--table", required=True, metavar="ID", help="SSB-tabellens nummer, f.eks. 07459"
    )
    p.add_argument("--source", metavar="TEKST", help="hvor filen kommer fra (valgfritt)")
    p.add_argument("--provenance", type=Path, metavar="FIL", help="YAML-fil med proveniens")
    p.add_argument(
        "--replace",
        action="store_true",
        help="la filen erstatte perioder en annen import allerede gir med andre tall",
    )
    p.set_defaults(run=cmd_import_csv)

    p = sub.add_parser(
        "import-codes", help="importer en ryddig CSV-fil med koder (én kolonne per dimensjon)"
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--table",
        required=True,
        metavar="ID",
        help="SSB-tabell (07459) eller utgiver/datasett (fhi/befolkning-b2024)",
    )
    p.add_argument("--source", required=True, metavar="TEKST", help="hvor filen kommer fra")
    p.add_argument("--provenance", type=Path, metavar="FIL", help="YAML-fil med proveniens")
    p.add_argument(
        "--keep",
        action="extend",
        nargs="+",
        metavar="DIM=KODE,KODE",
        help="lagre bare radene med disse kodene (et utsnitt)",
    )
    p.add_argument(
        "--value-column",
        default="value",
        metavar="NAVN",
        help="kolonnen med tallene (standard value)",
    )
    p.add_argument(
        "--period-column",
        default="Tid",
        metavar="NAVN",
        help="kolonnen med perioden (standard Tid)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="la filen erstatte perioder en annen import allerede gir med andre tall",
    )
    p.set_defaults(run=cmd_import_codes)

    p = sub.add_parser("import-file", help="lagre en referansefil uendret (KLASS-lister, kart)")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--table",
        required=True,
        metavar="UTGIVER/DATASETT",
        help="f.eks. klass/kommuneendringer-2024 eller kartverket/kommuner-2024",
    )
    p.add_argument("--source", required=True, metavar="TEKST", help="hvor filen kommer fra")
    p.add_argument("--provenance", type=Path, metavar="FIL", help="YAML-fil med proveniens")
    p.add_argument("--replace", action="store_true", help="erstatt datasettets fil")
    p.set_defaults(run=cmd_import_file)

    p = sub.add_parser("status", help="vis lagrede data, hvor de kommer fra, og feil i dem")
    p.set_defaults(run=cmd_status)

    p = sub.add_parser("list", help="vis alle indikatorene")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("build", help="bygg data/processed/ fra data/raw/")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("report", help="bygg data og kjør alle rapportene (papermill + HTML)")
    p.add_argument(
        "--force", action="store_true", help="kjør alt på nytt selv om ingenting er endret"
    )
    p.add_argument("--only", nargs="+", metavar="ID", help="bare disse sidene eller indikatorene")
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="parallelle notatbøker (standard: antall kjerner)",
    )
    p.add_argument(
        "--timeout",
        type=_positive_int,
        default=600,
        help="tidsgrense per celle i sekunder (standard 600)",
    )
    p.add_argument("--no-progress", action="store_true", help="ingen fremdriftslinje")
    p.add_argument(
        "--figures",
        action="store_true",
        help="lagre også hver figur som PNG (300 dpi) og SVG i reports/figures/",
    )
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("pdf", help="lag ett PDF-dokument av forsiden og alle sidene (til møtet)")
    p.add_argument("--out", type=Path, metavar="FIL", help="hvor PDF-en skal lagres")
    p.set_defaults(run=cmd_pdf)
    return parser


def cmd_fetch(args: argparse.Namespace) -> int:
    from mipr_analysis.fetching import run_check, run_fetch
    from mipr_analysis.locking import data_lock

    with data_lock("fetch"):
        if args.check:
            return run_check(args.table)
        return run_fetch(args.table, pages=_pages_showing)


def _pages_showing(indicators, tables) -> list[str]:
    """The report pages (front page first) that show any of the indicators or processed
    tables, by the names the report gives them."""
    from mipr_analysis.report.plan import plan_jobs

    wanted, processed = set(indicators), set(tables)
    jobs = plan_jobs()
    hit = [
        j.title
        for j in jobs
        if not j.front and (wanted & set(j.indicators) or processed & set(j.tables))
    ]
    return [j.group for j in jobs if j.front] + hit if hit else []


def cmd_import_csv(args: argparse.Namespace) -> int:
    from mipr_analysis.ssb.imports import import_statbank_csv

    return _run_import(
        "import-csv",
        import_statbank_csv,
        args.file,
        args.table,
        replace=args.replace,
        source_text=args.source,
        provenance=args.provenance,
    )


def cmd_import_codes(args: argparse.Namespace) -> int:
    from mipr_analysis.ssb.imports import import_codes_csv

    return _run_import(
        "import-codes",
        import_codes_csv,
        args.file,
        args.table,
        source_text=args.source,
        provenance=args.provenance,
        keep=args.keep,
        value_column=args.value_column,
        period_column=args.period_column,
        replace=args.replace,
    )


def cmd_import_file(args: argparse.Namespace) -> int:
    from mipr_analysis.ssb.imports import import_file

    return _run_import(
        "import-file",
        import_file,
        args.file,
        args.table,
        source_text=args.source,
        provenance=args.provenance,
        replace=args.replace,
    )


def _run_import(command: str, importer, *args: object, **kwargs: object) -> int:
    """One import under the data folder's lock, then what was stored (or found stored)."""
    from mipr_analysis.locking import data_lock

    with data_lock(command):
        started = _now()
        snap = importer(*args, **kwargs)
    _print_imported(snap, started)
    return 0


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _print_imported(snap, started) -> None:
    """One line: what was stored where (or that the same file was there already)."""
    from mipr_analysis.ssb.sidecar import display_path

    name = snap.meta.get("original_filename") or snap.body_path.name
    span = _span(snap.periods)
    cut = snap.meta.get("cut") or {}
    details = [span] if span else []
    if cut:
        details.append(
            f"utsnitt: {_count(cut.get('rows'))} av {_count(cut.get('original_rows'))} rader"
        )
    if snap.meta.get("supersedes"):
        details.append(
            "erstatter "
            + ", ".join(
                f"{e['file'].rsplit('/', 1)[-1]}"
                + (f" ({_span(e['periods'])})" if e.get("periods") else "")
                for e in snap.meta["supersedes"]
            )
        )
    what = f"{name} som {snap.table_id}" + (f" ({'; '.join(details)})" if details else "")
    if snap.fetched_at < started:
        print(f"Allerede importert: {what} -> {display_path(snap.body_path)}")
    else:
        print(f"Importert {what} -> {display_path(snap.body_path)}")


def _count(n) -> str:
    """12345 -> '12 345' (other values as they are)."""
    return f"{n:,}".replace(",", " ") if isinstance(n, int) else str(n)


def _span(periods) -> str:
    """'2005–2009', '2017, 2019–2020' or the period codes; '' when there are none."""
    if not periods:
        return ""
    if not all(isinstance(p, int) for p in periods):
        items = [str(p) for p in periods]
        return ", ".join(items) if len(items) <= 4 else f"{items[0]}–{items[-1]} ({len(items)})"
    years = sorted(periods)
    runs, start = [], years[0]
    for prev, year in zip(years, years[1:] + [None]):
        if year != prev + 1 if year is not None else True:
            runs.append(str(start) if start == prev else f"{start}–{prev}")
            start = year
    return ", ".join(runs)


def cmd_status(args: argparse.Namespace) -> int:
    from mipr_analysis import config
    from mipr_analysis.ssb.sidecar import display_path, is_ssb_table
    from mipr_analysis.ssb.store import SnapshotStore

    store = SnapshotStore()
    found = store.catalogue()
    if not found.snapshots:
        print(
            f"Ingen lagrede data i {display_path(store.raw)}. Hent med `mipr fetch`, eller "
            "importer med `mipr import-csv`, `mipr import-codes` eller `mipr import-file`."
        )
    used = {s.body_path: u for u in found.in_use for s in u.snapshots}
    replaced_by: dict[str, list[str]] = {}
    for snap in found.snapshots:
        for entry in snap.meta.get("supersedes") or []:
            replaced_by.setdefault(entry.get("file", ""), []).append(
                f"{snap.body_path.name}"
                + (f" for {_span(entry['periods'])}" if entry.get("periods") else "")
            )
    for snap in found.snapshots:
        print(_status_line(snap, used.get(snap.body_path), replaced_by.get(snap.relative_path)))
    for problem in found.problems:
        print(f"FEIL: {one_line(problem, 1000)}")
    if not config.offline():
        newest = {}
        for snap in found.snapshots:
            if is_ssb_table(snap.table_id) and snap.meta.get("ssb_updated"):
                newest[snap.table_id] = snap
        _check_ssb_updates(newest)
    if found.problems:
        print(
            f"mipr status: {len(found.problems)} feil i de lagrede dataene (se FEIL over). Rett "
            "dem før rapporten bygges.",
            file=sys.stderr,
        )
        return 1
    return 0


def _status_line(snap, use, replaced: list[str] | None) -> str:
    from mipr_analysis.ssb.sidecar import is_ssb_table

    meta = snap.meta
    verb = "importert" if meta.get("imported_at") else "hentet"
    when = (meta.get("imported_at") or meta["fetched_at"])[:10]
    part = f" del {meta['part']}/{meta['parts']}" if meta.get("parts") else ""
    bits = [f"{snap.table_id}{part}", snap.publisher, snap.source]
    if snap.kind != "data":
        bits.append(snap.kind)
    bits.append(f"{verb} {when} ({snap.age_days} dager)")
    if is_ssb_table(snap.table_id):
        bits.append(f"SSB oppdatert {(meta.get('ssb_updated') or '–')[:10]}")
    span = _span(snap.periods)
    if span:
        bits.append(f"perioder {span}")
    bits.append(meta.get("original_filename") or snap.body_path.name)
    if snap.source not in ("pxwebapi-v2",) and snap.origin:
        bits.append(f"fra {snap.origin}")
    cut = meta.get("cut") or {}
    if cut:
        bits.append(
            f"utsnitt ({_count(cut.get('rows'))} av {_count(cut.get('original_rows'))} rader)"
        )
    if meta.get("supersedes"):
        bits.append(
            "erstatter "
            + ", ".join(
                e.get("file", "?").rsplit("/", 1)[-1]
                + (f" for {_span(e['periods'])}" if e.get("periods") else "")
                for e in meta["supersedes"]
            )
        )
    if use is not None:
        bits.append(
            "i bruk"
            if not use.periods or list(use.periods) == snap.periods
            else f"i bruk for {_span(list(use.periods))}"
        )
    elif replaced:
        bits.append(f"erstattet av {', '.join(replaced)}")
    else:
        bits.append("ikke i bruk")
    return "  ".join(bits) + f"  [{snap.body_path.name}]"


def _check_ssb_updates(newest: dict) -> None:
    """Say which stored SSB tables SSB has updated since (needs internet)."""
    from mipr_analysis.ssb.client import Client

    client = Client()
    for table, snap in newest.items():
        try:
            updated = client.table_info(table).get("updated")
        except MiprError as exc:
            print(f"{table}: kunne ikke sjekke SSB ({one_line(exc)})")
            continue
        mine = snap.meta.get("ssb_updated")
        if updated and mine and updated[:19] > mine[:19]:
            print(
                f"{table}: SSB har oppdatert tabellen {updated[:10]} (lagret: {mine[:10]}). "
                f"Kjør `mipr fetch --table {table}`."
            )


def cmd_list(args: argparse.Namespace) -> int:
    from mipr_analysis.indicators import registry_table

    table = registry_table()
    has_data = _has_data()
    for row in table.itertuples():
        flag = (
            "data" if has_data.get(row.id) else "bare nullpunkt" if row.kind == "resultat" else "–"
        )
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
    from mipr_analysis import config
    from mipr_analysis.indicators import build
    from mipr_analysis.locking import data_lock
    from mipr_analysis.ssb.store import verify_store

    with data_lock("build"):
        verify_store(config.data_dir())
        result = build()
    for path in result.paths.values():
        print(f"Skrev {path}")
    for note in result.notes:
        print(f"Merk: {note}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import warnings

    from mipr_analysis import config
    from mipr_analysis.locking import data_lock
    from mipr_analysis.report.plan import plan_jobs
    from mipr_analysis.report.runner import run_batch

    def verify(raw_hashes: dict[str, str]) -> None:
        from mipr_analysis.ssb.store import verify_store

        verify_store(config.data_dir(), raw_hashes)

    with data_lock("report"), warnings.catch_warnings():
        warnings.simplefilter("default")
        result = run_batch(
            plan_jobs(),
            workers=args.workers,
            timeout=args.timeout,
            force=args.force,
            only=args.only,
            prepare="mipr_analysis.indicators.compute:build",  # in a fresh process
            verify=verify,
            progress=not args.no_progress,
            figure_files=args.figures,
        )
    print(result.summary())
    if result.interrupted:
        print("mipr report: avbrutt; sidene som ble ferdige er beholdt.", file=sys.stderr)
        return 130
    if not result.ok:
        failed = [r.name for r in result.failed]
        print(f"mipr report: {len(failed)} side(r) feilet: {', '.join(failed)}.", file=sys.stderr)
        return 1
    return 0


def cmd_pdf(args: argparse.Namespace) -> int:
    from mipr_analysis import config
    from mipr_analysis.report.pdf import make_pdf

    path = make_pdf(config.reports_dir(), args.out)
    print(f"Skrev {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
