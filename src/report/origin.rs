//! Where a run started from, as one phrase every report shows the same
//! way: `commit 1a2b3c4d5e (dirty), base main, 3 changed paths`.

use crate::history::index::Origin;
use crate::outputs::Summary;

/// The origin a summary records (the same the index keeps).
pub fn of(summary: &Summary) -> Origin {
    Origin::of(summary)
}

/// `commit 1a2b3c4d5e (dirty), base main, 3 changed paths`; `None` when
/// nothing was recorded (a run older than these fields, no VCS, no
/// `--changed`).
pub fn phrase(o: &Origin) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(c) = &o.commit {
        let short: String = c.chars().take(10).collect();
        let dirty = match o.dirty {
            Some(true) => " (dirty)",
            Some(false) => " (clean)",
            None => "",
        };
        parts.push(format!("commit {short}{dirty}"));
    }
    if let Some(b) = &o.base {
        parts.push(format!("base {b}"));
    }
    if let Some(n) = o.changed_paths {
        parts.push(format!("{n} changed path{}", if n == 1 { "" } else { "s" }));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_commit_dirtiness_base_and_changed_paths() {
        let o = Origin {
            commit: Some("0123456789abcdef".into()),
            dirty: Some(true),
            base: Some("main".into()),
            changed_paths: Some(1),
            registry_digest: None,
        };
        assert_eq!(
            phrase(&o).as_deref(),
            Some("commit 0123456789 (dirty), base main, 1 changed path")
        );
        assert_eq!(phrase(&Origin::default()), None);
    }
}
