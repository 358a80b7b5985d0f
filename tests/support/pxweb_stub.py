"""A local stand-in for SSB's PxWebApi v2 on 127.0.0.1, for tests and benchmarks.

It serves recorded SSB responses (from `../shared/ssb/`, passed in) and hand-made tables
(`GeneratedTable`: values computed from cell positions, labelled HAND-MADE, never SSB figures),
logs every request, enforces a cell limit and optionally a rate limit, and can be scripted per
route to answer errors, slow or broken bodies:

    with PxWebStub(recordings=shared_ssb) as stub:
        stub.add_recorded("14700", data="api-v2/14700.data.en.json")
        stub.script("data", Reply.unavailable(), Reply.too_many_requests(retry_after=1))
        client = Client(base_url=stub.url)

Faults that need no server: `unused_url()` (a port with nothing listening: connection refused)
and `UNKNOWN_HOST_URL` (a name that never resolves: `.invalid` is reserved, RFC 2606).
"""

from __future__ import annotations

import copy
import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BASE_PATH = "/api/pxwebapi/v2"
HAND_MADE_SOURCE = "HAND-MADE test stub (not Statistics Norway data)"
UNKNOWN_HOST_URL = f"http://mipr-no-such-host.invalid{BASE_PATH}"
"""A base URL whose host name cannot be resolved (the DNS lookup fails)."""


def unused_url() -> str:
    """A base URL on 127.0.0.1 with nothing listening: connecting is refused.

    The port was free a moment ago (bound, then closed); another process could take it in
    between, which is unlikely enough for tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{BASE_PATH}"


Selection = dict[str, list[str]]


@dataclass
class Reply:
    """One scripted answer. `body=None` means the normal answer (after `delay`, maybe truncated)."""

    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False
    content_type: str = "application/json; charset=utf-8"
    trickle: float = 0.0
    """Send the body in 1 KB pieces with this many seconds between them (a slow link)."""

    @classmethod
    def problem(cls, status: int, title: str, detail: str | None = None) -> Reply:
        """An RFC 7807 problem+json answer shaped like PxWebApi's."""
        doc: dict[str, Any] = {"type": "Parameter error", "title": title, "status": status}
        if detail:
            doc["detail"] = detail
        return cls(status, json.dumps(doc).encode(), content_type="application/problem+json")

    @classmethod
    def recorded_400(cls, recordings: Path) -> Reply:
        """SSB's real 400 body for a mandatory variable without a selection."""
        body = (Path(recordings) / "api-v2" / "error-400-missing-selection.json").read_bytes()
        return cls(400, body, content_type="application/problem+json")

    @classmethod
    def not_found(cls, title: str = "Non-existent table") -> Reply:
        return cls.problem(404, title)

    @classmethod
    def too_many_requests(cls, retry_after: int | str | None = 1) -> Reply:
        """429; `retry_after` is seconds or an HTTP date (None: no Retry-After header)."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(429, b"Too many requests", headers, content_type="text/plain")

    @classmethod
    def unavailable(cls, status: int = 503, retry_after: int | str | None = None) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(status, b"Service unavailable", headers, content_type="text/plain")

    @classmethod
    def slow(cls, seconds: float) -> Reply:
        """The normal answer, sent after `seconds`."""
        return cls(delay=seconds)

    @classmethod
    def trickling(cls, size: int = 64 * 1024, every: float = 0.05) -> Reply:
        """A 200 whose body (`size` bytes of JSON padding) arrives 1 KB every `every` s."""
        body = b"[" + b" " * (size - 2) + b"]"
        return cls(200, body, trickle=every)

    @classmethod
    def truncated(cls) -> Reply:
        """The normal answer cut in half (with a matching Content-Length)."""
        return cls(truncate=True)

    @classmethod
    def bad_json(cls) -> Reply:
        return cls(200, b"<html><body>Maintenance</body></html>", content_type="text/html")


@dataclass
class Logged:
    """One request as the stub saw it."""

    method: str
    target: str
    """The request target as sent: path and raw query string."""
    path: str
    route: str
    table: str | None
    query: dict[str, str]
    body: bytes
    time: float
    status: int = 0


@dataclass
class StubTable:
    data: bytes | Callable[..., Any] | None = None
    metadata: bytes | None = None
    info: dict[str, Any] | None = None


class GeneratedTable:
    """A HAND-MADE PxWeb table built from code lists; each value is its cell's flat position.

    It answers selections like the server does: explicit codes, `*`/`12*`/`*2` wildcards,
    `top(n[,o])`, `bottom(n[,o])`, `from(a)`, `to(a)`, `range(a,b)`; a mandatory variable
    without a selection gets SSB's 400; variables left out are eliminated (dropped).
    `codelists` (variable -> codelist ids) are listed in the metadata as SSB lists them, and
    then a query with any other codelist gets SSB's 400; without it any codelist is accepted
    (and the values are still matched against the table's own codes).
    """

    def __init__(
        self,
        table_id: str,
        dimensions: Mapping[str, list[str]],
        *,
        time_dim: str = "Tid",
        mandatory: tuple[str, ...] = ("ContentsCode", "Tid"),
        updated: str = "2026-01-01T07:00:00Z",
        codelists: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.table_id = table_id
        self.dimensions = {dim: list(codes) for dim, codes in dimensions.items()}
        self.time_dim = time_dim
        self.mandatory = mandatory
        self.updated = updated
        self.codelists = None if codelists is None else {d: list(c) for d, c in codelists.items()}
        self.label = f"{table_id}: HAND-MADE stub table"

    @classmethod
    def from_metadata(cls, metadata: bytes | Mapping[str, Any]) -> GeneratedTable:
        """A HAND-MADE table on the codes of a recorded metadata response: its variables,
        codes, time variable and which variables may be left out are SSB's; every value is
        made up (the cell's position)."""
        doc = json.loads(metadata) if isinstance(metadata, (bytes, str)) else metadata
        dims = {}
        for dim in doc["id"]:
            index = doc["dimension"][dim]["category"]["index"]
            dims[dim] = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
        mandatory = tuple(
            d for d in doc["id"] if not doc["dimension"][d].get("extension", {}).get("elimination")
        )
        table_id = str(doc.get("extension", {}).get("px", {}).get("tableid") or "")
        codelists = {
            d: [c["id"] for c in doc["dimension"][d].get("extension", {}).get("codelists") or []]
            for d in doc["id"]
        }
        return cls(
            table_id,
            dims,
            time_dim=(doc.get("role", {}).get("time") or ["Tid"])[0],
            mandatory=mandatory,
            updated=doc.get("updated") or "2026-01-01T07:00:00Z",
            codelists=codelists,
        )

    def using(self, codes: Mapping[str, list[str]]) -> GeneratedTable:
        """The table with these variables' codes replaced (a codelist applied to them)."""
        if not codes:
            return self
        table = copy.copy(self)
        table.dimensions = {**self.dimensions, **{d: list(c) for d, c in codes.items()}}
        return table

    def resolve(self, selection: Selection) -> dict[str, list[str]] | Reply:
        """The codes each selected variable expands to, or the 400 SSB would send."""
        for dim in self.mandatory:
            if dim not in selection:
                return Reply.problem(400, "Missing selection for mandantory variable", dim)
        resolved = {}
        for dim in self.dimensions:
            if dim in selection:
                picked = self.expand(dim, selection[dim])
                if isinstance(picked, Reply):
                    return picked
                resolved[dim] = picked
        for dim in selection:
            if dim not in self.dimensions:
                return Reply.problem(400, "Non-existent variable", dim)
        return resolved

    def expand(self, dim: str, values: list[str]) -> list[str] | Reply:
        codes = self.dimensions[dim]
        newest_first = dim == self.time_dim
        out: list[str] = []
        for value in values:
            got = _expand_one(value, codes, newest_first)
            if not got and not any(c in value for c in "*?("):
                return Reply.problem(400, "Non-existent value", f"{dim}: {value}")
            out += [c for c in got if c not in out]
        return [c for c in codes if c in out]

    def cells(self, selection: Selection) -> int:
        resolved = self.resolve(selection)
        return 0 if isinstance(resolved, Reply) else math.prod(len(v) for v in resolved.values())

    def __call__(self, selection: Selection, codelists: dict[str, str], lang: str) -> Any:
        for dim, codelist in codelists.items():
            offered = [c.lower() for c in (self.codelists or {}).get(dim, [])]
            if self.codelists is not None and codelist.lower() not in offered:
                return Reply.problem(400, "Non-existent codelist", f"{dim}: {codelist}")
        resolved = self.resolve(selection)
        if isinstance(resolved, Reply):
            return resolved
        return self._dataset(resolved, values=list(range(math.prod(map(len, resolved.values())))))

    def metadata(self) -> dict[str, Any]:
        return self._dataset(self.dimensions, values=[])

    def info(self) -> dict[str, Any]:
        periods = self.dimensions.get(self.time_dim, [""])
        return {
            "id": self.table_id,
            "label": self.label,
            "description": HAND_MADE_SOURCE,
            "updated": self.updated,
            "firstPeriod": periods[0],
            "lastPeriod": periods[-1],
            "variableNames": list(self.dimensions),
            "discontinued": False,
        }

    def _dataset(self, dims: Mapping[str, list[str]], values: list[float]) -> dict[str, Any]:
        role = {"time": [self.time_dim]} if self.time_dim in dims else {}
        if "ContentsCode" in dims:
            role["metric"] = ["ContentsCode"]
        return {
            "version": "2.0",
            "class": "dataset",
            "label": self.label,
            "source": HAND_MADE_SOURCE,
            "updated": self.updated,
            "id": list(dims),
            "size": [len(codes) for codes in dims.values()],
            "dimension": {
                dim: {
                    "label": dim,
                    "category": {
                        "index": {code: i for i, code in enumerate(codes)},
                        "label": {code: f"{dim} {code}" for code in codes},
                    },
                    "extension": {
                        "elimination": dim not in self.mandatory,
                        "codelists": [
                            {"id": c, "label": f"{c} (HAND-MADE)", "type": "Aggregation"}
                            for c in (self.codelists or {}).get(dim, [])
                        ],
                    },
                }
                for dim, codes in dims.items()
            },
            "role": role,
            "value": values,
            "extension": {"px": {"tableid": self.table_id}, "handmade": True},
        }


def _expand_one(value: str, codes: list[str], newest_first: bool) -> list[str]:
    """One selection value against a code list (case-insensitive, as the server matches)."""
    match = re.fullmatch(r"\s*(top|bottom|from|to|range)\((.*)\)\s*", value, re.IGNORECASE)
    lower = [c.lower() for c in codes]
    if match:
        name, args = match.group(1).lower(), [a.strip() for a in match.group(2).split(",")]
        if name in ("top", "bottom"):
            n, offset = int(args[0]), int(args[1]) if len(args) > 1 else 0
            ordered = codes[::-1] if (name == "top") == newest_first else codes
            return ordered[offset : offset + n]
        if name == "from":
            return codes[lower.index(args[0].lower()) :] if args[0].lower() in lower else []
        if name == "to":
            return codes[: lower.index(args[0].lower()) + 1] if args[0].lower() in lower else []
        a, b = (lower.index(x.lower()) if x.lower() in lower else -1 for x in args[:2])
        return codes[a : b + 1] if a >= 0 and b >= 0 else []
    if "*" in value or "?" in value:
        pattern = re.escape(value.lower()).replace(r"\*", ".*").replace(r"\?", ".")
        return [c for c in codes if re.fullmatch(pattern, c.lower())]
    return [codes[lower.index(value.lower())]] if value.lower() in lower else []


def parse_get_selection(query: Mapping[str, str]) -> tuple[Selection, dict[str, str]]:
    """`valueCodes[VAR]=a,[b,c]` and `codelist[VAR]=..` from a GET query (any case)."""
    selection: Selection = {}
    codelists: dict[str, str] = {}
    for key, value in query.items():
        if m := re.fullmatch(r"valuecodes\[(.+)\]", key, re.IGNORECASE):
            selection[m.group(1)] = [
                v[1:-1] if v.startswith("[") else v for v in re.findall(r"\[[^\]]*\]|[^,]+", value)
            ]
        elif m := re.fullmatch(r"codelist\[(.+)\]", key, re.IGNORECASE):
            codelists[m.group(1)] = value
    return selection, codelists


def parse_post_selection(body: bytes) -> tuple[Selection, dict[str, str]] | None:
    """The v2 POST body `{"selection": [{"variableCode", "codelist", "valueCodes"}]}`."""
    try:
        items = json.loads(body)["selection"]
        selection = {i["variableCode"]: list(i["valueCodes"]) for i in items if "valueCodes" in i}
        codelists = {i["variableCode"]: i["codelist"] for i in items if i.get("codelist")}
    except (ValueError, KeyError, TypeError):
        return None
    return selection, codelists


class PxWebStub:
    """The stand-in server. `url` is the base URL to give the client (`.../api/pxwebapi/v2`)."""

    def __init__(
        self,
        recordings: Path | str | None = None,
        *,
        max_cells: int = 800_000,
        rate_limit: tuple[int, float] | None = None,
    ) -> None:
        self.recordings = Path(recordings) if recordings else None
        self.max_cells = max_cells
        self.rate_limit = rate_limit
        self.tables: dict[str, StubTable] = {}
        self.codelists: dict[str, dict[str, Any]] = {}
        self.log: list[Logged] = []
        self.rate_limited = 0
        self.too_many_cells = 0
        self._scripts: list[tuple[str, str | None, deque[Reply]]] = []
        self._arrivals: deque[float] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- set up --------------------------------------------------------------------------------

    def add_table(
        self,
        table_id: str,
        *,
        data: bytes | Callable[..., Any] | None = None,
        metadata: bytes | dict | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        """Serve a table: `data` is a body or a callable(selection, codelists, lang)."""
        if isinstance(metadata, dict):
            metadata = json.dumps(metadata).encode()
        self.tables[table_id] = StubTable(data, metadata, info)

    def add_codelist(self, codelist_id: str, codes: dict[str, str]) -> None:
        """Serve `GET /codelists/{id}` (HAND-MADE: codes and labels given by the test).

        A generated table fetched with this codelist answers with these codes for the variable
        (as SSB does: the query's codes are the codelist's).
        """
        self.codelists[codelist_id.lower()] = {
            "id": codelist_id,
            "label": f"{codelist_id} (HAND-MADE stub)",
            "type": "Aggregation",
            "values": [{"code": c, "label": label, "valueMap": [c]} for c, label in codes.items()],
        }

    def add_generated(self, table: GeneratedTable) -> None:
        self.add_table(table.table_id, data=table, metadata=table.metadata(), info=table.info())

    def add_recorded_metadata(self, table_id: str, metadata: str) -> GeneratedTable:
        """Serve a recorded metadata response unchanged (named relative to `recordings`) and
        HAND-MADE data on its codes (`GeneratedTable.from_metadata`), which answers like SSB:
        400 for a variable or code the table does not have."""
        if self.recordings is None:
            raise ValueError("PxWebStub(recordings=...) is needed to serve recorded responses")
        body = (self.recordings / metadata).read_bytes()
        table = GeneratedTable.from_metadata(body)
        self.add_table(table_id, data=table, metadata=body)
        return table

    def add_recorded(
        self, table_id: str, *, data: str | None = None, metadata: str | None = None
    ) -> None:
        """Serve recorded files, named relative to `recordings` (`api-v2/14700.data.en.json`)."""
        if self.recordings is None:
            raise ValueError("PxWebStub(recordings=...) is needed to serve recorded responses")
        self.add_table(
            table_id,
            data=(self.recordings / data).read_bytes() if data else None,
            metadata=(self.recordings / metadata).read_bytes() if metadata else None,
        )

    def script(self, route: str, *replies: Reply, table: str | None = None) -> None:
        """Answer the next requests to `route` ("config", "table", "metadata", "data") in order."""
        with self._lock:
            self._scripts.append((route, table, deque(replies)))

    # -- inspect -------------------------------------------------------------------------------

    def requests(self, route: str | None = None, method: str | None = None) -> list[Logged]:
        with self._lock:
            return [
                r
                for r in self.log
                if (route is None or r.route == route) and (method is None or r.method == method)
            ]

    def count(self, route: str | None = None, method: str | None = None) -> int:
        return len(self.requests(route, method))

    # -- run -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the stub first (use it as a context manager)"
        return f"http://127.0.0.1:{self._server.server_address[1]}{BASE_PATH}"

    def start(self) -> PxWebStub:
        handler = type("Handler", (_Handler,), {"stub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> PxWebStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answering -----------------------------------------------------------------------------

    def _answer(self, entry: Logged) -> Reply:
        if self.rate_limit and self._over_rate_limit(entry.time):
            self.rate_limited += 1
            return Reply.too_many_requests(retry_after=math.ceil(self.rate_limit[1]))
        scripted = self._scripted(entry.route, entry.table)
        if scripted is not None and scripted.body is not None:
            return scripted
        reply = self._normal(entry)
        if scripted is not None and reply.status == 200:
            reply.delay, reply.truncate = scripted.delay, scripted.truncate
        return reply

    def _over_rate_limit(self, now: float) -> bool:
        calls, window = self.rate_limit  # type: ignore[misc]
        with self._lock:
            while self._arrivals and self._arrivals[0] <= now - window:
                self._arrivals.popleft()
            self._arrivals.append(now)
            return len(self._arrivals) > calls

    def _scripted(self, route: str, table: str | None) -> Reply | None:
        with self._lock:
            for name, only, replies in self._scripts:
                if name == route and only in (None, table) and replies:
                    return replies.popleft()
        return None

    def _normal(self, entry: Logged) -> Reply:
        if entry.route == "config":
            return _json_reply(self._config())
        if entry.route == "codelist":
            found = self.codelists.get((entry.table or "").lower())
            return _json_reply(found) if found else Reply.problem(404, "Non-existent codelist")
        table = self.tables.get(entry.table or "")
        if entry.route == "unknown":
            return Reply.not_found("Non-existent page")
        if table is None:
            return Reply.not_found()
        if entry.route == "table":
            return _json_reply(table.info or self._derived_info(entry.table or "", table))
        if entry.route == "metadata":
            return Reply(200, table.metadata) if table.metadata else Reply.not_found()
        return self._data(entry, table)

    def _data(self, entry: Logged, table: StubTable) -> Reply:
        if entry.method == "POST":
            parsed = parse_post_selection(entry.body)
            if parsed is None:
                return Reply.problem(400, "No query specified")
        else:
            parsed = parse_get_selection(entry.query)
        selection, codelists = parsed
        if table.data is None:
            return Reply.not_found()
        if callable(table.data):
            data = table.data
            if isinstance(data, GeneratedTable):  # valueCodes refer to the codelist's codes
                data = data.using(
                    {
                        dim: [v["code"] for v in self.codelists[cl.lower()]["values"]]
                        for dim, cl in codelists.items()
                        if cl.lower() in self.codelists and dim in data.dimensions
                    }
                )
            cells = data.cells(selection) if hasattr(data, "cells") else 0
            if cells > self.max_cells:
                return self._too_many_cells()
            answer = data(selection, codelists, entry.query.get("lang", "no"))
            if isinstance(answer, Reply):
                return answer
            return _json_reply(answer)
        if math.prod(json.loads(table.data).get("size", [])) > self.max_cells:
            return self._too_many_cells()
        return Reply(200, table.data)

    def _too_many_cells(self) -> Reply:
        self.too_many_cells += 1
        return Reply.problem(400, "Too many cells selected", f"The limit is {self.max_cells} cells")

    def _config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "apiVersion": "2.0.0",
            "appVersion": "stub",
            "defaultLanguage": "no",
            "languages": [{"id": "no", "label": "Norsk"}, {"id": "en", "label": "English"}],
            "maxDataCells": self.max_cells,
            "defaultDataFormat": "json-stat2",
        }
        if self.rate_limit:
            cfg["maxCallsPerTimeWindow"], cfg["timeWindow"] = self.rate_limit
        return cfg

    @staticmethod
    def _derived_info(table_id: str, table: StubTable) -> dict[str, Any]:
        """Table info built from a recorded body's `label` and `updated`."""
        source = table.metadata or (table.data if isinstance(table.data, bytes) else b"{}")
        doc = json.loads(source)
        return {
            "id": table_id,
            "label": doc.get("label"),
            "updated": doc.get("updated"),
            "description": "stub: derived from a recorded response",
        }


def _json_reply(doc: Any) -> Reply:
    return Reply(200, json.dumps(doc, ensure_ascii=False).encode("utf-8"))


def _route(path: str) -> tuple[str, str | None]:
    rest = path[len(BASE_PATH) :] if path.lower().startswith(BASE_PATH) else path
    parts = [p for p in rest.split("/") if p]
    if [p.lower() for p in parts] == ["config"]:
        return "config", None
    if len(parts) >= 2 and parts[0].lower() == "tables":
        tail = [p.lower() for p in parts[2:]]
        if tail == []:
            return "table", parts[1]
        if tail in (["metadata"], ["data"]):
            return tail[0], parts[1]
    if len(parts) == 2 and parts[0].lower() == "codelists":
        return "codelist", parts[1]
    return "unknown", None


class _Handler(BaseHTTPRequestHandler):
    stub: PxWebStub

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route, table = _route(url.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        entry = Logged(
            self.command, self.path, url.path, route, table, query, body, time.monotonic()
        )
        with self.stub._lock:
            self.stub.log.append(entry)
        reply = self.stub._answer(entry)
        entry.status = reply.status
        if reply.delay and self.stub._stopping.wait(reply.delay):
            return
        payload = reply.body or b""
        if reply.truncate:
            payload = payload[: len(payload) // 2]
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not reply.trickle:
                self.wfile.write(payload)
            for start in range(0, len(payload) if reply.trickle else 0, 1024):
                self.wfile.write(payload[start : start + 1024])
                self.wfile.flush()
                if self.stub._stopping.wait(reply.trickle):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); that is what slow replies test

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the stub's `log` records every request."""
