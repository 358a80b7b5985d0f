"""Plausibility rules per indicator, driven by the registry (measure, unit, rank_of,
`plausible`), the same for typed-in (manual) and stored (SSB, FHI) figures:

- a share (measure `rate` in `prosent`) lies within 0–100;
- a count is not negative;
- a rank lies within 1 and the number ranked (`rank_of`);
- an indicator's own `plausible: {min, max}` replaces these where the measure's rule does not
  fit (a percentage of the national average can pass 100, a net migration rate can be negative);
- a year is not after next year (`config.today()`);
- a jump far outside the series' usual movement (`breaks.detect_breaks`) is flagged.

A manual figure that breaks one of the first five is refused with file and line (`manual.py`).
A stored figure that breaks one is kept and flagged (`IMPLAUSIBLE` in the values' status, the
reason in its note) and gets no status: `status.NOT_ASSESSED` with the reason (`derive.py`), as
does a comparison with the baseline across a jump or from an implausible baseline.
"""

from __future__ import annotations

import math

import pandas as pd

from mipr_analysis import config
from mipr_analysis.formatting import PERCENT_UNITS, fmt_number, fmt_value

from .breaks import COLUMNS, detect_breaks
from .registry import Indicator

IMPLAUSIBLE = "implausible"
"""The values' status flag of a stored figure that breaks a rule (`processed.FLAG_LABELS`)."""


def latest_year() -> int:
    """The last year a figure may be for: next year."""
    return config.today().year + 1


def bounds(ind: Indicator) -> tuple[float | None, float | None]:
    """(lowest, highest) plausible value of `ind`; None where there is no limit."""
    if ind.plausible is not None:
        return ind.plausible.get("min"), ind.plausible.get("max")
    if ind.measure == "rate" and ind.unit in PERCENT_UNITS:
        return 0.0, 100.0
    if ind.measure == "count":
        return 0.0, None
    if ind.measure == "rank":
        return 1.0, float(ind.rank_of) if ind.rank_of else None
    return None, None


def _rule(ind: Indicator, low: float | None, high: float | None) -> str:
    """The broken rule in words."""
    if ind.plausible is not None:
        limits = " og ".join(
            f"{word} {fmt_value(limit, ind.unit, ind.decimals)}"
            for word, limit in (("minst", low), ("høyst", high))
            if limit is not None
        )
        return f"registeret (plausible) tillater {limits}"
    if ind.measure == "count":
        return "et antall kan ikke være negativt"
    if ind.measure == "rank":
        return (
            f"en plassering er mellom 1 og {fmt_number(ind.rank_of)} (antallet som rangeres, "
            "rank_of i registeret)"
        )
    return "en andel er mellom 0 og 100 %"


def value_problem(ind: Indicator, value: float | None) -> str | None:
    """Why `value` is not plausible for `ind` (bokmål), or None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    low, high = bounds(ind)
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    return f"{fmt_value(value, ind.unit, ind.decimals)} er ikke mulig: {_rule(ind, low, high)}"


def period_problem(period: int | None) -> str | None:
    """Why `period` is not plausible (after next year), or None."""
    if period is None or pd.isna(period) or int(period) <= latest_year():
        return None
    return f"året {int(period)} er etter neste år ({latest_year()})"


def problems(ind: Indicator, value: float | None, period: int | None) -> list[str]:
    """Every rule `value` for `period` breaks (bokmål; empty when none)."""
    return [p for p in (value_problem(ind, value), period_problem(period)) if p]


def flag(values: pd.DataFrame, by_id: dict[str, Indicator]) -> pd.DataFrame:
    """`values` (the processed values) with every figure that breaks a rule flagged: status
    `IMPLAUSIBLE` and the reason before its note. The figure itself is kept."""
    out = values.copy()
    reasons = [
        "; ".join(problems(by_id[i], v, p))
        for i, v, p in zip(out["indicator"], out["value"], out["period"])
    ]
    hit = pd.Series([bool(r) for r in reasons], index=out.index)
    if hit.any():
        text = pd.Series(reasons, index=out.index)
        note = out["note"].where(out["note"] == "", "; " + out["note"])
        out.loc[hit, "note"] = "usannsynlig tall: " + text[hit] + note[hit]
        out.loc[hit, "status"] = IMPLAUSIBLE
    return out


def has_level(ind: Indicator) -> bool:
    """False for series of changes (a derived growth rate, a change in places): they have no
    level that can jump."""
    return ind.source.type != "derived" and ind.measure != "change"


def jumps(ind: Indicator, series: pd.Series) -> pd.DataFrame:
    """Jumps far outside the series' usual movement (`detect_breaks`, kind "statistisk");
    `series` is indexed by year. Empty for series without a level."""
    if not has_level(ind):
        return pd.DataFrame(columns=COLUMNS)
    found = detect_breaks(series)
    return found[found["kind"] == "statistisk"].reset_index(drop=True)
