"""SSB data layer: PxWebApi v2 client, JSON-stat parsing, snapshots, CSV imports.

Importing the package registers the body readers of every stored source with the store
(`statbank_csv`, `codes_csv`; JSON-stat in `store` itself), so `Snapshot.frame()` can read any
snapshot. The importers that check region codes against KLASS (`import_codes_csv`,
`import_file`) are in `mipr_analysis.ssb.imports`, above `geo.regions`.
"""

from . import codes_csv as _codes_csv  # noqa: F401  (registers the codes-csv reader)
from .client import Client
from .errors import (
    BadQuery,
    CSVFormatError,
    InvalidResponse,
    NoSnapshot,
    RateLimited,
    SnapshotCorrupt,
    SSBError,
    TableNotFound,
    Unavailable,
)
from .jsonstat import TableMetadata, read_jsonstat, read_metadata
from .statbank_csv import import_statbank_csv
from .store import InUse, Snapshot, SnapshotStore, load_table, verify_store

__all__ = [
    "BadQuery",
    "CSVFormatError",
    "Client",
    "InUse",
    "InvalidResponse",
    "NoSnapshot",
    "RateLimited",
    "SSBError",
    "Snapshot",
    "SnapshotCorrupt",
    "SnapshotStore",
    "TableMetadata",
    "TableNotFound",
    "Unavailable",
    "import_statbank_csv",
    "load_table",
    "read_jsonstat",
    "read_metadata",
    "verify_store",
]
