"""The real Client against the local PxWebApi stand-in (tests/pxweb_stub.py) over HTTP.

Tables named 999xx are HAND-MADE (`GeneratedTable`: each value is its cell position). Tests that
use SSB's real recordings read them through `shared_ssb`.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from mipr_analysis.ssb.client import Client, StaleDataWarning
from mipr_analysis.ssb.errors import (
    BadQuery,
    InvalidResponse,
    NoSnapshot,
    RateLimited,
    SSBError,
    TableNotFound,
    Unavailable,
)
from mipr_analysis.ssb.frames import load_table
from mipr_analysis.ssb.ratelimit import RateLimiter, limiter_for, set_limiter
from mipr_analysis.ssb.store import SnapshotStore, query_key
from tests.support.pxweb_stub import GeneratedTable, PxWebStub, Reply, parse_get_selection

REGIONS = [f"{n:04d}" for n in range(3101, 3161)] + ["X,Y"]  # one code with a comma
SMALL = {"Region": ["3103", "3112"], "ContentsCode": ["Personer1"], "Tid": ["2023", "2024"]}


def handmade_table(updated: str = "2026-02-25T07:00:00Z") -> GeneratedTable:
    return GeneratedTable(
        "99901",
        {
            "Region": REGIONS,
            "Kjonn": ["1", "2"],
            "ContentsCode": ["Personer1"],
            "Tid": [str(y) for y in range(2015, 2025)],
        },
        updated=updated,
    )


@pytest.fixture
def stub():
    with PxWebStub() as server:
        server.add_generated(handmade_table())
        yield server


@pytest.fixture
def client(stub, data_dir):
    return make_client(stub)


def make_client(stub: PxWebStub, **kwargs) -> Client:
    options = {"offline": False, "timeout": 2, "retries": 2, "backoff_factor": 0.01}
    return Client(base_url=stub.url, **(options | kwargs))


def test_short_selection_is_a_get_with_ssb_syntax(client, stub):
    selection = {"Region": ["3103", "X,Y"], "ContentsCode": "Personer1", "Tid": ["top(2)"]}
    df = client.fetch("99901", selection)
    (request,) = stub.requests("data")
    assert request.method == "GET"
    # a code containing a comma is sent in brackets; brackets are percent-encoded
    assert "valueCodes%5BRegion%5D=3103,%5BX,Y%5D&" in request.target
    assert "valueCodes%5BTid%5D=top(2)" in request.target
    assert "outputFormat=json-stat2" in request.target and "lang=no" in request.target
    parsed, _ = parse_get_selection(request.query)
    assert parsed == {"Region": ["3103", "X,Y"], "ContentsCode": ["Personer1"], "Tid": ["top(2)"]}
    assert sorted(df["Region"].unique()) == ["3103", "X,Y"]
    assert sorted(df["Tid"].unique()) == ["2023", "2024"]
    meta = SnapshotStore().latest("99901").meta
    assert meta["method"] == "GET" and meta["url"].endswith(request.target)
    assert meta["query"] == {
        "selection": {"Region": ["3103", "X,Y"], "ContentsCode": ["Personer1"], "Tid": ["top(2)"]},
        "codelists": {},
    }
    assert df.attrs["snapshot"]["path"] == str(SnapshotStore().latest("99901").body_path)


def test_long_selection_switches_to_post(client, stub):
    selection = {"Region": REGIONS * 8, "ContentsCode": ["Personer1"], "Tid": ["2024"]}
    client.fetch("99901", selection, {"Region": "agg_Handmade"})
    (request,) = stub.requests("data")
    assert request.method == "POST"
    body = json.loads(request.body)
    assert body["selection"][0] == {
        "variableCode": "Region",
        "codelist": "agg_Handmade",
        "valueCodes": REGIONS * 8,
    }
    assert "valueCodes" not in request.target
    assert SnapshotStore().latest("99901").meta["query"] == body


def test_real_07459_query_with_359_codes_goes_by_post(shared_ssb, data_dir):
    """SSB's real response and the exact K-codes of the query that produced it."""
    query = json.loads((shared_ssb / "api-v0" / "07459.2022.query.json").read_text())["queryObj"]
    codes = query["query"][0]["selection"]["values"]
    with PxWebStub(recordings=shared_ssb) as stub:
        stub.add_recorded(
            "07459",
            data="api-v0/07459.2022.all-municipalities.json-stat2.json",
            metadata="api-v2/07459.metadata.en.json",
        )
        df = make_client(stub).fetch(
            "07459", {"Region": codes, "Tid": ["2022"]}, {"Region": "agg_KommSummer"}
        )
        assert [r.method for r in stub.requests("data")] == ["POST"]
    moss = df[df["Region"] == "K-3002"]
    assert moss["value"].tolist() == [50290.0]
    assert len(df) == 359


def test_unknown_table_is_table_not_found(client):
    with pytest.raises(TableNotFound, match="99999"):
        client.fetch("99999", SMALL)


def test_ssb_400_is_bad_query_with_title_table_and_selection(shared_ssb, client, stub):
    stub.script("data", Reply.recorded_400(shared_ssb))
    with pytest.raises(BadQuery) as err:
        client.fetch("99901", SMALL)
    message = str(err.value)
    assert "Missing selection for mandantory variable" in message
    assert "99901" in message and "'3112'" in message


def test_403_too_many_cells_is_bad_query(client, stub):
    stub.script("data", Reply.problem(403, "Too many cells selected", "max 800000"))
    with pytest.raises(BadQuery, match="Too many cells selected: max 800000"):
        client.fetch("99901", SMALL)


def test_retry_honours_retry_after(client, stub):
    stub.script("data", Reply.too_many_requests(retry_after=1))
    df = client.fetch("99901", SMALL)
    first, second = stub.requests("data")
    assert second.time - first.time >= 1.0
    assert stub.count("data") == 2 and len(df) == 4  # 2 regions x 2 years, Kjonn eliminated


def test_persistent_429_is_rate_limited_after_bounded_retries(client, stub):
    stub.script("data", *[Reply.too_many_requests(retry_after=None)] * 10)
    with pytest.raises(RateLimited, match="429"):
        client.fetch("99901", SMALL)
    assert stub.count("data") == 3  # first attempt + retries=2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_persistent_5xx_is_unavailable_after_bounded_retries(client, stub, status):
    stub.script("data", *[Reply.unavailable(status)] * 10)
    with pytest.raises(Unavailable, match=str(status)):
        client.fetch("99901", SMALL)
    assert stub.count("data") == 3


def test_timeout_is_unavailable(stub, data_dir):
    stub.script("data", *[Reply.slow(5)] * 3)
    with pytest.raises(Unavailable, match="fikk ikke svar på 0,3 s") as err:
        make_client(stub, timeout=0.3, retries=1).fetch("99901", SMALL)
    assert "tabell 99901" in str(err.value) and "2 forsøk" in str(err.value)
    assert stub.count("data") == 2


def test_unreachable_server_is_unavailable(data_dir):
    with PxWebStub() as stub:
        url = stub.url
    with pytest.raises(Unavailable):
        Client(base_url=url, offline=False, timeout=1, retries=1).fetch("99901", SMALL)


@pytest.mark.parametrize("reply", [Reply.truncated(), Reply.bad_json(), Reply(200, b'{"foo": 1}')])
def test_invalid_body_raises_and_stores_nothing(client, stub, data_dir, reply):
    stub.script("data", reply)
    with pytest.raises(InvalidResponse):
        client.fetch("99901", SMALL)
    folder = data_dir / "raw" / "ssb" / "99901"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_no_requests_or_urllib3_exception_escapes(client, stub):
    stub.script("table", Reply(200, b"not json"))
    with pytest.raises(SSBError):
        client.table_info("99901")


# -- rate limiting -------------------------------------------------------------------------------


class CountingLimiter(RateLimiter):
    def __init__(self) -> None:
        super().__init__(1000, 60)
        self.acquired = 0

    def acquire(self, on_wait=None) -> float:
        self.acquired += 1
        return super().acquire(on_wait)


def test_limiter_allows_n_calls_per_window_with_fake_clock():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(3, 10.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.acquire()
    assert slept == []
    now[0] = 4.0
    limiter.acquire()
    assert slept == [6.0] and now[0] == 10.0
    limiter.tighten(max_calls=10, window=5)  # looser: ignored
    assert (limiter.max_calls, limiter.window) == (3, 10.0)
    limiter.tighten(max_calls=2, window=20)
    assert (limiter.max_calls, limiter.window) == (2, 20.0)


class FakeClock:
    """A clock that moves only when the limiter sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


def test_n_plus_one_requests_wait_for_the_window(stub, data_dir):
    clock = FakeClock()
    set_limiter(stub.url, RateLimiter(3, 1.0, clock=clock, sleep=clock.sleep))
    client = make_client(stub)
    for _ in range(4):
        client.table_info("99901")
    assert stub.count("table") == 4
    assert clock.slept == [1.0]  # the fourth call waited until the first left the window


def test_two_clients_share_one_limiter(stub, data_dir):
    clock = FakeClock()
    set_limiter(stub.url, RateLimiter(3, 1.0, clock=clock, sleep=clock.sleep))
    first, second = make_client(stub), make_client(stub)
    assert first.limiter is second.limiter is limiter_for(stub.url + "/")
    threads = [threading.Thread(target=c.table_info, args=("99901",)) for c in (first, second) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stub.count("table") == 4
    assert sum(clock.slept) >= 1.0  # four calls through one limiter of three per second


def test_every_retry_passes_through_the_limiter(stub, data_dir):
    limiter = CountingLimiter()
    set_limiter(stub.url, limiter)
    stub.script("table", Reply.unavailable(), Reply.too_many_requests(retry_after=None))
    make_client(stub).table_info("99901")
    assert stub.count("table") == 3
    assert limiter.acquired == 3


def test_client_stays_under_the_servers_rate_limit(data_dir):
    with PxWebStub(rate_limit=(3, 0.9)) as stub:
        stub.add_generated(handmade_table())
        set_limiter(stub.url, RateLimiter(3, 1.0))
        client = make_client(stub)
        for _ in range(3):
            client.fetch("99901", SMALL)  # /config + 3 data requests
        assert stub.rate_limited == 0


def test_stub_rate_limit_trips_an_unlimited_client(data_dir):
    with PxWebStub(rate_limit=(2, 5.0)) as stub:
        stub.add_generated(handmade_table())
        set_limiter(stub.url, RateLimiter(100, 1.0))
        with pytest.raises(RateLimited):
            for _ in range(3):
                make_client(stub, retries=0).table_info("99901")
        assert stub.rate_limited == 1


def test_server_config_tightens_the_limiter(data_dir):
    with PxWebStub(rate_limit=(5, 120.0)) as stub:
        stub.add_generated(handmade_table())
        set_limiter(stub.url, RateLimiter(30, 60.0))
        client = make_client(stub)
        client.server_config()
        assert (client.limiter.max_calls, client.limiter.window) == (5, 120.0)


# -- offline, fallback, reuse --------------------------------------------------------------------


def age_snapshot(days: int) -> None:
    """Pretend the stored snapshot was fetched `days` ago (the sidecar's fetched_at)."""
    snap = SnapshotStore().latest("99901")
    meta = dict(snap.meta)
    then = datetime.now(UTC) - timedelta(days=days, hours=1)
    meta["fetched_at"] = then.isoformat().replace("+00:00", "Z")
    snap.sidecar_path.write_text(json.dumps(meta), encoding="utf-8")


def test_offline_uses_the_snapshot_with_an_age_warning_and_no_network(client, stub):
    online = client.fetch("99901", SMALL)
    age_snapshot(12)
    before = stub.count()
    with pytest.warns(StaleDataWarning, match="12 dager"):
        offline = make_client(stub, offline=True).fetch("99901", SMALL)
    assert stub.count() == before
    assert offline["value"].tolist() == online["value"].tolist()
    assert offline.attrs["snapshot"]["age_days"] == 12


def test_offline_without_snapshot_says_how_to_get_the_data(stub, data_dir):
    with pytest.raises(NoSnapshot) as err:
        make_client(stub, offline=True).fetch("99901", SMALL)
    assert "mipr fetch --table 99901" in str(err.value)
    assert "mipr import-csv" in str(err.value)
    assert stub.count() == 0


def test_offline_follows_mipr_offline(stub, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    monkeypatch.setenv("MIPR_SSB_URL", stub.url)
    client = Client()
    assert client.offline and client.base_url == stub.url
    with pytest.raises(NoSnapshot):
        client.fetch("99901", SMALL)
    assert stub.count() == 0


def test_fallback_uses_the_snapshot_when_ssb_is_down(client, stub):
    client.fetch("99901", SMALL)
    stub.script("data", *[Reply.unavailable()] * 6)
    with pytest.raises(Unavailable):
        client.fetch("99901", SMALL)
    with pytest.warns(StaleDataWarning, match="SSB svarte ikke"):
        df = client.fetch("99901", SMALL, fallback=True)
    assert len(df) == 4 and df.attrs["snapshot"]["source"] == "pxwebapi-v2"


def test_reuse_sends_no_data_request_while_updated_is_unchanged(client, stub):
    client.fetch("99901", SMALL)
    df = client.fetch("99901", SMALL, reuse=True)
    assert stub.count("data") == 1 and stub.count("table") == 1
    assert df.attrs["snapshot"]["ssb_updated"] == "2026-02-25T07:00:00Z"
    stub.add_generated(handmade_table(updated="2026-03-10T07:00:00Z"))  # SSB published anew
    df = client.fetch("99901", SMALL, reuse=True)
    assert stub.count("data") == 2
    assert df.attrs["snapshot"]["ssb_updated"] == "2026-03-10T07:00:00Z"


# -- cell limit and splitting --------------------------------------------------------------------


def test_large_selection_is_split_into_parts_under_the_cell_limit(data_dir):
    with PxWebStub(max_cells=100) as stub:
        stub.add_generated(handmade_table())
        selection = {
            "Region": REGIONS,
            "Kjonn": ["1", "2"],
            "ContentsCode": ["Personer1"],
            "Tid": ["from(2022)"],
        }
        df = make_client(stub).fetch("99901", selection)
        assert stub.count("data") == 4  # 61 regions * 2 * 3 years = 366 cells: 16 regions a part
        assert stub.too_many_cells == 0
    assert len(df) == 366 and df["Region"].nunique() == 61
    parts = SnapshotStore().list("99901")
    data_parts = [s for s in parts if s.kind == "data"]
    assert [s.meta["part"] for s in data_parts] == list(range(1, 5))
    assert {s.meta["parts"] for s in data_parts} == {4}
    assert len({s.meta["group"] for s in data_parts}) == 1
    assert [s.kind for s in parts].count("metadata") == 1  # from(2022) was counted from metadata
    key = query_key("99901", selection, {}, "no")
    assert load_table("99901", query_key=key)["value"].tolist() == df["value"].tolist()


def test_wildcard_selection_over_the_limit_is_listed_and_split(data_dir):
    with PxWebStub(max_cells=100) as stub:
        stub.add_generated(handmade_table())
        selection = {
            "Region": ["*"],
            "Kjonn": ["1", "2"],
            "ContentsCode": ["Personer1"],
            "Tid": ["from(2022)"],
        }
        df = make_client(stub).fetch("99901", selection)
        assert stub.count("data") == 4 and stub.too_many_cells == 0
    assert len(df) == 366 and df["Region"].nunique() == 61
    stored = SnapshotStore().list("99901")
    assert [s.meta["query_key"] for s in stored if s.kind == "data"] == [
        query_key("99901", selection, {}, "no")
    ] * 4  # stored under the query as asked


def test_stub_refuses_too_many_cells(data_dir):
    with PxWebStub(max_cells=100) as stub:
        stub.add_generated(handmade_table())
        client = make_client(stub)
        client._config = {"maxDataCells": 10**9}  # a client that trusts the wrong limit
        with pytest.raises(BadQuery, match="Too many cells selected"):
            client.fetch("99901", {"Region": REGIONS, "ContentsCode": ["Personer1"], "Tid": ["*"]})


def test_metadata_is_stored_and_served_offline(shared_ssb, data_dir):
    with PxWebStub(recordings=shared_ssb) as stub:
        stub.add_recorded("14700", metadata="api-v2/14700.metadata.en.json")
        online = make_client(stub).metadata("14700", lang="en")
        offline = make_client(stub, offline=True).metadata("14700", lang="en")
        assert stub.count("metadata") == 1
    assert SnapshotStore().latest("14700", kind="metadata").meta["kind"] == "metadata"
    assert offline.dimensions == online.dimensions and "Tid" in online.dimensions


def test_real_recorded_data_round_trip(shared_ssb, data_dir):
    with PxWebStub(recordings=shared_ssb) as stub:
        stub.add_recorded("12134", data="api-v2/12134.data.no.3regions.json")
        selection = {
            "KOKkommuneregion0000": ["3103", "3112", "3114"],
            "ContentsCode": ["x"],
            "Tid": ["2024"],
        }
        df = make_client(stub).fetch("12134", selection)
    stored = SnapshotStore().latest("12134")
    recorded = shared_ssb / "api-v2" / "12134.data.no.3regions.json"
    assert stored.read_bytes() == recorded.read_bytes()
    assert stored.meta["ssb_updated"] == "2026-03-16T07:00:00Z"
    assert len(df) == 3
