//! npo: the national patient overview. This crate ties the parts together: configuration,
//! running each part on its own, the in-process federation behind `npo demo`, and the CLI.

pub mod config;
pub mod demo;
pub mod federation;
pub mod node;
pub mod platform;
pub mod seeding;
pub mod serve;
