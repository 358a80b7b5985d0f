"""The snapshot store: layout, sidecars, atomic writes, checksums and `load_table`'s choices.

Bodies saved here are HAND-MADE (tiny JSON-stat and CSV made up for the test), except where a
test reads the real recordings through `shared_ssb`.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mipr_analysis import __version__, config
from mipr_analysis.ssb.errors import NoSnapshot, SnapshotCorrupt
from mipr_analysis.ssb.frames import load_table, snapshot_frame
from mipr_analysis.ssb.imports import import_statbank_csv
from mipr_analysis.ssb.sidecar import DatasetIdError, ImportRefused
from mipr_analysis.ssb.store import PXWEB, STATBANK_CSV, SnapshotStore, query_key, verify_store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def handmade_jsonstat(value: float, years=("2024",), updated="2026-02-25T07:00:00Z") -> bytes:
    """A HAND-MADE one-region JSON-stat2 dataset (not SSB figures)."""
    doc = {
        "version": "2.0",
        "class": "dataset",
        "label": "HAND-MADE test table",
        "source": "hand-made test fixture",
        "updated": updated,
        "id": ["Region", "ContentsCode", "Tid"],
        "size": [1, 1, len(years)],
        "dimension": {
            "Region": {
                "label": "region",
                "category": {"index": {"3103": 0}, "label": {"3103": "Moss"}},
            },
            "ContentsCode": {
                "label": "contents",
                "category": {"index": {"Personer1": 0}, "label": {"Personer1": "Persons"}},
            },
            "Tid": {
                "label": "year",
                "category": {
                    "index": {y: i for i, y in enumerate(years)},
                    "label": {y: y for y in years},
                },
            },
        },
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
        "value": [value + i for i in range(len(years))],
        "extension": {"px": {"tableid": "99001"}},
    }
    return json.dumps(doc).encode()


def save(store: SnapshotStore, body: bytes, when=T0, key="k1", **fields):
    fields.setdefault("source", PXWEB)
    return store.save("99001", body, query_key=key, fetched_at=when, lang="no", **fields)


def test_query_key_is_stable_sorted_by_variable_and_keeps_value_order():
    codelists = {"Region": "vs_Kommun"}
    a = query_key("07459", {"Region": ["3103", "3112"], "Tid": ["2024"]}, codelists)
    b = query_key("07459", {"Tid": ["2024"], "Region": ["3103", "3112"]}, codelists)
    assert a == b and len(a) == 12 and int(a, 16) >= 0
    assert a != query_key("07459", {"Region": ["3112", "3103"], "Tid": ["2024"]}, codelists)
    assert a != query_key("07459", {"Region": ["3103", "3112"], "Tid": ["2024"]}, codelists, "en")
    assert a != query_key("07459", {"Region": ["3103", "3112"], "Tid": ["2024"]}, None)


def test_save_writes_body_as_received_and_a_full_sidecar(data_dir):
    body = handmade_jsonstat(10.0)
    snap = save(
        SnapshotStore(),
        body,
        url="http://x/data",
        method="GET",
        query={"selection": {}},
        ssb_updated="2026-02-25T07:00:00Z",
    )
    assert snap.body_path.parent == data_dir / "raw" / "ssb" / "99001"
    assert snap.body_path.name == "20260301T120000000000Z_k1.json"
    assert snap.body_path.read_bytes() == body
    meta = json.loads(snap.sidecar_path.read_text(encoding="utf-8"))
    assert snap.sidecar_path.read_text(encoding="utf-8").startswith("{\n  ")  # indented
    assert meta == {
        "table_id": "99001",
        "source": PXWEB,
        "kind": "data",
        "url": "http://x/data",
        "method": "GET",
        "query": {"selection": {}},
        "lang": "no",
        "ssb_updated": "2026-02-25T07:00:00Z",
        "query_key": "k1",
        "fetched_at": "2026-03-01T12:00:00.000000Z",
        "sha256": hashlib.sha256(body).hexdigest(),
        "bytes": len(body),
        "client_version": __version__,
    }


def test_snapshots_are_never_overwritten(data_dir):
    store = SnapshotStore()
    first = save(store, handmade_jsonstat(1.0))
    with pytest.raises(FileExistsError):
        save(store, handmade_jsonstat(2.0))
    assert first.read_bytes() == handmade_jsonstat(1.0)


def test_list_and_latest_sort_by_time_and_filter(data_dir):
    store = SnapshotStore()
    old = save(store, handmade_jsonstat(1.0), when=T0)
    new = save(store, handmade_jsonstat(2.0), when=T0 + timedelta(days=1))
    other = save(store, handmade_jsonstat(3.0), when=T0 + timedelta(days=2), key="k2")
    assert [s.body_path for s in store.list("99001")] == [
        old.body_path,
        new.body_path,
        other.body_path,
    ]
    assert store.latest("99001", "k1").body_path == new.body_path
    assert store.latest("99001").body_path == other.body_path
    assert store.latest("99001", source=STATBANK_CSV) is None
    assert store.latest("99001", kind="metadata") is None
    assert store.latest("99999") is None
    with pytest.raises(DatasetIdError, match="fem sifre"):
        store.latest("nope")


@pytest.mark.parametrize("failing_call", [1, 2])
def test_failed_write_leaves_no_partial_file_and_keeps_the_old(data_dir, monkeypatch, failing_call):
    store = SnapshotStore()
    old = save(store, handmade_jsonstat(1.0))
    before = sorted(p.name for p in old.body_path.parent.iterdir())
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == failing_call:
            raise OSError("disk full (simulated)")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(OSError, match="simulated"):
        save(store, handmade_jsonstat(2.0), when=T0 + timedelta(hours=1))
    monkeypatch.setattr(os, "replace", real_replace)
    assert sorted(p.name for p in old.body_path.parent.iterdir()) == before
    assert store.orphans() == []
    assert store.latest("99001").read_bytes() == handmade_jsonstat(1.0)


def test_body_without_sidecar_is_an_orphan_that_readers_ignore(data_dir):
    store = SnapshotStore()
    good = save(store, handmade_jsonstat(1.0))
    orphan = good.body_path.with_name("20260302T000000000000Z_k1.json")
    orphan.write_bytes(handmade_jsonstat(2.0))
    leftover = good.body_path.with_name(".tmp-abc123")
    leftover.write_bytes(b"{")
    assert [s.body_path for s in store.list()] == [good.body_path]
    assert store.orphans("99001") == [leftover, orphan]
    assert load_table("99001")["value"].tolist() == [1.0]


def test_tampered_body_is_refused(data_dir):
    snap = save(SnapshotStore(), handmade_jsonstat(1.0))
    snap.body_path.write_bytes(handmade_jsonstat(1.5))
    with pytest.raises(SnapshotCorrupt) as err:
        snap.read_bytes()
    message = str(err.value)
    assert snap.body_path.name in message and "stemmer ikke med sjekksummen" in message
    assert "mipr fetch --table 99001" in message and "git checkout --" in message
    with pytest.raises(SnapshotCorrupt):
        load_table("99001")


def test_frame_carries_snapshot_provenance(data_dir):
    snap = save(SnapshotStore(), handmade_jsonstat(7.0), ssb_updated="2026-02-25T07:00:00Z")
    df = snapshot_frame(snap)
    assert df["value"].tolist() == [7.0]
    prov = df.attrs["snapshot"]
    assert prov["path"] == str(snap.body_path)
    assert prov["source"] == PXWEB and prov["ssb_updated"] == "2026-02-25T07:00:00Z"
    assert prov["fetched_at"] == "2026-03-01T12:00:00.000000Z"
    assert prov["age_days"] == (datetime.now(UTC) - T0).days


def test_load_table_takes_the_newest_complete_split_fetch(data_dir):
    store = SnapshotStore()
    for part in (1, 2):
        save(store, handmade_jsonstat(10.0 * part), when=T0, part=part, parts=2)
    newer = T0 + timedelta(days=1)
    for part in (1, 2):
        save(store, handmade_jsonstat(100.0 * part), when=newer, part=part, parts=2)
    sidecar = store.list()[-1].sidecar_path  # newer part 2: gone, so that fetch is incomplete
    assert sidecar.name.endswith("_part2of2.meta.json")
    sidecar.unlink()
    df = load_table("99001", query_key="k1")
    assert df["value"].tolist() == [10.0, 20.0]
    assert len(df.attrs["snapshot"]["parts"]) == 2
    meta = store.list()[0].meta
    assert (meta["part"], meta["parts"], meta["group"]) == (1, 2, "20260301T120000000000Z_k1")


def test_load_table_without_snapshot_says_how_to_get_the_data(data_dir):
    with pytest.raises(NoSnapshot) as err:
        load_table("07459")
    message = str(err.value)
    assert "mipr fetch --table 07459" in message
    assert "mipr import-csv FIL --table 07459" in message


HANDMADE_CSV = "region,age,Persons 2019,Persons 2020\n0101 Halden,0 years,{a},{b}\n"
"""HAND-MADE Statistikkbanken-style CSV (made-up numbers) with two years."""


def write_csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    return path


def test_load_table_unions_csv_imports_and_a_replace_takes_over_its_years(data_dir, tmp_path):
    older = write_csv(tmp_path, "handmade-2019-2020.csv", HANDMADE_CSV.format(a=1, b=2))
    newer = write_csv(
        tmp_path,
        "handmade-2020-2021.csv",
        "region,age,Persons 2020,Persons 2021\n0101 Halden,0 years,20,30\n",
    )
    first = import_statbank_csv(older, "07459")
    with pytest.raises(ImportRefused, match=r"perioden 2020 finnes allerede .* --replace"):
        import_statbank_csv(newer, "07459")
    second = import_statbank_csv(newer, "07459", replace=True)
    assert second.meta["supersedes"] == [{"file": first.relative_path, "periods": [2020]}]
    df = load_table("07459")
    by_year = dict(zip(df["year"].tolist(), df["value"].tolist()))
    assert by_year == {2019: 1.0, 2020: 20.0, 2021: 30.0}
    assert [(s["file"], s["periods"]) for s in df.attrs["snapshots"]] == [
        (second.relative_path, [2020, 2021]),
        (first.relative_path, [2019]),
    ]
    assert df.attrs["snapshot"] == df.attrs["snapshots"][0]  # the newest import
    assert df.attrs["snapshot"]["source"] == "statbank-csv"
    used = SnapshotStore(data_dir).in_use("07459")
    assert [(u.first.relative_path, u.periods) for u in used] == [
        (second.relative_path, (2020, 2021)),
        (first.relative_path, (2019,)),
    ]


def test_identical_overlapping_imports_are_accepted_and_never_doubled(data_dir, tmp_path):
    """Two imports holding the same cells: each cell is read once (no doubled sums)."""
    a = write_csv(tmp_path, "handmade-a.csv", HANDMADE_CSV.format(a=1, b=2))
    b = write_csv(
        tmp_path,
        "handmade-b.csv",
        "region,age,Persons 2020,Persons 2021\n0101 Halden,0 years,2,3\n0104 Moss,0 years,5,6\n",
    )
    import_statbank_csv(a, "07459")
    import_statbank_csv(b, "07459")  # 2020 Halden is 2 in both
    df = load_table("07459")
    assert len(df) == 5 and not df.duplicated(["Region", "Alder", "ContentsCode", "Tid"]).any()
    assert df.groupby("year")["value"].sum().to_dict() == {2019: 1, 2020: 7, 2021: 9}
    periods = {
        s["file"].rsplit("/", 1)[-1].split("_")[1]: s["periods"] for s in df.attrs["snapshots"]
    }
    assert sorted(periods.values()) == [[2019, 2020], [2020, 2021]]


def test_a_kept_union_names_the_files_of_the_folder_it_is_read_from(data_dir, tmp_path):
    """The union of imports is kept by content; two folders with the same files share it, but
    each frame names its own folder's files (and a damaged file is still caught)."""
    a = write_csv(tmp_path, "handmade-a.csv", HANDMADE_CSV.format(a=1, b=2))
    b = write_csv(
        tmp_path,
        "handmade-b.csv",
        "region,age,Persons 2021,Persons 2022\n0101 Halden,0 years,3,4\n",
    )
    for folder in (data_dir, tmp_path / "copy"):
        import_statbank_csv(a, "07459", folder)
        import_statbank_csv(b, "07459", folder)
    first, second = (
        load_table("07459", None, data_dir),
        load_table("07459", None, tmp_path / "copy"),
    )
    assert first.equals(second)
    assert all(s["path"].startswith(str(data_dir)) for s in first.attrs["snapshots"])
    assert all(s["path"].startswith(str(tmp_path / "copy")) for s in second.attrs["snapshots"])
    assert second.attrs["snapshot"] == second.attrs["snapshots"][0]
    damaged = Path(second.attrs["snapshot"]["path"])
    damaged.write_bytes(damaged.read_bytes().replace(b",3,", b",9,"))
    with pytest.raises(SnapshotCorrupt):
        load_table("07459", None, tmp_path / "copy")


def test_load_table_prefers_a_fetched_snapshot_over_csv_imports(data_dir, tmp_path):
    import_statbank_csv(write_csv(tmp_path, "handmade.csv", HANDMADE_CSV.format(a=1, b=2)), "99001")
    save(SnapshotStore(), handmade_jsonstat(5.0), when=T0 - timedelta(days=400))
    df = load_table("99001")
    assert df["value"].tolist() == [5.0]
    assert df.attrs["snapshot"]["source"] == PXWEB


def test_load_table_unions_real_statbank_exports(data_dir, shared_ssb):
    folder = shared_ssb / "statbank-csv" / "07459"
    for name in ("Personer2019.csv", "Personer2024.csv"):
        import_statbank_csv(folder / name, "07459")
    df = load_table("07459")
    assert sorted(df["year"].unique().tolist()) == [2019, 2024]
    moss_2024 = df[(df["year"] == 2024) & (df["Region_label"].str.contains("Moss"))]["value"].sum()
    assert moss_2024 == 52051  # README's check figure


def test_files_are_readable_by_others(data_dir):
    snap = save(SnapshotStore(), handmade_jsonstat(1.0))
    mask = os.umask(0)
    os.umask(mask)
    for path in (snap.body_path, snap.sidecar_path):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_other_publishers_live_in_their_own_folder(data_dir):
    store = SnapshotStore()
    snap = store.save(
        "fhi/handmade-test",
        b"hand-made,1\n",
        source="file",
        query_key="f1",
        ext="csv.gz",
        fetched_at=T0,
    )
    assert snap.body_path.parent == data_dir / "raw" / "fhi" / "handmade-test"
    assert snap.relative_path == "raw/fhi/handmade-test/20260301T120000000000Z_f1.csv.gz"
    assert store.datasets() == ["fhi/handmade-test"]
    assert store.orphans() == [] and store.problems() == []
    assert store.for_body(snap.relative_path).meta == snap.meta
    assert [u.first.body_path for u in store.in_use("fhi/handmade-test")] == [snap.body_path]


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc",
        "",
        "7459",
        "074590",
        "FHI/x",
        "fhi/",
        "fhi/a/b",
        "fhi/a_b",
        "ssb/07459",
        "manual/x",
        "fhi/-a",
        "fhi/a--b",
    ],
)
def test_bad_dataset_ids_are_refused_before_any_folder_is_made(data_dir, bad):
    with pytest.raises(DatasetIdError) as err:
        SnapshotStore().save(bad, b"x", source="file", query_key="k")
    assert "fem sifre, f.eks. 07459" in str(err.value)
    assert "fhi/befolkning-b2024" in str(err.value)
    assert [p for p in (data_dir / "raw").rglob("*")] == []


def test_in_use_takes_the_newest_complete_fetch_per_query(data_dir):
    store = SnapshotStore()
    old_a = save(store, handmade_jsonstat(1.0), when=T0, key="a")
    new_a = save(store, handmade_jsonstat(2.0), when=T0 + timedelta(days=1), key="a")
    only_b = save(store, handmade_jsonstat(3.0), when=T0 - timedelta(days=5), key="b")
    for part in (1, 2):  # a newer split fetch of "a" with part 2 missing: not complete
        save(
            store, handmade_jsonstat(9.0), when=T0 + timedelta(days=2), key="a", part=part, parts=3
        )
    used = store.in_use("99001")
    assert [u.first.body_path for u in used] == [new_a.body_path, only_b.body_path]
    assert used[0].row()["files"] == [new_a.relative_path]
    assert old_a.body_path not in {s.body_path for u in used for s in u.snapshots}
    assert load_table("99001")["value"].tolist() == [2.0]
    assert load_table("99001", "b")["value"].tolist() == [3.0]


def test_for_body_finds_the_sidecar_of_a_processed_row(data_dir):
    store = SnapshotStore()
    snap = save(store, handmade_jsonstat(1.0), ssb_updated="2026-02-25T07:00:00Z")
    found = store.for_body("raw/ssb/99001/20260301T120000000000Z_k1.json")
    assert found.meta["ssb_updated"] == "2026-02-25T07:00:00Z" and found.body_path == snap.body_path
    with pytest.raises(NoSnapshot, match="ingen sidefil"):
        store.for_body("raw/ssb/99001/20990101T000000000000Z_k1.json")
    with pytest.raises(NoSnapshot, match="ikke en lagret fil"):
        store.for_body("raw/ssb/99001/../../../etc/passwd")


def test_problems_lists_everything_and_verify_store_fails_with_the_count(data_dir):
    store = SnapshotStore()
    good = save(store, handmade_jsonstat(1.0))
    changed = save(store, handmade_jsonstat(2.0), when=T0 + timedelta(hours=1), key="k2")
    changed.body_path.write_bytes(handmade_jsonstat(2.5))
    (good.body_path.parent / ".tmp-leftover").write_bytes(b"{")
    (good.body_path.parent / "20260101T000000000000Z_x.json").write_bytes(b"{}")
    loose = data_dir / "raw" / "klass"
    loose.mkdir()
    (loose / "changes.csv").write_text("handmade\n", encoding="utf-8")
    (data_dir / "raw" / "ssb" / ".gitkeep").write_text("", encoding="utf-8")
    problems = store.problems()
    assert len(problems) == 4, problems
    text = "\n".join(problems)
    assert "stemmer ikke med sjekksummen" in text and changed.body_path.name in text
    assert ".tmp-leftover: midlertidig fil" in text
    assert "20260101T000000000000Z_x.json: mangler sidefil" in text
    assert "changes.csv: ligger utenfor en datasett-mappe" in text
    with pytest.raises(SnapshotCorrupt) as err:
        verify_store(data_dir)
    assert "4 feil" in str(err.value) and "mipr status" in str(err.value)
    # A precomputed map is used instead of reading the files again.
    hashes = {s.relative_path: s.meta["sha256"] for s in (good, changed)}
    assert not any("sjekksummen" in p for p in store.problems(hashes))
    assert load_table("99001", "k1")["value"].tolist() == [1.0]  # readers ignore the rest


def test_verify_store_passes_on_a_clean_store(data_dir):
    save(SnapshotStore(), handmade_jsonstat(1.0))
    verify_store(data_dir)
    verify_store(data_dir / "does-not-exist")


SHIPPED = config.REPO_ROOT / "data"


@pytest.mark.skipif(
    not (SHIPPED / "raw" / "ssb" / "07459").is_dir(),
    reason="the repository's shipped data (data/import-shared.sh) is not there",
)
def test_the_shipped_data_gives_the_check_figures():
    """The repository's own data/raw/ (made by data/import-shared.sh from ../shared)."""
    verify_store(SHIPPED)
    pop = load_table("07459", data_dir=SHIPPED)
    assert sorted(pop["year"].unique()) == list(range(2005, 2025))
    totals = pop[pop["year"] == 2024].groupby("Region")["value"].sum()
    assert {c: totals[f"K-{c}"] for c in ("3103", "3216", "3112", "3114")} == {
        "3103": 52051,
        "3216": 19493,
        "3112": 7883,
        "3114": 6145,
    }
    assert not pop.duplicated(["Region", "Alder", "ContentsCode", "Tid"]).any()
    jobs = load_table("11618", data_dir=SHIPPED)
    moss = jobs[(jobs["Region"] == "3002") & (jobs["year"] == 2022)]
    assert dict(zip(moss["ContentsCode"], moss["value"])) == {
        "BefolkningBosted": 38088,
        "SysselBosted": 24447,
        "SysselArbsted": 21232,
    }
    commuting = load_table("03321", data_dir=SHIPPED)
    from_moss = commuting[(commuting["Bokommuen"] == "3002") & (commuting["year"] == 2022)]
    by_work = dict(zip(from_moss["ArbstedKomm"], from_moss["value"]))
    assert (by_work["3002"], by_work["0301"]) == (13116, 3788)
    fhi = load_table("fhi/befolkning-b2024", data_dir=SHIPPED)
    assert fhi.attrs["snapshot"]["citation"] == "FHI, bearbeidet fra SSB tabell 07459"
    cuts = sorted(s["cut"] for s in fhi.attrs["snapshots"])
    assert cuts[0].startswith("utsnitt: bare rader der granularity_geo er municip og sex er total")
    assert cuts[1].startswith("utsnitt: bare rader der location_code er")
    moss_fhi = fhi[(fhi["location_code"] == "municip_nor3103") & (fhi["sex"] == "total")]
    assert moss_fhi.groupby("year")["value"].sum()[2024] == 52051
    assert sorted(fhi["year"].unique()) == list(range(2005, 2027))
    every = fhi[(fhi["year"] == 2026) & (fhi["granularity_geo"] == "municip")]
    assert every["location_code"].nunique() == 357  # the second cut: every municipality
    assert not fhi.duplicated(["location_code", "age", "sex", "year"]).any()  # cells read once
    store = SnapshotStore(SHIPPED)
    assert {
        "klass/kommuneendringer-2017-2020",
        "klass/kommuneendringer-2024",
        "kartverket/kommuner-2024",
    } <= set(store.datasets())
    kart = store.in_use("kartverket/kommuner-2024")[0].row()
    assert kart["citation"] == "Kart: Kartverket (CC BY 4.0)"
    assert kart["origin"].startswith("robhop/fylker-og-kommuner@ae8782500090")
