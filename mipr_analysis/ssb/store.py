"""Immutable SSB snapshots with provenance sidecars under `<data_dir>/raw/ssb/<table_id>/`.

Each snapshot is a body, stored exactly as received, and a `<stem>.meta.json` sidecar. A snapshot
exists only once its sidecar exists: the body is moved into place first, the sidecar last, both
from fsynced temporary files, so a crash leaves at worst an orphan body that readers ignore.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__, config
from ..hashing import digest, sha256_bytes
from .errors import NoSnapshot, SnapshotCorrupt

PXWEB = "pxwebapi-v2"
STATBANK_CSV = "statbank-csv"
SIDECAR_SUFFIX = ".meta.json"
TMP_PREFIX = ".tmp-"


def utc_now() -> datetime:
    return datetime.now(UTC)


def query_key(
    table_id: str,
    selection: Mapping[str, Sequence[str] | str] | None,
    codelists: Mapping[str, str] | None = None,
    lang: str = "no",
    *,
    kind: str = "data",
) -> str:
    """A short stable hash of the canonical query: keys sorted, the order of values kept."""
    canonical: dict[str, Any] = {
        "table": table_id,
        "selection": {k: _as_list(v) for k, v in (selection or {}).items()},
        "codelists": dict(codelists or {}),
        "lang": lang,
    }
    if kind != "data":
        canonical["kind"] = kind
    return digest(canonical)[:12]


def _as_list(values: Sequence[str] | str) -> list[str]:
    return [values] if isinstance(values, str) else [str(v) for v in values]


@dataclass(frozen=True)
class Snapshot:
    """One stored response: its sidecar `meta` and the path of its body."""

    meta: dict[str, Any]
    body_path: Path
    sidecar_path: Path

    @property
    def table_id(self) -> str:
        return self.meta["table_id"]

    @property
    def source(self) -> str:
        return self.meta["source"]

    @property
    def kind(self) -> str:
        return self.meta.get("kind", "data")

    @property
    def fetched_at(self) -> datetime:
        return datetime.fromisoformat(self.meta["fetched_at"])

    @property
    def age_days(self) -> int:
        """Whole days since the snapshot was fetched (or imported)."""
        return (utc_now() - self.fetched_at).days

    def read_bytes(self) -> bytes:
        """The body, after checking it against the sidecar's sha256."""
        data = self.body_path.read_bytes()
        if sha256_bytes(data) != self.meta.get("sha256"):
            raise SnapshotCorrupt(
                f"snapshot {self.body_path} does not match the sha256 in {self.sidecar_path.name}: "
                "the file was changed after it was stored. Delete both files and fetch the table "
                f"again (`mipr fetch --table {self.table_id}`), or restore them from a backup."
            )
        return data

    def provenance(self) -> dict[str, Any]:
        """What `df.attrs["snapshot"]` says about this snapshot."""
        return {
            "path": str(self.body_path),
            "source": self.source,
            "kind": self.kind,
            "fetched_at": self.meta["fetched_at"],
            "ssb_updated": self.meta.get("ssb_updated"),
            "age_days": self.age_days,
        }

    def frame(self) -> pd.DataFrame:
        """The body parsed into the package's frame, with `attrs["snapshot"]` set."""
        data = self.read_bytes()
        if self.source == STATBANK_CSV:
            from .statbank_csv import parse_statbank_csv

            df = parse_statbank_csv(data, self.table_id, self.meta["original_filename"])
        else:
            from .jsonstat import read_jsonstat

            df = read_jsonstat(data)
        df.attrs["snapshot"] = self.provenance()
        return df

    def metadata(self):
        """A stored metadata response parsed with `read_metadata`."""
        from .jsonstat import read_metadata

        return read_metadata(self.read_bytes())


class SnapshotStore:
    """The snapshots under `<data_dir>/raw/ssb/` (default: `config.data_dir()`)."""

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.root = Path(data_dir or config.data_dir()) / "raw" / "ssb"

    def save(
        self,
        table_id: str,
        body: bytes,
        *,
        source: str,
        query_key: str,
        ext: str = "json",
        fetched_at: datetime | None = None,
        part: int | None = None,
        parts: int | None = None,
        **fields: Any,
    ) -> Snapshot:
        """Store `body` with a sidecar built from the arguments and `fields` (url, query, ...).

        Split fetches pass `part` (1-based) and `parts`; all parts of one fetch share
        `fetched_at`, so they share the sidecar's `group`.
        """
        when = (fetched_at or utc_now()).astimezone(UTC)
        stem = f"{when.strftime('%Y%m%dT%H%M%S%fZ')}_{query_key}"
        meta: dict[str, Any] = {
            "table_id": table_id,
            "source": source,
            "kind": "data",
            **fields,
            "query_key": query_key,
            "fetched_at": when.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "sha256": sha256_bytes(body),
            "bytes": len(body),
            "client_version": __version__,
        }
        if parts is not None:
            meta.update(part=part, parts=parts, group=stem)
            stem += f"_part{part}of{parts}"
        folder = self.root / table_id
        folder.mkdir(parents=True, exist_ok=True)
        body_path = folder / f"{stem}.{ext}"
        sidecar_path = folder / f"{stem}{SIDECAR_SUFFIX}"
        if body_path.exists() or sidecar_path.exists():
            raise FileExistsError(f"{body_path} exists already; snapshots are never overwritten")
        sidecar = json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8")
        _write_pair(folder, (body, body_path), (sidecar, sidecar_path))
        return Snapshot(meta, body_path, sidecar_path)

    def list(self, table_id: str | None = None) -> list[Snapshot]:
        """Every complete snapshot (sidecar present), oldest first."""
        snaps = [s for path in self._sidecars(table_id) if (s := _load(path)) is not None]
        return sorted(snaps, key=lambda s: (s.fetched_at, s.meta.get("part") or 0))

    def latest(
        self,
        table_id: str,
        query_key: str | None = None,
        source: str | None = None,
        kind: str = "data",
    ) -> Snapshot | None:
        """The newest snapshot of the table matching the filters (first part of a split fetch)."""
        for snap in reversed(self.list(table_id)):
            if _matches(snap, query_key, source, kind) and (snap.meta.get("part") or 1) == 1:
                return snap
        return None

    def latest_complete(self, table_id: str, query_key: str | None = None) -> list[Snapshot]:
        """The newest fetched (PxWebApi) data whose parts are all present, as a list of parts."""
        snaps = [s for s in self.list(table_id) if _matches(s, query_key, PXWEB, "data")]
        groups: dict[str, list[Snapshot]] = {}
        for snap in snaps:
            groups.setdefault(snap.meta.get("group") or snap.sidecar_path.name, []).append(snap)
        for members in sorted(groups.values(), key=lambda m: m[0].fetched_at, reverse=True):
            expected = members[0].meta.get("parts") or 1
            if sorted(m.meta.get("part") or 1 for m in members) == list(range(1, expected + 1)):
                return members
        return []

    def orphans(self, table_id: str | None = None) -> list[Path]:
        """Bodies without a sidecar and leftover temporary files (from an interrupted write)."""
        found = []
        for folder in self._folders(table_id):
            for path in sorted(folder.iterdir()):
                if path.name.startswith(TMP_PREFIX):
                    found.append(path)
                elif not path.name.endswith(SIDECAR_SUFFIX):
                    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + SIDECAR_SUFFIX)
                    if not sidecar.exists():
                        found.append(path)
        return found

    def _folders(self, table_id: str | None) -> Iterator[Path]:
        if table_id is not None:
            if (self.root / table_id).is_dir():
                yield self.root / table_id
        elif self.root.is_dir():
            yield from sorted(p for p in self.root.iterdir() if p.is_dir())

    def _sidecars(self, table_id: str | None) -> Iterator[Path]:
        for folder in self._folders(table_id):
            yield from folder.glob(f"[!.]*{SIDECAR_SUFFIX}")


def _matches(snap: Snapshot, query_key: str | None, source: str | None, kind: str) -> bool:
    return (
        snap.kind == kind
        and (query_key is None or snap.meta.get("query_key") == query_key)
        and (source is None or snap.source == source)
    )


def _load(sidecar_path: Path) -> Snapshot | None:
    """Read a sidecar; one without its body is skipped (the snapshot is not complete)."""
    meta = json.loads(sidecar_path.read_text(encoding="utf-8"))
    stem = sidecar_path.name[: -len(SIDECAR_SUFFIX)]
    bodies = [p for p in sidecar_path.parent.glob(f"{stem}.*") if p != sidecar_path]
    if not bodies:
        return None
    return Snapshot(meta, bodies[0], sidecar_path)


def _write_pair(folder: Path, *items: tuple[bytes, Path]) -> None:
    """Write each (data, path) via an fsynced temp file and `os.replace`, in order.

    On any failure, temp files and whatever was already moved into place are removed.
    """
    temps: list[Path] = []
    placed: list[Path] = []
    try:
        for data, _ in items:
            fd, name = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX)
            temps.append(Path(name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, (_, final) in zip(temps, items):
            os.replace(tmp, final)
            placed.append(final)
        _fsync_dir(folder)
    except BaseException:
        for path in temps + placed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_table(
    table_id: str, query_key: str | None = None, data_dir: Path | str | None = None
) -> pd.DataFrame:
    """The table from stored snapshots, without the network.

    With `query_key`: the newest complete fetch of that query (split parts concatenated).
    Without: the newest fetch of any query, else the union of the imported Statistikkbanken
    CSV files, where for each year the newest import covering it wins.
    """
    store = SnapshotStore(data_dir)
    parts = store.latest_complete(table_id, query_key)
    if parts:
        return concat_parts(parts)
    if query_key is None:
        imports = [s for s in store.list(table_id) if _matches(s, None, STATBANK_CSV, "data")]
        if imports:
            return _union_of_imports(imports)
    raise NoSnapshot(no_snapshot_message(table_id, query_key))


def no_snapshot_message(table_id: str, query_key: str | None = None) -> str:
    which = f"of this query ({query_key}) " if query_key else ""
    return (
        f"no stored snapshot {which}of SSB table {table_id}. With internet, run "
        f"`mipr fetch --table {table_id}`; without, download the table as CSV from "
        f"Statistikkbanken and run `mipr import-csv FILE --table {table_id}`."
    )


def concat_parts(parts: Sequence[Snapshot]) -> pd.DataFrame:
    """The frames of a (possibly split) fetch, concatenated, with the first part's attrs."""
    return combine_parts([p.frame() for p in parts], parts)


def combine_parts(frames: Sequence[pd.DataFrame], parts: Sequence[Snapshot]) -> pd.DataFrame:
    """Concatenate the frames of one fetch; `attrs["snapshot"]` names every part."""
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df.attrs = dict(frames[0].attrs)
    df.attrs["snapshot"] = parts[0].provenance()
    if len(parts) > 1:
        df.attrs["snapshot"]["parts"] = [str(p.body_path) for p in parts]
    return df


def _union_of_imports(imports: Sequence[Snapshot]) -> pd.DataFrame:
    """Newest import first; each later (older) one adds only the years not yet covered."""
    newest_first = sorted(imports, key=lambda s: s.fetched_at, reverse=True)
    frames: list[pd.DataFrame] = []
    used: list[Snapshot] = []
    covered: set = set()
    for snap in newest_first:
        df = snap.frame()
        period = "year" if "year" in df.columns else "Tid"
        fresh = df[~df[period].isin(covered)]
        if fresh.empty:
            continue
        covered.update(fresh[period].dropna().unique())
        frames.append(fresh)
        used.append(snap)
    attrs = dict(frames[0].attrs)
    out = pd.concat(frames, ignore_index=True).sort_values(period, kind="stable", ignore_index=True)
    out.attrs = attrs
    out.attrs["snapshots"] = [s.provenance() for s in used]
    return out
