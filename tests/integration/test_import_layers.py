"""The package's modules import each other in layers, without a cycle.

Read from the source with `ast`: every import counts, also those inside functions (a lazy
import is still a dependency), except inside a package's `__init__` functions (its lazy exports,
looked up as attributes). And in a fresh interpreter every module can be imported first.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import mipr_analysis

PACKAGE = Path(mipr_analysis.__file__).parent
SSB = "mipr_analysis.ssb"
READERS = {f"{SSB}.jsonstat", f"{SSB}.statbank_csv", f"{SSB}.codes_csv"}


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imported_by(name: str) -> set[str]:
    """The package's modules that module `name` imports."""
    path = modules()[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    nodes = tree.body if is_package else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m in modules() and m != name}


@cache
def graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(imported_by(name)) for name in modules()}


def reachable(name: str) -> set[str]:
    """Every module `name` depends on, directly or through others."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for dep in graph()[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def a_cycle() -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for dep in sorted(graph()[name]):
            if state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(graph()):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_the_reader_sees_the_modules_and_their_imports():
    assert f"{SSB}.store" in graph()[f"{SSB}.frames"]
    assert f"{SSB}.statbank_csv" in graph()[f"{SSB}.imports"]
    assert f"{SSB}.jsonstat" in graph()[f"{SSB}.frames"]  # imported inside a function


def test_no_module_of_the_package_is_part_of_an_import_cycle():
    cycle = a_cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_store_knows_no_reader_and_the_readers_know_no_store():
    store = reachable(f"{SSB}.store")
    assert store.isdisjoint(READERS | {f"{SSB}.frames", f"{SSB}.imports", f"{SSB}.client"})
    for reader in READERS:
        above = {f"{SSB}.store", f"{SSB}.frames", f"{SSB}.imports", f"{SSB}.client"}
        assert reachable(reader).isdisjoint(above), reader
    assert f"{SSB}.imports" not in reachable(f"{SSB}.frames")


FIRST_IMPORTS = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import mipr_analysis

    names = sorted(m.name for m in pkgutil.walk_packages(mipr_analysis.__path__, "mipr_analysis."))
    assert len(names) > 40, names
    for name in names:
        for loaded in [m for m in sys.modules if m.split(".")[0] == "mipr_analysis"]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
        except Exception as exc:
            print(f"{name}: {type(exc).__name__}: {exc}")
    """
)


def test_every_module_can_be_imported_first_in_a_fresh_interpreter():
    done = subprocess.run(
        [sys.executable, "-c", FIRST_IMPORTS], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "", done.stdout
