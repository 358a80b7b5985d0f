"""PxWebApi selection values: which are explicit codes, and the one wildcard matcher.

PxWebApi v2 accepts `*` at most twice in a value, opening and/or closing it (`*`, `12*`, `*2`,
`*4*`), and `?` for exactly one character anywhere (`202?M12`). Matching is case-insensitive.
Expressions such as `top(3)` or `from(2015)` are not wildcards and are resolved elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from .errors import BadQuery

_EXPRESSION = re.compile(r"^\s*(top|bottom|from|to|range)\s*\(", re.IGNORECASE)


def is_expression(value: str) -> bool:
    """True for `top(n)`, `bottom(n)`, `from(x)`, `to(x)` and `range(a,b)`."""
    return bool(_EXPRESSION.match(value))


def is_wildcard(value: str) -> bool:
    """True for a value with `*` or `?`."""
    return "*" in value or "?" in value


def is_explicit(values: Sequence[str]) -> bool:
    """True when every value is a plain code (no wildcard, no expression)."""
    return all(not is_wildcard(v) and not is_expression(v) for v in values)


@lru_cache(maxsize=256)
def wildcard(expression: str) -> Callable[[str], bool]:
    """A case-insensitive matcher for one PxWebApi wildcard value.

    Raises `BadQuery` for a `*` inside the value (`K*3*`) or more than two of them: PxWebApi
    allows `*` only at the start and/or end.
    """
    stars = expression.count("*")
    inner = expression[1:-1] if len(expression) > 1 else ""
    if stars > 2 or "*" in inner:
        raise BadQuery(
            f"utvalget {expression!r} har «*» inne i verdien; PxWebApi tillater «*» bare først "
            "og/eller sist (for eksempel 31*, *03 eller *10*). Skriv om utvalget eller list kodene"
        )
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in expression)
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    return lambda code: regex.fullmatch(str(code)) is not None


def matching(codes: Sequence[str], expression: str) -> list[str]:
    """The codes (in their order) that match one wildcard value."""
    match = wildcard(expression)
    return [c for c in codes if match(c)]
