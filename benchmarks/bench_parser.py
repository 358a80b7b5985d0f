"""Parser: `read_jsonstat` against one plain pyjstat call, on an SSB-maximum-size document.

    .venv/bin/python benchmarks/bench_parser.py            # 3 runs of each, alternating
    .venv/bin/python benchmarks/bench_parser.py --runs 1

The document is `generated_document` of `tests/support/jsonstat_generated.py`: the real structure of
table 07459 (from `../shared/ssb/api-v2/07459.metadata.en.json`) with 799 240 cells (SSB's limit
is 800 000). THE VALUES ARE GENERATED (seeded pseudo-random integers), not SSB's figures; 1 % of
the cells are null with a status symbol, and the document's label says it is generated. It is
written to a temporary file and deleted afterwards.

Each measurement is a fresh interpreter that imports the libraries, reads the text, then times
one call: plain `pyjstat.Dataset.read(text).write('dataframe')` (codes only, no status) or
`read_jsonstat(text)` (codes, labels, status and year; `json.loads` included). Reported: wall
and CPU time of the call, peak RSS of the process (ru_maxrss) and the call's own growth (peak
minus RSS before the call). Then, in this process, `read_jsonstat`'s frame is compared with
the pyjstat-derived reference frame (`pyjstat_reference`).
Targets: time <= 0.1x the plain call; peak memory <= the plain call's; the same frame.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import MB, REPO, line, machine, median

sys.path.insert(0, str(REPO))  # the tests package
from tests.support.jsonstat_generated import (
    STATUS_SHARE,
    assert_same_frame,
    generated_document,
    pyjstat_reference,
)

METADATA = REPO.parent / "shared" / "ssb" / "api-v2" / "07459.metadata.en.json"
TIME_RATIO, MEMORY_RATIO = 0.10, 1.00

CHILD = r"""
import gc, json, resource, sys, time, warnings
import psutil
import pandas as pd
from pyjstat import pyjstat
from mipr_analysis.ssb import jsonstat
way, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
gc.collect()
before = psutil.Process().memory_info().rss
t0, c0 = time.perf_counter(), time.process_time()
if way == "plain":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        df = pyjstat.Dataset.read(text).write("dataframe")
else:
    df = jsonstat.read_jsonstat(text)
t1, c1 = time.perf_counter(), time.process_time()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall": t1 - t0, "cpu": c1 - c0, "peak": peak, "growth": peak - before,
                  "rows": len(df), "columns": list(df.columns),
                  "status": int(df["status"].notna().sum()) if "status" in df else None}))
"""


def child(way: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, way, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def same_frame(text: str) -> tuple[bool, str]:
    """Compare `read_jsonstat(text)` with the pyjstat-derived reference: (equal, why not)."""
    from mipr_analysis.ssb.jsonstat import read_jsonstat

    try:
        assert_same_frame(read_jsonstat(text), pyjstat_reference(json.loads(text)))
    except AssertionError as exc:
        return False, str(exc).strip().splitlines()[0] if str(exc).strip() else "differs"
    return True, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    args = parser.parse_args()
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory(prefix="mipr-bench-parser-") as tmp:
        path = Path(tmp) / "07459-generated.json"
        doc = generated_document(METADATA)
        cells = math.prod(doc["size"])
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        del doc
        size = path.stat().st_size
        results: dict[str, list[dict]] = {"plain": [], "mipr": []}
        for i in range(args.runs):
            for way in ("plain", "mipr") if i % 2 == 0 else ("mipr", "plain"):
                r = child(way, path)
                results[way].append(r)
                print(
                    f"  run {i + 1}/{args.runs} {way}: {r['wall']:.3f} s wall, "
                    f"{r['cpu']:.3f} s cpu, peak {r['peak'] / MB:.0f} MB, "
                    f"growth {r['growth'] / MB:.0f} MB",
                    flush=True,
                )
        equal, why = same_frame(path.read_text(encoding="utf-8"))
    mine, plain = results["mipr"][0], results["plain"][0]
    complete = (
        mine["rows"] == plain["rows"] == cells
        and "Region_label" in mine["columns"]
        and mine["status"] == int(cells * STATUS_SHARE)
    )

    def med(way: str, key: str) -> float:
        return median([r[key] for r in results[way]])

    tw, tc = med("mipr", "wall") / med("plain", "wall"), med("mipr", "cpu") / med("plain", "cpu")
    mp = med("mipr", "peak") / med("plain", "peak")
    mg = med("mipr", "growth") / med("plain", "growth")
    print(machine())
    print(
        "\n".join(
            [
                line(
                    "parser: document",
                    f"{cells} cells, {size / MB:.0f} MB",
                    "<= 800000 cells",
                    cells <= 800_000,
                ),
                line("parser: codes+labels+status+year present", str(complete), "True", complete),
                line("parser: same frame as pyjstat reference", str(equal), "True", equal),
                *([f"    differs: {why}"] if not equal else []),
                line(
                    f"parser: plain pyjstat wall (median {args.runs})",
                    f"{med('plain', 'wall'):.3f} s",
                    "-",
                    None,
                ),
                line(
                    f"parser: read_jsonstat wall (median {args.runs})",
                    f"{med('mipr', 'wall'):.3f} s",
                    "-",
                    None,
                ),
                line(
                    "parser: time ratio (wall)",
                    f"{tw:.3f}x",
                    f"<= {TIME_RATIO:.2f}x",
                    tw <= TIME_RATIO,
                ),
                line(
                    "parser: time ratio (CPU)",
                    f"{tc:.3f}x",
                    f"<= {TIME_RATIO:.2f}x",
                    tc <= TIME_RATIO,
                ),
                line(
                    "parser: plain pyjstat peak RSS",
                    f"{med('plain', 'peak') / MB:.0f} MB",
                    "-",
                    None,
                ),
                line(
                    "parser: read_jsonstat peak RSS",
                    f"{med('mipr', 'peak') / MB:.0f} MB",
                    "-",
                    None,
                ),
                line(
                    "parser: peak memory ratio (process)",
                    f"{mp:.2f}x",
                    f"<= {MEMORY_RATIO:.2f}x",
                    mp <= MEMORY_RATIO,
                ),
                line(
                    "parser: memory growth ratio (call only)",
                    f"{mg:.2f}x",
                    f"<= {MEMORY_RATIO:.2f}x",
                    mg <= MEMORY_RATIO,
                ),
            ]
        )
    )


if __name__ == "__main__":
    main()
