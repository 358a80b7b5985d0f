"""The figures in the strategy's background text, set against the data the project holds.

Each claim is quoted from the strategy (`STRATEGY` names where). What the data show is computed
from the processed positions and the stored datasets; where the project holds nothing that
measures the claim, the reason says so plainly. No claim is marked as confirmed unless the same
measure, year and regions are in the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mipr_analysis import formatting as fmt
from mipr_analysis.errors import MiprError
from mipr_analysis.geo import regions

STRATEGY = (
    "Strategi 2026–2029 for Mosseregionen interkommunalt politisk råd, innsatsområdet "
    "«Næringsutvikling», bakgrunn"
)
"""Where the claims are quoted from."""

PARTLY, NOT_CHECKABLE = "Kan delvis sjekkes", "Kan ikke sjekkes"
"""The verdicts: the data hold a related measure; nothing that measures the claim."""
ONE_IN = {2: "to", 3: "tre", 4: "fire", 5: "fem", 6: "seks", 7: "sju", 8: "åtte", 9: "ni", 10: "ti"}

STRATEGY_EMPLOYMENT_PLACE = (61, 73)
"""The strategy's place of the region in employment (2023): nr. 61 of 73 regions."""

COLUMNS = ("Strategien sier", "Hva prosjektets tall viser", "Vurdering")


@dataclass(frozen=True)
class Claim:
    """A sentence of the strategy and how to set it against the data (None: nothing to check)."""

    quote: str
    check: Callable[[Path | str | None, pd.DataFrame], tuple[str, str]] | None
    reason: str = ""


def _positions_row(placed: pd.DataFrame, measure: str, region: str) -> pd.Series | None:
    mine = placed[(placed["measure"] == measure) & (placed["region"] == region)]
    return None if mine.empty else mine.iloc[0]


def _growth_2025(data_dir, placed: pd.DataFrame) -> tuple[str, str]:
    from .page_data import ba_place_text, position_value_text
    from .positions import measures

    said = []
    population = _positions_row(placed, "befolkningsvekst_1", regions.COUNCIL)
    if population is not None and int(population["base_period"]) == 2025:
        said.append(
            f"Befolkningsveksten i 2025 (1. januar 2025 til 1. januar 2026) var "
            f"{position_value_text(population)} i Mosseregionen, "
            f"{ba_place_text(population)} lagt inn blant landets BA-regioner. "
            + _municipal_ranks(placed, "befolkningsvekst_1")
        )
    else:
        said.append("Prosjektet har ikke befolkningstall for hele 2025.")
    jobs = _positions_row(placed, "arbeidsplassvekst_1", regions.COUNCIL)
    if jobs is not None and int(jobs["base_period"]) == 2024 and pd.notna(jobs["value"]):
        said.append(
            f"Arbeidsplassveksten fra 2024 til 2025 var {position_value_text(jobs)}, "
            f"{ba_place_text(jobs)} lagt inn blant landets BA-regioner."
        )
    else:
        table = next(m.source for m in measures() if m.id == "arbeidsplassvekst_1")
        newest = f"fra {int(jobs['period'])}" if jobs is not None else "ikke der"
        said.append(
            f"Arbeidsplassveksten i 2025 kan ikke sjekkes: de nyeste arbeidsplasstallene "
            f"prosjektet har, er {newest} (SSB, tabell {table})."
        )
    said.append(
        "Strategien sier ikke hvilke regioner som er de sammenliknbare, så plass 3 og 2 kan "
        "ikke regnes etter."
    )
    return " ".join(said), PARTLY


def _municipal_ranks(placed: pd.DataFrame, measure: str) -> str:
    mine = placed[placed["measure"] == measure].set_index("region")
    ranked = mine.reindex(list(regions.MIPR_MUNICIPALITIES)).dropna(subset=["rank"])
    if ranked.empty:
        return ""
    places = ", ".join(f"{r.region_name} nr. {int(r.rank)}" for r in ranked.itertuples())
    return f"Blant landets kommuner: {places} av {int(ranked['rank_of'].max())}."


def _outside_work(data_dir, placed: pd.DataFrame) -> tuple[str, str]:
    from mipr_analysis.datasets import load, select, sum_over

    try:
        outside = load("utenfor_arbeid_20_66", regions=[regions.COUNCIL], data_dir=data_dir)
        people = load("fhi/befolkning-b2024", regions=[regions.COUNCIL], data_dir=data_dir)
    except MiprError as exc:
        return f"Tallene for å sjekke dette mangler: {exc}", NOT_CHECKABLE
    year = int(outside["year"].max())
    latest = outside[outside["year"] == year].iloc[0]
    ages = select(people, {"sex": ["total"], "age": {"min": 20, "max": 66}})
    total = sum_over(ages, ["age", "sex"])
    base = total.loc[total["year"] == year, "value"]
    if base.empty:
        return f"Befolkningen 20–66 år i {year} mangler.", NOT_CHECKABLE
    share = float(latest["value"]) / float(base.iloc[0]) * 100
    one_in = round(100 / share)
    return (
        f"{fmt.fmt_number(latest['value'])} personer 20–66 år var utenfor arbeid i {year} "
        f"(ledige, på tiltak, med arbeidsavklaringspenger, uføretrygd, AFP eller "
        f"alderspensjon; {_source_words(latest['source'])}). Det er "
        f"{fmt.fmt_percent(share, 1)} av befolkningen 20–66 år 1. januar {year} (FHI), om lag "
        f"én av {ONE_IN.get(one_in, str(one_in))}. Strategien oppgir ikke kilde, år eller "
        "aldersgruppe for «en av fire», så tallene måler ikke nødvendigvis det samme. "
        + _neet(data_dir),
        PARTLY,
    )


def _source_words(source: str) -> str:
    """A value's source as a reader says it ("beregnet fra X" -> "regnet fra X")."""
    text = str(source)
    return (
        "regnet fra " + text.removeprefix("beregnet fra ") if text.startswith("beregnet") else text
    )


def _neet(data_dir) -> str:
    """What the project holds on young people neither in work nor education."""
    from mipr_analysis.datasets import load

    indicator = _indicator("neet_15_29")
    try:
        rate = load(indicator.id, regions=[regions.COUNCIL], data_dir=data_dir)
    except MiprError:
        return f"{indicator.title} (SSB, tabell {indicator.source.table}) er ikke hentet ennå."
    latest = rate.loc[rate["year"].idxmax()]
    return (
        f"{indicator.title}: {fmt.fmt_value(latest['value'], indicator.unit, indicator.decimals)}"
        f" i {int(latest['year'])}."
    )


def _indicator(indicator_id: str):
    from .registry import load_registry

    return next(i for i in load_registry() if i.id == indicator_id)


def _employment_rank(data_dir, placed: pd.DataFrame) -> tuple[str, str]:
    from .page_data import ba_place_text, position_value_text

    row = _positions_row(placed, "sysselsettingsandel_15_74", regions.COUNCIL)
    if row is None or not pd.notna(row["rank"]):
        return "Prosjektet har ikke sysselsettingstall for alle kommuner.", NOT_CHECKABLE
    plan = _plan_rank(data_dir)
    theirs = STRATEGY_EMPLOYMENT_PLACE[0] / STRATEGY_EMPLOYMENT_PLACE[1]
    lower = row["rank"] / row["rank_of"] > 2 / 3 and theirs > 2 / 3
    where = " Begge plasserer regionen i den nederste tredjedelen." if lower else ""
    return (
        f"Sysselsettingsandelen 15–74 år var {position_value_text(row)} i Mosseregionen i "
        f"{row['period_text']}, {ba_place_text(row)} lagt inn blant landets BA-regioner. "
        "Strategiens 73 regioner, år (2023) og aldersgruppe er ikke de samme, så plass 61 kan "
        f"ikke regnes etter.{where}{plan}",
        PARTLY,
    )


def _plan_rank(data_dir) -> str:
    """What the action plan gives for the same place (Telemarksforsking's ranking), if held."""
    from mipr_analysis.datasets import load

    indicator = _indicator("sysselsettingsandel_rang_regioner")
    try:
        ranks = load(indicator.id, regions=[regions.COUNCIL], data_dir=data_dir)
    except MiprError:
        return ""
    ranks = ranks.dropna(subset=["value"]).sort_values("year")
    if ranks.empty:
        return ""
    said = " og ".join(f"nr. {int(r.value)} i {int(r.year)}" for r in ranks.itertuples())
    latest = _source_words(ranks["source"].iloc[-1])
    return f" Handlingsplanen har regionens plass blant de 73 regionene: {said} ({latest})."


def _employed_55(data_dir, placed: pd.DataFrame) -> tuple[str, str]:
    from mipr_analysis.datasets import load

    indicator = _indicator("sysselsatte_55_66_andel")
    try:
        rate = load(indicator.id, regions=[regions.COUNCIL], data_dir=data_dir)
    except MiprError:
        return (
            f"{indicator.title} (SSB, tabell {indicator.source.table}) er ikke hentet ennå.",
            NOT_CHECKABLE,
        )
    latest = rate.loc[rate["year"].idxmax()]
    return (
        f"{indicator.title} var {fmt.fmt_percent(latest['value'], 1)} i Mosseregionen i "
        f"{int(latest['year'])}. Strategien sier «over 55», tallet gjelder 55–66 år.",
        PARTLY,
    )


CLAIMS = (
    Claim(
        "Moss/Vestbyregionen var blant de beste av de sammenliknbare regionene (nr. 3 og 2) på "
        "befolknings- og arbeidsplassvekst i 2025.",
        _growth_2025,
    ),
    Claim(
        "Tall fra Østfold (2024) viser at mer enn seks av ti bedrifter har udekket "
        "kompetansebehov.",
        None,
        "Prosjektet har ingen tall for bedriftenes kompetansebehov, og strategien oppgir ikke "
        "kilden.",
    ),
    Claim(
        "Et stort antall årsverk går tapt grunnet høyt sykefravær.",
        None,
        "Prosjektet har ingen sykefraværstall.",
    ),
    Claim("En av fire personer er verken i arbeid eller utdanning.", _outside_work),
    Claim("Bare en av tre er i arbeid over 55 år.", _employed_55),
    Claim(
        "Mosseregionen er nr. 61 av totalt 73 regioner i Norge når det gjelder "
        "arbeidsdeltakelse (2023).",
        _employment_rank,
    ),
)


def claims_table(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Each claim of `CLAIMS` with what the data show and the verdict (text columns `COLUMNS`)."""
    from .page_data import positions

    placed = positions(None, data_dir)  # the latest positions, read once for every claim
    rows = []
    for claim in CLAIMS:
        shown, verdict = (
            claim.check(data_dir, placed) if claim.check else (claim.reason, NOT_CHECKABLE)
        )
        rows.append(dict(zip(COLUMNS, (f"«{claim.quote}»", shown, verdict), strict=True)))
    return pd.DataFrame(rows, columns=list(COLUMNS))
