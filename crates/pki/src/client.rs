//! A pooled, kept-alive mTLS HTTPS client.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::{DefaultServerNameResolver, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// The HTTPS client type returned by [`https_client`].
pub type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// How long an idle pooled connection is kept.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Maximum number of idle pooled connections per host.
pub const POOL_MAX_IDLE_PER_HOST: usize = 64;

/// Builds a pooled, kept-alive HTTPS client using `cfg` (typically from
/// [`client_config`](crate::client_config), i.e. trusting the CA and presenting a client
/// certificate).
///
/// Only `https://` URIs are accepted; HTTP/1.1; idle connections are kept for
/// [`POOL_IDLE_TIMEOUT`], at most [`POOL_MAX_IDLE_PER_HOST`] per host; `TCP_NODELAY` is set.
/// The ALPN protocols of `cfg` are used as they are.
pub fn https_client(cfg: Arc<rustls::ClientConfig>) -> HttpsClient {
    let mut http = HttpConnector::new();
    // The HTTPS connector below enforces the scheme; the inner connector must accept https URIs.
    http.enforce_http(false);
    http.set_nodelay(true);
    let https = HttpsConnector::new(
        http,
        cfg,
        true,
        Arc::new(DefaultServerNameResolver::default()),
    );
    Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .build(https)
}
