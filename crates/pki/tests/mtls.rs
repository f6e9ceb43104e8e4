//! End-to-end mutual TLS: real handshakes on 127.0.0.1 with certificates from the dev PKI.

mod common;

use std::time::Duration;

use common::{CLIENT_HSA, app, client, fixture, get_text, start_tls};
use npo_pki::{CertSpec, CertUsage, PeerIdentity, create_standalone_ca, serve_plain};
use time::OffsetDateTime;
use tokio::net::TcpListener;

/// Asserts that a request failed because of the TLS handshake, with `reason` (the rustls alert or
/// certificate error) in the error.
fn assert_refused(result: Result<(u16, String), String>, reason: &str) {
    match result {
        Ok(ok) => panic!("expected refusal ({reason}), got {ok:?}"),
        Err(e) => assert!(e.contains(reason), "expected {reason}, got {e}"),
    }
}

#[tokio::test]
async fn client_certificate_hsa_id_reaches_the_handler() {
    let f = fixture();
    let server = start_tls(&f, true).await;
    let id = f
        .pki
        .issue("alice", &CertSpec::person(CLIENT_HSA, "Alice Andersson"))
        .unwrap()
        .identity()
        .unwrap();
    let client = client(&f.pki.ca_cert_path(), Some(&id));

    let (status, body) = get_text(&client, &server.url("/hsa")).await.unwrap();
    assert_eq!((status, body.as_str()), (200, CLIENT_HSA));

    // Kept-alive connection: a second request on the same client works too.
    let (status, body) = get_text(&client, &server.url("/peer")).await.unwrap();
    assert_eq!(status, 200);
    let peer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(peer["hsa_id"], CLIENT_HSA);
    assert_eq!(peer["common_name"], "Alice Andersson");
    assert_eq!(peer["tls"], true);

    server.stop().await;
}

#[tokio::test]
async fn system_certificate_works_as_client_certificate() {
    let f = fixture();
    let server = start_tls(&f, true).await;
    let id = f
        .pki
        .issue(
            "router",
            &CertSpec::system("SE2321000016-R001", "npo-router"),
        )
        .unwrap()
        .identity()
        .unwrap();
    let client = client(&f.pki.ca_cert_path(), Some(&id));
    let (_, body) = get_text(&client, &server.url("/hsa")).await.unwrap();
    assert_eq!(body, "SE2321000016-R001");
    server.stop().await;
}

#[tokio::test]
async fn unknown_ca_is_refused_and_server_keeps_serving() {
    let f = fixture();
    let server = start_tls(&f, true).await;

    let other = create_standalone_ca(&f._tmp.path().join("other"), "Evil CA").unwrap();
    let mallory = other
        .issue("mallory", &CertSpec::person(CLIENT_HSA, "Mallory"))
        .unwrap()
        .identity()
        .unwrap();
    // Trusts the real server CA but presents a certificate from another CA.
    let bad = client(&f.pki.ca_cert_path(), Some(&mallory));
    let result = get_text(&bad, &server.url("/hsa")).await;
    assert_refused(result, "UnknownCA");

    let alice = f
        .pki
        .issue("alice", &CertSpec::person(CLIENT_HSA, "Alice"))
        .unwrap()
        .identity()
        .unwrap();
    let good = client(&f.pki.ca_cert_path(), Some(&alice));
    let (_, body) = get_text(&good, &server.url("/hsa")).await.unwrap();
    assert_eq!(body, CLIENT_HSA);

    server.stop().await;
}

#[tokio::test]
async fn client_certificate_without_serial_number_is_served_without_hsa_id() {
    let f = fixture();
    let server = start_tls(&f, true).await;
    let mut spec = CertSpec::person(CLIENT_HSA, "Anonymous Process");
    spec.serial_number = None;
    let id = f.pki.issue("anon", &spec).unwrap().identity().unwrap();
    let client = client(&f.pki.ca_cert_path(), Some(&id));

    let (status, body) = get_text(&client, &server.url("/hsa")).await.unwrap();
    assert_eq!((status, body.as_str()), (200, "none"));
    let (_, body) = get_text(&client, &server.url("/peer")).await.unwrap();
    let peer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(peer["common_name"], "Anonymous Process");

    server.stop().await;
}

#[tokio::test]
async fn expired_client_certificate_is_refused() {
    let f = fixture();
    let server = start_tls(&f, true).await;
    let now = OffsetDateTime::now_utc();
    let mut spec = CertSpec::person(CLIENT_HSA, "Expired Eva");
    spec.not_before = now - time::Duration::days(30);
    spec.not_after = now - time::Duration::days(1);
    let id = f
        .pki
        .issue_new("expired", &spec)
        .unwrap()
        .identity()
        .unwrap();
    let client = client(&f.pki.ca_cert_path(), Some(&id));

    let result = get_text(&client, &server.url("/hsa")).await;
    assert_refused(result, "CertificateExpired");
    server.stop().await;
}

#[tokio::test]
async fn server_only_certificate_is_refused_as_client_certificate() {
    let f = fixture();
    let server = start_tls(&f, true).await;
    let mut spec = CertSpec::system("SE2321000016-X001", "server-only");
    spec.usage = CertUsage::Server;
    let id = f
        .pki
        .issue("server-only", &spec)
        .unwrap()
        .identity()
        .unwrap();
    let client = client(&f.pki.ca_cert_path(), Some(&id));
    let result = get_text(&client, &server.url("/hsa")).await;
    assert_refused(result, "UnsupportedCertificate");
    server.stop().await;
}

#[tokio::test]
async fn missing_client_certificate_is_refused_when_required() {
    let f = fixture();
    let server = start_tls(&f, true).await;
    let client = client(&f.pki.ca_cert_path(), None);
    let result = get_text(&client, &server.url("/hsa")).await;
    assert_refused(result, "CertificateRequired");
    server.stop().await;
}

#[tokio::test]
async fn without_client_ca_no_certificate_is_needed() {
    let f = fixture();
    let server = start_tls(&f, false).await;
    let client = client(&f.pki.ca_cert_path(), None);
    let (status, body) = get_text(&client, &server.url("/hsa")).await.unwrap();
    assert_eq!((status, body.as_str()), (200, "none"));
    server.stop().await;
}

#[tokio::test]
async fn client_refuses_server_from_unknown_ca() {
    let f = fixture();
    let server = start_tls(&f, false).await;
    let other = create_standalone_ca(&f._tmp.path().join("other"), "Other CA").unwrap();
    let client = client(&other.ca_cert_path(), None);
    let result = get_text(&client, &server.url("/hsa")).await;
    assert_refused(result, "UnknownIssuer");
    server.stop().await;
}

#[tokio::test]
async fn https_client_refuses_plain_http_uris() {
    let f = fixture();
    let client = client(&f.pki.ca_cert_path(), None);
    let result = get_text(&client, "http://127.0.0.1:9/hsa").await;
    assert!(result.is_err());
}

#[tokio::test]
async fn serve_tls_returns_after_shutdown() {
    let f = fixture();
    let mut server = start_tls(&f, true).await;
    let stop = server.stop.take().unwrap();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), &mut server.handle)
        .await
        .expect("serve_tls did not return after shutdown")
        .unwrap()
        .unwrap();
    // The listener is closed.
    assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests_and_closes_idle_connections() {
    let f = fixture();
    let mut server = start_tls(&f, true).await;
    let alice = f
        .pki
        .issue("alice", &CertSpec::person(CLIENT_HSA, "Alice"))
        .unwrap()
        .identity()
        .unwrap();
    let client = client(&f.pki.ca_cert_path(), Some(&alice));
    // An idle kept-alive connection in the client's pool must not hold up shutdown.
    get_text(&client, &server.url("/hsa")).await.unwrap();

    let slow_client = client.clone();
    let slow_url = server.url("/slow");
    let in_flight = tokio::spawn(async move { get_text(&slow_client, &slow_url).await });
    tokio::time::sleep(Duration::from_millis(150)).await;

    let started = std::time::Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), &mut server.handle)
        .await
        .expect("serve_tls did not return after shutdown")
        .unwrap()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));

    let (status, body) = in_flight.await.unwrap().unwrap();
    assert_eq!((status, body.as_str()), (200, "slow done"));
}

#[tokio::test]
async fn serve_plain_marks_peer_as_not_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(serve_plain(listener, app(), async {
        let _ = stopped.await;
    }));

    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let response = client
        .get(format!("http://{addr}/peer").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let peer: PeerIdentity = {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        PeerIdentity {
            hsa_id: v["hsa_id"].as_str().map(str::to_owned),
            common_name: v["common_name"].as_str().map(str::to_owned),
            remote_addr: v["remote_addr"].as_str().unwrap().parse().unwrap(),
            tls: v["tls"].as_bool().unwrap(),
        }
    };
    assert!(!peer.tls);
    assert_eq!(peer.hsa_id, None);
    assert_eq!(peer.remote_addr.ip(), addr.ip());

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
