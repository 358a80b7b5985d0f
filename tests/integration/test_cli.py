"""The `mipr` command line: exit codes, one-line errors, and each command against real files or
the local PxWebApi stand-in."""

from __future__ import annotations

import shutil

import pytest

from mipr_analysis import config
from mipr_analysis.cli import main
from mipr_analysis.ssb.store import SnapshotStore
from tests.support.pxweb_stub import GeneratedTable, PxWebStub, Reply


@pytest.fixture
def with_manual(data_dir):
    shutil.copytree(config.REPO_ROOT / "data" / "raw" / "manual", data_dir / "raw" / "manual")
    return data_dir


REGION_CODES = {
    "K-3103": "Moss",
    "K-3216": "Vestby",
    "K-3112": "Råde",
    "K-3114": "Våler",
    "K-Rest": "Uoppgitt",
}


def serve_07459(stub: PxWebStub) -> None:
    """HAND-MADE stand-in for table 07459 fetched with agg_KommSummer: real codes, generated
    values (cell positions)."""
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


def test_import_csv_then_status(shared_ssb, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    path = shared_ssb / "statbank-csv" / "07459" / "Personer2024.csv"
    assert main(["import-csv", str(path), "--table", "07459"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Importert Personer2024.csv som 07459 (2024) -> ")
    assert len(SnapshotStore(data_dir).list("07459")) == 1
    assert main(["import-csv", str(path), "--table", "07459"]) == 0
    assert capsys.readouterr().out.startswith("Allerede importert: Personer2024.csv som 07459")
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    header, rule, row = out.splitlines()[:3]
    assert header.split() == [
        "Datasett",
        "Type",
        "Perioder",
        "Hentet",
        "Oppdatert",
        "hos",
        "SSB",
        "Fil",
        "Bruk",
    ]
    assert set(rule) == {"-", " "}
    assert row.split() == [
        "07459",
        "Statistikkbanken-CSV",
        "2024",
        row.split()[3],
        "–",
        "Personer2024.csv",
        "i",
        "bruk",
    ]
    assert "SSB ble ikke spurt om nyere tall (MIPR_OFFLINE=1)." in out
    assert ".meta.json" not in out and "Z_csv-" not in out  # no internal file names


def test_bad_csv_is_one_line_on_stderr_and_nothing_stored(data_dir, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text('"region";"age";"Persons 2024"\n"K-3103 Moss";"0 years";abc\n', encoding="utf-8")
    assert main(["import-csv", str(bad), "--table", "07459"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mipr import-csv: ") and err.count("\n") == 1
    assert "bad.csv" in err and "linje 2" in err and "Traceback" not in err
    assert SnapshotStore(data_dir).list() == []


def test_missing_file_is_a_clear_error(data_dir, capsys):
    assert main(["import-csv", "no-such.csv", "--table", "07459"]) == 1
    assert "finner ikke filen" in capsys.readouterr().err


def test_import_codes_cut_and_file_then_status(
    shared_ssb, klass_data_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    provenance = config.REPO_ROOT / "data" / "provenance"
    path = shared_ssb / "recorded" / "11618" / "11618-2022.csv.gz"
    assert (
        main(
            [
                "import-codes",
                str(path),
                "--table",
                "11618",
                "--source",
                "pendling 2022",
                "--provenance",
                str(provenance / "ssb-11618-pendling.yaml"),
                "--keep",
                "Region=3002,3017",
                "ContentsCode=SysselBosted",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("Importert 11618-2022.csv.gz som 11618 (2022; utsnitt: 2 av 1 068 rader)")
    geo = shared_ssb.parent / "geo" / "fylker-2024-S.geojson"
    if geo.is_file():
        assert (
            main(
                [
                    "import-file",
                    str(geo),
                    "--table",
                    "kartverket/fylker-2024",
                    "--source",
                    "Kartverket",
                    "--provenance",
                    str(provenance / "kartverket.yaml"),
                ]
            )
            == 0
        )
        assert "som kartverket/fylker-2024 -> " in capsys.readouterr().out
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("11618"))
    assert "11618-2022.csv.gz" in line and line.endswith("i bruk")
    note = next(x for x in out.splitlines() if x.startswith("- 11618, 11618-2022.csv.gz: "))
    assert "fra statisticsnorway/pendling@b3d34483cc46:data/data_kommune2022.rds" in note
    assert "utsnitt (2 av 1 068 rader)" in note
    assert "klass/kommuneendringer-2024" in out


def test_replace_is_shown_by_status(data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    old = tmp_path / "handmade-old.csv"
    old.write_text(
        "region;age;Persons 2023;Persons 2024\nK-3103 Moss;0 years;1;2\n", encoding="utf-8"
    )
    new = tmp_path / "handmade-new.csv"
    new.write_text("region;age;Persons 2024\nK-3103 Moss;0 years;3\n", encoding="utf-8")
    assert main(["import-csv", str(old), "--table", "99999"]) == 0
    assert main(["import-csv", str(new), "--table", "99999"]) == 1
    err = capsys.readouterr().err
    assert "perioden 2024 finnes allerede i handmade-old.csv" in err and "--replace" in err
    assert main(["import-csv", str(new), "--table", "99999", "--replace"]) == 0
    assert "erstatter" in capsys.readouterr().out
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    old_line = next(x for x in lines if x.startswith("99999") and "handmade-old.csv" in x)
    new_line = next(x for x in lines if x.startswith("99999") and "handmade-new.csv" in x)
    assert old_line.endswith("i bruk for 2023") and new_line.endswith("i bruk")
    new_note = next(x for x in lines if x.startswith("- 99999, handmade-new.csv: "))
    old_note = next(x for x in lines if x.startswith("- 99999, handmade-old.csv: "))
    assert "erstatter" in new_note and "for 2024" in new_note
    assert "erstattet av handmade-new.csv for 2024" in old_note


def test_status_fails_on_a_problem_and_lists_it(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    folder = data_dir / "raw" / "ssb" / "07459"
    folder.mkdir(parents=True)
    (folder / ".tmp-handmade").write_bytes(b"x")
    (folder / "20260101T000000000000Z_x.meta.json").write_text("{", encoding="utf-8")
    assert main(["status"]) == 1
    captured = capsys.readouterr()
    problems = [x for x in captured.out.splitlines() if x.startswith("FEIL: ")]
    assert len(problems) == 2
    assert any("midlertidig fil" in p for p in problems)
    assert any("er ødelagt (ugyldig JSON på linje 1)" in p for p in problems)
    assert captured.err == (
        "mipr status: 2 feil i de lagrede dataene (se FEIL over). Rett dem før rapporten bygges.\n"
    )


def test_list_shows_every_indicator(with_manual, capsys):
    from mipr_analysis.indicators import load_registry

    assert main(["list"]) == 0
    assert "tallene er ikke bygget ennå" in capsys.readouterr().out
    assert main(["build"]) == 0
    capsys.readouterr()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Indikator", "Mål", "eller"]
    rows = {line.split()[0]: line for line in lines[2:] if line and not line.startswith(" ")}
    for ind in load_registry():
        assert ind.id in rows
    assert "bare nullpunkt" in rows["nho_kommune_nm_total"]
    assert "ingen åpen kilde" in rows["sykefravaer"]
    assert "«bare nullpunkt»: bare handlingsplanens nullpunkt" in " ".join(lines)


def test_build_writes_processed(with_manual, capsys):
    assert main(["build"]) == 0
    assert (with_manual / "processed" / "indicator_values.csv").is_file()
    assert "indicator_values.csv" in capsys.readouterr().out


def test_fetch_then_nothing_new_sends_no_data_request(data_dir, capsys, monkeypatch):
    with PxWebStub() as stub:
        serve_07459(stub)
        monkeypatch.setenv("MIPR_SSB_URL", stub.url)
        assert main(["fetch", "--table", "07459"]) == 0
        first = capsys.readouterr().out
        data_requests = stub.count("data")
        assert data_requests >= 1 and "hentet" in first and "0 feilet" in first
        assert main(["fetch", "--table", "07459"]) == 0
        second = capsys.readouterr().out
        assert stub.count("data") == data_requests  # only /tables/07459 was asked
        assert stub.count("table") == 1  # once for the table, not once per query
        assert "0 hentet" in second and "gjenbrukt" in second
    files = sorted(p.name for p in (data_dir / "raw" / "ssb" / "07459").iterdir())
    assert len(files) == len(SnapshotStore(data_dir).list("07459")) * 2  # nothing new stored
    # one metadata snapshot, and one of the codelist (agg_KommSummer) the queries use
    assert sum(".meta.json" in f for f in files) == data_requests + 2


def test_fetch_failure_exits_non_zero_with_the_table(data_dir, capsys, monkeypatch):
    with PxWebStub() as stub:
        serve_07459(stub)
        stub.script("data", *[Reply.problem(404, "Non-existent table", "07459")] * 3, table="07459")
        monkeypatch.setenv("MIPR_SSB_URL", stub.url)
        assert main(["fetch", "--table", "07459"]) == 1
    captured = capsys.readouterr()
    assert "feilet" in captured.out and "07459" in captured.err


def test_fetch_unknown_table_is_refused(data_dir, capsys):
    assert main(["fetch", "--table", "99999"]) == 1
    assert "99999" in capsys.readouterr().err


def test_fetch_offline_is_refused(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    assert main(["fetch", "--table", "07459"]) == 1
    assert "MIPR_OFFLINE" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "fetch" in capsys.readouterr().out


def test_status_online_says_when_ssb_has_updated_since(data_dir, capsys, monkeypatch):
    with PxWebStub() as stub:
        serve_07459(stub)
        monkeypatch.setenv("MIPR_SSB_URL", stub.url)
        assert main(["fetch", "--table", "07459"]) == 0
        capsys.readouterr()
        assert main(["status"]) == 0
        assert "SSB har oppdatert" not in capsys.readouterr().out
        table = stub.tables["07459"].data
        table.updated = "2026-03-10T07:00:00Z"  # SSB publishes the table again
        stub.tables["07459"].info = table.info()
        assert main(["status"]) == 0
        out = capsys.readouterr().out
    assert "07459: SSB har oppdatert tabellen 2026-03-10" in out
    assert "mipr fetch --table 07459" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--workers", "0"],
        ["report", "--workers", "-3"],
        ["report", "--timeout", "0"],
        ["report", "--timeout", "ti"],
        ["report", "--only", "finnes_ikke"],
        ["import-csv", "x.csv"],
        ["rapport"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv, data_dir, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("mipr"), err


def test_usage_errors_are_in_bokmal(data_dir, capsys):
    main(["report", "--workers", "0"])
    assert "må være minst 1" in capsys.readouterr().err
    main(["import-csv", "x.csv"])
    assert "disse argumentene mangler: --table" in capsys.readouterr().err
    main(["report", "--only", "finnes_ikke"])
    assert "ingen rapportside heter finnes_ikke" in capsys.readouterr().err


def test_a_corrupt_snapshot_stops_the_report(data_dir, capsys, monkeypatch):
    """A stored file whose bytes no longer match its sidecar: exit 1, one line, no pages."""
    from mipr_analysis.ssb.imports import import_statbank_csv

    csv = data_dir / "hand-made.csv"  # hand-made export, two cells
    csv.write_text(
        '"07459: Befolkning"\n\n"region";"Personer 2024"\n"K-3103 Moss";52051\n'
        '"K-3216 Vestby";19493\n',
        encoding="utf-8",
    )
    snap = import_statbank_csv(csv, "07459", data_dir)
    body = snap.body_path.read_bytes()
    snap.body_path.write_bytes(body.replace(b"52051", b"52061"))
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(data_dir.parent / "reports"))
    assert main(["report", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mipr report: ") and err.count("\n") == 1
    assert snap.body_path.name in err and "mipr status" in err
    assert not (data_dir.parent / "reports" / "html" / "index.html").exists()


def test_a_build_error_stops_the_report_with_the_builds_message(data_dir, capsys, monkeypatch):
    """The build runs in its own process; its error still reaches the user as one line, and
    no page is made from stale or partial data."""
    manual = data_dir / "raw" / "manual"
    shutil.copytree(config.REPO_ROOT / "data" / "raw" / "manual", manual)
    table = manual / "handlingsplan_2026_tabell_3.csv"
    # hand-made damage: a typed figure that is not a number
    table.write_text(
        table.read_text(encoding="utf-8").replace(",3103,2024,52671,", ",3103,2024,52 6x1,", 1),
        encoding="utf-8",
    )
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(data_dir.parent / "reports"))
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    assert main(["report", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mipr report: ") and err.count("\n") == 1
    assert "handlingsplan_2026_tabell_3.csv" in err and "52 6x1" in err
    assert not (data_dir / "processed" / "derived.csv").exists()
    assert not (data_dir.parent / "reports" / "html" / "index.html").exists()


def test_a_manual_data_error_survives_the_trip_from_the_build_process():
    import pickle

    from mipr_analysis.indicators.manual import ManualDataError

    manual = pickle.loads(pickle.dumps(ManualDataError(["a.csv:2: tom verdi"])))
    assert manual.problems == ["a.csv:2: tom verdi"]
    assert str(manual).endswith("Rett dem og kjør igjen: a.csv:2: tom verdi")
