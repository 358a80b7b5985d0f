"""Indicators for Mosseregionen interkommunalt politisk råd (MIPR), built on SSB's PxWebApi v2.

`load` is the one tidy way in for an analyst: any stored dataset or indicator on 2024 borders
(see `mipr_analysis.datasets`). It is imported on first use, so that `mipr` commands that need
no data start without pandas.
"""

__version__ = "0.1.0"
__all__ = ["load"]


def __getattr__(name: str):
    if name == "load":
        from mipr_analysis.datasets import load

        return load
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
