#!/usr/bin/env python3
"""--changed benchmark (issue 4): a git repository with 100,000 tracked files
and 200 changes (committed, staged, unstaged, untracked), and a 5,000-suite
registry. Measures `lab suite list --changed --json` against
`git status --porcelain -uall` plus `git diff --name-only $(git merge-base main HEAD)`
run back to back, in the same run.

    python3 bench/changed.py [--runs 11] [--keep DIR]
"""

import argparse
import os
import shutil
import subprocess

from common import build_lab, git, median_ms, report, workspace

DIRS = 1000
FILES_PER_DIR = 100
SUITES = 5000


def generate(root):
    for d in range(DIRS):
        path = os.path.join(root, "src", f"m{d:04}")
        os.makedirs(path)
        for f in range(FILES_PER_DIR):
            with open(os.path.join(path, f"f{f:03}.rs"), "w") as fh:
                fh.write(f"// {d} {f}\n")
    with open(os.path.join(root, "suites.toml"), "w") as f:
        f.write('[lab]\nbase = "main"\ninclude = ["defs/*.toml"]\n')
    os.makedirs(os.path.join(root, "defs"))
    for n in range(50):
        with open(os.path.join(root, "defs", f"d{n:02}.toml"), "w") as fh:
            for j in range(SUITES // 50):
                i = n * (SUITES // 50) + j
                d = i % DIRS
                paths = [f"src/m{d:04}/", f"src/m{(d + 1) % DIRS:04}/**/*.rs", f"src/m{(d + 7) % DIRS:04}/f00{i % 10}.rs"]
                fh.write(f'[suite.s{i:05}]\ncommand = "true"\npaths = {paths!r}\n\n'.replace("'", '"'))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    # 200 changes: 50 committed, 50 staged, 50 unstaged, 50 untracked.
    for k in range(50):
        with open(os.path.join(root, "src", f"m{k * 3:04}", "f000.rs"), "a") as fh:
            fh.write("// committed\n")
    git(root, "commit", "-q", "-am", "committed")
    for k in range(50):
        p = os.path.join("src", f"m{k * 5 + 1:04}", "f001.rs")
        with open(os.path.join(root, p), "a") as fh:
            fh.write("// staged\n")
        git(root, "add", p)
    for k in range(50):
        with open(os.path.join(root, "src", f"m{k * 7 + 2:04}", "f002.rs"), "a") as fh:
            fh.write("// unstaged\n")
    for k in range(50):
        with open(os.path.join(root, "src", f"m{k * 11 + 3:04}", "new.rs"), "w") as fh:
            fh.write("// untracked\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    args = parser.parse_args()
    lab = build_lab()
    root = workspace("lab-bench-changed-", args.keep)
    try:
        generate(root)
        env = dict(os.environ, NO_COLOR="1", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
        baseline = [
            "sh",
            "-c",
            "git status --porcelain -uall > /dev/null && git diff --name-only $(git merge-base main HEAD) > /dev/null",
        ]
        # Warm the caches (and git's index stat data) before timing either.
        subprocess.run(baseline, cwd=root, env=env, check=True)
        subprocess.run([lab, "suite", "list", "--changed", "--json"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
        base = median_ms(baseline, args.runs, cwd=root, env=env)
        changed = median_ms([lab, "suite", "list", "--changed", "--json"], args.runs, cwd=root, env=env)
        print(f"{DIRS * FILES_PER_DIR} tracked files, 200 changes, {SUITES} suites; median of {args.runs} runs")
        report([("lab suite list --changed --json", changed, "git status + git diff", base, None)])
    finally:
        if not args.keep:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
