"""The indicator system: registry, typed-in baseline figures, and the build of processed tables."""

from .baseline import recompute_table
from .compute import BuildResult, build, derived_values, indicator_values, read_processed
from .manual import ManualDataError, load_manual, parse_number
from .registry import Indicator, RegistryError, get_indicator, load_registry, registry_table

__all__ = [
    "BuildResult",
    "Indicator",
    "ManualDataError",
    "RegistryError",
    "build",
    "derived_values",
    "get_indicator",
    "indicator_values",
    "load_manual",
    "load_registry",
    "parse_number",
    "read_processed",
    "recompute_table",
    "registry_table",
]
