"""Status of a figure against the action plan's baseline: stable codes, their bokmål labels and
the rule in words.

The processed tables store the codes; pages show `LABELS[code]`. The rule: the latest value is
compared with the baseline (the baseline year's value). Both are rounded half-up to the
indicator's published decimals; equal -> "same"; otherwise "better" when the change goes in the
indicator's direction (for ranks a lower number is better: direction "down") and "worse" when it
goes the other way. "no_data" when the baseline or the later value is missing; "baseline" for
the baseline year itself; "baseline_only" for the latest row when nothing after the baseline
exists yet; "no_direction" when the indicator has no desired direction; "before_baseline" for
the years before the baseline; "not_assessed" for a figure that breaks a plausibility rule, and
for a comparison from such a baseline or across a jump far outside the series
(`plausibility.py`; the reason is stored with the status).
"""

from __future__ import annotations

import math

from mipr_analysis.formatting import round_half_up

BETTER, SAME, WORSE = "better", "same", "worse"
NO_DATA, NO_DIRECTION = "no_data", "no_direction"
BASELINE, BASELINE_ONLY, BEFORE_BASELINE = "baseline", "baseline_only", "before_baseline"
NOT_ASSESSED = "not_assessed"
CODES = (
    BETTER,
    SAME,
    WORSE,
    NO_DATA,
    NO_DIRECTION,
    BASELINE,
    BASELINE_ONLY,
    BEFORE_BASELINE,
    NOT_ASSESSED,
)
COMPARED = (BETTER, SAME, WORSE)
"""The codes that compare a figure with the baseline."""

LABELS = {
    BETTER: "bedre",
    SAME: "uendret",
    WORSE: "dårligere",
    NO_DATA: "ingen data",
    NO_DIRECTION: "uten retning",
    BASELINE: "nullpunkt",
    BASELINE_ONLY: "bare nullpunkt",
    BEFORE_BASELINE: "før nullpunktet",
    NOT_ASSESSED: "ikke vurdert",
}
"""What a reader sees for each code."""

MARKERS = {
    BETTER: "▲",
    SAME: "●",
    WORSE: "▼",
    NO_DATA: "–",
    NO_DIRECTION: "○",
    BASELINE: "◆",
    BASELINE_ONLY: "◆",
    BEFORE_BASELINE: "",
    NOT_ASSESSED: "⚠",
}
"""A shape per status, so that status never rests on colour alone."""

RULE = (
    "Siste verdi sammenlignes med nullpunktet (verdien i basisåret, som regel 2024). "
    "«Uendret» når tallene er like etter avrunding til publisert presisjon; ellers «bedre» "
    "når endringen går i ønsket retning og «dårligere» når den går motsatt vei. For plasseringer "
    "er lavere tall bedre. «Bare nullpunkt» når det ennå ikke finnes tall etter basisåret; "
    "«ingen data» når nullpunkt eller siste verdi mangler; «uten retning» for indikatorer uten "
    "ønsket retning. «Ikke vurdert» når tallet eller nullpunktet ikke er mulig (en andel "
    "utenfor 0–100 %, et negativt antall, en plassering utenfor 1 og antallet som rangeres, et "
    "år etter neste år) eller serien har et brudd mellom nullpunktet og tallet; grunnen står "
    "ved tallet."
)


def compare(baseline: float | None, value: float | None, direction: str, decimals: int) -> str:
    """The status code of `value` against `baseline` (see the module docstring)."""
    if baseline is None or value is None or math.isnan(baseline) or math.isnan(value):
        return NO_DATA
    if direction == "none":
        return NO_DIRECTION
    change = round_half_up(value, decimals) - round_half_up(baseline, decimals)
    if abs(change) < 1e-9:
        return SAME
    return BETTER if (change > 0) == (direction == "up") else WORSE


def label(code: object) -> str:
    """The bokmål label of a status code ("" for an empty or missing one)."""
    if not isinstance(code, str) or not code:
        return ""
    return LABELS[code]
