"""Exceptions raised by the SSB data layer. Every expected failure is an `SSBError`."""

from __future__ import annotations

from ..errors import MiprError


class SSBError(MiprError):
    """Base class: something went wrong getting or reading SSB data."""


class TableNotFound(SSBError):
    """SSB answered 404: the table (or page) does not exist, or the GET URL was too long."""


class BadQuery(SSBError):
    """SSB answered 400 (or 403 "Too many cells selected"): the selection is wrong."""


class RateLimited(SSBError):
    """SSB answered 429 and kept doing so after the retries."""


class Unavailable(SSBError):
    """SSB answered 5xx, timed out or could not be reached, after the retries."""


class NoSnapshot(SSBError):
    """Offline (or SSB unreachable) and no stored snapshot matches the query."""


class InvalidResponse(SSBError):
    """The body is not valid JSON-stat (truncated, not JSON, or the wrong structure)."""


class SnapshotCorrupt(SSBError):
    """A stored snapshot's body does not match the sha256 in its sidecar."""


class CSVFormatError(SSBError):
    """A Statistikkbanken CSV export could not be understood."""
