"""What each report showed, kept in `reports/records/`, and what changed since the last one.

After the data build, `update` compares the figures the pages show (every indicator, region and
year of `derived.csv`) with the newest record. When they differ, the figures are saved as a new
dated record (gzip CSV, some tens of kilobytes) and the record before it becomes the
*reference*: the previous report that pages compare with ("siden forrige rapport").
`reference.json` names it and holds, per indicator, a digest of its rows there and in the newest
record, so that only pages whose comparison changes are run again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from mipr_analysis import config
from mipr_analysis.atomic import atomic_write_bytes, atomic_write_text
from mipr_analysis.formatting import round_half_up
from mipr_analysis.geo import regions
from mipr_analysis.hashing import digest
from mipr_analysis.indicators import processed, status
from mipr_analysis.indicators.registry import load_registry

COLUMNS = ["indicator", "region", "period", "value", "status"]
NEW_PERIOD, REVISED, STATUS_CHANGED = "new_period", "revised", "status_changed"
KIND_LABELS = {NEW_PERIOD: "nytt år", REVISED: "revidert tall", STATUS_CHANGED: "ny status"}


@dataclass(frozen=True)
class Reference:
    """The previous report's record (None when there is none yet)."""

    name: str | None
    made_at: datetime | None
    digests: dict[str, str]


def current_figures(data_dir: Path | str | None = None) -> pd.DataFrame:
    """The figures the report shows: each indicator, report region and year, with its status."""
    derived = processed.read("derived", data_dir)
    shown = derived[derived["region"].isin(regions.report_regions()) & derived["period"].notna()]
    return shown[COLUMNS].sort_values(COLUMNS[:3], kind="stable").reset_index(drop=True)


def update(
    reports_dir: Path, data_dir: Path | str | None = None, now: datetime | None = None
) -> Reference:
    """Save the current figures as a new record when they differ from the newest one, and
    write and return the reference (the record before the current figures)."""
    paths = config.ReportSet(reports_dir)
    folder = paths.records
    current = current_figures(data_dir)
    names = _records(folder)
    newest = _read(folder / names[-1]) if names else None
    if newest is None or not _same(newest, current):
        moment = (now or datetime.now()).astimezone()
        name = f"{moment:%Y-%m-%dT%H%M%S}.csv.gz"
        text = current.to_csv(index=False).encode("utf-8")
        import gzip

        atomic_write_bytes(folder / name, gzip.compress(text, mtime=0))
        names = _records(folder)
    reference_name = names[-2] if len(names) >= 2 else None
    reference = _reference(folder, reference_name)
    atomic_write_text(
        paths.reference,
        json.dumps(
            {
                "record": reference.name,
                "made_at": reference.made_at.isoformat() if reference.made_at else None,
                "digests": reference.digests,
                "current": _digests(_read(folder / names[-1])),
            },
            indent=1,
            sort_keys=True,
        ),
    )
    return reference


def load_reference(reports_dir: Path | str | None) -> Reference:
    """The reference the last `update` chose (`Reference(None, None, {})` without one)."""
    info = config.read_json(config.ReportSet(reports_dir).reference) if reports_dir else {}
    made = info.get("made_at")
    return Reference(
        info.get("record"),
        datetime.fromisoformat(made) if made else None,
        info.get("digests") or {},
    )


def changes(
    reports_dir: Path | str | None,
    data_dir: Path | str | None = None,
    indicators: list[str] | None = None,
) -> tuple[Reference, pd.DataFrame]:
    """What is new or revised in the current figures against the reference record
    (`reports_dir` None: the project's reports folder).

    Rows: indicator, title, region, region_name, period, kind (`NEW_PERIOD`, `REVISED`,
    `STATUS_CHANGED`), before, after (values; for a status change the status codes).
    A value counts as revised when it differs at the indicator's published decimals.
    """
    from mipr_analysis import config

    reports_dir = Path(reports_dir or config.reports_dir())
    reference = load_reference(reports_dir)
    columns = ["indicator", "title", "region", "region_name", "period", "kind", "before", "after"]
    if reference.name is None:
        return reference, pd.DataFrame(columns=columns)
    before = _read(config.ReportSet(reports_dir).records / reference.name)
    now = current_figures(data_dir)
    if indicators is not None:
        before = before[before["indicator"].isin(indicators)]
        now = now[now["indicator"].isin(indicators)]
    registry = {i.id: i for i in load_registry()}
    merged = now.merge(
        before, on=["indicator", "region", "period"], how="left", suffixes=("", "_before")
    )
    rows = []
    for r in merged.to_dict("records"):
        ind = registry.get(r["indicator"])
        if ind is None or pd.isna(r["value"]):
            continue
        if pd.isna(r["value_before"]):
            rows.append(_change(ind, r, NEW_PERIOD, None, r["value"]))
        elif round_half_up(r["value"], ind.decimals) != round_half_up(
            r["value_before"], ind.decimals
        ):
            rows.append(_change(ind, r, REVISED, r["value_before"], r["value"]))
        judged = {status.BETTER, status.SAME, status.WORSE}
        if (
            isinstance(r["status_before"], str)
            and r["status_before"] != r["status"]
            and (r["status"] in judged or r["status_before"] in judged)
        ):
            rows.append(_change(ind, r, STATUS_CHANGED, r["status_before"], r["status"]))
    out = pd.DataFrame(rows, columns=columns)
    order = {i: n for n, i in enumerate(registry)}
    return reference, out.sort_values(
        ["indicator", "region", "period"],
        key=lambda s: s.map(order) if s.name == "indicator" else s,
        kind="stable",
    ).reset_index(drop=True)


def _change(ind, r: dict, kind: str, old: object, new: object) -> dict:
    return {
        "indicator": ind.id,
        "title": ind.title,
        "region": r["region"],
        "region_name": regions.region_name(r["region"]),
        "period": int(r["period"]),
        "kind": kind,
        "before": old,
        "after": new,
    }


def _records(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.csv.gz")) if folder.is_dir() else []


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(
        path,
        dtype={"indicator": str, "region": str, "status": str},
        keep_default_na=False,
        na_values={"value": [""], "period": [""]},
    )
    frame["period"] = frame["period"].astype("Int64")
    frame["value"] = frame["value"].astype(float)
    return frame[COLUMNS]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.reset_index(drop=True).equals(b.reset_index(drop=True).astype(a.dtypes.to_dict()))


def _reference(folder: Path, name: str | None) -> Reference:
    if name is None:
        return Reference(None, None, {})
    made = datetime.strptime(name.removesuffix(".csv.gz"), "%Y-%m-%dT%H%M%S")
    return Reference(name, made, _digests(_read(folder / name)))


def _digests(frame: pd.DataFrame) -> dict[str, str]:
    """Per indicator, a digest of its rows in a record."""
    return {
        ind: digest(part.to_csv(index=False)) for ind, part in frame.groupby("indicator", sort=True)
    }
