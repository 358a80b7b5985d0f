"""Breaks in annual series: jumps far outside the usual year-on-year movement, and known
boundary changes that codes do not show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mipr_analysis.formatting import fmt_change
from mipr_analysis.geo import regions

COLUMNS = [
    "from_year",
    "to_year",
    "from_value",
    "to_value",
    "change",
    "change_pct",
    "typical_pct",
    "kind",
    "reason",
]
MAD_TO_SD = 1.4826
"""Scales the median absolute deviation to a standard deviation for normal data."""
MIN_CHANGES = 4
"""Fewer year-on-year changes than this say nothing about what is usual."""


def detect_breaks(
    values: pd.Series,
    *,
    k: float = 5.0,
    floor_pct: float = 1.0,
    region: str | None = None,
) -> pd.DataFrame:
    """Year pairs whose % change is more than `k` robust deviations from the median change.

    The deviation is the MAD of the year-on-year % changes, at least `floor_pct` percentage points
    so that a very smooth series does not flag ordinary noise. With `region`, known partial
    boundary changes inside the years covered are added (kind "grenseendring").
    """
    series = values.dropna().sort_index()
    series.index = series.index.astype(int)
    rows = []
    if len(series) > MIN_CHANGES:
        prev, curr = series.iloc[:-1], series.iloc[1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (curr.to_numpy() / prev.to_numpy() - 1) * 100
        finite = np.isfinite(pct)
        typical = float(np.median(pct[finite]))
        spread = max(MAD_TO_SD * float(np.median(np.abs(pct[finite] - typical))), floor_pct)
        for i in np.flatnonzero(finite & (np.abs(pct - typical) > k * spread)):
            rows.append(
                _row(
                    prev.index[i],
                    curr.index[i],
                    prev.iloc[i],
                    curr.iloc[i],
                    typical,
                    "statistisk",
                    f"brudd i serien: endring på {_pct(pct[i])} mot vanlig {_pct(typical)}",
                )
            )
    else:
        typical = np.nan
    if region is not None and len(series):
        for change in regions.boundary_changes(region):
            if series.index.min() < change.year <= series.index.max():
                before = series[series.index < change.year]
                after = series[series.index >= change.year]
                rows.append(
                    _row(
                        before.index[-1],
                        after.index[0],
                        before.iloc[-1],
                        after.iloc[0],
                        typical,
                        "grenseendring",
                        f"kjent grenseendring {change.year}: {change.description}",
                    )
                )
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["to_year", "kind"], ignore_index=True).astype(
        {"from_year": int, "to_year": int}
    )


def _row(from_year, to_year, from_value, to_value, typical, kind, reason) -> dict:
    change = float(to_value) - float(from_value)
    change_pct = change / float(from_value) * 100 if from_value else np.nan
    return {
        "from_year": int(from_year),
        "to_year": int(to_year),
        "from_value": float(from_value),
        "to_value": float(to_value),
        "change": change,
        "change_pct": change_pct,
        "typical_pct": typical,
        "kind": kind,
        "reason": reason,
    }


def _pct(value: float) -> str:
    """+9,0 % (Norwegian decimal comma, a real minus, sign always shown)."""
    return fmt_change(value, 1, "prosent")
