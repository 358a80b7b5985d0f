"""Check the plan's baseline figures against what their own parts give ("Samlet" recomputed).

The registry's `recompute` rule says how: `sum` (the region is the sum of the municipalities),
`ratio` (a rate or per-inhabitant figure from its numerator and denominator, for every region;
the region from summed parts), `rank_change` (the sum of last year's ranks minus this year's) or
`none` (the reason is reported). Printed and recomputed figures are both kept and the difference
is reported; nothing is corrected.
"""

from __future__ import annotations

import math

import pandas as pd

from mipr_analysis.formatting import fmt_number, round_half_up
from mipr_analysis.geo import regions
from mipr_analysis.sums import strict_total

from .registry import Indicator

CHECK_COLUMNS = (
    "indicator",
    "region",
    "period",
    "comparison",
    "printed",
    "recomputed",
    "recomputed_rounded",
    "difference",
    "matches",
    "note",
)
REGION = regions.COUNCIL


def _lookup(manual: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    return {(r.indicator, r.region, int(r.period)): r.value for r in manual.itertuples()}


def recompute_table(
    manual: pd.DataFrame, registry: list[Indicator], reference: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Printed vs recomputed for every plan figure that has a `recompute` rule.

    `reference` (columns indicator, region, period, value; e.g. SSB population) serves the
    ratio rules' `check_denominator`. Columns: `CHECK_COLUMNS`.
    """
    values = _lookup(manual)
    ref = _lookup(reference) if reference is not None and len(reference) else {}
    rows: list[dict] = []
    for ind in registry:
        mine = manual[manual["indicator"] == ind.id]
        if mine.empty:
            continue
        method = ind.recompute.get("method")
        for period in sorted(mine["period"].dropna().unique()):
            period = int(period)
            if method == "sum":
                rows.append(_sum_row(ind, ind.id, period, values))
            elif method == "ratio":
                rows += _ratio_rows(ind, period, mine, values, ref)
            elif method == "rank_change":
                rows.append(_rank_change_row(ind, period, values))
            else:
                rows.append(
                    _check(
                        ind,
                        REGION,
                        period,
                        "omregning",
                        values.get((ind.id, REGION, period), float("nan")),
                        float("nan"),
                        ind.recompute.get("reason", ""),
                    )
                )
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def _parts(indicator: str, period: int, values: dict) -> list[float]:
    """The municipalities' figures of one indicator and period (NaN where the plan has none)."""
    return [values.get((indicator, m, period), math.nan) for m in regions.MIPR_MUNICIPALITIES]


def _region_value(indicator: str, period: int, values: dict) -> float:
    """The printed region figure, else the sum of the municipalities (NaN if incomplete)."""
    printed = values.get((indicator, REGION, period))
    if printed is not None and not math.isnan(printed):
        return printed
    return strict_total(_parts(indicator, period, values))


def _check(
    ind: Indicator,
    region: str,
    period: int,
    comparison: str,
    printed: float,
    recomputed: float,
    note: str,
) -> dict:
    rounded = round_half_up(recomputed, ind.decimals)
    diff = printed - rounded if not (math.isnan(printed) or math.isnan(rounded)) else math.nan
    matches = pd.NA if math.isnan(diff) else abs(diff) < 1e-9
    return {
        "indicator": ind.id,
        "region": region,
        "period": period,
        "comparison": comparison,
        "printed": printed,
        "recomputed": recomputed,
        "recomputed_rounded": rounded,
        "difference": diff,
        "matches": matches,
        "note": note,
    }


def _sum_row(ind: Indicator, indicator: str, period: int, values: dict) -> dict:
    printed = values.get((indicator, REGION, period), float("nan"))
    total = strict_total(_parts(indicator, period, values))
    d = ind.decimals
    if math.isnan(total):
        return _check(
            ind,
            REGION,
            period,
            "omregning",
            printed,
            float("nan"),
            "Planen mangler tall for en eller flere kommuner; summen kan ikke beregnes.",
        )
    if math.isnan(printed):
        note = "Planen oppgir ingen samlet verdi; regionverdien er summen av kommunene."
    elif abs(printed - round_half_up(total, d)) < 1e-9:
        note = "«Samlet» stemmer med summen av kommunene."
    else:
        note = (
            f"Planens «Samlet» ({fmt_number(printed, d)}) avviker fra summen av kommunene "
            f"({fmt_number(total, d)}): differanse {fmt_number(printed - total, d)}."
        )
    return _check(ind, REGION, period, "omregning", printed, total, note)


def _ratio_rows(
    ind: Indicator, period: int, mine: pd.DataFrame, values: dict, ref: dict
) -> list[dict]:
    rule = ind.recompute
    num_id, den_id, scale = rule["numerator"], rule["denominator"], rule["scale"]
    d = ind.decimals
    rows = []
    places = [
        r
        for r in (*regions.MIPR_MUNICIPALITIES, REGION)
        if r in set(mine.loc[mine["period"] == period, "region"])
    ]
    for region in places:
        printed = values.get((ind.id, region, period), float("nan"))
        if region == REGION:
            num, den = _region_value(num_id, period, values), _region_value(den_id, period, values)
        else:
            num = values.get((num_id, region, period), float("nan"))
            den = values.get((den_id, region, period), float("nan"))
        value = num / den * scale if den else float("nan")
        if math.isnan(value):
            note = f"Mangler {num_id} eller {den_id}; kan ikke etterprøves."
        elif math.isnan(printed):
            note = f"Planen oppgir ingen verdi; beregnet som {num_id} / {den_id}."
        elif abs(printed - round_half_up(value, d)) < 1e-9:
            note = f"Stemmer med {fmt_number(num)} / {fmt_number(den)} (x {fmt_number(scale)})."
        else:
            note = (
                f"Planen viser {fmt_number(printed, d)}, men {fmt_number(num)} / {fmt_number(den)} "
                f"(x {fmt_number(scale)}) gir {fmt_number(value, d)}."
            )
        rows.append(_check(ind, region, period, "omregning", printed, value, note))
        check_id = rule.get("check_denominator")
        ref_den = ref.get((check_id, region, period)) if check_id else None
        if ref_den and not math.isnan(num) and not math.isnan(printed):
            alt = num / ref_den * scale
            same = abs(printed - round_half_up(alt, d)) < 1e-9
            note = (
                f"Med {check_id} fra SSB for {period} som nevner: "
                f"{fmt_number(num)} / {fmt_number(ref_den)} (x {fmt_number(scale)}) = {fmt_number(alt, d)}; "
                + ("stemmer med planen." if same else "stemmer ikke med planen.")
            )
            rows.append(_check(ind, region, period, "SSB-nevner", printed, alt, note))
    return rows


def _rank_change_row(ind: Indicator, period: int, values: dict) -> dict:
    of = ind.recompute["of"]
    printed = values.get((ind.id, REGION, period), float("nan"))
    before = strict_total(_parts(of, period - 1, values))
    now = strict_total(_parts(of, period, values))
    if math.isnan(before) or math.isnan(now):
        return _check(
            ind,
            REGION,
            period,
            "omregning",
            printed,
            float("nan"),
            f"Mangler plasseringer i {of} for {period - 1} eller {period}.",
        )
    change = before - now
    word = "steget" if change > 0 else "falt"
    note = (
        f"Sum av plasseringer {period - 1}: {fmt_number(before)}, {period}: {fmt_number(now)}; "
        f"kommunene har samlet {word} {fmt_number(abs(change))} plasser"
        + (
            ""
            if math.isnan(printed)
            else ("; stemmer med planen." if printed == change else "; stemmer ikke med planen.")
        )
    )
    return _check(ind, REGION, period, "omregning", printed, float(change), note)


def plan_region_values(
    checks: pd.DataFrame, manual: pd.DataFrame, registry: list[Indicator]
) -> pd.DataFrame:
    """Region ("MIPR") rows the plan leaves blank or out: recomputed where the rule allows,
    else missing with the reason (after the blank row's own note). Columns: indicator, region,
    period, value, note. They replace the plan's blank region rows."""
    printed = {
        (r.indicator, r.period)
        for r in manual.itertuples()
        if r.region == REGION and not math.isnan(r.value)
    }
    blank_notes = {
        (r.indicator, r.period): r.note
        for r in manual.itertuples()
        if r.region == REGION and math.isnan(r.value) and r.note
    }
    rows = []
    by_id = {i.id: i for i in registry}
    for r in checks[
        (checks["region"] == REGION) & (checks["comparison"] == "omregning")
    ].itertuples():
        if (r.indicator, r.period) in printed:
            continue
        ind = by_id[r.indicator]
        if math.isnan(r.recomputed):
            value, note = float("nan"), f"ingen regionverdi: {r.note}"
        else:
            value = round(r.recomputed, 10)
            note = (
                "beregnet av planens kommunetall: "
                + {
                    "sum": "summen av kommunene.",
                    "ratio": "summerte tellere og nevnere.",
                    "rank_change": "endring i summen av plasseringene.",
                }[ind.recompute["method"]]
            )
        own = blank_notes.get((r.indicator, r.period))
        note = f"{own}; {note}" if own else note[0].upper() + note[1:]
        rows.append(
            {
                "indicator": r.indicator,
                "region": REGION,
                "period": r.period,
                "value": value,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=["indicator", "region", "period", "value", "note"])
