"""The `mipr` command: fetch, import-csv, import-codes, import-file, status, list, build, report,
pdf.

Exit codes: 0 success, 1 an expected failure (one line on stderr, no traceback), 2 usage errors
(also one line). Everything printed for the user is Norwegian bokmål. This is the only module
that knows every layer; each command imports what it needs when it runs, so that a `mipr report`
with nothing to do starts quickly.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import select
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from mipr_analysis.errors import MiprError, UsageError
from mipr_analysis.stopping import stop_like_ctrl_c

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
        with stop_like_ctrl_c():  # SIGTERM and SIGHUP too: every command cleans up on its way out
            args = parser.parse_args(argv)
            if not getattr(args, "command", None):
                parser.print_help()
                return 2
            command = f"mipr {args.command}"
            code = args.run(args)
            sys.stdout.flush()  # here, where a closed pipe can still be told apart
            return code
    except UsageError as exc:
        _print_error(command, exc)
        return 2
    except MiprError as exc:
        _print_error(command, exc)
        return 1
    except KeyboardInterrupt:
        _print_error(command, "avbrutt")
        return 130
    except BrokenPipeError as exc:
        if not _stdout_closed():
            _print_error(command, os_error_text(exc))
            return 1
        return EXIT_OUTPUT_CLOSED
    except OSError as exc:  # the last resort: a full disk, a read-only folder, permissions
        if exc.errno is None:
            raise
        _print_error(command, os_error_text(exc))
        return 1


EXIT_OUTPUT_CLOSED = 128 + 13
"""Exit code when the reader of the output went away (`mipr list | head -1`): what a Unix
tool ended by SIGPIPE gives, without a message."""


def _stdout_closed() -> bool:
    """True when standard output is a pipe whose reader is gone (the poll of its end reports an
    error); from then on, what is printed goes nowhere, so that Python's own flush at exit
    does not complain."""
    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        if not any(event & select.POLLERR for _, event in poller.poll(0)):
            return False
    except (OSError, ValueError):  # no file descriptor behind it (a test's capture)
        return False
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
    return True


def os_error_text(exc: OSError) -> str:
    """An operating system's error as one line in bokmål: what failed, where, what to do."""
    path = os.fsdecode(exc.filename) if exc.filename is not None else "en fil"
    elsewhere = "eller bruk en annen mappe (MIPR_DATA_DIR, MIPR_REPORTS_DIR)"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        full = "disken er full" if exc.errno == errno.ENOSPC else "diskkvoten din er brukt opp"
        return (
            f"{full}: {path} kunne ikke skrives. Frigjør plass {elsewhere} og kjør kommandoen igjen"
        )
    if exc.errno == errno.EROFS:
        return (
            f"{path} kan ikke skrives: filsystemet er skrivebeskyttet. Bruk en mappe du kan "
            "skrive i (MIPR_DATA_DIR, MIPR_REPORTS_DIR) og kjør kommandoen igjen"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"ingen tilgang til {path}: brukeren din har ikke rettighetene som trengs. Gi "
            f"tilgang (f.eks. `chmod u+w` på mappen) {elsewhere} og kjør kommandoen igjen"
        )
    if exc.errno == errno.ENOENT:
        return f"{path} finnes ikke. Sjekk stien og kjør kommandoen igjen"
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        return (
            "for mange åpne filer. Avslutt andre programmer eller øk grensen (`ulimit -n`) og "
            "kjør kommandoen igjen"
        )
    code = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    return (
        f"operativsystemet stoppet kommandoen ved {path}: {exc.strerror or exc} ({code}). "
        "Sjekk stien, rettighetene og disken, og kjør kommandoen igjen"
    )


def one_line(message: object, limit: int = MAX_MESSAGE) -> str:
    """A message as one printable line of at most `limit` characters."""
    text = " ".join(str(message).split())
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates from paths
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_error(command: str, exc: BaseException | str) -> None:
    text = one_line(exc)
    if not text.endswith((".", "!", "?", "…")):
        text += "."
    with contextlib.suppress(OSError):  # no terminal or pipe left to say it on
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


STATUS_COLUMNS = ("Datasett", "Type", "Perioder", "Hentet", "Oppdatert hos SSB", "Fil", "Bruk")
STATUS_WIDTHS = (32, 20, 14, 10, 10, 34, 18)
SOURCE_WORDS = {
    "pxwebapi-v2": "SSBs API",
    "statbank-csv": "Statistikkbanken-CSV",
    "codes-csv": "kodefil (CSV)",
    "file": "referansefil",
}
"""How `mipr status` names the kind of source of a stored file."""
USE_WORDS = (
    "Bruk: «i bruk» leses når tallene bygges; «i bruk for 2023» bare for de årene; «erstattet» "
    "betyr at en senere import tok over (se «erstatter»); «ikke i bruk» at en nyere henting av "
    "samme spørring brukes i stedet."
)


def cmd_status(args: argparse.Namespace) -> int:
    from mipr_analysis import config
    from mipr_analysis.console import table_lines
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
                _file_name(snap)
                + (f" for {_span(entry['periods'])}" if entry.get("periods") else "")
            )
    rows, notes = [], []
    for snap in found.snapshots:
        row, note = _status_row(snap, used.get(snap.body_path), replaced_by.get(snap.relative_path))
        rows.append(row)
        if note:
            notes.append(f"{row[0]}, {row[5]}: {note}")
    if rows:
        print("\n".join(table_lines(STATUS_COLUMNS, rows, STATUS_WIDTHS)))
        print()
        print(textwrap.fill(USE_WORDS, 100))
    if notes:
        print("\nOpphav og merknader:")
        for note in notes:
            print(f"- {one_line(note)}")
    for problem in found.problems:
        print(f"FEIL: {one_line(problem, 1000)}")
    if config.offline():
        print("\nSSB ble ikke spurt om nyere tall (MIPR_OFFLINE=1).")
    else:
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


def _file_name(snap) -> str:
    """The name a user knows a stored file by: the imported file's, else the query's."""
    if snap.meta.get("original_filename"):
        return str(snap.meta["original_filename"])
    return f"spørring {snap.meta.get('query_key', '')}".strip()


def _status_row(snap, use, replaced: list[str] | None) -> tuple[list[str], str]:
    """One row of `mipr status` and its note (origin, cut, what it replaces)."""
    from mipr_analysis.formatting import fmt_date
    from mipr_analysis.ssb.sidecar import is_ssb_table

    meta = snap.meta
    kind = SOURCE_WORDS.get(snap.source, snap.source)
    if snap.kind != "data":
        kind += f", {dict(metadata='metadata', codelist='kodeliste').get(snap.kind, snap.kind)}"
    dataset = snap.table_id + (f" del {meta['part']}/{meta['parts']}" if meta.get("parts") else "")
    updated = "–"
    if is_ssb_table(snap.table_id) and meta.get("ssb_updated"):
        updated = fmt_date(meta["ssb_updated"])
    if use is not None:
        usage = (
            "i bruk"
            if not use.periods or list(use.periods) == snap.periods
            else f"i bruk for {_span(list(use.periods))}"
        )
    elif replaced:
        usage = "erstattet"
    else:
        usage = "ikke i bruk"
    row = [
        dataset,
        kind,
        _span(snap.periods) or "–",
        fmt_date(meta.get("imported_at") or meta["fetched_at"]),
        updated,
        _file_name(snap),
        usage,
    ]
    notes = []
    if snap.source != "pxwebapi-v2" and snap.origin and snap.origin != row[5]:
        notes.append(f"fra {snap.origin}")
    cut = meta.get("cut") or {}
    if cut:
        notes.append(
            f"utsnitt ({_count(cut.get('rows'))} av {_count(cut.get('original_rows'))} rader)"
        )
    if meta.get("supersedes"):
        notes.append(
            "erstatter "
            + ", ".join(
                e.get("file", "?").rsplit("/", 1)[-1]
                + (f" for {_span(e['periods'])}" if e.get("periods") else "")
                for e in meta["supersedes"]
            )
        )
    if replaced:
        notes.append(f"erstattet av {', '.join(replaced)}")
    return row, "; ".join(notes)


def _check_ssb_updates(newest: dict) -> None:
    """Say which stored SSB tables SSB has updated since (needs internet); one line when SSB
    cannot be asked."""
    from mipr_analysis.ssb.client import Client
    from mipr_analysis.ssb.errors import Unavailable

    client = Client()
    for table, snap in newest.items():
        try:
            updated = client.table_info(table).get("updated")
        except Unavailable as exc:
            print(f"\nSSB kunne ikke spørres om nyere tall: {one_line(exc)}")
            return
        except MiprError as exc:
            print(f"{table}: kunne ikke sjekke SSB ({one_line(exc)})")
            continue
        mine = snap.meta.get("ssb_updated")
        if updated and mine and updated[:19] > mine[:19]:
            print(
                f"{table}: SSB har oppdatert tabellen {updated[:10]} (lagret: {mine[:10]}). "
                f"Kjør `mipr fetch --table {table}`."
            )


LIST_COLUMNS = ("Indikator", "Mål eller område", "Kilde", "Tall", "Tittel")
LIST_WIDTHS = (40, 18, 22, 16, 50)


def cmd_list(args: argparse.Namespace) -> int:
    from mipr_analysis.console import table_lines
    from mipr_analysis.indicators import load_registry, page_data
    from mipr_analysis.indicators.registry import goal_title

    values = _indicator_values()
    rows = []
    for ind in load_registry():
        word = "–"
        if values is not None:
            code, _ = page_data.state(ind, values[values["indicator"] == ind.id])
            word = page_data.STATE_LABELS[code]
        goal = goal_title(ind.goal).split(":")[0].removeprefix("Bakgrunn").strip() or ind.goal
        if not ind.is_result:
            goal = goal_title(ind.goal).removeprefix("Bakgrunn: ")
        source = ind.source_label if ind.source.type != "none" else "–"
        rows.append([ind.id, goal, source, word, ind.title])
    print("\n".join(table_lines(LIST_COLUMNS, rows, LIST_WIDTHS)))
    print()
    if values is None:
        legend = (
            "Tall: tallene er ikke bygget ennå. Kjør `mipr build` for å se hvilke som har tall."
        )
    else:
        legend = (
            "Tall: "
            + "; ".join(
                f"«{word}»: {page_data.STATE_HELP[code]}"
                for code, word in page_data.STATE_LABELS.items()
            )
            + "."
        )
    print(textwrap.fill(legend, 100))
    return 0


def _indicator_values():
    """The processed indicator values, or None when they are not built."""
    from mipr_analysis.indicators import indicator_values

    try:
        return indicator_values()
    except (MiprError, FileNotFoundError):
        return None


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
    from mipr_analysis.locking import lock_folders
    from mipr_analysis.report.plan import plan_jobs
    from mipr_analysis.report.runner import run_batch

    def verify(raw_hashes: dict[str, str]) -> None:
        from mipr_analysis.ssb.store import verify_store

        verify_store(config.data_dir(), raw_hashes)

    with (
        lock_folders("report", config.data_dir(), config.reports_dir()),
        warnings.catch_warnings(),
    ):
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
    from mipr_analysis.locking import lock_folders
    from mipr_analysis.report.pdf import make_pdf, meeting_pdf_path
    from mipr_analysis.report.plan import plan_jobs

    # The data's lock too: the set is checked against the data, which no import may change
    # while the PDF is made.
    with lock_folders("pdf", config.data_dir(), config.reports_dir()):
        path = make_pdf(config.reports_dir(), args.out, jobs=plan_jobs())
    print(f"Skrev {path} og kortversjonen {meeting_pdf_path(path).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
