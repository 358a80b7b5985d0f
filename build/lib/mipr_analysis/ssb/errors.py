"""Exceptions raised by the SSB data layer. Every expected failure is an `SSBError`."""

from __future__ import annotations

from datetime import datetime

from ..errors import MiprError


class SSBError(MiprError):
    """Base class: something went wrong getting or reading SSB data."""


class TableNotFound(SSBError):
    """SSB answered 404: the table (or page) does not exist, or the GET URL was too long."""


class BadQuery(SSBError):
    """SSB answered 400 (or 403 "Too many cells selected"): the selection is wrong."""


class RateLimited(SSBError):
    """SSB answered 429 and kept doing so after the retries (or asked for too long a wait)."""


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


class Unreachable(Unavailable):
    """SSB could not be reached at all: the connection was refused or the host name is unknown.

    Retrying does not help within one run, so `mipr fetch` stops at the first one."""


class BudgetExceeded(Unavailable):
    """One table's time budget (`Client(budget=...)`, `MIPR_FETCH_BUDGET`) ran out."""


class RetryAfterTooLong(RateLimited):
    """SSB (429 or 503) asked us to wait longer than `Client(max_retry_wait=...)`
    (`MIPR_MAX_RETRY_WAIT`); `retry_at` is when it said to come back (aware datetime)."""

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at
