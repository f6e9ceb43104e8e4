//! The engagement index (EI, engagemangsindex): which source systems hold information of which
//! type for which resident. Source systems keep it current with `Update`; the aggregating
//! services ask it with `FindContent` which sources to call.

mod service;
mod store;

pub use service::{EiError, EngagementIndex, UpdateOutcome, router};
pub use store::engagement_key;
