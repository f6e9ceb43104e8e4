//! Serving an [`axum::Router`] over TLS (or plain HTTP/1.1) with graceful shutdown.
//!
//! Every request gets the [`PeerIdentity`] of its connection inserted as a request extension
//! (read it with `axum::Extension<PeerIdentity>`), together with
//! `axum::extract::ConnectInfo<SocketAddr>`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tracing::{debug, error, warn};

use crate::tls::PeerIdentity;

/// After shutdown is requested, how long in-flight connections may take to finish before they
/// are aborted.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the server waits for the headers of the next request (this includes idle time on a
/// kept-alive connection). Longer than the 90 s idle timeout of
/// [`https_client`](crate::https_client)'s pool, so that our own clients close idle connections
/// first and never race a server-side close.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Pause after an unexpected `accept` error (e.g. out of file descriptors).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `app` over TLS on `listener` until `shutdown` completes.
///
/// Then it stops accepting, asks open connections to finish their current request and close
/// (idle kept-alive connections close at once), waits at most [`DRAIN_TIMEOUT`] for them, aborts
/// the rest and returns.
///
/// Every request gets an `axum::Extension<PeerIdentity>` built from the client certificate
/// verified during the handshake (`hsa_id` is `None` without a client certificate or without a
/// `serialNumber`). Whether a client certificate is required is decided by `tls` (see
/// [`server_config`](crate::server_config)). A failed handshake (unknown CA, expired
/// certificate, missing certificate, timeout, ...) closes that connection and is logged at debug
/// level; it never stops the server.
///
/// HTTP/1.1 with keep-alive.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    run(listener, Some(TlsAcceptor::from(tls)), app, shutdown).await
}

/// Like [`serve_tls`] but plain HTTP/1.1: the [`PeerIdentity`] of every request has
/// `tls == false` and `hsa_id == None`.
pub async fn serve_plain(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    run(listener, None, app, shutdown).await
}

/// The accept loop shared by [`serve_tls`] and [`serve_plain`].
async fn run(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let local_addr = listener.local_addr().ok();
    let graceful = GracefulShutdown::new();
    // Tells connections still in their TLS handshake to give up once shutdown starts.
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);

    'accept: loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break 'accept,
            Some(joined) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = joined
                    && e.is_panic()
                {
                    error!(error = %e, "connection task panicked");
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, remote_addr)) => {
                    // Answers are written as several small TLS records: without TCP_NODELAY,
                    // Nagle's algorithm holds the last one until the peer's delayed ACK
                    // (~40 ms on Linux).
                    if let Err(e) = stream.set_nodelay(true) {
                        debug!(error = %e, "could not set TCP_NODELAY");
                    }
                    let app = app.clone();
                    let watcher = graceful.watcher();
                    match &acceptor {
                        Some(acceptor) => {
                            let acceptor = acceptor.clone();
                            let stopping = stopping_rx.clone();
                            connections.spawn(async move {
                                serve_tls_connection(
                                    stream, remote_addr, acceptor, app, watcher, stopping,
                                )
                                .await;
                            });
                        }
                        None => {
                            connections.spawn(async move {
                                let peer = PeerIdentity::plain(remote_addr);
                                serve_connection(stream, peer, app, watcher).await;
                            });
                        }
                    }
                }
                Err(e) if is_connection_error(&e) => {
                    debug!(error = %e, "accept: connection error");
                }
                Err(e) => {
                    error!(error = %e, "accept failed; pausing");
                    tokio::select! {
                        () = &mut shutdown => break 'accept,
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                    }
                }
            },
        }
    }

    debug!(
        ?local_addr,
        "shutting down: no longer accepting connections"
    );
    drop(listener);
    // Receivers may all be gone already; that is fine.
    let _ = stopping_tx.send(true);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        warn!(
            ?local_addr,
            remaining = connections.len(),
            "connections still open after {DRAIN_TIMEOUT:?}; aborting them"
        );
    }
    connections.shutdown().await;
    debug!(?local_addr, "server stopped");
    Ok(())
}

/// Performs the TLS handshake, then serves HTTP on the connection.
async fn serve_tls_connection(
    stream: TcpStream,
    remote_addr: SocketAddr,
    acceptor: TlsAcceptor,
    app: Router,
    watcher: Watcher,
    mut stopping: watch::Receiver<bool>,
) {
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    let tls_stream = tokio::select! {
        result = handshake => match result {
            Ok(Ok(tls_stream)) => tls_stream,
            Ok(Err(e)) => {
                debug!(%remote_addr, error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                debug!(%remote_addr, "TLS handshake timed out");
                return;
            }
        },
        // Also resolves (with an error) if the sender is gone, which only happens at shutdown.
        _ = stopping.wait_for(|stopping| *stopping) => {
            debug!(%remote_addr, "shutting down: TLS handshake abandoned");
            return;
        }
    };
    let peer = PeerIdentity::from_tls(tls_stream.get_ref().1.peer_certificates(), remote_addr);
    serve_connection(tls_stream, peer, app, watcher).await;
}

/// Serves HTTP/1.1 on one established connection, attaching `peer` to every request.
async fn serve_connection<S>(stream: S, peer: PeerIdentity, app: Router, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let remote_addr = peer.remote_addr;
    let service =
        ServiceExt::<Request<Incoming>>::map_request(app, move |mut req: Request<Incoming>| {
            let extensions = req.extensions_mut();
            extensions.insert(peer.clone());
            extensions.insert(ConnectInfo(remote_addr));
            req
        });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection =
        builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    if let Err(e) = watcher.watch(connection).await {
        debug!(%remote_addr, error = %e, "HTTP connection ended with an error");
    }
}

/// Errors that concern one connection only and are not worth pausing for.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
