#!/usr/bin/env python3
"""Scheduling benchmark (issue 5): 40 suites of skewed, known durations
(0.05-1 s sleeps) at --jobs 4. Prints lab's makespan (summary duration_ms)
against the lower bound max(total/4, longest), without history (a fresh run
root each time) and with history (earlier runs in the run root).

    python3 bench/schedule.py [--runs 3]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

from common import build_lab

JOBS = 4
N = 40


def durations():
    # Skewed: most suites short, a few long.
    return [round(0.05 + 0.95 * (i / (N - 1)) ** 3, 3) for i in range(N)]


def makespan(lab, root, env):
    out = subprocess.run([lab, "verify", "--tag", "s", "--jobs", str(JOBS), "--json"], cwd=root, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)["duration_ms"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lab = build_lab()
    root = tempfile.mkdtemp(prefix="lab-bench-schedule-")
    try:
        d = durations()
        # Ids in reverse duration order would make planned order accidentally
        # optimal; interleave them so only history can find the good order.
        with open(os.path.join(root, "suites.toml"), "w") as f:
            for i, secs in enumerate(d):
                f.write(f'[suite.s{(i * 7) % N:02}]\ncommand = "sleep {secs}"\ntags = ["s"]\n\n')
        total, longest = sum(d), max(d)
        bound = max(total / JOBS, longest) * 1000
        env = dict(os.environ, NO_COLOR="1")
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(os.path.join(root, "target"), ignore_errors=True)
            cold.append(makespan(lab, root, env))
        warm = [makespan(lab, root, env) for _ in range(args.runs)]
        print(f"{N} suites, {total:.2f} s of sleeps, longest {longest:.2f} s, --jobs {JOBS}: lower bound {bound:.0f} ms")
        for name, values in [("without history", cold), ("with history", warm)]:
            m = statistics.median(values)
            print(f"  {name:<16} makespan {m:7.0f} ms = {m / bound:.3f}x the lower bound (median of {len(values)})")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
