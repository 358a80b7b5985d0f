"""Check an indicator's SSB table and codes against the table's stored metadata.

The registry marks table ids and codes taken from the plan or third-party code as unconfirmed
(`table_confirmed: false`). Once `mipr fetch` has stored the table's metadata, this module says
whether every variable and explicit code of the selection exists there, and the table's title,
so a reader can see that the right table was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mipr_analysis.errors import MiprError
from mipr_analysis.ssb.selection import is_explicit
from mipr_analysis.ssb.store import SnapshotStore

from .registry import Indicator


@dataclass(frozen=True)
class Confirmation:
    """`confirmed` is None when no metadata is stored (nothing could be checked)."""

    confirmed: bool | None
    text: str


def confirm(ind: Indicator, data_dir: Path | str | None = None) -> Confirmation:
    """Whether the indicator's table and codes exist in SSB's metadata for the table."""
    src = ind.source
    if src.type != "ssb" or not src.table:
        return Confirmation(None, "")
    snap = SnapshotStore(data_dir).latest(src.table, kind="metadata")
    if snap is None:
        return Confirmation(
            None,
            f"SSBs metadata for tabell {src.table} er ikke lagret ennå; "
            "kjør `mipr fetch` med internett.",
        )
    try:
        meta = snap.metadata()
    except MiprError as exc:
        return Confirmation(False, f"SSBs metadata for tabell {src.table} kunne ikke leses: {exc}")
    problems = []
    for dim, values in src.selection.items():
        if dim not in meta.dimensions:
            problems.append(f"variabelen {dim} finnes ikke")
        elif dim not in src.codelists and is_explicit(values):
            codes = {c.lower() for c in meta.dimensions[dim]}
            problems += [f"koden {v} i {dim} finnes ikke" for v in values if v.lower() not in codes]
    when = snap.fetched_at.strftime("%d.%m.%Y")
    if problems:
        return Confirmation(
            False,
            f"Kontrollert mot SSBs metadata {when}: "
            + "; ".join(problems)
            + ". Rett utvalget i registry.yaml.",
        )
    return Confirmation(
        True, f"Tabell og koder kontrollert mot SSBs metadata {when}: «{meta.label}»."
    )
