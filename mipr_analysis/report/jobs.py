"""What the batch runs and what came of it: `Job`, `JobResult`, `BatchResult`.

Plain data with no heavy imports, so a `mipr report` with nothing to do starts quickly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mipr_analysis import config
from mipr_analysis.errors import DataError

# JobResult.status values
RAN, SKIPPED, FAILED, NOT_SELECTED, INTERRUPTED = (
    "ran",
    "skipped",
    "failed",
    "not_selected",
    "interrupted",
)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass
class Job:
    """One report page: a notebook run with `parameters`, written as `<name>.ipynb`/`.html`.

    `indicators` are the indicator ids whose rows the page reads (so `only=[id]` finds it, and
    a change in those rows re-runs it); `all_indicators` marks a page that reads every
    indicator (the front page); `tables` are further processed tables the page reads (e.g.
    "commuting"). `front` marks the front page, which runs after the other pages and is
    written as `index.html`.
    """

    notebook: Path
    parameters: dict[str, Any]
    name: str
    title: str
    group: str
    order: int = 0
    indicators: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    all_indicators: bool = False
    front: bool = False

    def __post_init__(self) -> None:
        self.notebook = Path(self.notebook)
        self.indicators = tuple(self.indicators)
        self.tables = tuple(self.tables)
        if not _NAME.fullmatch(self.name):
            raise DataError(
                f"jobbnavnet {self.name!r} kan ikke brukes som filnavn: bruk bare ASCII-bokstaver, "
                "sifre, '_', '-' og '.' (det blir <navn>.ipynb og <navn>.html)"
            )
        for key, value in self.parameters.items():
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise DataError(
                    f"jobben {self.name!r}: parameteren {key!r} er {type(value).__name__}, ikke "
                    "en enkel JSON-verdi. Gi den som tekst, tall, True/False, None, liste eller dict"
                ) from None

    @property
    def html_name(self) -> str:
        return config.FRONT_PAGE if self.front else f"{self.name}.html"


@dataclass
class JobResult:
    """What happened to one job in this batch.

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
    """The outcome of `run_batch`; `ok` is False when any job failed or was interrupted."""

    results: list[JobResult]
    started_at: datetime
    seconds: float
    reports_dir: Path
    kernel: str | None = None
    prepared: bool | None = None
    git: str = ""
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    def with_status(self, status: str) -> list[JobResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ran(self) -> list[JobResult]:
        return self.with_status(RAN)

    @property
    def skipped(self) -> list[JobResult]:
        return self.with_status(SKIPPED)

    @property
    def failed(self) -> list[JobResult]:
        return self.with_status(FAILED)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    @property
    def index_path(self) -> Path:
        return config.ReportSet(self.reports_dir).front_page

    def counts(self) -> str:
        """'3 kjørt, 1 uendret (hoppet over), 1 feilet' (and what was not selected or stopped)."""
        text = (
            f"{len(self.ran)} kjørt, {len(self.skipped)} uendret (hoppet over), "
            f"{len(self.failed)} feilet"
        )
        for status, words in ((INTERRUPTED, "avbrutt"), (NOT_SELECTED, "ikke valgt")):
            if self.with_status(status):
                text += f", {len(self.with_status(status))} {words}"
        return text

    def summary(self) -> str:
        """A few lines in bokmål for the terminal: counts, wall time and which jobs failed."""
        from mipr_analysis.formatting import fmt_number

        lines = [f"Rapporter: {self.counts()} – {fmt_number(self.seconds, 1)} s."]
        if self.prepared is not None:
            lines.append(f"Databygging: {'kjørt.' if self.prepared else 'uendret, hoppet over.'}")
        lines += self.notes
        for r in self.failed:
            lines.append(f"Feilet: {r.name} – {r.error}")
        if self.interrupted:
            lines.append("Avbrutt: sider som ikke ble ferdige, kjøres neste gang.")
        lines.append(f"Forside: {self.index_path}")
        return "\n".join(lines)
