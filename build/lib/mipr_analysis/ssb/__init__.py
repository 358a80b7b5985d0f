"""SSB data layer: PxWebApi v2 client, JSON-stat parsing, snapshots, CSV imports.

Names are imported on first use (module `__getattr__`), so that checking the stored files (as
`mipr report` does before anything else) does not import pandas or requests. The store finds
the body reader of every stored source itself (`store._reader`). The importers that check
region codes against KLASS (`import_codes_csv`, `import_file`) are in
`mipr_analysis.ssb.imports`, above `geo.regions`.
"""

from importlib import import_module

_EXPORTS = {
    "Client": "client",
    "BadQuery": "errors",
    "CSVFormatError": "errors",
    "InvalidResponse": "errors",
    "NoSnapshot": "errors",
    "RateLimited": "errors",
    "SnapshotCorrupt": "errors",
    "SSBError": "errors",
    "TableNotFound": "errors",
    "Unavailable": "errors",
    "TableMetadata": "jsonstat",
    "read_jsonstat": "jsonstat",
    "read_metadata": "jsonstat",
    "import_statbank_csv": "statbank_csv",
    "InUse": "store",
    "Snapshot": "store",
    "SnapshotStore": "store",
    "load_table": "store",
    "verify_store": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
