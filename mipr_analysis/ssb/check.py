"""The one check of a PxWebApi selection against a table's metadata (and its codelists' codes).

`check_selection` compares a selection (variable -> codes, wildcards or expressions), with the
codelists applied to it, against a parsed `TableMetadata`: every variable exists, every variable
SSB cannot leave out is selected, every codelist is offered for its variable, every code exists
(case-insensitive, as SSB matches), every wildcard matches something and every expression
(`top(n)`, `from(2015)`, `range(a,b)`, ...) resolves inside the table's codes. Wildcards and
expressions are resolved by `TableMetadata.expand` (which uses `selection.wildcard`, the one
matcher); on a variable with a codelist, against the codelist's codes.

Each problem names the variable and the code, and the closest codes and labels SSB has
(difflib over codes and labels). Nothing here touches the network or the store: `mipr fetch
--check` and a failed fetch get the codes from SSB, the pages' note from stored snapshots.
Messages are bokmål.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .errors import BadQuery
from .jsonstat import TableMetadata
from .selection import is_expression, is_wildcard

CLOSEST = 3
"""How many of SSB's codes a problem suggests."""

_CODE_ARGUMENTS = re.compile(r"^\s*(?:from|to|range)\s*\((.*)\)\s*$", re.IGNORECASE)
"""`from(x)`, `to(x)` and `range(a,b)` name codes (`top(n)` and `bottom(n)` count)."""


@dataclass(frozen=True)
class Problem:
    """One thing in a selection that SSB's metadata does not have.

    `variable` is the variable as the selection names it; `code` the value, codelist or
    variable that is wrong; `text` one bokmål line naming both and what SSB has instead.
    """

    table: str
    variable: str
    code: str
    text: str


@dataclass(frozen=True)
class SelectionCheck:
    """What `check_selection` found.

    `resolved`: variable (as the metadata spells it) -> the codes the selection picks, in
    SSB's order, for every variable that could be resolved. `eliminated`: variables left out
    that SSB sums over (or fills with its elimination value). `unchecked`: bokmål notes for
    variables whose codes could not be checked (their codelist's codes were not given).
    """

    problems: list[Problem] = field(default_factory=list)
    resolved: dict[str, list[str]] = field(default_factory=dict)
    eliminated: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_selection(
    meta: TableMetadata,
    selection: Mapping[str, Sequence[str] | str],
    codelists: Mapping[str, str] | None = None,
    codelist_codes: Mapping[str, Mapping[str, str]] | None = None,
    *,
    table: str | None = None,
) -> SelectionCheck:
    """Check a selection against the table's metadata (see the module docstring).

    `codelist_codes`: codelist id -> {code: label} as `GET /codelists/{id}` gives them; a
    variable with a codelist whose codes are missing here is checked only as far as the
    metadata allows (the codelist is offered; `*` needs nothing more) and noted in `unchecked`.
    """
    table = table or meta.table_id or "?"
    lists = dict(codelists or {})
    codes_of = {cl.lower(): dict(codes) for cl, codes in (codelist_codes or {}).items()}
    out = SelectionCheck()
    chosen: dict[str, str] = {}  # metadata's spelling -> the selection's
    for dim, values in selection.items():
        values = [values] if isinstance(values, str) else list(values)
        known = _find(meta.dimensions, dim)
        if known is None:
            out.problems.append(_unknown_variable(meta, table, dim))
            continue
        chosen[known] = dim
        codelist = lists.get(dim)
        if codelist is None:
            _check_values(out, meta, table, dim, known, values, meta.dimensions[known], None)
        elif _offered(meta, known, codelist, out, table, dim):
            codes = codes_of.get(codelist.lower())
            if codes is not None:
                _check_values(out, meta, table, dim, known, values, codes, codelist)
            elif [v.strip() for v in values] != ["*"]:
                out.unchecked.append(f"kodene i {dim} (kodelisten {codelist})")
    for dim, codelist in lists.items():
        if dim in selection:
            continue
        known = _find(meta.dimensions, dim)
        if known is None:
            out.problems.append(_unknown_variable(meta, table, dim))
        elif _offered(meta, known, codelist, out, table, dim):
            chosen[known] = dim
    for dim in meta.dimensions:
        if dim in chosen:
            continue
        if meta.elimination.get(dim, False):
            out.eliminated.append(dim)
        else:
            out.problems.append(
                Problem(
                    table,
                    dim,
                    dim,
                    f"{dim} mangler i utvalget, men SSB krever et valg for den; SSB har "
                    f"{_span(meta, dim, list(meta.dimensions[dim]))}",
                )
            )
    return out


def offered_codelists(meta: TableMetadata, codelists: Mapping[str, str]) -> dict[str, str]:
    """The variable -> codelist pairs SSB offers for this table (the ones worth fetching)."""
    out = {}
    for dim, codelist in codelists.items():
        known = _find(meta.dimensions, dim)
        offered = {c.lower() for c in meta.codelists.get(known or "", [])}
        if known is not None and codelist.lower() in offered:
            out[dim] = codelist
    return out


def closest(wanted: str, codes: Mapping[str, str], n: int = CLOSEST) -> list[str]:
    """Up to `n` codes whose code or label is most like `wanted` (case-insensitive); the
    first codes when none is alike."""
    by_key: dict[str, list[str]] = {}
    for code, label in codes.items():
        for key in {code.lower(), str(label).lower()}:
            by_key.setdefault(key, []).append(code)
    found: list[str] = []
    for key in difflib.get_close_matches(wanted.strip().lower(), list(by_key), n=n, cutoff=0.5):
        found += [c for c in by_key[key] if c not in found]
    return found[:n] or list(codes)[:n]


def suggestion(wanted: str, codes: Mapping[str, str], noun: str = "koder") -> str:
    """ "SSB har Personer1 «Personer»": the closest codes with their labels (and, when SSB has
    more, how many)."""
    shown = closest(wanted, codes)
    if not shown:
        return f"SSB har ingen {noun} her"
    text = "SSB har " + ", ".join(_with_label(c, codes[c]) for c in shown)
    if len(codes) > len(shown):
        text += f" ({len(shown)} av {len(codes)} {noun})"
    return text


# -- internals -----------------------------------------------------------------------------------


def _check_values(
    out: SelectionCheck,
    meta: TableMetadata,
    table: str,
    dim: str,
    known: str,
    values: list[str],
    codes: Mapping[str, str],
    codelist: str | None,
) -> None:
    """Resolve each value of one variable against `codes` (the table's, or a codelist's)."""
    view = replace(meta, dimensions={**meta.dimensions, known: dict(codes)})
    where = f"kodelisten {codelist} for {dim}" if codelist else dim
    picked: set[str] = set()
    for value in values:
        try:
            found = view.expand(known, [value])
        except BadQuery as exc:
            out.problems.append(_bad_value(view, table, dim, known, value, where, exc))
            continue
        if not found:
            out.problems.append(
                Problem(
                    table,
                    dim,
                    value,
                    f"{value} passer ikke med noen kode i {where}; {suggestion(value, codes)}",
                )
            )
        picked.update(found)
    if not values:
        out.problems.append(
            Problem(table, dim, "", f"{dim} har ingen verdier i utvalget; {suggestion('', codes)}")
        )
    out.resolved[known] = [c for c in codes if c in picked]


def _bad_value(
    view: TableMetadata,
    table: str,
    dim: str,
    known: str,
    value: str,
    where: str,
    exc: BadQuery,
) -> Problem:
    """The problem with a value `TableMetadata.expand` refused."""
    codes = view.dimensions[known]
    text = value.strip()
    if not is_expression(text) and not is_wildcard(text):
        code = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        return Problem(
            table, dim, value, f"{code} finnes ikke i {where}; {suggestion(code, codes)}"
        )
    if args := _CODE_ARGUMENTS.match(text):
        lower = {c.lower() for c in codes}
        missing = [a.strip() for a in args.group(1).split(",") if a.strip().lower() not in lower]
        if missing:
            have = (
                f"tabellen har {_span(view, known, list(codes))}"
                if known == view.time_dimension
                else suggestion(missing[0], codes)
            )
            return Problem(
                table, dim, value, f"{value} i {dim}: {missing[0]} finnes ikke i {where}; {have}"
            )
    reason = str(exc).split(": ", 1)[-1] if str(exc).startswith("Tabell ") else str(exc)
    return Problem(table, dim, value, f"{value} i {dim}: {reason}")


def _unknown_variable(meta: TableMetadata, table: str, dim: str) -> Problem:
    names = {d: d for d in meta.dimensions}
    return Problem(
        table,
        dim,
        dim,
        f"variabelen {dim} finnes ikke i tabellen; {suggestion(dim, names, 'variabler')}",
    )


def _offered(
    meta: TableMetadata, known: str, codelist: str, out: SelectionCheck, table: str, dim: str
) -> bool:
    """Whether SSB offers `codelist` for the variable; a problem is added when not."""
    offered = meta.codelists.get(known) or []
    if codelist.lower() in {c.lower() for c in offered}:
        return True
    if offered:
        have = suggestion(codelist, {c: c for c in offered}, "kodelister")
    else:
        have = f"SSB har ingen kodelister for {dim}"
    out.problems.append(
        Problem(table, dim, codelist, f"kodelisten {codelist} finnes ikke for {dim}; {have}")
    )
    return False


def _find(names: Mapping[str, object], wanted: str) -> str | None:
    """The metadata's spelling of a variable (SSB matches names case-insensitively)."""
    return next((n for n in names if n.lower() == wanted.lower()), None)


def _with_label(code: str, label: object) -> str:
    label = " ".join(str(label).split())
    return code if not label or label == code else f"{code} «{label}»"


def _span(meta: TableMetadata, dim: str, codes: list[str]) -> str:
    """The codes of a variable in a few words: "1986–2026" for time, else the first three."""
    if not codes:
        return "ingen koder"
    if dim == meta.time_dimension:
        return codes[0] if len(codes) == 1 else f"{codes[0]}–{codes[-1]}"
    labels = meta.dimensions.get(dim, {})
    first = ", ".join(_with_label(c, labels.get(c, "")) for c in codes[:CLOSEST])
    return first + (f" ({CLOSEST} av {len(codes)} koder)" if len(codes) > CLOSEST else "")
