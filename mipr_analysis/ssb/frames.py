"""Stored snapshots read into the package's frames: `load_table`, the union of imports, and the
parsed-frame cache.

A body is parsed by the reader of its sidecar's `source` (`_READERS`): JSON-stat
(`jsonstat.py`), Statistikkbanken CSV (`statbank_csv.py`) or a codes CSV (`codes_csv.py`);
reference files (`mipr import-file`) have no reader, they are used as files. Which snapshots a
table is read from is the store's in-use rule (`store.py`).

A stored body never changes (its sha256 is checked on every read), so its parsed frame is kept
in the user's cache folder (`config.cache_dir()/frames`), keyed by the body's sha256 and the
code of its reader: parsing twenty years of Statistikkbanken exports takes seconds, loading the
kept frame a few milliseconds. A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config
from ..hashing import digest, file_sha256
from .errors import NoSnapshot, SnapshotCorrupt, SSBError
from .sidecar import display_path, excerpt
from .store import (
    CODES_CSV,
    FILE,
    IMPORT_SOURCES,
    PXWEB,
    STATBANK_CSV,
    InUse,
    Snapshot,
    SnapshotStore,
    no_snapshot_message,
)

if TYPE_CHECKING:  # pandas is imported by the functions that make frames, not on import
    import pandas as pd

FRAME_CACHE = "frames"
"""Parsed bodies, by content, in the user's cache folder (`config.cache_dir()/frames`)."""


class SharedDict(dict):
    """Provenance in `DataFrame.attrs`: read-only by convention and shared, not deep-copied.

    pandas deep-copies `attrs` on every operation; with each import's provenance in them that
    was seconds of a build.
    """

    def __deepcopy__(self, memo: dict) -> SharedDict:
        return self


class SharedList(list):
    """A list of provenance in `DataFrame.attrs`, shared like `SharedDict`."""

    def __deepcopy__(self, memo: dict) -> SharedList:
        return self


# --- readers ------------------------------------------------------------------------------------


def _read_jsonstat(snap: Snapshot, data: bytes) -> pd.DataFrame:
    from .jsonstat import read_jsonstat

    return read_jsonstat(data)


def _read_statbank_csv(snap: Snapshot, data: bytes) -> pd.DataFrame:
    from .statbank_csv import parse_statbank_csv

    return parse_statbank_csv(
        data,
        snap.table_id,
        snap.meta.get("original_filename") or "",
        metadata=SnapshotStore(snap.data_dir).latest_metadata(snap.table_id) or {},
    )


def _read_codes_csv(snap: Snapshot, data: bytes) -> pd.DataFrame:
    from .codes_csv import Layout, read_codes_body

    columns = snap.meta.get("columns") or {}
    layout = Layout(columns.get("value", "value"), columns.get("period", "Tid"))
    df = read_codes_body(
        data,
        layout,
        delimiter=columns.get("delimiter", ","),
        encoding=columns.get("encoding", "utf-8"),
        name=snap.meta.get("original_filename") or snap.body_path.name,
    )
    df.attrs.update(
        table_id=snap.table_id,
        label=snap.meta.get("label") or snap.table_id,
        updated=snap.meta.get("ssb_updated"),
        source=snap.meta.get("source_text") or CODES_CSV,
    )
    return df


@dataclass(frozen=True)
class _Reader:
    """How the bodies of one source become frames."""

    module: str
    """The module that parses them (`ssb/<module>.py`; its code is part of the cache key)."""
    read: Callable[[Snapshot, bytes], pd.DataFrame]


_READERS = {
    PXWEB: _Reader("jsonstat", _read_jsonstat),
    STATBANK_CSV: _Reader("statbank_csv", _read_statbank_csv),
    CODES_CSV: _Reader("codes_csv", _read_codes_csv),
}


@functools.cache
def _reader_code(module: str) -> str:
    """The sha256 of a parsing module's code and of this module's (which calls it): a new
    parser means new cached frames."""
    here = Path(__file__)
    return digest([file_sha256(here.with_name(f"{module}.py")), file_sha256(here)])


def _reader_of(snap: Snapshot) -> _Reader:
    reader = _READERS.get(snap.source)
    if reader is None:
        raise SSBError(
            f"{display_path(snap.body_path)}: kilden {excerpt(snap.source)} er ikke en tabell "
            "som kan leses (en referansefil?). Bruk filen direkte, ikke som tabell"
        )
    return reader


def snapshot_frame(snap: Snapshot) -> pd.DataFrame:
    """The body parsed into the package's frame (kept in the frame cache), with
    `attrs["snapshot"]` set. The body is checked against its sidecar's sha256 first."""
    reader = _reader_of(snap)
    data = snap.read_bytes()
    key = [snap.meta.get("sha256"), snap.source, _reader_code(reader.module)]
    df = cached_frame(key, lambda: reader.read(snap, data))
    df.attrs["snapshot"] = SharedDict(snap.provenance())
    return df


def cached_frame(key: object, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """`make()`, kept in the frame cache under `key` (which must name everything it depends
    on). A cache that cannot be read or written is ignored."""
    import pickle

    path = config.cache_dir() / FRAME_CACHE / f"{digest(key)}.pkl"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # missing, or written by other library versions: make it again
        pass
    df = make()
    try:
        from ..atomic import atomic_write_bytes

        atomic_write_bytes(path, pickle.dumps(df, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass
    return df


# --- tables -------------------------------------------------------------------------------------


def load_table(
    table_id: str, query_key: str | None = None, data_dir: Path | str | None = None
) -> pd.DataFrame:
    """The table from stored snapshots, without the network (the in-use rule: `store.py`).

    With `query_key`: the newest complete fetch of that query (split parts concatenated).
    Without: the newest complete fetch of any query, else the union of the imports, where
    each cell is read once (from the newest import providing it). `attrs["snapshots"]` lists
    the imports used, newest first, each with the `periods` it provides; `attrs["snapshot"]`
    is the first.
    """
    store = SnapshotStore(data_dir)
    used = store.in_use(table_id)
    fetches = [u for u in used if u.source not in (*IMPORT_SOURCES, FILE)]
    if query_key is not None:
        fetches = [u for u in fetches if u.query_key == query_key]
    if fetches:
        return concat_parts(fetches[0].snapshots)
    if query_key is None:
        imports = [u for u in used if u.source in IMPORT_SOURCES]
        if imports:
            return _union_of_imports(table_id, imports)
    raise NoSnapshot(no_snapshot_message(table_id, query_key))


def concat_parts(parts: Sequence[Snapshot]) -> pd.DataFrame:
    """The frames of a (possibly split) fetch, concatenated, with the first part's attrs."""
    return combine_parts([snapshot_frame(p) for p in parts], parts)


def combine_parts(frames: Sequence[pd.DataFrame], parts: Sequence[Snapshot]) -> pd.DataFrame:
    """Concatenate the frames of one fetch; `attrs["snapshot"]` names every part."""
    import pandas as pd

    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df.attrs = dict(frames[0].attrs)
    snapshot = parts[0].provenance()
    if len(parts) > 1:
        snapshot["parts"] = [str(p.body_path) for p in parts]
    df.attrs["snapshot"] = SharedDict(snapshot)
    return df


def key_columns(df: pd.DataFrame) -> list[str]:
    """The columns that identify a cell: the dimension codes, period included."""
    dims = df.attrs.get("dimensions")
    if dims:
        return [d for d in dims if d in df.columns]
    skip = {"value", "status", "year"}
    return [c for c in df.columns if c not in skip and not str(c).endswith("_label")]


def period_column(df: pd.DataFrame) -> str:
    """The frame's period column (`Tid` unless the frame says otherwise)."""
    return df.attrs.get("period") or ("Tid" if "Tid" in df.columns else "year")


def restrict_periods(df: pd.DataFrame, periods: Sequence) -> pd.DataFrame:
    """The rows of `periods` (all rows when `periods` is empty)."""
    if not periods:
        return df
    col = period_column(df)
    wanted = {str(p) for p in periods}
    keep = df[col].astype(str).isin(wanted)
    return df if keep.all() else df[keep]


def _union_of_imports(table_id: str, imports: Sequence[InUse]) -> pd.DataFrame:
    """Every import's in-use periods, newest first; a cell several imports hold is read once.

    The union is kept in the frame cache (by the imports' sha256 and periods, the readers and
    this module), so a build holds one frame in memory, not every import and their union.
    Every body is still checked against its sidecar's sha256 first."""
    for use in imports:
        use.first.read_bytes()
    key = [
        "union",
        table_id,
        [[u.first.meta.get("sha256"), u.first.source, list(map(str, u.periods))] for u in imports],
        sorted({_reader_code(_reader_of(u.first).module) for u in imports}),
        file_sha256(Path(__file__)),
    ]
    out = cached_frame(key, lambda: _make_union(table_id, imports))
    provenance = []  # where the files are now (the kept frame may come from another folder)
    for use in imports:
        prov = use.first.provenance()
        prov["periods"] = list(use.periods or use.first.periods)
        provenance.append(prov)
    out.attrs["snapshots"] = SharedList(provenance)
    out.attrs["snapshot"] = provenance[0]
    return out


def _make_union(table_id: str, imports: Sequence[InUse]) -> pd.DataFrame:
    import pandas as pd

    frames: list[pd.DataFrame] = []
    dims_of: dict[str, tuple[tuple[str, ...], str]] = {}
    overlap = False
    for use in imports:
        snap = use.first
        df = restrict_periods(snapshot_frame(snap), use.periods)
        dims = tuple(sorted(key_columns(df)))
        for period in df[period_column(df)].astype(str).unique():
            if period in dims_of:
                overlap = True
                other_dims, other = dims_of[period]
                if other_dims != dims:
                    raise SnapshotCorrupt(
                        f"tabell {table_id}: importene {other} og {snap.relative_path} gir begge "
                        f"perioden {period}, men med ulike dimensjoner. Fjern den ene, eller "
                        "importer den riktige på nytt med --replace"
                    )
            else:
                dims_of[period] = (dims, snap.relative_path)
        frames.append(df)
    attrs = {k: v for k, v in frames[0].attrs.items() if k != "snapshot"}
    keys, period = key_columns(frames[0]), period_column(frames[0])
    if not overlap and all(len(f) for f in frames):
        # each period in one frame: in period order, the union needs no sort (no third copy)
        frames.sort(key=lambda f: f[period].min())
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
    del frames
    if overlap:
        out = out.drop_duplicates(subset=keys, keep="first", ignore_index=True)
    if not out[period].is_monotonic_increasing:
        out = out.sort_values(period, kind="stable", ignore_index=True)
    out.attrs = attrs
    return out
