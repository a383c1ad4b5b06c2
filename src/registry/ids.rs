//! What an id segment may hold (docs/registry.md#canonical-ids): ids name
//! directories and files and are pasted into shell commands, so only
//! characters nothing gives a meaning to. Flattening tables into ids is
//! `load.rs`.

/// The longest id segment, in bytes: ids name directories and files.
pub const MAX_SEGMENT: usize = 100;

/// The longest canonical id, in bytes: a suite's directory is named after
/// it, and a file name has at most 255.
pub const MAX_ID: usize = 200;

/// What an id segment may hold besides ASCII letters and digits: ids are
/// pasted into paths, file names and shell commands, so nothing a shell or
/// a terminal gives a meaning to.
pub const ID_PUNCTUATION: [char; 4] = ['-', '_', '.', ':'];

/// What ids may hold, for diagnostics.
pub const ID_EXPECTED: &str =
    "a non-empty segment of at most 100 bytes of ASCII letters, digits, `-`, `_`, `.` and `:`";

/// Checks one id segment (docs/registry.md#canonical-ids): non-empty, at
/// most [`MAX_SEGMENT`] bytes, only ASCII letters, digits and
/// [`ID_PUNCTUATION`].
pub fn segment_problem(segment: &str) -> Option<String> {
    let bad = segment
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !ID_PUNCTUATION.contains(c));
    let problem = if segment.is_empty() {
        "an id segment is empty".to_string()
    } else if segment.chars().any(char::is_control) {
        "an id segment contains a control character".to_string()
    } else if segment.chars().any(char::is_whitespace) {
        "an id segment contains whitespace".to_string()
    } else if segment.contains('/') {
        "an id segment contains `/`".to_string()
    } else if let Some(c) = bad {
        format!(
            "an id segment contains `{c}`; ids hold ASCII letters, digits, `-`, `_`, `.` and `:`"
        )
    } else if segment.len() > MAX_SEGMENT {
        "an id segment is longer than 100 bytes".to_string()
    } else {
        return None;
    };
    Some(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert!(segment_problem("api").is_none());
        assert!(segment_problem("from:v0.1.0").is_none());
        assert!(segment_problem("").is_some());
        assert!(segment_problem("a b").is_some());
        assert!(segment_problem("a/b").is_some());
        assert!(segment_problem("x;touch${IFS}PWNED;y").is_some());
        assert!(segment_problem("a$b").is_some());
        assert!(segment_problem("é").is_some());
        assert!(segment_problem("v1.2_a-b").is_none());
    }
}
