"""The report batch: run the notebooks with papermill in parallel, export HTML, write an index.

`run_batch` is the engine behind `mipr report`. A job is skipped when its cache key (notebook,
parameters, title, package source, input data) matches the last successful run and its outputs
exist; that path hashes files and renders the index, but imports neither papermill nor
jupyter_client and starts no kernel. The data build (`prepare`) is skipped the same way: it
runs only when its inputs (package source, `raw/`) changed or `processed/` is not what it left.

Notebooks run in worker processes, not threads: papermill's `cwd` is an `os.chdir` of the whole
process (nteract/papermill#473). On Linux the workers are forked after the parent has imported
papermill (for `check_parameters`), so each worker does not pay the import again.
"""

from __future__ import annotations

import html
import json
import logging
import multiprocessing
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mipr_analysis import __version__, config
from mipr_analysis.errors import UsageError
from mipr_analysis.report import cache as batch_cache

log = logging.getLogger(__name__)

OSLO = ZoneInfo("Europe/Oslo")
INDEX_TITLE = "Indikatorrapporter for Mosseregionen"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

Exporter = Callable[[Path, Path, str], object]

# JobResult.status values
RAN, SKIPPED, FAILED, NOT_SELECTED = "ran", "skipped", "failed", "not_selected"


@dataclass
class Job:
    """One report page: a notebook run with `parameters`, written as `<name>.ipynb`/`.html`.

    `indicators` are the indicator ids the page shows (so `only=[id]` finds it); `inputs` are
    glob patterns relative to the data folder (e.g. `processed/*.csv`, `raw/ssb/07459/*`) that
    the notebook reads: empty means every file under `raw/` and `processed/`.
    """

    notebook: Path
    parameters: dict[str, Any]
    name: str
    title: str
    group: str
    order: int = 0
    indicators: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.notebook = Path(self.notebook)
        self.indicators = tuple(self.indicators)
        self.inputs = tuple(self.inputs)
        if not _NAME.fullmatch(self.name):
            raise ValueError(
                f"job name {self.name!r} is not a safe file stem: use ASCII letters, digits, "
                "'_', '-' and '.' only (it becomes <name>.ipynb and <name>.html)"
            )
        try:
            json.dumps(self.parameters)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"job {self.name!r}: parameters must be plain JSON values (str, int, float, "
                f"bool, None, list, dict): {exc}"
            ) from None


@dataclass
class JobResult:
    """What happened to one job in this batch (`status` is one of RAN/SKIPPED/FAILED/NOT_SELECTED).

    For NOT_SELECTED jobs, `previous` is the status of their last run ("ok", "failed" or None
    when they never ran) and `error`/`finished_at` come from that run.
    """

    job: Job
    status: str
    error: str | None = None
    cell: int | None = None
    seconds: float = 0.0
    finished_at: str | None = None
    previous: str | None = None

    @property
    def name(self) -> str:
        return self.job.name


@dataclass
class BatchResult:
    """The outcome of `run_batch`; `ok` is False when any job failed in this run."""

    results: list[JobResult]
    started_at: datetime
    seconds: float
    reports_dir: Path
    kernel: str | None = None
    prepared: bool | None = None
    git: str = ""
    notes: list[str] = field(default_factory=list)

    def _with(self, status: str) -> list[JobResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ran(self) -> list[JobResult]:
        return self._with(RAN)

    @property
    def skipped(self) -> list[JobResult]:
        return self._with(SKIPPED)

    @property
    def failed(self) -> list[JobResult]:
        return self._with(FAILED)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def index_path(self) -> Path:
        return self.reports_dir / "html" / "index.html"

    def counts(self) -> str:
        """'3 kjørt, 1 uendret (hoppet over), 1 feilet' (and how many were not selected)."""
        text = (f"{len(self.ran)} kjørt, {len(self.skipped)} uendret (hoppet over), "
                f"{len(self.failed)} feilet")
        not_selected = self._with(NOT_SELECTED)
        return text + (f", {len(not_selected)} ikke valgt" if not_selected else "")

    def summary(self) -> str:
        """A few lines in bokmål for the terminal: counts, wall time and which jobs failed."""
        lines = [f"Rapporter: {self.counts()} – {_decimal(self.seconds)} s."]
        if self.prepared is not None:
            build = "kjørt." if self.prepared else "uendret, hoppet over."
            lines.append(f"Databygging: {build}")
        lines += self.notes
        for r in self.failed:
            lines.append(f"Feilet: {r.name} – {r.error}")
        lines.append(f"Oversikt: {self.index_path}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Before running


def check_parameters(job: Job) -> None:
    """Raise ValueError when the job passes a parameter the notebook's parameters cell lacks."""
    if not job.notebook.is_file():
        raise FileNotFoundError(f"job {job.name!r}: notebook {job.notebook} does not exist")
    import papermill

    declared = papermill.inspect_notebook(str(job.notebook))
    unknown = sorted(set(job.parameters) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none (no cell tagged 'parameters')"
        raise ValueError(
            f"job {job.name!r}: {job.notebook.name} has no parameter(s) "
            f"{', '.join(map(repr, unknown))} in its parameters cell (it declares: {known}); "
            "fix the name in the job or add the parameter to the notebook"
        )


def resolve_kernel(name: str = config.KERNEL_NAME) -> str:
    """`name` if that kernelspec is installed, else `python3` (this interpreter) and a warning."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        log.warning(
            "Jupyter kernel %r is not installed; running the notebooks with 'python3' (%s). "
            "Register it with `python -m ipykernel install --sys-prefix --name %s` (make does).",
            name, sys.executable, name,
        )
        return "python3"
    return name


def select_jobs(jobs: Sequence[Job], only: Iterable[str] | None) -> list[Job]:
    """The jobs named in `only` (by job name or by an indicator id they show); all when None."""
    if only is None:
        return list(jobs)
    wanted = set(only)
    chosen = [j for j in jobs if j.name in wanted or wanted.intersection(j.indicators)]
    found = {j.name for j in chosen}.union(*(j.indicators for j in chosen))
    missing = sorted(wanted - found)
    if missing:
        raise UsageError(
            f"ingen rapportside heter {', '.join(missing)}. Kjente sider og indikatorer: "
            f"{', '.join(j.name for j in jobs)}"
        )
    return chosen


# --------------------------------------------------------------------------------------------
# The batch


def run_batch(
    jobs: Sequence[Job],
    *,
    reports_dir: Path | str | None = None,
    workers: int | None = None,
    timeout: int = 600,
    force: bool = False,
    only: Iterable[str] | None = None,
    prepare: Callable[[], object] | None = None,
    export: Exporter | None = None,
    progress: bool = True,
) -> BatchResult:
    """Build the data (`prepare`), run the changed notebooks, export HTML and write the index.

    A job runs unless its cache key matches its last successful run and its outputs exist (a
    failed job always runs again). `timeout` is papermill's execution timeout in seconds, which
    applies to each cell; a timeout fails the job. `prepare` runs only when the package or
    anything under `raw/` changed since its last run, or `processed/` no longer holds what it
    wrote then. `force` runs everything; `only` (job names or indicator ids) picks a subset,
    and the index shows the other pages as they were. `export(executed, html, title)` defaults
    to `mipr_analysis.report.html_export.export_html`.
    """
    started, t0 = datetime.now(OSLO), time.perf_counter()
    jobs = list(jobs)
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"job names must be unique; these occur more than once: {twice}")
    selected = select_jobs(jobs, only)
    reports = Path(reports_dir or config.reports_dir()).resolve()  # papermill chdirs
    (reports / "executed").mkdir(parents=True, exist_ok=True)
    (reports / "html").mkdir(parents=True, exist_ok=True)

    state = batch_cache.load_state(reports)
    package = batch_cache.package_fingerprint()
    raw = batch_cache.hash_tree(config.raw_dir(), "raw/")
    prepared = None
    if prepare is not None:
        prepared, state["prepare"] = _prepare_if_needed(prepare, state["prepare"], package, raw,
                                                        force)
    files = raw | batch_cache.hash_tree(config.processed_dir(), "processed/")

    keys = {j.name: _job_key(j, package, files) for j in selected}
    to_run = [j for j in selected
              if force or not _unchanged(j, keys[j.name], state["jobs"], reports)]
    for job in to_run:
        check_parameters(job)

    outcomes: dict[str, JobResult] = {}
    kernel = None
    if to_run:
        kernel = resolve_kernel()
        export = export or _default_export()
        for job, outcome in _execute_all(to_run, reports / "executed", kernel, timeout, workers,
                                         progress):
            outcomes[job.name] = _finish(job, outcome, reports, export)

    results = _record(jobs, outcomes, keys, state)
    batch_cache.save_state(reports, state)
    batch = BatchResult(results, started, 0.0, reports, kernel, prepared,
                        git_state(config.REPO_ROOT))
    if kernel and kernel != config.KERNEL_NAME:
        batch.notes.append(f"Merk: kjernen «{config.KERNEL_NAME}» mangler; brukte «{kernel}».")
    index = _render_page(INDEX_TITLE, _index_body(batch, raw))
    batch.index_path.write_text(index, encoding="utf-8")
    batch.seconds = time.perf_counter() - t0
    return batch


def _record(jobs: list[Job], outcomes: dict[str, JobResult], keys: dict[str, str],
            state: dict) -> list[JobResult]:
    """Every job's result in this batch; the state keeps what ran (and forgets removed jobs)."""
    previous, results = state["jobs"], []
    for job in jobs:
        if job.name in outcomes:
            result = outcomes[job.name]
            previous[job.name] = {
                "key": keys[job.name], "status": "ok" if result.status == RAN else "failed",
                "error": result.error, "cell": result.cell, "finished_at": result.finished_at,
                "seconds": result.seconds,
            }
        elif job.name in keys:
            result = JobResult(job, SKIPPED, finished_at=previous[job.name]["finished_at"])
        else:
            before = previous.get(job.name, {})
            result = JobResult(job, NOT_SELECTED, error=before.get("error"),
                               finished_at=before.get("finished_at"), previous=before.get("status"))
        results.append(result)
    state["jobs"] = {j.name: previous[j.name] for j in jobs if j.name in previous}
    return results


def _prepare_if_needed(
    prepare: Callable[[], object], before: dict, package: str, raw: dict[str, str], force: bool
) -> tuple[bool, dict]:
    """Run `prepare` unless its inputs (package, raw/) and outputs (processed/) are unchanged."""
    key = batch_cache.digest(package, raw)
    processed = batch_cache.digest(batch_cache.hash_tree(config.processed_dir()))
    if not force and before.get("key") == key and before.get("processed") == processed:
        return False, before
    prepare()
    after = batch_cache.digest(batch_cache.hash_tree(config.processed_dir()))
    return True, {"key": key, "processed": after}


def _job_key(job: Job, package: str, files: dict[str, str]) -> str:
    notebook = batch_cache.file_sha256(job.notebook) if job.notebook.is_file() else None
    inputs = batch_cache.select_files(files, job.inputs)
    return batch_cache.digest(notebook, job.parameters, job.title, package, inputs)


def _unchanged(job: Job, key: str, previous: dict, reports: Path) -> bool:
    before = previous.get(job.name)
    return bool(
        before and before.get("status") == "ok" and before.get("key") == key
        and (reports / "executed" / f"{job.name}.ipynb").is_file()
        and (reports / "html" / f"{job.name}.html").is_file()
    )


def _execute_all(
    jobs: list[Job], executed_dir: Path, kernel: str, timeout: int, workers: int | None,
    progress: bool,
) -> Iterator[tuple[Job, dict]]:
    """Run the jobs in worker processes; yield (job, outcome) as each one finishes."""
    from tqdm.auto import tqdm

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    n = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context(method)) as pool:
        futures = {
            pool.submit(_execute, str(j.notebook.resolve()),
                        str(executed_dir / f"{j.name}.ipynb"), j.parameters, kernel, timeout): j
            for j in jobs
        }
        with tqdm(total=len(jobs), desc="Notatbøker", unit="nb", disable=not progress) as bar:
            for future in as_completed(futures):
                job = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker process itself died
                    outcome = _outcome(time.perf_counter(), type(exc).__name__, str(exc))
                bar.set_postfix_str(job.name)
                bar.update()
                yield job, outcome


def _execute(notebook: str, output: str, parameters: dict, kernel: str, timeout: int) -> dict:
    """Run one notebook with papermill (in a worker process); never raises.

    The worker's and the kernel's own stdout/stderr (log lines, not the notebook's outputs) go to
    `<name>.log` beside the executed notebook, so they do not break up the progress bar.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    try:
        with _process_output_to(Path(output).with_suffix(".log")):
            papermill.execute_notebook(
                notebook, output, parameters=parameters, kernel_name=kernel,
                execution_timeout=timeout, progress_bar=False, cwd=str(Path(notebook).parent),
            )
    except PapermillExecutionError as exc:
        return _outcome(started, exc.ename, exc.evalue, exc.exec_count)
    except TimeoutError:  # nbclient's CellTimeoutError
        return _outcome(started, "Tidsavbrudd", f"en celle brukte mer enn {timeout} s",
                        _running_cell(Path(output)))
    except Exception as exc:
        return _outcome(started, type(exc).__name__, str(exc))
    return _outcome(started)


@contextmanager
def _process_output_to(path: Path) -> Iterator[None]:
    """Point file descriptors 1 and 2 of this process (inherited by kernels) at `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("wb") as log_file:
        os.dup2(log_file.fileno(), 1)
        os.dup2(log_file.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, target in zip(saved, (1, 2)):
                os.dup2(fd, target)
                os.close(fd)


def _outcome(started: float, error_type: str | None = None, message: str = "",
             cell: int | None = None) -> dict:
    error = None
    if error_type:
        last = next((ln.strip() for ln in reversed(message.splitlines()) if ln.strip()), "")
        error = f"{error_type}: {last}" if last else error_type
    return {"error": error, "cell": cell, "seconds": time.perf_counter() - started}


def _running_cell(executed: Path) -> int | None:
    """The execution count of the cell that was running when the timeout struck (the last one
    papermill started; it marks even that one "completed")."""
    try:
        nb = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    started = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"
               and c.get("metadata", {}).get("papermill", {}).get("status") != "pending"]
    return started[-1].get("execution_count") if started else None


def _finish(job: Job, outcome: dict, reports: Path, export: Exporter) -> JobResult:
    """Export a successful run to HTML; give a failed one a page that says so."""
    executed = reports / "executed" / f"{job.name}.ipynb"
    page = reports / "html" / f"{job.name}.html"
    result = JobResult(job, RAN, cell=outcome["cell"], seconds=outcome["seconds"],
                       finished_at=datetime.now(OSLO).isoformat(timespec="seconds"))
    if outcome["error"] is None:
        try:
            export(executed, page, job.title)
            return result
        except Exception as exc:
            what = f"HTML-eksport feilet ({type(exc).__name__})"
            outcome = _outcome(time.perf_counter(), what, str(exc))
    result.status, result.error = FAILED, outcome["error"]
    if result.cell is not None:
        result.error += f" (celle {result.cell})"
    page.write_text(_render_page(f"{job.title} (feilet)", _failure_body(result, executed)),
                    encoding="utf-8")
    return result


def _default_export() -> Exporter:
    from mipr_analysis.report.html_export import export_html

    return export_html


def _render_page(title: str, body: str) -> str:
    from mipr_analysis.report.page_shell import render_page

    return render_page(title, body, lang="nb")


# --------------------------------------------------------------------------------------------
# Pages and provenance


def _failure_body(result: JobResult, executed: Path) -> str:
    name = html.escape(executed.name)
    link = (f' Den kjørte notatboken (for feilsøking) ligger i '
            f'<a href="../executed/{name}">executed/{name}</a>.' if executed.is_file() else "")
    return (
        f"<h1>{html.escape(result.job.title)}</h1>\n"
        f"<p><strong>Denne siden feilet</strong> og viser ingen tall.</p>\n"
        f"<p>Feil: <code>{html.escape(result.error or '')}</code></p>\n"
        f"<p>Notatbok: <code>{html.escape(result.job.notebook.name)}</code>.{link}</p>\n"
        f'<p><a href="index.html">Til oversikten</a></p>'
    )


def _status_text(r: JobResult) -> str:
    if r.status == RAN:
        return "✓ oppdatert i denne kjøringen"
    if r.status == SKIPPED:
        return "✓ uendret, hoppet over"
    if r.status == FAILED:
        return f"✗ feilet: {r.error}"
    if r.previous == "ok":
        return f"ikke med i denne kjøringen (siden er fra {_when(r.finished_at)})"
    if r.previous == "failed":
        return f"ikke med i denne kjøringen; ✗ feilet sist ({_when(r.finished_at)}): {r.error}"
    return "ikke kjørt ennå"


def _index_body(batch: BatchResult, raw: dict[str, str]) -> str:
    groups: dict[str, list[JobResult]] = {}
    for r in sorted(batch.results, key=lambda r: (r.job.order, r.job.title)):
        groups.setdefault(r.job.group, []).append(r)
    parts = [f"<h1>{INDEX_TITLE}</h1>", f"<p>Sider: {html.escape(batch.counts())}.</p>"]
    for group, results in groups.items():
        rows = []
        for r in results:
            title = html.escape(r.job.title)
            has_page = r.status != NOT_SELECTED or r.previous is not None
            cell = f'<a href="{html.escape(r.name)}.html">{title}</a>' if has_page else title
            rows.append(f'<tr class="status-{r.status}"><td>{cell}</td>'
                        f"<td>{html.escape(_status_text(r))}</td></tr>")
        parts.append(
            f"<section>\n<h2>{html.escape(group)}</h2>\n<table>\n"
            '<thead><tr><th scope="col">Side</th><th scope="col">Status</th></tr></thead>\n'
            f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n</section>"
        )
    parts.append(_provenance(batch, raw))
    return "\n".join(parts)


def _provenance(batch: BatchResult, raw: dict[str, str]) -> str:
    when = batch.started_at.strftime("%d.%m.%Y %H:%M")
    items = [("Kjørt", when), ("Programkode", f"{batch.git} (mipr-analysis {__version__})")]
    if batch.kernel:
        items.append(("Jupyter-kjerne", batch.kernel))
    dl = "\n".join(f"<dt>{k}</dt><dd>{html.escape(v)}</dd>" for k, v in items)
    snapshots = snapshot_rows(config.raw_dir(), raw)
    if snapshots:
        rows = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                         for row in snapshots)
        ssb = ("<table>\n<thead><tr>" + "".join(
            f'<th scope="col">{h}</th>' for h in
            ("Tabell", "SSB oppdatert", "Hentet/importert", "Kilde", "Øyeblikksbilde")) +
            f"</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>")
        ssb += _staleness(snapshots, batch.started_at)
    else:
        ssb = ("<p>Ingen lagrede SSB-data: rapporten bygger bare på handlingsplanens nullpunkt "
               "og andre manuelt registrerte tall. Hent SSB-data med <code>mipr fetch</code> "
               "eller importer CSV med <code>mipr import-csv</code>.</p>")
    manual = sorted((k, v) for k, v in raw.items() if k.startswith("raw/manual/"))
    man = ("<ul>\n" + "\n".join(f"<li>{html.escape(k.removeprefix('raw/manual/'))} "
                                 f"(sha256 {v[:12]})</li>" for k, v in manual) + "\n</ul>"
           if manual else "<p>Ingen manuelle kildefiler.</p>")
    return (f'<section class="provenance">\n<h2>Om denne kjøringen</h2>\n<dl>\n{dl}\n</dl>\n'
            f"<h3>SSB-data brukt</h3>\n{ssb}\n"
            f"<h3>Manuelt registrerte kilder</h3>\n{man}\n</section>")


STALE_DAYS = 180
"""SSB data fetched longer ago than this gets a warning on the index page."""


def _staleness(rows: list[tuple[str, str, str, str, str]], now: datetime) -> str:
    """Warnings for old fetches and for CSV imports, whose SSB update date is unknown."""
    notes = []
    for table, updated, fetched, source, _ in rows:
        try:
            age = (now.date() - datetime.strptime(fetched[:10], "%d.%m.%Y").date()).days
        except ValueError:
            age = None
        if source == "statbank-csv":
            notes.append(f"Tabell {table} er importert fra en CSV-fil uten SSBs "
                         "oppdateringsdato: kjør <code>mipr status</code> med internett for å se "
                         "om SSB har nyere tall.")
        elif age is not None and age > STALE_DAYS:
            notes.append(f"Tabell {table} ble hentet for {age} dager siden: kjør "
                         "<code>mipr fetch</code> med internett før rapporten brukes.")
    unique = list(dict.fromkeys(notes))
    return ("\n<p><strong>Merk:</strong></p>\n<ul>\n" + "\n".join(f"<li>{n}</li>" for n in unique)
            + "\n</ul>") if unique else ""


def snapshot_rows(raw_dir: Path, raw: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
    """(table, SSB updated, fetched/imported, source, file) of the SSB data snapshots in use.

    Reads the store's sidecars (`raw/ssb/<table>/<stem>.meta.json`); of several snapshots of the
    same query only the newest is the one in use (the parts of a split fetch count as one).
    """
    newest: dict[tuple, list[tuple[dict, str]]] = {}
    for key in sorted(k for k in raw if k.startswith("raw/ssb/") and k.endswith(".meta.json")):
        try:
            meta = json.loads((raw_dir / key.removeprefix("raw/")).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            meta = {"table_id": "?", "source": "uleselig sidecar", "fetched_at": ""}
        if meta.get("kind", "data") != "data":
            continue
        query = (meta.get("table_id"), meta.get("source"), meta.get("query_key", key))
        same = newest.setdefault(query, [])
        if same and same[0][0].get("fetched_at", "") < meta.get("fetched_at", ""):
            same.clear()
        if not same or same[0][0].get("fetched_at", "") == meta.get("fetched_at", ""):
            same.append((meta, key.removeprefix("raw/ssb/").removesuffix(".meta.json")))
    rows = []
    for parts in newest.values():
        meta, file = parts[0]
        rows.append((
            str(meta.get("table_id") or "?"),
            _when(meta.get("ssb_updated"), time_of_day=False),
            _when(meta.get("fetched_at")),
            str(meta.get("source") or ""),
            file + (f" (+{len(parts) - 1} deler)" if len(parts) > 1 else ""),
        ))
    return sorted(rows)


def git_state(repo: Path) -> str:
    """'git <short hash>' plus ' + endringer' when the work tree is dirty, or why there is none."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              timeout=20)

    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            inside = git("rev-parse", "--is-inside-work-tree").returncode == 0
            return "git: ingen commit ennå" if inside else "ikke i et git-arkiv"
        dirty = git("status", "--porcelain").stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "ukjent (git er ikke tilgjengelig)"
    return f"git {head.stdout.strip()}" + (" + endringer" if dirty else "")


def _when(value: str | None, time_of_day: bool = True) -> str:
    """An ISO date/time as dd.mm.yyyy (HH:MM), in Oslo time when it carries a zone."""
    if not value:
        return "ukjent"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(OSLO)
    has_time = time_of_day and ("T" in str(value) or " " in str(value))
    return moment.strftime("%d.%m.%Y %H:%M" if has_time else "%d.%m.%Y")


def _decimal(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")
