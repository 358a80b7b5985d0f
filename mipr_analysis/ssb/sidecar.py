"""Dataset ids, where they live, and the one reader of provenance sidecars (`<stem>.meta.json`).

Dataset ids: an SSB table is SSB's five-digit number (`07459`), stored in `raw/ssb/07459/`;
anything else is `<publisher>/<dataset>` with lowercase parts of letters, digits and single
hyphens (`fhi/befolkning-b2024`, `kartverket/kommuner-2024`, `klass/kommuneendringer-2024`),
stored in `raw/<publisher>/<dataset>/`. `ssb` and `manual` are not publishers (SSB tables use
their number; `raw/manual/` holds typed-in figures). An id is checked before any folder is made.

A sidecar is checked where it is read (`read_sidecar`): UTF-8, no git conflict markers, a JSON
object with the required fields of the right form, and the dataset id of its folder. A broken
one raises `SnapshotCorrupt` naming the file and what to do.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .errors import SnapshotCorrupt, SSBError

SIDECAR_SUFFIX = ".meta.json"
TMP_PREFIX = ".tmp-"
SSB_FOLDER = "ssb"
RESERVED_PUBLISHERS = frozenset({"ssb", "manual"})

_SSB_TABLE = re.compile(r"\d{5}")
_PART = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONFLICT = re.compile(r"^(<{7}|>{7}|={7})(\s|$)", re.MULTILINE)

ID_RULE = (
    "SSB-tabeller har fem sifre, f.eks. 07459; andre kilder skrives utgiver/datasett med "
    "små bokstaver, sifre og bindestrek, f.eks. fhi/befolkning-b2024"
)
REQUIRED = ("table_id", "source", "fetched_at", "sha256")
KINDS = ("data", "metadata", "codelist")
"""What a snapshot holds: data, a table's metadata, or a codelist the table's queries use."""
EXCERPT = 60
"""Longest excerpt of file content or user input quoted in a message."""


class DatasetIdError(SSBError):
    """A dataset id (`--table`) that is neither an SSB table number nor `publisher/dataset`."""


class ImportRefused(SSBError):
    """An import that would make the stored data ambiguous or lose information (not stored)."""


def cut(text: object, limit: int = EXCERPT) -> str:
    """`text` cut to `limit` characters ('…' when cut)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(text: object, limit: int = EXCERPT) -> str:
    """`text` as a short quoted excerpt for a message ('…' when cut)."""
    return repr(cut(text, limit))


def is_ssb_table(dataset_id: str) -> bool:
    return bool(_SSB_TABLE.fullmatch(dataset_id or ""))


def check_dataset_id(dataset_id: object) -> str:
    """The id unchanged if it is valid, else `DatasetIdError` saying the rule."""
    text = dataset_id if isinstance(dataset_id, str) else ""
    if _SSB_TABLE.fullmatch(text):
        return text
    publisher, slash, name = text.partition("/")
    if (
        slash
        and _PART.fullmatch(publisher)
        and _PART.fullmatch(name)
        and publisher not in RESERVED_PUBLISHERS
    ):
        return text
    why = "ugyldig"
    if publisher in RESERVED_PUBLISHERS and slash:
        why = f"'{publisher}/' er ikke en utgiver her"
    raise DatasetIdError(f"datasett-navnet {excerpt(display_text(dataset_id))} er {why}. {ID_RULE}")


def dataset_folder(raw_dir: Path, dataset_id: str) -> Path:
    """`raw/ssb/<table>` or `raw/<publisher>/<dataset>` (the id is checked first)."""
    check_dataset_id(dataset_id)
    if is_ssb_table(dataset_id):
        return raw_dir / SSB_FOLDER / dataset_id
    publisher, name = dataset_id.split("/")
    return raw_dir / publisher / name


def dataset_ids(raw_dir: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """(dataset id, folder) of every dataset folder under `raw_dir`, and folders that are not
    datasets (wrong names). Hidden folders and `raw/manual/` are skipped."""
    found: list[tuple[str, Path]] = []
    strays: list[Path] = []
    if not raw_dir.is_dir():
        return found, strays
    for pub in sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if pub.name == "manual":
            continue
        for folder in sorted(p for p in pub.iterdir() if p.is_dir() and not p.name.startswith(".")):
            ds = folder.name if pub.name == SSB_FOLDER else f"{pub.name}/{folder.name}"
            try:
                check_dataset_id(ds)
            except DatasetIdError:
                strays.append(folder)
                continue
            found.append((ds, folder))
    return found, strays


def display_text(value: object) -> str:
    """A str (possibly with undecodable bytes from a file name) that can be printed."""
    text = str(value)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def display_path(path: Path) -> str:
    """A path for messages: relative to the working folder when it is inside it."""
    try:
        shown = os.path.relpath(path)
        if not shown.startswith(".."):
            return display_text(shown)
    except ValueError:
        pass
    return display_text(path)


def check_file_name(path: Path) -> None:
    """Refuse a file whose name is not valid UTF-8 (it goes into the sidecar)."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        raise ImportRefused(
            f"{display_text(path.name)}: filnavnet er ikke gyldig UTF-8 (tegn fra en annen "
            "tegnkoding). Gi filen et nytt navn med vanlige tegn og importer den igjen"
        ) from None


def advice(dataset_id: str | None, path: Path) -> str:
    """What to do about a broken stored file of `dataset_id`."""
    restore = f"gjenopprett filen fra git (`git checkout -- {display_path(path)}`)"
    if dataset_id and is_ssb_table(dataset_id):
        return (
            f"Hent tabellen på nytt med `mipr fetch --table {dataset_id}` (eller importer "
            f"filen på nytt), eller {restore}"
        )
    return f"Importer filen på nytt (se data/import-shared.sh), eller {restore}"


def corrupt(path: Path, dataset_id: str | None, why: str) -> SnapshotCorrupt:
    return SnapshotCorrupt(f"{display_path(path)} er ødelagt ({why}). {advice(dataset_id, path)}")


def read_sidecar(path: Path, dataset_id: str | None = None) -> dict[str, Any]:
    """The sidecar's fields, after checking them; `SnapshotCorrupt` when it is broken.

    `dataset_id`: the id of the folder it lies in (its `table_id` must say the same).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise corrupt(path, dataset_id, f"kan ikke leses: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise corrupt(
            path, dataset_id, f"ikke gyldig UTF-8: byte 0x{raw[exc.start]:02x} på linje {line}"
        ) from None
    marker = _CONFLICT.search(text)
    if marker:
        line = text.count("\n", 0, marker.start()) + 1
        raise corrupt(path, dataset_id, f"uløst git-konflikt: {marker.group(1)} på linje {line}")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise corrupt(path, dataset_id, f"ugyldig JSON på linje {exc.lineno}") from None
    if not isinstance(meta, dict):
        raise corrupt(path, dataset_id, "ikke et JSON-objekt")
    missing = [k for k in REQUIRED if not meta.get(k)]
    if missing:
        raise corrupt(path, dataset_id, f"mangler {', '.join(missing)}")
    problem = _field_problem(meta, dataset_id)
    if problem:
        raise corrupt(path, dataset_id, problem)
    return meta


def _field_problem(meta: dict[str, Any], dataset_id: str | None) -> str | None:
    if not isinstance(meta["sha256"], str) or not _SHA256.fullmatch(meta["sha256"]):
        return "sha256 er ikke en sjekksum"
    if dataset_id is not None and meta["table_id"] != dataset_id:
        return f"table_id {excerpt(meta['table_id'])} stemmer ikke med mappen {dataset_id}"
    try:
        moment = datetime.fromisoformat(str(meta["fetched_at"]))
    except ValueError:
        return f"fetched_at {excerpt(meta['fetched_at'])} er ikke et tidspunkt"
    if moment.tzinfo is None:
        return "fetched_at mangler tidssone"
    if meta.get("kind", "data") not in KINDS:
        return f"kind {excerpt(meta['kind'])} er ikke en av {', '.join(KINDS)}"
    for key in ("part", "parts"):
        if key in meta and not (isinstance(meta[key], int) and meta[key] >= 1):
            return f"{key} er ikke et positivt heltall"
    if not isinstance(meta.get("periods", []), list):
        return "periods er ikke en liste"
    if not isinstance(meta.get("supersedes", []), list):
        return "supersedes er ikke en liste"
    return None


def stem_of(name: str) -> str:
    """The snapshot stem of a body or sidecar name (stems have no dots)."""
    return name.split(".", 1)[0]


# --- provenance files ---------------------------------------------------------------------------


def read_provenance(path: Path, imported_name: str) -> dict[str, Any]:
    """Structured provenance from a YAML file (for recordings made by others).

    A mapping with free fields (origin: {repository, commit, path}, query, conversion,
    original_sha256, licence, citation, publisher, note). An optional `files:` mapping gives
    per-file fields keyed by the imported file's name; they are merged over the common ones.
    """
    shown = display_path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportRefused(
            f"{shown}: kan ikke leses ({exc.strerror}). Oppgi en YAML-fil med proveniens"
        ) from None
    except UnicodeDecodeError:
        raise ImportRefused(f"{shown}: er ikke UTF-8. Lagre filen som UTF-8") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" på linje {line + 1}" if line is not None else ""
        raise ImportRefused(f"{shown}: ugyldig YAML{where}. Rett filen") from None
    if not isinstance(doc, dict):
        raise ImportRefused(f"{shown}: skal være en YAML-tabell (nøkkel: verdi). Rett filen")
    files = doc.pop("files", None)
    if files is not None:
        if not isinstance(files, dict):
            raise ImportRefused(
                f"{shown}: 'files' skal være en tabell fra filnavn til felt. Rett filen"
            )
        entry = files.get(imported_name)
        if not isinstance(entry, dict):
            raise ImportRefused(
                f"{shown}: 'files' har ingen oppføring for {excerpt(imported_name)}. Legg den til, "
                "eller bruk en proveniensfil uten 'files'"
            )
        doc = _merge(doc, entry)
    sha = doc.get("sha256")
    if sha is not None and not (isinstance(sha, str) and _SHA256.fullmatch(sha)):
        raise ImportRefused(
            f"{shown}: sha256 {excerpt(sha)} er ikke en sjekksum (64 tegn 0-9a-f, "
            "i anførselstegn). Rett filen"
        )
    try:
        json.dumps(doc, ensure_ascii=False, default=_no_default)
    except (TypeError, ValueError):
        raise ImportRefused(
            f"{shown}: inneholder verdier som ikke er tekst, tall eller lister "
            "(f.eks. datoer uten anførselstegn). Sett dem i anførselstegn"
        ) from None
    return doc


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _no_default(value: object) -> object:
    raise TypeError(type(value).__name__)
