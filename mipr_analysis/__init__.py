"""Indicators for Mosseregionen interkommunalt politisk råd (MIPR), built on SSB's PxWebApi v2.

`load` is the one tidy way in (with `select` and `sum_over` for its frames) for an analyst: any stored dataset or indicator on 2024 borders
(see `mipr_analysis.datasets`). It is imported on first use, so that `mipr` commands that need
no data start without pandas.
"""

__version__ = "0.1.0"
__all__ = ["load", "select", "sum_over"]


def __getattr__(name: str):
    if name in __all__:
        from mipr_analysis import datasets

        return getattr(datasets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
