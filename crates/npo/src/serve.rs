//! Starting HTTPS listeners.

use crate::config::Listener;
use anyhow::Context;
use npo_pki::TlsIdentity;
use std::net::SocketAddr;
use std::path::Path;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running listener.
pub struct Server {
    pub addr: SocketAddr,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Binds `listener` and serves `app` over mutual TLS (client certificates from `ca` required)
/// until `stop` is cancelled.
pub async fn spawn_tls(
    listener: &Listener,
    ca: &Path,
    app: axum::Router,
    stop: CancellationToken,
) -> anyhow::Result<Server> {
    let tcp = bind(listener.listen).await?;
    spawn_tls_on(tcp, &listener.identity(), ca, app, stop)
}

/// Serves `app` with a ready TLS configuration on an already bound listener.
pub fn spawn_with_tls(
    tcp: tokio::net::TcpListener,
    tls: std::sync::Arc<rustls::ServerConfig>,
    app: axum::Router,
    stop: CancellationToken,
) -> anyhow::Result<Server> {
    let addr = tcp.local_addr()?;
    let task = tokio::spawn(npo_pki::serve_tls(tcp, tls, app, async move {
        stop.cancelled().await
    }));
    Ok(Server { addr, task })
}

/// Binds a TCP listener.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// Serves `app` over mutual TLS on an already bound listener.
pub fn spawn_tls_on(
    tcp: tokio::net::TcpListener,
    identity: &crate::config::Identity,
    ca: &Path,
    app: axum::Router,
    stop: CancellationToken,
) -> anyhow::Result<Server> {
    let identity = TlsIdentity::from_pem_files(&identity.cert, &identity.key)?;
    let tls = npo_pki::server_config(&identity, Some(ca))?;
    spawn_with_tls(tcp, tls, app, stop)
}

/// The address clients use for a listener: loopback for a wildcard bind.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        let ip = if addr.is_ipv4() {
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        } else {
            std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
        };
        SocketAddr::new(ip, addr.port())
    } else {
        addr
    }
}

/// A pooled mTLS client presenting `identity` and trusting `ca`.
pub fn client(
    identity: &crate::config::Identity,
    ca: &Path,
) -> anyhow::Result<npo_pki::HttpsClient> {
    let id = TlsIdentity::from_pem_files(&identity.cert, &identity.key)?;
    Ok(npo_pki::https_client(npo_pki::client_config(
        ca,
        Some(&id),
    )?))
}
