"""Content of the report pages: the notebooks call these and only display what they return.

Everything here reads the processed tables (`mipr build`) and the snapshot sidecars; texts are
bokmål. A page never fails for lack of data: it says what is missing and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mipr_analysis import config
from mipr_analysis.formatting import fmt_change, fmt_date, fmt_number, fmt_value
from mipr_analysis.geo import regions
from mipr_analysis.indicators import Indicator, get_indicator, load_registry, read_processed
from mipr_analysis.indicators.breaks import detect_breaks
from mipr_analysis.indicators.confirm import confirm
from mipr_analysis.indicators.registry import STATUS_RULE

GOAL_TITLES = {
    "hovedmal": "Hovedmål: Mosseregionen skal bli en av landets beste regioner på næringsutvikling",
    "mal1": "Mål 1: Mosseregionen skal bli en offensiv tilrettelegger for næringslivet",
    "mal2": "Mål 2: Mosseregionen skal ha en levende by og kommuner med høy bostedsattraktivitet",
    "mal3": "Mål 3: Næringslivet skal ha tilgang til relevant arbeidskraft, og flere skal delta "
            "i arbeidslivet",
}
FOCUS_TITLES = {
    "naering": "Næringsutvikling",
    "natur_vann": "Natur- og vannmiljø",
    "samferdsel": "Samferdsel og kollektivtilbud",
    "beredskap": "Forsvar og beredskap",
}
ORIGIN_TEXT = {
    "plan": "handlingsplanens nullpunkt",
    "ssb": "SSB",
    "beregnet": "beregnet",
    "manuell": "manuelt registrert",
}
# Measures whose levels compare across regions of different size; counts are shown as an index.
_LEVEL_MEASURES = {"rate", "per_capita", "rank", "change"}


@dataclass
class IndicatorPage:
    """Everything one indicator page shows, read once from `data/processed/`."""

    indicator: Indicator
    values: pd.DataFrame
    derived: pd.DataFrame
    checks: pd.DataFrame
    regions: list[str]

    @property
    def has_series(self) -> bool:
        """More than one period of data for at least one region."""
        counts = self.values.dropna(subset=["value"]).groupby("region")["period"].nunique()
        return bool((counts > 1).any())

    @property
    def baseline_only(self) -> bool:
        """No SSB series and nothing after the baseline year: only the plan's figures."""
        newer = pd.to_numeric(self.values["period"], errors="coerce") > self.indicator.baseline_year
        return not ((self.values["origin"] == "ssb") | newer).any()


def load_page(indicator_id: str, region_ids: list[str] | None = None,
              data_dir: Path | str | None = None) -> IndicatorPage:
    """The indicator's rows from the processed tables, for `region_ids` (default: the report's)."""
    ind = get_indicator(indicator_id)
    wanted = [str(r) for r in (region_ids or regions.report_regions())]

    def rows(name: str) -> pd.DataFrame:
        frame = read_processed(name, data_dir)
        return frame[frame["indicator"] == indicator_id].reset_index(drop=True)

    values = rows("values")
    return IndicatorPage(ind, values[values["region"].isin(wanted)].reset_index(drop=True),
                         rows("derived"), rows("baseline_check"), wanted)


def goal_title(goal: str) -> str:
    return GOAL_TITLES.get(goal) or f"Bakgrunn: {FOCUS_TITLES.get(goal, goal)}"


def header_markdown(page: IndicatorPage) -> str:
    """Title, goal, the plan's target, the source and what the page contains."""
    ind = page.indicator
    lines = [f"# {ind.title}", "", f"**{goal_title(ind.goal)}**", ""]
    if ind.target:
        lines += [f"> {ind.target}", "", "*Handlingsplan for næringsutvikling 2026 (utkast)"
                  + (f", tabell {ind.plan_table}" if ind.plan_table else "") + ".*", ""]
    direction = {"up": "høyere er bedre", "down": "lavere er bedre"}.get(ind.direction,
                                                                        "ingen ønsket retning")
    lines.append(f"Kilde: {ind.source_label}. Enhet: {ind.unit}. Nullpunkt: {ind.baseline_year} "
                 f"({direction}).")
    if page.baseline_only:
        lines += ["", "**Foreløpig finnes bare nullpunktet fra handlingsplanen.** Siden viser "
                  "derfor tallene for " + str(ind.baseline_year) + " slik planen oppgir dem. "
                  "Utviklingen vises når nyere tall er hentet fra kilden."]
    return "\n".join(lines)


def latest_table(page: IndicatorPage) -> pd.DataFrame:
    """One row per region with data: latest period and value, baseline, change and status."""
    ind = page.indicator
    d = page.derived[page.derived["region"].isin(page.regions)].dropna(subset=["value"])
    latest = d[d["is_latest"].astype(str) == "True"]
    out = []
    for rid in page.regions:
        row = latest[latest["region"] == rid]
        if row.empty:
            continue
        r = row.iloc[0]
        at_baseline = int(r["period"]) == ind.baseline_year
        status = r["status"] if isinstance(r["status"], str) else "–"
        out.append({
            "Område": regions.region_name(rid),
            "Periode": str(r["period"]),
            "Verdi": fmt_value(r["value"], ind.unit, ind.decimals),
            f"Nullpunkt {ind.baseline_year}": fmt_value(r["baseline_value"], ind.unit, ind.decimals),
            "Endring": "–" if at_baseline or pd.isna(r["change_abs"])
            else fmt_change(r["change_abs"], ind.decimals, ind.unit),
            "Rangering": _rank_text(r),
            "Status": "nullpunkt, ingen nyere tall" if at_baseline else status,
            "Grunnlag": ORIGIN_TEXT.get(r["origin"], str(r["origin"])),
        })
    return pd.DataFrame(out)


def latest_section(page: IndicatorPage):
    """The 'latest figures' table for display, or a sentence when there are no figures."""
    from IPython.display import Markdown

    from mipr_analysis.formatting import nb_table

    ind = page.indicator
    if ind.measure == "qualitative":
        plan = (ind.schedule or {})
        text = "; ".join(f"{k}: {v}" for k, v in plan.items()) if plan else ""
        return Markdown("Indikatoren registreres og beregnes ikke: den måles med kvalitative "
                        "intervjuer. " + (f"Plan: {text}." if text else ""))
    table = latest_table(page)
    if table.empty:
        return Markdown("Ingen tall ennå for denne indikatoren.")
    without = [regions.region_name(r) for r in page.regions
               if regions.region_name(r) not in set(table["Område"])]
    caption = f"{ind.title}: siste tall mot nullpunktet {ind.baseline_year}"
    if without:
        caption += f". Ingen tall for {', '.join(without)}"
    return nb_table(table, {}, caption=caption)


CHART_REGIONS = (*regions.MIPR_MUNICIPALITIES, "MIPR", "IOR", "0")


def _rank_text(r: pd.Series) -> str:
    if pd.isna(r.get("rank")) or pd.isna(r.get("rank_of")):
        return "–"
    scope = r.get("rank_scope") if isinstance(r.get("rank_scope"), str) else ""
    return f"{fmt_number(r['rank'])} av {fmt_number(r['rank_of'])} {scope}".strip()


def chart_data(page: IndicatorPage) -> tuple[pd.DataFrame, str]:
    """The series to draw and its y-axis label; counts become an index (first year = 100)."""
    ind = page.indicator
    data = page.values[page.values["region"].isin(CHART_REGIONS)].dropna(subset=["value"]).copy()
    data["year"] = pd.to_numeric(data["period"], errors="coerce")
    data = data.dropna(subset=["year"]).sort_values("year")
    data["region_label"] = data["region"].map(regions.region_name)
    if ind.measure in _LEVEL_MEASURES:
        return data, f"{ind.title} ({ind.unit})"
    keep = []
    for _, part in data.groupby("region"):
        part = part.copy()
        part["value"] = part["value"] / part["value"].iloc[0] * 100
        keep.append(part)
    first = int(data["year"].min())
    return pd.concat(keep), f"Indeks ({first} = 100)"


def finding_title(page: IndicatorPage) -> str:
    """A title that states the finding for the region (MIPR, else the first municipality)."""
    ind = page.indicator
    data = page.values.dropna(subset=["value"]).copy()
    data["year"] = pd.to_numeric(data["period"], errors="coerce")
    for rid in ["MIPR", *page.regions]:
        part = data[data["region"] == rid].sort_values("year")
        if len(part) >= 2:
            a, b = part.iloc[0], part.iloc[-1]
            verb = "økte" if b["value"] > a["value"] else "falt" if b["value"] < a["value"] else \
                "var uendret"
            if ind.measure == "rank":
                verb = {"økte": "falt", "falt": "steg"}.get(verb, verb)  # a higher number is worse
            return (f"{ind.title}: {regions.region_name(rid)} {verb} fra "
                    f"{fmt_value(a['value'], ind.unit, ind.decimals)} i {int(a['year'])} til "
                    f"{fmt_value(b['value'], ind.unit, ind.decimals)} i {int(b['year'])}")
    return f"{ind.title}, {ind.baseline_year}"


def bar_title(page: IndicatorPage, shown: pd.DataFrame) -> str:
    """'Sysselsettingsandel 20-66 år 2024: høyest i Vestby, lavest i Moss'."""
    ind = page.indicator
    ordered = shown.sort_values("value")
    low, high = (regions.region_name(r) for r in ordered["region"].iloc[[0, -1]])
    period = ordered["period"].iloc[-1]
    baseline = " (nullpunkt)" if int(period) == ind.baseline_year and page.baseline_only else ""
    if ind.measure == "rank":  # nr. 1 is best
        return f"{ind.title} {period}{baseline}: best plassert {low}, svakest {high}"
    return f"{ind.title} {period}{baseline}: høyest i {high}, lavest i {low}"


def alt_text(page: IndicatorPage, kind: str, shown: pd.DataFrame) -> str:
    """What the figure shows, in words, with the latest value of each region drawn (`shown`)."""
    ind = page.indicator
    data = page.values[page.values["region"].isin(set(shown["region"]))].dropna(subset=["value"])
    data = data.assign(year=pd.to_numeric(data["period"], errors="coerce"))
    parts = []
    for rid, part in data.sort_values("year").groupby("region", sort=False):
        last = part.iloc[-1]
        parts.append(f"{regions.region_name(rid)} {fmt_value(last['value'], ind.unit, ind.decimals)}"
                     f" i {int(last['year'])}")
    first, last = int(data["year"].min()), int(data["year"].max())
    years = str(first) if first == last else f"{first}–{last}"
    return f"{kind} av {ind.title.lower()} {years}. Siste verdier: " + "; ".join(parts) + "."


def source_line(page: IndicatorPage) -> str:
    """'Kilde: SSB, tabell 07459 (oppdatert ...)' or the manual publisher via the plan."""
    ind = page.indicator
    snaps = provenance(page)
    if ind.source.type == "ssb" and snaps:
        newest = max((s["ssb_updated"] or "" for s in snaps), default="")
        text = f"Kilde: SSB, tabell {', '.join(ind.source.tables())}"
        return text + (f" (oppdatert {fmt_date(newest)})" if newest else "")
    pub = ind.source.publisher or ind.source_label
    return f"Kilde: {pub}, gjengitt i Handlingsplan for næringsutvikling 2026 (utkast)" + (
        f", tabell {ind.plan_table}" if ind.plan_table else "")


def provenance(page: IndicatorPage) -> list[dict]:
    """The stored snapshots the page's values came from: table, SSB's updated, fetch date."""
    refs = sorted({p.strip() for cell in page.values["snapshot"].dropna() for p in str(cell).split(";")
                   if p.strip()})
    out = []
    for ref in refs:
        body = config.data_dir() / ref
        sidecar = body.with_name(body.name.rsplit(".", 1)[0] + ".meta.json")
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            out.append({"file": ref, "table": "?", "ssb_updated": None, "fetched": None,
                        "source": "sidefil mangler"})
            continue
        out.append({"file": ref, "table": meta.get("table_id"), "source": meta.get("source"),
                    "ssb_updated": meta.get("ssb_updated"),
                    "fetched": meta.get("imported_at") or meta.get("fetched_at"),
                    "original": meta.get("original_filename")})
    return out


def sources_markdown(page: IndicatorPage) -> str:
    """The page's sources: the plan's tables, and each SSB table with its files and dates."""
    ind = page.indicator
    lines = ["## Kilder", ""]
    plan = page.values[page.values["origin"] == "plan"]
    for src in sorted(plan["source"].dropna().unique()):
        lines.append(f"- {src}")
    snaps = pd.DataFrame(provenance(page))
    if not snaps.empty:
        for (table, kind), part in snaps.groupby(["table", "source"], sort=False):
            updated = sorted(u for u in part["ssb_updated"].dropna())
            fetched = sorted(f for f in part["fetched"].dropna())
            if kind == "statbank-csv":
                names = sorted(part["original"].dropna())
                what = (f"{len(part)} CSV-eksport{'er' if len(part) > 1 else ''} fra "
                        f"Statistikkbanken ({names[0]}" + (f" … {names[-1]}" if len(names) > 1
                                                          else "") + ")")
            else:
                what = f"PxWebApi v2, {len(part)} fil{'er' if len(part) > 1 else ''}"
            when = (f"SSB oppdatert {fmt_date(updated[-1])}" if updated
                    else "SSBs oppdateringsdato følger ikke med CSV-eksporten")
            lines.append(f"- SSB, tabell {table}: {what}; {when}; hentet "
                         f"{fmt_date(fetched[-1]) if fetched else 'ukjent dato'}. Filer under "
                         f"`data/raw/ssb/{table}/`.")
    if ind.source.type == "ssb":
        lines.append("- Statistisk sentralbyrå (SSB), lisens CC BY 4.0 / NLOD 2.0.")
    return "\n".join(lines)


def quality_lines(page: IndicatorPage) -> list[str]:
    """Breaks, missing values with SSB's symbol, plan figures vs recomputed/SSB, caveats."""
    ind = page.indicator
    lines = []
    if ind.source.type == "ssb":
        check = confirm(ind)
        if check.confirmed is False or (check.confirmed is None and not ind.table_confirmed):
            lines.append("**Tabell eller koder ikke bekreftet:** " + check.text
                         + (f" {ind.source.pending}" if ind.source.pending else ""))
        elif check.confirmed:
            lines.append(check.text)
    lines += breaks_text(page)
    lines += missing_lines(page.values)
    for r in page.checks.itertuples():
        if isinstance(r.matches, str) and r.matches == "True" or r.matches is True:
            continue
        if isinstance(r.note, str) and r.note and not pd.isna(r.printed):
            lines.append(f"{regions.region_name(str(r.region))} {r.period} ({r.comparison}): {r.note}")
    return lines + list(ind.caveats)


def missing_lines(values: pd.DataFrame) -> list[str]:
    """'Norge 2005–2019: tall mangler (reason)', one line per region and reason."""
    missing = values[values["value"].isna()].copy()
    missing["why"] = [n if isinstance(n, str) and n else (s or "ukjent årsak")
                      for n, s in zip(missing["note"], missing["status"])]
    out = []
    for (region, why), part in missing.groupby(["region", "why"], sort=False):
        years = sorted(int(p) for p in part["period"].dropna())
        span = _year_spans(years)
        out.append(f"{regions.region_name(region)} {span}: tall mangler ({why}).")
    return out


def _year_spans(years: list[int]) -> str:
    """[2005, 2006, 2007, 2010] -> '2005–2007, 2010'."""
    spans: list[list[int]] = []
    for y in years:
        if spans and y == spans[-1][1] + 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def quality_markdown(page: IndicatorPage) -> str:
    """The data-quality section of an indicator page, with the status rule."""
    lines = ["## Datakvalitet", ""] + [f"- {line}" for line in quality_lines(page)]
    if len(lines) == 2:
        lines.append("Ingen merknader.")
    return "\n".join(lines + ["", f"*Regel for status:* {STATUS_RULE}"])


def quality_brief_markdown(page: IndicatorPage) -> str:
    """The same notes in short form for the background pages (empty when there are none)."""
    lines = quality_lines(page)
    return "\n".join(["**Datakvalitet**", ""] + [f"- {line}" for line in lines]) if lines else ""


def breaks_text(page: IndicatorPage) -> list[str]:
    """'Brudd i serien' per region, from values that are not the plan's (SSB series)."""
    out = []
    ind = page.indicator
    if ind.source.type == "derived" or ind.measure == "change":
        return out  # a series of changes has no level to break
    data = page.values[(page.values["origin"] != "plan")].dropna(subset=["value"])
    for rid, part in data.groupby("region"):
        series = part.assign(year=pd.to_numeric(part["period"], errors="coerce")).dropna(
            subset=["year"]).set_index("year")["value"].sort_index()
        series.index = series.index.astype(int)
        if len(series) < 3:
            continue
        found = detect_breaks(series, region=rid)
        for b in found.itertuples():
            out.append(f"{regions.region_name(rid)}: {b.reason} ({b.from_year}–{b.to_year}).")
    return out


def overview_table(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Every result indicator for MIPR and the four municipalities: baseline, latest, status.

    Tidy (one row per indicator and region with a figure); `overview_wide` shapes it for reading.
    """
    registry = [i for i in load_registry() if i.is_result]
    derived = read_processed("derived", data_dir)
    latest = derived[(derived["is_latest"].astype(str) == "True") & derived["value"].notna()]
    rows = []
    for ind in registry:
        mine = latest[latest["indicator"] == ind.id]
        for rid in ["MIPR", *regions.MIPR_MUNICIPALITIES]:
            r = mine[mine["region"] == rid]
            if r.empty:
                continue
            r = r.iloc[0]
            at_baseline = int(r["period"]) == ind.baseline_year
            rows.append({
                "Mål": goal_title(ind.goal).split(":")[0],
                "Indikator": ind.title,
                "Område": regions.region_name(rid),
                "Nullpunkt": fmt_value(r["baseline_value"], ind.unit, ind.decimals),
                "Siste": fmt_value(r["value"], ind.unit, ind.decimals),
                "Periode": str(r["period"]),
                "Status": "nullpunkt" if at_baseline else (
                    r["status"] if isinstance(r["status"], str) else "–"),
                "indicator": ind.id, "region": rid, "goal": ind.goal,
                "baseline_value": r["baseline_value"], "value": r["value"],
                "change_abs": r["change_abs"], "unit": ind.unit,
            })
    return pd.DataFrame(rows)


def overview_wide(part: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator: the latest figure for each area and its status against the
    baseline ('nullpunkt' while the baseline year is the latest)."""
    names = [regions.region_name(r) for r in ["MIPR", *regions.MIPR_MUNICIPALITIES]]
    out = []
    for _, rows in part.groupby("indicator", sort=False):
        by_area = rows.set_index("Område")
        line = {"Indikator": rows["Indikator"].iloc[0], "Periode": rows["Periode"].max()}
        for name in names:
            if name in by_area.index:
                r = by_area.loc[name]
                status = "" if r["Status"] in ("nullpunkt", "–") else f" ({r['Status']})"
                line[name] = r["Siste"] + status
            else:
                line[name] = "–"
        statuses = set(rows["Status"])
        line["Status"] = statuses.pop() if len(statuses) == 1 else "se hver kommune"
        out.append(line)
    return pd.DataFrame(out)


def focus_indicators(area: str) -> list[Indicator]:
    """The background indicators of one focus area, in registry order."""
    if area not in FOCUS_TITLES:
        raise ValueError(f"unknown focus area {area!r}; use one of {', '.join(FOCUS_TITLES)}")
    return [i for i in load_registry() if i.goal == area]


def main_figure(page: IndicatorPage):
    """The page's figure and its alt text, or a sentence saying why there is none.

    A series gives a line chart (counts as an index so regions of different size compare);
    baseline figures alone give a bar chart of the baseline year; fewer than two values, none.
    """
    from mipr_analysis.report import theme

    ind = page.indicator
    if page.has_series:
        data, ylabel = chart_data(page)
        fig = theme.line_chart(data, title=finding_title(page), ylabel=ylabel,
                               source=source_line(page), invert_y=ind.measure == "rank")
        kind = "Linjediagram" + (f" ({ylabel.lower()})" if ylabel.startswith("Indeks") else "")
        return fig, alt_text(page, kind, data)
    base = page.values.dropna(subset=["value"])
    base = base[base["region"].map(regions.is_municipality)]
    if len(base) >= 2:
        fig = theme.bar_chart(base, title=bar_title(page, base),
                              xlabel=f"{ind.title} ({ind.unit})", unit=ind.unit,
                              decimals=ind.decimals, source=source_line(page))
        return fig, alt_text(page, "Stolpediagram", base)
    return "Ingen figur: det finnes ennå for få tall til å vise en utvikling eller en sammenligning."


def overview_intro_markdown(data_dir: Path | str | None = None) -> str:
    """The front page's opening: what it shows and how status is judged."""
    derived = read_processed("derived", data_dir)
    results = {i.id: i.baseline_year for i in load_registry() if i.is_result}
    mine = derived[derived["indicator"].isin(results) & derived["value"].notna()]
    only_plan = not (mine["period"] > mine["indicator"].map(results)).any()
    lines = [
        "# Oversikt: resultatmålene mot nullpunktet",
        "",
        "Tabellene viser hver resultatindikator i handlingsplanen for næringsutvikling, for "
        "Mosseregionen samlet og for hver kommune: nullpunktet (som regel 2024), siste tall og "
        "status mot nullpunktet. Hver indikator har en egen side med utvikling, kilder og "
        "merknader om datakvalitet.",
    ]
    if only_plan:
        lines += ["", "**Rapporten bygger foreløpig bare på nullpunktet i handlingsplanen** "
                  "(tabell 2–8). Nyere tall vises når de er hentet fra SSB og de andre kildene."]
    return "\n".join(lines)


def save_overview_csv(table: pd.DataFrame) -> Path:
    """The overview as a CSV for a Norwegian Excel, under `reports/figures/oversikt.csv`."""
    from mipr_analysis.formatting import write_excel_csv

    out = table[["Mål", "Indikator", "Område", "Periode", "Status"]].copy()
    out.insert(3, "Nullpunkt", table["baseline_value"])
    out.insert(4, "Siste verdi", table["value"])
    out.insert(5, "Enhet", table["unit"])
    return write_excel_csv(out, config.reports_dir() / "figures" / "oversikt.csv")


def overview_notes_markdown() -> str:
    return "\n".join(["## Slik leses status", "", STATUS_RULE, "",
                      "Kilder: SSB (CC BY 4.0 / NLOD 2.0), KS, NHO Kommune-NM og Telemarksforsking "
                      "slik de er gjengitt i handlingsplanen. Se hver indikatorside for detaljer."])


def focus_intro_markdown(area: str) -> str:
    """The background page's title and what it covers."""
    if area not in FOCUS_TITLES:
        raise ValueError(f"unknown focus area {area!r}; use one of {', '.join(FOCUS_TITLES)}")
    count = len(focus_indicators(area))
    return (f"# Bakgrunn: {FOCUS_TITLES[area]}\n\nTallene bak innsatsområdet "
            f"«{FOCUS_TITLES[area].lower()}» i strategien for Mosseregionen IPR 2026–2029: "
            f"{count} bakgrunnsindikator{'er' if count != 1 else ''}. Der det ikke finnes en åpen "
            "kilde ennå, står det hvorfor.")


def focus_section_markdown(ind: Indicator, data_dir: Path | str | None = None) -> str:
    """A background indicator's heading, source and, when no open source exists, the reason."""
    lines = [f"## {ind.title}", ""]
    if ind.source.type == "none":
        lines.append(f"**Ingen åpen kilde ennå.** {ind.source.reason or ''}".strip())
        return "\n".join(lines)
    lines.append(f"Kilde: {ind.source_label}. Enhet: {ind.unit}.")
    if ind.source.pending:
        lines.append(f"\n*Hentes ikke ennå:* {ind.source.pending}")
    return "\n".join(lines)
