//! The router (VP, virtualiseringsplattformen): authenticates the calling system by its
//! certificate, authorizes the call and routes it by logical address and contract through the
//! service addressing catalogue, then relays it to the producer over pooled mutual TLS.
//!
//! The router never looks past the first element of the SOAP Body: it routes every contract the
//! catalogue knows, and a new contract needs no change here.

pub mod client;
mod fault;
mod headers;

pub use client::{CallError, VpClient};
pub use fault::VpFault;
pub use headers::*;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::Response;
use http_body_util::{BodyExt, Full, Limited};
use npo_pki::{HttpsClient, PeerIdentity};
use npo_riv::{Limits, soap};
use npo_tak::{RouteError, TakCache};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The router's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterConfig {
    /// This instance's id, in faults and the routing history (loop detection).
    pub instance_id: String,
    /// Producer timeout, per contract namespace; `default_timeout_ms` for the rest.
    pub default_timeout_ms: u64,
    pub timeouts_ms: HashMap<String, u64>,
    /// Largest request body accepted, and largest producer response relayed.
    pub max_request_bytes: usize,
    pub max_response_bytes: usize,
    /// Deepest element nesting accepted in a request.
    pub max_depth: usize,
    /// Systems (HSA-ids) allowed to set `x-rivta-original-serviceconsumer-hsaid` (e.g. the
    /// aggregating services). Anyone else doing so gets VP013.
    pub original_consumer_senders: Vec<String>,
    /// Addresses allowed to call the internal plain-HTTP listener with `x-vp-sender-id`.
    pub internal_allowed_ips: Vec<IpAddr>,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            instance_id: "npo-vp".into(),
            default_timeout_ms: 27_000,
            timeouts_ms: HashMap::new(),
            max_request_bytes: 1024 * 1024,
            max_response_bytes: 64 * 1024 * 1024,
            max_depth: 64,
            original_consumer_senders: Vec::new(),
            internal_allowed_ips: Vec::new(),
        }
    }
}

/// The router's state: settings, the catalogue cache and the producer connection pool.
pub struct Vp {
    cfg: RouterConfig,
    tak: TakCache,
    client: HttpsClient,
}

impl Vp {
    pub fn new(cfg: RouterConfig, tak: TakCache, client: HttpsClient) -> Arc<Vp> {
        Arc::new(Vp { cfg, tak, client })
    }

    fn timeout(&self, contract: &str) -> Duration {
        Duration::from_millis(
            *self
                .cfg
                .timeouts_ms
                .get(contract)
                .unwrap_or(&self.cfg.default_timeout_ms),
        )
    }

    fn fault(&self, f: VpFault, correlation: &str) -> Response {
        f.into_response(&self.cfg.instance_id, correlation)
    }
}

/// The router's HTTP endpoints: SOAP calls are accepted on any path (`/vp/...` by convention).
pub fn router(vp: Arc<Vp>) -> Router {
    Router::new().fallback(handle).with_state(vp)
}

/// Facts about one incoming call, for the access line in the log.
struct Call<'a> {
    correlation: &'a str,
    sender: &'a str,
    receiver: &'a str,
    contract: &'a str,
}

async fn handle(State(vp): State<Arc<Vp>>, req: Request<Body>) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let correlation = correlation_id(&parts.headers);
    let result = route(
        &vp,
        &parts.headers,
        parts.extensions.get::<PeerIdentity>(),
        body,
        &correlation,
    )
    .await;
    let status = match &result {
        Ok(r) => r.status().as_u16().to_string(),
        Err(f) => f.code().to_string(),
    };
    tracing::info!(
        correlation = %correlation,
        outcome = %status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "vp call"
    );
    match result {
        Ok(mut r) => {
            if let Ok(v) = HeaderValue::from_str(&correlation) {
                r.headers_mut().insert(CORRELATION_ID, v);
            }
            r
        }
        Err(f) => vp.fault(f, &correlation),
    }
}

async fn route(
    vp: &Vp,
    headers: &HeaderMap,
    peer: Option<&PeerIdentity>,
    body: Body,
    correlation: &str,
) -> Result<Response, VpFault> {
    // 1. Who is calling: the certificate's serialNumber, or on the internal listener the
    //    x-vp-sender-id of a whitelisted address.
    let peer = peer.ok_or(VpFault::NotAllowed("no connection identity".into()))?;
    let sender = if peer.tls {
        peer.hsa_id.clone().ok_or(VpFault::NoSenderId)?
    } else {
        let ip = peer.remote_addr.ip().to_canonical();
        if !vp.cfg.internal_allowed_ips.contains(&ip) {
            return Err(VpFault::NotAllowed(format!(
                "caller {ip} is not on the whitelist of the internal listener"
            )));
        }
        header_str(headers, SENDER_ID)
            .filter(|s| !s.is_empty())
            .ok_or(VpFault::NoSenderId)?
            .to_owned()
    };

    // 2. The message: bounded and well-formed, with a receiver and a contract.
    let bytes = Limited::new(body, vp.cfg.max_request_bytes)
        .collect()
        .await
        .map_err(|_| {
            VpFault::Malformed(format!(
                "request body larger than {} bytes",
                vp.cfg.max_request_bytes
            ))
        })?
        .to_bytes();
    let limits = Limits {
        max_bytes: vp.cfg.max_request_bytes,
        max_depth: vp.cfg.max_depth,
        ..Limits::default()
    };
    let envelope =
        soap::parse_envelope(&bytes, &limits).map_err(|e| VpFault::Malformed(e.to_string()))?;
    let receiver = envelope
        .logical_address()
        .ok_or(VpFault::NoReceiver)?
        .to_owned();
    let contract = envelope.contract_namespace().to_owned();
    drop(envelope);
    let call = Call {
        correlation,
        sender: &sender,
        receiver: &receiver,
        contract: &contract,
    };

    // 3. Header trust rules.
    let original = match header_str(headers, ORIGINAL_CONSUMER) {
        Some(_) if !vp.cfg.original_consumer_senders.contains(&sender) => {
            return Err(VpFault::MayNotSetOriginalConsumer(sender.clone()));
        }
        Some(o) => o.to_owned(),
        None => sender.clone(),
    };
    let history = header_str(headers, ROUTING_HISTORY).unwrap_or("");
    if history.split(',').any(|h| h.trim() == vp.cfg.instance_id) {
        return Err(VpFault::Loop);
    }

    // 4. The catalogue: routing, then authorization (the reference platform's order).
    let tak = vp.tak.snapshot().ok_or(VpFault::NoCatalogue)?;
    let today = npo_tak::today();
    let routing = tak
        .route(&receiver, &contract, &today)
        .map_err(|e| match e {
            RouteError::NoRouting => VpFault::NoRouting {
                receiver: receiver.clone(),
                contract: contract.clone(),
            },
            RouteError::Ambiguous => VpFault::AmbiguousRouting {
                receiver: receiver.clone(),
                contract: contract.clone(),
            },
        })?;
    if !tak.is_authorized(&sender, &receiver, &contract, &today) {
        return Err(VpFault::NotAuthorized {
            consumer: sender.clone(),
            receiver: receiver.clone(),
            contract: contract.clone(),
        });
    }
    let uri: hyper::Uri = routing
        .url
        .parse()
        .ok()
        .filter(|u: &hyper::Uri| u.scheme_str() == Some("https") && u.host().is_some())
        .ok_or_else(|| VpFault::NoProducerUrl {
            receiver: receiver.clone(),
            contract: contract.clone(),
        })?;
    drop(tak);

    // 5. Relay.
    let new_history = if history.is_empty() {
        vp.cfg.instance_id.clone()
    } else {
        format!("{history},{}", vp.cfg.instance_id)
    };
    let mut out = hyper::Request::post(uri)
        .header(header::CONTENT_TYPE, soap::CONTENT_TYPE)
        .header(CORRELATION_ID, call.correlation)
        .header(SENDER_ID, call.sender)
        .header(ORIGINAL_CONSUMER, &original)
        .header(INSTANCE_ID, &vp.cfg.instance_id)
        .header(ROUTING_HISTORY, new_history);
    if let Some(action) = headers.get("soapaction") {
        out = out.header("soapaction", action);
    }
    let out = out
        .body(Full::new(bytes))
        .map_err(|_| VpFault::Malformed("request headers could not be relayed".into()))?;
    let timeout = vp.timeout(call.contract);
    let max = vp.cfg.max_response_bytes;
    let relayed = tokio::time::timeout(timeout, async {
        let resp = vp.client.request(out).await.map_err(|e| {
            tracing::warn!(correlation = call.correlation, receiver = call.receiver, error = %e, "producer unreachable");
            VpFault::ProducerError("error connecting to the producer".into())
        })?;
        let (parts, body) = resp.into_parts();
        let body = Limited::new(body, max)
            .collect()
            .await
            .map_err(|_| VpFault::ProducerError("error reading the producer's response".into()))?
            .to_bytes();
        Ok::<_, VpFault>((parts, body))
    })
    .await
    .map_err(|_| VpFault::ProducerError(format!("timeout after {} ms waiting for the producer", timeout.as_millis())))??;
    let (parts, body) = relayed;
    // SOAP answers are 200 (response) or 500 (fault) with an XML body; anything else is a
    // producer error.
    let is_xml = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("xml"));
    if !(parts.status == StatusCode::OK || parts.status == StatusCode::INTERNAL_SERVER_ERROR)
        || !is_xml
    {
        return Err(VpFault::ProducerError(format!(
            "the producer answered HTTP {} without a SOAP message",
            parts.status.as_u16()
        )));
    }
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = parts.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(soap::CONTENT_TYPE),
    );
    if let Some(v) = parts.headers.get(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, v.clone());
    }
    Ok(response)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The caller's correlation id if it is sane (1–64 of `[A-Za-z0-9._-]`), else a new one.
fn correlation_id(headers: &HeaderMap) -> String {
    header_str(headers, CORRELATION_ID)
        .filter(|c| {
            !c.is_empty()
                && c.len() <= 64
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}
