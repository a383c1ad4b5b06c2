//! Typed reading of one TOML table: each accessor checks the value's type,
//! records a diagnostic with the value's span when it is wrong, and returns
//! what it could read, so that one pass reports every problem at once.
//!
//! Which keys a table may hold is in `model.rs`; how tables become
//! definitions is in `load.rs`.

use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, did_you_mean};
use super::model::{Env, PathPattern, Ref};
use super::source::{FileId, Sources, Span};
use super::units;

/// A table being read, with the diagnostics its reading produced.
pub struct Reader<'a, 'i> {
    sources: &'a Sources,
    file: FileId,
    table: &'a DeTable<'i>,
    /// What owns the table, for messages: `suite.api` or `[lab]`.
    owner: &'a str,
    diags: &'a mut Vec<Diagnostic>,
}

/// What a TOML value is, as said in messages: "a string", "an array"…
pub fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("the string {:?}", s.as_ref()),
        DeValue::Integer(i) => format!("the integer {}", i.as_str()),
        DeValue::Float(f) => format!("the float {}", f.as_str()),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(_) => "a datetime".into(),
        DeValue::Array(_) => "an array".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

impl<'a, 'i> Reader<'a, 'i> {
    /// Starts reading `table` (in `file`) owned by `owner`.
    pub fn new(
        sources: &'a Sources,
        file: FileId,
        table: &'a DeTable<'i>,
        owner: &'a str,
        diags: &'a mut Vec<Diagnostic>,
    ) -> Self {
        Reader {
            sources,
            file,
            table,
            owner,
            diags,
        }
    }

    /// Reads a table nested in the one `parent` reads, reporting into the
    /// same diagnostics.
    pub fn new_nested<'b, 'j>(
        parent: &'b mut Reader<'_, '_>,
        table: &'b DeTable<'j>,
        owner: &'b str,
    ) -> Reader<'b, 'j> {
        Reader {
            sources: parent.sources,
            file: parent.file,
            table,
            owner,
            diags: &mut *parent.diags,
        }
    }

    /// The span of a TOML item in this file.
    pub fn span<T>(&self, item: &Spanned<T>) -> Span {
        Span::new(self.file, item.span())
    }

    /// Records a diagnostic.
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// Records an error at `span`.
    pub fn error_at(&mut self, span: Span, code: &'static str, message: String) -> Diagnostic {
        Diagnostic::error(code, message).at(self.sources, span)
    }

    /// Reports every key not in `fields`. `nested` decides whether a table
    /// value under an unknown key is itself a definition (a different error).
    pub fn reject_unknown(&mut self, fields: &[&str], nested: impl Fn(&DeTable<'_>) -> bool) {
        for (key, value) in self.table.iter() {
            let name = key.get_ref().as_ref();
            if fields.contains(&name) {
                continue;
            }
            let span = self.span(key);
            let diagnostic = match value.get_ref() {
                DeValue::Table(t) if nested(t) => self
                    .error_at(
                        span,
                        "nested-definition",
                        format!(
                            "`{}` is a definition, so `{}.{name}` cannot be a definition too",
                            self.owner, self.owner
                        ),
                    )
                    .help(format!(
                        "give `{}` its own leaf, e.g. `[{}.main]`, or move `{name}` beside it",
                        self.owner, self.owner
                    )),
                _ => self
                    .error_at(
                        span,
                        "unknown-key",
                        format!("unknown key `{name}` in `{}`", self.owner),
                    )
                    .found(format!("`{name}`"))
                    .expected(format!("one of {}", list(fields)))
                    .maybe_help(
                        did_you_mean(name, fields.iter().copied())
                            .map(|m| format!("did you mean `{m}`?")),
                    ),
            };
            self.report(diagnostic);
        }
    }

    /// The raw value of `key`.
    pub fn value(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    /// Reports that `key` (holding `value`) has the wrong type.
    pub fn mismatch(&mut self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) {
        let span = self.span(value);
        let d = self
            .error_at(
                span,
                "wrong-type",
                format!("`{key}` in `{}` has the wrong type", self.owner),
            )
            .found(describe(value.get_ref()))
            .expected(expected.to_string());
        self.report(d);
    }

    /// A string value.
    pub fn string(&mut self, key: &str) -> Option<String> {
        self.string_spanned(key).map(|(s, _)| s)
    }

    /// A string value with its span.
    pub fn string_spanned(&mut self, key: &str) -> Option<(String, Span)> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some((s.to_string(), self.span(value))),
            _ => {
                self.mismatch(key, value, "a string");
                None
            }
        }
    }

    /// A required string value.
    pub fn required_string(&mut self, key: &str, owner_span: Span) -> Option<String> {
        if self.value(key).is_none() {
            let d = self
                .error_at(
                    owner_span,
                    "missing-key",
                    format!("`{}` has no `{key}`", self.owner),
                )
                .expected(format!("a `{key}` key"));
            self.report(d);
            return None;
        }
        self.string(key)
    }

    /// An array of strings, each with its span.
    pub fn strings_spanned(&mut self, key: &str) -> Vec<(String, Span)> {
        let Some(value) = self.value(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            let expected = if value.get_ref().is_str() {
                format!("an array of strings: `{key} = [{}]`", render_string(value))
            } else {
                "an array of strings".to_string()
            };
            self.mismatch(key, value, &expected);
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push((s.to_string(), self.span(item))),
                _ => self.mismatch(key, item, "a string (in an array of strings)"),
            }
        }
        out
    }

    /// An array of strings.
    pub fn strings(&mut self, key: &str) -> Vec<String> {
        self.strings_spanned(key)
            .into_iter()
            .map(|(s, _)| s)
            .collect()
    }

    /// A boolean.
    pub fn bool(&mut self, key: &str) -> Option<bool> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.mismatch(key, value, "`true` or `false`");
                None
            }
        }
    }

    /// An integer of at least `min`.
    pub fn uint(&mut self, key: &str, min: u32) -> Option<u32> {
        let value = self.value(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        match parsed
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= min)
        {
            Some(n) => Some(n),
            None => {
                self.mismatch(key, value, &format!("an integer of at least {min}"));
                None
            }
        }
    }

    /// A duration: a string such as `"90s"` or an integer of seconds.
    pub fn duration(&mut self, key: &str) -> Option<Duration> {
        let value = self.value(key)?;
        let result = match value.get_ref() {
            DeValue::String(s) => units::parse_duration(s),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .map(Duration::from_secs)
                .ok_or(units::DurationError::NegativeSeconds),
            _ => Err(units::DurationError::WrongType),
        };
        self.unit_result(key, value, result, "invalid-duration")
    }

    /// A size: a string such as `"64MiB"` or an integer of bytes.
    pub fn size(&mut self, key: &str) -> Option<u64> {
        let value = self.value(key)?;
        let result = match value.get_ref() {
            DeValue::String(s) => units::parse_size(s),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or(units::SizeError::NegativeBytes),
            _ => Err(units::SizeError::WrongType),
        };
        self.unit_result(key, value, result, "invalid-size")
    }

    /// The value, or a diagnostic whose `expected` is what `result`'s
    /// error says was expected.
    fn unit_result<T, E: std::fmt::Display>(
        &mut self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
        result: Result<T, E>,
        code: &'static str,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(expected) => {
                let span = self.span(value);
                let d = self
                    .error_at(
                        span,
                        code,
                        format!("`{key}` in `{}` is not valid", self.owner),
                    )
                    .found(describe(value.get_ref()))
                    .expected(expected.to_string());
                self.report(d);
                None
            }
        }
    }

    /// One of `choices` (name → value).
    pub fn choice<T: Copy>(&mut self, key: &str, choices: &[(&str, T)]) -> Option<T> {
        let (text, span) = self.string_spanned(key)?;
        if let Some((_, v)) = choices.iter().find(|(name, _)| *name == text) {
            return Some(*v);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let d = self
            .error_at(
                span,
                "invalid-value",
                format!("`{key}` in `{}` has an unknown value", self.owner),
            )
            .found(format!("{text:?}"))
            .expected(format!("one of {}", list(&names)))
            .maybe_help(
                did_you_mean(&text, names.iter().copied()).map(|m| format!("did you mean `{m}`?")),
            );
        self.report(d);
        None
    }

    /// An `env`-style table: names to strings (integers and booleans are
    /// accepted and written as TOML spells them).
    pub fn env(&mut self, key: &str) -> Env {
        let mut env = Env::new();
        let Some(value) = self.value(key) else {
            return env;
        };
        let DeValue::Table(table) = value.get_ref() else {
            self.mismatch(key, value, "a table of variables: `{ NAME = \"value\" }`");
            return env;
        };
        for (name, v) in table.iter() {
            let name_text = name.get_ref().as_ref();
            if !is_env_name(name_text) {
                let span = self.span(name);
                let d = self
                    .error_at(
                        span,
                        "invalid-env-name",
                        format!("`{name_text}` is not a valid variable name"),
                    )
                    .expected("letters, digits and `_`, not starting with a digit");
                self.report(d);
                continue;
            }
            let text = match v.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => i.as_str().to_string(),
                DeValue::Float(f) => f.as_str().to_string(),
                DeValue::Boolean(b) => b.to_string(),
                _ => {
                    self.mismatch(&format!("{key}.{name_text}"), v, "a string");
                    continue;
                }
            };
            env.insert(name_text.to_string(), text);
        }
        env
    }

    /// A reference to another definition (canonicalized later).
    pub fn reference(&mut self, key: &str) -> Option<Ref> {
        self.string_spanned(key).map(|(id, span)| Ref { id, span })
    }

    /// An array of references.
    pub fn references(&mut self, key: &str) -> Vec<Ref> {
        self.strings_spanned(key)
            .into_iter()
            .map(|(id, span)| Ref { id, span })
            .collect()
    }

    /// An array of workspace-relative path patterns, checked for glob syntax.
    pub fn patterns(&mut self, key: &str) -> Vec<PathPattern> {
        let mut out = Vec::new();
        for (text, span) in self.strings_spanned(key) {
            match normalize_pattern(&text) {
                Ok(text) => out.push(PathPattern { text, span }),
                Err(expected) => {
                    let d = self
                        .error_at(
                            span,
                            "invalid-path-pattern",
                            format!("path pattern in `{key}` of `{}` is not valid", self.owner),
                        )
                        .found(format!("{text:?}"))
                        .expected(expected.to_string());
                    self.report(d);
                }
            }
        }
        out
    }
}

/// Why a path pattern in the registry is not one; shown as what was
/// expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Nothing, or only `.`.
    #[error("a path relative to the workspace, e.g. \"src/\" or \"src/**/*.rs\"")]
    Empty,
    /// Absolute, or `\`-separated.
    #[error("a `/`-separated path relative to the workspace, not an absolute one")]
    Absolute,
    /// A `..` segment.
    #[error("a path inside the workspace (no `..`)")]
    LeavesWorkspace,
    /// Glob syntax globset rejects.
    #[error("a valid glob ({kind})")]
    Glob {
        /// What is wrong with it (the pattern itself is shown beside).
        kind: globset::ErrorKind,
    },
}

/// Normalizes a workspace-relative pattern (`./a` → `a`) and checks it:
/// not empty, not absolute, no `..`, valid glob syntax.
pub fn normalize_pattern(text: &str) -> Result<String, PatternError> {
    let mut t = text.trim();
    while let Some(rest) = t.strip_prefix("./") {
        t = rest;
    }
    if t.is_empty() || t == "." {
        return Err(PatternError::Empty);
    }
    if t.starts_with('/') || t.contains('\\') {
        return Err(PatternError::Absolute);
    }
    if t.split('/').any(|segment| segment == "..") {
        return Err(PatternError::LeavesWorkspace);
    }
    if t.contains(['*', '?', '[', '{']) {
        // Registries repeat patterns; parsing each distinct glob once per
        // thread keeps loading large registries fast.
        thread_local! {
            static VALID: std::cell::RefCell<foldhash::HashSet<String>> =
                std::cell::RefCell::default();
        }
        if !VALID.with(|v| v.borrow().contains(t)) {
            globset::Glob::new(t).map_err(|e| PatternError::Glob {
                kind: e.kind().clone(),
            })?;
            VALID.with(|v| v.borrow_mut().insert(t.to_string()));
        }
    }
    Ok(t.to_string())
}

/// `true` for a portable environment variable name.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn render_string(value: &Spanned<DeValue<'_>>) -> String {
    format!("{:?}", value.get_ref().as_str().unwrap_or_default())
}

/// `` `a`, `b` or `c` ``.
pub fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!(
            "{} or `{last}`",
            init.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_normalize_and_reject() {
        assert_eq!(normalize_pattern("./src/"), Ok("src/".to_string()));
        assert_eq!(
            normalize_pattern("src/**/*.rs"),
            Ok("src/**/*.rs".to_string())
        );
        assert!(normalize_pattern("/etc/passwd").is_err());
        assert!(normalize_pattern("../x").is_err());
        assert!(normalize_pattern("a/../b").is_err());
        assert!(normalize_pattern("").is_err());
        assert!(normalize_pattern("src/[a").is_err());
        assert!(normalize_pattern("src/{a,b").is_err());
    }

    #[test]
    fn env_names() {
        assert!(is_env_name("RUST_LOG"));
        assert!(is_env_name("_x1"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("A-B"));
        assert!(!is_env_name(""));
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
