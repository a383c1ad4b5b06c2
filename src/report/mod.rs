//! Reports of finished runs, for people and other tools: HTML, JUnit,
//! Markdown, GitHub annotations, and the views of registry definitions that
//! `suite list`/`suite show` print. Reads the public documents
//! (`outputs/`), never the run's working state.

pub mod html;
pub mod json;
pub mod junit_out;
pub mod markdown;
pub mod origin;
pub mod suite_view;
