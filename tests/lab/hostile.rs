//! Registries and workspaces shaped by someone else (a pull request `lab
//! check` runs on): registry files that are links out of the workspace, to
//! devices or to pipes; workspace paths and values that look like shell
//! syntax. Each must be refused or stay one literal word.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::harness::{Run, Workspace, eventually, tempdir};

/// Runs `lab args…` in `ws`, failing the test (rather than hanging it)
/// when lab has not ended within a generous minute.
fn lab_within_a_minute(ws: &Workspace, args: &[&str]) -> Run {
    let mut child = ws.spawn(args);
    let mut status = None;
    let ended = eventually(60, || {
        status = child.try_wait().expect("wait");
        status.is_some()
    });
    if !ended {
        // Best effort: the assertion below is what fails the test.
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(ended, "lab {args:?} did not end within a minute");
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn includes_linked_to_a_device_or_a_fifo_are_errors_not_hangs() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[lab]\ninclude = [\"profiles/*.toml\", \"pipe.toml\"]\n\n[suite.a]\ncommand = \"true\"\n",
    )]);
    std::fs::create_dir(ws.path().join("profiles")).expect("mkdir");
    std::os::unix::fs::symlink("/dev/zero", ws.path().join("profiles/zero.toml")).expect("link");
    mkfifo(&ws.path().join("fifo"));
    std::os::unix::fs::symlink(ws.path().join("fifo"), ws.path().join("profiles/fifo.toml"))
        .expect("link");
    mkfifo(&ws.path().join("pipe.toml"));
    let started = std::time::Instant::now();
    let run = lab_within_a_minute(&ws, &["check"]);
    assert_eq!(run.code, 2, "{run:?}");
    for (file, why) in [
        ("profiles/zero.toml", "outside"),
        (
            "profiles/fifo.toml",
            "it is not a regular file (a FIFO, socket, device or directory)",
        ),
        (
            "pipe.toml",
            "it is not a regular file (a FIFO, socket, device or directory)",
        ),
    ] {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(&format!("cannot read `{file}`")))
            .unwrap_or_else(|| panic!("no error for {file}:\n{}", run.stderr));
        assert!(line.contains(why), "{line}");
    }
    assert!(
        run.stderr.contains("error[unreadable-file]"),
        "{}",
        run.stderr
    );
    // Every other command refuses the registry the same way, as quickly.
    let list = lab_within_a_minute(&ws, &["suite", "list", "--all"]);
    assert_eq!(list.code, 2, "{list:?}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_include_linked_outside_the_workspace_is_refused_unread() {
    let outside = tempdir();
    let shadow = outside.path().join("shadow");
    std::fs::write(
        &shadow,
        "root:$6$s3cr3tSaltHash$AbCdEfGh:19000:0:99999:7:::\n",
    )
    .expect("write");
    let ws = Workspace::with(&[("suites.toml", "[suite.a]\ncommand = \"true\"\n")]);
    std::fs::create_dir(ws.path().join("profiles")).expect("mkdir");
    std::os::unix::fs::symlink(&shadow, ws.path().join("profiles/p.toml")).expect("link");
    // A link that stays inside the workspace is fine.
    ws.write("shared/q.toml", "[profile.q]\nenv = { A = \"1\" }\n");
    std::os::unix::fs::symlink("../shared/q.toml", ws.path().join("profiles/q.toml"))
        .expect("link");
    for args in [
        &["check"][..],
        &["check", "--json"],
        &["suite", "list", "--all"],
    ] {
        let run = ws.lab(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            all.contains("cannot read `profiles/p.toml`: it resolves to"),
            "{args:?}: {all}"
        );
        assert!(all.contains("outside"), "{args:?}: {all}");
        assert!(!all.contains("s3cr3t"), "{args:?} printed the file: {all}");
        assert!(
            !all.contains("cannot read `profiles/q.toml`"),
            "{args:?}: {all}"
        );
    }
    let doc = ws.lab(&["check", "--json"]).json();
    assert_eq!(
        doc["definitions"]["profile"], 1,
        "the linked q.toml is read"
    );
}

#[test]
fn a_workspace_path_with_shell_syntax_stays_one_word() {
    let parent = tempdir();
    let ws_dir = parent.path().join("ws;touch INJECTED_$(id -u);x y");
    std::fs::create_dir(&ws_dir).expect("mkdir");
    let registry = r#"[suite.paths]
fixture = "seed"
args = "--name 'two words' plain"
command = '''cat {workspace}/suites.toml > /dev/null && test -f {state.data}/seeded && printf '[%s]\n' {workspace} "{suite_dir}" '{run_dir}' {args}'''

[fixture.seed]
setup = "touch {state.data}/seeded"
"#;
    std::fs::write(ws_dir.join("suites.toml"), registry).expect("write");
    let run = crate::harness::run(crate::harness::lab_command(&ws_dir).args(["verify", "paths"]));
    assert_eq!(run.code, 0, "{run:?}");
    let run_dir = std::fs::canonicalize(ws_dir.join("target/lab/runs/latest")).expect("latest");
    let stdout =
        std::fs::read_to_string(run_dir.join("suites/suite.paths/stdout.log")).expect("stdout");
    let ws = ws_dir.display();
    let suite_dir = run_dir.join("suites/suite.paths");
    assert_eq!(
        stdout,
        format!(
            "[{ws}]\n[{}]\n[{}]\n[--name]\n[two words]\n[plain]\n",
            suite_dir.display(),
            run_dir.display()
        )
    );
    let mut injected = Vec::new();
    for dir in [parent.path(), ws_dir.as_path()] {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("INJECTED") || name == "x" {
                injected.push(name);
            }
        }
    }
    assert!(
        injected.is_empty(),
        "the shell ran part of a path: {injected:?}"
    );
}
