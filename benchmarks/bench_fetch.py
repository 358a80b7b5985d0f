"""Fetch plan: `mipr fetch` for everything the registry needs, against the local PxWebApi stand-in.

    .venv/bin/python benchmarks/bench_fetch.py
    .venv/bin/python benchmarks/bench_fetch.py --regions 400 --skip-scaled

The stand-in (`tests/support/pxweb_stub.py`) serves one HAND-MADE table per table id the registry
uses: the dimensions and explicit codes come from the registry's selections; the rest is
hand-made (Region codes H001..H400 plus the four MIPR municipalities and "0", Tid 2000-2025,
106 one-year ages for a wildcard on Alder, a few extra codes per variable so wildcards pick more
than the listed codes) and the values are cell positions, not SSB figures. Codelists named in
the registry are served with the same codes. With 405 regions, the 07459 query by age
(Region * x Alder * x 21 years) is about 900 000 cells, so the client must split it.

Three runs:
1. `mipr fetch` (a subprocess, the real command) into an empty temporary data folder.
2. `mipr fetch` again right after it: SSB has nothing new, so no data request is allowed, and
   nothing new should land in `raw/` (a changed `raw/` makes the next `mipr report` rebuild
   the data and every page).
   Runs 1 and 2 together also show the largest number of requests in any 60 s window,
   as SSB would count them for the town hall's IP address.
3. (scaled) the same fetch in this process with the client's limiter shrunk to 5 calls per
   3 s (`mipr_analysis.ssb.ratelimit.set_limiter`, with the package's 1 s margin on 60 s scaled
   to 0.05 s): every run of the plan needs more than 5
   calls, so this shows the limiter holding the line on a window short enough to wait for.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import REPO, VENV_BIN, line, machine

sys.path.insert(0, str(REPO))  # the tests package
from mipr_analysis.fetching import FetchItem, fetch_plan
from mipr_analysis.report.cache import FileHashes
from tests.support.pxweb_stub import (
    GeneratedTable,
    PxWebStub,
    parse_get_selection,
    parse_post_selection,
)

MIPR = ["0", "3103", "3216", "3112", "3114"]
YEARS = [str(y) for y in range(2000, 2026)]
AGES = [f"{a:03d}" for a in range(106)]
EXTRA = ["HM1", "HM2"]  # hand-made extra codes, so a wildcard selects more than the listed ones
MAX_CELLS = 800_000


def build_tables(items: list[FetchItem], regions: int) -> tuple[list[GeneratedTable], dict]:
    """HAND-MADE stub tables and codelists covering every query of the plan."""
    region_codes = MIPR + [f"H{n:03d}" for n in range(1, regions - len(MIPR) + 1)]
    dims_by_table: dict[str, dict[str, list[str]]] = {}
    codelist_dims: dict[str, str] = {}
    for item in items:
        dims = dims_by_table.setdefault(item.table, {})
        for dim, values in item.selection.items():
            codes = dims.setdefault(dim, [])
            explicit = [v for v in values if not any(ch in v for ch in "*?(")]
            codes += [c for c in explicit if c not in codes]
        for dim, codelist in item.codelists.items():
            codelist_dims[codelist] = dim
    tables = []
    for table, dims in dims_by_table.items():
        full = {}
        for dim, listed in dims.items():
            if dim == "Region":
                full[dim] = region_codes
            elif dim == "Tid":
                full[dim] = YEARS
            elif dim == "Alder" and any(
                "*" in v for i in items if i.table == table for v in i.selection.get("Alder", [])
            ):
                full[dim] = AGES + [c for c in listed if c not in AGES]
            else:
                full[dim] = listed + EXTRA
        order = sorted(full, key=lambda d: (d == "Tid", d == "ContentsCode", d != "Region"))
        tables.append(GeneratedTable(table, {d: full[d] for d in order}))
    lists = {}
    for codelist, dim in codelist_dims.items():
        users = [
            t
            for t in tables
            for i in items
            if i.table == t.table_id and i.codelists.get(dim) == codelist
        ]
        lists[codelist] = users[0].dimensions[dim]
    return tables, lists


def start_stub(tables: list[GeneratedTable], lists: dict[str, list[str]]) -> PxWebStub:
    stub = PxWebStub(max_cells=MAX_CELLS).start()
    for table in tables:
        stub.add_generated(table)
    for codelist, codes in lists.items():
        stub.add_codelist(codelist, {c: f"{c} (HAND-MADE)" for c in codes})
    return stub


def request_selection(entry) -> dict[str, list[str]]:
    parsed = (
        parse_post_selection(entry.body)
        if entry.method == "POST"
        else parse_get_selection(entry.query)
    )
    return parsed[0] if parsed else {}


def item_key(table: GeneratedTable, selection: dict[str, list[str]]) -> str:
    """A query's resolved codes without its Region part: a split query's parts share it."""
    resolved = table.resolve(selection)
    return json.dumps(
        [table.table_id, {d: v for d, v in resolved.items() if d != "Region"}], sort_keys=True
    )


def min_span(times: list[float], calls: int) -> float:
    """The shortest time in which calls+1 requests arrived (a window shorter than this can
    hold at most `calls`)."""
    times = sorted(times)
    return min((times[i + calls] - times[i] for i in range(len(times) - calls)), default=math.inf)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def run_cli(data: Path, url: str) -> tuple[float, str]:
    env = {**os.environ, "MIPR_DATA_DIR": str(data), "MIPR_SSB_URL": url, "MIPR_OFFLINE": "0"}
    t0 = time.perf_counter()
    out = subprocess.run(
        [str(VENV_BIN / "mipr"), "fetch"], env=env, capture_output=True, text=True, cwd=REPO
    )
    if out.returncode != 0:
        raise SystemExit(f"mipr fetch failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return time.perf_counter() - t0, out.stdout


def scaled_run(tables, lists, calls: int, window: float) -> tuple[int, int, float, float]:
    """The fetch in this process with a `calls`/`window` limiter: (requests, max in window, s,
    shortest span of calls+1 requests)."""
    from mipr_analysis import cli
    from mipr_analysis.ssb.ratelimit import RateLimiter, set_limiter

    stub = start_stub(tables, lists)
    try:
        with tempfile.TemporaryDirectory(prefix="mipr-bench-fetch-scaled-") as tmp:
            # The package's margin (1 s on SSB's 60 s window), scaled to this window.
            set_limiter(stub.url, RateLimiter(calls, window, margin=window / 60))
            os.environ.update(MIPR_DATA_DIR=tmp, MIPR_SSB_URL=stub.url, MIPR_OFFLINE="0")
            t0 = time.perf_counter()
            with open(os.devnull, "w") as devnull:
                stdout, sys.stdout = sys.stdout, devnull
                try:
                    code = cli.main(["fetch"])
                finally:
                    sys.stdout = stdout
            seconds = time.perf_counter() - t0
            if code != 0:
                raise SystemExit(f"scaled in-process fetch failed (exit {code})")
        times = [r.time for r in stub.log]
        return len(times), max_in_window(times, window), seconds, min_span(times, calls)
    finally:
        stub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--regions", type=int, default=405, help="hand-made Region codes per table (default 405)"
    )
    parser.add_argument("--skip-scaled", action="store_true", help="leave out run 3")
    args = parser.parse_args()
    print(machine(), flush=True)
    items, _pending = fetch_plan()
    tables, lists = build_tables(items, args.regions)
    by_name = {t.table_id: t for t in tables}
    expected = {item_key(by_name[i.table], i.selection): i for i in items}
    item_cells = {k: by_name[i.table].cells(i.selection) for k, i in expected.items()}

    stub = start_stub(tables, lists)
    try:
        with tempfile.TemporaryDirectory(prefix="mipr-bench-fetch-") as tmp:
            first_s, first_out = run_cli(Path(tmp), stub.url)
            first = list(stub.log)
            files_before = set(FileHashes({}).tree(Path(tmp) / "raw"))
            second_s, second_out = run_cli(Path(tmp), stub.url)
            second = stub.log[len(first) :]
            new_files = sorted(set(FileHashes({}).tree(Path(tmp) / "raw")) - files_before)
    finally:
        stub.stop()

    data = [r for r in first if r.route == "data"]
    per_item = Counter(item_key(by_name[r.table], request_selection(r)) for r in data)
    cells = [by_name[r.table].cells(request_selection(r)) for r in data]
    unknown = set(per_item) - set(expected)
    unsplit = [per_item[k] for k in expected if item_cells[k] <= MAX_CELLS]
    split = {k: per_item[k] for k in expected if item_cells[k] > MAX_CELLS}
    split_ok = all(n == math.ceil(item_cells[k] / MAX_CELLS) for k, n in split.items())
    single_region = sum(
        1
        for r in data
        if len(request_selection(r).get("Region", ["*"])) == 1
        and "*" not in request_selection(r).get("Region", ["*"])[0]
    )
    both = [r.time for r in first + second]
    second_data = sum(1 for r in second if r.route == "data")
    routes = Counter(r.route for r in first)
    routes2 = Counter(r.route for r in second)
    print(
        f"  run 1: {first_s:.1f} s, {len(first)} requests {dict(routes)}; "
        f"{first_out.strip().splitlines()[-1] if first_out.strip() else ''}"
    )
    print(
        f"  run 2: {second_s:.1f} s, {len(second)} requests {dict(routes2)}; "
        f"new files in raw/: {new_files}"
    )
    for k, i in expected.items():
        print(
            f"    {i.table} {json.dumps({d: v for d, v in i.selection.items() if d != 'Region'})}"
            f": {item_cells[k]} cells, {per_item.get(k, 0)} data request(s)"
        )
    lines = [
        line("fetch: tables / queries in the plan", f"{len(tables)} / {len(items)}", "-", None),
        line("fetch: data requests (run 1)", str(len(data)), "-", None),
        line(
            "fetch: every query fetched",
            str(all(per_item.get(k) for k in expected) and not unknown),
            "True",
            all(per_item.get(k) for k in expected) and not unknown,
        ),
        line(
            "fetch: max data requests per query (unsplit)",
            str(max(unsplit, default=0)),
            "<= 1",
            max(unsplit, default=0) <= 1,
        ),
        line(
            "fetch: split queries (parts)",
            ", ".join(f"{item_cells[k]} cells -> {n}" for k, n in split.items()) or "none",
            "ceil(cells/800000)",
            split_ok if split else None,
        ),
        line("fetch: per-municipality data requests", str(single_region), "0", single_region == 0),
        line(
            "fetch: largest request (cells)",
            str(max(cells, default=0)),
            "<= 800000",
            max(cells, default=0) <= MAX_CELLS,
        ),
        line(
            "fetch: stub refused (too many cells)",
            str(stub.too_many_cells),
            "0",
            stub.too_many_cells == 0,
        ),
        line(
            "fetch: max requests in any 60 s (run 1)",
            str(max_in_window([r.time for r in first], 60)),
            "<= 30",
            max_in_window([r.time for r in first], 60) <= 30,
        ),
        line(
            "fetch: max requests in any 60 s (runs 1+2)",
            str(max_in_window(both, 60)),
            "<= 30",
            max_in_window(both, 60) <= 30,
        ),
        line("fetch: data requests in second fetch", str(second_data), "0", second_data == 0),
        line(
            "fetch: second fetch asked /tables/{id}",
            str(routes2.get("table", 0)),
            ">= 1",
            routes2.get("table", 0) >= 1,
        ),
        line("fetch: requests in second fetch", str(len(second)), "-", None),
        line(
            "fetch: files the second fetch added to raw/",
            str(len(new_files)),
            "0 (reuse changes nothing)",
            not new_files,
        ),
    ]
    if not args.skip_scaled:
        calls, window = 5, 3.0
        n, worst, seconds, span = scaled_run(tables, lists, calls, window)
        lines.append(
            line(
                f"fetch (scaled {calls}/{window:.0f} s): max in any {window:.0f} s",
                f"{worst} of {n} in {seconds:.0f} s",
                f"<= {calls}",
                worst <= calls,
            )
        )
        lines.append(
            line(
                f"fetch (scaled): shortest span of {calls + 1} requests",
                f"{span:.3f} s",
                f">= {window:.3f} s",
                span >= window,
            )
        )
    print(machine())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
