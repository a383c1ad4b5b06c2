"""Helpers shared by lab's benchmarks: build lab, time commands, print medians.

Every benchmark prints its figures next to a baseline measured in the same
run on the same machine, as a ratio: machines here are shared and noisy, so
absolute numbers from another day mean little.
"""

import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_lab():
    """Builds the release binary once and returns its path."""
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--quiet"],
        cwd=REPO,
        check=True,
    )
    return os.path.join(REPO, "target", "release", "lab")


def median_ms(argv, runs, cwd=None, env=None, expect=(0,), stdin=None):
    """Median wall time of `argv` over `runs` runs, in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=stdin,
        )
        samples.append((time.perf_counter() - start) * 1000)
        if proc.returncode not in expect:
            sys.exit(f"{argv} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    return statistics.median(samples)


def report(rows):
    """Prints `(name, ms, baseline_name, baseline_ms, target)` rows."""
    width = max(len(r[0]) for r in rows)
    for name, ms, base_name, base_ms, target in rows:
        ratio = ms / base_ms if base_ms else float("nan")
        verdict = ""
        if target is not None:
            verdict = "  ok" if ms <= target else f"  OVER target {target:.0f} ms"
        print(f"{name:<{width}}  {ms:8.1f} ms  = {ratio:5.2f}x {base_name} ({base_ms:.1f} ms){verdict}")


def workspace(prefix, keep=None):
    """A fresh directory for a generated workspace: `keep` (emptied) or a new
    temp dir. The caller removes it unless `keep` was given."""
    import shutil
    import tempfile

    root = keep or tempfile.mkdtemp(prefix=prefix)
    if keep and os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root, exist_ok=True)
    return root


def git(root, *args):
    """Runs git in root with a fixed identity and no user or system config."""
    env = dict(
        os.environ,
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
    )
    subprocess.run(["git", *args], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
