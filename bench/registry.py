#!/usr/bin/env python3
"""Registry benchmark (issue 2): 5,000 suites in 50 included files, 10 path
patterns each, over a tree of 1,500 files.

Measures the median of `lab suite list --json --tag X` and `lab check`, and
prints each as a ratio to Python's tomllib parsing the same 51 files
(interpreter start included, as lab's process start is).

    python3 bench/registry.py [--runs 21] [--keep DIR]
"""

import argparse
import os
import shutil

from common import build_lab, median_ms, report, workspace

SUITES = 5000
FILES = 50
CRATES = 500


def generate(root):
    with open(os.path.join(root, "suites.toml"), "w") as f:
        f.write('[lab]\ninclude = ["defs/*.toml"]\n\n[profile.ci]\nenv = { CI = "1" }\n\n')
        f.write('[runner.cargo]\nprogram = "cargo"\ncommand = "cargo test {args}"\n')
    os.makedirs(os.path.join(root, "defs"))
    per_file = SUITES // FILES
    for n in range(FILES):
        lines = []
        for j in range(per_file):
            i = n * per_file + j
            c = i % CRATES
            tags = ["fast" if i % 2 else "slow", f"group{i % 20}"]
            if i % 100 == 0:
                tags.append("X")
            paths = [
                f"crates/c{c}/src/",
                f"crates/c{c}/src/**/*.rs",
                f"crates/c{c}/Cargo.toml",
                f"crates/c{c}/tests",
                f"docs/c{c}.md",
                f"crates/c{(c + 1) % CRATES}/src/lib.rs",
                f"crates/c{c}/**/*.toml",
                f"schemas/s{c % 50}.json",
                f"crates/c{c}/src/{{a,b}}.rs",
                f"crates/c{c}/benches/",
            ]
            lines.append(f"[suite.g{n}.s{i}]")
            lines.append(f'description = "suite {i}"')
            if i % 3 == 0:
                lines.append('runners = ["cargo"]')
                lines.append(f'args = "-p c{c}"')
            else:
                lines.append(f'command = "true {i}"')
            lines.append(f'level = "{["unit", "integration", "e2e"][i % 3]}"')
            lines.append(f'tags = {tags!r}'.replace("'", '"'))
            lines.append(f'targets = ["t{i % 7}"]')
            lines.append(f'paths = {paths!r}'.replace("'", '"'))
            lines.append('profile = "ci"')
            if j > 0 and i % 5 == 0:
                lines.append(f'needs = ["suite.g{n}.s{i - 1}"]')
            lines.append("")
        with open(os.path.join(root, "defs", f"f{n:02}.toml"), "w") as f:
            f.write("\n".join(lines))
    for c in range(CRATES):
        for rel in ["src/lib.rs", "src/a.rs", "Cargo.toml", "tests/it.rs", "benches/b.rs"]:
            path = os.path.join(root, "crates", f"c{c}", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()
        open(_mk(root, f"docs/c{c}.md"), "w").close()
    os.makedirs(os.path.join(root, "schemas"), exist_ok=True)
    for s in range(50):
        open(os.path.join(root, "schemas", f"s{s}.json"), "w").close()


def _mk(root, rel):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    args = parser.parse_args()
    lab = build_lab()
    root = workspace("lab-bench-registry-", args.keep)
    try:
        generate(root)
        files = ["suites.toml"] + [f"defs/f{n:02}.toml" for n in range(FILES)]
        python = [
            "python3",
            "-c",
            "import sys, tomllib\nfor f in sys.argv[1:]:\n    tomllib.load(open(f, 'rb'))",
            *files,
        ]
        env = dict(os.environ, NO_COLOR="1")
        base = median_ms(python, args.runs, cwd=root, env=env)
        listing = median_ms([lab, "suite", "list", "--json", "--tag", "X"], args.runs, cwd=root, env=env)
        check = median_ms([lab, "check"], args.runs, cwd=root, env=env)
        print(f"registry: {SUITES} suites in {FILES + 1} files, 10 patterns each; median of {args.runs} runs")
        report(
            [
                ("lab suite list --json --tag X", listing, "python tomllib", base, 50),
                ("lab check", check, "python tomllib", base, 150),
            ]
        )
    finally:
        if not args.keep:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
