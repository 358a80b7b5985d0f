"""The package's base exception: every expected failure a user can act on is a `MiprError`.

The command line prints such errors as one line on stderr, without a traceback.
"""


class MiprError(Exception):
    """Something the user can fix: bad input, missing data, an unreachable service."""
