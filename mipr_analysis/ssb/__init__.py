"""SSB data layer: PxWebApi v2 client, JSON-stat parsing, snapshots, CSV imports.

Names are imported on first use (module `__getattr__`), so that checking the stored files (as
`mipr report` does before anything else) does not import pandas or requests.

The layers, each importing only those below it: `sidecar` (dataset ids, sidecars) -> `store`
(snapshots on disk, the in-use rule) -> the readers `jsonstat`, `statbank_csv`, `codes_csv`
(bytes to frames, and their checks; they know no store) -> `frames` (stored tables as frames:
`load_table`, the parsed-frame cache) -> `client` (PxWebApi) and `imports` (the importers, also
above `geo.regions`).
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
    "import_codes_csv": "imports",
    "import_file": "imports",
    "import_statbank_csv": "imports",
    "load_table": "frames",
    "InUse": "store",
    "Snapshot": "store",
    "SnapshotStore": "store",
    "verify_store": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
