"""The report batch behind `mipr report`: build the data, run the changed pages, export HTML.

Each page is a papermill notebook executed on a warm kernel (`kernels.py`) by one of a few
worker threads; its executed copy and its HTML page are kept. A page runs unless its cache key
(`cache.py`) matches its last complete, successful run. The front page runs last, with a record
of this run (`run_record.py`), and becomes `html/index.html`.

Stopping: one Ctrl-C (or SIGTERM, or SIGHUP from a closed terminal) starts no further page,
interrupts and shuts down the running kernels and keeps what finished; a second one ends the
process at once. During the data build the same signals end the build's child process
(`isolation.py`) before the batch stops. A page that did not finish is never taken as up to
date: its state entry is cleared before it starts, and the executed notebook reaches its final
name only when papermill is done (an unfinished one is removed). A full or unwritable reports
folder stops the batch like a stop, and `run_batch` then raises its `OSError`.
"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mipr_analysis import config, hashing
from mipr_analysis.config import OSLO
from mipr_analysis.errors import DataError, Missing, UsageError
from mipr_analysis.stopping import leave_terminal, stop_like_ctrl_c

from . import cache
from .jobs import FAILED, INTERRUPTED, NOT_SELECTED, RAN, SKIPPED, BatchResult, Job, JobResult

log = logging.getLogger(__name__)

Exporter = Callable[[Path, Path, str], object]
BUILD_MODULES = ("mipr_analysis.indicators.compute",)
"""The data build's entry point: its package code is part of the build's cache key."""
UNUSED_OPTIONAL_MODULES = ("rfc3987_syntax",)
"""Optional modules that the batch's own process would import but never uses: jsonschema
(through nbformat) checks the "iri" string formats with rfc3987_syntax, whose grammar takes
about a second of CPU to build at import; no notebook schema has such a format."""


# --------------------------------------------------------------------------------------------
# Before running


def check_parameters(job: Job) -> None:
    """Raise `DataError` when the job passes a parameter the notebook's parameters cell lacks."""
    if not job.notebook.is_file():
        raise Missing(
            f"jobben {job.name!r}: notatboken {job.notebook} finnes ikke. Rett stien i jobben"
        )
    import papermill

    declared = papermill.inspect_notebook(str(job.notebook))
    unknown = sorted(set(job.parameters) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "ingen (ingen celle merket 'parameters')"
        raise DataError(
            f"jobben {job.name!r}: {job.notebook.name} har ikke parameteren "
            f"{', '.join(map(repr, unknown))} i parameters-cellen (den har: {known}). Rett navnet "
            "i jobben, eller legg parameteren til i notatboken"
        )


def resolve_kernel(name: str = config.KERNEL_NAME) -> str:
    """`name` if that kernelspec is installed, else `python3` (this interpreter) and a warning
    that says how to register it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        log.warning(
            "Jupyter-kjernen «%s» er ikke registrert; notatbøkene kjøres med «python3» (%s). "
            "Registrer den med `%s -m ipykernel install --sys-prefix --name %s "
            '--display-name "Python (mipr)"`.',
            name,
            sys.executable,
            sys.executable,
            name,
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


@dataclass
class _Context:
    reports: Path
    state: dict[str, Any]
    hashes: cache.FileHashes
    lock: threading.Lock
    stop: threading.Event
    failure: OSError | None = None
    """The reports folder's own failure (a full disk, no write access) that stopped the pages."""


def run_batch(
    jobs: Sequence[Job],
    *,
    reports_dir: Path | str | None = None,
    workers: int | None = None,
    timeout: int = 600,
    force: bool = False,
    only: Iterable[str] | None = None,
    prepare: str | Callable[[], object] | None = None,
    verify: Callable[[dict[str, str]], None] | None = None,
    export: Exporter | None = None,
    progress: bool = True,
    figure_files: bool = False,
) -> BatchResult:
    """Build the data (`prepare`), run the changed pages, export HTML, run the front page.

    `verify(raw_hashes)` checks the stored data first (and raises to stop the batch).
    `prepare` runs only when the build's code or anything under `raw/` changed, or
    `processed/` no longer holds what it wrote; as "module:function" it runs in a fresh
    process, shared with the change record that follows it. `timeout` applies to each cell.
    `force` runs everything; `only` (job names or indicator ids) picks a subset.
    `figure_files` also writes every named figure as PNG 300 dpi and SVG under
    `reports/figures/`.
    """
    started, t0 = datetime.now(OSLO), time.perf_counter()
    _skip_unused_optional_modules()
    jobs = list(jobs)
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise DataError(
            f"jobbnavnene må være unike; disse står mer enn én gang: {', '.join(twice)}. Gi "
            "jobbene ulike navn"
        )
    selected = select_jobs(jobs, only)
    reports = Path(reports_dir or config.reports_dir()).resolve()
    paths = config.ReportSet(reports)
    for folder in (paths.executed, paths.html):
        folder.mkdir(parents=True, exist_ok=True)

    state, state_note = cache.load_state(reports)
    hashes = cache.FileHashes(state["hashes"])
    cache.remember_imports(state.get("imports", {}))
    ctx = _Context(reports, state, hashes, threading.Lock(), threading.Event())
    notes = [state_note] if state_note else []
    raw = hashes.tree(config.raw_dir(), "raw/")
    if verify is not None:
        verify(raw)

    pool = None
    prepared = None
    try:
        if prepare is not None:
            build_key = hashing.digest([cache.code_digest(BUILD_MODULES, hashes), raw])
            prepared = force or not _prepared(state["prepare"], build_key, hashes)
            if prepared:
                pool = _start_pool(reports, workers, len(selected))  # warms up meanwhile
        _data_steps(prepare if prepared else None, reports)
        if prepared:
            state["prepare"] = {"key": build_key, "processed": _processed_digest(hashes)}
        manifest = _manifest()
        reference = _reference(reports)
        keys = {
            j.name: _job_key(
                j, manifest, hashes, figure_files, _checked_table(j, raw), reference=reference
            )
            for j in selected
            if not j.front
        }
        pages = [
            j
            for j in selected
            if not j.front and (force or not _unchanged(j, keys[j.name], state["jobs"], reports))
        ]
        for job in pages:
            check_parameters(job)
        outcomes: dict[str, JobResult] = {}
        if pages:
            pool = pool or _start_pool(reports, workers, len(pages))
            pages = _longest_first(pages, state["jobs"])
            outcomes = _run_pages(pages, pool, ctx, timeout, export, progress, figure_files, keys)
        results = _results(jobs, outcomes, keys, state)
        if ctx.failure is not None:
            raise ctx.failure
        batch = BatchResult(
            results,
            started,
            0.0,
            reports,
            pool.kernel_name if pool else None,
            prepared,
            git_state(config.REPO_ROOT),
            notes,
        )
        batch.interrupted = ctx.stop.is_set()
        front = next((j for j in selected if j.front), None)
        if front is not None and not batch.interrupted:
            record = _run_record(batch, jobs)
            key = _job_key(
                front, manifest, hashes, figure_files, extra=_standing(record), reference=reference
            )
            if force or outcomes or not _unchanged(front, key, state["jobs"], reports):
                check_parameters(front)
                record_path = config.ReportSet(reports).run_record
                from mipr_analysis.atomic import atomic_write_text

                atomic_write_text(record_path, _json(record))
                pool = pool or _start_pool(reports, workers, 1)
                job = _with_parameters(front, run_record=str(record_path))
                done = _run_pages(
                    [job], pool, ctx, timeout, export, progress, figure_files, {front.name: key}
                )
                outcomes.update(done)
            batch.results = _results(jobs, outcomes, {**keys, front.name: key}, state)
            if ctx.failure is not None:
                raise ctx.failure
            batch.interrupted = ctx.stop.is_set()
        if front is None or front.name not in outcomes or outcomes[front.name].status != RAN:
            _fallback_index(batch)
    finally:
        if pool is not None:
            pool.close()
        state["hashes"] = {**state["hashes"], **hashes.seen}
        state["imports"] = cache.imports_to_keep()
        with ctx.lock:
            cache.save_state(reports, state)
    batch.seconds = time.perf_counter() - t0
    return batch


def _data_steps(prepare: str | Callable[[], object] | None, reports: Path) -> None:
    """Build the data (`prepare`, when given), then save the change record if the build ran
    or there is no reference yet. A `prepare` given as "module:function" runs in a fresh
    process, which the change record then shares (pandas is imported once); a callable runs in
    this process."""
    child = None
    try:
        if isinstance(prepare, str):
            child = _fresh_process()
            child.run(prepare)
        elif prepare is not None:
            prepare()
        has_data = (config.processed_dir() / "derived.csv").is_file()
        reference = config.ReportSet(reports).reference
        if has_data and (prepare is not None or not reference.is_file()):
            child = child or _fresh_process()
            child.run("mipr_analysis.report.records:update", reports)
    finally:
        if child is not None:
            child.close()


def _fresh_process():
    """A `FreshProcess` (imported only when a data step runs: the no-change path stays light)."""
    from .isolation import FreshProcess

    return FreshProcess()


def _skip_unused_optional_modules() -> None:
    """Make `import` of each of `UNUSED_OPTIONAL_MODULES` fail at once in this process (the
    libraries that try them go on without); a module already imported stays as it is."""
    for name in UNUSED_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: import fails (documented)


def _longest_first(pages: list[Job], previous: dict) -> list[Job]:
    """The pages in the order that ends the batch soonest on a few workers: the longest first.

    A page's length is its last run's seconds; a page never run is guessed from what it shows
    (background pages, with many indicators, take the longest)."""

    def expected(job: Job) -> float:
        seconds = previous.get(job.name, {}).get("seconds")
        return seconds if seconds is not None else 0.3 * (1 + len(job.indicators) + len(job.tables))

    return sorted(pages, key=expected, reverse=True)


def _with_parameters(job: Job, **extra: Any) -> Job:
    return Job(
        job.notebook,
        {**job.parameters, **extra},
        job.name,
        job.title,
        job.group,
        job.order,
        job.indicators,
        job.tables,
        job.all_indicators,
        job.front,
    )


def _prepared(before: dict, key: str, hashes: cache.FileHashes) -> bool:
    return before.get("key") == key and before.get("processed") == _processed_digest(hashes)


def _processed_digest(hashes: cache.FileHashes) -> str:
    return hashing.digest(hashes.tree(config.processed_dir()))


def _manifest() -> dict:
    """The processed tables' manifest (read without pandas)."""
    return config.read_json(config.manifest_path())


def _reference(reports: Path) -> dict:
    """The previous report the pages compare with (`records.update` writes it; no pandas)."""
    return config.read_json(config.ReportSet(reports).reference)


def _checked_table(job: Job, raw: dict[str, str]) -> dict[str, str]:
    """The stored files of the SSB table an indicator page checks its codes against (its
    "tabell og koder bekreftet" note reads the table's metadata, `indicators.confirm`), so
    the page follows new metadata even when its figures stay the same."""
    from mipr_analysis.indicators.registry import load_registry

    indicator = job.parameters.get("indicator_id")
    table = next((i.source.table for i in load_registry() if i.id == indicator), None)
    folder = f"raw/ssb/{table}/"
    return {path: sha for path, sha in raw.items() if table and path.startswith(folder)}


def _job_key(
    job: Job,
    manifest: dict,
    hashes: cache.FileHashes,
    figure_files: bool,
    extra: object = None,
    reference: dict | None = None,
) -> str:
    """What the page's output depends on (see `cache` for the rules)."""
    notebook = hashes.of(job.notebook) if job.notebook.is_file() else None
    imported = cache.notebook_imports(job.notebook)
    modules = imported | set(cache.EXPORT_MODULES)
    digests = manifest.get("indicators", {})
    data: object
    if job.all_indicators:
        data = [digests, (reference or {}).get("record"), (reference or {}).get("digests")]
    else:
        data = {i: digests.get(i) for i in job.indicators}
        if "mipr_analysis.report.records" in imported:
            data = [data, _comparison(job, reference or {})]
    files = manifest.get("files", {})
    tables = {t: files.get(t) for t in job.tables}
    return hashing.digest(
        [
            notebook,
            job.parameters,
            job.title,
            cache.code_digest(modules, hashes),
            manifest.get("schema_version"),
            data,
            tables,
            figure_files,
            extra,
        ]
    )


def _comparison(job: Job, reference: dict) -> object:
    """What a page's "since the previous report" part depends on: whether there is a previous
    report, its figures for the page's indicators, and its name (date) only where they differ
    from the newest record (a page with no changes does not show the date)."""
    before, now = reference.get("digests", {}), reference.get("current", {})
    differs = any(before.get(i) != now.get(i) for i in job.indicators)
    record = reference.get("record")
    return [bool(record), {i: before.get(i) for i in job.indicators}, record if differs else None]


def _unchanged(job: Job, key: str, previous: dict, reports: Path) -> bool:
    before = previous.get(job.name)
    return bool(
        before
        and before.get("status") == "ok"
        and before.get("key") == key
        and config.ReportSet(reports).notebook(job.name).is_file()
        and config.ReportSet(reports).page(job.html_name).is_file()
    )


def _start_pool(reports: Path, workers: int | None, pages: int):
    from .kernels import KernelPool

    size = max(1, min(workers or os.cpu_count() or 1, pages))
    pool = KernelPool(resolve_kernel(), size, config.ReportSet(reports).kernel_log)
    pool.start()
    return pool


# --------------------------------------------------------------------------------------------
# Running pages


def _run_pages(
    pages: list[Job],
    pool,
    ctx: _Context,
    timeout: int,
    export: Exporter | None,
    progress: bool,
    figure_files: bool,
    keys: dict[str, str],
) -> dict[str, JobResult]:
    """Run the pages on the pool's kernels; stop cleanly on Ctrl-C or SIGTERM."""
    from tqdm.auto import tqdm

    logging.getLogger("papermill").setLevel(logging.WARNING)
    outcomes: dict[str, JobResult] = {}
    env = {"MIPR_FIGURE_FILES": "1" if figure_files else "", "MIPR_REPORTS_DIR": str(ctx.reports)}
    with (
        _stoppable(ctx, pool),
        ThreadPoolExecutor(max_workers=max(1, pool.size)) as threads,  # 0: none started
        tqdm(total=len(pages), desc="Sider", unit="side", disable=not progress) as bar,
    ):
        futures: dict[Future, Job] = {
            threads.submit(_run_one, job, pool, ctx, timeout, export, env, keys[job.name]): job
            for job in pages
        }
        pending = set(futures)
        try:
            while pending and ctx.failure is None:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    job = futures[future]
                    outcomes[job.name] = future.result()
                    bar.set_postfix_str(job.name)
                    bar.update()
        except KeyboardInterrupt:
            ctx.stop.set()
        if ctx.stop.is_set():
            for future in pending:
                future.cancel()
            pool.interrupt_all()
            pool.close()
            for future in pending:
                job = futures[future]
                outcomes[job.name] = (
                    JobResult(job, INTERRUPTED) if future.cancelled() else future.result()
                )
    return outcomes


@contextmanager
def _stoppable(ctx: _Context, pool) -> Iterator[None]:
    """While pages run: SIGTERM and SIGHUP act like Ctrl-C; a second one ends the process at
    once."""

    def interrupt(signum: int, frame: object) -> None:
        leave_terminal(signum)
        if ctx.stop.is_set():  # the second one: no more waiting
            try:
                pool.close()
            finally:
                os._exit(130)
        ctx.stop.set()
        raise KeyboardInterrupt

    with stop_like_ctrl_c(interrupt):
        yield


FOLDER_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
"""Errors of the reports folder itself (a full disk, no write access): every further page
would fail the same way, so they stop the batch (with the path, in one line)."""


def _folder_failure(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in FOLDER_FAILURES


def _run_one(
    job: Job,
    pool,
    ctx: _Context,
    timeout: int,
    export: Exporter | None,
    env: dict[str, str],
    key: str,
) -> JobResult:
    """Run one page (in a worker thread); never raises. A failure of the reports folder
    itself stops the batch (`ctx.failure`); the page then counts as interrupted."""
    try:
        return _run_page(job, pool, ctx, timeout, export, env, key)
    except OSError as exc:
        if not _folder_failure(exc):
            raise
        with ctx.lock:
            ctx.failure = ctx.failure or exc
        ctx.stop.set()
        return JobResult(job, INTERRUPTED)


def _run_page(
    job: Job,
    pool,
    ctx: _Context,
    timeout: int,
    export: Exporter | None,
    env: dict[str, str],
    key: str,
) -> JobResult:
    reports = ctx.reports
    paths = config.ReportSet(reports)
    executed, partial, page = (
        paths.notebook(job.name),
        paths.partial(job.name),
        paths.page(job.html_name),
    )
    started = time.perf_counter()
    if ctx.stop.is_set():
        return JobResult(job, INTERRUPTED)
    _record_state(ctx, job.name, {"status": "running", "key": key})
    error, cell = None, None
    kernel = None
    healthy = True
    try:
        kernel = pool.acquire()
        kernel.run(_env_code(env))
        kernel.reset()
        error, cell, healthy = _execute(job, kernel, partial, timeout)
        if partial.is_file() and not ctx.stop.is_set():  # a stopped page is not kept
            os.replace(partial, executed)
    except BaseException as exc:  # a kernel that would not start, or a stop (a kernel shut
        # down under a waiting client cancels its socket poll: asyncio's CancelledError)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) or _folder_failure(exc):
            raise
        error, healthy = f"{type(exc).__name__}: {exc}", False
    finally:
        if kernel is not None:
            pool.release(kernel, healthy and not ctx.stop.is_set())
        partial.unlink(missing_ok=True)  # what did not reach its final name
    finished = datetime.now(OSLO).isoformat(timespec="seconds")
    seconds = time.perf_counter() - started
    if ctx.stop.is_set() and (error or not executed.is_file()):
        return JobResult(job, INTERRUPTED, seconds=seconds)
    if error is None:
        try:
            (export or _default_export())(executed, page, job.title)
        except Exception as exc:
            if _folder_failure(exc):
                raise
            error = f"HTML-eksport feilet ({type(exc).__name__}): {exc}"
    if error is None:
        _record_state(
            ctx,
            job.name,
            {"status": "ok", "key": key, "finished_at": finished, "seconds": round(seconds, 2)},
        )
        return JobResult(job, RAN, seconds=seconds, finished_at=finished)
    if cell is not None:
        error += f" (celle {cell})"
    result = JobResult(job, FAILED, error=error, cell=cell, seconds=seconds, finished_at=finished)
    _failure_page(result, executed, page)
    _record_state(
        ctx,
        job.name,
        {"status": "failed", "key": key, "error": error, "cell": cell, "finished_at": finished},
    )
    return result


def _env_code(env: dict[str, str]) -> str:
    lines = ["import os as _os"] + [f"_os.environ[{k!r}] = {v!r}" for k, v in env.items()]
    return "\n".join(lines + ["del _os"])


def _execute(job: Job, kernel, output: Path, timeout: int) -> tuple[str | None, int | None, bool]:
    """papermill on the warm kernel: (error or None, failing cell, kernel still usable)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .kernels import ENGINE_NAME

    try:
        papermill.execute_notebook(
            str(job.notebook.resolve()),
            str(output),
            parameters=job.parameters,
            kernel_name=kernel.kernel_name,
            engine_name=ENGINE_NAME,
            warm_kernel=kernel,
            execution_timeout=timeout,
            progress_bar=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        last = next((ln.strip() for ln in reversed(exc.evalue.splitlines()) if ln.strip()), "")
        return f"{exc.ename}: {last}" if last else exc.ename, exc.exec_count, True
    except TimeoutError:  # nbclient's CellTimeoutError: the kernel is still busy, replace it
        return f"Tidsavbrudd: en celle brukte mer enn {timeout} s", None, False
    return None, None, True


def _record_state(ctx: _Context, name: str, entry: dict) -> None:
    """Remember one page's state at once, so a killed batch keeps what finished."""
    with ctx.lock:
        ctx.state["jobs"][name] = entry
        cache.save_state(ctx.reports, ctx.state)


def _results(
    jobs: list[Job], outcomes: dict[str, JobResult], keys: dict[str, str], state: dict
) -> list[JobResult]:
    """Every job's result in this batch (removed jobs are forgotten by the state)."""
    previous, results = state["jobs"], []
    for job in jobs:
        if job.name in outcomes:
            result = outcomes[job.name]
            if result.status == INTERRUPTED:
                previous.pop(job.name, None)
        elif job.name in keys:
            before = previous.get(job.name, {})
            result = JobResult(job, SKIPPED, finished_at=before.get("finished_at"))
        else:
            before = previous.get(job.name, {})
            result = JobResult(
                job,
                NOT_SELECTED,
                error=before.get("error"),
                finished_at=before.get("finished_at"),
                previous=before.get("status"),
            )
        results.append(result)
    state["jobs"] = {j.name: previous[j.name] for j in jobs if j.name in previous}
    return results


# --------------------------------------------------------------------------------------------
# The report set as it stands


DATA_BUILD = "databyggingen"
"""What `outdated` names when the data build itself would run again (data/raw changed)."""


def outdated(jobs: Sequence[Job], reports_dir: Path | str | None = None) -> list[str]:
    """What `mipr report` would make again in the report set now: `DATA_BUILD` when the data
    build would run (data/raw or the build's code changed since), then the names of the pages
    not made from the current data, notebook and code, or not finished (a stopped run). []
    when the set is one finished report of what is there now. A page that failed on the
    current inputs counts as made (it stands in the set as failed).

    The same rules as `run_batch` (the page keys), without running anything or importing
    pandas; made for `mipr pdf`, under the folders' locks."""
    reports = Path(reports_dir or config.reports_dir()).resolve()
    state, note = cache.load_state(reports)
    if note:
        return [DATA_BUILD, *(j.name for j in jobs)]
    hashes = cache.FileHashes(state["hashes"])
    cache.remember_imports(state.get("imports", {}))
    stale = []
    raw = hashes.tree(config.raw_dir(), "raw/")
    if state["prepare"]:  # the set was made with a data build
        build_key = hashing.digest([cache.code_digest(BUILD_MODULES, hashes), raw])
        if not _prepared(state["prepare"], build_key, hashes):
            stale.append(DATA_BUILD)
    manifest, reference, made = _manifest(), _reference(reports), state["jobs"]

    def current(job: Job, extra: object = None) -> bool:
        if extra is None:  # as run_batch keys a page: with the files of the table it checks
            extra = _checked_table(job, raw)
        return any(
            _made(job, _job_key(job, manifest, hashes, f, extra, reference), made, reports)
            for f in (False, True)  # with or without --figures
        )

    pages = [j for j in jobs if not j.front]
    stale += [j.name for j in pages if not current(j)]
    front = next((j for j in jobs if j.front), None)
    if front is not None and not stale:
        results = [
            JobResult(
                j,
                FAILED if made[j.name]["status"] == "failed" else SKIPPED,
                error=made[j.name].get("error"),
                finished_at=made[j.name].get("finished_at"),
            )
            for j in pages
        ]
        if not current(front, _standing({"pages": _page_records(results)})):
            stale.append(front.name)
    return stale


def _made(job: Job, key: str, previous: dict, reports: Path) -> bool:
    """The page was made (successfully or as a failure page) from the inputs `key` covers."""
    before = previous.get(job.name)
    return bool(
        before
        and before.get("status") in ("ok", "failed")
        and before.get("key") == key
        and config.ReportSet(reports).page(job.html_name).is_file()
    )


# --------------------------------------------------------------------------------------------
# Pages written by the runner itself


def _default_export() -> Exporter:
    from .html_export import export_html

    return export_html


def _failure_page(result: JobResult, executed: Path, page: Path) -> None:
    import html

    from mipr_analysis.atomic import atomic_write_text

    from .page_shell import render_page

    name = html.escape(executed.name)
    link = (
        f" Den kjørte notatboken (for feilsøking) ligger i "
        f'<a href="../executed/{name}">executed/{name}</a>.'
        if executed.is_file()
        else ""
    )
    body = (
        f"<h1>{html.escape(result.job.title)}</h1>\n"
        f"<p><strong>Denne siden feilet</strong> og viser ingen tall.</p>\n"
        f"<p>Feil: <code>{html.escape(result.error or '')}</code></p>\n"
        f"<p>Notatbok: <code>{html.escape(result.job.notebook.name)}</code>.{link}</p>\n"
        f'<p><a href="index.html">Til forsiden</a></p>'
    )
    atomic_write_text(page, render_page(f"{result.job.title} (feilet)", body, lang="nb"))


def _fallback_index(batch: BatchResult) -> None:
    """When the front page did not run this time: keep it, or (without one, or when it failed)
    write a plain list of the pages so the report always has an entry page."""
    index = batch.index_path
    front = next((r for r in batch.results if r.job.front), None)
    if index.is_file() and front is not None and front.status in (SKIPPED, NOT_SELECTED):
        return
    import html

    from mipr_analysis.atomic import atomic_write_text

    from .page_shell import render_page

    rows = "\n".join(
        f'<li><a href="{html.escape(r.job.html_name)}">{html.escape(r.job.title)}</a>'
        f" – {html.escape(_status_text(r))}</li>"
        for r in sorted(batch.results, key=lambda r: (r.job.order, r.job.title))
        if not r.job.front
    )
    failed = (
        f"<p><strong>Forsiden feilet:</strong> <code>{html.escape(front.error or '')}</code></p>"
        if front is not None and front.status == FAILED
        else ""
    )
    body = (
        f"<h1>Indikatorrapporter for Mosseregionen</h1>\n{failed}\n"
        f"<p>Sider: {html.escape(batch.counts())}.</p>\n<ul>\n{rows}\n</ul>"
    )
    atomic_write_text(index, render_page("Indikatorrapporter for Mosseregionen", body, lang="nb"))


def _status_text(r: JobResult) -> str:
    return {
        RAN: "oppdatert i denne kjøringen",
        SKIPPED: "uendret siden forrige kjøring",
        FAILED: f"feilet: {r.error}",
        INTERRUPTED: "avbrutt, kjøres neste gang",
    }.get(r.status, "ikke med i denne kjøringen")


def _run_record(batch: BatchResult, jobs: list[Job]) -> dict:
    """What the front page says about this run. `pages[*]["state"]` is each page's standing
    ("ok", "failed", "never", "interrupted"); only that part goes into the front page's key, so
    a run that changes nothing does not run the front page again."""
    return {
        "started_at": batch.started_at.isoformat(timespec="seconds"),
        "git": batch.git,
        "kernel": batch.kernel,
        "prepared": batch.prepared,
        "counts": batch.counts(),
        "pages": _page_records(batch.results),
    }


def _page_records(results: list[JobResult]) -> list[dict]:
    pages = []
    for r in results:
        if r.job.front:
            continue
        state = {RAN: "ok", SKIPPED: "ok", FAILED: "failed", INTERRUPTED: "interrupted"}.get(
            r.status, r.previous or "never"
        )
        pages.append(
            {
                "name": r.name,
                "title": r.job.title,
                "group": r.job.group,
                "order": r.job.order,
                "html": r.job.html_name,
                "indicators": list(r.job.indicators),
                "state": state,
                "ran_now": r.status == RAN,
                "error": r.error,
                "finished_at": r.finished_at,
            }
        )
    return pages


def _standing(record: dict) -> list:
    """The part of the run record that the front page's key covers."""
    return [[p["name"], p["state"], p["error"], p["finished_at"]] for p in record["pages"]]


def _json(obj: object) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, indent=1)


def git_state(repo: Path) -> str:
    """'git <short hash>' plus ' + endringer' when the work tree is dirty, or why there is none."""

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20
        )

    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            inside = git("rev-parse", "--is-inside-work-tree").returncode == 0
            return "git: ingen commit ennå" if inside else "ikke i et git-arkiv"
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "ukjent (git er ikke tilgjengelig)"
    return f"git {head.stdout.strip()}" + (" + endringer" if dirty else "")
