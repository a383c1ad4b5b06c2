//! `lab check --json`: the registry's problems.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::*;

/// `lab check --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckReport {
    /// Always 1.
    pub schema_version: u32,
    /// Absolute path of the workspace.
    pub workspace: String,
    /// Workspace-relative root registry file.
    pub registry: String,
    /// Every file read, workspace-relative.
    pub files: Vec<String>,
    /// `true` when there is no error.
    pub ok: bool,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
    /// Every problem, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// How many definitions of each kind were loaded.
    pub definitions: BTreeMap<String, usize>,
}
