//! Terminal styling: ANSI colours when stderr is a terminal and NO_COLOR is
//! unset, nothing otherwise. No output is written here.

use std::io::IsTerminal;
use std::time::Duration;

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
