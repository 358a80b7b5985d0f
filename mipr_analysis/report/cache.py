"""What the batch remembers between runs, and what a page's output depends on.

A page is up to date when its key matches the key of its last successful, complete run. The
key covers exactly what the page depends on: its notebook, its parameters and title, the
package code the notebook imports (followed through the package's own imports), the HTML
export code, and the processed rows of the indicators it shows (the per-indicator digests in
`data/processed/manifest.json`) or the processed tables it reads, and, for a page that
compares with the previous report (`records`), that report's rows for its indicators (and its
date, only where those rows differ from now). A wording change in one notebook therefore re-runs
that notebook's pages only; a new year of one SSB table re-runs the pages that show it.

Everything here is cheap (hashlib, json, ast): with nothing changed, a batch decides to skip
every page without importing pandas, papermill or nbconvert. File hashes are remembered by
size and modification time, so unchanged files are not read again.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import mipr_analysis
from mipr_analysis import config, hashing
from mipr_analysis.atomic import atomic_write_text

STATE_VERSION = 2
PACKAGE_DIR = Path(mipr_analysis.__file__).resolve().parent
PACKAGE = "mipr_analysis"
EXPORT_MODULES = ("mipr_analysis.report.html_export", "mipr_analysis.report.page_shell")
"""Modules that shape every page's HTML (their code and templates are in every page's key)."""


def empty_state() -> dict[str, Any]:
    return {"version": STATE_VERSION, "prepare": {}, "jobs": {}, "hashes": {}, "imports": {}}


def load_state(reports_dir: Path) -> tuple[dict[str, Any], str | None]:
    """The previous run's state and, when it could not be used, why (the batch then runs all)."""
    path = config.ReportSet(reports_dir).batch_state
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty_state(), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return empty_state(), f"{path.name} kunne ikke leses; alle sidene kjøres på nytt."
    if (
        not isinstance(state, dict)
        or state.get("version") != STATE_VERSION
        or not all(isinstance(state.get(k), dict) for k in ("prepare", "jobs", "hashes"))
    ):
        return empty_state(), f"{path.name} er fra en annen versjon; alle sidene kjøres på nytt."
    return state, None


def save_state(reports_dir: Path, state: Mapping[str, Any]) -> None:
    """Write the state atomically, so an interrupted batch never leaves half a file."""
    text = json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True)
    atomic_write_text(config.ReportSet(reports_dir).batch_state, text)


class FileHashes:
    """sha256 of files, remembered by (size, mtime) in the batch state between runs."""

    def __init__(self, remembered: dict[str, list]) -> None:
        self.remembered = remembered
        self.seen: dict[str, list] = {}
        self.code_digests: dict[tuple[str, ...], str] = {}

    def of(self, path: Path) -> str:
        key = str(path)
        stat = path.stat()
        known = self.remembered.get(key)
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            digest = known[2]
        else:
            digest = hashing.file_sha256(path)
        self.seen[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest

    def tree(self, root: Path, prefix: str = "") -> dict[str, str]:
        """Hashes of every file under `root`, keyed by `prefix` + its POSIX relative path.

        Hidden files and folders (`.gitkeep`, `.ipynb_checkpoints`, lock files) and
        `__pycache__` are left out.
        """
        out: dict[str, str] = {}
        if not root.is_dir():
            return out
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            for name in sorted(files):
                if name.startswith(".") or name.endswith(".pyc"):
                    continue
                path = Path(folder, name)
                out[prefix + path.relative_to(root).as_posix()] = self.of(path)
        return out


# --- the package code a page imports ------------------------------------------------------------


def notebook_imports(notebook: Path) -> set[str]:
    """The `mipr_analysis` modules the notebook's code cells import."""
    try:
        stat = notebook.stat()
    except OSError:
        return set()
    return set(_notebook_imports(str(notebook), stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _notebook_imports(notebook: str, size: int, mtime_ns: int) -> frozenset[str]:
    """`notebook_imports`, parsed once per process for each version of a notebook (a batch
    runs several pages of one notebook)."""
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return frozenset()
    found: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", []))
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        found |= _imports("\n".join(lines), PACKAGE)
    return frozenset(found)


_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import\b|import[ \t]+\w)", re.M)


def _imports(source: str, current: str) -> set[str]:
    """Package modules imported by `source` (a module named `current`), at any depth.

    Only the import statements are parsed (found by a line scan, with their parenthesised
    continuation lines), which is much faster than parsing whole modules.
    """
    found: set[str] = set()
    for match in _IMPORT_LINE.finditer(source):
        start = match.start()
        end = source.find("\n", start)
        end = len(source) if end < 0 else end
        statement = source[start:end]
        if "(" in statement and ")" not in statement:
            close = source.find(")", end)
            statement = source[start : close + 1 if close >= 0 else len(source)]
        try:
            tree = ast.parse(statement.strip())
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, current)
                if base and base.split(".")[0] == PACKAGE:
                    found.add(base)
                    found |= {f"{base}.{a.name}" for a in node.names}
    return found


def _absolute(node: ast.ImportFrom, current: str) -> str | None:
    if not node.level:
        return node.module
    parts = current.split(".")
    is_package = (file := _module_file(current)) is not None and file.name == "__init__.py"
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@functools.cache
def _module_file(module: str) -> Path | None:
    rel = Path(*module.split(".")[1:])
    for candidate in (PACKAGE_DIR / rel / "__init__.py", PACKAGE_DIR / f"{rel}.py"):
        if candidate.is_file():
            return candidate
    return None


def module_closure(modules: Iterable[str]) -> list[Path]:
    """The files of `modules`, their parent packages and every package module they import,
    plus the data files (YAML, templates) that sit beside those modules."""
    return list(_closure(tuple(sorted(modules))))


@functools.lru_cache(maxsize=64)
def _closure(modules: tuple[str, ...]) -> tuple[Path, ...]:
    """`module_closure`, once per process for each set of modules (the files stay put)."""
    pending = list(modules)
    files: set[Path] = set()
    seen: set[str] = set()
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(module)
        if path is None:
            continue
        files.add(path)
        parts = module.split(".")
        pending += [".".join(parts[:i]) for i in range(1, len(parts))]
        pending += sorted(_module_imports(module, path))
    data = {p for f in files for p in f.parent.glob("*.yaml")}
    if any(f.parent.name == "report" for f in files):
        data |= {p for p in (PACKAGE_DIR / "report" / "templates").rglob("*") if p.is_file()}
    return tuple(sorted(files | data))


_IMPORTS: dict[tuple[str, int, int], frozenset[str]] = {}
"""Parsed imports per (module file, size, mtime): each file is parsed once, and the batch state
keeps them between runs (`remember_imports`, `imports_to_keep`)."""


def _module_imports(module: str, path: Path) -> frozenset[str]:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _IMPORTS:
        _IMPORTS[key] = frozenset(_imports(path.read_text(encoding="utf-8"), module))
    return _IMPORTS[key]


def remember_imports(kept: dict[str, list]) -> None:
    """Take the parsed imports the batch state kept ({path: [size, mtime, [modules]]})."""
    for path, (size, mtime, modules) in kept.items():
        _IMPORTS.setdefault((path, size, mtime), frozenset(modules))


def imports_to_keep() -> dict[str, list]:
    """The parsed imports of this process, newest version of each file, for the batch state."""
    return {
        path: [size, mtime, sorted(modules)] for (path, size, mtime), modules in _IMPORTS.items()
    }


def code_digest(modules: Iterable[str], hashes: FileHashes) -> str:
    """A digest of the package files `module_closure(modules)` names (paths and contents),
    computed once per set of modules for each `hashes` (the pages of one notebook share it)."""
    key = tuple(sorted(modules))
    if key not in hashes.code_digests:
        files = module_closure(key)
        hashes.code_digests[key] = hashing.digest(
            {f.relative_to(PACKAGE_DIR).as_posix(): hashes.of(f) for f in files}
        )
    return hashes.code_digests[key]
