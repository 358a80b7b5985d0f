"""Batch: `mipr report --force` against the plain way, on the same inputs, in the same run.

    .venv/bin/python benchmarks/bench_batch.py              # both scenarios, 3 runs each
    .venv/bin/python benchmarks/bench_batch.py --runs 1 --scenario b   # a quick run

The plain way is what an analyst would do by hand with the same notebooks and parameters
(`mipr_analysis.report.plan.plan_jobs()`): `mipr build` once, then for every page, one after
another, `papermill NB OUT -k mipr -r name value` and `jupyter nbconvert --to html OUT`.
The batch and the plain way alternate (batch first in odd rounds, plain first in even rounds);
each figure is the median over the rounds. Wall time, CPU time (children included) and the
peak summed RSS and PSS of the whole process tree are measured (see _measure.py); only ratios
compare across machines.
The no-change re-run is `mipr report` (no --force) right after the last batch, timed as a whole
command (interpreter start-up included), median of max(runs, 3) repetitions.

Targets (2 cores): batch >= 3x faster than the plain way (wall); no-change re-run < 2 s;
batch peak memory < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import MB, REPO, VENV_BIN, Measurement, line, machine, measure, median
from _scenario import SCENARIOS, env_for, make_data_dir
from bench_report_size import size_lines

GB = 1024 * MB


def plan(pages: int | None) -> list:
    """The report plan's jobs (the first `pages` of them when given)."""
    from mipr_analysis.report.plan import plan_jobs

    return plan_jobs()[:pages]


def plain_commands(out: Path, pages: int | None) -> list[list[str]]:
    """The plain way's command lines for the pages of the plan, in plan order."""
    commands = [[str(VENV_BIN / "mipr"), "build"]]
    for job in plan(pages):
        executed = out / "executed" / f"{job.name}.ipynb"
        cmd = [str(VENV_BIN / "papermill"), str(job.notebook), str(executed), "-k", "mipr",
               "--no-progress-bar"]
        for name, value in job.parameters.items():
            cmd += ["-r", name, str(value)] if isinstance(value, str) else ["-p", name, str(value)]
        commands.append(cmd)
        commands.append([str(VENV_BIN / "jupyter"), "nbconvert", "--to", "html", str(executed),
                         "--output-dir", str(out / "html")])
    return commands


def ran_nothing(m: Measurement) -> bool:
    """True when `mipr report` skipped every page and the data build."""
    return "Rapporter: 0 kjørt" in m.output and "Databygging: uendret" in m.output


def run_scenario(root: Path, scenario: str, runs: int, pages: int | None,
                 verbose: bool) -> tuple[list[str], dict]:
    data = make_data_dir(root, scenario)
    only = ["--only", *(j.name for j in plan(pages))] if pages else []
    batch_cmd = [[str(VENV_BIN / "mipr"), "report", "--force", "--no-progress", *only]]
    batch: list[Measurement] = []
    plain: list[Measurement] = []
    reports = root / "none"
    for i in range(runs):
        order = ("batch", "plain") if i % 2 == 0 else ("plain", "batch")
        for way in order:
            if way == "batch":
                reports = root / f"reports-{scenario}-batch-{i}"
                m = measure(batch_cmd, env_for(data, reports), cwd=REPO)
                batch.append(m)
            else:
                out = root / f"reports-{scenario}-plain-{i}"
                (out / "executed").mkdir(parents=True)
                m = measure(plain_commands(out, pages), env_for(data, out), cwd=REPO)
                plain.append(m)
                plain_pages = len(list((out / "html").glob("*.html")))
            if verbose:
                print(f"  [{scenario}] round {i + 1}/{runs} {way}: wall {m.wall:.1f} s, "
                      f"cpu {m.cpu:.1f} s, peak RSS {m.peak_rss / MB:.0f} MB, "
                      f"PSS {m.peak_pss / MB:.0f} MB", flush=True)
    # Untimed runs first, until one runs nothing: the plain way's `mipr build`, or an edit to
    # the package made meanwhile (other work goes on in the same tree), may have changed what
    # the last batch saw. A timed re-run that still ran something is counted and left out.
    report = [[str(VENV_BIN / "mipr"), "report", "--no-progress", *only]]
    for _ in range(3):
        if ran_nothing(measure(report, env_for(data, reports), cwd=REPO)):
            break
    timed = [measure(report, env_for(data, reports), cwd=REPO) for _ in range(max(runs, 3))]
    rerun = [m for m in timed if ran_nothing(m)] or timed

    bw, pw = median([m.wall for m in batch]), median([m.wall for m in plain])
    bc, pc = median([m.cpu for m in batch]), median([m.cpu for m in plain])
    bm, pm = median([m.peak_rss for m in batch]), median([m.peak_rss for m in plain])
    bp, pp = median([m.peak_pss for m in batch]), median([m.peak_pss for m in plain])
    rw = median([m.wall for m in rerun])
    clean = sum(ran_nothing(m) for m in timed)
    batch_pages = len(list((reports / "html").glob("*.html"))) - 1  # minus index.html
    if verbose:
        for m in timed:
            print(f"  [{scenario}] no-change re-run: wall {m.wall:.2f} s, cpu {m.cpu:.2f} s")
    s = f"[{scenario}]"
    lines = [
        line(f"{s} pages (batch / plain)", f"{batch_pages} / {plain_pages}", "equal",
             batch_pages == plain_pages),
        line(f"{s} batch wall (median of {runs})", f"{bw:.1f} s", "-", None),
        line(f"{s} plain wall (median of {runs})", f"{pw:.1f} s", "-", None),
        line(f"{s} speed-up plain/batch (wall)", f"{pw / bw:.2f}x", ">= 3.00x", pw / bw >= 3),
        line(f"{s} batch CPU (median)", f"{bc:.1f} s", "-", None),
        line(f"{s} plain CPU (median)", f"{pc:.1f} s", "-", None),
        line(f"{s} CPU ratio plain/batch", f"{pc / bc:.2f}x", "-", None),
        line(f"{s} batch peak memory (tree RSS)", f"{bm / MB:.0f} MB", "< 1536 MB", bm < 1.5 * GB),
        line(f"{s} plain peak memory (tree RSS)", f"{pm / MB:.0f} MB", "-", None),
        line(f"{s} memory ratio batch/plain (RSS)", f"{bm / pm:.2f}x", "-", None),
        line(f"{s} batch peak memory (tree PSS)", f"{bp / MB:.0f} MB", "< 1536 MB", bp < 1.5 * GB),
        line(f"{s} plain peak memory (tree PSS)", f"{pp / MB:.0f} MB", "-", None),
        line(f"{s} timed re-runs that ran nothing", f"{clean} of {len(timed)}", "all",
             clean == len(timed)),
        line(f"{s} no-change re-run (median of {len(rerun)})", f"{rw:.2f} s", "< 2.00 s", rw < 2),
        *size_lines(reports / "html", f"{s} batch"),
    ]
    raw = {way: [{k: v for k, v in vars(m).items() if k != "output"} for m in ms]
           for way, ms in (("batch", batch), ("plain", plain), ("rerun", timed))}
    return lines, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of each way (default 3)")
    parser.add_argument("--scenario", choices=["a", "b", "both"], default="both")
    parser.add_argument("--pages", type=int, help="only the first N pages of the plan (smoke test)")
    parser.add_argument("--json", type=Path, help="also write every single measurement here")
    parser.add_argument("--quiet", action="store_true", help="no per-run progress lines")
    args = parser.parse_args()
    print(machine(), flush=True)
    scenarios = ["a", "b"] if args.scenario == "both" else [args.scenario]
    all_lines, all_raw = [], {}
    with tempfile.TemporaryDirectory(prefix="mipr-bench-batch-") as tmp:
        for sc in scenarios:
            print(f"Scenario {sc}: {SCENARIOS[sc]}", flush=True)
            lines, all_raw[sc] = run_scenario(Path(tmp), sc, args.runs, args.pages,
                                                not args.quiet)
            all_lines += lines
    print(machine())
    print("\n".join(all_lines))
    if args.json:
        args.json.write_text(json.dumps(all_raw, indent=1))


if __name__ == "__main__":
    main()
