"""Which pages the batch builds: the front page, one page per result indicator of the action
plan, and one background page per focus area of the strategy."""

from __future__ import annotations

from mipr_analysis import config
from mipr_analysis.indicators.registry import focus_titles, goal_title, load_registry

from .jobs import Job

FRONT_TITLE = "Mosseregionen: resultatmål og bakgrunnstall"
BACKGROUND_GROUP = "Bakgrunn for strategiens innsatsområder"
"""The group of the focus areas' pages (left out of the PDF's short version for meetings)."""
BACKGROUND_TABLES = {"naering": ("positions",), "samferdsel": ("commuting", "positions")}
"""Processed tables a background page reads beyond its indicators' rows."""
FRONT_TABLES = ("positions",)
"""Processed tables the front page reads beyond the indicators (where the region stands)."""


def plan_jobs() -> list[Job]:
    """Every page of the report set, in the order the front page lists them."""
    notebooks = config.notebooks_dir() / "reports"
    registry = load_registry()
    jobs = [
        Job(
            notebooks / "forside.ipynb",
            {},
            "forside",
            FRONT_TITLE,
            "Forside",
            order=0,
            tables=FRONT_TABLES,
            all_indicators=True,
            front=True,
        )
    ]
    for order, ind in enumerate((i for i in registry if i.is_result), start=1):
        jobs.append(
            Job(
                notebooks / "indikator.ipynb",
                {"indicator_id": ind.id},
                f"indikator_{ind.id}",
                ind.title,
                goal_title(ind.goal).split(":")[0],
                order=order,
                indicators=_with_parts(ind),
            )
        )
    for order, (area, title) in enumerate(focus_titles().items(), start=100):
        members = tuple(i.id for i in registry if i.goal == area)
        jobs.append(
            Job(
                notebooks / f"bakgrunn_{area}.ipynb",
                {},
                f"bakgrunn_{area}",
                f"Bakgrunn: {title}",
                BACKGROUND_GROUP,
                order=order,
                indicators=members,
                tables=BACKGROUND_TABLES.get(area, ()),
            )
        )
    return jobs


def page_file(indicator_id: str) -> str:
    """The HTML page that shows an indicator: its own page, or its focus area's."""
    from mipr_analysis.indicators.registry import get_indicator

    ind = get_indicator(indicator_id)
    return f"indikator_{ind.id}.html" if ind.is_result else f"bakgrunn_{ind.goal}.html"


def _with_parts(ind) -> tuple[str, ...]:
    """The indicator and those its region figure is recomputed from (the page shows them)."""
    parts = [ind.recompute.get(k) for k in ("numerator", "denominator", "of")]
    return (ind.id, *dict.fromkeys(p for p in parts if p))
