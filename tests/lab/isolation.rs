//! What a suite's processes cannot reach: descriptors lab's caller left
//! open (a file, a pipe, a unix socket), and, under `network =
//! "loopback"`, any interface but `lo` — even when the profile's PATH puts
//! a fake `nsenter` first, or `ip` reports another interface up.

use std::path::Path;

use crate::harness::{Run, Workspace, lab_command, python, run, suite};

/// A check, in shell, that descriptors 7, 8 and 9 are not open in the
/// shell running it (`[` is a builtin: `/proc/self` is that shell).
const NO_INHERITED_FDS: &str = "for fd in 7 8 9; do if [ -e /proc/self/fd/$fd ]; then echo \"fd $fd is open\" >&2; exit 1; fi; done";

/// Runs `lab args…` in `ws` with three extra descriptors open and
/// inheritable: 7 a file (`inherited.txt`), 8 the write end of a pipe, 9
/// one end of a unix socket pair — what a careless caller leaves open.
fn lab_with_inherited_fds(ws: &Workspace, args: &[&str]) -> Run {
    let script = r#"
import os, socket, sys
f = os.open("inherited.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
r, w = os.pipe()
a, b = socket.socketpair()
for fd, target in ((f, 7), (w, 8), (a.fileno(), 9)):
    os.dup2(fd, target)
    os.set_inheritable(target, True)
os.execv(sys.argv[1], sys.argv[1:])
"#;
    let cmd = lab_command(ws.path());
    let lab = cmd.get_program().to_owned();
    let mut py = std::process::Command::new(python());
    py.current_dir(ws.path())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(std::process::Stdio::null())
        .arg("-c")
        .arg(script)
        .arg(lab)
        .args(args);
    run(&mut py)
}

#[test]
fn descriptors_lab_inherited_never_reach_a_suite() {
    let registry = format!(
        r#"
[suite.plain]
fixture = "probe"
command = '''{NO_INHERITED_FDS}; (echo leaked >&7) 2>/dev/null; true'''

[suite.service]
services = ["idle"]
command = '''{NO_INHERITED_FDS}'''

[fixture.probe]
setup = '''{NO_INHERITED_FDS}'''

[service.idle]
command = '''{NO_INHERITED_FDS} && exec sleep 60'''
"#
    );
    let ws = Workspace::with(&[("suites.toml", &registry)]);
    let run = lab_with_inherited_fds(&ws, &["verify", "--all", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let summary = run.json();
    for id in ["suite.plain", "suite.service"] {
        assert_eq!(suite(&summary, id)["status"], "passed", "{summary:#}");
    }
    assert_eq!(
        std::fs::read_to_string(ws.path().join("inherited.txt")).expect("file"),
        "",
        "a suite wrote to the inherited file"
    );
}

#[test]
fn the_staging_does_hand_descriptors_to_a_plain_child() {
    // Without lab in between, the same staging leaks: what the test above
    // shows is lab's doing, not the staging's.
    let ws = Workspace::new();
    let env = lab_command(ws.path());
    let script = r#"
import os, subprocess, sys
f = os.open("inherited.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.dup2(f, 7)
os.set_inheritable(7, True)
sys.exit(subprocess.call(["/bin/sh", "-c", "echo leaked >&7"], close_fds=False))
"#;
    let mut py = std::process::Command::new(python());
    py.current_dir(ws.path())
        .env_clear()
        .envs(env.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .arg("-c")
        .arg(script);
    let out = run(&mut py);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("inherited.txt")).expect("file"),
        "leaked\n"
    );
}

/// A fake tool: it logs that it ran, then, for `nsenter`, runs what
/// follows `--` without entering anything (or, for others, does nothing).
fn fake_tool(dir: &Path, name: &str) {
    let script = format!(
        "#!/bin/sh\necho {name} >> \"$(dirname \"$0\")/ran.txt\"\nwhile [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done\n[ $# -gt 0 ] && shift && exec \"$@\"\nexit 0\n"
    );
    let path = dir.join(name);
    std::fs::write(&path, script).expect("write fake");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
#[ignore = "needs unshare, nsenter (util-linux) and ip (iproute2); .ci/run installs them and runs ignored tests"]
fn a_fake_nsenter_first_on_the_profiles_path_does_not_defeat_isolation() {
    let ws = Workspace::new();
    let fakes = ws.path().join("fakebin");
    std::fs::create_dir(&fakes).expect("mkdir");
    for name in ["nsenter", "unshare", "ip"] {
        fake_tool(&fakes, name);
    }
    let host_path = std::env::var("PATH").unwrap_or_default();
    ws.write(
        "suites.toml",
        &format!(
            r#"
[profile.offline]
network = "loopback"
env = {{ PATH = "{{workspace}}/fakebin:{host_path}" }}

[suite.isolated]
profile = "offline"
command = "cat /proc/net/dev > interfaces.txt; command -v nsenter"
"#
        ),
    );
    ws.cmd(&["verify", "isolated"])
        .stderr_contains("  PASS   suite.isolated  [TIME]\n")
        .stderr_any()
        .run();
    let interfaces = std::fs::read_to_string(ws.path().join("interfaces.txt")).expect("interfaces");
    let names: Vec<&str> = interfaces
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(names, ["lo"], "{interfaces}");
    // The suite itself does see the fake first (its PATH is its own)…
    let stdout = std::fs::read_to_string(ws.latest_run().join("suites/suite.isolated/stdout.log"))
        .expect("log");
    assert_eq!(stdout.trim(), fakes.join("nsenter").display().to_string());
    // …but lab never ran it, and recorded the tools it used.
    assert!(!fakes.join("ran.txt").exists(), "lab ran a fake tool");
    let manifest = ws.run_json("manifest.json");
    let tools = &manifest["isolation_tools"];
    for name in ["unshare", "nsenter", "ip", "sleep"] {
        let path = tools[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {tools}"));
        assert!(path.starts_with('/'), "{name}: {path}");
        assert!(!path.contains("fakebin"), "{name}: {path}");
    }
}

#[test]
#[ignore = "needs unshare, nsenter (util-linux) and ip (iproute2); .ci/run installs them and runs ignored tests"]
fn a_namespace_with_another_interface_up_blocks_the_suite() {
    // lab's own PATH has an `ip` that reports an extra interface up, as a
    // namespace that is not the one lab made would: the check from inside
    // refuses it before anything of the suite starts.
    let ws = Workspace::with(&[(
        "suites.toml",
        "[profile.offline]\nnetwork = \"loopback\"\n\n[suite.isolated]\nprofile = \"offline\"\ncommand = \"touch ran.txt\"\n",
    )]);
    let fakes = ws.path().join("fakebin");
    std::fs::create_dir(&fakes).expect("mkdir");
    let real_ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("ip is installed");
    let ip = fakes.join("ip");
    std::fs::write(
        &ip,
        format!(
            "#!/bin/sh\n{real_ip} \"$@\" || exit\nif [ \"$1\" = -o ]; then echo '7: eth7@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500'; fi\n"
        ),
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ip, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        fakes.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let doc = ws
        .cmd(&["verify", "isolated", "--json"])
        .env("PATH", path)
        .status(78)
        .stdout_schema("summary")
        .stderr_any()
        .run_json();
    let s = suite(&doc, "suite.isolated");
    assert_eq!(s["status"], "blocked", "{s:#}");
    assert_eq!(s["step"], "network", "{s:#}");
    let reason = s["reason"].as_str().expect("reason");
    assert!(reason.contains("[lo, eth7]"), "{reason}");
    assert!(!ws.path().join("ran.txt").exists(), "the command ran");
}
