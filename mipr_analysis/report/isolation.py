"""Run memory-heavy steps in a fresh Python process.

The data build reads every stored table into pandas; run in the batch's parent, those frames
(and pandas itself) would stay in its memory while the kernels run the pages. In a child
process (started with "spawn": the parent has threads) the memory is given back when the
process ends. Steps that follow each other (the build, then the change record) share one
child, which imports pandas once. Steps are run for what they write; their return value stays
in the child. Exceptions come back as they were raised (type and message).
"""

from __future__ import annotations

import importlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any


class FreshProcess:
    """One fresh Python process for a few steps in a row: started by the first step, ended
    with the `with` block."""

    def __init__(self) -> None:
        self._child: ProcessPoolExecutor | None = None

    def run(self, target: str, *args: Any) -> None:
        """Run `module.function(*args)` (`target` "module:function") in the child."""
        if self._child is None:
            context = multiprocessing.get_context("spawn")
            self._child = ProcessPoolExecutor(max_workers=1, mp_context=context)
        self._child.submit(_call, target, *args).result()

    def __enter__(self) -> FreshProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child (after its current step)."""
        if self._child is not None:
            self._child.shutdown()
            self._child = None


def _call(target: str, *args: Any) -> None:
    module, _, name = target.partition(":")
    getattr(importlib.import_module(module), name)(*args)
