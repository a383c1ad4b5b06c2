//! Which program a shell command runs: its first word after `VAR=value`
//! assignments and wrappers (`env`, `exec`, `command`, `nice`, `nohup`,
//! `time`, `timeout 60`, `stdbuf -oL`), read the way a shell reads plain
//! words and quotes. A word with an expansion (`$X`, `` `…` ``), a path
//! (`./x.sh`) or a shell keyword names no program on PATH: `None`, and no
//! version is asked of anything the user did not name on PATH.

/// Wrappers that run the rest of the line as a command.
const WRAPPERS: [&str; 8] = [
    "env", "exec", "command", "nice", "nohup", "time", "timeout", "stdbuf",
];

/// Shell builtins and keywords: no program of the suite's.
const BUILTINS: [&str; 22] = [
    "cd", "exit", "export", "set", "unset", "true", "false", "test", "[", "echo", "printf", "if",
    "for", "while", "until", "case", "eval", "source", ".", ":", "trap", "wait",
];

/// Options of a wrapper that take the next word as their value.
const VALUED: [(&str, &str); 6] = [
    ("nice", "-n"),
    ("timeout", "-s"),
    ("timeout", "-k"),
    ("env", "-u"),
    ("env", "-C"),
    ("env", "-S"),
];

/// The program `command` runs, as a bare name found on PATH.
pub fn program_of(command: &str) -> Option<String> {
    let words = leading_words(command);
    let mut i = 0;
    let mut wrapper: Option<&str> = None;
    while let Some(word) = words.get(i) {
        let word = word.as_deref()?;
        i += 1;
        if is_assignment(word) {
            continue;
        }
        if let Some(w) = wrapper {
            if word.starts_with('-') {
                i += usize::from(VALUED.contains(&(w, word)));
                continue;
            }
            if w == "timeout" {
                // The duration; the command follows it.
                wrapper = Some("timeout-duration");
                continue;
            }
        }
        if let Some(w) = WRAPPERS.iter().find(|w| **w == word) {
            wrapper = Some(w);
            continue;
        }
        let plain = !word.is_empty()
            && !BUILTINS.contains(&word)
            && !word.contains('/')
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c));
        return plain.then(|| word.to_string());
    }
    None
}

/// `NAME=value`, a shell variable assignment.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The words before the first operator (`;`, `|`, `&`, `<`, `>`, `(`,
/// `)`, newline), quotes removed; `None` for a word with an expansion.
fn leading_words(command: &str) -> Vec<Option<String>> {
    let mut words = Vec::new();
    let mut chars = command.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        match chars.peek() {
            None => return words,
            Some(c) if ";|&<>()\n#".contains(*c) => return words,
            Some(_) => words.push(word(&mut chars)),
        }
    }
}

/// One word from `chars`; `None` when it holds an expansion or an
/// unclosed quote.
fn word(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut out = String::new();
    let mut plain = true;
    while let Some(c) = chars.next_if(|c| !" \t\n;|&<>()".contains(*c)) {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(c) => out.push(c),
                    None => return None,
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('$' | '`') => plain = false,
                    Some('\\') => out.extend(chars.next()),
                    Some(c) => out.push(c),
                    None => return None,
                }
            },
            '\\' => out.extend(chars.next()),
            '$' | '`' | '*' | '?' | '[' | '{' => {
                plain = false;
                out.push(c);
            }
            c => out.push(c),
        }
    }
    plain.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_program_behind_assignments_and_wrappers() {
        for (command, program) in [
            ("cargo test --workspace", Some("cargo")),
            ("RUST_LOG=debug cargo nextest run", Some("cargo")),
            ("env -u X A=1 python3 -m pytest", Some("python3")),
            ("exec timeout -k 5 60 'npm' test", Some("npm")),
            ("nice -n 10 make check", Some("make")),
            ("stdbuf -oL mytool run", Some("mytool")),
            ("sh -c 'exit 3'", Some("sh")),
            ("./scripts/test.sh", None),
            ("$TOOL run", None),
            ("cd sub && cargo test", None),
            ("(cargo test)", None),
            ("X=$(pwd) cargo", None),
            ("", None),
        ] {
            assert_eq!(program_of(command).as_deref(), program, "{command}");
        }
    }
}
