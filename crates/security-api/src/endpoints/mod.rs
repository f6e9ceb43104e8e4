//! The endpoints, one module per service.

pub(crate) mod access_log;
pub(crate) mod blocks;
pub(crate) mod consents;
pub(crate) mod directory;
pub(crate) mod relations;
