//! The public JSON documents lab prints and writes, and their schemas.

pub mod html;
pub mod json;
pub mod junit_out;
pub mod manifest;
pub mod markdown;

pub mod suite_view;
pub mod summary;
