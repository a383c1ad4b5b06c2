#!/usr/bin/env python3
"""Cache benchmark (issue 11): a git repository with 100,000 tracked files, a
5,000-suite registry with every suite `cache = true`, all passed once; then
200 changed files (committed, staged, unstaged, untracked). Checks that
`lab verify --all` reruns exactly the suites whose inputs changed, then
measures a fully cached `lab verify --all` against
`lab suite list --all --json` on the same tree, in the same run (target:
at most 2x).

    python3 bench/cache.py [--runs 5] [--keep DIR] [--dirs 1000] [--suites 5000]
"""

import argparse
import json
import os
import shutil
import subprocess

from common import build_lab, git, median_ms, report, workspace

FILES_PER_DIR = 100


def suite_inputs(i, dirs):
    """The inputs of suite i: two directories (one as a glob) and one file."""
    d = i % dirs
    return (d, (d + 1) % dirs, f"src/m{(d + 7) % dirs:04}/f00{i % 10}.rs")


def generate(root, dirs, suites):
    for d in range(dirs):
        path = os.path.join(root, "src", f"m{d:04}")
        os.makedirs(path)
        for f in range(FILES_PER_DIR):
            with open(os.path.join(path, f"f{f:03}.rs"), "w") as fh:
                fh.write(f"// {d} {f}\n")
    with open(os.path.join(root, "suites.toml"), "w") as f:
        f.write('[lab]\nbase = "main"\njobs = 2\ninclude = ["defs/*.toml"]\n')
    with open(os.path.join(root, ".gitignore"), "w") as f:
        f.write("target/\n")
    os.makedirs(os.path.join(root, "defs"))
    per_file = max(1, suites // 50)
    for n in range((suites + per_file - 1) // per_file):
        with open(os.path.join(root, "defs", f"d{n:02}.toml"), "w") as fh:
            for i in range(n * per_file, min(suites, (n + 1) * per_file)):
                a, b, exact = suite_inputs(i, dirs)
                paths = [f"src/m{a:04}/", f"src/m{b:04}/**/*.rs", exact]
                fh.write(f'[suite.s{i:05}]\ncommand = "true"\ncache = true\npaths = {paths!r}\n\n'.replace("'", '"'))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")


def change(root, dirs):
    """200 changes (50 committed, 50 staged, 50 unstaged, 50 untracked);
    returns the changed paths."""
    changed = []

    def append(p, text):
        with open(os.path.join(root, p), "a") as fh:
            fh.write(text)
        changed.append(p)

    for k in range(50):
        append(os.path.join("src", f"m{(k * 3) % dirs:04}", "f000.rs"), "// committed\n")
    git(root, "commit", "-q", "-am", "committed")
    for k in range(50):
        p = os.path.join("src", f"m{(k * 5 + 1) % dirs:04}", "f001.rs")
        append(p, "// staged\n")
        git(root, "add", p)
    for k in range(50):
        append(os.path.join("src", f"m{(k * 7 + 2) % dirs:04}", "f002.rs"), "// unstaged\n")
    for k in range(50):
        append(os.path.join("src", f"m{(k * 11 + 3) % dirs:04}", "new.rs"), "// untracked\n")
    return set(changed)


def affected(changed, dirs, suites):
    """The suites whose inputs hold a changed file."""
    changed_dirs = {p.split("/")[1] for p in changed}
    out = set()
    for i in range(suites):
        a, b, exact = suite_inputs(i, dirs)
        if f"m{a:04}" in changed_dirs or f"m{b:04}" in changed_dirs or exact in changed:
            out.add(f"suite.s{i:05}")
    return out


def latest_summary(root):
    return json.load(open(os.path.join(root, "target/lab/runs/latest/summary.json")))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    parser.add_argument("--dirs", type=int, default=1000, help="directories of 100 files")
    parser.add_argument("--suites", type=int, default=5000)
    args = parser.parse_args()
    lab = build_lab()
    root = workspace("lab-bench-cache-", args.keep)
    try:
        generate(root, args.dirs, args.suites)
        env = dict(os.environ, NO_COLOR="1", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
        verify = [lab, "verify", "--all"]
        subprocess.run(verify, cwd=root, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        changed = change(root, args.dirs)
        expected = affected(changed, args.dirs, args.suites)
        listed = json.loads(subprocess.run([lab, "suite", "list", "--all", "--json"], cwd=root, env=env, check=True, capture_output=True).stdout)
        misses = {s["id"] for s in listed["suites"] if s["cache"] == "miss"}
        subprocess.run(verify, cwd=root, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rerun = {s["id"] for s in latest_summary(root)["suites"] if not s.get("cached")}
        print(f"{args.dirs * FILES_PER_DIR} tracked files, {len(changed)} changed, {args.suites} cached suites; median of {args.runs} runs")
        print(f"inputs changed: {len(expected)} suites ({len(expected) / args.suites:.1%}); "
              f"listed as misses: {len(misses)}; rerun: {len(rerun)} ({len(rerun) / args.suites:.1%})"
              + ("" if misses == expected == rerun else "  MISMATCH"))
        cached = median_ms(verify, args.runs, cwd=root, env=env)
        listing = median_ms([lab, "suite", "list", "--all", "--json"], args.runs, cwd=root, env=env)
        hits = sum(1 for s in latest_summary(root)["suites"] if s.get("cached"))
        print(f"last verify: {hits} of {args.suites} suites from the cache")
        report([("lab verify --all (all cached)", cached, "lab suite list --all --json", listing, 2 * listing)])
    finally:
        if not args.keep:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
