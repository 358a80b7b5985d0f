"""Immutable snapshots with provenance sidecars under `<data_dir>/raw/<dataset folder>/`.

Each snapshot is a body, stored exactly as received (or, for a cut, the kept rows), and a
`<stem>.meta.json` sidecar. A snapshot exists only once its sidecar exists: the body is moved
into place first, the sidecar last, both from fsynced temporary files (mode 0644), so a crash
leaves at worst an orphan body that readers ignore and `problems()` reports.

Dataset ids and folders: see `sidecar.py` (`07459` -> `raw/ssb/07459/`, `fhi/befolkning-b2024`
-> `raw/fhi/befolkning-b2024/`).

Which snapshots the data build reads ("in use", `SnapshotStore.in_use`), the one rule:
- fetched data (PxWebApi): per query, the newest fetch whose parts are all present; a table with
  any complete fetch is read from its fetches only (`frames.load_table` without a query key
  takes the newest of them);
- otherwise the table's imports (Statistikkbanken CSV, codes CSV): every import provides its
  periods, except periods a later import took over with `--replace` (its sidecar's
  `supersedes`); where imports overlap their cells are identical (checked at import), and
  `frames.load_table` reads each cell once, from the newest import;
- reference files (`mipr import-file`): the newest import of the dataset.

The store keeps bytes and sidecars; it parses no body (`frames.py` reads bodies into frames,
`imports.py` brings files in).
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from .. import __version__, config
from ..atomic import naming, open_temp
from ..hashing import digest, file_sha256, sha256_bytes
from .errors import NoSnapshot, SnapshotCorrupt
from .sidecar import (
    KINDS,
    SIDECAR_SUFFIX,
    TMP_PREFIX,
    ImportRefused,
    advice,
    check_dataset_id,
    corrupt,
    dataset_folder,
    dataset_ids,
    display_path,
    excerpt,
    is_ssb_table,
    read_sidecar,
    stem_of,
)

PXWEB = "pxwebapi-v2"
STATBANK_CSV = "statbank-csv"
CODES_CSV = "codes-csv"
FILE = "file"
IMPORT_SOURCES = (STATBANK_CSV, CODES_CSV)
"""Sources whose snapshots are table imports, read as a union by period."""

_CHUNK = 1 << 20


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
    """One stored body: its sidecar `meta` and the paths of body and sidecar."""

    meta: dict[str, Any]
    body_path: Path
    sidecar_path: Path

    @property
    def table_id(self) -> str:
        """The dataset id (an SSB table number or `publisher/dataset`)."""
        return self.meta["table_id"]

    dataset_id = table_id

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

    @property
    def data_dir(self) -> Path:
        """The data folder the snapshot lies in (`<data_dir>/raw/<a>/<b>/<body>`)."""
        return self.body_path.parents[3]

    @property
    def relative_path(self) -> str:
        """The body's path relative to the data folder, e.g. `raw/ssb/07459/2026....csv`."""
        return self.body_path.relative_to(self.data_dir).as_posix()

    @property
    def periods(self) -> list:
        return list(self.meta.get("periods") or [])

    @property
    def publisher(self) -> str:
        prov = self.meta.get("provenance") or {}
        found = self.meta.get("publisher") or prov.get("publisher")
        if found:
            return str(found)
        return "SSB" if is_ssb_table(self.table_id) else self.table_id.split("/")[0]

    @property
    def citation(self) -> str:
        prov = self.meta.get("provenance") or {}
        found = self.meta.get("citation") or prov.get("citation")
        if found:
            return str(found)
        if is_ssb_table(self.table_id):
            return f"Kilde: Statistisk sentralbyrå (SSB), tabell {self.table_id}"
        return f"Kilde: {self.publisher}"

    @property
    def origin(self) -> str:
        """Where the body came from, in one line (for status and provenance tables)."""
        meta = self.meta
        prov = meta.get("provenance") or {}
        where = prov.get("origin")
        if isinstance(where, dict) and where.get("repository"):
            text = f"{where['repository']}"
            if where.get("commit"):
                text += f"@{str(where['commit'])[:12]}"
            if where.get("path"):
                text += f":{where['path']}"
            return text
        if isinstance(where, str) and where:
            return where
        if self.source == PXWEB:
            return f"PxWebApi v2, spørring {meta.get('query_key', '?')}"
        if self.source == STATBANK_CSV:
            return f"Statistikkbanken, CSV-eksport {meta.get('original_filename', '')}".strip()
        return str(meta.get("source_text") or meta.get("original_filename") or self.source)

    @property
    def cut(self) -> str | None:
        """The sidecar's description of a cut ("utsnitt: ..."), or None for whole files."""
        cut = self.meta.get("cut")
        return str(cut.get("description")) if isinstance(cut, dict) else None

    def read_bytes(self) -> bytes:
        """The body, after checking it against the sidecar's sha256."""
        data = self.body_path.read_bytes()
        if sha256_bytes(data) != self.meta.get("sha256"):
            raise SnapshotCorrupt(_mismatch(self.body_path, self.sidecar_path, self.table_id))
        return data

    def provenance(self) -> dict[str, Any]:
        """What `df.attrs["snapshot"]` says about this snapshot."""
        return {
            "path": str(self.body_path),
            "file": self.relative_path,
            "dataset": self.table_id,
            "source": self.source,
            "publisher": self.publisher,
            "kind": self.kind,
            "fetched_at": self.meta["fetched_at"],
            "imported_at": self.meta.get("imported_at"),
            "ssb_updated": self.meta.get("ssb_updated"),
            "age_days": self.age_days,
            "original_filename": self.meta.get("original_filename"),
            "origin": self.origin,
            "cut": self.cut,
            "citation": self.citation,
        }


@dataclass(frozen=True)
class InUse:
    """Snapshots the data build reads: one fetch (all its parts) or one import.

    `periods`: for an import, the periods it provides (those not taken over by a later
    `--replace`); empty for a fetch (all of it).
    """

    dataset_id: str
    snapshots: tuple[Snapshot, ...]
    periods: tuple = ()

    @property
    def first(self) -> Snapshot:
        return self.snapshots[0]

    @property
    def source(self) -> str:
        return self.first.source

    @property
    def query_key(self) -> str | None:
        return self.first.meta.get("query_key")

    @property
    def fetched_at(self) -> datetime:
        return self.first.fetched_at

    def row(self) -> dict[str, Any]:
        """One row of a provenance table."""
        first = self.first
        return {
            "dataset": self.dataset_id,
            "publisher": first.publisher,
            "source": first.source,
            "ssb_updated": first.meta.get("ssb_updated"),
            "fetched_at": first.meta.get("imported_at") or first.meta["fetched_at"],
            "files": [s.relative_path for s in self.snapshots],
            "original_filename": first.meta.get("original_filename"),
            "origin": first.origin,
            "cut": first.cut,
            "citation": first.citation,
            "periods": list(self.periods),
        }


@dataclass
class Catalogue:
    """`SnapshotStore.catalogue()`: every readable snapshot, what is in use, every problem."""

    snapshots: list[Snapshot]
    in_use: list[InUse]
    problems: list[str]


@dataclass(frozen=True)
class _Problem:
    path: Path
    message: str
    blocking: bool  # a reader of the dataset must stop (sidecar broken or body missing)


class SnapshotStore:
    """The snapshots under `<data_dir>/raw/` (default: `config.data_dir()`)."""

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.data_dir = Path(data_dir or config.data_dir())
        self.raw = self.data_dir / "raw"
        self.root = self.raw / "ssb"
        """Where SSB tables are kept (`raw/ssb/`)."""

    def folder(self, dataset_id: str) -> Path:
        """The folder of a dataset (the id is checked; nothing is created)."""
        return dataset_folder(self.raw, dataset_id)

    # --- writing --------------------------------------------------------------------------------

    def save(
        self,
        table_id: str,
        body: bytes | Path,
        *,
        source: str,
        query_key: str,
        ext: str = "json",
        fetched_at: datetime | None = None,
        part: int | None = None,
        parts: int | None = None,
        expected_sha256: str | None = None,
        **fields: Any,
    ) -> Snapshot:
        """Store `body` (bytes, or a file copied in chunks) with a sidecar built from the
        arguments and `fields` (url, query, ...).

        Split fetches pass `part` (1-based) and `parts`; all parts of one fetch share
        `fetched_at`, so they share the sidecar's `group`. `expected_sha256`: refuse a file that
        no longer has this checksum (it changed while it was being imported).
        """
        folder = self.folder(table_id)
        when = (fetched_at or utc_now()).astimezone(UTC)
        stem = f"{when.strftime('%Y%m%dT%H%M%S%fZ')}_{query_key}"
        group = stem
        if parts is not None:
            stem += f"_part{part}of{parts}"
        folder.mkdir(parents=True, exist_ok=True)
        body_path = folder / f"{stem}.{ext}"
        sidecar_path = folder / f"{stem}{SIDECAR_SUFFIX}"
        if body_path.exists() or sidecar_path.exists():
            raise FileExistsError(
                f"{body_path} finnes allerede; øyeblikksbilder skrives aldri over"
            )
        temps: list[Path] = []
        placed: list[Path] = []
        try:
            with naming(folder):  # a full disk names no file by itself
                body_tmp, sha, size = _write_temp(folder, body, temps)
            if expected_sha256 is not None and sha != expected_sha256:
                raise ImportRefused(
                    f"{display_path(Path(body)) if isinstance(body, Path) else 'filen'}: endret "
                    "seg mens den ble importert (sjekksummen stemmer ikke). Importer den igjen"
                )
            meta: dict[str, Any] = {
                "table_id": table_id,
                "source": source,
                "kind": "data",
                **fields,
                "query_key": query_key,
                "fetched_at": when.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                "sha256": sha,
                "bytes": size,
                "client_version": __version__,
            }
            if parts is not None:
                meta.update(part=part, parts=parts, group=group)
            sidecar = json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8")
            with naming(folder):
                sidecar_tmp, _, _ = _write_temp(folder, sidecar, temps)
            for tmp, final in ((body_tmp, body_path), (sidecar_tmp, sidecar_path)):
                with naming(final):
                    os.replace(tmp, final)
                placed.append(final)
            _fsync_dir(folder)
        except BaseException:
            for path in temps + placed:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            raise
        return Snapshot(meta, body_path, sidecar_path)

    # --- reading --------------------------------------------------------------------------------

    def datasets(self) -> list[str]:
        """Every dataset id with a folder under `raw/`."""
        return [ds for ds, _ in dataset_ids(self.raw)[0]]

    def list(self, table_id: str | None = None) -> list[Snapshot]:
        """Every complete snapshot (sidecar and body present), oldest first.

        Raises `SnapshotCorrupt` for a broken sidecar or a sidecar whose body is gone; bodies
        without a sidecar and leftover temporary files are ignored (see `problems`).
        """
        snaps: list[Snapshot] = []
        for ds, folder in self._folders(table_id):
            found, problems = _scan(ds, folder)
            blocking = [p for p in problems if p.blocking]
            if blocking:
                raise SnapshotCorrupt(blocking[0].message)
            snaps += found
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

    def latest_metadata(self, table_id: str) -> dict | None:
        """The newest metadata response stored with the table, as a dict (None when none is)."""
        snap = self.latest(table_id, kind="metadata")
        return None if snap is None else json.loads(snap.read_bytes())

    def latest_complete(
        self, table_id: str, query_key: str | None = None
    ) -> builtins.list[Snapshot]:
        """The newest fetched (PxWebApi) data whose parts are all present, as a list of parts."""
        snaps = [s for s in self.list(table_id) if _matches(s, query_key, PXWEB, "data")]
        fetches = _complete_fetches(table_id, snaps)
        return list(fetches[0].snapshots) if fetches else []

    def in_use(self, dataset_id: str | None = None, kind: str = "data") -> builtins.list[InUse]:
        """What the data build reads, per dataset (sorted by id), newest first (module doc)."""
        out: builtins.list[InUse] = []
        ids = [dataset_id] if dataset_id is not None else self.datasets()
        for ds in ids:
            snaps = [s for s in self.list(ds) if s.kind == kind]
            out += _in_use(ds, snaps)
        return out

    def for_body(self, relative: str) -> Snapshot:
        """The snapshot whose body is `relative` (to the data folder, e.g. the `snapshot` column
        of a processed table: `raw/ssb/07459/2026....csv`), with its sidecar checked."""
        rel = PurePosixPath(str(relative).strip())
        parts = rel.parts
        if rel.is_absolute() or ".." in parts or len(parts) != 4 or parts[0] != "raw":
            raise NoSnapshot(
                f"{excerpt(relative)}: ikke en lagret fil (forventet "
                "raw/<kilde>/<datasett>/<fil>). Bygg dataene på nytt med `mipr build`"
            )
        dataset = parts[2] if parts[1] == "ssb" else f"{parts[1]}/{parts[2]}"
        check_dataset_id(dataset)
        body = self.data_dir.joinpath(*parts)
        sidecar = body.with_name(stem_of(body.name) + SIDECAR_SUFFIX)
        if not sidecar.is_file():
            raise NoSnapshot(
                f"{display_path(body)}: finnes ikke i datamappen (ingen sidefil). "
                "Bygg dataene på nytt med `mipr build`"
            )
        meta = read_sidecar(sidecar, dataset)
        if not body.is_file():
            raise corrupt(sidecar, dataset, f"filen den beskriver, {body.name}, mangler")
        return Snapshot(meta, body, sidecar)

    def orphans(self, table_id: str | None = None) -> builtins.list[Path]:
        """Bodies without a sidecar and leftover temporary files (from an interrupted write)."""
        found: builtins.list[Path] = []
        for ds, folder in self._folders(table_id):
            found += [p.path for p in _scan(ds, folder)[1] if not p.blocking]
        return sorted(found)

    def problems(self, hashes: Mapping[str, str] | None = None) -> builtins.list[str]:
        """Every problem in the store, one bokmål line each, naming the file.

        Broken sidecars, sidecars whose body is missing, bodies that no longer match their
        sha256, bodies without a sidecar, leftover temporary files and folders or files where no
        dataset belongs. `hashes`: precomputed sha256 by path relative to the data folder
        (`raw/ssb/07459/x.csv`), so that files already hashed are not read again.
        """
        return self.catalogue(hashes).problems

    def catalogue(self, hashes: Mapping[str, str] | None = None) -> Catalogue:
        """Everything readable and everything wrong, without stopping at a problem (for
        `mipr status`): the snapshots with a valid sidecar, what is in use in the datasets
        that have no broken sidecar, and `problems()`."""
        out = Catalogue([], [], [])
        datasets, strays = dataset_ids(self.raw)
        for folder in strays:
            out.problems.append(
                f"{display_path(folder)}: mappenavnet er ikke et gyldig datasett-navn. Flytt "
                "filene ut og importer dem med `mipr import-…`, eller slett mappen"
            )
        out.problems.extend(_loose_files(self.raw))
        for ds, folder in datasets:
            snaps, problems = _scan(ds, folder)
            out.problems.extend(p.message for p in problems)
            for snap in sorted(snaps, key=lambda s: (s.fetched_at, s.meta.get("part") or 0)):
                out.snapshots.append(snap)
                actual = (hashes or {}).get(snap.relative_path) or file_sha256(snap.body_path)
                if actual != snap.meta["sha256"]:
                    out.problems.append(_mismatch(snap.body_path, snap.sidecar_path, ds))
            if not any(p.blocking for p in problems):
                for kind in KINDS:
                    out.in_use.extend(_in_use(ds, [s for s in snaps if s.kind == kind]))
        return out

    def _folders(self, table_id: str | None) -> Iterator[tuple[str, Path]]:
        if table_id is not None:
            folder = self.folder(table_id)
            if folder.is_dir():
                yield table_id, folder
        else:
            yield from dataset_ids(self.raw)[0]


def verify_store(data_dir: Path | str, hashes: Mapping[str, str] | None = None) -> None:
    """Raise one `SnapshotCorrupt` naming the number of problems in the store and the first."""
    store = SnapshotStore(data_dir)
    problems = store.problems(hashes)
    if problems:
        raise SnapshotCorrupt(
            f"{display_path(store.raw)}: {len(problems)} feil i de lagrede dataene (se alle med "
            f"`mipr status` og rett dem før dataene brukes); den første: {problems[0]}"
        )


def _mismatch(body: Path, sidecar: Path, dataset_id: str | None) -> str:
    return (
        f"{display_path(body)} stemmer ikke med sjekksummen i {sidecar.name}: filen er endret "
        f"etter at den ble lagret. {advice(dataset_id, body)}"
    )


def _scan(dataset_id: str, folder: Path) -> tuple[list[Snapshot], list[_Problem]]:
    """The complete snapshots of one dataset folder and its problems."""
    sidecars: dict[str, Path] = {}
    bodies: dict[str, list[Path]] = {}
    problems: list[_Problem] = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith(TMP_PREFIX):
            problems.append(
                _Problem(
                    path,
                    f"{display_path(path)}: midlertidig fil fra en avbrutt lagring. Slett den",
                    False,
                )
            )
        elif name.startswith("."):
            continue
        elif path.is_dir():
            problems.append(
                _Problem(
                    path,
                    f"{display_path(path)}: en mappe inne i et datasett. Flytt eller slett den",
                    False,
                )
            )
        elif name.endswith(SIDECAR_SUFFIX):
            sidecars[stem_of(name)] = path
        else:
            bodies.setdefault(stem_of(name), []).append(path)
    snaps: list[Snapshot] = []
    for stem, sidecar in sidecars.items():
        try:
            meta = read_sidecar(sidecar, dataset_id)
        except SnapshotCorrupt as exc:
            problems.append(_Problem(sidecar, str(exc), True))
            bodies.pop(stem, None)
            continue
        found = bodies.pop(stem, [])
        if len(found) == 1:
            snaps.append(Snapshot(meta, found[0], sidecar))
            continue
        why = (
            f"filen den beskriver ({stem}.*) mangler"
            if not found
            else f"flere filer heter {stem}.* ({', '.join(p.name for p in found)})"
        )
        problems.append(_Problem(sidecar, str(corrupt(sidecar, dataset_id, why)), True))
    for paths in bodies.values():
        for path in paths:
            problems.append(
                _Problem(
                    path,
                    f"{display_path(path)}: mangler sidefil ({stem_of(path.name)}"
                    f"{SIDECAR_SUFFIX}); en lagring ble avbrutt, eller sidefilen er slettet. "
                    f"Slett filen, eller gjenopprett sidefilen fra git",
                    False,
                )
            )
    return snaps, problems


def _loose_files(raw: Path) -> list[str]:
    """Files lying directly in a publisher folder (e.g. an old `raw/klass/x.csv`)."""
    out: list[str] = []
    if not raw.is_dir():
        return out
    for pub in sorted(p for p in raw.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if pub.name == "manual":
            continue
        for path in sorted(pub.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                out.append(
                    f"{display_path(path)}: ligger utenfor en datasett-mappe og leses ikke. "
                    "Importer den med `mipr import-file` eller `mipr import-codes`, og "
                    "slett den"
                )
    return out


def _matches(snap: Snapshot, query_key: str | None, source: str | None, kind: str) -> bool:
    return (
        snap.kind == kind
        and (query_key is None or snap.meta.get("query_key") == query_key)
        and (source is None or snap.source == source)
    )


def _complete_fetches(dataset_id: str, snaps: Sequence[Snapshot]) -> list[InUse]:
    """Per query key the newest fetch with all its parts, newest first."""
    groups: dict[tuple[str, str], list[Snapshot]] = {}
    for snap in snaps:
        group = snap.meta.get("group") or snap.sidecar_path.name
        groups.setdefault((snap.meta.get("query_key", ""), group), []).append(snap)
    newest: dict[str, list[Snapshot]] = {}
    for (key, _), members in sorted(
        groups.items(), key=lambda kv: kv[1][0].fetched_at, reverse=True
    ):
        if key in newest:
            continue
        expected = members[0].meta.get("parts") or 1
        members = sorted(members, key=lambda m: m.meta.get("part") or 1)
        if [m.meta.get("part") or 1 for m in members] == list(range(1, expected + 1)):
            newest[key] = members
    found = [InUse(dataset_id, tuple(m)) for m in newest.values()]
    return sorted(found, key=lambda u: u.fetched_at, reverse=True)


def _in_use(dataset_id: str, snaps: Sequence[Snapshot]) -> list[InUse]:
    fetched = [s for s in snaps if s.source not in (*IMPORT_SOURCES, FILE)]
    fetches = _complete_fetches(dataset_id, fetched)
    if fetches:
        return fetches
    replaced: dict[str, set[str] | None] = {}  # relative body path -> periods (None: all)
    for snap in snaps:
        for entry in snap.meta.get("supersedes") or []:
            if not isinstance(entry, dict) or "file" not in entry:
                continue
            periods = entry.get("periods")
            if periods is None:
                replaced[entry["file"]] = None
            elif (known := replaced.setdefault(entry["file"], set())) is not None:
                known.update(str(p) for p in periods)
    out: list[InUse] = []
    newest_first = sorted(snaps, key=lambda s: s.fetched_at, reverse=True)
    for snap in newest_first:
        if snap.source not in IMPORT_SOURCES:
            continue
        gone = replaced.get(snap.relative_path, set())
        if gone is None:
            continue
        periods = tuple(p for p in snap.periods if str(p) not in gone)
        if periods or not snap.periods:
            out.append(InUse(dataset_id, (snap,), periods))
    files = [
        s
        for s in newest_first
        if s.source == FILE and replaced.get(s.relative_path, set()) is not None
    ]
    if files:
        out.append(InUse(dataset_id, (files[0],)))
    return out


def _write_temp(folder: Path, body: bytes | Path, temps: list[Path]) -> tuple[Path, str, int]:
    """Write `body` (bytes, or a file copied in chunks) to an fsynced temp file (mode 0644 under
    the usual umask); return its path, sha256 and size."""
    sha = hashlib.sha256()
    size = 0
    with open_temp(folder, TMP_PREFIX, temps) as out:
        if isinstance(body, (bytes, bytearray)):
            out.write(body)
            sha.update(body)
            size = len(body)
        else:
            with open(body, "rb") as src:
                while chunk := src.read(_CHUNK):
                    out.write(chunk)
                    sha.update(chunk)
                    size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return temps[-1], sha.hexdigest(), size


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def no_snapshot_message(table_id: str, query_key: str | None = None) -> str:
    """What to do when the store holds no data of the table (or of that query)."""
    which = f"av denne spørringen ({query_key}) " if query_key else ""
    if not is_ssb_table(table_id):
        return (
            f"{table_id}: ingen lagrede data. Importer datasettet med `mipr import-codes` "
            "eller `mipr import-file` (se data/import-shared.sh)"
        )
    return (
        f"tabell {table_id}: ingen lagrede data {which}i datamappen. Med internett: kjør "
        f"`mipr fetch --table {table_id}`; uten: last ned tabellen som CSV fra Statistikkbanken "
        f"og kjør `mipr import-csv FIL --table {table_id}`"
    )
