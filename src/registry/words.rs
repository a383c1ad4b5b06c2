//! A suite's `args` as words: split the way a shell splits words (quotes
//! and backslashes honoured), with no expansion and no operators, so that
//! `{args}` can be inserted into a shell command as quoted words
//! (docs/running.md#placeholders).
//!
//! Quoting words back into a command is the runner's job
//! (`run/suite/shell.rs`).

/// Why `args` cannot be split into words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordsError {
    /// A quote is opened and never closed.
    #[error("a `{0}` quote is not closed")]
    Unclosed(char),
    /// Shell syntax outside quotes: it would be passed literally, which is
    /// surely not what was meant.
    #[error(
        "`{0}` outside quotes: args are words, not shell syntax (quote it to pass it literally, or write it in the command)"
    )]
    Operator(char),
    /// A backslash ends the text.
    #[error("a `\\` ends the text")]
    TrailingBackslash,
}

/// Characters that mean something to a shell beyond quoting.
const OPERATORS: [char; 9] = [';', '|', '&', '<', '>', '(', ')', '$', '`'];

/// Splits `text` into words: blanks separate words; `'…'` is literal;
/// `"…"` is literal except that `\` escapes `"`, `\`, `$` and `` ` ``; a
/// `\` outside quotes makes the next character literal.
pub fn split(text: &str) -> Result<Vec<String>, WordsError> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(WordsError::Unclosed('\'')),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => w.push(e),
                            Some(e) => {
                                w.push('\\');
                                w.push(e);
                            }
                            None => return Err(WordsError::Unclosed('"')),
                        },
                        Some(c) => w.push(c),
                        None => return Err(WordsError::Unclosed('"')),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(e) => word.get_or_insert_with(String::new).push(e),
                None => return Err(WordsError::TrailingBackslash),
            },
            c if OPERATORS.contains(&c) => return Err(WordsError::Operator(c)),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell_without_expansion() {
        assert_eq!(split("-p api").expect("ok"), ["-p", "api"]);
        assert_eq!(split("  ").expect("ok"), Vec::<String>::new());
        assert_eq!(
            split(r#"--name 'a b' "c \"d\" $e" f\ g ''"#).expect("ok"),
            ["--name", "a b", "c \"d\" $e", "f g", ""]
        );
        assert_eq!(split("a;b"), Err(WordsError::Operator(';')));
        assert_eq!(split("$(id)"), Err(WordsError::Operator('$')));
        assert_eq!(split("'a;b'").expect("ok"), ["a;b"]);
        assert_eq!(split("'a"), Err(WordsError::Unclosed('\'')));
        assert_eq!(split("a\\"), Err(WordsError::TrailingBackslash));
    }
}
