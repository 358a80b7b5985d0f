"""The position figure: every municipality drawn, ours named (never a code), alt text with the
ranks, everything inside the figure."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text

from mipr_analysis import config
from mipr_analysis.geo import regions
from mipr_analysis.indicators import page_data, positions, processed
from mipr_analysis.report import position_charts

SHIPPED = config.REPO_ROOT / "data"
OURS = [regions.region_name(r) for r in page_data.OWN_REGIONS]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data folder with the positions of the shipped data."""
    folder = tmp_path_factory.mktemp("charts") / "data"
    processed.write_all({"positions": positions.compute(SHIPPED).table}, folder)
    return folder


@pytest.fixture(scope="module", params=processed.POSITION_AREAS)
def drawn(request, data_dir):
    area = request.param
    rows = page_data.positions(area, data_dir)
    result = position_charts.position_figure(
        rows,
        title="Mosseregionen blant landets kommuner",
        source=page_data.position_source(area, SHIPPED),
        before=page_data.positions(area, data_dir, latest=False),
    )
    yield rows, result
    plt.close(result.figure)


def _points(ax, label: str) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if c.get_label() == label)


def test_every_municipality_with_a_value_is_drawn(drawn):
    rows, result = drawn
    measures = list(dict.fromkeys(rows["measure"]))
    axes = result.figure.axes
    assert len(axes) == len(measures)
    for ax, measure in zip(axes, measures):
        part = rows[(rows["measure"] == measure) & (rows["level"] == "municipality")]
        assert (
            _points(ax, "_municipalities") + _points(ax, "_outside") == part["value"].notna().sum()
        )


def test_ours_are_named_in_every_row_and_no_code_is_shown(drawn):
    rows, result = drawn
    codes = set(rows["region"])
    for ax in result.figure.axes:
        names = {t.get_text() for t in ax.texts}
        assert set(OURS) <= names
    texts = [t.get_text() for t in result.figure.findobj(Text)]
    shown = " ".join(texts)
    assert not [c for c in codes if c in shown.split()]
    assert not any(c in shown for c in codes if not c.isdigit())  # "BA002", "MIPR"


def test_name_labels_do_not_overlap(drawn):
    _, result = drawn
    fig = result.figure
    fig.canvas.draw()  # an annotation's text is placed when it is drawn
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        # the text alone (an annotation's own extent includes its line to the marker)
        boxes = [Text.get_window_extent(t, renderer) for t in ax.texts if t.get_text() in OURS]
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), (a, b)


def test_everything_is_inside_the_figure(drawn):
    _, result = drawn
    fig = result.figure
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    assert box.x0 >= -0.01 and box.y0 >= -0.01
    assert box.x1 <= width + 0.01 and box.y1 <= height + 0.01


def test_alt_text_says_each_marked_rank_in_words(drawn):
    rows, result = drawn
    for _, part in rows.groupby("measure", sort=False):
        moss = part[part["region"] == "3103"].iloc[0]
        council = part[part["region"] == "MIPR"].iloc[0]
        assert f"nr. {moss['rank']} av {moss['rank_of']} kommuner" in result.alt
        assert f"Mosseregionen {page_data.position_value_text(council)}" in result.alt
        assert moss["title"] in result.alt
    assert "3103" not in result.alt


def test_the_numbers_under_the_figure(drawn):
    rows, result = drawn
    data = result.data
    assert set(data["Område"]) >= set(OURS)
    moss = rows[(rows["region"] == "3103")].iloc[0]
    first = data[(data["Område"] == "Moss") & (data["Mål"] == moss["title"])].iloc[0]
    assert first["Blant alle kommuner"] == f"nr. {moss['rank']} av {moss['rank_of']}"
    assert "Endring i plass" in data.columns


def test_nothing_to_draw_is_an_error(data_dir):
    rows = page_data.positions("naering", data_dir)
    empty = rows.assign(value=float("nan"))
    with pytest.raises(Exception, match="ingen kommuner med tall"):
        position_charts.position_figure(empty, title="t", source="Kilde: x")
