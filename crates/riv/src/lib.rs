//! RIV-TA wire format: strict XML reading, SOAP 1.1 envelopes and faults, the shared
//! first-generation types, one module per information contract, the engagement-index messages
//! and the aggregating services' `ProcessingStatus` header.
//!
//! Nothing here does network I/O (the `xsd` module runs `xmllint` for tests and tooling); every
//! part of npo that speaks RIV-TA goes through this crate.

pub mod accesscontrol;
pub mod common;
pub mod contract;
pub mod contracts;
pub mod ei;
pub mod headers;
pub mod ids;
#[cfg(feature = "server")]
pub mod server;
pub mod soap;
pub mod time;
pub mod xml;
pub mod xsd;

pub use common::{ContractError, ItemMeta, PersonId, Query, ResultType};
pub use contract::{Contract, ContractInfo, HasMore, ItemView, Response};
pub use soap::{Envelope, Fault};
pub use xml::{Element, Limits};
