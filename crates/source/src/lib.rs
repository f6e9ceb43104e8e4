//! The reference source system (källsystem): a care giver's record system that makes its
//! records visible through the RIV-TA contracts, following each contract's request rules, and
//! keeps the engagement index current through the service platform.
//!
//! Records are written through [`SourceSystem::put`] / [`SourceSystem::delete`] (or the admin
//! API); every change queues an engagement-index update in the same transaction (an outbox),
//! which [`SourceSystem::sync_engagements`] delivers.

mod admin;
pub mod engagement;
mod outbox;
mod records;
pub mod seed;
mod service;

pub use outbox::SyncError;
pub use records::OwnedRow;
pub use service::{ContractService, Served};

use axum::Router;
use axum::routing::{post, put};
use npo_router::VpClient;
use npo_store::Db;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Every contract the reference source system serves. Adding a contract means adding its
/// module in `npo-riv` and one line here.
pub fn contracts() -> Vec<Box<dyn ContractService>> {
    macro_rules! served {
        ($($c:ty),* $(,)?) => {
            vec![$(Box::new(Served::<$c>::new()) as Box<dyn ContractService>),*]
        };
    }
    npo_riv::for_each_contract!(served)
}

/// A care unit of the source system's care giver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareUnit {
    pub hsa_id: String,
    pub name: String,
}

/// Settings of one source system.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The system's HSA-id: its logical address and `sourceSystemHSAId`.
    pub hsa_id: String,
    pub name: String,
    pub care_giver_hsa_id: String,
    pub care_giver_name: String,
    /// The care giver's organisation number (the engagement index's `dataController`).
    pub data_controller: String,
    #[serde(default)]
    pub care_units: Vec<CareUnit>,
    /// The engagement index's logical address.
    #[serde(default = "default_ei")]
    pub ei_logical_address: String,
    /// Systems allowed to call the contracts (the router); empty allows any certificate the
    /// listener's CA issued.
    #[serde(default)]
    pub allowed_callers: Vec<String>,
    /// Systems allowed to change records through the admin API.
    #[serde(default)]
    pub admin_hsa_ids: Vec<String>,
    /// Artificial delay before answering, for demonstrations and tests of slow sources.
    #[serde(default)]
    pub answer_delay_ms: u64,
}

fn default_ei() -> String {
    "SE5565594230-EI".into()
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("store unavailable: {0}")]
    Store(#[from] npo_store::sqlx::Error),
    #[error("record is invalid: {0}")]
    Invalid(String),
    #[error("no contract named {0}")]
    UnknownContract(String),
}

/// One running source system.
pub struct SourceSystem {
    pub cfg: SourceConfig,
    pub(crate) db: Db,
    pub(crate) vp: Option<VpClient>,
    pub(crate) services: HashMap<&'static str, Box<dyn ContractService>>,
    pub(crate) dirty: Notify,
}

impl SourceSystem {
    /// `vp` is the router the engagement-index updates go through (`None`: no index).
    pub fn new(cfg: SourceConfig, db: Db, vp: Option<VpClient>) -> Arc<SourceSystem> {
        Arc::new(SourceSystem {
            cfg,
            db,
            vp,
            services: contracts()
                .into_iter()
                .map(|s| (s.namespace(), s))
                .collect(),
            dirty: Notify::new(),
        })
    }

    /// The contract called `Name_Version` (e.g. `GetCareDocumentation_2.1`), or `Name` when
    /// npo implements one version only.
    pub(crate) fn service_named(&self, name: &str) -> Option<&dyn ContractService> {
        let mut versions = self
            .services
            .values()
            .filter(|s| s.name() == name || format!("{}_{}", s.name(), s.version()) == name);
        let first = versions.next()?;
        versions.next().is_none().then_some(&**first)
    }

    /// How many records this source system holds.
    pub async fn record_count(&self) -> Result<i64, SourceError> {
        let (n,): (i64,) = npo_store::sqlx::query_as(
            "SELECT COUNT(*) FROM source_records WHERE source_hsa_id = $1",
        )
        .bind(&self.cfg.hsa_id)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n)
    }

    /// Delivers queued engagement-index updates now and then whenever records change, retrying
    /// failed deliveries every `retry`, until `stop`.
    pub async fn run_engagement_sync(self: Arc<Self>, retry: Duration, stop: CancellationToken) {
        loop {
            let pending = match self.sync_engagements().await {
                Ok(left) => left,
                Err(e) => {
                    tracing::warn!(source = %self.cfg.hsa_id, error = %e, "engagement index update failed; will retry");
                    1
                }
            };
            let wait = if pending > 0 {
                retry
            } else {
                Duration::from_secs(3600)
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.dirty.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// The source system's HTTP endpoints: the contracts (`POST /`) and the admin API.
pub fn router(source: Arc<SourceSystem>) -> Router {
    Router::new()
        .route("/", post(service::handle))
        .route(
            "/admin/records/{contract}/{document_id}",
            put(admin::put_record).delete(admin::delete_record),
        )
        .with_state(source)
}
