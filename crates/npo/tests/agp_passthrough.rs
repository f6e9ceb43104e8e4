//! The aggregating services pass every item through unchanged: for every contract, a producer
//! item carrying EVERY optional element and attribute of its schema (including extension
//! elements of other namespaces and everything npo's typed model ignores) arrives at the
//! consumer equal in canonical XML (C14N) to what the producer sent.
//!
//! The maximal items are generated from the official schemas by `scripts/gen-maximal-items.py`
//! (in `tests/fixtures/maximal/`, two items per contract: the first and the last branch of every
//! choice) and validated here with xmllint before use. They are served over HTTPS by a small
//! producer registered in the catalogue and the engagement index, and fetched through the real
//! router and aggregating services. Canonical forms come from Python's standard library
//! (`tests/common/c14n_items.py`), independent of npo's XML code.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use common::{TestFed, envelope, post, start};
use npo_pki::CertSpec;
use npo_riv::common::{PersonId, Query};
use npo_riv::contract::Contract;
use npo_riv::ei::{Engagement, EngagementTransaction, UpdateRequest};
use npo_riv::headers::StatusCode;
use npo_riv::{Limits, soap};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// Must match `scripts/gen-maximal-items.py`.
const PATIENT: &str = "194010106120";
const PRODUCER: &str = "SE5565594230-MAXP";

fn fixture<C: Contract>() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/maximal")
        .join(format!("{}_{}.xml", C::NAME, C::VERSION))
}

/// The fixture validates against the contract's official schema (with the documented
/// corrections of `npo_riv::xsd::CORRECTIONS`).
fn validate_fixture<C: Contract>(path: &Path) {
    let schema = npo_riv::xsd::corrected_schema_for(C::NAMESPACE).expect("a schema");
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg(path)
        .output()
        .expect("xmllint runs (scripts/install-deps.sh)");
    assert!(
        out.status.success(),
        "{} does not validate: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The canonical XML of every `{ns}local` element of the document at `path`.
fn canonical_items(path: &Path, ns: &str, local: &str) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/c14n_items.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .arg(ns)
        .arg(local)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "c14n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON list")
}

fn canonical_items_of(xml: &str, ns: &str, local: &str) -> Vec<String> {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut f, xml.as_bytes()).expect("write");
    canonical_items(f.path(), ns, local)
}

/// The local name of the contract's items: the body's children in the responder namespace
/// other than `result` and `hasMore`.
fn item_name<C: Contract>(doc: &str) -> String {
    let root = npo_riv::xml::parse(doc.as_bytes(), &Limits::default()).expect("fixture parses");
    root.children
        .iter()
        .find(|c| c.ns == C::NAMESPACE && c.name != "result" && c.name != "hasMore")
        .map(|c| c.name.clone())
        .expect("the fixture has items")
}

/// The producer's answer: the fixture as the response body. With `on_envelope`, the fixture's
/// namespace declarations move from the response element to the SOAP envelope, so the items'
/// prefixes are declared two levels up.
fn producer_answer(doc: &str, on_envelope: bool) -> String {
    let start = doc.find("<tns:").expect("the response element");
    let body = &doc[start..];
    if !on_envelope {
        return soap::envelope("", body);
    }
    let gt = body.find('>').expect("start tag");
    let (name, decls) = body[..gt].split_once(' ').expect("declarations");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{}" {decls}><S:Body>{name}{}</S:Body></S:Envelope>"#,
        soap::SOAP_ENV_NS,
        &body[gt..]
    )
}

async fn produce(
    State(answers): State<Arc<HashMap<String, String>>>,
    body: Bytes,
) -> axum::response::Response {
    let ns = soap::parse_envelope(&body, &Limits::default())
        .ok()
        .map(|e| e.contract_namespace().to_owned());
    match ns.and_then(|ns| answers.get(&ns).cloned()) {
        Some(xml) => ([("content-type", soap::CONTENT_TYPE)], xml).into_response(),
        None => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", soap::CONTENT_TYPE)],
            soap::Fault::client("unknown contract").to_envelope(),
        )
            .into_response(),
    }
}

/// Starts the test producer over mutual TLS, and registers it: catalogue (routing and
/// authorizations for every contract) and one engagement per service domain and
/// categorization for the patient.
async fn start_producer(
    t: &TestFed,
    answers: HashMap<String, String>,
) -> (tokio::task::JoinHandle<()>, Arc<tokio::sync::Notify>) {
    let cert = t
        .fed
        .pki
        .issue("maxp", &CertSpec::system(PRODUCER, "Maximal testproducent"))
        .expect("certificate");
    let identity = npo_pki::TlsIdentity::from_pem_files(&cert.cert_path, &cert.key_path).unwrap();
    let tls = npo_pki::server_config(&identity, Some(&t.fed.info.ca)).unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/", tcp.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(produce)
        .with_state(Arc::new(answers));
    let stop = Arc::new(tokio::sync::Notify::new());
    let s2 = stop.clone();
    let server = tokio::spawn(async move {
        let _ = npo_pki::serve_tls(tcp, tls, app, async move { s2.notified().await }).await;
    });

    let contracts = npo_riv::contracts::all();
    t.change_catalogue(|c| {
        c.components.push(npo_tak::ServiceComponent {
            hsa_id: PRODUCER.into(),
            description: "Maximal testproducent".into(),
        });
        c.logical_addresses.push(npo_tak::LogicalAddress {
            hsa_id: PRODUCER.into(),
            description: "Maximal testproducent".into(),
        });
        for i in &contracts {
            c.routings.push(npo_tak::Routing {
                id: format!("maxp-{}-{}", i.name, i.version),
                logical_address: PRODUCER.into(),
                contract_namespace: i.namespace.into(),
                component_hsa_id: PRODUCER.into(),
                url: url.clone(),
                from_date: "2020-01-01".into(),
                to_date: "2099-12-31".into(),
            });
            for (who, consumer) in [
                ("agp", npo::demo::AGP_HSA_ID),
                ("consumer", npo::demo::CONSUMER_HSA_ID),
            ] {
                c.authorizations.push(npo_tak::Authorization {
                    id: format!("maxp-{who}-{}-{}", i.name, i.version),
                    consumer_hsa_id: consumer.into(),
                    logical_address: PRODUCER.into(),
                    contract_namespace: i.namespace.into(),
                    from_date: "2020-01-01".into(),
                    to_date: "2099-12-31".into(),
                });
            }
        }
    })
    .await;

    let kinds: BTreeSet<_> = contracts
        .iter()
        .map(|i| (i.service_domain, i.categorization))
        .collect();
    let ei = npo_ei::EngagementIndex::new(t.fed.platform.db.clone(), npo::demo::EI_HSA_ID);
    let transactions = kinds
        .into_iter()
        .map(|(domain, categorization)| EngagementTransaction {
            delete_flag: false,
            engagement: Engagement {
                registered_resident_identification: PATIENT.into(),
                service_domain: domain.into(),
                categorization: categorization.into(),
                logical_address: PRODUCER.into(),
                business_object_instance_identifier: "NA".into(),
                clinical_process_interest_id: "NA".into(),
                most_recent_content: Some("20240115103000".into()),
                source_system: PRODUCER.into(),
                creation_time: None,
                update_time: None,
                data_controller: PRODUCER.into(),
                owner: None,
            },
        })
        .collect();
    let outcome = ei
        .update(&UpdateRequest { transactions })
        .await
        .expect("engagements stored");
    assert_eq!(outcome.response.result_code, "OK");
    (server, stop)
}

struct Case {
    ns: &'static str,
    /// npo's typed model keeps everything the maximal items carry (parsed and written again,
    /// they are equal).
    typed_keeps_all: bool,
    name: String,
    item: String,
    sent: Vec<String>,
    answer: String,
}

fn case<C: Contract>(on_envelope: bool) -> Case {
    let name = format!("{} {}", C::NAME, C::VERSION);
    let path = fixture::<C>();
    validate_fixture::<C>(&path);
    let doc = std::fs::read_to_string(&path).expect("fixture");
    let item = item_name::<C>(&doc);
    let sent = canonical_items(&path, C::NAMESPACE, &item);
    assert_eq!(sent.len(), 2, "{name}: two maximal items");
    // What npo's typed model keeps is less than the items carry: parsed and written again,
    // they would not arrive equal (so this test fails on an aggregator that re-serialises).
    let parsed = npo_riv::xml::parse(doc.as_bytes(), &Limits::default()).unwrap();
    let typed = C::parse_response(&parsed)
        .unwrap_or_else(|e| panic!("{name}: npo cannot read the maximal items: {e}"));
    let rewritten = canonical_items_of(&C::write_response(&typed), C::NAMESPACE, &item);
    Case {
        ns: C::NAMESPACE,
        typed_keeps_all: rewritten == sent,
        name,
        item,
        sent,
        answer: producer_answer(&doc, on_envelope),
    }
}

async fn fetch<C: Contract>(t: &TestFed, c: &Case) {
    let q = Query::for_patient(PersonId::personnummer(PATIENT));
    let req = C::write_request(&C::Request::from(q));
    // `post` validates the answer against the contract's schema.
    let r = post(&t.consumer, t.router(), envelope(t.agp(), &req), &[]).await;
    assert_eq!(r.status, 200, "{}: {}", c.name, r.body);
    let status = r.processing_status();
    let mine = status
        .records
        .iter()
        .find(|s| s.logical_address == PRODUCER)
        .unwrap_or_else(|| panic!("{}: no status for the producer: {}", c.name, r.body));
    assert_eq!(
        mine.status,
        StatusCode::DataFromSource,
        "{}: {:?}",
        c.name,
        mine.error
    );
    let mut got = canonical_items_of(&r.body, c.ns, &c.item);
    let mut sent = c.sent.clone();
    got.sort();
    sent.sort();
    assert_eq!(got.len(), sent.len(), "{}: {}", c.name, r.body);
    for (g, s) in got.iter().zip(&sent) {
        assert_eq!(g, s, "{}: the item changed on the way", c.name);
    }
}

#[tokio::test]
async fn every_contract_passes_maximal_items_through_unchanged() {
    let t = start(|_| {}).await;
    let mut cases = HashMap::new();
    let mut n = 0usize;
    macro_rules! cases {
        ($($c:ty),* $(,)?) => { $(
            n += 1;
            let c = case::<$c>(n % 2 == 0);
            cases.insert(c.ns, c);
        )* };
    }
    npo_riv::for_each_contract!(cases);
    assert_eq!(cases.len(), 19);
    // For all but two contracts the typed model drops something (extension elements at
    // least), so an aggregator that parses and writes items again fails this test.
    let mut typed_keeps_all: Vec<&str> = cases
        .values()
        .filter(|c| c.typed_keeps_all)
        .map(|c| c.name.as_str())
        .collect();
    typed_keeps_all.sort();
    assert_eq!(
        typed_keeps_all,
        ["GetCareContacts 2.0", "GetRequestActivities 1.0"]
    );
    let answers = cases
        .values()
        .map(|c| (c.ns.to_owned(), c.answer.clone()))
        .collect();
    let (server, stop) = start_producer(&t, answers).await;
    macro_rules! fetch_all {
        ($($c:ty),* $(,)?) => { $( fetch::<$c>(&t, &cases[<$c as Contract>::NAMESPACE]).await; )* };
    }
    npo_riv::for_each_contract!(fetch_all);
    stop.notify_one();
    let _ = server.await;
    t.shutdown().await;
}
