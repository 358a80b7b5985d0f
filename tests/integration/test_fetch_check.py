"""`mipr fetch --check`, the problem report of a fetch SSB refuses, and what `mipr fetch` says is
new, against the local stand-in (tests/pxweb_stub.py).

Table 07459 is served with SSB's real metadata (`api-v2/07459.metadata.en.json`, English labels)
and HAND-MADE data on its codes (cell positions). Codelists' codes and the 11618 stand-in are
HAND-MADE too: no recording of them exists.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import pytest

from mipr_analysis.cli import main
from mipr_analysis.console import table_lines
from mipr_analysis.errors import MiprError
from mipr_analysis.fetching import (
    FetchItem,
    FetchOutcome,
    fetch_plan,
    problem_lines,
    run_check,
    run_fetch,
    whats_new,
)
from mipr_analysis.indicators import get_indicator
from mipr_analysis.indicators import processed as processed_tables
from mipr_analysis.indicators.confirm import confirm
from mipr_analysis.report import runner
from mipr_analysis.report.plan import plan_jobs
from mipr_analysis.ssb.check import Problem
from mipr_analysis.ssb.errors import RetryAfterTooLong
from mipr_analysis.ssb.store import SnapshotStore
from tests.support.pxweb_stub import GeneratedTable, PxWebStub, Reply

HANDMADE_KOMMSUMMER = {"K-3103": "Moss", "K-3216": "Vestby", "K-3112": "Råde", "K-3114": "Våler"}
"""HAND-MADE stand-in for the codes of agg_KommSummer."""


@pytest.fixture(autouse=True)
def no_fetch_settings(monkeypatch):
    for name in ("MIPR_FETCH_BUDGET", "MIPR_MAX_RETRY_WAIT", "MIPR_SSB_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub(shared_ssb, data_dir, monkeypatch):
    """07459 with SSB's real metadata, and the codelist its registry queries use."""
    with PxWebStub(recordings=shared_ssb) as server:
        server.add_recorded_metadata("07459", "api-v2/07459.metadata.en.json")
        server.add_codelist("agg_KommSummer", HANDMADE_KOMMSUMMER)
        monkeypatch.setenv("MIPR_SSB_URL", server.url)
        yield server


def with_source(indicator: str, **changes):
    ind = get_indicator(indicator)
    return replace(ind, source=replace(ind.source, **changes))


def run(command, *args, **kwargs) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    code = command(*args, echo=out.append, echo_err=err.append, **kwargs)
    return code, out, err


def problems(out: list[str]) -> list[str]:
    """The problem lines `--check` prints under «Problemer»."""
    start = next(i for i, line in enumerate(out) if line.startswith("Problemer ("))
    return [line.strip() for line in out[start + 1 :] if line.startswith("  ")]


# -- mipr fetch --check ----------------------------------------------------------------------------


def test_check_of_matching_queries_asks_for_metadata_only_and_stores_it(stub, data_dir):
    code, out, err = run(run_check, ["07459"])
    assert code == 0 and err == []
    assert out[0].startswith("Kontrollerer 2 spørring(er) i 1 tabell(er) mot SSBs metadata")
    header = out[1]
    assert re.match(
        r"Tabell +Tittel hos SSB +Utvalg +Perioder +Celler +Spørringer +Status$", header
    )
    rows = [line for line in out[3:] if line.startswith("07459")]
    assert len(rows) == 2 and all(line.rstrip().endswith("ok") for line in rows)
    table = "\n".join(out)
    assert "Population, by sex and" in table  # SSB's title (lines wrap in its column)
    assert "ContentsCode: Personer1 «Persons»" in table and "(agg_KommSummer)" in table
    assert "2005–2026" in table
    assert out[-1].startswith("Alt stemmer med SSBs metadata: 2 spørring(er) i 1 tabell(er).")
    assert {r.route for r in stub.log} == {"metadata", "codelist", "config"}  # never data
    assert stub.count("metadata") == 1 and stub.count("codelist") == 1
    kinds = sorted(s.kind for s in SnapshotStore(data_dir).list("07459"))
    assert kinds == ["codelist", "metadata"]
    # the page's note reads what --check stored
    assert confirm(get_indicator("befolkning"), data_dir).confirmed is True


def test_check_counts_cells_and_requests_as_the_fetch_splits_them(
    shared_ssb, data_dir, monkeypatch
):
    """A cell limit of 4 000: Region (4) x Alder (106) x 22 years = 9 328 cells is split into
    3 requests; the fetch then sends exactly the requests the check announced."""
    with PxWebStub(recordings=shared_ssb, max_cells=4000) as server:
        server.add_recorded_metadata("07459", "api-v2/07459.metadata.en.json")
        server.add_codelist("agg_KommSummer", HANDMADE_KOMMSUMMER)
        monkeypatch.setenv("MIPR_SSB_URL", server.url)
        code, out, _ = run(run_check, ["07459"])
        assert code == 0
        cells = [re.findall(r"  (\d+(?:\u00a0\d{3})*) +(\d+) +ok$", line) for line in out]
        assert [c[0] for c in cells if c] == [("88", "1"), ("9\u00a0328", "3")]
        assert "henter 9\u00a0416 celler i 4 forespørsel(er)" in out[-1]
        assert server.count("data") == 0
        assert run(run_fetch, ["07459"])[0] == 0
        assert server.count("data") == 4 and server.too_many_cells == 0


def test_check_reports_each_problem_with_table_variable_code_and_what_ssb_has(stub, data_dir):
    registry = [
        with_source(
            "befolkning",
            selection={"Region": ["*"], "ContentsCode": ["Personer9"], "Tid": ["from(2005)"]},
        ),
        with_source(
            "andel_under_20",
            selection={
                "Region": ["*"],
                "Kjon": ["1"],
                "ContentsCode": ["Personer1"],
                "Tid": ["from(1970)"],
            },
            codelists={"Region": "agg_KomSummer"},
        ),
    ]
    code, out, err = run(run_check, None, registry=registry)
    assert code == 1
    assert problems(out) == [
        "07459 (befolkning): Personer9 finnes ikke i ContentsCode; SSB har Personer1 «Persons»",
        "07459 (andel_under_20): kodelisten agg_KomSummer finnes ikke for Region; SSB har "
        "agg_KommSummer, agg_KommFylker, agg_KommForrige (3 av 14 kodelister)",
        "07459 (andel_under_20): variabelen Kjon finnes ikke i tabellen; SSB har Kjonn "
        "(1 av 5 variabler)",
        "07459 (andel_under_20): from(1970) i Tid: 1970 finnes ikke i Tid; tabellen har 1986–2026",
    ]
    rows = [line for line in out if line.startswith("07459")]
    assert [row.split()[-2:] for row in rows] == [["1", "feil"], ["3", "feil"]]
    assert "ContentsCode: Personer9 (feil)" in "\n".join(out)
    assert err == [
        "mipr fetch --check: 4 problem(er) i 1 tabell(er); se listen over. Ingen data er hentet."
    ]
    assert stub.count("data") == 0 and stub.count("codelist") == 1  # agg_KomSummer not asked
    note = confirm(registry[0], data_dir)
    assert note.confirmed is False and "Personer9 finnes ikke i ContentsCode" in note.text


def test_check_names_a_table_ssb_does_not_have_and_goes_on(stub, data_dir):
    registry = [
        with_source("befolkning", table="99999"),
        get_indicator("andel_under_20"),
    ]
    code, out, _ = run(run_check, None, registry=registry)
    assert code == 1
    (line,) = problems(out)
    assert line.startswith("99999 (befolkning): SSB har ikke tabell 99999 (404 Non-existent table)")
    assert any(row.startswith("07459") and row.endswith("ok") for row in out)


def test_check_lists_what_ssb_has_for_an_indicator_waiting_for_codes(stub, data_dir):
    waiting = with_source("fysisk_nedbygd_areal", table="07459")
    code, out, _ = run(run_check, None, registry=[waiting, get_indicator("befolkning")])
    assert code == 0
    (line,) = [x for x in out if x.startswith("Venter på koder")]
    assert line.startswith("Venter på koder: fysisk_nedbygd_areal (tabell 07459): ")
    assert "ContentsCode: Personer1 «Persons»" in line and "Tid: 1986–2026" in line
    assert "Region (994 koder)" in line


def test_check_offline_says_ssb_cannot_be_asked(stub, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    with pytest.raises(MiprError) as err:
        run(run_check, ["07459"])
    assert str(err.value).startswith(
        "MIPR_OFFLINE=1 er satt, så `mipr fetch --check` kan ikke spørre SSB"
    )
    assert stub.count() == 0
    assert main(["fetch", "--check"]) == 1


def test_check_retries_a_503_and_reports_bad_json_as_a_problem(stub, data_dir):
    stub.script("metadata", Reply.unavailable(503))
    stub.script("codelist", Reply.bad_json())
    code, out, _ = run(run_check, ["07459"])
    assert any("SSB svarte 503" in line for line in out)  # retried; then the metadata came
    assert code == 1
    (line,) = problems(out)  # the next query asked again and got the codelist
    assert line.startswith(
        "07459 (befolkning): kodelisten agg_KommSummer for Region kunne ikke hentes: SSBs svar "
        "for kodelisten agg_KommSummer"
    )
    assert stub.count("metadata") == 2 and stub.count("codelist") == 2
    codelists = [s for s in SnapshotStore(data_dir).list("07459") if s.kind == "codelist"]
    assert len(codelists) == 1 and b"values" in codelists[0].read_bytes()  # not the bad body


def test_check_stops_when_ssb_asks_for_a_longer_wait_than_allowed(stub, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_MAX_RETRY_WAIT", "1")
    stub.script("metadata", Reply.too_many_requests(retry_after=120))
    out: list[str] = []
    with pytest.raises(RetryAfterTooLong):
        run_check(["07459"], echo=out.append, echo_err=out.append)
    assert out[-1] == "Stoppet etter 0 av 1 tabell(er); resten ble ikke kontrollert."
    assert stub.count("metadata") == 1


def test_mipr_fetch_check_on_the_command_line(stub, data_dir, capsys):
    assert main(["fetch", "--check", "--table", "07459"]) == 0
    out = capsys.readouterr().out
    assert "Tittel hos SSB" in out and "Alt stemmer" in out
    assert stub.count("data") == 0


# -- a fetch SSB refuses ---------------------------------------------------------------------------


def test_a_fetch_ssb_refuses_with_400_gets_the_same_problem_report(stub, data_dir):
    wrong = with_source(
        "befolkning",
        selection={"Region": ["3103"], "ContentsCode": ["Personer9"], "Tid": ["2024"]},
        codelists={},
    )
    code, out, err = run(run_fetch, None, registry=[wrong])
    assert code == 1
    assert [r.status for r in stub.requests("data")] == [400]  # SSB itself said no
    assert err == [
        "mipr fetch: 07459 (befolkning): Personer9 finnes ikke i ContentsCode; SSB har "
        "Personer1 «Persons»"
    ]
    assert "[1/1] 07459, spørring 1/1: feilet  Personer9 finnes ikke i ContentsCode" in out[2]
    assert any("mipr fetch --check" in line for line in out)
    assert [s.kind for s in SnapshotStore(data_dir).list("07459")] == ["metadata"]


def test_a_fetch_with_a_codelist_ssb_does_not_have_is_reported_too(stub, data_dir):
    wrong = with_source("befolkning", codelists={"Region": "agg_KomSummer"})
    code, _, err = run(run_fetch, None, registry=[wrong])
    assert code == 1
    assert err == [
        "mipr fetch: 07459 (befolkning): kodelisten agg_KomSummer finnes ikke for Region; SSB "
        "har agg_KommSummer, agg_KommFylker, agg_KommForrige (3 av 14 kodelister)"
    ]


# -- what is new after a fetch ---------------------------------------------------------------------


def serve_11618(server: PxWebStub) -> None:
    """HAND-MADE stand-in for 11618 with one year after the 2024 baseline."""
    server.add_codelist("agg_KommSummer", HANDMADE_KOMMSUMMER)
    server.add_generated(
        GeneratedTable(
            "11618",
            {
                "Region": list(HANDMADE_KOMMSUMMER),
                "Kjonn": ["0"],
                "Alder": ["15-74", "20-66"],
                "ContentsCode": ["BefolkningBosted", "SysselBosted", "SysselArbsted"],
                "Tid": [str(y) for y in range(2015, 2026)],
            },
            codelists={"Region": ["agg_KommSummer"]},
        )
    )


def test_the_first_fetch_says_which_indicators_have_new_years_and_which_pages_change(
    data_dir, capsys, monkeypatch
):
    with PxWebStub() as server:
        serve_11618(server)
        monkeypatch.setenv("MIPR_SSB_URL", server.url)
        assert main(["fetch", "--check", "--table", "11618"]) == 0
        capsys.readouterr()
        assert main(["fetch", "--table", "11618"]) == 0
        out = capsys.readouterr().out.splitlines()
        start = out.index("Nytt fra SSB i tabell 11618:")
        assert (
            "  Sysselsettingsandel 20-66 år (sysselsettingsandel_20_66): 2025; nullpunkt 2024"
            in out
        )
        assert "  Sysselsatte 20-66 år (bosted) (sysselsatte_20_66): 2025; nullpunkt 2024" in out
        (pages,) = [line for line in out[start:] if line.startswith("Sider som endres: ")]
        names = pages.removeprefix("Sider som endres: ").removesuffix(".").split(", ")
        assert names[0] == "Forside"
        assert {"Sysselsettingsandel 20-66 år", "Befolkning 20-66 år (bosted)"} <= set(names)
        assert "Bakgrunn: Samferdsel og kollektivtilbud" in names  # commuting reads 11618
        assert "Bakgrunn: Natur- og vannmiljø" not in names
        assert out[-1].startswith("Neste steg: `make report`")
        assert main(["fetch", "--table", "11618"]) == 0  # nothing new at SSB: nothing to say
        assert "Nytt fra SSB" not in capsys.readouterr().out


def test_years_the_report_already_shows_are_not_new(data_dir):
    item = FetchItem("11618", {}, {}, ["sysselsatte_20_66", "befolkning_20_66"])
    fetched = [FetchOutcome(item, "hentet", years=(2023, 2024, 2025, 2026))]
    columns = processed_tables.SCHEMAS["values"].columns
    shown = pd.DataFrame(
        {
            "indicator": ["sysselsatte_20_66", "sysselsatte_20_66"],
            "period": [2024, 2025],
            "value": [1.0, 2.0],
            "origin": ["plan", "ssb"],
        }
    ).reindex(columns=list(columns))
    for column, dtype in columns.items():
        if dtype == "str":
            shown[column] = shown[column].astype(object).fillna("")
    processed_tables.write_all({"values": processed_tables.conform("values", shown)}, data_dir)
    news = whats_new(fetched, data_dir)
    assert news.new_years == {"sysselsatte_20_66": [2026], "befolkning_20_66": [2025, 2026]}
    assert news.tables == ["11618"] and "commuting" in news.processed
    assert whats_new([replace(fetched[0], status="gjenbrukt")], data_dir).new_years == {}


# -- pieces ----------------------------------------------------------------------------------------


def test_the_plan_lists_waiting_indicators_with_their_table():
    items, pending = fetch_plan(tables=["10781"])
    assert items == []
    (waiting,) = pending
    assert (waiting.indicator, waiting.table) == ("fysisk_nedbygd_areal", "10781")
    assert str(waiting).startswith("fysisk_nedbygd_areal (tabell 10781): ")


def test_labels_from_ssb_reach_the_console_as_plain_text():
    item = FetchItem("07459", {}, {}, ["befolkning"])
    problem = Problem(
        "07459", "Kjonn", "0", "0 finnes ikke i Kjonn; SSB har 1 «Menn\x1b[31m\nrødt»"
    )
    assert problem_lines([(item, [problem])]) == [
        "07459 (befolkning): 0 finnes ikke i Kjonn; SSB har 1 «Menn [31m rødt»"
    ]


def test_table_lines_align_columns_under_the_header_and_wrap_long_cells():
    lines = table_lines(["A", "Lang tittel"], [["1", "en to tre fire fem"], ["22", "x"]], [5, 9])
    assert lines[0] == "A   Lang tittel"
    assert lines[1] == "--  -----------"
    assert lines[2:] == ["1   en to tre", "    fire fem", "22  x"]


def test_an_indicator_page_follows_new_metadata_of_its_table():
    """The page's "tabell og koder bekreftet" note reads the table's stored metadata, so the
    page's key covers the table's stored files (and only that table's)."""
    job = next(j for j in plan_jobs() if j.parameters.get("indicator_id") == "sysselsatte_20_66")
    raw = {"raw/ssb/11618/a.json": "1", "raw/ssb/07459/b.json": "2"}
    assert runner._checked_table(job, raw) == {"raw/ssb/11618/a.json": "1"}
    front = next(j for j in plan_jobs() if j.front)
    assert runner._checked_table(front, raw) == {}
