//! Whether a finished suite ran quarantined: its registry `quarantine`
//! in force today and `--strict` not given. The summary's `quarantined`
//! section and the gating counts are `outputs`' and the summary
//! writer's business.

use crate::outputs::{QuarantineRecord, SuiteResult};
use crate::registry::Registry;
use crate::registry::quarantine::today;

/// The quarantine suite `id` runs under, if one is in force (never with
/// `strict`).
pub fn in_force(registry: &Registry, id: &str, strict: bool) -> Option<QuarantineRecord> {
    if strict {
        return None;
    }
    let q = registry.suites.get(id)?.quarantine.as_ref()?;
    let today = today();
    q.active(today).then(|| QuarantineRecord {
        reason: q.reason.clone(),
        issue: q.issue.clone(),
        until: q.until.to_string(),
        days_left: q.days_left(today),
    })
}

/// Marks `result` quarantined when its suite's quarantine is in force.
pub fn mark(result: &mut SuiteResult, registry: &Registry, strict: bool) {
    result.quarantine = in_force(registry, &result.id, strict);
    result.quarantined = result.quarantine.is_some();
}
