//! Shared by the benchmark binaries.

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::{DefaultServerNameResolver, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use npo::demo;
use npo_pki::TlsIdentity;
use npo_source::{CareUnit, SourceConfig};
use std::path::Path;
use std::sync::Arc;

/// The load generator's HTTPS client.
pub type BenchClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A kept-alive mTLS client presenting `cert`/`key` and trusting `ca`. Unlike
/// [`npo_pki::https_client`] it keeps up to `max_idle` idle connections per host, so that every
/// worker keeps its connection and the load generator never pays for TLS handshakes.
pub fn client(cert: &Path, key: &Path, ca: &Path, max_idle: usize) -> anyhow::Result<BenchClient> {
    let identity = TlsIdentity::from_pem_files(cert, key)?;
    let tls = npo_pki::client_config(ca, Some(&identity))?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let https = HttpsConnector::new(
        http,
        tls,
        true,
        Arc::new(DefaultServerNameResolver::default()),
    );
    Ok(Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_max_idle_per_host(max_idle)
        .build(https))
}

/// The `i`th fictitious source system of a load benchmark: its own care giver with one unit,
/// reachable only through the router.
pub fn source(i: usize) -> SourceConfig {
    SourceConfig {
        hsa_id: format!("SE2321000016-B{i:03}"),
        name: format!("Lasttestsystem {i}"),
        care_giver_hsa_id: format!("SE2321000016-G{i:03}"),
        care_giver_name: format!("Lasttestvårdgivare {i}"),
        data_controller: "2321000016".into(),
        care_units: vec![CareUnit {
            hsa_id: format!("SE2321000016-E{i:03}"),
            name: format!("Lasttestmottagningen {i}"),
        }],
        ei_logical_address: demo::EI_HSA_ID.into(),
        allowed_callers: vec![demo::ROUTER_HSA_ID.into()],
        admin_hsa_ids: vec![demo::ADMIN_HSA_ID.into()],
        answer_delay_ms: 0,
    }
}
