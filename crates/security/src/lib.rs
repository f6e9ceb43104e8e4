//! Security services: the facts and rules that decide what an actor may see of a patient's
//! records, and the log of every look. The PDL gate (crate `npo-gate`) is the one place that
//! applies them for every entry point.

pub mod access_log;
pub mod blocks;
pub mod consent;
pub mod directory;
pub mod log_querying;
pub mod model;
pub mod relation;

pub use model::{
    Actor, Assignment, MAX_TEXT_CHARS, PURPOSE_CARE, RecordFacts, Right, Scope, is_readable_text,
};
