//! The catalogue's content, as stored, imported and exported.

use npo_riv::ids::is_hsa_id;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The wildcard logical address: matches every receiver.
pub const WILDCARD: &str = "*";

/// A service contract, identified by its responder namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceContract {
    pub namespace: String,
    pub name: String,
    pub major: i64,
    pub minor: i64,
}

/// A system that produces or consumes services (tjänstekomponent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceComponent {
    pub hsa_id: String,
    pub description: String,
}

/// A receiver address (logisk adress): an HSA-id, an organisation number or `*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogicalAddress {
    pub hsa_id: String,
    pub description: String,
}

/// Routing (vägval): calls of `contract_namespace` to `logical_address` go to `url`, served by
/// `component_hsa_id`, from `from_date` to `to_date` inclusive (`YYYY-MM-DD`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    pub id: String,
    pub logical_address: String,
    pub contract_namespace: String,
    pub component_hsa_id: String,
    pub url: String,
    pub from_date: String,
    pub to_date: String,
}

/// Call authorization (anropsbehörighet): `consumer_hsa_id` may call `contract_namespace` at
/// `logical_address`, from `from_date` to `to_date` inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    pub id: String,
    pub consumer_hsa_id: String,
    pub logical_address: String,
    pub contract_namespace: String,
    pub from_date: String,
    pub to_date: String,
}

/// One edge of the HSA tree: `hsa_id` lies under `parent_hsa_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HsaNode {
    pub hsa_id: String,
    pub parent_hsa_id: String,
}

/// The whole catalogue: what `npo tak export` writes and `npo tak import` reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(default)]
    pub contracts: Vec<ServiceContract>,
    #[serde(default)]
    pub components: Vec<ServiceComponent>,
    #[serde(default)]
    pub logical_addresses: Vec<LogicalAddress>,
    #[serde(default)]
    pub routings: Vec<Routing>,
    #[serde(default)]
    pub authorizations: Vec<Authorization>,
    #[serde(default)]
    pub hsa_tree: Vec<HsaNode>,
}

/// Why catalogue content was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidCatalogue {
    #[error("{what} '{value}' is not a valid HSA-id")]
    HsaId { what: &'static str, value: String },
    #[error("logical address '{0}' is not valid (1–64 characters, no spaces)")]
    LogicalAddress(String),
    #[error("contract namespace '{0}' is not a RIV-TA namespace (urn:riv:…)")]
    Namespace(String),
    #[error("{what} '{value}' is not a date (YYYY-MM-DD)")]
    Date { what: &'static str, value: String },
    #[error("{kind} {id}: from_date is after to_date")]
    Period { kind: &'static str, id: String },
    #[error("routing {0}: url must be an https:// URL")]
    Url(String),
    #[error("{kind} {id} refers to unknown {what} '{value}'")]
    Reference {
        kind: &'static str,
        id: String,
        what: &'static str,
        value: String,
    },
    #[error("duplicate {what} '{value}'")]
    Duplicate { what: &'static str, value: String },
}

/// `YYYY-MM-DD` with a real calendar date.
pub fn is_iso_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10
}

pub fn is_logical_address(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && !s.chars().any(char::is_whitespace)
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") && s.len() > 8 && !s.chars().any(char::is_whitespace)
}

impl Catalogue {
    /// Checks identifiers, dates, URLs, uniqueness and references.
    pub fn validate(&self) -> Result<(), InvalidCatalogue> {
        let mut contracts = HashSet::new();
        for c in &self.contracts {
            if !c.namespace.starts_with("urn:riv:") || c.namespace.contains(char::is_whitespace) {
                return Err(InvalidCatalogue::Namespace(c.namespace.clone()));
            }
            if !contracts.insert(c.namespace.as_str()) {
                return Err(dup("contract", &c.namespace));
            }
        }
        let mut components = HashSet::new();
        for c in &self.components {
            if !is_hsa_id(&c.hsa_id) {
                return Err(InvalidCatalogue::HsaId {
                    what: "component",
                    value: c.hsa_id.clone(),
                });
            }
            if !components.insert(c.hsa_id.as_str()) {
                return Err(dup("component", &c.hsa_id));
            }
        }
        let mut addresses = HashSet::new();
        for a in &self.logical_addresses {
            if !is_logical_address(&a.hsa_id) {
                return Err(InvalidCatalogue::LogicalAddress(a.hsa_id.clone()));
            }
            if !addresses.insert(a.hsa_id.as_str()) {
                return Err(dup("logical address", &a.hsa_id));
            }
        }
        let mut ids = HashSet::new();
        for r in &self.routings {
            if !ids.insert(r.id.as_str()) {
                return Err(dup("id", &r.id));
            }
            check_period("routing", &r.id, &r.from_date, &r.to_date)?;
            if !is_url(&r.url) {
                return Err(InvalidCatalogue::Url(r.id.clone()));
            }
            reference(
                "routing",
                &r.id,
                "logical address",
                &r.logical_address,
                &addresses,
            )?;
            reference(
                "routing",
                &r.id,
                "contract",
                &r.contract_namespace,
                &contracts,
            )?;
            reference(
                "routing",
                &r.id,
                "component",
                &r.component_hsa_id,
                &components,
            )?;
        }
        for a in &self.authorizations {
            if !ids.insert(a.id.as_str()) {
                return Err(dup("id", &a.id));
            }
            check_period("authorization", &a.id, &a.from_date, &a.to_date)?;
            reference(
                "authorization",
                &a.id,
                "component",
                &a.consumer_hsa_id,
                &components,
            )?;
            reference(
                "authorization",
                &a.id,
                "logical address",
                &a.logical_address,
                &addresses,
            )?;
            reference(
                "authorization",
                &a.id,
                "contract",
                &a.contract_namespace,
                &contracts,
            )?;
        }
        let mut nodes = HashSet::new();
        for n in &self.hsa_tree {
            for v in [&n.hsa_id, &n.parent_hsa_id] {
                if !is_logical_address(v) || v == WILDCARD {
                    return Err(InvalidCatalogue::LogicalAddress(v.clone()));
                }
            }
            if !nodes.insert(n.hsa_id.as_str()) {
                return Err(dup("HSA tree node", &n.hsa_id));
            }
        }
        Ok(())
    }
}

fn dup(what: &'static str, value: &str) -> InvalidCatalogue {
    InvalidCatalogue::Duplicate {
        what,
        value: value.into(),
    }
}

fn check_period(
    kind: &'static str,
    id: &str,
    from: &str,
    to: &str,
) -> Result<(), InvalidCatalogue> {
    for (what, v) in [("from_date", from), ("to_date", to)] {
        if !is_iso_date(v) {
            return Err(InvalidCatalogue::Date {
                what,
                value: v.into(),
            });
        }
    }
    if from > to {
        return Err(InvalidCatalogue::Period {
            kind,
            id: id.into(),
        });
    }
    Ok(())
}

fn reference(
    kind: &'static str,
    id: &str,
    what: &'static str,
    value: &str,
    known: &HashSet<&str>,
) -> Result<(), InvalidCatalogue> {
    if known.contains(value) {
        Ok(())
    } else {
        Err(InvalidCatalogue::Reference {
            kind,
            id: id.into(),
            what,
            value: value.into(),
        })
    }
}

impl Catalogue {
    /// Adds `other`'s entries, replacing entries with the same key (contract namespace,
    /// component / address / node HSA-id, routing / authorization id).
    pub fn merge(&mut self, other: Catalogue) {
        fn upsert<T>(list: &mut Vec<T>, items: Vec<T>, same: impl Fn(&T, &T) -> bool) {
            for item in items {
                match list.iter_mut().find(|x| same(x, &item)) {
                    Some(slot) => *slot = item,
                    None => list.push(item),
                }
            }
        }
        upsert(&mut self.contracts, other.contracts, |a, b| {
            a.namespace == b.namespace
        });
        upsert(&mut self.components, other.components, |a, b| {
            a.hsa_id == b.hsa_id
        });
        upsert(
            &mut self.logical_addresses,
            other.logical_addresses,
            |a, b| a.hsa_id == b.hsa_id,
        );
        upsert(&mut self.routings, other.routings, |a, b| a.id == b.id);
        upsert(&mut self.authorizations, other.authorizations, |a, b| {
            a.id == b.id
        });
        upsert(&mut self.hsa_tree, other.hsa_tree, |a, b| {
            a.hsa_id == b.hsa_id
        });
    }
}
