"""The measures of the commuting table and their bokmål labels (`commuting.py` computes them).

Kept apart from `commuting.py`, which needs pandas, so that reading the registry (which names
these measures) imports nothing heavy.
"""

from __future__ import annotations

SPLIT_MEASURES: dict[str, str] = {
    "employed_residents": "sysselsatte bosatte",
    "work_own_municipality": "arbeider i egen kommune",
    "work_rest_of_region": "arbeider ellers i regionen",
    "work_oslo": "arbeider i Oslo",
    "work_elsewhere": "arbeider andre steder",
    "work_unplaced": "herav ukjent kommune (delt kommune)",
}
"""`employment_split` categories. The four "work_" categories before "work_unplaced" add up to
"employed_residents"; "work_unplaced" is part of "work_elsewhere"."""
CATEGORIES = ("work_own_municipality", "work_rest_of_region", "work_oslo", "work_elsewhere")

BALANCE_MEASURES: dict[str, str] = {
    "employed_residents": "sysselsatte bosatte",
    "employed_workplace": "sysselsatte med arbeidssted her",
    "live_and_work": "bor og arbeider her",
    "in_commuters": "innpendlere",
    "out_commuters": "utpendlere",
    "net_commuting": "netto innpendling",
}
FLOW_MEASURE = {"flow": "pendlere fra bosted til arbeidssted"}
QUALITY_MEASURES: dict[str, str] = {
    "employed_residents_11618": "sysselsatte bosatte, tabell 11618",
    "residents_matrix_minus_11618": "bosatte: matrisen minus tabell 11618",
    "employed_workplace_11618": "sysselsatte etter arbeidssted, tabell 11618",
    "workplace_matrix_minus_11618": "arbeidssted: matrisen minus tabell 11618",
    "unplaced_residents": "bosatte i kode som ikke kan legges på 2024-grenser",
    "unplaced_workplace": "arbeidssted i kode som ikke kan legges på 2024-grenser",
}
