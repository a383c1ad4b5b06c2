//! Which file and directory names look like they hold a secret
//! (docs/running.md#nested-artifacts): by the words of the name split on
//! `.`, `-` and `_`, by well-known names, and by extension. A false
//! positive costs an artifact (with a reason in lab.log.jsonl); a false
//! negative costs a secret, so the rule leans to refusing.

/// Words that make a name secret-like wherever they appear in it.
const WORDS: &[&str] = &[
    "secret",
    "secrets",
    "token",
    "tokens",
    "password",
    "passwords",
    "passwd",
    "credential",
    "credentials",
    "apikey",
    "private",
];

/// Names that are secret-like as a whole (case-insensitive).
const NAMES: &[&str] = &[
    ".env",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".git-credentials",
    "kubeconfig",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".ssh",
    ".aws",
    ".gnupg",
    ".docker",
    ".kube",
    "shadow",
    "gshadow",
];

/// Extensions of key and keystore files.
const EXTENSIONS: &[&str] = &["pem", "key", "p12", "pfx", "jks", "kdbx"];

/// Why `name` (one path segment) looks like it holds a secret, or `None`.
pub fn secret_like(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let base = lower.strip_suffix(".pub").unwrap_or(&lower);
    if NAMES.contains(&base) || lower.starts_with(".env.") {
        return Some(format!("the name `{name}` is a well-known secret file"));
    }
    let words: Vec<&str> = lower
        .split(['.', '-', '_'])
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(w) = words.iter().find(|w| WORDS.contains(w)) {
        return Some(format!("the word `{w}` in `{name}`"));
    }
    if words.windows(2).any(|p| p == ["api", "key"]) {
        return Some(format!("the words `api` `key` in `{name}`"));
    }
    match lower.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && EXTENSIONS.contains(&ext) => {
            Some(format!("the extension `.{ext}` of `{name}`"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_hold_secrets_are_refused() {
        for name in [
            "credentials",
            ".aws",
            "password.txt",
            ".env.local",
            "secrets.yaml",
            "token.json",
            "server.pem",
            "api_key.txt",
            ".netrc",
            ".npmrc",
            "private.key",
            ".git-credentials",
            ".docker",
            "kubeconfig",
            ".pgpass",
            "my-token",
            "id_ed25519",
            "id_rsa.pub",
            "state.secrets",
            "API-KEY.md",
        ] {
            assert!(secret_like(name).is_some(), "{name} should be secret-like");
        }
    }

    #[test]
    fn ordinary_names_are_kept() {
        for name in [
            "report.html",
            "screenshot.png",
            "junit.xml",
            "keyboard.log",
            "tokenizer.rs",
            "ubuntu",
            "monkey.txt",
            "environment.txt",
            "key",
            "artifacts",
            "trace.zip",
        ] {
            assert_eq!(secret_like(name), None, "{name} should be kept");
        }
    }
}
