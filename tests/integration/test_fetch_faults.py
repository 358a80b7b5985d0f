"""Faults on the way to SSB, replayed against the local stand-in (tests/pxweb_stub.py).

Refused connections and unknown hosts fail fast with their own words; slow replies use up a
table's time budget; Retry-After is honoured exactly up to a maximum, and beyond it the fetch
stops at once and says when to try again; 503 is retried; bad bodies are refused. Messages are
bokmål, one line, "what was wrong, then what to do". Budgets and timeouts are short so the
module runs in seconds. Tables 999xx and the 07459 stand-in are HAND-MADE (cell positions).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest

from mipr_analysis.errors import MiprError
from mipr_analysis.fetching import run_fetch
from mipr_analysis.ssb.client import OSLO, Client, Progress, _retry_after
from mipr_analysis.ssb.errors import (
    BudgetExceeded,
    InvalidResponse,
    RateLimited,
    RetryAfterTooLong,
    Unavailable,
    Unreachable,
)
from mipr_analysis.ssb.ratelimit import RateLimiter, set_limiter
from mipr_analysis.ssb.store import SnapshotStore
from tests.support.pxweb_stub import UNKNOWN_HOST_URL, GeneratedTable, PxWebStub, Reply, unused_url

SMALL = {"Region": ["3103", "3112"], "ContentsCode": ["Personer1"], "Tid": ["2023", "2024"]}
REGION_CODES = {"K-3103": "Moss", "K-3216": "Vestby", "K-3112": "Råde", "K-3114": "Våler"}


def handmade_table() -> GeneratedTable:
    return GeneratedTable(
        "99901",
        {
            "Region": ["3103", "3112", "3114", "3216"],
            "Kjonn": ["1", "2"],
            "ContentsCode": ["Personer1"],
            "Tid": [str(y) for y in range(2015, 2025)],
        },
        updated="2026-02-25T07:00:00Z",
    )


def serve_07459(stub: PxWebStub) -> None:
    """HAND-MADE stand-in for 07459 as the registry fetches it (agg_KommSummer, 2 queries)."""
    stub.add_codelist("agg_KommSummer", REGION_CODES)
    stub.add_generated(
        GeneratedTable(
            "07459",
            {
                "Region": list(REGION_CODES),
                "Kjonn": ["1", "2"],
                "Alder": ["000", "001", "002"],
                "ContentsCode": ["Personer1"],
                "Tid": [str(y) for y in range(2003, 2025)],
            },
            updated="2026-02-25T07:00:00Z",
        )
    )


@pytest.fixture(autouse=True)
def no_fetch_settings(monkeypatch):
    for name in ("MIPR_FETCH_BUDGET", "MIPR_MAX_RETRY_WAIT", "MIPR_SSB_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub():
    with PxWebStub() as server:
        server.add_generated(handmade_table())
        serve_07459(server)
        yield server


@pytest.fixture
def events() -> list[Progress]:
    return []


def make_client(url: str, events: list[Progress], **kwargs) -> Client:
    options = {
        "offline": False,
        "timeout": 2,
        "retries": 2,
        "backoff_factor": 0.01,
        "progress": events.append,
    }
    return Client(base_url=url, **(options | kwargs))


def one_line(message: str) -> bool:
    return "\n" not in message and message == " ".join(message.split())


def oslo_minute(moment: datetime) -> str:
    """`kl. HH:MM` as the client writes it: the minute, rounded up, in Europe/Oslo."""
    at = moment.astimezone(OSLO)
    if at.second or at.microsecond:
        at = (at + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return f"kl. {at:%H:%M}"


# -- cannot reach SSB ----------------------------------------------------------------------------


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """Every pause the client asks for, recorded instead of slept (no test waits on a clock)."""
    from types import SimpleNamespace

    from mipr_analysis.ssb import client as client_module

    asked: list[float] = []
    fake = SimpleNamespace(monotonic=time.monotonic, time=time.time, sleep=asked.append)
    monkeypatch.setattr(client_module, "time", fake)
    return asked


def test_refused_connection_fails_fast_with_its_own_words(data_dir, events, waits):
    url = unused_url()
    with pytest.raises(Unreachable) as err:  # the defaults: 30 s timeout, 4 retries, 120 s budget
        Client(base_url=url, offline=False, progress=events.append).fetch("99901", SMALL)
    assert sum(waits) < 10  # the requirement itself: fail fast (probe: 168 s of retries)
    message = str(err.value)
    assert message.startswith(f"SSB svarte ikke: tilkoblingen ble avvist av {urlsplit(url).netloc}")
    assert "MIPR_SSB_URL" in message and "MIPR_OFFLINE=1" in message and one_line(message)
    assert "innen" not in message and "fikk ikke svar" not in message  # not a timeout
    assert len(events) == 1 and "én gang til" in events[0].message  # one quick retry, no more


def test_unknown_host_fails_fast_with_its_own_words(data_dir, events):
    with pytest.raises(Unreachable) as err:
        make_client(UNKNOWN_HOST_URL, events).fetch("99901", SMALL)
    message = str(err.value)
    assert message.startswith("SSB svarte ikke: fant ikke vertsnavnet mipr-no-such-host.invalid")
    assert "avvist" not in message and "innen" not in message and one_line(message)
    assert events == []  # a failed DNS lookup is not retried


def test_mipr_fetch_stops_at_once_when_the_connection_is_refused(data_dir, monkeypatch, waits):
    monkeypatch.setenv("MIPR_SSB_URL", unused_url())
    lines: list[str] = []
    errors: list[str] = []
    with pytest.raises(MiprError, match="tilkoblingen ble avvist") as err:
        run_fetch(["07459"], echo=lines.append, echo_err=errors.append)
    assert len(waits) == 1  # one quick retry of one table, not of every query of every table
    assert isinstance(err.value, Unreachable) and one_line(str(err.value))
    assert any(line.startswith("Stoppet etter 0 av 2 spørring(er)") for line in lines)
    assert errors == []  # the stop itself is the one error line (printed by the CLI)


# -- slow replies and the time budget -------------------------------------------------------------


def test_slow_replies_use_up_the_table_budget(stub, data_dir, events):
    stub.script("data", *[Reply.slow(5)] * 20)
    client = make_client(stub.url, events, timeout=0.3, retries=10, budget=1)
    with pytest.raises(BudgetExceeded) as err:
        client.fetch("99901", SMALL)
    message = str(err.value)
    assert message.startswith("Tabell 99901 ble ikke ferdig innen tidsbudsjettet på 1 s")
    assert "fikk ikke svar på 0,3 s" in message and "MIPR_FETCH_BUDGET" in message
    assert one_line(message) and isinstance(err.value, Unavailable)
    assert 2 <= stub.count("data") <= 5  # retried, but the budget, not retries=10, ended it
    assert "forsøk 1 av 11 fikk ikke svar på 0,3 s; forsøk 2 om" in events[0].message
    assert all(e.table == "99901" for e in events)


def test_the_budget_covers_every_query_of_a_table(stub, data_dir, monkeypatch):
    """MIPR_FETCH_BUDGET=1: the first slow try is cut at the budget (not at the 30 s timeout);
    the table's second query then fails without asking SSB again."""
    monkeypatch.setenv("MIPR_SSB_URL", stub.url)
    monkeypatch.setenv("MIPR_FETCH_BUDGET", "1")
    stub.script("data", *[Reply.slow(5)] * 10, table="07459")
    lines: list[str] = []
    errors: list[str] = []
    data_requests: list[int] = []

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("[1/2]"):
            data_requests.append(stub.count("data"))

    assert run_fetch(["07459"], echo=echo, echo_err=errors.append) == 1
    assert stub.count("data") == data_requests[0] == 1  # query 2: no request at all
    assert "tidsbudsjett 1 s per tabell" in lines[0]
    assert "Ferdig: 0 hentet, 0 gjenbrukt (uendret hos SSB), 2 feilet." in lines
    (error,) = errors  # the same failure of both queries, listed once
    assert re.match(
        r"mipr fetch: 07459 \(2 av 2 spørringer\): Tabell 07459 ble ikke ferdig "
        r"innen tidsbudsjettet på 1 s \(fikk ikke svar på (1|0,\d+) s\)",
        error,
    )
    assert "MIPR_FETCH_BUDGET" in error and one_line(error)


def test_a_body_that_trickles_in_counts_against_the_budget(stub, data_dir, events):
    stub.script("data", Reply.trickling(size=64 * 1024, every=0.05))  # 64 KB over 3 s
    with pytest.raises(BudgetExceeded, match="svaret kom for sakte"):
        make_client(stub.url, events, budget=1).fetch("99901", SMALL)
    assert stub.count("data") == 1


def test_progress_shows_each_retry_on_the_console(stub, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_SSB_URL", stub.url)
    stub.script("data", Reply.slow(5), table="07459")
    client = Client(offline=False, timeout=0.3, backoff_factor=0.01)
    lines: list[str] = []
    assert run_fetch(["07459"], echo=lines.append, client=client) == 0
    assert any(
        line.startswith("  07459, spørring 1/2: forsøk 1 av 5 fikk ikke svar på 0,3 s; forsøk 2 om")
        for line in lines
    )
    assert "[1/2] 07459, spørring 1/2: hentet" in "\n".join(lines)
    assert "Ferdig: 2 hentet, 0 gjenbrukt (uendret hos SSB), 0 feilet." in lines


def test_waiting_for_the_rate_limiter_is_shown_and_not_counted_in_the_budget(
    stub, data_dir, events
):
    set_limiter(stub.url, RateLimiter(1, 1.2))
    client = make_client(stub.url, events, budget=0.5)
    with client.table_budget("99901"):
        client.table_info("99901")
        client.table_info("99901")  # waits about 1.2 s for the limiter: over the 0.5 s budget
    assert stub.count("table") == 2
    assert any("på ledig plass i kvoten hos SSB (1 kall per" in e.message for e in events)


# -- Retry-After ---------------------------------------------------------------------------------


def test_a_short_retry_after_is_honoured_exactly(stub, data_dir, events):
    stub.script("data", Reply.too_many_requests(retry_after=2))
    df = make_client(stub.url, events, budget=1).fetch("99901", SMALL)  # the wait is not budget
    first, second = stub.requests("data")
    assert first.status == 429 and second.status == 200
    assert second.time - first.time >= 2.0  # no cap below what SSB asked for
    assert len(df) == 4
    (wait,) = events
    assert wait.wait == 2 and "ber oss vente 2 s; venter til kl. " in wait.message
    assert "før forsøk 2 av 3" in wait.message


def test_a_retry_after_beyond_the_maximum_stops_at_once_with_the_clock_time(stub, data_dir, events):
    stub.script("data", Reply.too_many_requests(retry_after=3600))
    before = datetime.now(UTC) + timedelta(seconds=3600)
    with pytest.raises(RetryAfterTooLong) as err:
        make_client(stub.url, events).fetch("99901", SMALL)
    after = datetime.now(UTC) + timedelta(seconds=3600)
    assert stub.count("data") == 1  # no second request
    message = str(err.value)
    assert message.startswith(
        "SSB svarte 429 Too Many Requests for tabell 99901 og ber oss "
        "vente 3600 s, lenger enn grensen på 300 s."
    )
    assert any(f"Prøv igjen etter {oslo_minute(t)} (norsk tid)" in message for t in (before, after))
    assert "MIPR_MAX_RETRY_WAIT" in message and one_line(message)
    assert before <= err.value.retry_at <= after and err.value.retry_at.tzinfo is not None
    assert isinstance(err.value, RateLimited) and events == []


def test_mipr_fetch_stops_when_ssb_asks_for_a_longer_wait_than_allowed(stub, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_SSB_URL", stub.url)
    monkeypatch.setenv("MIPR_MAX_RETRY_WAIT", "1")
    stub.script("data", Reply.too_many_requests(retry_after=2), table="07459")
    lines: list[str] = []
    with pytest.raises(RetryAfterTooLong, match="lenger enn grensen på 1 s. Prøv igjen etter kl. "):
        run_fetch(["07459"], echo=lines.append)
    assert stub.count("data") == 1
    assert any(line.startswith("Stoppet etter 0 av 2 spørring(er)") for line in lines)


def test_a_retry_after_as_an_http_date_is_understood():
    in_90_s = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= _retry_after(in_90_s) <= 90
    assert _retry_after("7") == 7 and _retry_after(None) is None and _retry_after("soon") is None
    assert _retry_after("Sat, 01 Jan 2000 00:00:00 GMT") == 0  # in the past: no wait


def test_503_is_retried_and_then_succeeds(stub, data_dir, events):
    stub.script("data", Reply.unavailable(503))
    df = make_client(stub.url, events).fetch("99901", SMALL)
    assert [r.status for r in stub.requests("data")] == [503, 200] and len(df) == 4
    (retry,) = events
    assert "SSB svarte 503" in retry.message and "forsøk 2 om 0,01 s" in retry.message


def test_503_with_retry_after_is_honoured_like_429(stub, data_dir, events):
    stub.script("data", Reply.unavailable(503, retry_after=1))
    make_client(stub.url, events).fetch("99901", SMALL)
    first, second = stub.requests("data")
    assert second.time - first.time >= 1.0
    assert "ber oss vente 1 s" in events[0].message


def test_a_503_that_persists_says_what_to_do(stub, data_dir, events):
    stub.script("data", *[Reply.unavailable(503)] * 5)
    with pytest.raises(Unavailable) as err:
        make_client(stub.url, events).fetch("99901", SMALL)
    message = str(err.value)
    assert message.startswith("SSB svarte 503") and "tabell 99901 etter 3 forsøk" in message
    assert "Prøv igjen senere" in message and one_line(message)


# -- bad bodies ----------------------------------------------------------------------------------


def test_bad_json_is_refused_and_nothing_is_stored(stub, data_dir, events):
    stub.script("data", Reply.bad_json())
    with pytest.raises(InvalidResponse) as err:
        make_client(stub.url, events).fetch("99901", SMALL)
    message = str(err.value)
    assert message.startswith("SSB sendte noe som ikke er gyldig JSON (begynner med «<html>")
    assert "tabell 99901" in message and "ingenting ble lagret" in message and one_line(message)
    assert SnapshotStore().list("99901") == []


def test_mipr_fetch_lists_a_bad_body_and_goes_on(stub, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_SSB_URL", stub.url)
    stub.script("data", Reply.bad_json(), table="07459")
    lines: list[str] = []
    errors: list[str] = []
    assert run_fetch(["07459"], echo=lines.append, echo_err=errors.append) == 1
    assert "Ferdig: 1 hentet, 0 gjenbrukt (uendret hos SSB), 1 feilet." in lines
    (error,) = errors
    assert error.startswith(
        "mipr fetch: 07459 (1 av 2 spørringer): SSB sendte noe som ikke er gyldig JSON"
    )


# -- the command and its settings ----------------------------------------------------------------


def test_mipr_fetch_success_in_bokmal(stub, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_SSB_URL", stub.url)
    lines: list[str] = []
    assert run_fetch(["07459"], echo=lines.append) == 0
    assert lines[0].startswith("Henter 2 spørring(er) fra 1 tabell(er) hos SSB")
    assert "07459: 2 spørring(er) …" in lines
    assert any(line.startswith("[2/2] 07459, spørring 2/2: hentet") for line in lines)
    assert lines[-1] == "Ferdig: 2 hentet, 0 gjenbrukt (uendret hos SSB), 0 feilet."
    lines.clear()
    assert run_fetch(["07459"], echo=lines.append) == 0
    assert "Ferdig: 0 hentet, 2 gjenbrukt (uendret hos SSB), 0 feilet." in lines


def test_mipr_fetch_offline_is_refused_in_bokmal(stub, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_SSB_URL", stub.url)
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    with pytest.raises(MiprError) as err:
        run_fetch(["07459"], echo=lambda line: None)
    assert str(err.value).startswith("MIPR_OFFLINE=1 er satt, så `mipr fetch` kan ikke hente")
    assert stub.count() == 0


def test_mipr_fetch_refuses_a_table_no_indicator_uses(data_dir):
    with pytest.raises(MiprError, match="Tabell 99999 brukes ikke av noen indikator"):
        run_fetch(["99999"], echo=lambda line: None)


def test_budget_and_maximum_wait_come_from_the_environment(data_dir, monkeypatch):
    assert (Client(offline=False).budget, Client(offline=False).max_retry_wait) == (120, 300)
    monkeypatch.setenv("MIPR_FETCH_BUDGET", "45")
    monkeypatch.setenv("MIPR_MAX_RETRY_WAIT", "7200")
    client = Client(offline=False)
    assert (client.budget, client.max_retry_wait) == (45, 7200)
    assert Client(offline=False, budget=5, max_retry_wait=0).budget == 5  # arguments win


@pytest.mark.parametrize("value", ["abc", "-1", "0", "inf"])
def test_a_bad_budget_setting_is_a_clear_error(data_dir, monkeypatch, value):
    monkeypatch.setenv("MIPR_FETCH_BUDGET", value)
    with pytest.raises(MiprError, match="MIPR_FETCH_BUDGET=.* er ikke et gyldig antall sekunder"):
        Client(offline=False)
