"""Figures typed in from published reports: `<data_dir>/raw/manual/*.csv`.

Each file has the columns `indicator,region,period,value,unit,source,publisher,note` (UTF-8; `,`
or `;` separated). Values may be written the Norwegian way ("35 696", "73,9", "0,1 pst.",
"93 %", "−0,9"). A blank value is allowed only with a note saying why ("ikke oppgitt i
planen"). Every file is checked before anything is returned: one `ManualDataError` lists every
problem with file and line (messages in bokmål).

Plausible figures (`plausibility.py`): a share in 0–100 %, a count not negative, a rank within
1 and the number ranked, a year not after next year; a figure that breaks one is refused.

Whole-number figures: for ranks and counts (`measure` rank or count) a value must be a whole
number, and for them and for every indicator published without decimals (`decimals: 0`) a value
like "35,696" or "35.696" (one separator, then exactly three digits) is refused as ambiguous
(35 696 or 35,696?) instead of being read as 35.696.
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

from . import plausibility
from .registry import Indicator, load_registry

COLUMNS = ("indicator", "region", "period", "value", "unit", "source", "publisher", "note")
REGION_GROUPS = (*regions.group_ids(), regions.NATIONAL)

_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_SUFFIX = re.compile(r"(%|pst\.?|prosent)$", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_AMBIGUOUS = re.compile(r"-?\d{1,3}[.,]\d{3}")
INTEGER_MEASURES = ("rank", "count")


class ManualDataError(MiprError, ValueError):
    """One or more manual CSV files are wrong; `problems` lists each as "file:line: what"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"raw/manual: {len(problems)} feil i de manuelle datafilene, ingenting ble lastet. "
            "Rett dem og kjør igjen: " + "; ".join(problems)
        )

    def __reduce__(self):  # pickled as made (the build runs in its own process)
        return (type(self), (self.problems,))


def parse_number(text: str) -> float | None:
    """A number written the Norwegian (or plain) way; None for a blank cell.

    Accepts thousands separated by normal, no-break or thin spaces, a decimal comma, a real minus
    sign (U+2212) and a trailing "%", "pst." or "prosent". Raises ValueError otherwise.
    """
    cleaned = _SPACES.sub("", str(text)).replace("\u2212", "-")
    cleaned = _SUFFIX.sub("", cleaned)
    if not cleaned:
        if str(text).strip():
            raise ValueError(f"{_short(text)} har enhet, men ikke noe tall")
        return None
    if "," in cleaned:
        if "." in cleaned or cleaned.count(",") > 1:
            raise ValueError(
                f"{_short(text)} blander ',' og '.'; skriv desimalkomma eller "
                "desimalpunktum, én gang"
            )
        cleaned = cleaned.replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"{_short(text)} er ikke et tall")
    return float(cleaned)


def _short(text: object, limit: int = 60) -> str:
    text = str(text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


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
                f"{where}: samme som {seen[key]} ({key[0]}, region {key[1]}, {key[2]}); "
                "behold én rad per indikator, region og periode"
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
        problems.append(f"{path.name}: er ikke UTF-8; lagre filen som «CSV UTF-8»")
        return []
    header = text.splitlines()[0] if text else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip() for c in reader.fieldnames or []]
    if tuple(columns) != COLUMNS:
        problems.append(
            f"{path.name}:1: overskriften er {_short(','.join(columns) or '(tom)')}; den skal være "
            f"nøyaktig {','.join(COLUMNS)}"
        )
        return []
    out = []
    for raw in reader:
        line = reader.line_num
        where = f"{path.name}:{line}"
        if None in raw or any(v is None for v in raw.values()):
            problems.append(
                f"{where}: forventet {len(COLUMNS)} kolonner; sett celler som "
                f"inneholder '{delimiter}' i anførselstegn"
            )
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        parsed = _check_row(row, where, by_id, problems)
        if parsed is not None:
            out.append({**parsed, "file": path.name, "line": line})
    return out


def _check_row(
    row: dict, where: str, by_id: dict[str, Indicator], problems: list[str]
) -> dict | None:
    errs: list[str] = []
    ind = by_id.get(row["indicator"])
    if ind is None:
        errs.append(
            f"ukjent indikator {_short(row['indicator'])}; bruk en id fra "
            "mipr_analysis/indicators/registry.yaml"
        )
    region = regions.normalise_code(row["region"]) if row["region"] else ""
    region_problem = _region_problem(region)
    if region_problem:
        errs.append(region_problem)
    period = None
    if re.fullmatch(r"\d{4}", row["period"]):
        period = int(row["period"])
    else:
        errs.append(f"perioden {_short(row['period'])} skal være et år, som 2024")
    value = None
    try:
        value = parse_number(row["value"])
    except ValueError as exc:
        errs.append(f"verdi: {exc}; skriv f.eks. 35696, 35 696, 73,9 eller 73.9")
    if value is not None and ind is not None:
        whole = _whole_number_problem(row["value"], value, ind)
        if whole:
            errs.append(whole)
        elif row["unit"] == ind.unit and plausibility.value_problem(ind, value):
            errs.append(f"{plausibility.value_problem(ind, value)}; rett tallet")
    if period is not None and plausibility.period_problem(period):
        errs.append(f"{plausibility.period_problem(period)}; rett perioden")
    if value is None and not errs and not row["note"]:
        errs.append(
            "tom verdi uten merknad; skriv hvorfor i 'note' (f.eks. 'ikke oppgitt i planen')"
        )
    if ind is not None and row["unit"] != ind.unit:
        errs.append(
            f"enheten {_short(row['unit'])} er ikke registerets {ind.unit!r} for "
            f"{ind.id}; regn om tallet eller rett enheten"
        )
    if not row["source"]:
        errs.append("'source' er tom; oppgi dokumentet og tabellen tallet kommer fra")
    problems += [f"{where}: {e}" for e in errs]
    if errs:
        return None
    return {
        **row,
        "region": region,
        "period": period,
        "value": float("nan") if value is None else value,
    }


def _whole_number_problem(text: str, value: float, ind: Indicator) -> str | None:
    """Why a figure of a whole-number indicator is refused (module docstring), or None."""
    cleaned = _SUFFIX.sub("", _SPACES.sub("", text).replace("\u2212", "-"))
    integer = ind.measure in INTEGER_MEASURES
    if _AMBIGUOUS.fullmatch(cleaned) and (integer or ind.decimals == 0):
        whole = cleaned.replace(",", "").replace(".", "")
        spaced = f"{int(whole):,}".replace(",", " ")
        return (
            f"verdien {_short(text)} er tvetydig for {ind.id}, som publiseres i hele tall: "
            f"tusenskille eller desimaltegn? Skriv {whole} eller {spaced} (mellomrom som "
            "tusenskille)"
        )
    if integer and value != int(value):
        return (
            f"verdien {_short(text)} er ikke et helt tall, men {ind.id} er en "
            f"{'rangering' if ind.measure == 'rank' else 'telling'}; skriv et helt tall"
        )
    return None


def _region_problem(region: str) -> str | None:
    """None when `region` is a 2024 municipality code or a region id, else what is wrong."""
    if region in REGION_GROUPS:
        return None
    if not regions.is_municipality(region):
        return (
            f"region {_short(region)} er ikke en firesifret kommunekode eller en av "
            f"{', '.join(REGION_GROUPS)}"
        )
    valid_to = regions.code_validity(region)[1]
    if valid_to is not None and valid_to < regions.TARGET_YEAR:
        current = regions.to_2024_code(region)
        return f"region {region} er en kode fra før 2024; bruk 2024-koden" + (
            f" {current}" if current else ""
        )
    return None
