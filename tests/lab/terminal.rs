//! Nothing a suite prints reaches lab's terminal as a control sequence
//! (issue 18 item 10): the excerpt, the reason and `--stream` show the
//! text, never an escape that retitles, clears or drives the terminal.

use crate::harness::Workspace;

#[test]
fn a_suite_cannot_drive_the_terminal_through_lab() {
    let ws = Workspace::with(&[
        ("suites.toml", "[suite.a]\ncommand = \"sh ./hostile.sh\"\n"),
        (
            "hostile.sh",
            "printf 'out \\033]0;OWNED\\007title \\033[2Jclear \\302\\233 31mcsi\\n'\nprintf 'error: \\033]0;OWNED\\007bad \\033[2J\\007bell\\n' >&2\nexit 78\n",
        ),
    ]);
    for args in [&["verify", "a"][..], &["verify", "a", "--stream"][..]] {
        let run = ws.cmd(args).status(78).stderr_any().run();
        let bad: Vec<char> = run
            .stderr
            .chars()
            .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
            .collect();
        assert!(bad.is_empty(), "{args:?}: {bad:?} in\n{}", run.stderr);
        assert!(run.stderr.contains("error: bad bell"), "{}", run.stderr);
        if args.contains(&"--stream") {
            assert!(
                run.stderr
                    .contains("[suite.a stdout] out title clear csi\n"),
                "{}",
                run.stderr
            );
        }
    }
}

/// A summary is input (a CI artifact, another machine's shard): what
/// `runs show`, `runs list` and the markdown and GitHub reports print from
/// it carries no control sequence, and cannot close a fenced block.
#[test]
fn a_tampered_summary_cannot_drive_the_terminal_or_break_a_report() {
    let ws = Workspace::with(&[("suites.toml", "[suite.a]\ncommand = \"exit 1\"\n")]);
    ws.cmd(&["verify", "a"]).status(1).stderr_any().run();
    let path = ws.latest_run().join("summary.json");
    let mut summary = crate::harness::read_json(&path);
    let hostile = "\u{1b}]0;OWNED\u{7}evil \u{1b}[2Jclear \u{9b}31mcsi";
    summary["suites"][0]["reason"] = hostile.into();
    summary["suites"][0]["excerpt"] = serde_json::json!(["```", "</details>", hostile]);
    summary["reproduce"] = format!("lab verify a {hostile}").into();
    std::fs::write(&path, summary.to_string()).expect("tamper");
    let no_controls = |what: &str, text: &str| {
        let bad: Vec<char> = text
            .chars()
            .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
            .collect();
        assert!(bad.is_empty(), "{what}: {bad:?} in\n{text}");
        assert!(text.contains("evil clear csi"), "{what}: {text}");
    };
    let shown = ws
        .cmd(&["runs", "show", "latest"])
        .stdout_any()
        .run()
        .stdout;
    no_controls("runs show", &shown);
    let markdown = ws
        .cmd(&["report", "--format", "markdown"])
        .stdout_any()
        .stderr_any()
        .run()
        .stdout;
    no_controls("markdown", &markdown);
    // The excerpt's own ``` cannot end its block: the fence is longer.
    assert!(markdown.contains("````\n```\n</details>\n"), "{markdown}");
    let github = ws
        .cmd(&["report", "--format", "github"])
        .stdout_any()
        .stderr_any()
        .run()
        .stdout;
    no_controls("github", &github);
}
