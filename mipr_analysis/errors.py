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


class DataError(MiprError, ValueError):
    """Data that does not fit what a function needs: a frame without the column asked for,
    nothing to draw, a rate that cannot be summed. Also a `ValueError`."""


class NotFound(MiprError, KeyError):
    """A code, region, page or table that does not exist. Also a `KeyError` (whose own `str`
    would quote the message)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Missing(MiprError, FileNotFoundError):
    """Stored data a step needs is not there (and what to import). Also a `FileNotFoundError`."""
