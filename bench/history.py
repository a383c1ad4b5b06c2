#!/usr/bin/env python3
"""History benchmark (issue 6): 1,000 run directories of 200 suites each.
Medians of `lab runs list` and `lab runs flaky --last 1000`, with the index
warm and from a cold rebuild (index deleted before each run); the baseline
is `cat` of every summary.json (reading the same bytes, parsing nothing).

    python3 bench/history.py [--runs 7]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile

from common import build_lab, median_ms, report

RUNS = 1000
SUITES = 200


def summary(run_id, i, rng):
    suites = []
    counts = {"selected": SUITES, "passed": 0, "failed": 0, "skipped": 0, "blocked": 0, "flaky": 0}
    for s in range(SUITES):
        status = "passed"
        if s % 50 == 7 and rng.random() < 0.3:
            status = "failed"
        elif s % 40 == 3 and rng.random() < 0.2:
            status = "flaky"
        counts[status] += 1
        suites.append({
            "id": f"suite.s{s:03}", "status": status, "reason": None if status == "passed" else "exited with 1",
            "exit_code": 0 if status == "passed" else 1, "signal": None, "timed_out": False,
            "duration_ms": 100 + s, "attempts": [{"status": status, "exit_code": 0, "signal": None, "timed_out": False, "duration_ms": 100 + s}],
            "step": None, "stdout": f"suites/suite.s{s:03}/stdout.log", "stderr": f"suites/suite.s{s:03}/stderr.log",
            "artifacts": [], "tests": None, "excerpt": [], "rationale": [{"kind": "all", "detail": "--all"}],
        })
    status = "failed" if counts["failed"] else "passed"
    return {
        "schema_version": 1, "run_id": run_id, "status": status, "interrupted": False,
        "started_at": "2026-11-01T00:00:00Z", "finished_at": "2026-11-01T00:10:00Z", "duration_ms": 600000,
        "command": ["lab", "verify", "--all"], "command_id": "cmd.verify",
        "criteria": {"ids": [], "tags": [], "targets": [], "levels": [], "platforms": [], "risk": None,
                     "changed": False, "all": True, "exclude_tags": [], "shard": None},
        "changed": None, "counts": counts, "suites": suites, "pending": [], "first_failure": None,
        "reproduce": "lab verify --all", "links": {"logs": [], "screenshots": [], "traces": [], "videos": []},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    lab = build_lab()
    root = tempfile.mkdtemp(prefix="lab-bench-history-")
    try:
        with open(os.path.join(root, "suites.toml"), "w") as f:
            f.write('[suite.x]\ncommand = "true"\n')
        runs = os.path.join(root, "target", "lab", "runs")
        rng = random.Random(7)
        for i in range(RUNS):
            run_id = f"20261101T{i // 3600:02}{(i // 60) % 60:02}{i % 60:02}Z-000{i % 4096:03x}"
            d = os.path.join(runs, run_id)
            os.makedirs(d)
            with open(os.path.join(d, "summary.json"), "w") as f:
                json.dump(summary(run_id, i, rng), f)
        env = dict(os.environ, NO_COLOR="1")
        index = os.path.join(runs, ".lab-index.jsonl")
        cat = ["sh", "-c", "cat target/lab/runs/*/summary.json > /dev/null"]
        base = median_ms(cat, args.runs, cwd=root, env=env)
        subprocess.run([lab, "runs", "list"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
        warm_list = median_ms([lab, "runs", "list"], args.runs, cwd=root, env=env)
        warm_flaky = median_ms([lab, "runs", "flaky", "--last", "1000"], args.runs, cwd=root, env=env)

        def cold(argv):
            samples = []
            for _ in range(3):
                os.remove(index)
                samples.append(median_ms(argv, 1, cwd=root, env=env))
            return sorted(samples)[1]

        cold_list = cold([lab, "runs", "list"])
        cold_flaky = cold([lab, "runs", "flaky", "--last", "1000"])
        size = os.path.getsize(index) / 1e6
        print(f"{RUNS} runs x {SUITES} suites (index {size:.1f} MB)")
        report([
            ("lab runs list (index)", warm_list, "cat summaries", base, 200),
            ("lab runs flaky --last 1000 (index)", warm_flaky, "cat summaries", base, 200),
            ("lab runs list (cold rebuild)", cold_list, "cat summaries", base, 3000),
            ("lab runs flaky --last 1000 (cold rebuild)", cold_flaky, "cat summaries", base, 3000),
        ])
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
