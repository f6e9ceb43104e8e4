//! Shared helpers for the integration tests: a dev PKI in a temporary directory and a TLS server
//! on a random local port.

#![allow(dead_code)] // not every test file uses every helper

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Router};
use http_body_util::BodyExt;
use npo_pki::{
    CertSpec, DevPki, HttpsClient, PeerIdentity, TlsIdentity, client_config, https_client,
    serve_tls, server_config,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const CLIENT_HSA: &str = "SE2321000016-A1B2";
pub const SERVER_HSA: &str = "SE2321000016-S001";

/// A dev PKI with a server certificate.
pub struct Fixture {
    pub _tmp: tempfile::TempDir,
    pub pki: DevPki,
    pub server: TlsIdentity,
}

pub fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let pki = DevPki::open_or_create(&tmp.path().join("pki"), "NPO Dev CA").unwrap();
    let server = pki
        .issue("server", &CertSpec::system(SERVER_HSA, "npo-server"))
        .unwrap()
        .identity()
        .unwrap();
    Fixture {
        _tmp: tmp,
        pki,
        server,
    }
}

/// The test router: `/hsa` echoes the HSA-id (or `none`), `/peer` the whole identity as JSON,
/// `/slow` answers after 500 ms.
pub fn app() -> Router {
    Router::new()
        .route(
            "/hsa",
            get(|Extension(peer): Extension<PeerIdentity>| async move {
                peer.hsa_id.unwrap_or_else(|| "none".to_owned())
            }),
        )
        .route(
            "/peer",
            get(|Extension(peer): Extension<PeerIdentity>| async move { axum::Json(peer) }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                "slow done"
            }),
        )
}

/// A running server and the means to stop it.
pub struct Server {
    pub addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub handle: JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }

    /// Triggers shutdown and waits (at most 15 s) for `serve_tls` to return.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(15), self.handle)
            .await
            .expect("server did not stop")
            .expect("server task panicked")
            .expect("server returned an error");
    }
}

/// Starts `serve_tls` with the fixture's server certificate, requiring client certificates from
/// the fixture's CA if `mtls`.
pub async fn start_tls(f: &Fixture, mtls: bool) -> Server {
    let ca = f.pki.ca_cert_path();
    let config = server_config(&f.server, mtls.then_some(ca.as_path())).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(serve_tls(listener, config, app(), async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        stop: Some(stop),
        handle,
    }
}

/// A client trusting `ca` and presenting `identity`.
pub fn client(ca: &Path, identity: Option<&TlsIdentity>) -> HttpsClient {
    https_client(client_config(ca, identity).unwrap())
}

/// GET `url`, returning status and body, or the error as a string.
pub async fn get_text(client: &HttpsClient, url: &str) -> Result<(u16, String), String> {
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        client.get(url.parse().map_err(|e| format!("{e}"))?),
    )
    .await
    .map_err(|_| "timed out".to_owned())?
    .map_err(|e| format!("{e:?}"))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{e:?}"))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
