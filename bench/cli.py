"""Start-up time of `leanwb --help` and `leanwb --version`, next to bare typer + rich.

    python bench/cli.py [--runs 15]

Each command runs in a fresh interpreter (`python -c …`), alternating with the
baseline `python -c 'import typer, rich'` so both see the same machine load. Printed:
the median and the fastest wall time of each, and each command's ratio to the
baseline's median (the target: within 2×). Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ("import typer, rich", "import typer, rich")
COMMANDS = {
    "leanwb --help": "import sys; sys.argv = ['leanwb', '--help']\nfrom prover.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass",
    "leanwb --version": "import sys; sys.argv = ['leanwb', '--version']\nfrom prover.cli import "
    "main\ntry:\n    main()\nexcept SystemExit:\n    pass",
}


def once(code: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command")
    runs = parser.parse_args().runs
    timings: dict[str, list[float]] = {"python -c 'import typer, rich'": []}
    timings.update({name: [] for name in COMMANDS})
    for code in (BASELINE[0], *COMMANDS.values()):  # warm the file cache once
        once(code)
    for _ in range(runs):
        for name, code in (("python -c 'import typer, rich'", BASELINE[0]), *COMMANDS.items()):
            timings[name].append(once(code))
    base = statistics.median(timings["python -c 'import typer, rich'"])
    print(f"{'command':<34} {'median':>9} {'fastest':>9} {'× baseline':>11}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(
            f"{name:<34} {median * 1000:>7.0f}ms {min(values) * 1000:>7.0f}ms "
            f"{median / base:>10.2f}×"
        )


if __name__ == "__main__":
    main()
