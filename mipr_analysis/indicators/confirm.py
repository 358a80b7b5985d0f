"""Check an indicator's SSB table and codes against the table's stored metadata.

The registry marks table ids and codes taken from the plan or third-party code as unconfirmed
(`table_confirmed: false`). Once `mipr fetch` (or `mipr fetch --check`) has stored the table's
metadata and the codelists its query uses, this module says whether the selection holds up
there, with the same check `mipr fetch --check` makes (`ssb.check.check_selection`), and the
table's title, so a reader can see that the right table was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mipr_analysis.errors import MiprError
from mipr_analysis.ssb.check import check_selection
from mipr_analysis.ssb.codelists import stored_codelist
from mipr_analysis.ssb.jsonstat import read_metadata
from mipr_analysis.ssb.store import SnapshotStore

from .registry import Indicator


@dataclass(frozen=True)
class Confirmation:
    """`confirmed` is None when nothing (or not everything) could be checked."""

    confirmed: bool | None
    text: str


def confirm(ind: Indicator, data_dir: Path | str | None = None) -> Confirmation:
    """Whether the indicator's table and codes exist in SSB's metadata for the table."""
    src = ind.source
    if src.type != "ssb" or not src.table:
        return Confirmation(None, "")
    store = SnapshotStore(data_dir)
    snap = store.latest(src.table, kind="metadata")
    if snap is None:
        return Confirmation(
            None,
            f"SSBs metadata for tabell {src.table} er ikke lagret ennå; "
            "kjør `mipr fetch --check` med internett.",
        )
    try:
        meta = read_metadata(snap.read_bytes())
        codelists = {
            cl: codes
            for cl in src.codelists.values()
            if (codes := stored_codelist(store, src.table, cl)) is not None
        }
    except MiprError as exc:
        return Confirmation(False, f"SSBs metadata for tabell {src.table} kunne ikke leses: {exc}")
    when = snap.fetched_at.strftime("%d.%m.%Y")
    if src.pending:
        return Confirmation(
            None,
            f"Tabellen finnes hos SSB («{meta.label}», metadata {when}), men kodene er ikke "
            "valgt ennå.",
        )
    check = check_selection(meta, src.selection, src.codelists, codelists, table=src.table)
    if check.problems:
        return Confirmation(
            False,
            f"Kontrollert mot SSBs metadata {when}: "
            + "; ".join(p.text for p in check.problems)
            + ". Rett utvalget i registry.yaml.",
        )
    if check.unchecked:
        return Confirmation(
            None,
            f"Tabell og variabler kontrollert mot SSBs metadata {when} («{meta.label}»), men ikke "
            f"{', '.join(check.unchecked)}; kjør `mipr fetch --check` med internett.",
        )
    return Confirmation(
        True, f"Tabell og koder kontrollert mot SSBs metadata {when}: «{meta.label}»."
    )
