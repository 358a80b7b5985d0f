"""The conda environment.yml and pyproject.toml must name the same dependencies and pins."""

from __future__ import annotations

import re
import tomllib

import yaml

from mipr_analysis import config

# conda-forge spells a few packages differently from PyPI.
CONDA_NAMES = {"pyyaml": "pyyaml"}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, f"cannot read requirement {requirement!r}"
    name = match.group(1).lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), match.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    return dict(_split(r) for r in reqs)


def _environment() -> dict[str, str]:
    """conda's dependencies, and those it takes from PyPI (`pip:`) except the project itself."""
    env = yaml.safe_load((config.REPO_ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = {}
    for item in env["dependencies"]:
        if isinstance(item, str) and not item.startswith(("python=", "pip")):
            name, spec = _split(item)
            deps[name] = spec
        elif isinstance(item, dict):
            for req in item.get("pip", []):
                if not req.startswith("-e"):
                    name, spec = _split(req)
                    deps[name] = spec
    return deps


def test_environment_yml_matches_pyproject():
    assert _environment() == _pyproject()


def test_critical_pins():
    deps = _pyproject()
    assert deps["pyjstat"] == "==2.4.0"
    assert deps["pandas"].endswith(",<4"), "pandas' major version must be pinned"


def test_environment_pins_python_311():
    env = yaml.safe_load((config.REPO_ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.11" in env["dependencies"]
