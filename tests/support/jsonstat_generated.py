"""The generated SSB-size JSON-stat document and the pyjstat-derived reference frame.

Shared by `tests/test_jsonstat.py` and `benchmarks/bench_parser.py`.

`generated_document` has the real structure of table 07459 (dimension ids, codes, labels, roles,
units from `api-v2/07459.metadata.en.json`): the first 377 Region codes, both Kjonn, all 106
Alder, the one ContentsCode and the last 10 Tid periods = 799 240 cells (SSB's limit is
800 000). THE VALUES ARE GENERATED (seeded pseudo-random integers), not SSB's figures; 1 % of
the cells are null with a status symbol ("..", "." or ":"), and the label says so.

`pyjstat_reference` is what `read_jsonstat` must return, built the old way: one pyjstat call
for the codes and values, labels looked up by code, `status` and `year` added in plain Python.
"""

from __future__ import annotations

import copy
import json
import random
import re
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pyjstat import pyjstat

REGIONS, PERIODS = 377, 10
STATUS_SHARE = 0.01
GENERATED_MARK = " [GENERATED VALUES FOR A BENCHMARK, NOT SSB FIGURES]"
_PERIOD_YEAR = re.compile(r"^(\d{4})(?:[KMHUT]\d{1,2})?$")


def generated_document(metadata: Path) -> dict[str, Any]:
    """The 07459-shaped document with generated values, from the table's metadata response."""
    meta = json.loads(metadata.read_text(encoding="utf-8"))
    keep = {"Region": REGIONS, "Tid": -PERIODS}
    doc = {k: v for k, v in meta.items() if k not in ("value", "size")}
    doc["label"] = meta["label"] + GENERATED_MARK
    doc["dimension"] = {}
    for dim in meta["id"]:
        cat = meta["dimension"][dim]["category"]
        codes = sorted(cat["index"], key=cat["index"].get)
        n = keep.get(dim)
        codes = codes if n is None else codes[:n] if n > 0 else codes[n:]
        new_cat = {
            "index": {c: i for i, c in enumerate(codes)},
            "label": {c: cat["label"][c] for c in codes},
        }
        if "unit" in cat:
            new_cat["unit"] = {c: cat["unit"][c] for c in codes}
        doc["dimension"][dim] = {**meta["dimension"][dim], "category": new_cat}
    doc["size"] = [len(doc["dimension"][d]["category"]["index"]) for d in meta["id"]]
    cells = 1
    for s in doc["size"]:
        cells *= s
    rng = random.Random(7459)
    values: list[int | None] = [rng.randrange(0, 5000) for _ in range(cells)]
    status = {}
    for i in rng.sample(range(cells), int(cells * STATUS_SHARE)):
        values[i] = None
        status[str(i)] = rng.choice(["..", ".", ":"])
    doc["value"], doc["status"] = values, status
    return doc


def pyjstat_reference(source: Mapping[str, Any]) -> pd.DataFrame:
    """The frame contract built from pyjstat: codes and values from one `naming='id'` call.

    `source` is a JSON-stat 2.0 dataset or a 1.x bundle of one dataset (pyjstat reads both).
    Labels are looked up by code (the code where there is none); `status` is densified from
    the document by flat index; `year` comes from the time codes by regular expression. The
    columns are in the contract's order; `df.attrs` is not set.
    """
    is_v1 = "dimension" not in source
    name = next(iter(source)) if is_v1 else None
    doc = copy.deepcopy(dict(source[name] if is_v1 else source))
    dims = doc["dimension"]
    ids = dims["id"] if is_v1 else doc["id"]
    role = (dims.get("role") if is_v1 else doc.get("role")) or {}
    for dim in ids:  # pyjstat fails on a single-category dimension without an index
        category = dims[dim]["category"]
        if "index" not in category:
            category["index"] = {code: 0 for code in category["label"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        codes = pyjstat.Dataset.read(OrderedDict({name: doc} if is_v1 else doc)).write(
            "dataframe", naming="id"
        )
    n = len(codes)
    frame = pd.DataFrame(index=range(n))
    for dim in ids:
        labels = dims[dim]["category"].get("label") or {}
        column = codes[dim].astype("str")
        frame[dim] = column
        frame[f"{dim}_label"] = column.map(lambda c, lab=labels: str(lab.get(c, c))).astype("str")
    frame["value"] = codes["value"].astype("float64")
    status = doc.get("status")
    if isinstance(status, Mapping):
        status = [status.get(str(i)) for i in range(n)]
    elif status is None or isinstance(status, str):
        status = [status] * n
    frame["status"] = pd.Series(status, dtype=object)
    time = next((d for d in role.get("time") or [] if d in ids), None) or next(
        (d for d in ids if d.lower() in ("tid", "year", "år")), None
    )
    if time is not None:
        years = [int(m.group(1)) if (m := _PERIOD_YEAR.match(c)) else None for c in frame[time]]
        frame["year"] = pd.array(years, dtype="Int64")
    return frame


def assert_same_frame(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Exactly the same frame: values, column order, dtypes, array types and index."""
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)
    assert list(actual.columns) == list(expected.columns)
    assert actual.columns.dtype == expected.columns.dtype
    assert type(actual.index) is type(expected.index) and actual.index.equals(expected.index)
    for column in expected:
        assert actual[column].dtype == expected[column].dtype, column
        assert type(actual[column].array) is type(expected[column].array), column
