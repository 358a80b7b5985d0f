"""Build the processed indicator tables from `data/raw/` and read them back.

`build()` writes the processed tables through `processed.write_all` (schemas, dtypes and the
manifest are declared in `processed.py`):
- `indicator_values.csv`: every value, tidy; `origin` is "plan" (the action plan's baseline),
  "manual" (other typed-in reports), "ssb" (stored SSB data, regions summed from their
  municipalities) or "computed" (from other values: a region the plan leaves blank, a growth
  rate). `status`: SSB's symbol ("..", ".", ":") where SSB gave one, "missing" for a missing
  value, "unconfirmed" for SSB values from a table or codes not yet checked against SSB's
  metadata, "implausible" for a stored value that breaks a plausibility rule (the reason in
  `note`), else "ok".
- `indicators.csv`: the registry with `has_data`.
- `baseline_check.csv`: plan figures against their own parts and against SSB.
- `derived.csv`: change since the baseline, index, ranks, distance to Norway, status code.
- `commuting.csv`: the commuting matrix on 2024 borders (`commuting.py`).
- `positions.csv`: every municipality, council and BA region ranked in the background measures
  with national coverage (`positions.py`).
"""

from __future__ import annotations

import contextlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mipr_analysis import config
from mipr_analysis.atomic import atomic_write_bytes
from mipr_analysis.formatting import fmt_number, round_half_up
from mipr_analysis.geo import regions
from mipr_analysis.hashing import digest, file_sha256
from mipr_analysis.ssb.errors import NoSnapshot, SSBError
from mipr_analysis.ssb.store import SnapshotStore, no_snapshot_message

from . import commuting, plausibility, positions, processed, ssb_values
from .baseline import CHECK_COLUMNS, plan_region_values, recompute_table
from .derive import derive, series
from .manual import load_manual
from .registry import Indicator, load_registry, registry_table

VALUE_COLUMNS = tuple(processed.SCHEMAS["values"].columns)
PLAN_PREFIX = "Handlingsplan"


@dataclass
class BuildResult:
    """What `build` wrote (the frames and their paths) and what it noticed on the way."""

    values: pd.DataFrame
    derived: pd.DataFrame
    indicators: pd.DataFrame
    baseline_check: pd.DataFrame
    paths: dict[str, Path]
    notes: list[str] = field(default_factory=list)


def build(data_dir: Path | str | None = None) -> BuildResult:
    """Compute every indicator from raw data and write the four processed tables.

    The region definitions are checked first (`regions.check_definitions`): a wrong code stops
    the build before anything is written."""
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    regions.check_definitions(data_dir)
    registry = load_registry()
    by_id = {ind.id: ind for ind in registry}
    manual = load_manual(data_dir, registry)
    report = regions.report_regions()

    ssb, municipalities, rank_years, notes = _from_ssb(registry, data_dir, report)
    reference = ssb[["indicator", "region", "period", "value"]]
    checks = recompute_table(manual, registry, reference)
    flows = _commuting(data_dir, notes)
    values = pd.concat([ssb, _from_manual(manual, checks, registry)], ignore_index=True)
    values = pd.concat(
        [values, _from_commuting(values, flows, registry, report)], ignore_index=True
    )
    values = pd.concat([values, _derived_indicators(values, registry)], ignore_index=True)
    values = plausibility.flag(_finish(values, by_id), by_id)
    checks = pd.concat([checks, _plan_vs_ssb(values, by_id)], ignore_index=True)
    derived = derive(values, registry, municipalities, rank_years, report)
    indicators = registry_table(registry)
    with_data = set(values.loc[values["value"].notna(), "indicator"])
    indicators["has_data"] = indicators["id"].isin(with_data)

    placed = _positions(data_dir)
    notes += placed.notes
    paths = processed.write_all(
        {
            "values": values,
            "indicators": indicators,
            "baseline_check": checks,
            "derived": derived,
            "commuting": flows,
            "positions": placed.table,
        },
        data_dir,
    )
    return BuildResult(values, derived, indicators, checks, paths, notes)


COMMUTING_SOURCE = "beregnet fra SSB, tabell 03321 (pendlingsmatrise)"


def _from_commuting(
    values: pd.DataFrame, flows: pd.DataFrame, registry: list[Indicator], report: list[str]
) -> pd.DataFrame:
    """Figures of indicators whose table is not stored yet but which the commuting matrix
    gives (`source.commuting`): the balance measure for the report's units, origin "computed"."""
    have = set(values.loc[values["value"].notna(), "indicator"])
    balance = flows[flows["topic"] == "balance"] if len(flows) else flows
    rows = []
    for ind in registry:
        measure = ind.source.commuting
        if not measure or ind.id in have or balance.empty:
            continue
        mine = balance[(balance["measure"] == measure) & balance["region"].isin(report)]
        rows += [
            {
                "indicator": ind.id,
                "region": r.region,
                "period": int(r.year),
                "value": r.count,
                "source": COMMUTING_SOURCE,
                "origin": "computed",
                "note": "regnet fra pendlingsmatrisen",
            }
            for r in mine.itertuples()
        ]
    return pd.DataFrame(
        rows, columns=["indicator", "region", "period", "value", "source", "origin", "note"]
    )


def _commuting(data_dir: Path, notes: list[str]) -> pd.DataFrame:
    """The commuting table (03321 on 2024 borders), or an empty one with a note.

    It is remembered by its inputs (the stored files of 03321, 11618 and the KLASS lists, and
    the code that computes it) in the user's cache folder: the same inputs give the same table.
    """
    try:
        if not any(use for use in SnapshotStore(data_dir).in_use("03321")):
            raise NoSnapshot(no_snapshot_message("03321"))
        key = _inputs_key(data_dir, ("03321", "11618"), (commuting,))
        return _remembered("commuting", key, lambda: commuting.build_commuting_table(data_dir))
    except (SSBError, FileNotFoundError) as exc:
        notes.append(f"pendling: tabell 03321 kunne ikke brukes ({exc}).")
        return pd.DataFrame(columns=list(commuting.COMMUTING_COLUMNS))


def _positions(data_dir: Path) -> positions.Positions:
    """The positions of every municipality (`positions.compute`), remembered like the
    commuting table by the stored files and the code they come from."""
    from mipr_analysis import datasets
    from mipr_analysis.geo import groupings

    inputs = (*positions.SOURCES, groupings.CENTRALITY, groupings.BA_REGIONS)
    key = _inputs_key(data_dir, inputs, (positions, commuting, groupings, datasets))
    return _remembered("positions", key, lambda: positions.compute(data_dir))


def _remembered(kind: str, key: str, make):
    """`make()`, or what it gave before for the same `key` (the user's cache folder)."""
    cached = config.cache_dir() / kind / f"{key}.pkl"
    if cached.is_file():
        try:
            return pd.read_pickle(cached)
        except Exception:  # written by other library versions: compute it again
            pass
    result = make()
    with contextlib.suppress(OSError):
        atomic_write_bytes(cached, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return result


def _inputs_key(data_dir: Path, inputs: tuple[str, ...], modules: tuple) -> str:
    """A digest of the stored files of `inputs` and the KLASS lists, and of the code of
    `modules`, the region definitions and the harmonising rules."""
    from mipr_analysis.geo import harmonise

    store = SnapshotStore(data_dir)
    klass = [d for d in store.datasets() if d.startswith("klass/")]
    stored = sorted(
        s.meta["sha256"]
        for dataset in dict.fromkeys((*inputs, *klass))
        for use in store.in_use(dataset)
        for s in use.snapshots
    )
    code = [file_sha256(m.__file__) for m in (*modules, regions, harmonise)]
    for module in (*modules, regions):
        code += [file_sha256(p) for p in sorted(Path(module.__file__).parent.glob("*.yaml"))]
    return digest([stored, code])


def _from_ssb(
    registry: list[Indicator], data_dir: Path, report: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, set[int]], list[str]]:
    tables = ssb_values.TableCache(data_dir)
    frames, municipal, rank_years, notes = [], [], {}, []
    for ind in registry:
        if ind.source.type != "ssb":
            continue
        if ind.source.pending:
            notes.append(f"{ind.id}: hentes ikke ennå: {ind.source.pending}")
            continue
        try:
            res = ssb_values.compute(ind, tables, report)
        except (SSBError, ssb_values.FilterError) as exc:
            notes.append(ssb_values.missing_result(ind, exc))
            continue
        frames.append(res.values)
        municipal.append(res.municipalities)
        rank_years[ind.id] = res.rank_years
        notes += res.notes
    empty = pd.DataFrame(columns=[*ssb_values.VALUE_COLUMNS, "origin", "source"])
    values = pd.concat(frames, ignore_index=True) if frames else empty
    munis = (
        pd.concat(municipal, ignore_index=True)
        if municipal
        else pd.DataFrame(
            columns=[
                "indicator",
                "region",
                "region_name",
                "period",
                "value",
                "status",
                "harmonised_from",
            ]
        )
    )
    return values, munis, rank_years, notes


def _from_manual(
    manual: pd.DataFrame, checks: pd.DataFrame, registry: list[Indicator]
) -> pd.DataFrame:
    """Manual rows (the plan's blank region cells replaced by recomputed or explained rows)."""
    region_rows = plan_region_values(checks, manual, registry)
    replaced = set(zip(region_rows["indicator"], region_rows["period"]))
    is_replaced = pd.Series(
        [(i, p) in replaced for i, p in zip(manual["indicator"], manual["period"])],
        index=manual.index,
        dtype=bool,
    )
    keep = manual[~((manual["region"] == regions.COUNCIL) & manual["value"].isna() & is_replaced)]
    own = keep.assign(
        origin=np.where(keep["source"].str.startswith(PLAN_PREFIX), "plan", "manual"),
        source=keep["publisher"] + ", gjengitt i " + keep["source"],
        status="",
        snapshot="",
    )
    sources = manual.drop_duplicates("indicator").set_index("indicator")["source"]
    computed = region_rows.assign(
        origin=np.where(region_rows["value"].notna(), "computed", "plan"),
        source=np.where(region_rows["value"].notna(), "beregnet fra ", "")
        + region_rows["indicator"].map(sources),
        status="",
        snapshot="",
    )
    cols = [
        "indicator",
        "region",
        "period",
        "value",
        "source",
        "status",
        "origin",
        "snapshot",
        "note",
    ]
    return pd.concat([own[cols], computed[cols]], ignore_index=True)


def _derived_indicators(values: pd.DataFrame, registry: list[Indicator]) -> pd.DataFrame:
    """Indicators computed from another one year on year (`pct_change`, `diff`)."""
    rows = []
    for ind in registry:
        if ind.source.type != "derived":
            continue
        base = series(
            values[(values["indicator"] == ind.source.derived_from) & values["period"].notna()]
        )
        for rid, part in base.groupby("region"):
            prev = part.set_index(part["period"].astype(int))
            for r in part.itertuples():
                before = prev["value"].get(int(r.period) - 1, np.nan)
                if ind.source.method == "pct_change":
                    value = (r.value - before) / before * 100 if before else np.nan
                else:
                    value = r.value - before
                if np.isnan(value):
                    continue
                rows.append(
                    {
                        "indicator": ind.id,
                        "region": rid,
                        "period": r.period,
                        "value": value,
                        "source": f"beregnet fra {ind.source.derived_from} ({r.source})",
                        "status": "",
                        "origin": "computed",
                        "snapshot": r.snapshot,
                        "note": f"endring fra {int(r.period) - 1} til {int(r.period)}",
                    }
                )
    return pd.DataFrame(rows)


def _finish(values: pd.DataFrame, by_id: dict[str, Indicator]) -> pd.DataFrame:
    """Names, units and status filled in; sorted; columns and types fixed."""
    out = values.copy()
    out["region"] = out["region"].astype(str)
    out["region_name"] = out["region"].map(_region_name)
    out["unit"] = out["indicator"].map(lambda i: by_id[i].unit)
    out["period"] = out["period"].astype("Int64")
    out["value"] = out["value"].astype(float)
    for col in ("status", "snapshot", "note", "source"):
        out[col] = out[col].fillna("").astype(str)
    for col in ("numerator", "denominator"):
        out[col] = out[col].astype(float) if col in out.columns else np.nan
    unconfirmed = out["indicator"].map(
        lambda i: not by_id[i].table_confirmed or bool(by_id[i].source.unconfirmed_codes)
    )
    out["status"] = np.select(
        [out["status"] != "", out["value"].isna(), (out["origin"] == "ssb") & unconfirmed],
        [out["status"], "missing", "unconfirmed"],
        "ok",
    )
    order = {rid: n for n, rid in enumerate(regions.report_regions())}
    out["_order"] = out["region"].map(order).fillna(len(order))
    ind_order = {i: n for n, i in enumerate(by_id)}
    out["_ind"] = out["indicator"].map(ind_order)
    out = out.sort_values(["_ind", "_order", "region", "period", "origin"], kind="stable")
    return out[list(VALUE_COLUMNS)].reset_index(drop=True)


def _region_name(rid: str) -> str:
    try:
        return regions.region_name(rid)
    except KeyError:
        return rid


def _plan_vs_ssb(values: pd.DataFrame, by_id: dict[str, Indicator]) -> pd.DataFrame:
    """The plan's figure against SSB's for the same region and year: of the same indicator, or
    of the one its `recompute.compare_with` names (the plan's inhabitants against SSB's
    population). The note is written from the figures, so it follows a corrected figure."""

    def reference(indicator: str) -> str | None:
        ind = by_id[indicator]
        return ind.recompute.get("compare_with") or (
            indicator if ind.source.type == "ssb" else None
        )

    refs = values["indicator"].map(reference)
    plan = values[
        values["origin"].isin(["plan", "computed"]) & values["value"].notna() & refs.notna()
    ]
    ssb = values[(values["origin"] == "ssb")].set_index(["indicator", "region", "period"])
    rows = []
    for r, ref in zip(plan.itertuples(), refs[plan.index]):
        key = (ref, r.region, r.period)
        if key not in ssb.index:
            continue
        other = ssb.loc[key]
        other = other.iloc[0] if isinstance(other, pd.DataFrame) else other
        d = by_id[r.indicator].decimals
        rounded = round_half_up(other["value"], d)
        diff = r.value - rounded if not np.isnan(rounded) else np.nan
        same = pd.NA if np.isnan(diff) else abs(diff) < 1e-9
        title = by_id[ref].title
        what = "SSB" if ref == r.indicator else f"SSBs {title[:1].lower()}{title[1:]}"
        if same is True:
            note = f"Planens tall stemmer med {what}."
        elif same is pd.NA:
            note = "SSB-verdien mangler."
        elif ref == r.indicator:
            note = (
                f"Planens tall avviker fra SSB ({other['source']}) med {fmt_number(diff, d)}; "
                "begge vises."
            )
        else:
            note = (
                f"Planen viser {fmt_number(r.value, d)}, SSB har {fmt_number(rounded, d)} "
                f"({other['source']}): differanse {fmt_number(diff, d)}."
            )
        rows.append(
            {
                "indicator": r.indicator,
                "region": r.region,
                "period": r.period,
                "comparison": what,
                "printed": r.value,
                "recomputed": other["value"],
                "recomputed_rounded": rounded,
                "difference": diff,
                "matches": same,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def read_processed(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """One of the processed tables, typed by its schema (see `processed.read`)."""
    return processed.read(name, data_dir)


def indicator_values(data_dir: Path | str | None = None) -> pd.DataFrame:
    """`indicator_values.csv` as written by `build`."""
    return processed.read("values", data_dir)


def derived_values(data_dir: Path | str | None = None) -> pd.DataFrame:
    """`derived.csv` as written by `build`."""
    return processed.read("derived", data_dir)
