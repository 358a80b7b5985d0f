"""regions.yaml is checked when the build reads it: a code that is not a known 2024
municipality stops `mipr build` and the report batch with one line naming the code and file."""

from __future__ import annotations

import shutil

import pytest

from mipr_analysis import config
from mipr_analysis.cli import main
from mipr_analysis.geo import regions
from mipr_analysis.indicators import build
from mipr_analysis.report.plan import plan_jobs
from mipr_analysis.report.runner import run_batch


@pytest.fixture
def edited_regions(tmp_path, monkeypatch):
    """A copy of regions.yaml to edit, read in place of the package's for the test."""
    copy = tmp_path / "regions.yaml"
    shutil.copy(regions.definitions_path(), copy)

    def edit(old: str, new: str) -> None:
        text = copy.read_text(encoding="utf-8")
        assert old in text
        copy.write_text(text.replace(old, new, 1), encoding="utf-8")
        regions._definitions.cache_clear()

    monkeypatch.setattr(regions, "definitions_path", lambda: copy)
    regions._definitions.cache_clear()
    yield edit
    monkeypatch.undo()
    regions._definitions.cache_clear()


def test_the_shipped_definitions_pass(data_dir):
    regions.check_definitions(data_dir)


MIPR_MEMBERS = 'members: ["3103", "3216", "3112", "3114"]'


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ('members: ["3103", "3216", "3112", "3114", "3199"]', "kommunekoden 3199 er ukjent"),
        (
            'members: ["3103", "3216", "3112", "3002"]',
            "kommunekoden 3002 gjaldt før 2024; bruk 3103",
        ),
        ('members: ["3103", "3216", "3112", "MIPR"]', "'MIPR' er ikke en firesifret kommunekode"),
    ],
)
def test_a_wrong_member_is_named_with_the_file(data_dir, edited_regions, members, says):
    edited_regions(MIPR_MEMBERS, members)
    with pytest.raises(regions.RegionDefinitionError) as err:
        regions.check_definitions(data_dir)
    message = str(err.value)
    assert message.startswith(str(regions.definitions_path()))
    assert f"regions.MIPR.members: {says}" in message


def test_an_unknown_report_region_is_named(data_dir, edited_regions):
    edited_regions('report_regions: ["3103",', 'report_regions: ["3199", "3103",')
    with pytest.raises(regions.RegionDefinitionError, match="report_regions: kommunekoden 3199"):
        regions.check_definitions(data_dir)


def test_mipr_build_stops_before_writing_anything(data_dir, edited_regions, capsys):
    shutil.copytree(config.REPO_ROOT / "data" / "raw" / "manual", data_dir / "raw" / "manual")
    edited_regions(MIPR_MEMBERS, 'members: ["3103", "3216", "3112", "3114", "3199"]')
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mipr build: ") and err.count("\n") == 1
    assert "kommunekoden 3199 er ukjent" in err and "regions.yaml" in err
    assert list((data_dir / "processed").iterdir()) == []


def test_the_report_batch_stops_before_any_page(data_dir, edited_regions, tmp_path, monkeypatch):
    shutil.copytree(config.REPO_ROOT / "data" / "raw" / "manual", data_dir / "raw" / "manual")
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path / "reports"))
    edited_regions(MIPR_MEMBERS, 'members: ["3103", "3216", "3112", "3114", "3199"]')
    with pytest.raises(regions.RegionDefinitionError, match="3199"):
        run_batch(plan_jobs(), prepare=build, progress=False)
    assert not list((tmp_path / "reports" / "html").glob("*.html"))
    assert not (data_dir / "processed" / "derived.csv").exists()
