"""Figures typed in from published reports: `<data_dir>/raw/manual/*.csv`.

Each file has the columns `indicator,region,period,value,unit,source,publisher,note` (UTF-8; `,`
or `;` separated). Values may be written the Norwegian way ("35 696", "73,9", "0,1 pst.",
"93 %", "−0,9"). A blank value is allowed only with a note saying why ("ikke oppgitt i
planen"). Every file is checked before anything is returned: one `ManualDataError` lists every
problem with file and line.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from mipr_analysis import config
from mipr_analysis.errors import MiprError
from mipr_analysis.geo import regions

from .registry import Indicator, load_registry

COLUMNS = ("indicator", "region", "period", "value", "unit", "source", "publisher", "note")
REGION_GROUPS = ("MIPR", "IOR", "0")

_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_SUFFIX = re.compile(r"(%|pst\.?|prosent)$", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


class ManualDataError(MiprError, ValueError):
    """One or more manual CSV files are wrong; `problems` lists each as "file:line: what"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the manual data files; nothing was loaded. "
            "Fix them and run again:\n- " + "\n- ".join(problems)
        )


def parse_number(text: str) -> float | None:
    """A number written the Norwegian (or plain) way; None for a blank cell.

    Accepts thousands separated by normal, no-break or thin spaces, a decimal comma, a real minus
    sign (U+2212) and a trailing "%", "pst." or "prosent". Raises ValueError otherwise.
    """
    cleaned = _SPACES.sub("", str(text)).replace("\u2212", "-")
    cleaned = _SUFFIX.sub("", cleaned)
    if not cleaned:
        if str(text).strip():
            raise ValueError(f"{text!r} has a unit but no number")
        return None
    if "," in cleaned:
        if "." in cleaned or cleaned.count(",") > 1:
            raise ValueError(f"{text!r} mixes ',' and '.'; write a decimal comma or point, once")
        cleaned = cleaned.replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not a number")
    return float(cleaned)


def manual_dir(data_dir: Path | str | None = None) -> Path:
    return (Path(data_dir) if data_dir else config.data_dir()) / "raw" / "manual"


def load_manual(
    data_dir: Path | str | None = None, registry: list[Indicator] | None = None
) -> pd.DataFrame:
    """Every manual CSV, validated, as one frame (region as str, period Int64, value float).

    Columns: the file columns plus `file` and `line`. An empty folder gives an empty frame.
    """
    registry = registry if registry is not None else load_registry()
    by_id = {ind.id: ind for ind in registry}
    problems: list[str] = []
    rows: list[dict] = []
    for path in sorted(manual_dir(data_dir).glob("*.csv")):
        rows += _read_file(path, by_id, problems)
    seen: dict[tuple, str] = {}
    for row in rows:
        key = (row["indicator"], row["region"], row["period"])
        where = f"{row['file']}:{row['line']}"
        if key in seen:
            problems.append(
                f"{where}: duplicate of {seen[key]} ({key[0]}, region {key[1]}, {key[2]}); "
                "keep one row per indicator, region and period"
            )
        seen.setdefault(key, where)
    if problems:
        raise ManualDataError(problems)
    df = pd.DataFrame(rows, columns=[*COLUMNS, "file", "line"])
    df["period"] = df["period"].astype("Int64")
    df["value"] = df["value"].astype("float64")
    for col in ("indicator", "region", "unit", "source", "publisher", "note", "file"):
        df[col] = df[col].astype(str)
    return df


def _read_file(path: Path, by_id: dict[str, Indicator], problems: list[str]) -> list[dict]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(f"{path.name}: not UTF-8; save the file as 'CSV UTF-8'")
        return []
    header = text.splitlines()[0] if text else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip() for c in reader.fieldnames or []]
    if tuple(columns) != COLUMNS:
        problems.append(
            f"{path.name}:1: the header is {','.join(columns) or '(empty)'}; it must be exactly "
            f"{','.join(COLUMNS)}"
        )
        return []
    out = []
    for raw in reader:
        line = reader.line_num
        where = f"{path.name}:{line}"
        if None in raw or any(v is None for v in raw.values()):
            problems.append(f"{where}: expected {len(COLUMNS)} columns; quote cells that "
                            f"contain '{delimiter}'")
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        parsed = _check_row(row, where, by_id, problems)
        if parsed is not None:
            out.append({**parsed, "file": path.name, "line": line})
    return out


def _check_row(row: dict, where: str, by_id: dict[str, Indicator], problems: list[str]
               ) -> dict | None:
    errs: list[str] = []
    ind = by_id.get(row["indicator"])
    if ind is None:
        errs.append(f"unknown indicator {row['indicator']!r}; use an id from "
                    "mipr_analysis/indicators/registry.yaml")
    region = regions.normalise_code(row["region"]) if row["region"] else ""
    region_problem = _region_problem(region)
    if region_problem:
        errs.append(region_problem)
    period = None
    if re.fullmatch(r"\d{4}", row["period"]):
        period = int(row["period"])
    else:
        errs.append(f"period {row['period']!r} must be a year like 2024")
    value = None
    try:
        value = parse_number(row["value"])
    except ValueError as exc:
        errs.append(f"value: {exc}; write e.g. 35696, 35 696, 73,9 or 73.9")
    if value is None and not errs and not row["note"]:
        errs.append("blank value without a note; say why in 'note' (e.g. 'ikke oppgitt i planen')")
    if ind is not None and row["unit"] != ind.unit:
        errs.append(f"unit {row['unit']!r} differs from the registry's {ind.unit!r} for "
                    f"{ind.id}; convert the figure or fix the unit")
    if not row["source"]:
        errs.append("'source' is empty; name the document and table the figure comes from")
    problems += [f"{where}: {e}" for e in errs]
    if errs:
        return None
    return {**row, "region": region, "period": period,
            "value": float("nan") if value is None else value}


def _region_problem(region: str) -> str | None:
    """None when `region` is a 2024 municipality code or a region id, else what is wrong."""
    if region in REGION_GROUPS:
        return None
    if not regions.is_municipality(region):
        return (f"region {region!r} is not a 4-digit municipality code or one of "
                f"{', '.join(REGION_GROUPS)}")
    valid_to = regions.code_validity(region)[1]
    if valid_to is not None and valid_to < regions.TARGET_YEAR:
        current = regions.to_2024_code(region)
        return (f"region {region} is a code from before 2024; use the 2024 code"
                + (f" {current}" if current else ""))
    return None
