//! Aggregating services (AGP): one answer from every source system that holds information of a
//! type for a patient. For each call: ask the engagement index which sources hold something,
//! drop the sources the original consumer may not call, call the rest in parallel through the
//! router, merge, and report per source in the `ProcessingStatus` header. A slow source never
//! holds the answer past the deadline.
//!
//! The aggregating services are reached through the router, like any producer; they call the
//! router back with their own certificate and pass on the original consumer.

mod aggregate;

pub use aggregate::{AggregatingService, Aggregator};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use npo_pki::PeerIdentity;
use npo_riv::server::{Soap, SoapFault};
use npo_riv::{Fault, Limits, soap};
use npo_router::{CORRELATION_ID, ORIGINAL_CONSUMER, SENDER_ID, VpClient};
use npo_tak::TakCache;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Every aggregated contract: all of `npo_riv::for_each_contract!`.
pub fn services() -> Vec<Box<dyn AggregatingService>> {
    macro_rules! services {
        ($($c:ty),* $(,)?) => {
            vec![$(Box::new(Aggregator::<$c>::new()) as Box<dyn AggregatingService>),*]
        };
    }
    npo_riv::for_each_contract!(services)
}

/// Settings of the aggregating services.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgpConfig {
    /// The engagement index's logical address.
    pub ei_logical_address: String,
    /// Deadline for the whole aggregated answer, engagement-index lookup included.
    pub timeout_ms: u64,
    /// Systems allowed to call the aggregating services: the router(s). They are trusted to
    /// report the original consumer, so nobody else may call. Empty allows any certificate
    /// the listener's CA issued (tests only).
    pub allowed_callers: Vec<String>,
}

impl Default for AgpConfig {
    fn default() -> Self {
        AgpConfig {
            ei_logical_address: "SE5565594230-EI".into(),
            timeout_ms: 20_000,
            allowed_callers: Vec::new(),
        }
    }
}

/// The aggregating services' state.
pub struct Agp {
    pub(crate) cfg: AgpConfig,
    pub(crate) vp: VpClient,
    pub(crate) tak: TakCache,
    services: HashMap<&'static str, Box<dyn AggregatingService>>,
}

impl Agp {
    pub fn new(cfg: AgpConfig, vp: VpClient, tak: TakCache) -> Arc<Agp> {
        Arc::new(Agp {
            cfg,
            vp,
            tak,
            services: services().into_iter().map(|s| (s.namespace(), s)).collect(),
        })
    }

    pub(crate) fn deadline(&self) -> Duration {
        Duration::from_millis(self.cfg.timeout_ms)
    }
}

/// What the router told us about the call.
pub struct CallContext {
    pub original_consumer: String,
    pub correlation_id: String,
}

/// The aggregating services' SOAP endpoint (`POST /`).
pub fn router(agp: Arc<Agp>) -> Router {
    Router::new().fallback(handle).with_state(agp)
}

async fn handle(
    State(agp): State<Arc<Agp>>,
    Extension(peer): Extension<PeerIdentity>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !peer.is_one_of(&agp.cfg.allowed_callers) {
        return SoapFault(Fault::client(
            "The aggregating services are reached through the service platform only",
        ))
        .into_response();
    }
    let envelope = match soap::parse_envelope(&body, &Limits::default()) {
        Ok(e) => e,
        Err(e) => {
            return SoapFault(Fault::client(format!("Malformed request: {e}"))).into_response();
        }
    };
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    // The router always sets these; a call without them did not come through a router.
    let Some(original_consumer) = header(ORIGINAL_CONSUMER).or_else(|| header(SENDER_ID)) else {
        return SoapFault(Fault::client(
            "The aggregating services are reached through the router only",
        ))
        .into_response();
    };
    let ctx = CallContext {
        original_consumer,
        correlation_id: header(CORRELATION_ID).unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    let Some(service) = agp.services.get(envelope.contract_namespace()) else {
        return SoapFault(Fault::client("No aggregating service for this contract"))
            .into_response();
    };
    match service.aggregate(&agp, &envelope, &ctx).await {
        Ok(xml) => Soap(xml).into_response(),
        Err(f) => SoapFault(f).into_response(),
    }
}
