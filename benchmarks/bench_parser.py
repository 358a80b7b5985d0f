"""Parser: `read_jsonstat` against one plain pyjstat call, on an SSB-maximum-size document.

    .venv/bin/python benchmarks/bench_parser.py            # 3 runs of each, alternating
    .venv/bin/python benchmarks/bench_parser.py --runs 1

The document has the real structure of table 07459 (dimension ids, codes, labels, roles,
units from `../shared/ssb/api-v2/07459.metadata.en.json`): the first 377 Region codes, both
Kjonn, all 106 Alder, the one ContentsCode and the last 10 Tid periods = 799 240 cells (SSB's
limit is 800 000). THE VALUES ARE GENERATED (seeded pseudo-random integers), not SSB's
figures; 1 % of the cells are null with a status symbol ("..", "." or ":"), and the document's
label says it is generated. It is written to a temporary file and deleted afterwards.

Each measurement is a fresh interpreter that imports the libraries, reads the text, then times
one call: plain `pyjstat.Dataset.read(text).write('dataframe')` (codes only, no status) or
`read_jsonstat(text)` (codes, labels, status and year). Reported: wall and CPU time of the call,
peak RSS of the process (ru_maxrss) and the call's own growth (peak minus RSS before the call).
Targets: time <= 1.5x the plain call; peak memory <= 2x the plain call's.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import MB, REPO, line, machine, median  # noqa: E402

METADATA = REPO.parent / "shared" / "ssb" / "api-v2" / "07459.metadata.en.json"
REGIONS, PERIODS = 377, 10
STATUS_SHARE = 0.01

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


def generated_document(path: Path) -> int:
    """Write the generated 07459-shaped document to `path`; return its number of cells."""
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    keep = {"Region": REGIONS, "Tid": -PERIODS}
    doc = {k: v for k, v in meta.items() if k not in ("value", "size")}
    doc["label"] = meta["label"] + " [GENERATED VALUES FOR A BENCHMARK, NOT SSB FIGURES]"
    doc["dimension"] = {}
    for dim in meta["id"]:
        cat = meta["dimension"][dim]["category"]
        codes = sorted(cat["index"], key=cat["index"].get)
        n = keep.get(dim)
        codes = codes if n is None else codes[:n] if n > 0 else codes[n:]
        new_cat = {"index": {c: i for i, c in enumerate(codes)},
                   "label": {c: cat["label"][c] for c in codes}}
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
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return cells


def child(way: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, way, str(path)], check=True,
                         capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    args = parser.parse_args()
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory(prefix="mipr-bench-parser-") as tmp:
        path = Path(tmp) / "07459-generated.json"
        cells = generated_document(path)
        size = path.stat().st_size
        results: dict[str, list[dict]] = {"plain": [], "mipr": []}
        for i in range(args.runs):
            for way in (("plain", "mipr") if i % 2 == 0 else ("mipr", "plain")):
                r = child(way, path)
                results[way].append(r)
                print(f"  run {i + 1}/{args.runs} {way}: {r['wall']:.2f} s wall, "
                      f"{r['cpu']:.2f} s cpu, peak {r['peak'] / MB:.0f} MB, "
                      f"growth {r['growth'] / MB:.0f} MB", flush=True)
    mine, plain = results["mipr"][0], results["plain"][0]
    complete = (mine["rows"] == plain["rows"] == cells and "Region_label" in mine["columns"]
                and mine["status"] == int(cells * STATUS_SHARE))

    def med(way: str, key: str) -> float:
        return median([r[key] for r in results[way]])

    tw, tc = med("mipr", "wall") / med("plain", "wall"), med("mipr", "cpu") / med("plain", "cpu")
    mp = med("mipr", "peak") / med("plain", "peak")
    mg = med("mipr", "growth") / med("plain", "growth")
    print(machine())
    print("\n".join([
        line("parser: document", f"{cells} cells, {size / MB:.0f} MB", "<= 800000 cells",
             cells <= 800_000),
        line("parser: codes+labels+status+year present", str(complete), "True", complete),
        line(f"parser: plain pyjstat wall (median {args.runs})", f"{med('plain', 'wall'):.2f} s",
             "-", None),
        line(f"parser: read_jsonstat wall (median {args.runs})", f"{med('mipr', 'wall'):.2f} s",
             "-", None),
        line("parser: time ratio (wall)", f"{tw:.2f}x", "<= 1.50x", tw <= 1.5),
        line("parser: time ratio (CPU)", f"{tc:.2f}x", "<= 1.50x", tc <= 1.5),
        line("parser: plain pyjstat peak RSS", f"{med('plain', 'peak') / MB:.0f} MB", "-", None),
        line("parser: read_jsonstat peak RSS", f"{med('mipr', 'peak') / MB:.0f} MB", "-", None),
        line("parser: peak memory ratio (process)", f"{mp:.2f}x", "<= 2.00x", mp <= 2),
        line("parser: memory growth ratio (call only)", f"{mg:.2f}x", "<= 2.00x", mg <= 2),
    ]))


if __name__ == "__main__":
    main()
