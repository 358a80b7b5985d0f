"""Municipality and region codes as text: the one place that strips SSB's grouping prefixes.

SSB's aggregated series on current borders carry a prefix ("K-3103", "K_3103", "K.3103"); plain
codes of the year have none ("3103", "0104"). FHI's files derived from SSB write locations as
"municip_nor3103" and the nation as "nation_nor". Everything in the package compares codes in
the normalised form returned by `normalise_code`.
"""

from __future__ import annotations

import re

_GROUP_PREFIX = re.compile(r"^K[-_.]", re.IGNORECASE)
_FHI_MUNICIPALITY = re.compile(r"^municip_nor(\d{4})$")
FHI_NATION = "nation_nor"


def is_aggregated_code(code: object) -> bool:
    """True for SSB's aggregated-series codes ("K-3103"): current borders, summed over time."""
    text = str(code).strip()
    return len(text) > 2 and bool(_GROUP_PREFIX.match(text))


def normalise_code(code: object) -> str:
    """Strip SSB's grouping prefix ("K-3103" -> "3103"), read FHI's location codes
    ("municip_nor3103" -> "3103", "nation_nor" -> "0") and pad "104" -> "0104".

    "0" (Norway) stays "0". Integers (as papermill's CLI passes them) are padded the same way.
    """
    text = str(code).strip()
    if is_aggregated_code(text):
        text = text[2:]
    elif text == FHI_NATION:
        return "0"
    elif match := _FHI_MUNICIPALITY.match(text):
        return match[1]
    if text.isdigit() and len(text) == 3:
        text = text.zfill(4)
    return text


def normalise_codes(codes):
    """`normalise_code` for a pandas Series, computed once per distinct code."""
    mapping = {c: normalise_code(c) for c in codes.unique()}
    return codes.map(mapping)
