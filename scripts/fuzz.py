#!/usr/bin/env python3
"""A long fuzz campaign over the readers and the whole build (issue 4), outside CI.

    python scripts/fuzz.py [--scale 50] [--seed N]

It runs tests/test_properties.py (hypothesis: any text, bytes, front matter, JSON,
sidecars and whole sites of such articles as input; every feed written must be
well-formed, parse in feedparser with bozo 0 and carry unique ids; no input may
raise anything but an article error) with `--scale` times the examples CI tries,
prints hypothesis's statistics, and a total of the inputs tried. A failure is a
found bug: hypothesis prints the smallest input that shows it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=50, help="times CI's number of examples (default: 50)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    args = parser.parse_args()
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
        str(ROOT / "tests" / "test_properties.py"),
    ]  # fmt: skip
    if args.seed is not None:
        command.append(f"--hypothesis-seed={args.seed}")
    environment = {**os.environ, "FEEDS_FUZZ_SCALE": str(args.scale)}
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    print(done.stdout[-20000:], done.stderr[-5000:], sep="\n")
    tried = sum(int(n) for n in re.findall(r"- (\d+) passing, ", done.stdout))
    failed = sum(int(n) for n in re.findall(r", (\d+) failing, ", done.stdout))
    print(f"fuzz: {tried:,} passing inputs, {failed:,} failing; pytest exit status {done.returncode}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
