"""The centrality classes and BA regions: read from the shipped files and checked when read."""

from __future__ import annotations

import pytest

from mipr_analysis import config
from mipr_analysis.errors import Missing
from mipr_analysis.geo import groupings, regions
from mipr_analysis.ssb.imports import import_file

SHIPPED = config.REPO_ROOT / "data"

CLASS_BOUNDS = {1: (925, 1000), 2: (870, 924), 3: (775, 869), 4: (670, 774), 5: (565, 669)}
"""SSB's index bounds of the classes 1-5 (class 6 is 0-564), from the standard's class labels."""


def test_centrality_has_every_2024_municipality_once():
    table = groupings.centrality(SHIPPED)
    expected = groupings.municipalities_2024(SHIPPED)
    assert len(expected) == 357
    assert set(table["region"]) == expected
    assert table["region"].is_unique
    assert set(table["centrality_class"]) == set(groupings.CENTRALITY_CLASSES)


def test_centrality_index_lies_inside_its_class():
    table = groupings.centrality(SHIPPED)
    for row in table.itertuples():
        low, high = CLASS_BOUNDS.get(row.centrality_class, (0, 564))
        assert low <= row.centrality_index <= high, row


def test_comparable_municipalities_share_the_class():
    table = groupings.centrality(SHIPPED).set_index("region")
    for code in regions.MIPR_MUNICIPALITIES:
        own = groupings.centrality_class(code, SHIPPED)
        peers = groupings.comparable_municipalities(code, SHIPPED)
        assert code in peers
        assert set(table.loc[list(peers), "centrality_class"]) == {own}
        assert len(peers) == int((table["centrality_class"] == own).sum())
    # an older code of the same municipality gives the same class
    assert groupings.centrality_class("3002", SHIPPED) == groupings.centrality_class(
        "3103", SHIPPED
    )


def test_ba_regions_cover_every_municipality_once_with_the_stale_codes_fixed():
    table = groupings.ba_regions(SHIPPED)
    assert set(table["region"]) == groupings.municipalities_2024(SHIPPED)
    assert table["ba_region"].nunique() == 159
    assert {"5061", "3236", "3234"} <= set(table["region"])
    assert not {"1567", "3444", "3445"} & set(table["region"])
    members = groupings.ba_members(SHIPPED)
    listed = [m for codes in members.values() for m in codes]
    assert sorted(listed) == sorted(table["region"])
    # the README of the shipped file: Moss and Våler in BA 2 Moss, Råde in Fredrikstad/Sarpsborg
    assert groupings.ba_region_of("3103", SHIPPED) == groupings.ba_region_of("3114", SHIPPED)
    assert groupings.ba_region_of("3112", SHIPPED) != groupings.ba_region_of("3103", SHIPPED)
    names = groupings.ba_names(SHIPPED)
    assert names[groupings.ba_region_of("3103", SHIPPED)] == "BA-region Moss"


def _import_handmade(data_dir, tmp_path, dataset: str, text: str) -> None:
    path = tmp_path / f"{dataset.split('/')[1]}-handmade.csv"
    path.write_text(text, encoding="utf-8")
    import_file(path, dataset, data_dir, source_text="håndlaget testfil")


def _shipped_text(dataset: str) -> str:
    return groupings.stored_file(dataset, SHIPPED).data.decode("utf-8")


def test_an_unknown_code_is_an_error_naming_it(data_dir, tmp_path):
    text = _shipped_text(groupings.CENTRALITY).replace("\n3103,", "\n0199,")
    _import_handmade(data_dir, tmp_path, groupings.CENTRALITY, text)
    with pytest.raises(groupings.GroupingError, match="'0199'.*ikke kommunenummer fra 2024"):
        groupings.centrality(data_dir)


def test_a_missing_municipality_is_an_error_naming_it(data_dir, tmp_path):
    lines = _shipped_text(groupings.BA_REGIONS).splitlines(keepends=True)
    text = "".join(line for line in lines if not line.startswith("3114,"))
    _import_handmade(data_dir, tmp_path, groupings.BA_REGIONS, text)
    with pytest.raises(groupings.GroupingError, match="mangler kommunene 3114 Våler"):
        groupings.ba_regions(data_dir)


def test_a_municipality_twice_is_an_error(data_dir, tmp_path):
    lines = _shipped_text(groupings.CENTRALITY).splitlines(keepends=True)
    moss = next(line for line in lines if line.startswith("3103,"))
    _import_handmade(data_dir, tmp_path, groupings.CENTRALITY, "".join([*lines, moss]))
    with pytest.raises(groupings.GroupingError, match="3103 står mer enn én gang"):
        groupings.centrality(data_dir)


def test_a_class_outside_1_to_6_is_an_error(data_dir, tmp_path):
    text = _shipped_text(groupings.CENTRALITY).replace("\n3103,02,", "\n3103,07,")
    _import_handmade(data_dir, tmp_path, groupings.CENTRALITY, text)
    with pytest.raises(groupings.GroupingError, match="kommune 3103.*utenfor 1–6"):
        groupings.centrality(data_dir)


def test_without_the_file_the_error_says_what_to_import(data_dir):
    with pytest.raises(Missing, match="klass/sentralitet-b2024.*mipr import-file"):
        groupings.centrality(data_dir)
