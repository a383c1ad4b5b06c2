//! Values pasted into commands that `/bin/sh -c` runs: each placeholder's
//! value is quoted for the place it lands in (outside quotes, inside `'…'`,
//! inside `"…"`), so a path holding `;`, `$(…)`, quotes or a space is one
//! literal word and never shell syntax (docs/running.md#placeholders).
//!
//! Which placeholders exist and what they stand for is `env.rs`.

/// What one placeholder stands for in a shell command.
pub enum Value<'a> {
    /// One literal word (a path, a port).
    Word(&'a str),
    /// Literal words (a suite's `args`, already split); outside quotes
    /// each becomes one quoted word, inside quotes they are joined by blanks.
    Words(&'a [String]),
}

/// Where a placeholder lands, as a shell reads the text around it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Outside quotes; `closer` ends a command substitution opened inside
    /// double quotes (`)` with its nesting depth, or `` ` ``).
    Plain { closer: Option<char>, depth: u32 },
    /// Inside `"…"`.
    Double,
}

/// `text` with every `{name}` that `lookup` knows replaced by its value,
/// quoted for where it lands; anything else is copied as written.
pub fn fill<'v>(text: &str, lookup: &dyn Fn(&str) -> Option<Value<'v>>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut stack = vec![Frame::Plain {
        closer: None,
        depth: 0,
    }];
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let frame = *stack.last().expect("the outermost frame is never popped");
        if c == '{'
            && let Some(end) = rest.find('}')
            && let Some(value) = lookup(&rest[1..end])
        {
            insert(&mut out, frame, &value);
            rest = &rest[end + 1..];
            continue;
        }
        let len = if matches!(frame, Frame::Plain { .. }) && c == '\'' {
            single_quoted(&mut out, rest, lookup)
        } else {
            step(&mut out, &mut stack, frame, rest)
        };
        rest = &rest[len..];
    }
    out
}

/// Copies the shell token at the start of `rest` (a character, an escape,
/// or a whole `'…'`) and tracks quoting; returns how many bytes it took.
fn step(out: &mut String, stack: &mut Vec<Frame>, frame: Frame, rest: &str) -> usize {
    let mut chars = rest.chars();
    let c = chars.next().expect("rest is not empty");
    let mut len = c.len_utf8();
    match (frame, c) {
        (_, '\\') => {
            // An escaped character is copied with its backslash, unread.
            len += chars.next().map_or(0, char::len_utf8);
        }
        (Frame::Plain { .. }, '"') => stack.push(Frame::Double),
        (Frame::Double, '"') => {
            stack.pop();
        }
        (Frame::Double, '$') if rest[1..].starts_with('(') => {
            len += 1;
            stack.push(Frame::Plain {
                closer: Some(')'),
                depth: 0,
            });
        }
        (Frame::Double, '`') => stack.push(Frame::Plain {
            closer: Some('`'),
            depth: 0,
        }),
        (Frame::Plain { closer, depth }, _) => {
            let top = stack.last_mut().expect("a frame");
            match (closer, c) {
                (Some(')'), '(') => {
                    *top = Frame::Plain {
                        closer,
                        depth: depth + 1,
                    }
                }
                (Some(')'), ')') if depth > 0 => {
                    *top = Frame::Plain {
                        closer,
                        depth: depth - 1,
                    }
                }
                (Some(end), c) if c == end => {
                    stack.pop();
                }
                _ => {}
            }
        }
        (Frame::Double, _) => {}
    }
    out.push_str(&rest[..len]);
    len
}

/// Copies the `'…'` at the start of `rest`, with each placeholder inside
/// filled and escaped for single quotes (`'` as `'\''`); returns the bytes
/// taken.
fn single_quoted<'v>(
    out: &mut String,
    rest: &str,
    lookup: &dyn Fn(&str) -> Option<Value<'v>>,
) -> usize {
    let end = rest[1..].find('\'').map_or(rest.len(), |i| i + 2);
    out.push('\'');
    let mut inner = &rest[1..end];
    while let Some(open) = inner.find('{') {
        let (before, at) = inner.split_at(open);
        out.push_str(before);
        let value = at
            .find('}')
            .and_then(|close| Some((close, lookup(&at[1..close])?)));
        match value {
            Some((close, value)) => {
                let text = match value {
                    Value::Word(w) => w.to_string(),
                    Value::Words(words) => words.join(" "),
                };
                out.push_str(&text.replace('\'', r"'\''"));
                inner = &at[close + 1..];
            }
            None => {
                out.push('{');
                inner = &at[1..];
            }
        }
    }
    out.push_str(inner);
    end
}

/// Appends `value`, quoted for `frame`.
fn insert(out: &mut String, frame: Frame, value: &Value<'_>) {
    match (frame, value) {
        (Frame::Plain { .. }, Value::Word(w)) => out.push_str(&quote(w)),
        (Frame::Plain { .. }, Value::Words(words)) => {
            let quoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
            out.push_str(&quoted.join(" "));
        }
        (Frame::Double, Value::Word(w)) => out.push_str(&escape_double(w)),
        (Frame::Double, Value::Words(words)) => out.push_str(&escape_double(&words.join(" "))),
    }
}

/// `word` as one literal shell word: as is when it holds only characters
/// no shell treats specially, else in single quotes (`'` as `'\''`).
fn quote(word: &str) -> String {
    crate::outputs::shell_word(word)
}

/// `text` escaped for the inside of double quotes.
fn escape_double(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(text: &str) -> String {
        let args = vec!["-p".to_string(), "a b".to_string()];
        fill(text, &|name| match name {
            "w" => Some(Value::Word("/tmp/ws;touch $(id) 'q' x")),
            "s" => Some(Value::Word("/safe/path-1.2")),
            "args" => Some(Value::Words(&args)),
            "none" => Some(Value::Words(&[])),
            _ => None,
        })
    }

    /// What `sh` makes of `script`'s arguments, one per line.
    fn sh_words(script: &str) -> String {
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("for a in {script}; do printf '%s\\n' \"$a\"; done"))
            .output()
            .expect("sh");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn values_are_quoted_for_where_they_land() {
        assert_eq!(filled("ls {s}"), "ls /safe/path-1.2");
        assert_eq!(filled("ls {w}"), r"ls '/tmp/ws;touch $(id) '\''q'\'' x'");
        assert_eq!(filled("cargo test {args}"), "cargo test -p 'a b'");
        assert_eq!(filled("cargo test {none}"), "cargo test ");
        assert_eq!(filled("echo ${HOME} {a,b} {x}"), "echo ${HOME} {a,b} {x}");
        // What the shell reads back is the value, whatever quotes surround it.
        let w = "/tmp/ws;touch $(id) 'q' x\n";
        assert_eq!(sh_words(&filled("{w}")), w);
        assert_eq!(sh_words(&filled("\"{w}\"")), w);
        assert_eq!(sh_words(&filled("\"$(echo \"{w}\")\"")), w);
        assert_eq!(sh_words(&filled("{args}")), "-p\na b\n");
    }

    #[test]
    fn inside_single_quotes_only_quotes_are_escaped() {
        assert_eq!(filled("echo '{s}/x'"), "echo '/safe/path-1.2/x'");
        assert_eq!(filled("echo 'it''s' {s}"), "echo 'it''s' /safe/path-1.2");
        assert_eq!(filled("echo '{x}'"), "echo '{x}'");
        assert_eq!(sh_words(&filled("'{w}'")), "/tmp/ws;touch $(id) 'q' x\n");
        assert_eq!(sh_words(&filled("'{args}'")), "-p a b\n");
    }
}
