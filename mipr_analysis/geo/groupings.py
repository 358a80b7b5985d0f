"""Groupings of the 2024 municipalities: SSB's centrality classes and the labour-market regions.

- Centrality (`klass/sentralitet-b2024`): SSB's Standard for sentralitet gives every municipality
  an index 0–1000 and a class 1 (most central) to 6 (least central). Municipalities of the same
  class are "comparable municipalities" (`comparable_municipalities`).
- BA regions (`fhi/baregioner-b2024`): the 159 bo- og arbeidsmarkedsregioner (TØI for KMD, 2019),
  on 2024 codes as FHI bundles them. Three stale codes in that file are fixed from the dataset's
  `code_fixes` in `datasets.yaml` before anything else is read.

Both are reference files stored by `mipr import-file`. They are checked every time they are read:
every 2024 municipality must be in the file once, and a code that is not a 2024 municipality is
an error naming it (`GroupingError`). The 2024 municipalities are those the code history knows
(`municipalities_2024`: KLASS lists of the data folder and `regions.yaml`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from mipr_analysis import config
from mipr_analysis.codes import normalise_code
from mipr_analysis.errors import DataError, Missing, NotFound
from mipr_analysis.geo import regions

CENTRALITY = "klass/sentralitet-b2024"
BA_REGIONS = "fhi/baregioner-b2024"
CENTRALITY_CLASSES = range(1, 7)
"""SSB's centrality classes: 1 the most central, 6 the least."""
BA_PREFIX = "BA"
"""BA region ids in the package: "BA" and the region's number, three digits ("BA002")."""


class GroupingError(DataError):
    """A grouping file that does not fit the 2024 municipalities (one line: what and where)."""


@dataclass(frozen=True)
class Stored:
    """One stored reference file: its bytes, its path in the data folder and its citation."""

    data: bytes
    file: str
    citation: str


def stored_file(dataset: str, data_dir: Path | str | None = None) -> Stored:
    """The stored file of `dataset` that the build uses (the one call into the snapshot store)."""
    from mipr_analysis.ssb.store import SnapshotStore

    uses = SnapshotStore(data_dir or config.data_dir()).in_use(dataset)
    if not uses:
        raise Missing(
            f"{dataset}: ingen lagret fil i datamappen. Importer den med `mipr import-file` "
            "(se data/import-shared.sh)"
        )
    snap = uses[0].first
    citation = snap.citation.removeprefix("Kilde:").strip()
    return Stored(snap.read_bytes(), snap.relative_path, citation)


@lru_cache(maxsize=4)
def _known(data_dir: str) -> frozenset[str]:
    if not regions.klass_changes(data_dir):  # as known_municipality_codes: the shipped lists
        data_dir = str(config.REPO_ROOT / "data")
    known, _ = regions.known_municipality_codes(data_dir)
    history = regions.code_history(data_dir)
    return frozenset(
        c
        for c in known
        if regions.to_2024_code(c, history) == c and regions.code_validity(c, history)[1] is None
    )


def municipalities_2024(data_dir: Path | str | None = None) -> frozenset[str]:
    """Every municipality code valid from 1 January 2024 (357), from the code history of the
    data folder's KLASS lists (those shipped with the repository when it has none)."""
    return _known(str(Path(data_dir or config.data_dir())))


def _frame(dataset: str, stored: Stored, columns: tuple[str, ...]) -> pd.DataFrame:
    """The stored CSV as text columns, codes on four digits and stale codes fixed."""
    from mipr_analysis.datasets import describe

    try:
        frame = pd.read_csv(io.BytesIO(stored.data), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise GroupingError(f"{stored.file}: kan ikke leses som CSV ({exc})") from None
    desc = describe(dataset)
    missing = [c for c in (desc.region, *columns) if c not in frame.columns]
    if missing:
        raise GroupingError(
            f"{stored.file}: mangler kolonnen {', '.join(missing)}. Importer filen slik den er "
            f"beskrevet i datasets.yaml ({dataset})"
        )
    codes = frame[desc.region].map(lambda c: normalise_code(str(c).strip()))
    frame = frame.assign(region=codes.replace(desc.code_fixes))
    return frame


def _check_codes(frame: pd.DataFrame, stored: Stored, data_dir: Path | str | None) -> None:
    """Every 2024 municipality once, and no other code."""
    expected = municipalities_2024(data_dir)
    twice = sorted(set(frame.loc[frame["region"].duplicated(), "region"]))
    if twice:
        raise GroupingError(
            f"{stored.file}: kommunenummer {', '.join(twice)} står mer enn én gang. Rett filen "
            "slik at hver kommune har én rad"
        )
    unknown = sorted(set(frame["region"]) - expected)
    if unknown:
        raise GroupingError(
            f"{stored.file}: {', '.join(map(repr, unknown))} er ikke kommunenummer fra 2024. "
            "Rett koden i filen, eller legg den under code_fixes i datasets.yaml med kilden"
        )
    absent = sorted(expected - set(frame["region"]))
    if absent:
        names = ", ".join(f"{c} {regions.region_name(c)}" for c in absent)
        raise GroupingError(
            f"{stored.file}: mangler kommunene {names}. Importer en fil med alle kommunene fra 2024"
        )


def _integers(frame: pd.DataFrame, column: str, stored: Stored) -> pd.Series:
    numbers = pd.to_numeric(frame[column], errors="coerce")
    bad = frame.loc[numbers.isna() | (numbers % 1 != 0), ["region", column]]
    if len(bad):
        code, value = bad.iloc[0]
        raise GroupingError(
            f"{stored.file}: {column} for kommune {code} er {value!r}, ikke et helt tall. "
            "Rett filen"
        )
    return numbers.astype(int)


@lru_cache(maxsize=4)
def _centrality(data_dir: str, file: str) -> pd.DataFrame:
    stored = stored_file(CENTRALITY, data_dir)
    frame = _frame(CENTRALITY, stored, ("sentralitet_class", "sentralitet_index"))
    _check_codes(frame, stored, data_dir)
    classes = _integers(frame, "sentralitet_class", stored)
    index = _integers(frame, "sentralitet_index", stored)
    bad = frame.loc[~classes.isin(CENTRALITY_CLASSES) | ~index.between(0, 1000), "region"]
    if len(bad):
        raise GroupingError(
            f"{stored.file}: kommune {bad.iloc[0]} har en sentralitetsklasse utenfor 1–6 eller "
            "en indeks utenfor 0–1000. Rett filen"
        )
    out = pd.DataFrame(
        {"region": frame["region"], "centrality_class": classes, "centrality_index": index}
    )
    return out.sort_values("region", ignore_index=True)


def centrality(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Every 2024 municipality's centrality: region, centrality_class (1–6, 1 the most central),
    centrality_index (0–1000). Checked when read (`GroupingError`)."""
    root = str(Path(data_dir or config.data_dir()))
    return _centrality(root, stored_file(CENTRALITY, root).file).copy()


def centrality_class(code: str, data_dir: Path | str | None = None) -> int:
    """The centrality class (1–6) of a municipality (2024 code, or an older code of it)."""
    table = centrality(data_dir).set_index("region")["centrality_class"]
    return int(table[_municipality(code, table.index)])


def comparable_municipalities(code: str, data_dir: Path | str | None = None) -> tuple[str, ...]:
    """The municipalities of the same centrality class as `code`, itself included, by code."""
    table = centrality(data_dir)
    own = centrality_class(code, data_dir)
    return tuple(table.loc[table["centrality_class"] == own, "region"])


@lru_cache(maxsize=4)
def _ba(data_dir: str, file: str) -> pd.DataFrame:
    stored = stored_file(BA_REGIONS, data_dir)
    frame = _frame(BA_REGIONS, stored, ("baregion_nr", "baregion_name"))
    _check_codes(frame, stored, data_dir)
    numbers = _integers(frame, "baregion_nr", stored)
    names = frame["baregion_name"].str.strip()
    if (names == "").any():
        raise GroupingError(
            f"{stored.file}: kommune {frame.loc[names == '', 'region'].iloc[0]} har ingen "
            "BA-region. Rett filen"
        )
    per_number = names.groupby(numbers).nunique()
    if (per_number > 1).any():
        raise GroupingError(
            f"{stored.file}: BA-region {per_number.index[per_number > 1][0]} har flere navn. "
            "Rett filen"
        )
    out = pd.DataFrame(
        {
            "region": frame["region"],
            "ba_region": numbers.map(ba_id),
            "ba_number": numbers,
            "ba_name": names,
        }
    )
    return out.sort_values("region", ignore_index=True)


def ba_id(number: int) -> str:
    """The package's id of BA region `number` ("BA002"); never shown to readers."""
    return f"{BA_PREFIX}{int(number):03d}"


def ba_regions(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Every 2024 municipality's BA region: region, ba_region (id), ba_number, ba_name (as
    published, e.g. "Oslo/Bærum"). Checked when read (`GroupingError`)."""
    root = str(Path(data_dir or config.data_dir()))
    return _ba(root, stored_file(BA_REGIONS, root).file).copy()


def ba_region_of(code: str, data_dir: Path | str | None = None) -> str:
    """The id of the BA region a municipality belongs to."""
    table = ba_regions(data_dir).set_index("region")["ba_region"]
    return str(table[_municipality(code, table.index)])


def ba_members(data_dir: Path | str | None = None) -> dict[str, tuple[str, ...]]:
    """BA region id -> its 2024 municipalities, in the order of the regions' numbers."""
    table = ba_regions(data_dir).sort_values(["ba_number", "region"])
    return {ba: tuple(part["region"]) for ba, part in table.groupby("ba_region", sort=False)}


def ba_names(data_dir: Path | str | None = None) -> dict[str, str]:
    """BA region id -> the name shown: "BA-region Moss" (the published name alone would be
    taken for the municipality)."""
    table = ba_regions(data_dir).drop_duplicates("ba_region")
    return {r.ba_region: f"BA-region {r.ba_name}" for r in table.itertuples()}


def _municipality(code: str, known: pd.Index) -> str:
    current = regions.to_2024_code(code)
    if current is None or current not in known:
        raise NotFound(f"{code!r} er ikke en kommune fra 2024. Bruk kommunenummeret, f.eks. '3103'")
    return current
