//! Every router fault npo can produce, triggered through the router's real HTTPS (and internal
//! HTTP) entry points; plus the TLS and header trust rules.

mod common;

use common::{TestFed, envelope, post, start};
use npo_pki::{CertSpec, create_standalone_ca};
use npo_riv::common::{PersonId, Query};
use npo_riv::contract::Contract;
use npo_riv::contracts::GetDiagnosisV2;
use npo_riv::ei::FindContentRequest;
use npo_router::{CORRELATION_ID, ORIGINAL_CONSUMER, ROUTING_HISTORY, SENDER_ID};
use npo_tak::model::Routing;
use std::sync::Arc;

fn diagnosis_request() -> String {
    GetDiagnosisV2::write_request(&Query::for_patient(PersonId::personnummer("191212121212")))
}

async fn expect_fault(
    t: &TestFed,
    body: impl Into<bytes::Bytes>,
    headers: &[(&str, &str)],
    code: &str,
) -> String {
    let r = post(&t.consumer, t.router(), body, headers).await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(r.fault_code().as_deref(), Some(code), "{}", r.body);
    let fault = r.envelope().fault().unwrap();
    assert!(
        fault.string.contains("[npo-vp-1]"),
        "fault names the instance: {}",
        fault.string
    );
    assert!(
        !fault.string.contains("191212121212"),
        "no patient data in faults"
    );
    fault.string
}

async fn add_routings(t: &TestFed, routings: Vec<Routing>) {
    t.change_catalogue(|c| {
        for r in &routings {
            if !c
                .logical_addresses
                .iter()
                .any(|a| a.hsa_id == r.logical_address)
            {
                c.logical_addresses.push(npo_tak::LogicalAddress {
                    hsa_id: r.logical_address.clone(),
                    description: "test".into(),
                });
            }
            c.authorizations.push(npo_tak::Authorization {
                id: format!("auth-{}", r.id),
                consumer_hsa_id: npo::demo::CONSUMER_HSA_ID.into(),
                logical_address: r.logical_address.clone(),
                contract_namespace: r.contract_namespace.clone(),
                from_date: "2020-01-01".into(),
                to_date: "2099-12-31".into(),
            });
        }
        c.routings.extend(routings.iter().cloned());
    })
    .await;
}

fn routing(id: &str, la: &str, url: &str) -> Routing {
    Routing {
        id: id.into(),
        logical_address: la.into(),
        contract_namespace: npo_riv::contracts::diagnosis_v2::NAMESPACE.into(),
        component_hsa_id: npo::demo::sources()[0].hsa_id.clone(),
        url: url.into(),
        from_date: "2020-01-01".into(),
        to_date: "2099-12-31".into(),
    }
}

#[tokio::test]
async fn vp002_certificate_without_serial_number() {
    let t = start(|_| {}).await;
    let mut spec = CertSpec::system("SE2321000016-X1", "utan serienummer");
    spec.serial_number = None;
    let client = t.client_with("no-serial", spec);
    let r = post(
        &client,
        t.router(),
        envelope(t.agp(), &diagnosis_request()),
        &[],
    )
    .await;
    assert_eq!(r.fault_code().as_deref(), Some("VP002"), "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn unknown_ca_is_refused_at_tls() {
    let t = start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let other = create_standalone_ca(dir.path(), "some other CA").unwrap();
    let c = other
        .issue(
            "intruder",
            &CertSpec::system(npo::demo::CONSUMER_HSA_ID, "intruder"),
        )
        .unwrap();
    let client = npo::serve::client(
        &npo::config::Identity {
            cert: c.cert_path,
            key: c.key_path,
        },
        &t.fed.info.ca,
    )
    .unwrap();
    let req = hyper::Request::post(t.router())
        .body(http_body_util::Full::new(bytes::Bytes::from(envelope(
            t.agp(),
            &diagnosis_request(),
        ))))
        .unwrap();
    assert!(
        client.request(req).await.is_err(),
        "the handshake must fail"
    );
    // The router keeps serving others.
    let r = post(
        &t.consumer,
        t.router(),
        envelope(t.agp(), &diagnosis_request()),
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    t.shutdown().await;
}

#[tokio::test]
async fn vp003_vp004_vp006_vp007_vp009_vp010_routing_and_authorization() {
    let t = start(|spec| {
        spec.router
            .timeouts_ms
            .insert(npo_riv::contracts::diagnosis_v2::NAMESPACE.into(), 500);
        spec.sources[1].answer_delay_ms = 3_000;
    })
    .await;
    // VP003: no LogicalAddress.
    let no_receiver = npo_riv::soap::envelope("", &diagnosis_request());
    expect_fault(&t, no_receiver, &[], "VP003").await;
    // VP004: nobody serves this address.
    let s = expect_fault(
        &t,
        envelope("SE9999999999-NOPE", &diagnosis_request()),
        &[],
        "VP004",
    )
    .await;
    assert!(s.contains("SE9999999999-NOPE"));
    // VP007: the consumer may not call the engagement index.
    let find = FindContentRequest {
        registered_resident_identification: "191212121212".into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        ..FindContentRequest::default()
    };
    expect_fault(
        &t,
        envelope(npo::demo::EI_HSA_ID, &find.write()),
        &[],
        "VP007",
    )
    .await;
    // VP006: two valid routings for one address.
    let url = t.fed.info.sources[0].url.clone();
    add_routings(
        &t,
        vec![
            routing("dup-1", "SE2321000016-DUP", &url),
            routing("dup-2", "SE2321000016-DUP", &url),
        ],
    )
    .await;
    expect_fault(
        &t,
        envelope("SE2321000016-DUP", &diagnosis_request()),
        &[],
        "VP006",
    )
    .await;
    // VP009: nothing listens at the producer address.
    add_routings(
        &t,
        vec![routing("dead", "SE2321000016-DEAD", "https://127.0.0.1:9/")],
    )
    .await;
    expect_fault(
        &t,
        envelope("SE2321000016-DEAD", &diagnosis_request()),
        &[],
        "VP009",
    )
    .await;
    // VP009: the producer is slower than the contract's timeout (500 ms here).
    let slow = t.fed.info.sources[1].hsa_id.clone();
    let s = expect_fault(&t, envelope(&slow, &diagnosis_request()), &[], "VP009").await;
    assert!(s.contains("timeout"), "{s}");
    // VP010: a catalogue entry whose address is unusable (installed directly: the catalogue
    // store itself refuses such URLs).
    let (version, mut c) = t.fed.platform.tak_store.load().await.unwrap();
    let mut bad = routing("bad-url", "SE2321000016-BAD", "https://");
    bad.url = "not a url".into();
    c.logical_addresses.push(npo_tak::LogicalAddress {
        hsa_id: "SE2321000016-BAD".into(),
        description: "bad".into(),
    });
    c.authorizations.push(npo_tak::Authorization {
        id: "auth-bad".into(),
        consumer_hsa_id: npo::demo::CONSUMER_HSA_ID.into(),
        logical_address: "SE2321000016-BAD".into(),
        contract_namespace: bad.contract_namespace.clone(),
        from_date: "2020-01-01".into(),
        to_date: "2099-12-31".into(),
    });
    c.routings.push(bad.clone());
    assert!(
        t.fed.platform.tak_store.replace(&c).await.is_err(),
        "the store refuses it"
    );
    t.fed.platform.tak.install(version, &c);
    expect_fault(
        &t,
        envelope("SE2321000016-BAD", &diagnosis_request()),
        &[],
        "VP010",
    )
    .await;
    t.shutdown().await;
}

#[tokio::test]
async fn vp008_no_catalogue() {
    // A router whose catalogue never loaded, served over real TLS.
    let t = start(|_| {}).await;
    let cfg = npo_router::RouterConfig {
        instance_id: "npo-vp-1".into(),
        ..Default::default()
    };
    let dir = t.fed.pki.dir().to_owned();
    let identity =
        npo_pki::TlsIdentity::from_pem_files(&dir.join("router.pem"), &dir.join("router.key"))
            .unwrap();
    let client =
        npo_pki::https_client(npo_pki::client_config(&t.fed.info.ca, Some(&identity)).unwrap());
    let vp = npo_router::Vp::new(cfg, npo_tak::TakCache::new(), client);
    let tls = npo_pki::server_config(&identity, Some(&t.fed.info.ca)).unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let stop = Arc::new(tokio::sync::Notify::new());
    let s2 = stop.clone();
    let server = tokio::spawn(npo_pki::serve_tls(
        tcp,
        tls,
        npo_router::router(vp),
        async move { s2.notified().await },
    ));
    let r = post(
        &t.consumer,
        &format!("https://{addr}/vp"),
        envelope(t.agp(), &diagnosis_request()),
        &[],
    )
    .await;
    assert_eq!(r.fault_code().as_deref(), Some("VP008"), "{}", r.body);
    stop.notify_one();
    let _ = server.await;
    t.shutdown().await;
}

#[tokio::test]
async fn vp011_internal_listener_and_sender_header_trust() {
    // Internal listener open to loopback: x-vp-sender-id is trusted there.
    let t = start(|spec| spec.internal_listener = true).await;
    let internal = t.fed.info.internal_router_url.clone().unwrap();
    let plain = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let send = |headers: Vec<(&'static str, &'static str)>| {
        let mut req = hyper::Request::post(internal.as_str()).header("content-type", "text/xml");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let req = req
            .body(http_body_util::Full::new(bytes::Bytes::from(envelope(
                "SE5565594230-AGP",
                &diagnosis_request(),
            ))))
            .unwrap();
        let plain = plain.clone();
        async move {
            let resp = plain.request(req).await.unwrap();
            let status = resp.status().as_u16();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            (status, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let (status, body) = send(vec![(SENDER_ID, npo::demo::CONSUMER_HSA_ID)]).await;
    assert_eq!(status, 200, "{body}");
    npo_riv::xsd::validate_envelope(body.as_bytes()).unwrap();
    let (_, body) = send(vec![]).await;
    assert!(
        body.contains("VP002"),
        "no sender on the internal listener: {body}"
    );
    t.shutdown().await;

    // Not on the whitelist: VP011.
    let t = start(|spec| {
        spec.internal_listener = true;
        spec.router.internal_allowed_ips.clear();
    })
    .await;
    let internal = t.fed.info.internal_router_url.clone().unwrap();
    let req = hyper::Request::post(internal.as_str())
        .header(SENDER_ID, npo::demo::CONSUMER_HSA_ID)
        .body(http_body_util::Full::new(bytes::Bytes::from(envelope(
            "SE5565594230-AGP",
            &diagnosis_request(),
        ))))
        .unwrap();
    let resp = plain.request(req).await.unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body = String::from_utf8(body.to_vec()).unwrap();
    assert!(body.contains("VP011"), "{body}");
    npo_riv::xsd::validate_envelope(body.as_bytes()).unwrap();
    t.shutdown().await;
}

#[tokio::test]
async fn vp013_vp014_header_rules_and_correlation_id() {
    let t = start(|_| {}).await;
    let body = envelope(t.agp(), &diagnosis_request());
    // Only the aggregating services may speak for another consumer.
    expect_fault(
        &t,
        body.clone(),
        &[(ORIGINAL_CONSUMER, "SE2321000016-SOMEONE")],
        "VP013",
    )
    .await;
    // A call that already passed this router is a loop.
    expect_fault(
        &t,
        body.clone(),
        &[(ROUTING_HISTORY, "other-vp,npo-vp-1")],
        "VP014",
    )
    .await;

    // Correlation id: kept when given, created when missing, returned either way.
    let r = post(
        &t.consumer,
        t.router(),
        body.clone(),
        &[(CORRELATION_ID, "test-corr-42")],
    )
    .await;
    assert_eq!(r.headers[CORRELATION_ID], "test-corr-42");
    let r = post(&t.consumer, t.router(), body.clone(), &[]).await;
    let created = r.headers[CORRELATION_ID].to_str().unwrap();
    assert_eq!(created.len(), 36, "a fresh UUID: {created}");
    // A hostile one is replaced.
    let r = post(
        &t.consumer,
        t.router(),
        body,
        &[(CORRELATION_ID, "a b<script>")],
    )
    .await;
    assert_ne!(r.headers[CORRELATION_ID], "a b<script>");
    t.shutdown().await;
}

#[tokio::test]
async fn vp015_malformed_oversized_deep_and_dtd_requests() {
    let t = start(|spec| spec.router.max_request_bytes = 64 * 1024).await;
    let good = envelope(t.agp(), &diagnosis_request());
    let cases: Vec<(&str, String)> = vec![
        ("not XML", "this is not xml".into()),
        ("truncated", good[..good.len() / 2].to_owned()),
        ("not an envelope", diagnosis_request()),
        ("empty body", npo_riv::soap::request(t.agp(), "")),
        (
            "DTD",
            format!(
                r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>{}"#,
                good.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            ),
        ),
        (
            "deep",
            npo_riv::soap::request(
                t.agp(),
                &format!("{}{}", "<a>".repeat(200), "</a>".repeat(200)),
            ),
        ),
        (
            "oversized",
            npo_riv::soap::request(t.agp(), &format!("<a>{}</a>", "x".repeat(100 * 1024))),
        ),
        ("empty", String::new()),
        (
            "invalid UTF-8",
            String::from_utf8_lossy(b"<a>\xff</a>").into_owned() + "\u{0}",
        ),
    ];
    for (what, body) in cases {
        let s = expect_fault(&t, body, &[], "VP015").await;
        assert!(s.len() < 400, "{what}: fault text stays short");
    }
    // Raw invalid bytes too.
    let mut raw = good.clone().into_bytes();
    raw[60] = 0xff;
    expect_fault(&t, raw, &[], "VP015").await;
    // The router is still healthy.
    let r = post(&t.consumer, t.router(), good, &[]).await;
    assert_eq!(r.status, 200);
    t.shutdown().await;
}

#[tokio::test]
async fn catalogue_reload_failure_keeps_the_last_good_catalogue() {
    let t = start(|_| {}).await;
    let before = t.fed.platform.tak.snapshot().unwrap().version;
    // A store that cannot be read: the reload fails, the router keeps routing.
    let broken = npo_tak::TakStore::new(t.fed.platform.db.clone());
    t.fed.platform.db.close().await;
    assert!(t.fed.platform.tak.reload(&broken).await.is_err());
    assert_eq!(t.fed.platform.tak.snapshot().unwrap().version, before);
    let direct = t.fed.info.sources[0].hsa_id.clone();
    let r = post(
        &t.consumer,
        t.router(),
        envelope(&direct, &diagnosis_request()),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn platform_services_behind_the_router_refuse_direct_callers() {
    let t = start(|_| {}).await;
    let agp_url = t.fed.platform.agp.addr.to_string();
    let ei_url = t.fed.platform.ei.addr.to_string();
    let forged = [(ORIGINAL_CONSUMER, "SE5565594230-ANYONE")];
    // The consumer goes around the router to the aggregating services, claiming to be someone else.
    let r = post(
        &t.consumer,
        &format!("https://{agp_url}/"),
        envelope(t.agp(), &diagnosis_request()),
        &forged,
    )
    .await;
    assert_eq!(r.status, 500);
    assert!(
        r.envelope()
            .fault()
            .unwrap()
            .string
            .contains("through the service platform only")
    );
    // …and to the engagement index.
    let find = FindContentRequest {
        registered_resident_identification: "191212121212".into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        ..FindContentRequest::default()
    };
    let r = post(
        &t.consumer,
        &format!("https://{ei_url}/"),
        envelope(npo::demo::EI_HSA_ID, &find.write()),
        &[],
    )
    .await;
    assert_eq!(r.status, 500);
    assert!(r.envelope().fault().unwrap().string.contains("EI006"));
    // …and to a source system.
    let r = post(
        &t.consumer,
        &t.fed.info.sources[0].url,
        envelope(&t.fed.info.sources[0].hsa_id, &diagnosis_request()),
        &[],
    )
    .await;
    assert_eq!(r.status, 500);
    t.shutdown().await;
}
