"""Which report pages the batch builds: the overview, one page per result indicator, and one
background page per focus area of the strategy."""

from __future__ import annotations

from mipr_analysis import config
from mipr_analysis.indicators import load_registry
from mipr_analysis.pages import FOCUS_TITLES, goal_title
from mipr_analysis.report.runner import Job


def plan_jobs() -> list[Job]:
    """Every page of the report set, in the order the index shows them."""
    nb = config.notebooks_dir()
    jobs = [Job(nb / "oversikt.ipynb", {}, "oversikt", "Oversikt: resultatmålene mot nullpunktet",
                "Oversikt", order=0)]
    for order, ind in enumerate((i for i in load_registry() if i.is_result), start=1):
        jobs.append(Job(nb / "indikator.ipynb", {"indicator_id": ind.id}, f"indikator_{ind.id}",
                        ind.title, goal_title(ind.goal).split(":")[0], order=order,
                        indicators=(ind.id,)))
    for order, (area, title) in enumerate(FOCUS_TITLES.items(), start=100):
        members = tuple(i.id for i in load_registry() if i.goal == area)
        jobs.append(Job(nb / "bakgrunn.ipynb", {"focus_area": area}, f"bakgrunn_{area}",
                        f"Bakgrunn: {title}", "Bakgrunn for strategiens innsatsområder",
                        order=order, indicators=members))
    return jobs
