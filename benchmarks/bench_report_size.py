"""Report size: total and largest HTML page under reports/html after a batch.

    .venv/bin/python benchmarks/bench_report_size.py              # scenario a, one fresh batch
    .venv/bin/python benchmarks/bench_report_size.py --reports DIR  # an existing reports folder

Target: no page over 1.5 MB (1 MB = 1 000 000 bytes here, as a file manager shows it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import VENV_BIN, line, machine
from _scenario import env_for, make_data_dir

LIMIT = 1_500_000


def size_lines(html_dir: Path, label: str = "") -> list[str]:
    """Summary lines for the HTML pages in `html_dir`."""
    pages = sorted(html_dir.glob("*.html"), key=lambda p: p.stat().st_size)
    if not pages:
        raise SystemExit(f"no HTML pages in {html_dir}")
    total = sum(p.stat().st_size for p in pages)
    largest = pages[-1]
    size = largest.stat().st_size
    tag = f" ({label})" if label else ""
    return [
        line(f"report size: pages{tag}", f"{len(pages)}", "-", None),
        line(f"report size: total{tag}", f"{total / 1e6:.2f} MB", "-", None),
        line(
            f"report size: largest page{tag}", f"{size / 1e6:.2f} MB", "<= 1.50 MB", size <= LIMIT
        ),
        line(f"  largest page is{tag}", largest.name, "-", None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, help="an existing reports folder to measure")
    parser.add_argument("--scenario", choices="ab", default="a")
    args = parser.parse_args()
    print(machine())
    if args.reports:
        print("\n".join(size_lines(args.reports / "html")))
        return
    with tempfile.TemporaryDirectory(prefix="mipr-bench-size-") as tmp:
        root = Path(tmp)
        data = make_data_dir(root, args.scenario)
        reports = root / "reports"
        subprocess.run(
            [str(VENV_BIN / "mipr"), "report", "--force", "--no-progress"],
            env=env_for(data, reports),
            check=True,
            capture_output=True,
        )
        print("\n".join(size_lines(reports / "html", f"scenario {args.scenario}")))


if __name__ == "__main__":
    main()
