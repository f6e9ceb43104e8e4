//! Synthetic data for npo: patients with valid personnummer and samordningsnummer and life-like
//! histories spread over several care givers, for every information contract. Deterministic: the
//! same seed, population size and reference day always give the same records, byte for byte.
//!
//! Code lists (ICD-10-SE, ATC, NPU, KVÅ, vaccines, names) are curated subsets kept as
//! tab-separated files in `data/`.

pub mod check;
pub mod codes;
pub mod ctx;
pub mod generate;
pub mod people;
pub mod population;
pub mod rng;

pub use ctx::{Ctx, Place, Site, SiteKind, Unit};
pub use generate::{Env, Sink};
pub use people::Patient;
pub use population::Population;
