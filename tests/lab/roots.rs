//! The roots lab hands a suite — `TMPDIR`, `XDG_*`, `state.*`, and `HOME`
//! when the registry points it at one — lie outside the workspace and
//! outside any project, are private and short, are linked from the suite
//! directory, and do not outlive their run.

use std::path::{Path, PathBuf};

use crate::harness::{Workspace, alive, eventually, suite};

/// A suite script that walks up from every root it was handed and fails
/// when it meets a file that marks a project (the workspace's own among
/// them) or a root inside the workspace, or a root that is not private.
const WALK_UP: &str = r#"#!/bin/sh
mkdir -p "$HOME"
found=""
for root in "$TMPDIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$LAB_STATE_CONFIG" "$LAB_STATE_DATA" "$LAB_STATE_SECRETS" "$HOME"; do
  case "$root" in "$LAB_WORKSPACE"/*) found="$found inside:$root";; esac
  [ "$(stat -c %a "$root")" = 700 ] || [ "$root" = "$HOME" ] || found="$found mode:$root"
  d="$root"
  while :; do
    for m in suites.toml .git package.json Cargo.toml pyproject.toml walk.sh; do
      [ -e "$d/$m" ] && found="$found $d/$m"
    done
    [ "$d" = / ] && break
    d=$(dirname "$d")
  done
done
echo "$found" > "$LAB_WORKSPACE/found.txt"
[ -z "$found" ]
"#;

#[test]
fn walking_up_from_any_root_finds_nothing_of_the_workspace() {
    let ws = Workspace::git_repo(&[
        (
            "suites.toml",
            "[profile.home]\nenv = { HOME = \"{state.data}/home\" }\n\n[suite.walk]\nprofile = \"home\"\ncommand = \"sh ./walk.sh\"\n\n[suite.kept]\ncommand = 'echo kept > \"$TMPDIR/file\"; exit 1'\n",
        ),
        ("walk.sh", WALK_UP),
        ("package.json", "{}\n"),
        ("Cargo.toml", "[workspace]\n"),
    ]);
    // lab's own TMPDIR is inside the workspace: lab must not use it.
    let own_tmp = ws.path().join("target/tmp");
    std::fs::create_dir_all(&own_tmp).expect("mkdir");
    let doc = ws
        .cmd(&["verify", "--all", "--json"])
        .env("TMPDIR", &own_tmp)
        .status(1)
        .stdout_schema("summary")
        .stderr_any()
        .run_json();
    let found = std::fs::read_to_string(ws.path().join("found.txt")).expect("found");
    assert_eq!(found.trim(), "", "walking up from the roots found: {found}");
    assert_eq!(suite(&doc, "suite.walk")["status"], "passed", "{doc:#}");
    // manifest.json records where each root really is; the suite directory
    // links to it; a failed suite's roots are kept, a passed suite's gone.
    let manifest = ws.run_json("manifest.json");
    let workspace = std::fs::canonicalize(ws.path()).expect("resolve");
    for entry in manifest["suites"].as_array().expect("suites") {
        let roots = entry["roots"].as_object().expect("roots");
        let names: Vec<&str> = roots.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["state.config", "state.data", "state.secrets", "tmp"]
        );
        for path in roots.values() {
            let path = Path::new(path.as_str().expect("a path"));
            assert!(
                path.is_absolute() && !path.starts_with(&workspace),
                "{path:?}"
            );
        }
        let tmp = roots["tmp"].as_str().expect("tmp");
        assert!(
            tmp.len() <= 48,
            "TMPDIR `{tmp}` leaves too little of 108 bytes for a socket"
        );
        let dir = ws.latest_run().join(entry["dir"].as_str().expect("dir"));
        if entry["id"] == "suite.kept" {
            assert_eq!(
                std::fs::read_link(dir.join("tmp")).expect("link"),
                PathBuf::from(tmp)
            );
            assert_eq!(
                std::fs::read_to_string(dir.join("tmp/file")).expect("through the link"),
                "kept\n"
            );
        } else {
            assert!(
                std::fs::symlink_metadata(dir.join("tmp")).is_err(),
                "link removed"
            );
            assert!(!Path::new(tmp).exists(), "roots removed: {tmp}");
        }
    }
}

/// The `tmp` root of `id` in the newest run's manifest.json.
fn tmp_root(ws: &Workspace, id: &str) -> PathBuf {
    let manifest = ws.run_json("manifest.json");
    let entry = manifest["suites"]
        .as_array()
        .expect("suites")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {manifest:#}"));
    PathBuf::from(entry["roots"]["tmp"].as_str().expect("tmp root"))
}

#[test]
fn roots_go_when_their_run_is_pruned() {
    let ws = Workspace::with(&[("suites.toml", "[suite.a]\ncommand = \"exit 1\"\n")]);
    ws.cmd(&["verify", "a"]).status(1).stderr_any().run();
    let first = tmp_root(&ws, "suite.a");
    assert!(first.is_dir(), "a failed suite keeps its roots");
    ws.write("suites.toml", "[suite.a]\ncommand = \"true\"\n");
    ws.cmd(&["verify", "a"]).stderr_any().run();
    ws.cmd(&["runs", "prune", "--keep", "1"])
        .stdout_any()
        .stderr_contains("deleted 1 run, kept 1\n")
        .run();
    assert!(!first.exists(), "{} outlived its run", first.display());
}

#[test]
fn roots_of_a_killed_run_go_once_the_run_is_gone() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.hang]\ncommand = 'echo $$ > \"$LAB_WORKSPACE/pid\"; echo \"$TMPDIR\" > \"$LAB_WORKSPACE/tmpdir\"; sleep 600'\n\n[suite.next]\ncommand = \"true\"\n",
    )]);
    let mut lab = ws.spawn(&["verify", "hang"]);
    // Complete once its line ends: the shell creates the file first.
    assert!(
        eventually(60, || std::fs::read_to_string(ws.path().join("tmpdir"))
            .is_ok_and(|s| s.ends_with('\n'))),
        "the suite never started"
    );
    lab.kill().expect("SIGKILL lab");
    lab.wait().expect("reap lab");
    // Nothing takes the suite down with lab yet: stop it by hand.
    let pid: i32 = std::fs::read_to_string(ws.path().join("pid"))
        .expect("pid")
        .trim()
        .parse()
        .expect("a pid");
    let pid = rustix::process::Pid::from_raw(pid).expect("pid");
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    assert!(eventually(10, || !alive(pid.as_raw_nonzero().get() as u32)));
    let tmp = PathBuf::from(
        std::fs::read_to_string(ws.path().join("tmpdir"))
            .expect("tmpdir")
            .trim(),
    );
    assert!(tmp.is_dir(), "the killed run's roots are still there");
    // While its run directory is there, the next run leaves them alone…
    let killed = ws.latest_run();
    ws.cmd(&["verify", "next"]).stderr_any().run();
    assert!(tmp.is_dir(), "removed while the killed run is still kept");
    // …and once it is gone, the next run removes them.
    std::fs::remove_dir_all(&killed).expect("rm run");
    ws.cmd(&["verify", "next"]).stderr_any().run();
    assert!(!tmp.exists(), "{} outlived its run", tmp.display());
}
