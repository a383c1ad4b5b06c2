//! The public JSON documents lab prints and writes, and their schemas.

pub mod json;
pub mod manifest;
pub mod schema;
pub mod suite_view;
pub mod summary;
