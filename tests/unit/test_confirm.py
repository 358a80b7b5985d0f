"""Registry selections checked against SSB's stored metadata (the real 07459 response)."""

from __future__ import annotations

from dataclasses import replace

from mipr_analysis.indicators import get_indicator
from mipr_analysis.indicators.confirm import confirm
from mipr_analysis.ssb.store import PXWEB, SnapshotStore, query_key


def store_metadata(data_dir, shared_ssb):
    body = (shared_ssb / "api-v2" / "07459.metadata.en.json").read_bytes()
    SnapshotStore(data_dir).save(
        "07459",
        body,
        source=PXWEB,
        kind="metadata",
        lang="en",
        query_key=query_key("07459", None, None, "en", kind="metadata"),
        url="recorded",
        method="GET",
        query=None,
        ssb_updated=None,
    )


def test_without_metadata_nothing_is_claimed(data_dir):
    check = confirm(get_indicator("befolkning"), data_dir)
    assert check.confirmed is None and "mipr fetch --check" in check.text


def test_population_selection_exists_in_the_real_metadata(data_dir, shared_ssb):
    store_metadata(data_dir, shared_ssb)
    check = confirm(get_indicator("befolkning"), data_dir)
    assert check.confirmed is True
    assert "07459: Population" in check.text


def test_a_wrong_code_is_named(data_dir, shared_ssb):
    store_metadata(data_dir, shared_ssb)
    ind = get_indicator("befolkning")
    wrong = replace(
        ind,
        source=replace(
            ind.source,
            selection={**ind.source.selection, "ContentsCode": ["Personer9"], "Kjonn": ["0"]},
        ),
    )
    check = confirm(wrong, data_dir)
    assert check.confirmed is False
    assert "Personer9 finnes ikke i ContentsCode; SSB har Personer1 «Persons»" in check.text
    assert "0 finnes ikke i Kjonn; SSB har 2 «Females», 1 «Males»" in check.text  # no 0 in 07459
