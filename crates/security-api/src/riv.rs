//! The security services' RIV-TA producer: GetAccessLogsForPatient 1.0, answered from the access
//! log. It is reached through the service platform only (the router is the one allowed caller),
//! like every producer; the platform authorises the consumer systems (e.g. the citizen's
//! e-service) per logical address. Each extract is recorded as a read of the access log, with
//! the consumer system the router names (`x-rivta-original-serviceconsumer-hsaid`, trusted here
//! because only the router may call).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use npo_pki::PeerIdentity;
use npo_riv::contracts::access_logs_for_patient_v1::{
    DEFAULT_MAX_ENTRIES, GetAccessLogsForPatientRequest, NAMESPACE,
};
use npo_riv::server::{Soap, SoapFault};
use npo_riv::{Fault, Limits, soap};
use npo_security::access_log::AccessLog;
use std::sync::Arc;

/// Settings of the log-querying producer.
pub struct LogQuerying {
    pub log: AccessLog,
    /// The router(s): the only systems that may call.
    pub allowed_callers: Vec<String>,
    pub max_entries: usize,
}

impl LogQuerying {
    pub fn new(log: AccessLog, allowed_callers: Vec<String>) -> Self {
        LogQuerying {
            log,
            allowed_callers,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

/// `POST /riv/log`: the SOAP endpoint.
pub fn log_querying_router(service: Arc<LogQuerying>) -> Router {
    Router::new()
        .route("/riv/log", post(handle))
        .with_state(service)
}

async fn handle(
    State(s): State<Arc<LogQuerying>>,
    Extension(peer): Extension<PeerIdentity>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if s.allowed_callers.is_empty() || !peer.is_one_of(&s.allowed_callers) {
        return SoapFault(Fault::client(
            "The access log is reached through the service platform only",
        ))
        .into_response();
    }
    let envelope = match soap::parse_envelope(&body, &Limits::default()) {
        Ok(e) => e,
        Err(e) => {
            return SoapFault(Fault::client(format!("Malformed request: {e}"))).into_response();
        }
    };
    if envelope.contract_namespace() != NAMESPACE {
        return SoapFault(Fault::client(
            "This producer serves GetAccessLogsForPatient only",
        ))
        .into_response();
    }
    match GetAccessLogsForPatientRequest::parse(&envelope.body) {
        Ok(req) => {
            // The consumer the router relayed for (it always sets the header); else the
            // router itself.
            let consumer = ["x-rivta-original-serviceconsumer-hsaid", "x-vp-sender-id"]
                .iter()
                .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .or(peer.hsa_id.as_deref())
                .unwrap_or("okänt system");
            let resp =
                npo_security::log_querying::answer(&s.log, &req, s.max_entries, consumer).await;
            Soap(soap::envelope("", &resp.write())).into_response()
        }
        Err(e) => SoapFault(Fault::client(format!("Invalid request: {e}"))).into_response(),
    }
}
