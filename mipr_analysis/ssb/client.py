"""HTTP client for SSB's PxWebApi v2: rate-limited, retried, and every response kept as a snapshot.

Offline (`MIPR_OFFLINE=1`) it never touches the network and answers from stored snapshots.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .. import __version__, config
from .errors import (
    BadQuery,
    InvalidResponse,
    NoSnapshot,
    RateLimited,
    SSBError,
    TableNotFound,
    Unavailable,
)
from .jsonstat import read_jsonstat, read_metadata
from .ratelimit import RateLimiter, limiter_for
from .store import (
    PXWEB,
    SnapshotStore,
    combine_parts,
    concat_parts,
    no_snapshot_message,
    query_key,
    utc_now,
)

MAX_DATA_CELLS = 800_000
"""SSB's cell limit per request; `/config` `maxDataCells` overrides it."""
MAX_GET_URL = 1800
"""Longer GET URLs are sent as POST (SSB answers 404 past about 2100 characters)."""
TIME_DIMENSIONS = {"tid"}
_EXPRESSION = re.compile(r"[*?]|^\s*(top|bottom|range|from|to)\s*\(", re.IGNORECASE)

Selection = Mapping[str, Sequence[str] | str]


class StaleDataWarning(UserWarning):
    """Data came from a stored snapshot instead of SSB (offline or SSB unreachable)."""


class _LimitedRetry(Retry):
    """urllib3 Retry that waits for the rate limiter before every retry attempt."""

    limiter: RateLimiter | None = None

    def new(self, **kw: Any) -> _LimitedRetry:
        retry = super().new(**kw)
        retry.limiter = self.limiter
        return retry

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        if self.limiter is not None:
            self.limiter.acquire()


class _LimitedAdapter(HTTPAdapter):
    """Transport adapter that waits for the rate limiter before each request's first attempt."""

    def __init__(self, limiter: RateLimiter, retry: _LimitedRetry) -> None:
        self.limiter = limiter
        super().__init__(max_retries=retry)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any):
        self.limiter.acquire()
        return super().send(request, *args, **kwargs)


def is_explicit(values: Sequence[str]) -> bool:
    """True when no value is a wildcard or a selection expression (`top(3)`, `from(2015)`)."""
    return not any(_EXPRESSION.search(v) for v in values)


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
            f"the selection has about {cells} cells, over SSB's limit of {max_cells}, and no "
            "explicit list of codes (other than time) to split it along. List the codes of the "
            f"largest variable explicitly, or select fewer periods. Selection: {dict(selection)}"
        )
    dim = max(candidates, key=lambda d: len(selection[d]))
    values = selection[dim]
    size = math.floor(max_cells / (cells / len(values)))
    if size < 1:
        raise BadQuery(
            f"one value of {dim} alone gives about {cells // len(values)} cells, over SSB's "
            f"limit of {max_cells}: narrow the other variables. Selection: {dict(selection)}"
        )
    return [{**selection, dim: values[i : i + size]} for i in range(0, len(values), size)]


class Client:
    """PxWebApi v2 client; defaults from `config` (MIPR_SSB_URL, MIPR_DATA_DIR, MIPR_OFFLINE)."""

    def __init__(
        self,
        base_url: str | None = None,
        data_dir: Path | str | None = None,
        offline: bool | None = None,
        timeout: float = 30,
        *,
        retries: int = 4,
        backoff_factor: float = 1.0,
        retry_after_max: int = 30,
    ) -> None:
        self.base_url = (base_url or config.ssb_base_url()).rstrip("/")
        self.store = SnapshotStore(data_dir)
        self.offline = config.offline() if offline is None else offline
        self.timeout = timeout
        self.retries = retries
        self.limiter = limiter_for(self.base_url)
        retry = _LimitedRetry(
            total=retries,
            backoff_factor=backoff_factor,
            backoff_max=retry_after_max,
            retry_after_max=retry_after_max,
            status_forcelist=(429, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            raise_on_status=False,
        )
        retry.limiter = self.limiter
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"mipr-analysis/{__version__}"
        adapter = _LimitedAdapter(self.limiter, retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._config: dict[str, Any] | None = None
        self._metadata: dict[tuple[str, str], Any] = {}
        self._codelists: dict[tuple[str, str], list[str]] = {}
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
        """
        sel = {dim: [v] if isinstance(v, str) else list(v) for dim, v in selection.items()}
        lists = dict(codelists or {})
        key = query_key(table_id, sel, lists, lang)
        if self.offline:
            return self._stored(table_id, key, "frakoblet modus (MIPR_OFFLINE=1)")
        try:
            if reuse and (frame := self._reusable(table_id, key, lang)) is not None:
                return frame
            return self._fetch_online(table_id, sel, lists, lang, key)
        except (Unavailable, RateLimited) as exc:
            if not fallback:
                raise
            return self._stored(table_id, key, f"SSB svarte ikke ({type(exc).__name__}: {exc})")

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
                raise NoSnapshot(no_snapshot_message(table_id) + " (no stored metadata; offline)")
            meta = snap.metadata()
        else:
            url = self._url(f"/tables/{quote(table_id)}/metadata", [("lang", lang)])
            body = self._send("GET", url, table_id).content
            meta = read_metadata(body)
            stored = self.store.latest(table_id, key, kind="metadata")
            if stored is None or stored.meta.get("sha256") != hashlib.sha256(body).hexdigest():
                self.store.save(  # unchanged metadata is not stored again
                    table_id, body, source=PXWEB, query_key=key, kind="metadata", url=url,
                    method="GET", query=None, lang=lang, ssb_updated=_iso(meta.updated),
                )
        self._metadata[(table_id, lang)] = meta
        return meta

    def table_info(self, table_id: str, lang: str = "no") -> dict[str, Any]:
        """`GET /tables/{id}`: label, `updated`, firstPeriod, lastPeriod, discontinued, ..."""
        url = self._url(f"/tables/{quote(table_id)}", [("lang", lang)])
        return _json(self._send("GET", url, table_id))

    def server_config(self) -> dict[str, Any]:
        """`GET /config` once per client; stricter rate limits there tighten the limiter."""
        if self._config is None:
            try:
                cfg = _json(self._send("GET", self._url("/config", [])))
            except TableNotFound:
                cfg = {}
            self.limiter.tighten(cfg.get("maxCallsPerTimeWindow"), cfg.get("timeWindow"))
            self._config = cfg
        return self._config

    def codelist(self, codelist_id: str, lang: str = "no") -> list[str]:
        """The codes of a grouping or valueset (`GET /codelists/{id}`), cached per client."""
        if (codelist_id, lang) not in self._codelists:
            url = self._url(f"/codelists/{quote(codelist_id)}", [("lang", lang)])
            doc = _json(self._send("GET", url))
            try:
                codes = [str(v["code"]) for v in doc["values"]]
            except (KeyError, TypeError) as exc:
                raise InvalidResponse(f"codelist {codelist_id}: no values[].code in the answer "
                                      f"from {url}") from exc
            self._codelists[(codelist_id, lang)] = codes
        return self._codelists[(codelist_id, lang)]

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
        listed = self._list_codelist_values(dict(selection), lists, lang)
        return int(self.metadata(table_id, lang).cells(listed, lists))

    def _list_codelist_values(
        self, selection: dict[str, list[str]], codelists: dict[str, str], lang: str
    ) -> dict[str, list[str]]:
        """Wildcards on a variable with a codelist, matched against the codelist's codes."""
        out = dict(selection)
        for dim, values in selection.items():
            if dim in codelists and not is_explicit(values):
                codes = self.codelist(codelists[dim], lang)
                out[dim] = [c for c in codes if any(_matches(c, v) for v in values)]
                if not out[dim] and values:
                    raise BadQuery(f"{values} on {dim} matches no code of codelist "
                                   f"{codelists[dim]}")
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
        max_cells = int(self.server_config().get("maxDataCells") or MAX_DATA_CELLS)
        cells = self.estimate_cells(table_id, selection, codelists, lang)
        if cells > max_cells:
            selection = self._explicit(table_id, selection, codelists, lang)
        chunks = split_selection(selection, cells, max_cells)
        fetched_at = utc_now()
        received = []
        for chunk in chunks:
            body, provenance = self._data_request(table_id, chunk, codelists, lang)
            received.append((body, provenance, read_jsonstat(body)))  # invalid: nothing stored
        split = {"parts": len(chunks)} if len(chunks) > 1 else {}
        snaps = []
        for number, (body, provenance, frame) in enumerate(received, start=1):
            part = {"part": number, **split} if split else {}
            snaps.append(
                self.store.save(
                    table_id, body, source=PXWEB, query_key=key, fetched_at=fetched_at,
                    lang=lang, ssb_updated=_iso(frame.attrs.get("updated")), **provenance, **part,
                )
            )
        return combine_parts([frame for _, _, frame in received], snaps)

    def _explicit(
        self, table_id: str, selection: dict[str, list[str]], codelists: dict[str, str], lang: str
    ) -> dict[str, list[str]]:
        """Wildcards and expressions on non-time variables listed as codes, so a split can
        cut along them (variables with a codelist keep their expressions)."""
        meta = self.metadata(table_id, lang)
        listed = self._list_codelist_values(selection, codelists, lang)
        return {
            dim: values if is_explicit(values) or dim.lower() in TIME_DIMENSIONS
            else list(meta.expand(dim, values))
            for dim, values in listed.items()
        }

    def _data_request(
        self, table_id: str, selection: dict[str, list[str]], codelists: dict[str, str], lang: str
    ) -> tuple[bytes, dict[str, Any]]:
        path = f"/tables/{quote(table_id)}/data"
        base = [("lang", lang), ("outputFormat", "json-stat2")]
        params = base + [
            (f"valueCodes[{d}]", ",".join(map(_wrap, v)))
            for d, v in selection.items()
        ]
        params += [(f"codelist[{d}]", c) for d, c in codelists.items()]
        url = self._url(path, params)
        if len(url) <= MAX_GET_URL:
            response = self._send("GET", url, table_id, selection)
            query: dict[str, Any] = {"selection": selection, "codelists": codelists}
            return response.content, {"url": url, "method": "GET", "query": query}
        url = self._url(path, base)
        body = {"selection": [_post_item(d, v, codelists.get(d)) for d, v in selection.items()]}
        body["selection"] += [
            _post_item(d, None, c) for d, c in codelists.items() if d not in selection
        ]
        response = self._send("POST", url, table_id, selection, json=body)
        return response.content, {"url": url, "method": "POST", "query": body}

    def _url(self, path: str, params: list[tuple[str, str]]) -> str:
        query = urlencode(params, safe=",*()", quote_via=quote)
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def _send(
        self,
        method: str,
        url: str,
        table_id: str | None = None,
        selection: Mapping[str, list[str]] | None = None,
        json: Any = None,
    ) -> requests.Response:
        try:
            response = self.session.request(method, url, json=json, timeout=self.timeout)
        except requests.RequestException as exc:
            raise Unavailable(
                f"SSB ({self.base_url}) did not answer {method} {url} within {self.timeout} s "
                f"after {self.retries} retries ({type(exc).__name__}). Try again later, or work "
                "on stored snapshots (MIPR_OFFLINE=1)."
            ) from exc
        if response.status_code == 200:
            return response
        raise _http_error(response, table_id, selection, self.retries)

    def _stored(self, table_id: str, key: str, why: str) -> pd.DataFrame:
        parts = self.store.latest_complete(table_id, key)
        if not parts:
            raise NoSnapshot(no_snapshot_message(table_id, key) + f" (reason: {why})")
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
                self._updated[(table_id, lang)] = _iso(self.table_info(table_id, lang)
                                                       .get("updated"))
            current = self._updated[(table_id, lang)]
        if current is None or current != _iso(parts[0].meta.get("ssb_updated")):
            return None
        return concat_parts(parts)


def _matches(code: str, expression: str) -> bool:
    """A codelist code against a wildcard expression (`*`, `K-31*`, `?`); `top(n)` and the
    other expressions are not supported on codelists and match nothing."""
    if "(" in expression:
        raise BadQuery(f"the expression {expression!r} is not supported with a codelist by "
                       "mipr_analysis; use '*' or list the codes")
    return fnmatch.fnmatchcase(code.lower(), expression.lower())


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


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise InvalidResponse(
            f"SSB's answer to {response.url} is not JSON ({exc}); try again later."
        ) from exc


def _problem(response: requests.Response) -> tuple[str, str]:
    """The problem+json `title` and `detail` (or the start of the body)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or "", response.text[:200]
    if not isinstance(body, dict):
        return response.reason or "", str(body)[:200]
    return str(body.get("title") or response.reason or ""), str(body.get("detail") or "")


def _http_error(
    response: requests.Response,
    table_id: str | None,
    selection: Mapping[str, list[str]] | None,
    retries: int,
) -> SSBError:
    status = response.status_code
    title, detail = _problem(response)
    said = f"{status} {title}" + (f": {detail}" if detail else "")
    table = f"table {table_id}" if table_id else response.url
    if status == 404:
        return TableNotFound(
            f"SSB has no {table} ({said}). Check the table id in Statistikkbanken; "
            "discontinued tables get new ids."
        )
    if status == 400 or (status == 403 and "too many cells" in title.lower()):
        return BadQuery(
            f"SSB rejected the query for {table} ({said}). Selection: {dict(selection or {})}. "
            "Check the variable and value codes against the table's metadata "
            "(Client.metadata), and split large selections."
        )
    if status == 429:
        return RateLimited(
            f"SSB kept answering 429 Too Many Requests for {table} after {retries} retries. "
            "The limit (30 calls per 60 s) is shared by everyone behind this IP address: "
            "wait a minute and try again."
        )
    if status >= 500:
        return Unavailable(
            f"SSB answered {said} for {table} after {retries} retries. Try again later, or "
            "work on stored snapshots (MIPR_OFFLINE=1)."
        )
    return SSBError(f"SSB answered an unexpected {said} for {table}.")
