//! Redaction of secret values (docs/running.md#redaction): one Aho-Corasick automaton over
//! every secret; a streaming form that holds back just enough bytes at each
//! chunk's end that a secret split across two writes is still caught.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// What a secret value is replaced by.
pub const REDACTED: &str = "[REDACTED]";

/// Values shorter than this are not redacted in output (too likely to
/// occur by chance); names still redact them in manifest.json.
pub const MIN_SECRET_LEN: usize = 6;

/// Words that make a variable secret, also at the end of a longer word
/// (`PGPASSWORD`, `GHTOKEN`).
const STRONG_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "TOKEN",
    "TOKENS",
    "SECRET",
    "SECRETS",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
];

/// Words that make a variable secret only as a whole word of its name
/// (`DB_PASS`, `API_KEY`, `NPM_AUTH`), so `AUTHOR` or `KEYBOARD` do not.
const WORDS: &[&str] = &[
    "KEY", "KEYS", "AUTH", "COOKIE", "COOKIES", "SESSION", "PASS", "PWD",
];

/// Well-known names that hold no secret although a word of them matches.
const NOT_SECRET: &[&str] = &[
    "PWD",
    "OLDPWD",
    "SSH_AUTH_SOCK",
    "XDG_SESSION_DESKTOP",
    "XDG_SESSION_TYPE",
    "XDG_SESSION_CLASS",
    "XDG_SESSION_ID",
    "XDG_SESSION_PATH",
    "DESKTOP_SESSION",
    "SESSION_MANAGER",
    "DBUS_SESSION_BUS_ADDRESS",
    "GPG_KEY",
];

/// `true` when a variable's name marks its value as secret: one of its
/// words (split on `_`, `-` and `.`, case-insensitive) is a secret word,
/// unless the name is a well-known harmless one (docs/running.md#redaction).
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if NOT_SECRET.contains(&upper.as_str()) {
        return false;
    }
    upper
        .split(['_', '-', '.'])
        .any(|word| WORDS.contains(&word) || STRONG_WORDS.iter().any(|s| word.ends_with(s)))
}

/// Replaces known secret values.
#[derive(Debug, Default)]
pub struct Redactor {
    automaton: Option<AhoCorasick>,
    longest: usize,
}

impl Redactor {
    /// A redactor for `values`; those shorter than [`MIN_SECRET_LEN`] bytes are ignored.
    pub fn new<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut secrets: Vec<String> = values
            .into_iter()
            .map(|v| v.as_ref().to_string())
            .filter(|v| v.len() >= MIN_SECRET_LEN)
            .collect();
        secrets.sort();
        secrets.dedup();
        if secrets.is_empty() {
            return Redactor::default();
        }
        let longest = secrets.iter().map(String::len).max().unwrap_or(0);
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&secrets)
            .ok();
        Redactor { automaton, longest }
    }

    /// `true` when there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// `text` with every secret replaced.
    pub fn redact_str(&self, text: &str) -> String {
        match &self.automaton {
            None => text.to_string(),
            Some(ac) => ac.replace_all(text, &vec![REDACTED; ac.patterns_len()]),
        }
    }

    /// A streaming redactor over this one's secrets.
    pub fn stream(&self) -> StreamRedactor<'_> {
        StreamRedactor {
            redactor: self,
            carry: Vec::new(),
        }
    }
}

/// Redacts a byte stream chunk by chunk.
#[derive(Debug)]
pub struct StreamRedactor<'a> {
    redactor: &'a Redactor,
    carry: Vec<u8>,
}

impl StreamRedactor<'_> {
    /// Takes `chunk` and appends to `out` every byte that can no longer be
    /// part of a secret; the rest waits for the next chunk.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let Some(ac) = &self.redactor.automaton else {
            out.extend_from_slice(chunk);
            return;
        };
        self.carry.extend_from_slice(chunk);
        let hold = self.redactor.longest - 1;
        let mut emit_end = self.carry.len().saturating_sub(hold);
        let mut pos = 0;
        for m in ac.find_iter(&self.carry) {
            if m.start() >= emit_end {
                break;
            }
            out.extend_from_slice(&self.carry[pos..m.start()]);
            out.extend_from_slice(REDACTED.as_bytes());
            pos = m.end();
            emit_end = emit_end.max(pos);
        }
        if pos < emit_end {
            out.extend_from_slice(&self.carry[pos..emit_end]);
        }
        self.carry.drain(..emit_end);
    }

    /// Flushes what was held back (a partial secret at the very end is not a secret).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if let Some(ac) = &self.redactor.automaton {
            let mut pos = 0;
            for m in ac.find_iter(&self.carry) {
                out.extend_from_slice(&self.carry[pos..m.start()]);
                out.extend_from_slice(REDACTED.as_bytes());
                pos = m.end();
            }
            out.extend_from_slice(&self.carry[pos..]);
        } else {
            out.extend_from_slice(&self.carry);
        }
        self.carry.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streamed(r: &Redactor, chunks: &[&str]) -> String {
        let mut s = r.stream();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c.as_bytes(), &mut out);
        }
        s.finish(&mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn secrets_split_across_chunks_are_redacted() {
        let r = Redactor::new(["hunter2hunter2", "s3cr3t-token"]);
        assert_eq!(streamed(&r, &["pw=hunter2hun", "ter2!"]), "pw=[REDACTED]!");
        assert_eq!(
            streamed(&r, &["a", "s", "3cr3t-", "toke", "n b"]),
            "a[REDACTED] b"
        );
        // Every split point of a message holding both secrets.
        let text = "x hunter2hunter2 y s3cr3t-token z";
        for cut in 0..text.len() {
            let (a, b) = text.split_at(cut);
            assert_eq!(
                streamed(&r, &[a, b]),
                "x [REDACTED] y [REDACTED] z",
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn short_values_and_no_secrets_pass_through() {
        let r = Redactor::new(["abc"]);
        assert!(r.is_empty());
        assert_eq!(streamed(&r, &["abc abc"]), "abc abc");
        assert_eq!(
            Redactor::new(["secret-value"]).redact_str("a secret-value b"),
            "a [REDACTED] b"
        );
    }

    #[test]
    fn secret_names() {
        assert!(is_secret_name("GITHUB_TOKEN"));
        assert!(is_secret_name("db_password"));
        assert!(is_secret_name("AWS_SECRET_ACCESS_KEY"));
        assert!(!is_secret_name("PATH"));
        for secret in [
            "PGPASSWORD",
            "DB_PASS",
            "NPM_CONFIG__AUTH",
            "api-key",
            "MYSQL_PWD",
            "session",
            "GH.TOKEN",
        ] {
            assert!(is_secret_name(secret), "{secret}");
        }
        for plain in [
            "XDG_SESSION_DESKTOP",
            "GIT_AUTHOR_NAME",
            "PWD",
            "KEYBOARD_LAYOUT",
            "TOKENIZERS_PARALLELISM",
            "SSH_AUTH_SOCK",
            "PASSAGE",
        ] {
            assert!(!is_secret_name(plain), "{plain}");
        }
    }
}
