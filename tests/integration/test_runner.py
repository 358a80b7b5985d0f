"""The report batch with real (warm) kernels and tiny hand-made notebooks (fixtures/batch_*).

Data written here (manifest digests, manual files) is hand-made: only its effect on what re-runs
matters.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mipr_analysis import config
from mipr_analysis.errors import UsageError
from mipr_analysis.report import cache
from mipr_analysis.report.jobs import Job
from mipr_analysis.report.runner import (
    _longest_first,
    check_parameters,
    git_state,
    resolve_kernel,
    run_batch,
    select_jobs,
)

pytestmark = pytest.mark.slow


def hello(fixtures, name, region, group="Mål 1", order=0, indicators=(), **params):
    return Job(
        fixtures / "batch_hello.ipynb",
        {"region": region, **params},
        name,
        f"Testside {region}",
        group,
        order,
        indicators=indicators,
    )


def front(fixtures):
    return Job(
        fixtures / "batch_front.ipynb",
        {},
        "forside",
        "Forside",
        "Forside",
        all_indicators=True,
        front=True,
    )


def executed_output(reports, name) -> str:
    nb = json.loads((reports / "executed" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))


def write_manifest(data: Path, digests: dict[str, str]) -> None:
    """A hand-made manifest: only the per-indicator digests matter to the cache."""
    (data / "processed").mkdir(parents=True, exist_ok=True)
    (data / "processed" / "manifest.json").write_text(
        json.dumps({"schema_version": 2, "files": {}, "indicators": digests}), encoding="utf-8"
    )


# --------------------------------------------------------------------------------------------
# One batch: three good pages on two warm kernels, a broken one, and the front page


@pytest.fixture(scope="module")
def first(tmp_path_factory, fixtures):
    data = tmp_path_factory.mktemp("data")
    (data / "raw").mkdir()
    reports = tmp_path_factory.mktemp("reports")
    jobs = [
        hello(fixtures, f"side_{r}", r, order=i) for i, r in enumerate(["0104", "3103", "3216"])
    ]
    jobs.append(
        Job(
            fixtures / "batch_broken.ipynb",
            {"region": "3112"},
            "odelagt",
            "Ødelagt side",
            "Mål 2",
            10,
        )
    )
    jobs.append(front(fixtures))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIPR_DATA_DIR", str(data))
        result = run_batch(jobs, reports_dir=reports, workers=2, timeout=60, progress=False)
    return result, reports


def test_pages_run_on_shared_kernels_in_clean_namespaces(first):
    result, reports = first
    assert [r.name for r in result.ran] == ["side_0104", "side_3103", "side_3216", "forside"]
    for name in ("side_0104", "side_3103", "side_3216"):
        page = (reports / "html" / f"{name}.html").read_text(encoding="utf-8")
        assert 'lang="nb"' in page and "feilet" not in page
        # batch_hello asserts that no earlier page's variable is left in its namespace
        assert "Error" not in executed_output(reports, name)
    assert result.kernel == "mipr"


def test_codes_stay_strings(first):
    _, reports = first
    assert "region='0104'" in executed_output(reports, "side_0104")


def test_broken_notebook_fails_alone(first):
    result, reports = first
    assert not result.ok
    [failed] = result.failed
    assert failed.name == "odelagt"
    assert failed.error == "ValueError: hand-made failure for 3112 (celle 4)"
    assert (reports / "executed" / "odelagt.ipynb").is_file()  # kept for debugging
    page = (reports / "html" / "odelagt.html").read_text(encoding="utf-8")
    assert "Denne siden feilet" in page and "hand-made failure for 3112" in page
    assert "Feilet: odelagt – ValueError: hand-made failure for 3112" in result.summary()
    assert result.summary().startswith("Rapporter: 4 kjørt, 0 uendret (hoppet over), 1 feilet")


def test_front_page_runs_last_with_the_run_record_and_becomes_the_index(first):
    _, reports = first
    out = executed_output(reports, "forside")
    assert "odelagt: failed ran_now=False" in out
    assert "side_3103: ok ran_now=True" in out
    record = json.loads((reports / "run.json").read_text(encoding="utf-8"))
    assert record["git"] and record["kernel"] == "mipr"
    index = (reports / "html" / "index.html").read_text(encoding="utf-8")
    assert "Forside (håndlaget)" in index and not (reports / "html" / "forside.html").exists()


# --------------------------------------------------------------------------------------------
# What re-runs


def test_rerun_skips_unchanged_and_reruns_only_what_changed(data_dir, tmp_path, fixtures):
    manual = data_dir / "raw" / "manual"
    manual.mkdir()
    (manual / "a.csv").write_text("hand-made a 1\n", encoding="utf-8")
    builds = []

    def prepare():  # stands in for the data build: writes the manifest from raw/
        builds.append(1)
        text = (manual / "a.csv").read_text()
        write_manifest(data_dir, {"ind_a": text, "ind_b": "b1"})

    def jobs(label_a="a", label_b="b"):
        return [
            hello(fixtures, "a", "3103", order=1, indicators=("ind_a",), label=label_a),
            hello(fixtures, "b", "3216", order=2, indicators=("ind_b",), label=label_b),
            front(fixtures),
        ]

    def run(**kw):
        kw = {
            "reports_dir": tmp_path / "r",
            "workers": 2,
            "progress": False,
            "prepare": prepare,
            **kw,
        }
        return run_batch(kw.pop("jobs", jobs()), **kw)

    def status(result):
        return {r.name: r.status for r in result.results}

    assert status(run()) == {"a": "ran", "b": "ran", "forside": "ran"} and len(builds) == 1

    again = run()
    assert status(again) == {"a": "skipped", "b": "skipped", "forside": "skipped"}
    assert again.prepared is False and again.kernel is None and len(builds) == 1

    assert status(run(jobs=jobs(label_b="ny"))) == {"a": "skipped", "b": "ran", "forside": "ran"}
    assert "label='ny'" in executed_output(tmp_path / "r", "b")

    # a new figure for indicator a (raw file -> build -> a's digest) re-runs page a only
    (manual / "a.csv").write_text("hand-made a 2\n", encoding="utf-8")
    changed = run(jobs=jobs(label_b="ny"))
    assert status(changed) == {"a": "ran", "b": "skipped", "forside": "ran"}
    assert len(builds) == 2

    # b is unchanged but forced; a changed but is not selected
    picked = run(jobs=jobs(label_a="x", label_b="ny"), force=True, only=["ind_b"])
    assert status(picked)["a"] == "not_selected" and status(picked)["b"] == "ran"
    assert "label='a'" in executed_output(tmp_path / "r", "a")


def test_a_page_that_did_not_finish_is_never_up_to_date(data_dir, tmp_path, fixtures):
    job = hello(fixtures, "a", "3103")
    reports = tmp_path / "r"
    assert run_batch([job], reports_dir=reports, progress=False).ok
    state, _ = cache.load_state(reports)
    # a batch killed while page a ran again left its state "running" and a partial notebook
    state["jobs"]["a"]["status"] = "running"
    cache.save_state(reports, state)
    (reports / "executed" / ".a.partial.ipynb").write_text("{}", encoding="utf-8")
    result = run_batch([job], reports_dir=reports, progress=False)
    assert [r.status for r in result.results] == ["ran"]


def test_unreadable_state_runs_everything_with_a_note(data_dir, tmp_path, fixtures):
    reports = tmp_path / "r"
    job = hello(fixtures, "a", "3103")
    run_batch([job], reports_dir=reports, progress=False)
    for bad in (b'{"version": 1}', b"\xff\xfe not json", b"[]"):
        config.ReportSet(reports).batch_state.write_bytes(bad)
        result = run_batch([job], reports_dir=reports, progress=False)
        assert [r.status for r in result.results] == ["ran"]
        assert any("kjøres på nytt" in n for n in result.notes)


def test_code_closure_follows_the_notebooks_imports():
    files = {
        p.relative_to(cache.PACKAGE_DIR).as_posix()
        for p in cache.module_closure(["mipr_analysis.indicators.page_data"])
    }
    assert {
        "indicators/page_data.py",
        "indicators/processed.py",
        "indicators/registry.py",
        "indicators/registry.yaml",
        "geo/regions.py",
        "geo/regions.yaml",
        "formatting.py",
        "__init__.py",
    } <= files
    assert "report/runner.py" not in files and "cli.py" not in files


def test_timeout_fails_the_job_and_the_next_page_still_runs(data_dir, tmp_path, fixtures):
    slow = hello(fixtures, "treg", "3114", pause=30)
    quick = hello(fixtures, "rask", "3103", order=1)
    result = run_batch(
        [slow, quick], reports_dir=tmp_path / "r", workers=1, timeout=2, progress=False
    )
    statuses = {r.name: r.status for r in result.results}
    assert statuses == {"treg": "failed", "rask": "ran"}
    assert result.failed[0].error.startswith("Tidsavbrudd: en celle brukte mer enn 2 s")
    page = (tmp_path / "r" / "html" / "treg.html").read_text(encoding="utf-8")
    assert "Denne siden feilet" in page


# --------------------------------------------------------------------------------------------
# Checks before anything runs


def test_check_parameters_rejects_unknown_name(fixtures):
    check_parameters(hello(fixtures, "ok", "3103", label="x"))
    with pytest.raises(ValueError, match=r"'regon'.*den har: label, pause, region"):
        check_parameters(Job(fixtures / "batch_hello.ipynb", {"regon": "3103"}, "typo", "T", "G"))


def test_bad_parameter_stops_batch_before_running(data_dir, tmp_path, fixtures):
    jobs = [
        hello(fixtures, "ok", "3103"),
        Job(fixtures / "batch_hello.ipynb", {"regon": "3103"}, "typo", "T", "G"),
    ]
    with pytest.raises(ValueError, match="typo"):
        run_batch(jobs, reports_dir=tmp_path, progress=False)
    assert not list((tmp_path / "executed").iterdir())


def test_job_validation(fixtures):
    with pytest.raises(ValueError, match="kan ikke brukes som filnavn"):
        Job(fixtures / "batch_hello.ipynb", {}, "Mål 1", "T", "G")
    with pytest.raises(ValueError, match="parameteren 'region' er set, ikke en enkel JSON"):
        Job(fixtures / "batch_hello.ipynb", {"region": {"3103"}}, "x", "T", "G")
    jobs = [
        Job(fixtures / "batch_hello.ipynb", {}, "a", "A", "G", indicators=("ind_1",)),
        Job(fixtures / "batch_hello.ipynb", {}, "b", "B", "G"),
    ]
    assert [j.name for j in select_jobs(jobs, ["ind_1"])] == ["a"]
    with pytest.raises(UsageError, match="nope.*Kjente sider og indikatorer: a, b"):
        select_jobs(jobs, ["b", "nope"])


def test_kernel_falls_back_to_python3(caplog):
    assert resolve_kernel("python3") == "python3"
    assert not caplog.records
    assert resolve_kernel("mipr-finnes-ikke") == "python3"
    [record] = caplog.records
    assert record.getMessage().startswith(
        "Jupyter-kjernen «mipr-finnes-ikke» er ikke registrert; notatbøkene kjøres med «python3»"
    )
    assert (
        f"Registrer den med `{sys.executable} -m ipykernel install --sys-prefix --name "
        "mipr-finnes-ikke" in record.getMessage()
    )


def test_a_kernel_whose_warm_up_fails_says_why_and_is_shut_down(monkeypatch):
    import psutil

    from mipr_analysis.report import kernels

    monkeypatch.setattr(kernels, "WARM_UP", "raise ValueError('oppvarming feilet')")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(
        kernels.KernelError,
        match="startet ikke: oppvarmingen feilet: ValueError: oppvarming feilet",
    ):
        kernels.WarmKernel("python3")
    left = [
        p
        for p in psutil.Process().children(recursive=True)
        if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ]
    assert not left, f"kernel processes left running: {left}"


def test_a_batch_closes_the_event_loops_of_its_threads(data_dir, tmp_path, fixtures):
    """jupyter_client makes an event loop in every thread that talks to a kernel; left open,
    Python prints "ResourceWarning: unclosed event loop" in the middle of `mipr report`."""
    import gc
    import warnings

    gc.collect()  # what earlier tests left behind is not this test's business
    jobs = [hello(fixtures, f"side_{r}", r) for r in ("0104", "3103")] + [front(fixtures)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_batch(
            jobs, reports_dir=tmp_path / "reports", workers=2, timeout=60, progress=False
        )
        gc.collect()
    assert result.ok
    unclosed = [str(w.message) for w in caught if "unclosed event loop" in str(w.message)]
    assert not unclosed


def test_a_batch_whose_kernels_all_fail_to_start_fails_each_page_with_the_reason(
    data_dir, tmp_path, fixtures, monkeypatch
):
    from mipr_analysis.report import kernels

    monkeypatch.setattr(kernels, "WARM_UP", "raise ValueError('oppvarming feilet')")
    jobs = [hello(fixtures, "side_0104", "0104")]
    result = run_batch(
        jobs, reports_dir=tmp_path / "reports", workers=2, timeout=60, progress=False
    )
    [page] = result.failed
    assert "startet ikke: oppvarmingen feilet: ValueError: oppvarming feilet (se " in page.error
    assert page.error.endswith(f"{tmp_path / 'reports' / 'executed' / 'kernels.log'})")


def test_git_state(tmp_path):
    def git(*args):
        subprocess.run(
            ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            check=True,
            capture_output=True,
        )

    assert git_state(tmp_path) == "ikke i et git-arkiv"
    git("init", "-q")
    assert git_state(tmp_path) == "git: ingen commit ennå"
    (tmp_path / "f.txt").write_text("1")
    git("add", "f.txt")
    git("commit", "-qm", "first")
    clean = git_state(tmp_path)
    assert clean.startswith("git ") and not clean.endswith("endringer")
    (tmp_path / "f.txt").write_text("2")
    assert git_state(tmp_path) == clean + " + endringer"


def test_no_change_path_imports_nothing_heavy(data_dir, tmp_path, fixtures):
    """`mipr report` with nothing to do decides without pandas, papermill or jupyter_client."""
    script = f"""
import sys
from pathlib import Path
from mipr_analysis.report.jobs import Job
from mipr_analysis.report.runner import run_batch
job = Job(Path({str(fixtures / "batch_hello.ipynb")!r}), {{"region": "3103"}}, "a", "A", "G")
result = run_batch([job], reports_dir={str(tmp_path / "r")!r}, progress=False)
print([r.status for r in result.results])
print(sorted(m for m in ("pandas", "papermill", "jupyter_client", "nbconvert") if m in sys.modules))
"""
    first = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "['ran']" in first.stdout
    again = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert again.stdout.splitlines() == ["['skipped']", "[]"]


def test_the_longest_pages_start_first(fixtures):
    short = hello(fixtures, "kort", "3103", indicators=("a",))
    wide = hello(fixtures, "bred", "3103", indicators=("a", "b", "c", "d"))
    slow = hello(fixtures, "treg", "3103", indicators=("a",))
    also_short = hello(fixtures, "kort2", "3103", indicators=("b",))
    order = _longest_first([short, wide, slow, also_short], {"treg": {"seconds": 9.0}})
    # known seconds first; pages never run by what they show; ties keep the plan's order
    assert [j.name for j in order] == ["treg", "bred", "kort", "kort2"]
