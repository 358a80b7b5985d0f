"""The batch's record of a run (`reports/run.json`), read for the front page.

The runner writes it (`runner._run_record`); the front page notebook turns it into a sentence
and a table of the pages with their standing.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd

from mipr_analysis.formatting import fmt_date, md_text

STATE_TEXT = {
    "ok": "✓ oppdatert",
    "failed": "✗ feilet",
    "interrupted": "avbrutt, kjøres neste gang",
    "never": "ikke kjørt ennå",
}


def load(path: str | Path | None) -> dict | None:
    """The record, or None when the page is run on its own (no record given)."""
    if not path:
        return None
    return json.loads(Path(path).read_text(encoding="utf-8"))


def summary_markdown(run: dict) -> str:
    """When the run started, from which program version, and what it did."""
    started = datetime.fromisoformat(run["started_at"])
    lines = [
        f"Kjørt {fmt_date(started)} kl. {started:%H:%M} med programversjon {md_text(run['git'])}"
        + (f" (Jupyter-kjerne «{md_text(run['kernel'])}»)." if run.get("kernel") else "."),
        f"Sider i denne kjøringen: {md_text(run['counts'])}.",
    ]
    failed = [p for p in run["pages"] if p["state"] == "failed"]
    if failed:  # an error message may quote an input (a note, a file name): text, not markup
        lines.append(
            "**Feilet:** "
            + "; ".join(f"{md_text(p['title'])} ({md_text(p['error'])})" for p in failed)
            + "."
        )
    return "\n\n".join(lines)


def pages_frame(run: dict) -> pd.DataFrame:
    """One row per page: its title (linked), group, standing and when it was last made."""
    rows = []
    for p in sorted(run["pages"], key=lambda p: (p["order"], p["title"])):
        when = ""
        if p.get("finished_at"):
            moment = datetime.fromisoformat(p["finished_at"])
            when = f"{fmt_date(moment)} kl. {moment:%H:%M}"
        state = STATE_TEXT.get(p["state"], p["state"])
        if p["state"] == "failed" and p.get("error"):
            state += f": {p['error']}"
        if p.get("ran_now"):
            state += " i denne kjøringen"
        rows.append(
            {
                "Side": p["title"],
                "href": p["html"],
                "Gruppe": p["group"],
                "Status": state,
                "Laget": when,
            }
        )
    return pd.DataFrame(rows, columns=["Side", "href", "Gruppe", "Status", "Laget"])
