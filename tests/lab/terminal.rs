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
