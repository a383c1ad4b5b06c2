#!/usr/bin/env python3
"""verify benchmark (issue 3).

1. 500 suites of `true`, one at a time: lab's wall time against a plain
   shell loop running the same 500 `sh -c true`, measured in the same run;
   prints the ratio and lab's overhead per suite.
2. One suite printing 1 GiB to stdout while a secret is being redacted:
   lab's capture against `sh -c 'cmd > file'`, as a throughput ratio, and
   lab's peak RSS.

    python3 bench/verify.py [--runs 5] [--suites 500]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from common import build_lab, median_ms, report

GIB = 1 << 30
LINE = "2026-11-22T10:15:00Z INFO request handled path=/v1/items status=200 took=3ms"
SECRET = "s3cr3t-bench-value-42"


def peak_rss_kib(argv, cwd, env):
    """Runs argv in a fresh Python whose only child is argv; its max RSS in KiB."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *argv], cwd=cwd, env=env, capture_output=True, text=True)
    return int(out.stdout.strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--suites", type=int, default=500)
    args = parser.parse_args()
    lab = build_lab()
    root = tempfile.mkdtemp(prefix="lab-bench-verify-")
    tmpfs_runs = None
    try:
        n = args.suites
        tmpfs_runs = None
        if os.path.isdir("/dev/shm"):
            tmpfs_runs = tempfile.mkdtemp(prefix="lab-bench-runs-", dir="/dev/shm")
            shm = os.path.join(root, "shm")
            os.makedirs(shm)
            with open(os.path.join(shm, "suites.toml"), "w") as f:
                f.write(f'[lab]\nrun_root = "{tmpfs_runs}"\n\n')
                for i in range(n):
                    f.write(f'[suite.t{i:04}]\ncommand = "true"\ntags = ["many"]\n\n')
        with open(os.path.join(root, "suites.toml"), "w") as f:
            for i in range(n):
                f.write(f'[suite.t{i:04}]\ncommand = "true"\ntags = ["many"]\n\n')
            f.write(
                '[suite.big]\ncommand = "yes \'%s\' | head -c %d"\nenv = { BENCH_TOKEN = "%s" }\n\n'
                % (LINE, GIB, SECRET)
            )
            f.write(
                '[suite.big-secret]\ncommand = "yes \'%s $BENCH_TOKEN\' | head -c %d"\nenv = { BENCH_TOKEN = "%s" }\n'
                % (LINE, GIB, SECRET)
            )
        env = dict(os.environ, NO_COLOR="1")
        loop = f"for i in $(seq {n}); do sh -c true; done"
        base = median_ms(["sh", "-c", loop], args.runs, cwd=root, env=env)
        many = median_ms([lab, "verify", "--tag", "many"], args.runs, cwd=root, env=env)
        rows = [(f"lab verify ({n} x true), runs on disk", many, "shell loop", base, None)]
        if tmpfs_runs:
            shm_ms = median_ms([lab, "verify", "--tag", "many"], args.runs, cwd=os.path.join(root, "shm"), env=env)
            rows.append((f"lab verify ({n} x true), runs on tmpfs", shm_ms, "shell loop", base, None))
        print(f"{n} suites of `true`, median of {args.runs} runs")
        report(rows)
        for name, ms, *_ in rows:
            print(f"  {name}: {(ms - base) / n:.3f} ms per suite over {base / n:.3f} ms for `sh -c true`")
        print("  (each suite creates 6 directories and 2 logs: on a slow disk that file-system work dominates)")

        out_file = os.path.join(root, "plain.out")
        plain = median_ms(["sh", "-c", f"yes '{LINE}' | head -c {GIB} > {out_file}"], 3, cwd=root, env=env)
        big = median_ms([lab, "verify", "big"], 3, cwd=root, env=env)
        big_secret = median_ms([lab, "verify", "big-secret"], 3, cwd=root, env=env)
        os.remove(out_file)
        print("1 GiB on stdout (64 MiB kept: head + tail), median of 3 runs; throughput ratio = baseline / lab")
        for name, ms in [("lab, secret configured", big), ("lab, secret on every line", big_secret)]:
            print(f"  {name:<27} {ms:8.1f} ms  throughput {plain / ms:4.2f}x of sh -c 'cmd > file' ({plain:.1f} ms)")
        rss = peak_rss_kib([lab, "verify", "big-secret"], root, env)
        print(f"  lab peak RSS (secret on every line): {rss / 1024:.1f} MiB")
    finally:
        shutil.rmtree(root)
        if tmpfs_runs:
            shutil.rmtree(tmpfs_runs, ignore_errors=True)


if __name__ == "__main__":
    main()
