//! Diagnostics about a registry: what was found where, what was expected,
//! and a did-you-mean; rendered for humans with a caret under the span, or
//! serialized for `lab check --json`.
//!
//! Which problems exist is decided in `load.rs` and `check.rs`, not here.

use super::source::{Sources, Span};
use crate::style::Style;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The registry is invalid; nothing runs.
    Error,
    /// Worth fixing; the registry still loads.
    Warning,
}

/// The source line under a diagnostic, kept for rendering.
#[derive(Debug, Clone)]
struct Snippet {
    text: String,
    column: u32,
    width: u32,
}

/// One problem in the registry.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: Severity,
    /// Stable kebab-case kind of problem, e.g. `unknown-key`, `duplicate-id`.
    pub code: &'static str,
    /// One line saying what is wrong.
    pub message: String,
    /// Workspace-relative file, when the problem has a place.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column in characters.
    pub column: Option<u32>,
    /// What was found there.
    pub found: Option<String>,
    /// What was expected instead.
    pub expected: Option<String>,
    /// A suggestion, such as the near name meant.
    pub help: Option<String>,
    /// Further places and facts, e.g. where a duplicate was first defined.
    pub notes: Vec<String>,
    snippet: Option<Snippet>,
}

impl Diagnostic {
    /// A new error of kind `code`.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message.into())
    }

    /// A new warning of kind `code`.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message.into())
    }

    fn new(severity: Severity, code: &'static str, message: String) -> Self {
        Diagnostic {
            severity,
            code,
            message,
            file: None,
            line: None,
            column: None,
            found: None,
            expected: None,
            help: None,
            notes: Vec::new(),
            snippet: None,
        }
    }

    /// Places the diagnostic at `span`.
    pub fn at(mut self, sources: &Sources, span: Span) -> Self {
        let file = sources.get(span.file);
        let (line, column) = file.line_col(span.start);
        let text = file.line_text(line).to_string();
        let (end_line, end_column) = file.line_col(span.end);
        let width = if end_line == line {
            end_column.saturating_sub(column).max(1)
        } else {
            (text.chars().count() as u32 + 1)
                .saturating_sub(column)
                .max(1)
        };
        self.file = Some(file.path.to_string());
        self.line = Some(line);
        self.column = Some(column);
        self.snippet = Some(Snippet {
            text,
            column,
            width,
        });
        self
    }

    /// Places the diagnostic in a file without a span (e.g. an unreadable file).
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Records what was found.
    pub fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }

    /// Records what was expected.
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// Adds a suggestion.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a suggestion when there is one.
    pub fn maybe_help(self, help: Option<String>) -> Self {
        match help {
            Some(h) => self.help(h),
            None => self,
        }
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// `true` for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col`, or just the file, or nothing.
    pub fn place(&self) -> Option<String> {
        match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => Some(format!("{f}:{l}:{c}")),
            (Some(f), _, _) => Some(f.clone()),
            _ => None,
        }
    }

    /// Renders the diagnostic the way cargo does: a header, the place, the
    /// source line with a caret, then expected/found/help/notes.
    pub fn render(&self, style: Style) -> String {
        Rendered {
            diagnostic: self,
            style,
        }
        .to_string()
    }
}

/// A diagnostic as cargo shows one, in `style`.
struct Rendered<'a> {
    diagnostic: &'a Diagnostic,
    style: Style,
}

impl std::fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.diagnostic;
        let (label, paint) = match d.severity {
            Severity::Error => ("error", self.style.red_bold()),
            Severity::Warning => ("warning", self.style.yellow_bold()),
        };
        writeln!(
            f,
            "{}{label}[{}]{}: {}",
            paint.0, d.code, paint.1, d.message
        )?;
        let blue = self.style.blue_bold();
        if let Some(place) = d.place() {
            writeln!(f, "  {}-->{} {place}", blue.0, blue.1)?;
        }
        if let (Some(snippet), Some(line)) = (&d.snippet, d.line) {
            let number = line.to_string();
            let pad = " ".repeat(number.len());
            writeln!(f, "{pad} {}|{}", blue.0, blue.1)?;
            writeln!(f, "{}{number} |{} {}", blue.0, blue.1, snippet.text)?;
            let lead: String = snippet
                .text
                .chars()
                .take(snippet.column as usize - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(
                f,
                "{pad} {}|{} {lead}{}{}{}",
                blue.0,
                blue.1,
                paint.0,
                "^".repeat(snippet.width as usize),
                paint.1
            )?;
        }
        for (name, value) in [("found", &d.found), ("expected", &d.expected)] {
            if let Some(v) = value {
                writeln!(f, "  = {name}: {v}")?;
            }
        }
        if let Some(help) = &d.help {
            writeln!(f, "  = help: {help}")?;
        }
        for note in &d.notes {
            writeln!(f, "  = note: {note}")?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `name`, when it is close enough to be a
/// likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::source::SourceFile;

    #[test]
    fn render_puts_caret_under_span() {
        let mut sources = Sources::default();
        let id = sources.add(SourceFile::new(
            "suites.toml".into(),
            "[suite.a]\ncomand = \"x\"\n".into(),
        ));
        let d = Diagnostic::error("unknown-key", "unknown key `comand`")
            .at(&sources, Span::new(id, 10..16))
            .help("did you mean `command`?");
        let text = d.render(Style::plain());
        assert_eq!(
            text,
            "error[unknown-key]: unknown key `comand`\n  --> suites.toml:2:1\n  |\n2 | comand = \"x\"\n  | ^^^^^^\n  = help: did you mean `command`?\n"
        );
    }

    #[test]
    fn did_you_mean_finds_near_names_only() {
        let keys = ["command", "cwd", "timeout"];
        assert_eq!(did_you_mean("comand", keys), Some("command"));
        assert_eq!(did_you_mean("timeuot", keys), Some("timeout"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
