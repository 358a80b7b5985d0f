"""SSB data layer: PxWebApi v2 client, JSON-stat parsing, snapshots, Statistikkbanken CSV import."""

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
