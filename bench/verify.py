#!/usr/bin/env python3
"""verify benchmark (issues 3 and 14).

1. N suites of `true` (default 500), one at a time, run directories on
   this disk: lab's wall time against a plain shell loop running the same
   N `sh -c true`, measured in the same run; prints the ratio and lab's
   overhead per suite (goal: <= 1.5x, <= 0.3 ms over the spawn).
2. 10 x N suites of `true` at `--jobs 2` against the same loop two-wide
   (`xargs -P 2`), likewise (goal: <= 1.5x).
3. The same N suites with run directories on tmpfs, to show how much of
   the overhead is the disk.
4. One suite printing 1 GiB to stdout while a secret is being redacted:
   lab's capture against `sh -c 'cmd > file'`, as a throughput ratio, and
   lab's peak RSS.

lab runs twice before timing, so suite directories recycled from earlier
runs are there (`<run_root>/.spare/`), as on any machine that ran lab once.

    python3 bench/verify.py [--runs 5] [--suites 500] [--skip-big]
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


def write_trues(path, n, run_root=None):
    """A registry of `n` suites of `true` tagged `many`."""
    with open(path, "w") as f:
        if run_root:
            f.write(f'[lab]\nrun_root = "{run_root}"\n\n')
        for i in range(n):
            f.write(f'[suite.t{i:05}]\ncommand = "true"\ntags = ["many"]\n\n')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--suites", type=int, default=500)
    parser.add_argument("--skip-big", action="store_true", help="skip the 1 GiB capture")
    args = parser.parse_args()
    lab = build_lab()
    root = tempfile.mkdtemp(prefix="lab-bench-verify-")
    tmpfs_runs = None
    try:
        n = args.suites
        wide = 10 * n
        os.makedirs(os.path.join(root, "wide"))
        write_trues(os.path.join(root, "wide", "suites.toml"), wide)
        if os.path.isdir("/dev/shm"):
            tmpfs_runs = tempfile.mkdtemp(prefix="lab-bench-runs-", dir="/dev/shm")
            os.makedirs(os.path.join(root, "shm"))
            write_trues(os.path.join(root, "shm", "suites.toml"), n, tmpfs_runs)
        write_trues(os.path.join(root, "suites.toml"), n)
        with open(os.path.join(root, "suites.toml"), "a") as f:
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
        wide_loop = f"seq {wide} | xargs -P 2 -n 1 sh -c true"
        for cwd, jobs in [(root, "1"), (os.path.join(root, "wide"), "2")]:
            for _ in range(2):  # warm: recycled suite directories, page cache
                median_ms([lab, "verify", "--tag", "many", "--jobs", jobs], 1, cwd=cwd, env=env)
        base = median_ms(["sh", "-c", loop], args.runs, cwd=root, env=env)
        many = median_ms([lab, "verify", "--tag", "many"], args.runs, cwd=root, env=env)
        wide_base = median_ms(["sh", "-c", wide_loop], args.runs, cwd=root, env=env)
        wide_ms = median_ms(
            [lab, "verify", "--tag", "many", "--jobs", "2"], args.runs, cwd=os.path.join(root, "wide"), env=env
        )
        rows = [
            (f"lab verify ({n} x true, --jobs 1), runs on disk", many, "shell loop", base, None),
            (f"lab verify ({wide} x true, --jobs 2), runs on disk", wide_ms, "xargs -P 2", wide_base, None),
        ]
        if tmpfs_runs:
            shm_ms = median_ms([lab, "verify", "--tag", "many"], args.runs, cwd=os.path.join(root, "shm"), env=env)
            rows.append((f"lab verify ({n} x true, --jobs 1), runs on tmpfs", shm_ms, "shell loop", base, None))
        print(f"suites of `true`, median of {args.runs} runs")
        report(rows)
        for name, ms, _, base_ms, _ in rows:
            count = wide if "--jobs 2" in name else n
            print(f"  {name}: {(ms - base_ms) / count:.3f} ms per suite over {base_ms / count:.3f} ms for `sh -c true`")
        if args.skip_big:
            return

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
