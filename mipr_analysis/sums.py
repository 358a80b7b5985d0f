"""The one summing rule: a sum with a missing part is missing.

Official statistics never fill a gap with 0: when one municipality of a region, one age of an
age group or one old code of a merged municipality has no value, their sum has none either
(NaN, with SSB's symbol ".." where a status is kept). Every sum of parts in the package goes
through `strict_sum` or `strict_total`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MISSING = ".."
"""SSB's symbol for a value that is not available: the status of a sum with a missing part."""


def strict_sum(grouped, columns: Sequence[str] | str) -> tuple[pd.DataFrame, np.ndarray]:
    """Per group of a pandas `groupby`, the sum of each column, NaN where any part is NaN.

    Returns the sums (group keys as columns) and, per group, whether every column was
    complete (no NaN part in any of them).
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    sums = grouped[columns].sum(min_count=1)
    incomplete = grouped[columns].count().lt(grouped.size(), axis=0)
    sums = sums.mask(incomplete)
    return sums.reset_index(), ~incomplete.any(axis=1).to_numpy()


def strict_total(values: Sequence[float] | pd.Series) -> float:
    """The sum of `values`, NaN when there are none or any of them is missing."""
    series = pd.Series(values, dtype="float64")
    return float(series.sum()) if len(series) and series.notna().all() else float("nan")
