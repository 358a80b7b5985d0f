"""HTTP client for SSB's PxWebApi v2: rate-limited, retried, and every response kept as a snapshot.

Offline (`MIPR_OFFLINE=1`) it never touches the network and answers from stored snapshots.

Failures, and how long they may take:

* A refused connection or an unknown host name fails fast (`Unreachable`): one quick retry for a
  refused connection, none for a failed DNS lookup.
* Timeouts, broken connections, 429 and 502/503/504 are retried (`retries`) with exponential
  backoff. Each try waits at most `timeout` s for an answer, and all requests for one table
  together must finish within a time budget (`budget`, `MIPR_FETCH_BUDGET`, default 120 s),
  else `BudgetExceeded`. Waits that SSB asks for (`Retry-After`) and waits for the client-side
  rate limiter do not count against the budget: they are bounded and reported separately.
* `Retry-After` (on 429 or 503) is honoured exactly. A wait longer than `max_retry_wait`
  (`MIPR_MAX_RETRY_WAIT`, default 300 s) is not attempted: `RetryAfterTooLong` says at what
  time (Europe/Oslo) to try again, and no further request is sent.
* Retries and waits are reported through `Client(progress=...)`; by default the client is quiet.

The messages of the errors raised here are read by the user and are in Norwegian bokmål.
"""

from __future__ import annotations

import json as jsonlib
import logging
import math
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
import requests
import urllib3.exceptions

from .. import __version__, config
from ..config import OSLO
from ..errors import MiprError
from ..hashing import sha256_bytes
from .codelists import CODELIST_KIND, parse_codelist, stored_codelist
from .errors import (
    BadQuery,
    BudgetExceeded,
    InvalidResponse,
    NoSnapshot,
    RateLimited,
    RetryAfterTooLong,
    SSBError,
    TableNotFound,
    Unavailable,
    Unreachable,
)
from .frames import combine_parts, concat_parts
from .jsonstat import read_jsonstat, read_metadata
from .ratelimit import limiter_for
from .selection import is_explicit, is_expression, matching
from .store import PXWEB, SnapshotStore, no_snapshot_message, query_key, utc_now

log = logging.getLogger(__name__)

MAX_DATA_CELLS = 800_000
"""SSB's cell limit per request; `/config` `maxDataCells` overrides it."""
MAX_GET_URL = 1800
"""Longer GET URLs are sent as POST (SSB answers 404 past about 2100 characters)."""
TIME_DIMENSIONS = {"tid"}
DEFAULT_TIMEOUT = 30.0
"""Seconds one try waits for SSB's answer."""
DEFAULT_BUDGET = 120.0
"""Seconds one table may take, all its requests and retries together (`MIPR_FETCH_BUDGET`)."""
DEFAULT_MAX_RETRY_WAIT = 300.0
"""The longest `Retry-After` the client waits for; a longer one stops (`MIPR_MAX_RETRY_WAIT`)."""
BUDGET_ENV = "MIPR_FETCH_BUDGET"
MAX_RETRY_WAIT_ENV = "MIPR_MAX_RETRY_WAIT"
CONNECT_TIMEOUT = 10.0
"""At most this long to open a connection (the per-request `timeout` when that is shorter)."""
BACKOFF_MAX = 30.0
"""The longest pause between tries when SSB gives no `Retry-After`."""
REFUSED_RETRY_PAUSE = 1.0
"""A refused connection is tried once more after this pause, then given up."""
LIMITER_NOTICE = 1.0
"""Waits for the rate limiter shorter than this are not reported."""
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_OFFLINE_HINT = "bruk lagrede uttak med MIPR_OFFLINE=1"
_NAME_ERRORS = tuple(
    e for e in (socket.gaierror, getattr(urllib3.exceptions, "NameResolutionError", None)) if e
)

Selection = Mapping[str, Sequence[str] | str]


class StaleDataWarning(UserWarning):
    """Data came from a stored snapshot instead of SSB (offline or SSB unreachable)."""


@dataclass(frozen=True)
class Progress:
    """Something worth telling the user while a table is fetched: a retry or a wait.

    `message` is bokmål and says what happened and what comes next; `wait` is the pause in
    seconds that starts now. `str(progress)` is a console line ("07459: ...")."""

    table: str | None
    message: str
    wait: float = 0.0

    def __str__(self) -> str:
        return f"{self.table or 'SSB'}: {self.message}"


@dataclass(frozen=True)
class RequestPlan:
    """How a selection is fetched: `cells` it selects, and the `requests` (selections) it is
    split into so each stays under SSB's cell limit."""

    cells: int
    requests: list[dict[str, list[str]]]


@dataclass
class _Answer:
    """One HTTP answer with its body read in full."""

    status: int
    reason: str
    headers: Mapping[str, str]
    url: str
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class _Budget:
    """The time a table may still take; waits passed to `exclude()` do not count."""

    def __init__(self, table: str | None, seconds: float) -> None:
        self.table = table
        self.seconds = seconds
        self.start = time.monotonic()
        self.excluded = 0.0
        self.problem = ""
        """The last thing that went wrong (bokmål), for the message when the budget runs out."""

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.start - self.excluded)

    def exclude(self, seconds: float) -> None:
        self.excluded += seconds


class _Failure(Exception):
    """One try that failed below HTTP (internal: becomes a retry or an `SSBError`)."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind  # "refused" | "dns" | "timeout" | "broken" | "slow-body"
        self.text = text


def split_selection(
    selection: Mapping[str, list[str]], cells: int, max_cells: int
) -> list[dict[str, list[str]]]:
    """Split along the largest non-time explicit dimension so each part has <= max_cells."""
    if cells <= max_cells:
        return [dict(selection)]
    candidates = [
        dim
        for dim, values in selection.items()
        if dim.lower() not in TIME_DIMENSIONS and is_explicit(values) and len(values) > 1
    ]
    if not candidates:
        raise BadQuery(
            f"Utvalget {dict(selection)} gir omtrent {cells} celler, over SSBs grense på "
            f"{max_cells}, og har ingen liste med koder (utenom tid) å dele det opp etter. "
            "List kodene for den største variabelen, eller velg færre perioder."
        )
    dim = max(candidates, key=lambda d: len(selection[d]))
    values = selection[dim]
    size = math.floor(max_cells / (cells / len(values)))
    if size < 1:
        raise BadQuery(
            f"Én verdi av {dim} gir alene omtrent {cells // len(values)} celler, over SSBs "
            f"grense på {max_cells} (utvalg {dict(selection)}). Velg færre verdier av de "
            "andre variablene."
        )
    return [{**selection, dim: values[i : i + size]} for i in range(0, len(values), size)]


def _seconds_from_env(name: str, default: float) -> float:
    """A number of seconds from the environment (a decimal comma is accepted)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0) or (name == BUDGET_ENV and value == 0):
        raise MiprError(
            f"{name}={raw!r} er ikke et gyldig antall sekunder. Sett et positivt tall, for "
            f"eksempel {name}={default:g}, eller fjern variabelen."
        )
    return value


class Client:
    """PxWebApi v2 client; defaults from `config` (MIPR_SSB_URL, MIPR_DATA_DIR, MIPR_OFFLINE).

    `timeout`: seconds one try waits for an answer. `retries`: tries after the first for
    timeouts, broken connections, 429 and 502/503/504. `budget`: seconds all requests for one
    table may take together (default `MIPR_FETCH_BUDGET`, else 120). `max_retry_wait`: the
    longest `Retry-After` to wait for (default `MIPR_MAX_RETRY_WAIT`, else 300). `progress`:
    called with a `Progress` for every retry and wait (default: nothing is reported).
    """

    def __init__(
        self,
        base_url: str | None = None,
        data_dir: Path | str | None = None,
        offline: bool | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        retries: int = 4,
        backoff_factor: float = 1.0,
        budget: float | None = None,
        max_retry_wait: float | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.base_url = (base_url or config.ssb_base_url()).rstrip("/")
        self.store = SnapshotStore(data_dir)
        self.offline = config.offline() if offline is None else offline
        self.timeout = timeout
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.budget = _seconds_from_env(BUDGET_ENV, DEFAULT_BUDGET) if budget is None else budget
        self.max_retry_wait = (
            _seconds_from_env(MAX_RETRY_WAIT_ENV, DEFAULT_MAX_RETRY_WAIT)
            if max_retry_wait is None
            else max_retry_wait
        )
        self.progress = progress
        self.limiter = limiter_for(self.base_url)
        self.session = requests.Session()  # its adapters never retry: `_send` does
        self.session.headers["User-Agent"] = f"mipr-analysis/{__version__}"
        self._budget: _Budget | None = None
        self._config: dict[str, Any] | None = None
        self._metadata: dict[tuple[str, str], Any] = {}
        self._codelists: dict[tuple[str, str], tuple[dict[str, str], bytes, str]] = {}
        self._codelists_stored: set[tuple[str, tuple[str, str]]] = set()
        self._updated: dict[tuple[str, str], str | None] | None = None

    # -- public API --------------------------------------------------------------------------

    def fetch(
        self,
        table_id: str,
        selection: Selection,
        codelists: Mapping[str, str] | None = None,
        lang: str = "no",
        *,
        fallback: bool = False,
        reuse: bool = False,
    ) -> pd.DataFrame:
        """Fetch a selection as a frame (`attrs["snapshot"]` says which snapshot holds it).

        `reuse`: skip the data request when the stored snapshot of this query has SSB's current
        `updated`. `fallback`: when SSB is unavailable or rate-limits, use the stored snapshot.
        The call's requests share one time budget, unless it runs inside `table_budget()`.
        """
        sel = {dim: [v] if isinstance(v, str) else list(v) for dim, v in selection.items()}
        lists = dict(codelists or {})
        key = query_key(table_id, sel, lists, lang)
        if self.offline:
            return self._stored(table_id, key, "frakoblet modus (MIPR_OFFLINE=1)")
        try:
            with self.table_budget(table_id):
                if reuse and (frame := self._reusable(table_id, key, lang)) is not None:
                    return frame
                return self._fetch_online(table_id, sel, lists, lang, key)
        except (Unavailable, RateLimited) as exc:
            if not fallback:
                raise
            return self._stored(table_id, key, f"SSB svarte ikke ({exc})")

    @contextmanager
    def table_budget(self, table_id: str) -> Iterator[None]:
        """Every request inside the block shares one time budget of `self.budget` seconds
        (`mipr fetch` opens one per table around all its queries). Nested blocks share the
        outermost budget."""
        if self._budget is not None:
            yield
            return
        self._budget = _Budget(table_id, self.budget)
        try:
            yield
        finally:
            self._budget = None

    @contextmanager
    def one_check_per_table(self) -> Iterator[None]:
        """Within the block, `fetch(reuse=True)` asks SSB for a table's `updated` only once,
        however many queries of the table it reuses (as `mipr fetch` does)."""
        self._updated = {}
        try:
            yield
        finally:
            self._updated = None

    def metadata(self, table_id: str, lang: str = "no"):
        """The table's metadata (`TableMetadata`), stored as a snapshot with `kind: metadata`."""
        if (table_id, lang) in self._metadata:
            return self._metadata[(table_id, lang)]
        key = query_key(table_id, None, None, lang, kind="metadata")
        if self.offline:
            snap = self.store.latest(table_id, key, kind="metadata")
            if snap is None:
                raise NoSnapshot(
                    no_snapshot_message(table_id) + " (ingen lagret metadata; frakoblet modus)"
                )
            meta = read_metadata(snap.read_bytes())
        else:
            url = self._url(f"/tables/{quote(table_id)}/metadata", [("lang", lang)])
            body = self._send("GET", url, table_id, what="metadata").content
            try:
                meta = read_metadata(body)
            except InvalidResponse as exc:
                log.debug("metadata of %s unreadable: %s", table_id, exc)
                raise InvalidResponse(
                    _bad_body_message(f"metadataen for tabell {table_id}", body)
                ) from exc
            stored = self.store.latest(table_id, key, kind="metadata")
            if stored is None or stored.meta.get("sha256") != sha256_bytes(body):
                self.store.save(  # unchanged metadata is not stored again
                    table_id,
                    body,
                    source=PXWEB,
                    query_key=key,
                    kind="metadata",
                    url=url,
                    method="GET",
                    query=None,
                    lang=lang,
                    ssb_updated=_iso(meta.updated),
                )
        self._metadata[(table_id, lang)] = meta
        return meta

    def table_info(self, table_id: str, lang: str = "no") -> dict[str, Any]:
        """`GET /tables/{id}`: label, `updated`, firstPeriod, lastPeriod, discontinued, ..."""
        url = self._url(f"/tables/{quote(table_id)}", [("lang", lang)])
        return _json(self._send("GET", url, table_id, what="tabellinfo"), f"tabell {table_id}")

    def server_config(self) -> dict[str, Any]:
        """`GET /config` once per client; stricter rate limits there tighten the limiter."""
        if self._config is None:
            try:
                cfg = _json(
                    self._send("GET", self._url("/config", []), what="oppsett (/config)"),
                    "oppsettet (/config)",
                )
            except TableNotFound:
                cfg = {}
            self.limiter.tighten(cfg.get("maxCallsPerTimeWindow"), cfg.get("timeWindow"))
            self._config = cfg
        return self._config

    def codelist(
        self, codelist_id: str, lang: str = "no", *, table_id: str | None = None
    ) -> dict[str, str]:
        """The codes of a grouping or valueset (`GET /codelists/{id}`), code -> label in SSB's
        order; asked for once per client.

        With `table_id` the response is stored as a snapshot of that table (`kind: codelist`,
        once while it is unchanged), since the table's query depends on it; offline it is
        read from there.
        """
        if self.offline:
            codes = stored_codelist(self.store, table_id, codelist_id) if table_id else None
            if codes is None:
                raise NoSnapshot(
                    f"Kodelisten {codelist_id} er ikke lagret"
                    + (f" for tabell {table_id}" if table_id else "")
                    + " (frakoblet modus). Kjør `mipr fetch --check` med internett."
                )
            return codes
        key = query_key(codelist_id, None, None, lang, kind=CODELIST_KIND)
        cached = (codelist_id.lower(), lang)
        if cached not in self._codelists:
            url = self._url(f"/codelists/{quote(codelist_id)}", [("lang", lang)])
            try:
                body = self._send("GET", url, what=f"kodeliste {codelist_id}").content
            except TableNotFound as exc:  # the query names a codelist SSB does not have
                raise BadQuery(
                    f"SSB har ikke kodelisten {codelist_id}"
                    + (f" (brukt for tabell {table_id})" if table_id else "")
                    + ". Sjekk navnet mot kodelistene i tabellens metadata "
                    "(`mipr fetch --check` viser dem)."
                ) from exc
            self._codelists[cached] = (parse_codelist(body, codelist_id, url), body, url)
        codes, body, url = self._codelists[cached]
        if table_id is not None and (table_id, cached) not in self._codelists_stored:
            stored = self.store.latest(table_id, key, kind=CODELIST_KIND)
            if stored is None or stored.meta.get("sha256") != sha256_bytes(body):
                self.store.save(
                    table_id,
                    body,
                    source=PXWEB,
                    query_key=key,
                    kind=CODELIST_KIND,
                    codelist=codelist_id,
                    url=url,
                    method="GET",
                    query=None,
                    lang=lang,
                )
            self._codelists_stored.add((table_id, cached))
        return dict(codes)

    def request_plan(
        self,
        table_id: str,
        selection: Selection,
        codelists: Mapping[str, str] | None = None,
        lang: str = "no",
    ) -> RequestPlan:
        """How `fetch` asks for a selection: the cells it selects and the requests it is split
        into under SSB's cell limit (`/config` `maxDataCells`). `mipr fetch --check` shows the
        same numbers. Asks SSB for `/config`, the metadata and codelists it needs, never data.
        """
        sel = {dim: [v] if isinstance(v, str) else list(v) for dim, v in selection.items()}
        lists = dict(codelists or {})
        max_cells = int(self.server_config().get("maxDataCells") or MAX_DATA_CELLS)
        cells = self.estimate_cells(table_id, sel, lists, lang)
        if cells > max_cells:
            sel = self._explicit(table_id, sel, lists, lang)
        return RequestPlan(cells, split_selection(sel, cells, max_cells))

    def estimate_cells(
        self,
        table_id: str,
        selection: Mapping[str, list[str]],
        codelists: Mapping[str, str] | None = None,
        lang: str = "no",
    ) -> int:
        """Cells a selection asks for; expressions and wildcards are counted from metadata
        (and from the codelist for a variable fetched with one)."""
        if all(is_explicit(values) for values in selection.values()):
            return math.prod(len(values) for values in selection.values())
        lists = dict(codelists or {})
        listed = self._list_codelist_values(table_id, dict(selection), lists, lang)
        return int(self.metadata(table_id, lang).cells(listed, lists))

    def _list_codelist_values(
        self, table_id: str, selection: dict[str, list[str]], codelists: dict[str, str], lang: str
    ) -> dict[str, list[str]]:
        """Wildcards on a variable with a codelist, matched against the codelist's codes."""
        out = dict(selection)
        for dim, values in selection.items():
            if dim in codelists and not is_explicit(values):
                if unsupported := [v for v in values if is_expression(v)]:
                    raise BadQuery(
                        f"Uttrykket {unsupported[0]!r} på {dim} støttes ikke av mipr_analysis "
                        f"sammen med kodelisten {codelists[dim]}. Bruk «*» eller list kodene."
                    )
                codes = list(self.codelist(codelists[dim], lang, table_id=table_id))
                picked: list[str] = []
                for value in values:
                    found = (
                        matching(codes, value)
                        if not is_explicit([value])
                        else ([c for c in codes if c.lower() == value.lower()])
                    )
                    picked += [c for c in found if c not in picked]
                out[dim] = [c for c in codes if c in picked]
                if not out[dim] and values:
                    raise BadQuery(
                        f"Utvalget {values} på {dim} passer ikke med noen kode i kodelisten "
                        f"{codelists[dim]}. Sjekk kodene mot kodelisten (Client.codelist)."
                    )
        return out

    # -- internals ---------------------------------------------------------------------------

    def _fetch_online(
        self,
        table_id: str,
        selection: dict[str, list[str]],
        codelists: dict[str, str],
        lang: str,
        key: str,
    ) -> pd.DataFrame:
        chunks = self.request_plan(table_id, selection, codelists, lang).requests
        fetched_at = utc_now()
        received = []
        for number, chunk in enumerate(chunks, start=1):
            what = f"data, del {number}/{len(chunks)}" if len(chunks) > 1 else "data"
            body, provenance = self._data_request(table_id, chunk, codelists, lang, what)
            try:
                frame = read_jsonstat(body)
            except InvalidResponse as exc:  # nothing is stored
                log.debug("data of %s (%s) unreadable: %s", table_id, what, exc)
                raise InvalidResponse(_bad_body_message(f"tabell {table_id}", body)) from exc
            received.append((body, provenance, frame))
        parts = len(chunks) if len(chunks) > 1 else None
        snaps = []
        for number, (body, provenance, frame) in enumerate(received, start=1):
            snaps.append(
                self.store.save(
                    table_id,
                    body,
                    source=PXWEB,
                    query_key=key,
                    fetched_at=fetched_at,
                    lang=lang,
                    ssb_updated=_iso(frame.attrs.get("updated")),
                    part=number if parts else None,
                    parts=parts,
                    **provenance,
                )
            )
        return combine_parts([frame for _, _, frame in received], snaps)

    def _explicit(
        self, table_id: str, selection: dict[str, list[str]], codelists: dict[str, str], lang: str
    ) -> dict[str, list[str]]:
        """Wildcards and expressions on non-time variables listed as codes, so a split can
        cut along them (variables with a codelist keep their expressions)."""
        meta = self.metadata(table_id, lang)
        listed = self._list_codelist_values(table_id, selection, codelists, lang)
        return {
            dim: values
            if is_explicit(values) or dim.lower() in TIME_DIMENSIONS
            else list(meta.expand(dim, values))
            for dim, values in listed.items()
        }

    def _data_request(
        self,
        table_id: str,
        selection: dict[str, list[str]],
        codelists: dict[str, str],
        lang: str,
        what: str = "data",
    ) -> tuple[bytes, dict[str, Any]]:
        path = f"/tables/{quote(table_id)}/data"
        base = [("lang", lang), ("outputFormat", "json-stat2")]
        params = base + [
            (f"valueCodes[{d}]", ",".join(map(_wrap, v))) for d, v in selection.items()
        ]
        params += [(f"codelist[{d}]", c) for d, c in codelists.items()]
        url = self._url(path, params)
        if len(url) <= MAX_GET_URL:
            answer = self._send("GET", url, table_id, selection, what=what)
            query: dict[str, Any] = {"selection": selection, "codelists": codelists}
            return answer.content, {"url": url, "method": "GET", "query": query}
        url = self._url(path, base)
        body = {"selection": [_post_item(d, v, codelists.get(d)) for d, v in selection.items()]}
        body["selection"] += [
            _post_item(d, None, c) for d, c in codelists.items() if d not in selection
        ]
        answer = self._send("POST", url, table_id, selection, body=body, what=what)
        return answer.content, {"url": url, "method": "POST", "query": body}

    def _url(self, path: str, params: list[tuple[str, str]]) -> str:
        query = urlencode(params, safe=",*()", quote_via=quote)
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def _tell(self, table_id: str | None, message: str, wait: float = 0.0) -> None:
        log.debug("progress %s: %s", table_id, message)
        if self.progress is not None:
            self.progress(Progress(table_id, message, wait))

    def _send(
        self,
        method: str,
        url: str,
        table_id: str | None = None,
        selection: Mapping[str, list[str]] | None = None,
        body: Any = None,
        *,
        what: str = "forespørsel",
    ) -> _Answer:
        """One request with retries, within the table's time budget (see the module doc)."""
        budget = self._budget or _Budget(table_id, self.budget)
        table_id = table_id or budget.table
        subject = f"tabell {table_id}" if table_id else what
        lead = "" if what == "data" else f"{what.removeprefix('data, ')}: "  # for progress
        tries = self.retries + 1
        attempt = 0
        backoffs = 0
        refused_retried = False
        while True:
            attempt += 1
            if budget.remaining() <= 0:
                raise self._over_budget(budget, subject)
            waited = self.limiter.acquire(on_wait=lambda s: self._limiter_wait(table_id, s))
            budget.exclude(waited or 0.0)  # the limiter's pacing is not the table's time
            read = min(self.timeout, budget.remaining())
            if read <= 0:
                raise self._over_budget(budget, subject)
            try:
                answer = self._attempt(
                    method, url, body, (min(CONNECT_TIMEOUT, read), read), budget
                )
            except _Failure as failure:
                log.debug("%s %s try %d: %s", method, url, attempt, failure.kind)
                if not (failure.kind == "timeout" and read < self.timeout and budget.problem):
                    budget.problem = failure.text  # (a try the budget cut short says less)
                if failure.kind == "slow-body":
                    raise self._over_budget(budget, subject) from failure.__cause__
                if failure.kind == "dns":
                    raise Unreachable(
                        self._unreachable_message(failure.text)
                    ) from failure.__cause__
                if failure.kind == "refused":
                    if refused_retried or budget.remaining() <= REFUSED_RETRY_PAUSE:
                        raise Unreachable(
                            self._unreachable_message(failure.text)
                        ) from failure.__cause__
                    refused_retried = True
                    self._tell(
                        table_id,
                        f"{lead}{failure.text}; prøver én gang til om "
                        f"{_s(REFUSED_RETRY_PAUSE)} s …",
                        REFUSED_RETRY_PAUSE,
                    )
                    time.sleep(REFUSED_RETRY_PAUSE)
                    attempt -= 1  # the quick retry is not one of `retries`
                    continue
                if attempt >= tries:
                    raise Unavailable(
                        f"SSB svarte ikke som ventet for {subject}: {failure.text} "
                        f"({tries} forsøk). Prøv igjen senere, eller {_OFFLINE_HINT}."
                    ) from failure.__cause__
                backoffs += 1
                wait = self._backoff(backoffs)
                if wait >= budget.remaining():
                    raise self._over_budget(budget, subject) from failure.__cause__
                self._tell(
                    table_id,
                    f"{lead}forsøk {attempt} av {tries} {failure.text}; "
                    f"forsøk {attempt + 1} om {_s(wait)} s …",
                    wait,
                )
                time.sleep(wait)
                continue
            if answer.status == 200:
                return answer
            if answer.status not in _RETRY_STATUSES:
                raise _http_error(answer, table_id, selection, attempt)
            said = _said(answer)
            budget.problem = f"SSB svarte {said}"
            retry_after = _retry_after(answer.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.max_retry_wait:
                raise self._too_long_wait(answer, subject, retry_after)
            if attempt >= tries:
                raise _http_error(answer, table_id, selection, attempt, retry_after)
            if retry_after is not None:  # SSB's wait, exactly; not counted in the budget
                until = _oslo(datetime.now(UTC) + timedelta(seconds=retry_after))
                self._tell(
                    table_id,
                    f"{lead}SSB svarte {said} og ber oss vente "
                    f"{_s(retry_after)} s; venter til kl. {until:%H:%M:%S} før "
                    f"forsøk {attempt + 1} av {tries} …",
                    retry_after,
                )
                time.sleep(retry_after)
                budget.exclude(retry_after)
                continue
            backoffs += 1
            wait = self._backoff(backoffs)
            if wait >= budget.remaining():
                raise self._over_budget(budget, subject)
            self._tell(
                table_id,
                f"{lead}SSB svarte {said} på forsøk {attempt} av {tries}; "
                f"forsøk {attempt + 1} om {_s(wait)} s …",
                wait,
            )
            time.sleep(wait)

    def _attempt(
        self, method: str, url: str, body: Any, timeout: tuple[float, float], budget: _Budget
    ) -> _Answer:
        """One HTTP try; the body is read within the budget. Transport errors: `_Failure`."""
        try:
            response = self.session.request(method, url, json=body, timeout=timeout, stream=True)
            try:
                chunks = []
                for chunk in response.iter_content(chunk_size=8192):  # blocks until full
                    chunks.append(chunk)
                    if budget.remaining() <= 0:
                        raise _Failure("slow-body", "svaret kom for sakte")
                return _Answer(
                    response.status_code,
                    response.reason or "",
                    response.headers,
                    response.url,
                    b"".join(chunks),
                )
            except BaseException:
                response.close()
                raise
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as exc:
            raise SSBError(
                f"Adressen til SSB er ugyldig: {url} ({type(exc).__name__}). Rett MIPR_SSB_URL "
                f"(eller Client(base_url=...)), for eksempel til {config.SSB_API_URL}."
            ) from exc
        except requests.RequestException as exc:
            raise self._classify(exc, url, timeout[1]) from exc

    def _classify(self, exc: requests.RequestException, url: str, read: float) -> _Failure:
        """What a transport error means for the user (bokmål) and for retrying."""
        causes = list(_causes(exc))
        parts = urlsplit(url)
        host = parts.hostname or parts.netloc
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if any(isinstance(c, ConnectionRefusedError) for c in causes):
            return _Failure("refused", f"tilkoblingen ble avvist av {host}:{port}")
        if any(isinstance(c, _NAME_ERRORS) for c in causes):
            return _Failure("dns", f"fant ikke vertsnavnet {host}")
        if isinstance(exc, requests.ConnectTimeout):
            return _Failure(
                "timeout",
                f"fikk ikke koblet til {host}:{port} på {_s(min(CONNECT_TIMEOUT, read))} s",
            )
        if isinstance(exc, requests.Timeout) or any(
            isinstance(c, (urllib3.exceptions.ReadTimeoutError, TimeoutError, socket.timeout))
            for c in causes
        ):
            return _Failure("timeout", f"fikk ikke svar på {_s(read)} s")
        root = next(
            (
                c
                for c in causes
                if not isinstance(c, (requests.RequestException, urllib3.exceptions.HTTPError))
            ),
            exc,
        )
        return _Failure("broken", f"mistet forbindelsen ({type(root).__name__})")

    def _unreachable_message(self, text: str) -> str:
        return (
            f"SSB svarte ikke: {text} ({self.base_url}). Sjekk nettverket og adressen "
            f"(MIPR_SSB_URL; standard er {config.SSB_API_URL}), eller {_OFFLINE_HINT}."
        )

    def _over_budget(self, budget: _Budget, subject: str) -> BudgetExceeded:
        why = f" ({budget.problem})" if budget.problem else ""
        return BudgetExceeded(
            f"{subject[:1].upper()}{subject[1:]} ble ikke ferdig innen tidsbudsjettet på "
            f"{_s(budget.seconds)} s{why}. Prøv igjen senere, eller gi hver tabell mer tid med "
            f"{BUDGET_ENV}=<sekunder> (eller {_OFFLINE_HINT})."
        )

    def _too_long_wait(self, answer: _Answer, subject: str, seconds: float) -> RetryAfterTooLong:
        at = _oslo(datetime.now(UTC) + timedelta(seconds=seconds))
        at_minute = (
            at
            if at == at.replace(second=0, microsecond=0)
            else (at + timedelta(minutes=1)).replace(second=0, microsecond=0)
        )  # never too early
        return RetryAfterTooLong(
            f"SSB svarte {_said(answer)} for {subject} og ber oss vente {_s(seconds)} s, lenger "
            f"enn grensen på {_s(self.max_retry_wait)} s. Prøv igjen etter kl. "
            f"{at_minute:%H:%M} (norsk tid), eller sett {MAX_RETRY_WAIT_ENV} høyere for å "
            "vente så lenge.",
            retry_at=at,
        )

    def _limiter_wait(self, table_id: str | None, seconds: float) -> None:
        if seconds >= LIMITER_NOTICE:
            self._tell(
                table_id,
                f"venter {_s(seconds)} s på ledig plass i kvoten hos SSB "
                f"({self.limiter.max_calls} kall per "
                f"{_s(self.limiter.window)} s) …",
                seconds,
            )

    def _backoff(self, number: int) -> float:
        return min(BACKOFF_MAX, self.backoff_factor * 2 ** (number - 1))

    def _stored(self, table_id: str, key: str, why: str) -> pd.DataFrame:
        parts = self.store.latest_complete(table_id, key)
        if not parts:
            raise NoSnapshot(no_snapshot_message(table_id, key) + f" (årsak: {why})")
        frame = concat_parts(parts)
        snap = frame.attrs["snapshot"]
        warnings.warn(
            f"Bruker lagret uttak av SSB-tabell {table_id} hentet {snap['fetched_at'][:10]} "
            f"({snap['age_days']} dager gammelt) fordi {why}.",
            StaleDataWarning,
            stacklevel=3,
        )
        return frame

    def _reusable(self, table_id: str, key: str, lang: str) -> pd.DataFrame | None:
        parts = self.store.latest_complete(table_id, key)
        if not parts:
            return None
        if self._updated is None:
            current = _iso(self.table_info(table_id, lang).get("updated"))
        else:  # inside `one_check_per_table()`
            if (table_id, lang) not in self._updated:
                self._updated[(table_id, lang)] = _iso(
                    self.table_info(table_id, lang).get("updated")
                )
            current = self._updated[(table_id, lang)]
        if current is None or current != _iso(parts[0].meta.get("ssb_updated")):
            return None
        return concat_parts(parts)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (causes, contexts, urllib3 `reason`, args)."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        current = stack.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack += [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
            *current.args,
        ]


def _s(seconds: float) -> str:
    """Seconds for a bokmål message (decimal comma): 45, 2,5, 0,25."""
    if seconds >= 10 or float(seconds).is_integer():
        return f"{seconds:.0f}"
    text = f"{seconds:.1f}" if seconds >= 1 else f"{seconds:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _oslo(moment: datetime) -> datetime:
    return moment.astimezone(OSLO)


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds from now (delay-seconds or an HTTP date); None if absent or
    unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        log.debug("unreadable Retry-After %r ignored", value)
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _wrap(code: str) -> str:
    """SSB's GET syntax: a code that contains a comma is written in brackets."""
    return f"[{code}]" if "," in code else code


def _post_item(dim: str, values: list[str] | None, codelist: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"variableCode": dim}
    if codelist:
        item["codelist"] = codelist
    if values is not None:
        item["valueCodes"] = values
    return item


def _iso(value: Any) -> str | None:
    """SSB's `updated` as a normalised UTC ISO string (None stays None)."""
    if value is None or value == "":
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat().replace("+00:00", "Z")


def _json(answer: _Answer, what: str) -> Any:
    try:
        return answer.json()
    except ValueError as exc:
        log.debug("answer from %s is not JSON: %s", answer.url, exc)
        raise InvalidResponse(_bad_body_message(what, answer.content)) from exc


def _bad_body_message(what: str, body: bytes) -> str:
    """One bokmål line for an answer that could not be read."""
    if not body.strip():
        found = "et tomt svar"
    else:
        try:
            jsonlib.loads(body)
            found = "JSON, men ikke i formen som ventet (JSON-stat 2.0)"
        except ValueError:
            start = " ".join(body[:40].decode("utf-8", "replace").split())
            found = f"noe som ikke er gyldig JSON (begynner med «{start}»)"
    return (
        f"SSB sendte {found} for {what}, så ingenting ble lagret. Prøv igjen om litt; "
        "fortsetter det, sjekk SSBs driftsmeldinger på ssb.no."
    )


def _problem(answer: _Answer) -> tuple[str, str]:
    """The problem+json `title` and `detail` (or the start of the body)."""
    try:
        body = answer.json()
    except ValueError:
        return answer.reason or "", " ".join(answer.text[:200].split())
    if not isinstance(body, dict):
        return answer.reason or "", str(body)[:200]
    return str(body.get("title") or answer.reason or ""), str(body.get("detail") or "")


def _said(answer: _Answer) -> str:
    """`503 Service Unavailable` (plus the problem's detail, when it adds something)."""
    title, detail = _problem(answer)
    said = f"{answer.status} {title}".strip()
    if detail and detail.lower() != title.lower():
        said += f": {detail}"
    return said


def _http_error(
    answer: _Answer,
    table_id: str | None,
    selection: Mapping[str, list[str]] | None,
    tries: int,
    retry_after: float | None = None,
) -> SSBError:
    status = answer.status
    title, _ = _problem(answer)
    said = _said(answer)
    table = f"tabell {table_id}" if table_id else answer.url
    if status == 404:
        return TableNotFound(
            f"SSB har ikke {table} ({said}). Sjekk tabellnummeret i Statistikkbanken; "
            "tabeller som er avsluttet, får nye numre."
        )
    if status == 400 or (status == 403 and "too many cells" in title.lower()):
        return BadQuery(
            f"SSB avviste spørringen for {table} ({said}; utvalg {dict(selection or {})}). "
            "Sjekk variabel- og verdikodene mot tabellens metadata (Client.metadata), og del "
            "opp store utvalg."
        )
    if status == 429:
        later = ""
        if retry_after is not None:
            at = _oslo(datetime.now(UTC) + timedelta(seconds=retry_after))
            later = f" (SSB ber om å vente til kl. {at:%H:%M:%S})"
        return RateLimited(
            f"SSB svarte fortsatt {said} for {table} etter {tries} forsøk. Grensen (30 kall "
            f"per 60 s) deles av alle bak samme IP-adresse: vent et minutt{later} og prøv igjen."
        )
    if status >= 500:
        return Unavailable(
            f"SSB svarte {said} for {table} etter {tries} forsøk. Prøv igjen senere, eller "
            f"{_OFFLINE_HINT}."
        )
    return SSBError(
        f"SSB svarte uventet {said} for {table}. Prøv igjen senere; fortsetter det, sjekk "
        "MIPR_SSB_URL og SSBs driftsmeldinger på ssb.no."
    )
