"""Batch: `mipr report --force` against the plain way, on the same inputs, in the same run.

    .venv/bin/python benchmarks/bench_batch.py                  # both scenarios, 3 runs each
    .venv/bin/python benchmarks/bench_batch.py --runs 1 --scenario a   # a quick run

The plain way is what an analyst would do by hand with the same notebooks and parameters
(`mipr_analysis.report.plan.plan_jobs()`): `mipr build` once, then for every page, one after
another, `papermill NB OUT -k mipr -r name value` and `jupyter nbconvert --to html OUT`.
The batch and the plain way alternate (batch first in odd rounds, plain first in even rounds);
each figure is the median over the rounds. Wall time, CPU time (all processes: the command,
its kernels and children) and the peak summed RSS and PSS of the whole process tree are
measured (see _measure.py); only ratios compare across machines.

After the timed rounds:
- the no-change re-run is `mipr report` (no --force), timed as a whole command (interpreter
  start-up included), median of max(runs, 3) repetitions;
- one data file is changed (a HAND-MADE edit of one typed-in figure, the plan's table 3, Moss'
  tax per inhabitant) and `mipr report` is run: the pages that ran must be exactly those whose
  indicators' processed rows changed (`manifest.json` before and after), plus the front page.
  The figure is edited twice (35 696 -> 35 700 untimed, then -> 35 704 measured): the first
  change of a report set also gives every page its first "since the previous report" part,
  which is a real change of every page; from then on a change touches only its own pages.

Targets (issue 11, 2 cores): speed-up >= 10x; CPU per page <= 0.5 s; no-change re-run <= 0.3 s;
a changed file re-runs only its pages; batch peak memory (summed PSS) <= 600 MB.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import MB, VENV_BIN, Measurement, line, machine, measure, median
from _scenario import SCENARIOS, env_for, make_data_dir
from bench_report_size import size_lines

from mipr_analysis.report.plan import plan_jobs

REPO = Path(__file__).resolve().parent.parent


def plain_commands(out: Path) -> list[list[str]]:
    """The plain way's command lines for every page of the plan, in plan order."""
    commands = [[str(VENV_BIN / "mipr"), "build"]]
    for job in plan_jobs():
        executed = out / "executed" / f"{job.name}.ipynb"
        cmd = [
            str(VENV_BIN / "papermill"),
            str(job.notebook),
            str(executed),
            "-k",
            "mipr",
            "--no-progress-bar",
        ]
        for name, value in job.parameters.items():
            cmd += ["-r", name, str(value)] if isinstance(value, str) else ["-p", name, str(value)]
        commands.append(cmd)
        commands.append(
            [
                str(VENV_BIN / "jupyter"),
                "nbconvert",
                "--to",
                "html",
                str(executed),
                "--output-dir",
                str(out / "html"),
            ]
        )
    return commands


def counts(m: Measurement) -> tuple[int, int]:
    """(pages run, pages skipped) from `mipr report`'s summary line."""
    found = re.search(r"Rapporter: (\d+) kjørt, (\d+) uendret", m.output)
    return (int(found[1]), int(found[2])) if found else (-1, -1)


def ran_nothing(m: Measurement) -> bool:
    return counts(m)[0] == 0 and "Databygging: uendret" in m.output


def ran_pages(reports: Path, before: dict) -> set[str]:
    """The pages whose state changed since `before` (their finish time is new)."""
    state = json.loads((reports / ".batch-state.json").read_text(encoding="utf-8"))["jobs"]
    return {
        n for n, s in state.items() if s.get("finished_at") != before.get(n, {}).get("finished_at")
    }


def change_one_file(data: Path, old: int, new: int) -> None:
    """The hand-made edit: one typed-in figure of the plan's table 3 (Moss' tax per inhabitant)."""
    table = data / "raw" / "manual" / "handlingsplan_2026_tabell_3.csv"
    text = table.read_text(encoding="utf-8")
    edited = text.replace(
        f"skatteinntekt_per_innbygger,3103,2024,{old},",
        f"skatteinntekt_per_innbygger,3103,2024,{new},",
        1,
    )
    assert edited != text, f"table 3 no longer holds Moss' {old}"
    table.write_text(edited, encoding="utf-8")


def expected_pages(digests_before: dict, digests_after: dict) -> set[str]:
    changed = {
        i
        for i in set(digests_before) | set(digests_after)
        if digests_before.get(i) != digests_after.get(i)
    }
    jobs = plan_jobs()
    return {j.name for j in jobs if j.front or changed & set(j.indicators)}


def run_scenario(root: Path, scenario: str, runs: int, verbose: bool) -> tuple[list[str], dict]:
    data = make_data_dir(root, scenario)
    batch_cmd = [[str(VENV_BIN / "mipr"), "report", "--force", "--no-progress"]]
    batch: list[Measurement] = []
    plain: list[Measurement] = []
    reports = root / "none"
    plain_pages = 0
    for i in range(runs):
        for way in ("batch", "plain") if i % 2 == 0 else ("plain", "batch"):
            if way == "batch":
                reports = root / f"reports-{scenario}-batch-{i}"
                m = measure(batch_cmd, env_for(data, reports), cwd=REPO)
                batch.append(m)
            else:
                out = root / f"reports-{scenario}-plain-{i}"
                (out / "executed").mkdir(parents=True)
                m = measure(plain_commands(out), env_for(data, out), cwd=REPO)
                plain.append(m)
                plain_pages = len(list((out / "html").glob("*.html")))
            if verbose:
                print(
                    f"  [{scenario}] round {i + 1}/{runs} {way}: wall {m.wall:.1f} s, "
                    f"cpu {m.cpu:.1f} s, peak RSS {m.peak_rss / MB:.0f} MB, "
                    f"PSS {m.peak_pss / MB:.0f} MB",
                    flush=True,
                )
    pages = counts(batch[-1])[0]

    report = [[str(VENV_BIN / "mipr"), "report", "--no-progress"]]
    for _ in range(3):  # untimed, until a run does nothing (the plain way rebuilt the data)
        if ran_nothing(measure(report, env_for(data, reports), cwd=REPO)):
            break
    timed = [measure(report, env_for(data, reports), cwd=REPO) for _ in range(max(runs, 3))]
    rerun = [m for m in timed if ran_nothing(m)] or timed

    change_one_file(data, 35696, 35700)  # untimed: the report set's first change (see above)
    measure(report, env_for(data, reports), cwd=REPO)
    manifest = data / "processed" / "manifest.json"
    digests_before = json.loads(manifest.read_text(encoding="utf-8"))["indicators"]
    state_before = json.loads((reports / ".batch-state.json").read_text(encoding="utf-8"))
    change_one_file(data, 35700, 35704)
    one = measure(report, env_for(data, reports), cwd=REPO)
    digests_after = json.loads(manifest.read_text(encoding="utf-8"))["indicators"]
    expected = expected_pages(digests_before, digests_after)
    ran = ran_pages(reports, state_before["jobs"])

    bw, pw = median([m.wall for m in batch]), median([m.wall for m in plain])
    bc, pc = median([m.cpu for m in batch]), median([m.cpu for m in plain])
    bp, pp = median([m.peak_pss for m in batch]), median([m.peak_pss for m in plain])
    rw = median([m.wall for m in rerun])
    clean = sum(ran_nothing(m) for m in timed)
    if verbose:
        for m in timed:
            print(f"  [{scenario}] no-change re-run: wall {m.wall:.2f} s, cpu {m.cpu:.2f} s")
        print(f"  [{scenario}] one file changed: ran {sorted(ran)} in {one.wall:.1f} s")
    s = f"[{scenario}]"
    lines = [
        line(
            f"{s} pages (batch / plain)", f"{pages} / {plain_pages}", "equal", pages == plain_pages
        ),
        line(f"{s} batch wall (median of {runs})", f"{bw:.1f} s", "-", None),
        line(f"{s} plain wall (median of {runs})", f"{pw:.1f} s", "-", None),
        line(f"{s} speed-up plain/batch (wall)", f"{pw / bw:.2f}x", ">= 10.00x", pw / bw >= 10),
        line(f"{s} batch CPU, all processes (median)", f"{bc:.1f} s", "-", None),
        line(f"{s} plain CPU, all processes (median)", f"{pc:.1f} s", "-", None),
        line(
            f"{s} CPU per page in the batch", f"{bc / pages:.2f} s", "<= 0.50 s", bc / pages <= 0.5
        ),
        line(f"{s} batch peak memory (tree PSS)", f"{bp / MB:.0f} MB", "<= 600 MB", bp <= 600 * MB),
        line(f"{s} plain peak memory (tree PSS)", f"{pp / MB:.0f} MB", "-", None),
        line(
            f"{s} timed re-runs that ran nothing",
            f"{clean} of {len(timed)}",
            "all",
            clean == len(timed),
        ),
        line(
            f"{s} no-change re-run (median of {len(rerun)})", f"{rw:.2f} s", "<= 0.30 s", rw <= 0.3
        ),
        line(
            f"{s} one file changed: pages run",
            f"{len(ran)} of {pages} ({one.wall:.1f} s)",
            f"the {len(expected)} that read it",
            ran == expected,
        ),
        *size_lines(reports / "html", f"{s} batch"),
    ]
    raw = {
        way: [{k: v for k, v in vars(m).items() if k != "output"} for m in ms]
        for way, ms in (("batch", batch), ("plain", plain), ("rerun", timed), ("one", [one]))
    }
    return lines, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of each way (default 3)")
    parser.add_argument("--scenario", choices=["a", "b", "both"], default="both")
    parser.add_argument("--json", type=Path, help="also write every single measurement here")
    parser.add_argument("--quiet", action="store_true", help="no per-run progress lines")
    args = parser.parse_args()
    print(machine(), flush=True)
    scenarios = ["a", "b"] if args.scenario == "both" else [args.scenario]
    all_lines, all_raw = [], {}
    with tempfile.TemporaryDirectory(prefix="mipr-bench-batch-") as tmp:
        for sc in scenarios:
            print(f"Scenario {sc}: {SCENARIOS[sc]}", flush=True)
            lines, all_raw[sc] = run_scenario(Path(tmp), sc, args.runs, not args.quiet)
            all_lines += lines
    print(machine())
    print("\n".join(all_lines))
    if args.json:
        args.json.write_text(json.dumps(all_raw, indent=1))


if __name__ == "__main__":
    main()
