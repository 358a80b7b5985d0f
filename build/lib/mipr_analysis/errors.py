"""The package's base exceptions: every expected failure a user can act on is a `MiprError`.

Messages are Norwegian bokmål and say what was wrong, then what to do. The command line prints
them as one line on stderr (`mipr <command>: <message>`), without a traceback.
"""


class MiprError(Exception):
    """Something the user can fix: bad input, missing data, an unreachable service."""


class UsageError(MiprError):
    """The command was called wrongly (unknown page, a negative number of workers); exit code 2."""


class Busy(MiprError):
    """Another `mipr` command is working on the same data folder."""
