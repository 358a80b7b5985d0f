"""SSB data layer: PxWebApi v2 client, JSON-stat parsing, snapshots, Statistikkbanken CSV import."""

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
from .store import Snapshot, SnapshotStore, load_table

__all__ = [
    "BadQuery", "CSVFormatError", "Client", "InvalidResponse", "NoSnapshot", "RateLimited",
    "SSBError", "Snapshot", "SnapshotCorrupt", "SnapshotStore", "TableMetadata", "TableNotFound",
    "Unavailable", "import_statbank_csv", "load_table", "read_jsonstat", "read_metadata",
]
