//! Terminal styling: ANSI colours when stderr is a terminal and NO_COLOR is
//! unset, nothing otherwise. No output is written here.

use std::io::IsTerminal;
use std::time::Duration;

/// `text` as it is safe to print on a terminal: without escape
/// sequences (CSI such as colours and cursor moves, OSC such as window
/// titles, character-set switches), without C1 controls (U+0080–U+009F,
/// the CSI and OSC introducers among them) and without C0 controls but
/// tab. Whatever a suite produced passes through here before lab prints it.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                Some('(' | ')' | '*' | '+' | '#' | '%') => {
                    chars.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// [`printable`] line by line: newlines kept, every other control
/// character and escape sequence removed.
pub fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Skips a control sequence's parameters and its final byte (`@`..`~`).
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

/// Skips a string sequence (OSC, DCS, …) up to BEL, ST (`ESC \\`) or U+009C.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\x1b' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// Human duration: `850ms`, `12.3s`, `5m02s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// A pair of escape sequences: the opening one and the reset.
pub type Paint = (&'static str, &'static str);

/// Whether to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    color: bool,
}

impl Style {
    /// No colour.
    pub fn plain() -> Self {
        Style { color: false }
    }

    /// Colour when stderr is a terminal and `NO_COLOR` is unset or empty.
    pub fn for_stderr() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && std::io::stderr().is_terminal(),
        }
    }

    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn for_stdout() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    fn paint(self, code: &'static str) -> Paint {
        if self.color {
            (code, "\x1b[0m")
        } else {
            ("", "")
        }
    }

    /// Bold red: errors and failures.
    pub fn red_bold(self) -> Paint {
        self.paint("\x1b[1;31m")
    }

    /// Bold yellow: warnings.
    pub fn yellow_bold(self) -> Paint {
        self.paint("\x1b[1;33m")
    }

    /// Bold blue: gutters and places.
    pub fn blue_bold(self) -> Paint {
        self.paint("\x1b[1;34m")
    }

    /// Bold: headings.
    pub fn bold(self) -> Paint {
        self.paint("\x1b[1m")
    }

    /// Dim: secondary columns.
    pub fn dim(self) -> Paint {
        self.paint("\x1b[2m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_a_suite_prints_can_drive_the_terminal() {
        assert_eq!(printable("\x1b]0;owned\x07title"), "title");
        assert_eq!(
            printable("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"),
            "link"
        );
        assert_eq!(printable("a\x1b[2Jb\x1b[31mc\x1b[0m"), "abc");
        assert_eq!(printable("a\u{9b}2Jb"), "ab");
        assert_eq!(printable("a\u{9d}0;t\u{9c}b"), "ab");
        assert_eq!(
            printable("bell\x07 back\x08 cr\r nul\0 tab\tok"),
            "bell back cr nul tab\tok"
        );
        assert_eq!(printable("ünïcödé ✓"), "ünïcödé ✓");
        assert_eq!(printable("\x1b[31m-    let x\x1b(B\x1b[m"), "-    let x");
    }
}
