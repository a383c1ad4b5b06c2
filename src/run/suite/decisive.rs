//! The decisive lines of a failing test, read from the text its report
//! captured: a Rust panic (the `panicked at` line and the message under
//! it, an assertion's `left`/`right` included), or pytest's failing
//! statement (`>` line), its `E` lines and where it failed. Lines only:
//! redaction happened when the report was read.

/// At most this many decisive lines per failure.
pub const MAX_LINES: usize = 10;

/// Lines are cut at this many characters.
const MAX_CHARS: usize = 300;

/// The decisive lines of the first of `texts` that has any.
pub fn decisive_lines<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    texts
        .into_iter()
        .map(|t| {
            let lines = rust_panic(t);
            if lines.is_empty() { pytest(t) } else { lines }
        })
        .find(|l| !l.is_empty())
        .unwrap_or_default()
}

/// `panicked at src/lib.rs:6:19:` and the message under it, up to a
/// backtrace, a `note:` or an empty line. The `thread '…' (id)` before it
/// goes: the test's name is known, the thread id differs every run.
fn rust_panic(text: &str) -> Vec<String> {
    let mut lines = text.lines();
    let Some(first) = lines.by_ref().find(|l| l.contains(" panicked at ")) else {
        return Vec::new();
    };
    let from = first.find("panicked at ").unwrap_or(0);
    let mut out = vec![cut(first[from..].trim_end())];
    for line in lines {
        let t = line.trim_end();
        if t.is_empty() || t.starts_with("stack backtrace:") || t.starts_with("note: ") {
            break;
        }
        out.push(cut(t));
        if out.len() >= MAX_LINES {
            break;
        }
    }
    out
}

/// pytest's failure: the last `>` line before the first `E` line, the `E`
/// lines, and the `path:line: Error` line after them.
fn pytest(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(first_e) = lines.iter().position(|l| is_e_line(l)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(statement) = lines[..first_e].iter().rev().find(|l| l.starts_with('>')) {
        out.push(cut(statement.trim_end()));
    }
    let mut end = first_e;
    while end < lines.len() && is_e_line(lines[end]) {
        if out.len() < MAX_LINES - 1 {
            out.push(cut(lines[end].trim_end()));
        }
        end += 1;
    }
    if let Some(place) = lines[end..].iter().find(|l| !l.trim().is_empty())
        && looks_like_place(place)
    {
        out.push(cut(place.trim_end()));
    }
    out
}

/// `E   assert 2 == 3` (or a bare `E`).
fn is_e_line(line: &str) -> bool {
    line == "E" || line.starts_with("E ") || line.starts_with("E\t")
}

/// `tests/test_x.py:8: AssertionError`.
fn looks_like_place(line: &str) -> bool {
    let mut parts = line.splitn(3, ':');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(file), Some(n), Some(_)) if !file.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    )
}

fn cut(line: &str) -> String {
    if line.chars().count() <= MAX_CHARS {
        return line.to_string();
    }
    let mut s: String = line.chars().take(MAX_CHARS).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rust_assertion_keeps_left_and_right() {
        let text = "thread 'tests::breaks' (22338) panicked at src/lib.rs:6:19:\nassertion `left == right` failed: arithmetic is off\n  left: 2\n right: 3\nstack backtrace:\n   0: __rustc::rust_begin_unwind\n";
        assert_eq!(
            decisive_lines([text]),
            [
                "panicked at src/lib.rs:6:19:",
                "assertion `left == right` failed: arithmetic is off",
                "  left: 2",
                " right: 3"
            ]
        );
    }

    #[test]
    fn pytest_keeps_the_statement_the_e_lines_and_the_place() {
        let text = "def test_bad():\n        x = 5\n>       assert add(1, 1) == 3\nE       assert 2 == 3\nE        +  where 2 = add(1, 1)\n\ntests/test_x.py:8: AssertionError";
        assert_eq!(
            decisive_lines(["", text]),
            [
                ">       assert add(1, 1) == 3",
                "E       assert 2 == 3",
                "E        +  where 2 = add(1, 1)",
                "tests/test_x.py:8: AssertionError"
            ]
        );
    }

    #[test]
    fn text_without_either_has_no_decisive_lines() {
        assert!(decisive_lines(["just output\nError: nope", ""]).is_empty());
    }
}
