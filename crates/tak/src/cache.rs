//! The in-memory catalogue the router reads on every call: lock-free reads of an immutable
//! snapshot, swapped whole on reload. A reload that fails keeps the last good snapshot, so the
//! router is never left without a catalogue once it has had one.

use crate::model::{Catalogue, Routing, WILDCARD};
use crate::store::{TakError, TakStore};
use arc_swap::ArcSwapOption;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why a call cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No valid routing for the address (nor its HSA ancestors, nor `*`).
    NoRouting,
    /// More than one valid routing at the most specific matching address.
    Ambiguous,
}

/// How deep the HSA-tree walk goes before it gives up (guards against cycles).
const MAX_TREE_DEPTH: usize = 32;

type Key = (String, String);

/// An immutable, indexed catalogue.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: i64,
    routings: HashMap<Key, Vec<Routing>>,
    /// (consumer, contract) → [(logical address, from, to)].
    authorizations: HashMap<Key, Vec<(String, String, String)>>,
    parents: HashMap<String, String>,
    contracts: HashMap<String, String>,
}

impl Snapshot {
    pub fn build(version: i64, c: &Catalogue) -> Snapshot {
        let mut routings: HashMap<Key, Vec<Routing>> = HashMap::new();
        for r in &c.routings {
            routings
                .entry((r.logical_address.clone(), r.contract_namespace.clone()))
                .or_default()
                .push(r.clone());
        }
        let mut authorizations: HashMap<Key, Vec<(String, String, String)>> = HashMap::new();
        for a in &c.authorizations {
            authorizations
                .entry((a.consumer_hsa_id.clone(), a.contract_namespace.clone()))
                .or_default()
                .push((
                    a.logical_address.clone(),
                    a.from_date.clone(),
                    a.to_date.clone(),
                ));
        }
        Snapshot {
            version,
            routings,
            authorizations,
            parents: c
                .hsa_tree
                .iter()
                .map(|n| (n.hsa_id.clone(), n.parent_hsa_id.clone()))
                .collect(),
            contracts: c
                .contracts
                .iter()
                .map(|x| (x.namespace.clone(), x.name.clone()))
                .collect(),
        }
    }

    /// The address, its ancestors in the HSA tree, then `*`.
    fn candidates<'a>(&'a self, address: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let mut next = Some(address);
        let mut depth = 0;
        let chain = std::iter::from_fn(move || {
            let current = next?;
            depth += 1;
            next = if depth < MAX_TREE_DEPTH {
                self.parents.get(current).map(String::as_str)
            } else {
                None
            };
            Some(current)
        });
        chain.chain(std::iter::once(WILDCARD))
    }

    /// The routing for a call of `contract` to `address` on `today` (`YYYY-MM-DD`): exact
    /// address first, then up the HSA tree, then `*`; only entries valid today count.
    pub fn route(
        &self,
        address: &str,
        contract: &str,
        today: &str,
    ) -> Result<&Routing, RouteError> {
        let mut key = (String::new(), contract.to_owned());
        for candidate in self.candidates(address) {
            key.0.clear();
            key.0.push_str(candidate);
            let Some(entries) = self.routings.get(&key) else {
                continue;
            };
            let mut valid = entries
                .iter()
                .filter(|r| r.from_date.as_str() <= today && today <= r.to_date.as_str());
            match (valid.next(), valid.next()) {
                (Some(r), None) => return Ok(r),
                (Some(_), Some(_)) => return Err(RouteError::Ambiguous),
                _ => continue,
            }
        }
        Err(RouteError::NoRouting)
    }

    /// Whether `consumer` may call `contract` at `address` on `today`: an authorization for
    /// the address, one of its HSA ancestors, or `*`, valid today.
    pub fn is_authorized(
        &self,
        consumer: &str,
        address: &str,
        contract: &str,
        today: &str,
    ) -> bool {
        let Some(grants) = self
            .authorizations
            .get(&(consumer.to_owned(), contract.to_owned()))
        else {
            return false;
        };
        self.candidates(address).any(|candidate| {
            grants.iter().any(|(a, from, to)| {
                a == candidate && from.as_str() <= today && today <= to.as_str()
            })
        })
    }

    /// The contract's name, if the catalogue knows the namespace.
    pub fn contract_name(&self, namespace: &str) -> Option<&str> {
        self.contracts.get(namespace).map(String::as_str)
    }
}

/// Today's date in Swedish local time, `YYYY-MM-DD`, as catalogue validity dates are written.
pub fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .format("%Y-%m-%d")
        .to_string()
}

/// The shared catalogue cache.
#[derive(Clone, Default)]
pub struct TakCache {
    current: Arc<ArcSwapOption<Snapshot>>,
}

impl TakCache {
    pub fn new() -> Self {
        TakCache::default()
    }

    /// The current snapshot; `None` until a catalogue has been loaded (VP008).
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    /// Installs a catalogue directly (tests, embedded use).
    pub fn install(&self, version: i64, catalogue: &Catalogue) {
        self.current
            .store(Some(Arc::new(Snapshot::build(version, catalogue))));
    }

    /// Loads the catalogue from the store. On failure the last good snapshot stays in place.
    pub async fn reload(&self, store: &TakStore) -> Result<i64, TakError> {
        match store.load().await {
            Ok((version, catalogue)) => {
                self.install(version, &catalogue);
                tracing::info!(version, "service catalogue loaded");
                Ok(version)
            }
            Err(e) => {
                tracing::warn!(error = %e, "service catalogue reload failed; keeping the last good one");
                Err(e)
            }
        }
    }

    /// Reloads whenever the stored version changes, checking every `every`, until `stop`.
    pub async fn watch(&self, store: TakStore, every: Duration, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            let loaded = self.snapshot().map(|s| s.version);
            match store.version().await {
                Ok(v) if Some(v) != loaded => {
                    let _ = self.reload(&store).await;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the service catalogue version"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    const NS: &str = "urn:riv:test:GetThingResponder:1";

    fn routing(id: &str, address: &str, url: &str, from: &str, to: &str) -> Routing {
        Routing {
            id: id.into(),
            logical_address: address.into(),
            contract_namespace: NS.into(),
            component_hsa_id: "SE2321000016-P1".into(),
            url: url.into(),
            from_date: from.into(),
            to_date: to.into(),
        }
    }

    fn snapshot(routings: Vec<Routing>, tree: &[(&str, &str)]) -> Snapshot {
        Snapshot::build(
            1,
            &Catalogue {
                routings,
                hsa_tree: tree
                    .iter()
                    .map(|(a, p)| HsaNode {
                        hsa_id: (*a).into(),
                        parent_hsa_id: (*p).into(),
                    })
                    .collect(),
                ..Catalogue::default()
            },
        )
    }

    #[test]
    fn exact_then_tree_then_wildcard() {
        let s = snapshot(
            vec![
                routing("1", "UNIT", "https://unit", "2000-01-01", "2099-12-31"),
                routing("2", "CG", "https://cg", "2000-01-01", "2099-12-31"),
                routing("3", "*", "https://any", "2000-01-01", "2099-12-31"),
            ],
            &[("UNIT", "CG"), ("SUB", "UNIT"), ("OTHER", "ELSEWHERE")],
        );
        let d = "2026-01-01";
        assert_eq!(s.route("UNIT", NS, d).unwrap().url, "https://unit");
        assert_eq!(s.route("SUB", NS, d).unwrap().url, "https://unit");
        assert_eq!(s.route("CG", NS, d).unwrap().url, "https://cg");
        assert_eq!(s.route("OTHER", NS, d).unwrap().url, "https://any");
        assert_eq!(
            s.route("UNIT", "urn:riv:other:1", d),
            Err(RouteError::NoRouting)
        );
    }

    #[test]
    fn validity_dates_and_ambiguity() {
        let s = snapshot(
            vec![
                routing("1", "A", "https://old", "2000-01-01", "2020-12-31"),
                routing("2", "A", "https://new", "2021-01-01", "2099-12-31"),
                routing("3", "B", "https://b1", "2000-01-01", "2099-12-31"),
                routing("4", "B", "https://b2", "2000-01-01", "2099-12-31"),
            ],
            &[],
        );
        assert_eq!(s.route("A", NS, "2019-05-05").unwrap().url, "https://old");
        assert_eq!(s.route("A", NS, "2021-01-01").unwrap().url, "https://new");
        assert_eq!(s.route("A", NS, "2100-01-01"), Err(RouteError::NoRouting));
        assert_eq!(s.route("B", NS, "2026-01-01"), Err(RouteError::Ambiguous));
    }

    #[test]
    fn tree_cycles_terminate() {
        let s = snapshot(vec![], &[("A", "B"), ("B", "A")]);
        assert_eq!(s.route("A", NS, "2026-01-01"), Err(RouteError::NoRouting));
        assert!(!s.is_authorized("C", "A", NS, "2026-01-01"));
    }

    #[test]
    fn authorization_fallbacks_and_dates() {
        let auth = |id: &str, address: &str, from: &str, to: &str| Authorization {
            id: id.into(),
            consumer_hsa_id: "SE2321000016-C1".into(),
            logical_address: address.into(),
            contract_namespace: NS.into(),
            from_date: from.into(),
            to_date: to.into(),
        };
        let s = Snapshot::build(
            1,
            &Catalogue {
                authorizations: vec![
                    auth("1", "CG", "2000-01-01", "2099-12-31"),
                    auth("2", "X", "2000-01-01", "2020-01-01"),
                ],
                hsa_tree: vec![HsaNode {
                    hsa_id: "UNIT".into(),
                    parent_hsa_id: "CG".into(),
                }],
                ..Catalogue::default()
            },
        );
        let d = "2026-01-01";
        assert!(s.is_authorized("SE2321000016-C1", "UNIT", NS, d));
        assert!(s.is_authorized("SE2321000016-C1", "CG", NS, d));
        assert!(!s.is_authorized("SE2321000016-C1", "X", NS, d));
        assert!(s.is_authorized("SE2321000016-C1", "X", NS, "2019-01-01"));
        assert!(!s.is_authorized("SE2321000016-C2", "UNIT", NS, d));
        assert!(!s.is_authorized("SE2321000016-C1", "UNIT", "urn:riv:other:1", d));
    }
}
