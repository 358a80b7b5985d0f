"""The figure theme: fixed region styles, Norwegian axes, direct labels, source line, alt text."""

from __future__ import annotations

import base64
import io
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from IPython.core.formatters import DisplayFormatter
from PIL import Image as PILImage

from mipr_analysis.formatting import MINUS, NBSP
from mipr_analysis.geo import regions
from mipr_analysis.report import theme
from mipr_analysis.report.html_export import export_html

NAMED = ["3103", "3216", "3112", "3114", "MIPR", "IOR", "0"]


@pytest.fixture(autouse=True)
def _theme_and_cleanup():
    theme.apply_theme()
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def population(shared_ssb) -> pd.DataFrame:
    """Real population 1 January (FHI, from SSB table 07459) for the four MIPR municipalities."""
    raw = pd.read_csv(
        shared_ssb / "derived-fhi/population-by-age-sex-b2024.csv.gz",
        usecols=["location_code", "sex", "calyear", "pop_jan1_n"],
    )
    codes = {f"municip_nor{c}": c for c in ("3103", "3216", "3112", "3114")}
    rows = raw[raw.location_code.isin(codes) & (raw.sex == "total")]
    out = (
        rows.groupby(["location_code", "calyear"], as_index=False)
        .pop_jan1_n.sum()
        .rename(columns={"calyear": "year", "pop_jan1_n": "value"})
    )
    out["region"] = out.pop("location_code").map(codes)
    return out


def test_each_named_region_has_its_own_colour_marker_and_line_style():
    styles = [theme.region_style(code) for code in NAMED]
    for attribute in ("colour", "marker"):
        values = [getattr(s, attribute) for s in styles]
        assert len(set(values)) == len(values), f"{attribute} repeats: {values}"
    lines = [(str(s.linestyle), s.linewidth) for s in styles]  # MIPR: solid but thicker
    assert len(set(lines)) == len(lines), lines
    assert {s.colour for s in styles} <= set(theme.OKABE_ITO.values())


def test_region_style_is_fixed_and_others_are_grey():
    assert theme.region_style("K-3103") == theme.region_style("3103")
    assert theme.region_style(3216) == theme.region_style("3216")
    other = theme.region_style("3118")
    assert other.colour == theme.NEUTRAL_GREY


def test_text_colours_are_readable_on_white():
    assert theme.contrast_ratio("#000000") == pytest.approx(21)
    for code in NAMED + ["9999"]:
        colour = theme.region_style(code).colour
        assert theme.contrast_ratio(theme.text_colour(colour)) >= 4.5
    assert theme.text_colour("#000000") == "#000000"  # already readable: unchanged


def test_apply_theme_sets_the_rc_params():
    assert plt.rcParams["axes.spines.top"] is False
    assert plt.rcParams["axes.spines.right"] is False
    assert plt.rcParams["savefig.dpi"] == 300
    assert plt.rcParams["font.size"] >= 10


@pytest.mark.parametrize(
    ("tick", "expected"),
    [
        (1234.5, f"1{NBSP}234,5"),
        (0.25, "0,25"),
        (-5.0, f"{MINUS}5"),
        (52000.0, f"52{NBSP}000"),
        (0.30000000000000004, "0,3"),
    ],
)
def test_axis_numbers_are_norwegian(tick, expected):
    assert theme.nb_formatter()(tick, 0) == expected


def test_year_ticks_have_no_thousands_space():
    assert theme.year_formatter()(2025.0, 0) == "2025"


def test_source_text():
    assert (
        theme.source_text("07459", "2026-02-25T07:00:00Z")
        == "Kilde: SSB, tabell 07459 (oppdatert 25.02.2026)"
    )
    assert theme.source_text("07459") == "Kilde: SSB, tabell 07459"
    frame = pd.DataFrame({"value": [1.0]})
    frame.attrs.update(table_id="07459", updated="2026-02-25")
    assert theme.source_from_attrs(frame) == "Kilde: SSB, tabell 07459 (oppdatert 25.02.2026)"
    with pytest.raises(ValueError, match="kilde"):
        theme.source_from_attrs(pd.DataFrame({"value": [1.0]}))


def _text_artists(fig) -> list:
    return fig.findobj(matplotlib.text.Text)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in _text_artists(fig)]


def test_line_chart_on_real_population(population):
    fig = theme.line_chart(
        population[population.year >= 2015],
        title="Folketallet øker",
        ylabel="Innbyggere 1. januar",
        source="Kilde: FHI, fra SSB tabell 07459",
    )
    ax = fig.axes[0]
    assert ax.get_legend() is None
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"Moss", "Vestby", "Råde", "Våler"}
    for code in ("3103", "3216", "3112", "3114"):
        style = theme.region_style(code)
        line = lines[regions.region_name(code)]
        assert matplotlib.colors.same_color(line.get_color(), style.colour)
        assert line.get_marker() == style.marker
    # direct labels at the line ends, in the data's last year
    labels = {a.get_text(): a for a in ax.texts if not a.get_text().startswith("Kilde:")}
    assert set(labels) == set(lines)
    assert all(a.xy[0] == population.year.max() for a in labels.values())
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert any(NBSP in t for t in ticks), ticks  # 52 000 etc. with a no-break space
    assert all("," not in t and "." not in t for t in ticks)  # whole numbers, no stray separators
    assert "2020" in [t.get_text() for t in ax.get_xticklabels()]
    assert "Kilde: FHI, fra SSB tabell 07459" in _texts(fig)


def test_direct_labels_do_not_overlap():
    # Hand-made values: four lines ending almost at the same height.
    frame = pd.DataFrame(
        {
            "region": [c for c in ("3103", "3216", "3112", "3114") for _ in range(2)],
            "year": [2020, 2021] * 4,
            "value": [100, 100.0, 100, 100.1, 100, 100.2, 100, 100.3],
        }
    )
    fig = theme.line_chart(frame, title="T", ylabel="Indeks", source="Kilde: håndlaget")
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if not t.get_text().startswith("Kilde:")]
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert len(boxes) == 4
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_direct_labels_do_not_overlap_on_an_inverted_axis():
    # Hand-made ranks: "nr. 1" on top; labels still spread apart.
    frame = pd.DataFrame(
        {
            "region": [c for c in ("3103", "3216", "3112") for _ in range(2)],
            "year": [2020, 2021] * 3,
            "value": [10, 50, 12, 50.5, 14, 51],
        }
    )
    fig = theme.line_chart(
        frame, title="T", ylabel="Plass", source="Kilde: håndlaget", invert_y=True
    )
    ax = fig.axes[0]
    assert ax.yaxis_inverted()
    renderer = fig.canvas.get_renderer()
    boxes = [
        t.get_window_extent(renderer) for t in ax.texts if not t.get_text().startswith("Kilde:")
    ]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_source_line_is_below_everything_else():
    frame = pd.DataFrame({"region": ["3103", "3103"], "year": [2020, 2021], "value": [1.0, 2.0]})
    fig = theme.line_chart(frame, title="T", ylabel="Y", xlabel="År", source="Kilde: håndlaget")
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    source = next(t for t in _text_artists(fig) if t.get_text() == "Kilde: håndlaget")
    above = [ax.xaxis.label, *ax.get_xticklabels()]
    lowest = min(t.get_window_extent(renderer).y0 for t in above if t.get_text())
    assert source.get_window_extent(renderer).y1 <= lowest
    assert source.get_window_extent(renderer).x0 <= 1  # from the figure's left edge


def _tight_savefig(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=theme.SCREEN_DPI, bbox_inches="tight")
    return buffer.getvalue()


@pytest.mark.parametrize("layout", [None, "constrained"])
def test_screen_png_is_the_tight_savefig_image(population, layout):
    """One layout pass instead of two, the same pixels (a real chart: its source line and
    direct labels reach outside the axes; constrained layout goes through savefig)."""
    frame = population[population.year >= 2015]

    def chart():
        fig = theme.line_chart(
            frame, title="Folketallet øker", ylabel="Innbyggere", source="Kilde: SSB, tabell 07459"
        )
        fig.axes[0].set_title("En tittel som skyves opp av ingenting", loc="left")
        if layout:
            fig.set_layout_engine(layout)
        return fig

    expected = PILImage.open(io.BytesIO(_tight_savefig(chart())))
    got = PILImage.open(io.BytesIO(theme.screen_png(chart())))
    assert got.size == expected.size
    assert got.convert("RGBA").tobytes() == expected.convert("RGBA").tobytes()
    assert got.mode == ("RGB" if layout is None else "RGBA")  # opaque: no alpha to store
    plt.close("all")


def test_line_chart_takes_the_source_from_attrs_or_refuses():
    frame = pd.DataFrame({"region": ["3103"], "year": [2020], "value": [1.0]})
    with pytest.raises(ValueError, match="kilde"):
        theme.line_chart(frame, title="T", ylabel="Y")
    frame.attrs.update(table_id="07459", updated="2026-02-25")
    fig = theme.line_chart(frame, title="T", ylabel="Y")
    assert "Kilde: SSB, tabell 07459 (oppdatert 25.02.2026)" in _texts(fig)


def test_add_source_refuses_empty_text():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="kilde"):
        theme.add_source(fig, " ")


def test_bar_chart_sorted_with_values(population):
    frame = population[population.year == 2024]
    fig = theme.bar_chart(
        frame,
        title="Moss har flest innbyggere",
        xlabel="Innbyggere",
        unit="personer",
        source="Kilde: FHI, fra SSB tabell 07459",
    )
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["Våler", "Råde", "Vestby", "Moss"]  # largest on top
    values = [t.get_text() for t in ax.texts]
    assert f"52{NBSP}051{NBSP}personer" in values  # Moss, 1 Jan 2024 (real)
    widths = [p.get_width() for p in ax.patches]
    assert widths == sorted(widths)
    assert matplotlib.colors.same_color(
        ax.patches[-1].get_facecolor(), theme.region_style("3103").colour
    )


def test_save_figure_writes_print_png_and_svg(tmp_path, monkeypatch):
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path))
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2], [1, 2])
    png, svg = theme.save_figure(fig, "befolkning_2024", alt="En linje")
    assert png == tmp_path / "figures" / "befolkning_2024.png"
    with PILImage.open(png) as img:
        assert img.info["dpi"] == pytest.approx((300, 300), abs=0.1)
        assert img.info["Description"] == "En linje"
        assert img.width >= 4 * 300 * 0.8
    assert svg.read_text().lstrip().startswith("<?xml") and "En linje" in svg.read_text()
    with pytest.raises(ValueError, match="bokstaver"):
        theme.save_figure(fig, "../ut", alt="x")


def test_show_displays_png_with_alt_and_closes(tmp_path, monkeypatch):
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path))
    monkeypatch.setenv("MIPR_FIGURE_FILES", "1")  # `mipr report --figures`
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2])
    theme.show(fig, alt="Linjediagram: en rett linje", name="linje")
    assert not plt.fignum_exists(fig.number)
    assert (tmp_path / "figures" / "linje.png").is_file()
    assert (tmp_path / "figures" / "linje.svg").is_file()
    data, metadata = DisplayFormatter().format(shown[0])
    assert metadata["image/png"]["alt"] == "Linjediagram: en rett linje"
    png = PILImage.open(io.BytesIO(base64.b64decode(data["image/png"])))
    # shown at 100 CSS px per figure inch, from 1.5 pixels per CSS px
    assert metadata["image/png"]["width"] == round(png.width / 1.5)
    assert metadata["image/png"]["height"] == round(png.height / 1.5)
    assert png.width > fig.get_size_inches()[0] * theme.SCREEN_DPI * 0.8  # a tight box


def test_show_without_name_or_without_figures_flag_saves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path))
    monkeypatch.setattr("IPython.display.display", lambda obj: None)
    monkeypatch.setenv("MIPR_FIGURE_FILES", "1")
    fig, _ = plt.subplots()
    theme.show(fig, alt="Tom figur")
    monkeypatch.setenv("MIPR_FIGURE_FILES", "")
    fig, _ = plt.subplots()
    theme.show(fig, alt="Tom figur", name="navngitt")
    assert not (tmp_path / "figures").exists()


def test_show_puts_the_numbers_under_the_figure(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, _ = plt.subplots()
    numbers = pd.DataFrame({"År": ["2023", "2024"], "Moss": ["51\u00a0000", "52\u00a0051"]})
    theme.show(fig, alt="Linjediagram", data=numbers)
    html = shown[1].data
    assert html.startswith('<details class="figure-data"><summary>Tallene i figuren</summary>')
    assert "<caption>Tallene i figuren</caption>" in html
    assert '<th scope="col">Moss</th>' in html and '<th scope="row">2024</th>' in html
    assert "<td>52\u00a0051</td>" in html


def test_show_refuses_missing_alt():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alternativ tekst"):
        theme.show(fig, alt="  ")


def test_alt_text_from_show_reaches_the_exported_html(tmp_path, monkeypatch):
    """The output show() produces, put in a notebook, gets its alt attribute in our HTML."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, ax = plt.subplots()
    ax.plot([1, 2], [2, 1])
    theme.show(fig, alt='Synkende linje – "test" & <alt>')
    data, metadata = DisplayFormatter().format(shown[0])
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Figur"),
            nbformat.v4.new_code_cell(
                "theme.show(fig, alt=...)",
                outputs=[nbformat.v4.new_output("display_data", data=data, metadata=metadata)],
            ),
        ]
    )
    nbformat.write(nb, tmp_path / "nb.ipynb")
    html = export_html(tmp_path / "nb.ipynb", tmp_path / "nb.html", "Figur").read_text()
    images = BeautifulSoup(html, "html.parser").find_all("img")
    assert [img["alt"] for img in images] == ['Synkende linje – "test" & <alt>']
