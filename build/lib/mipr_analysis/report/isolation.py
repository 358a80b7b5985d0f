"""Run a memory-heavy step in a fresh Python process.

The data build reads every stored table into pandas; run in the batch's parent, those frames
(and pandas itself) would stay in its memory while the kernels run the pages. In a child
process (started with "spawn": the parent has threads) the memory is given back when the step
ends. Such steps are run for what they write; their return value stays in the child.
Exceptions come back as they were raised (type and message).
"""

from __future__ import annotations

import importlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def run_in_fresh_process(target: str, *args: Any) -> None:
    """Run `module.function(*args)` (`target` "module:function") in a new Python process."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as child:
        child.submit(_call, target, *args).result()


def _call(target: str, *args: Any) -> None:
    module, _, name = target.partition(":")
    getattr(importlib.import_module(module), name)(*args)
