"""The indicator system: registry, typed-in baseline figures, the build of processed tables, and
the calculations the report pages show.

Names are imported on first use (module `__getattr__`), so that reading the registry alone (as
`mipr report` does to plan its pages) does not import pandas.
"""

from importlib import import_module

_EXPORTS = {
    "recompute_table": "baseline",
    "BuildResult": "compute",
    "build": "compute",
    "derived_values": "compute",
    "indicator_values": "compute",
    "read_processed": "compute",
    "ManualDataError": "manual",
    "load_manual": "manual",
    "parse_number": "manual",
    "Indicator": "registry",
    "RegistryError": "registry",
    "focus_titles": "registry",
    "get_indicator": "registry",
    "goal_title": "registry",
    "goal_titles": "registry",
    "load_registry": "registry",
    "registry_table": "registry",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
