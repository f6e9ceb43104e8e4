//! The service addressing catalogue (TAK, tjänsteadresseringskatalog): which producer serves a
//! contract for a logical address (routing), and which consumer may call it (authorization).
//!
//! [`model`] is the content, [`store`] keeps it in the database, [`cache`] is what the router
//! reads on every call.

pub mod cache;
pub mod model;
pub mod store;

pub use cache::{RouteError, Snapshot, TakCache, today};
pub use model::{
    Authorization, Catalogue, HsaNode, InvalidCatalogue, LogicalAddress, Routing, ServiceComponent,
    ServiceContract, WILDCARD,
};
pub use store::{TakError, TakStore};
