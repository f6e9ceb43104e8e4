//! Test support: a federation on random loopback ports over a fresh real database (SQLite or
//! PostgreSQL per `NPO_TEST_DB`), and a SOAP client that checks every SOAP response it gets
//! against the official XSDs.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use npo::config::Identity;
use npo::federation::{Federation, FederationSpec};
use npo_pki::{CertSpec, HttpsClient};
use npo_riv::headers::{HEADERS_NS, ProcessingStatus};
use npo_riv::{Envelope, Limits, soap};
use npo_store::testing::TestDb;

pub struct TestFed {
    pub fed: Federation,
    pub consumer: HttpsClient,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

/// Starts a demo federation (3 care givers, 3 patients), adjusted by `adjust`.
pub async fn start(adjust: impl FnOnce(&mut FederationSpec)) -> TestFed {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new().await.expect("test database");
    let mut spec = FederationSpec::demo(dir.path(), 3);
    spec.database_url = Some(db.url.clone());
    adjust(&mut spec);
    let fed = Federation::start(spec).await.expect("federation starts");
    let consumer = fed.consumer_client().expect("consumer client");
    TestFed {
        fed,
        consumer,
        _db: db,
        _dir: dir,
    }
}

impl TestFed {
    pub fn router(&self) -> &str {
        &self.fed.info.router_url
    }

    pub fn agp(&self) -> &str {
        &self.fed.info.aggregating_logical_address
    }

    /// A client presenting a certificate issued now by the federation's CA.
    pub fn client_with(&self, name: &str, spec: CertSpec) -> HttpsClient {
        let c = self.fed.pki.issue(name, &spec).expect("issue");
        npo::serve::client(
            &Identity {
                cert: c.cert_path,
                key: c.key_path,
            },
            &self.fed.info.ca,
        )
        .expect("client")
    }

    /// A client presenting an existing certificate of the federation (e.g. "router", "agp",
    /// "source-SE…").
    pub fn client_as(&self, name: &str) -> HttpsClient {
        let dir = self.fed.pki.dir();
        npo::serve::client(
            &Identity {
                cert: dir.join(format!("{name}.pem")),
                key: dir.join(format!("{name}.key")),
            },
            &self.fed.info.ca,
        )
        .expect("client")
    }

    /// Changes the catalogue through its store and makes the router use it at once.
    pub async fn change_catalogue(&self, change: impl Fn(&mut npo_tak::Catalogue)) {
        let p = &self.fed.platform;
        p.tak_store
            .modify(|c| {
                change(c);
                Ok(())
            })
            .await
            .expect("catalogue change");
        p.tak.reload(&p.tak_store).await.expect("catalogue reload");
    }

    pub async fn shutdown(self) {
        self.fed.shutdown().await;
    }
}

/// An HTTP answer.
pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn envelope(&self) -> Envelope {
        soap::parse_envelope(self.body.as_bytes(), &Limits::default()).expect("a SOAP envelope")
    }

    /// `VPnnn` of a router fault.
    pub fn fault_code(&self) -> Option<String> {
        let f = self.envelope().fault()?;
        Some(f.string.chars().take(5).collect())
    }

    pub fn processing_status(&self) -> ProcessingStatus {
        let env = self.envelope();
        let h = env
            .headers
            .iter()
            .find(|h| h.is(HEADERS_NS, "ProcessingStatus"))
            .expect("a ProcessingStatus header");
        ProcessingStatus::parse(h).expect("readable ProcessingStatus")
    }
}

/// POSTs `body` to `url` and, for SOAP answers, validates them against the official schemas
/// (with the documented corrections of `npo_riv::xsd::CORRECTIONS`).
pub async fn post(
    client: &HttpsClient,
    url: &str,
    body: impl Into<Bytes>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = hyper::Request::post(url).header("content-type", soap::CONTENT_TYPE);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(body.into())).expect("request"))
        .await
        .expect("an HTTP answer");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    let reply = Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
    };
    let is_xml = reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("xml"));
    if is_xml && let Err(e) = npo_riv::xsd::validate_envelope_corrected(reply.body.as_bytes()) {
        panic!(
            "npo wrote a message that does not validate: {e}\n{}",
            reply.body
        );
    }
    reply
}

/// A SOAP request envelope for `logical_address`.
pub fn envelope(logical_address: &str, body_xml: &str) -> String {
    soap::request(logical_address, body_xml)
}

/// Registers an outer block on `care_giver`'s records of `patient`, by `by` (a user there).
pub async fn block_outer(db: &npo_store::Db, patient: &str, care_giver: &str, by: &str) {
    npo_security::blocks::BlockStore::new(db.clone())
        .register(
            &npo_security::blocks::NewBlock {
                patient_id: patient.into(),
                kind: npo_security::blocks::BlockKind::Outer,
                care_giver_hsa_id: care_giver.into(),
                care_unit_hsa_id: None,
                period: None,
                excluded_types: vec![],
            },
            by,
        )
        .await
        .expect("the block is registered");
}
