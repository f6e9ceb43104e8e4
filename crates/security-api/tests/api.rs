//! The security API through real HTTPS with mutual TLS, against a fresh database (SQLite or
//! PostgreSQL per NPO_TEST_DB): certificates from a dev PKI, `npo_pki::serve_tls` on
//! 127.0.0.1, calls with `npo_pki::https_client`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{HeaderMap, Method, Request};
use npo_gate::{Gate, GateConfig};
use npo_pki::{CertSpec, DevPki, HttpsClient, client_config, https_client, server_config};
use npo_router::VpClient;
use npo_security::access_log::{
    AccessLog, Activity, LogConfig, NewEntry, Page, RecordRef, Resource,
};
use npo_security::blocks::BlockStore;
use npo_security::consent::ConsentStore;
use npo_security::directory::DirectoryStore;
use npo_security::relation::RelationStore;
use npo_security_api::{SecurityApi, router};
use npo_store::testing::TestDb;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const SERVER: &str = "SE2321000016-S100";
/// The calling system: in `allowed_systems`.
const SYSTEM: &str = "SE2321000016-S001";
/// A system with a valid certificate that is not allowed.
const STRANGER: &str = "SE2321000016-S999";
/// An allowed system registered for the region only.
const REGION_SYSTEM: &str = "SE2321000016-S002";
/// The administrator's certificate.
const ADMIN: &str = "SE5565594230-ADMIN";
/// The platform the API's gate asks for available patients (a stand-in here).
const ROUTER: &str = "SE5565594230-VP";

const REGION: &str = "SE2321000016-7P5T";
const SALEM: &str = "SE2321000016-A1B2";
const HUDDINGE: &str = "SE2321000016-A2";
const KOMMUN: &str = "SE2120003140-K001";
const HEMSJUKVARD: &str = "SE2120003140-H001";

/// Anna Lind, doctor at Salem (Region Stockholm).
const ANNA: (&str, &str) = ("SE2321000016-P001", "SE2321000016-U001");
/// Anna's administrative assignment, same unit.
const ANNA_ADMIN: (&str, &str) = ("SE2321000016-P001", "SE2321000016-U002");
/// Erik Berg, nurse in the municipality's home care.
const ERIK: (&str, &str) = ("SE2120003140-P002", "SE2120003140-U003");

const PATIENT: &str = "191212121212";
const OTHER_PATIENT: &str = "200001012384";
/// A patient with no care engagement at any care giver (the stand-in platform says no).
const UNAVAILABLE: &str = "194001079120";

fn directory() -> Value {
    // Every list ordered by HSA-id, as the export returns it.
    json!({
        "care_givers": [
            {"hsa_id": KOMMUN, "name": "Uppsala kommun", "org_no": "2120003140", "kind": "municipality"},
            {"hsa_id": REGION, "name": "Region Stockholm", "org_no": "2321000016", "kind": "region"},
        ],
        "care_units": [
            {"hsa_id": HEMSJUKVARD, "name": "Hemsjukvården Uppsala", "care_giver_hsa_id": KOMMUN},
            {"hsa_id": SALEM, "name": "Vårdcentralen Salem", "care_giver_hsa_id": REGION},
            {"hsa_id": HUDDINGE, "name": "Huddinge sjukhus", "care_giver_hsa_id": REGION},
        ],
        "persons": [
            {"hsa_id": ERIK.0, "given_name": "Erik", "family_name": "Berg", "title": "Sjuksköterska"},
            {"hsa_id": ANNA.0, "given_name": "Anna", "family_name": "Lind", "title": "Läkare"},
        ],
        "assignments": [
            {"hsa_id": ERIK.1, "person_hsa_id": ERIK.0, "name": "Sjuksköterska hemsjukvård",
             "care_unit_hsa_id": HEMSJUKVARD, "purpose": "Vård och behandling", "rights": ["Läsa;alla;SJF"]},
            {"hsa_id": ANNA.1, "person_hsa_id": ANNA.0, "name": "Distriktsläkare",
             "care_unit_hsa_id": SALEM, "purpose": "Vård och behandling", "rights": ["Läsa;alla;SJF", "Läsa;alla;VG"]},
            {"hsa_id": ANNA_ADMIN.1, "person_hsa_id": ANNA.0, "name": "Verksamhetsutvecklare",
             "care_unit_hsa_id": SALEM, "purpose": "Administration", "rights": ["Läsa;alla;VE"]},
        ],
        "systems": [
            {"hsa_id": SYSTEM, "name": "Journalsystem", "care_giver_hsa_id": REGION, "serves": [KOMMUN]},
            {"hsa_id": REGION_SYSTEM, "name": "Journalsystem Huddinge", "care_giver_hsa_id": REGION, "serves": []},
        ],
    })
}

/// `YYYYMMDDhhmmss`, Swedish local time, `hours` from now.
fn in_hours(hours: i64) -> String {
    npo_riv::time::timestamp(chrono::Utc::now() + chrono::Duration::hours(hours))
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    #[track_caller]
    fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    #[track_caller]
    fn expect_error(self, status: u16, message_part: &str) -> Reply {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.error().contains(message_part),
            "expected '{message_part}' in '{}'",
            self.error()
        );
        self
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    _db: TestDb,
    pki: DevPki,
    log: AccessLog,
    directory: DirectoryStore,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
    platform: JoinHandle<std::io::Result<()>>,
    client: HttpsClient,
    admin: HttpsClient,
}

/// The stand-in platform: answers AssertCareEngagement yes for every patient but
/// [`UNAVAILABLE`].
async fn assert_care_engagement(body: String) -> ([(&'static str, &'static str); 1], String) {
    let answer = npo_riv::accesscontrol::AssertCareEngagementResponse {
        has_care_engagement: !body.contains(UNAVAILABLE),
    };
    (
        [("content-type", "text/xml; charset=UTF-8")],
        npo_riv::soap::envelope("", &answer.write()),
    )
}

impl Fixture {
    /// A running API with an empty database, allowing [`SYSTEM`].
    async fn start() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let pki = DevPki::open_or_create(&tmp.path().join("pki"), "NPO Dev CA").unwrap();
        let server_id = pki
            .issue("server", &CertSpec::system(SERVER, "npo-security-api"))
            .unwrap()
            .identity()
            .unwrap();
        let test_db = TestDb::new().await.expect("test db");
        let db = test_db.connect().await.expect("connect and migrate");
        let log = AccessLog::start(db.clone(), LogConfig::default());
        // The stand-in platform, over mutual TLS like the real router.
        let router_id = pki
            .issue("router", &CertSpec::system(ROUTER, "router"))
            .unwrap()
            .identity()
            .unwrap();
        let router_tls = server_config(&router_id, Some(pki.ca_cert_path().as_path())).unwrap();
        let router_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let router_port = router_listener.local_addr().unwrap().port();
        let platform = tokio::spawn(npo_pki::serve_tls(
            router_listener,
            router_tls,
            axum::Router::new().route("/vp", axum::routing::post(assert_care_engagement)),
            std::future::pending::<()>(),
        ));
        let vp = VpClient::new(
            &format!("https://127.0.0.1:{router_port}/vp"),
            system_client(&pki, "security", SERVER),
        )
        .unwrap();
        let gate = Gate::new(
            GateConfig {
                system_hsa_id: SERVER.into(),
                aggregating_logical_address: "SE5565594230-AGP".into(),
            },
            vp,
            RelationStore::new(db.clone()),
            ConsentStore::new(db.clone()),
            BlockStore::new(db.clone()),
            log.clone(),
        )
        .with_directory(DirectoryStore::new(db.clone()));
        let api = Arc::new(SecurityApi {
            directory: DirectoryStore::new(db.clone()),
            consents: ConsentStore::new(db.clone()),
            relations: RelationStore::new(db.clone()),
            blocks: BlockStore::new(db.clone()),
            log: log.clone(),
            gate: Arc::new(gate),
            allowed_systems: vec![SYSTEM.to_owned(), REGION_SYSTEM.to_owned()],
            admin_systems: vec![ADMIN.to_owned()],
            max_directory_drop_percent: 20,
        });
        let tls = server_config(&server_id, Some(pki.ca_cert_path().as_path())).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(npo_pki::serve_tls(listener, tls, router(api), async {
            let _ = stopped.await;
        }));
        let client = system_client(&pki, "system", SYSTEM);
        let admin = system_client(&pki, "admin", ADMIN);
        Fixture {
            _tmp: tmp,
            _db: test_db,
            directory: DirectoryStore::new(db),
            pki,
            log,
            addr,
            stop: Some(stop),
            handle: Some(handle),
            platform,
            client,
            admin,
        }
    }

    /// A client presenting a system certificate with `hsa_id`.
    fn system_client(&self, name: &str, hsa_id: &str) -> HttpsClient {
        system_client(&self.pki, name, hsa_id)
    }

    /// A started API with [`directory`] imported through the API.
    async fn with_directory() -> Fixture {
        let f = Fixture::start().await;
        f.admin_put("/api/v1/directory", directory())
            .await
            .expect(200);
        f
    }

    async fn stop(mut self) {
        self.platform.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(15), handle)
                .await
                .expect("server did not stop")
                .expect("server task panicked")
                .expect("server failed");
        }
    }

    async fn call_with(
        &self,
        client: &HttpsClient,
        method: Method,
        path: &str,
        user: Option<(&str, &str)>,
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("https://127.0.0.1:{}{path}", self.addr.port()));
        if let Some((person, assignment)) = user {
            request = request
                .header("x-npo-user-hsaid", person)
                .header("x-npo-assignment-hsaid", assignment);
        }
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .unwrap();
        let response = tokio::time::timeout(Duration::from_secs(20), client.request(request))
            .await
            .expect("request timed out")
            .expect("request failed");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{status}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        // Every response, error or not.
        assert_eq!(
            headers.get(CACHE_CONTROL).map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{status} {body}"
        );
        if status >= 400 {
            assert!(
                body["error"].as_str().is_some_and(|m| !m.is_empty()),
                "{status}: not a JSON problem: {body}"
            );
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<(&str, &str)>,
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.call_with(&self.client, method, path, user, body).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None, None).await
    }

    async fn get_as(&self, user: (&str, &str), path: &str) -> Reply {
        self.call(Method::GET, path, Some(user), None).await
    }

    async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, None, Some(body)).await
    }

    /// As the administrator's certificate.
    async fn admin_put(&self, path: &str, body: Value) -> Reply {
        let body = serde_json::to_vec(&body).unwrap();
        self.call_with(&self.admin, Method::PUT, path, None, Some(body))
            .await
    }

    async fn admin_get(&self, path: &str) -> Reply {
        self.call_with(&self.admin, Method::GET, path, None, None)
            .await
    }

    /// Attests a relation between `user` and `patient`, through the API.
    async fn relate(&self, user: (&str, &str), patient: &str) {
        self.post_as(
            user,
            &format!("/api/v1/patients/{patient}/relations"),
            json!({"valid_to": in_hours(8)}),
        )
        .await
        .expect(201);
    }

    async fn post_as(&self, user: (&str, &str), path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(user), Some(body)).await
    }

    async fn post_raw_as(&self, user: (&str, &str), path: &str, body: &str) -> Reply {
        self.call_with(
            &self.client,
            Method::POST,
            path,
            Some(user),
            Some(body.as_bytes().to_vec()),
        )
        .await
    }
}

/// A client presenting a system certificate with `hsa_id` from `pki`.
fn system_client(pki: &DevPki, name: &str, hsa_id: &str) -> HttpsClient {
    let id = pki
        .issue(name, &CertSpec::system(hsa_id, name))
        .unwrap()
        .identity()
        .unwrap();
    https_client(client_config(&pki.ca_cert_path(), Some(&id)).unwrap())
}

#[tokio::test]
async fn directory_import_export_and_assignments() {
    let f = Fixture::start().await;
    // Empty at first.
    let empty = f.admin_get("/api/v1/directory").await.expect(200);
    assert_eq!(
        empty.body,
        json!({"care_givers": [], "care_units": [], "persons": [], "assignments": [], "systems": []})
    );

    f.admin_put("/api/v1/directory", directory())
        .await
        .expect(200);
    let exported = f.admin_get("/api/v1/directory").await.expect(200);
    assert_eq!(exported.body, directory());

    let assignments = f
        .get(&format!("/api/v1/persons/{}/assignments", ANNA.0))
        .await
        .expect(200);
    let list = assignments.body.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["hsa_id"], ANNA.1);
    assert_eq!(list[0]["care_unit_name"], "Vårdcentralen Salem");
    assert_eq!(list[0]["care_giver_hsa_id"], REGION);
    assert_eq!(list[0]["care_giver_name"], "Region Stockholm");
    assert_eq!(
        list[0]["rights"],
        json!([
            {"activity": "Läsa", "information_type": "alla", "scope": "SJF"},
            {"activity": "Läsa", "information_type": "alla", "scope": "VG"},
        ])
    );
    assert_eq!(list[1]["purpose"], "Administration");

    f.get("/api/v1/persons/SE2321000016-P404/assignments")
        .await
        .expect_error(404, "no person");
    f.get("/api/v1/persons/not-an-hsa-id/assignments")
        .await
        .expect_error(400, "not a valid HSA-id");

    // Invalid imports change nothing.
    let mut dangling = directory();
    dangling["assignments"][0]["care_unit_hsa_id"] = json!("SE2321000016-NOPE");
    f.admin_put("/api/v1/directory", dangling)
        .await
        .expect_error(400, "refers to unknown care unit");
    let mut bad_right = directory();
    bad_right["assignments"][1]["rights"] = json!(["Läsa;alla;XX"]);
    f.admin_put("/api/v1/directory", bad_right)
        .await
        .expect_error(400, "has a right that is not");
    let mut duplicate = directory();
    duplicate["persons"][1]["hsa_id"] = json!(ERIK.0);
    f.admin_put("/api/v1/directory", duplicate)
        .await
        .expect_error(400, "duplicate HSA-id");
    let mut unknown_field = directory();
    unknown_field["persons"][0]["email"] = json!("erik@example.org");
    f.admin_put("/api/v1/directory", unknown_field)
        .await
        .expect_error(400, "does not match the schema");
    let malformed = f
        .call_with(
            &f.admin,
            Method::PUT,
            "/api/v1/directory",
            None,
            Some(b"{\"care_givers\": [".to_vec()),
        )
        .await;
    malformed.expect_error(400, "not valid JSON");
    assert_eq!(
        f.admin_get("/api/v1/directory").await.expect(200).body,
        directory()
    );
    f.stop().await;
}

#[tokio::test]
async fn relations_register_check_and_cancel() {
    let f = Fixture::with_directory().await;
    let relations = format!("/api/v1/patients/{PATIENT}/relations");
    let current = format!("{relations}/current");

    f.get_as(ANNA, &current)
        .await
        .expect_error(404, "no current relation");
    let valid_to = in_hours(24);
    let created = f
        .post_as(ANNA, &relations, json!({"valid_to": valid_to}))
        .await
        .expect(201);
    let r = &created.body;
    assert_eq!(r["patient_id"], PATIENT);
    assert_eq!(r["person_hsa_id"], ANNA.0);
    assert_eq!(r["care_unit_hsa_id"], SALEM);
    assert_eq!(r["care_giver_hsa_id"], REGION);
    assert_eq!(r["valid_to"], valid_to.as_str());
    assert_eq!(r["cancelled_at"], Value::Null);
    let id = r["id"].as_str().unwrap().to_owned();

    let found = f.get_as(ANNA, &current).await.expect(200);
    assert_eq!(found.body["id"], id.as_str());
    // Only Anna's: Erik has none.
    f.get_as(ERIK, &current).await.expect(404);
    f.get_as(
        ERIK,
        &format!("/api/v1/patients/{OTHER_PATIENT}/relations/current"),
    )
    .await
    .expect(404);

    // Validation: nothing registered.
    f.post_as(ERIK, &relations, json!({"valid_to": in_hours(-1)}))
        .await
        .expect_error(400, "valid_to must be YYYYMMDDhhmmss");
    f.post_as(ERIK, &relations, json!({"valid_to": in_hours(24 * 91)}))
        .await
        .expect_error(400, "at most 90 days");
    f.post_as(ERIK, &relations, json!({"valid_to": "tomorrow"}))
        .await
        .expect_error(400, "valid_to must be");
    f.post_as(ERIK, &relations, json!({}))
        .await
        .expect_error(400, "lacks the field valid_to");
    f.post_as(
        ERIK,
        "/api/v1/patients/19121212121/relations",
        json!({"valid_to": in_hours(1)}),
    )
    .await
    .expect_error(400, "12 digits");
    f.get_as(ERIK, &current).await.expect(404);
    f.get_as(ANNA, "/api/v1/patients/1912121212AB/relations/current")
        .await
        .expect_error(400, "12 digits");

    // Cancel.
    let gone = f
        .call(
            Method::DELETE,
            &format!("/api/v1/relations/{id}"),
            Some(ANNA),
            None,
        )
        .await
        .expect(204);
    assert_eq!(gone.body, Value::Null);
    f.get_as(ANNA, &current).await.expect(404);
    f.call(
        Method::DELETE,
        &format!("/api/v1/relations/{id}"),
        Some(ANNA),
        None,
    )
    .await
    .expect_error(404, "no active relation");
    f.stop().await;
}

#[tokio::test]
async fn consents_emergency_access_cancel_delete_and_history() {
    let f = Fixture::with_directory().await;
    let consents = format!("/api/v1/patients/{PATIENT}/consents");
    let check = format!("{consents}/check");
    let emergency = format!("/api/v1/patients/{PATIENT}/emergency-access");
    f.relate(ANNA, PATIENT).await;
    f.relate(ERIK, PATIENT).await;

    f.get_as(ANNA, &check)
        .await
        .expect_error(404, "no active consent");
    let consent = f
        .post_as(
            ANNA,
            &consents,
            json!({"scope": "CareUnit", "valid_from": in_hours(0), "valid_to": in_hours(24 * 30)}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(consent["kind"], "Consent");
    assert_eq!(consent["scope"], "CareUnit");
    assert_eq!(consent["care_unit_hsa_id"], SALEM);
    assert_eq!(consent["person_hsa_id"], Value::Null);
    assert_eq!(consent["registered_by"], ANNA.0);
    let consent_id = consent["id"].as_str().unwrap().to_owned();

    // The unit's consent covers every assignment at the unit, not other units.
    assert_eq!(
        f.get_as(ANNA, &check).await.expect(200).body["id"],
        consent_id.as_str()
    );
    // An administrative assignment acts for nobody (not for care and treatment).
    f.get_as(ANNA_ADMIN, &check)
        .await
        .expect_error(403, "purpose");
    f.get_as(ERIK, &check).await.expect(404);

    // Validation: nothing registered.
    f.post_as(
        ERIK,
        &consents,
        json!({"scope": "Person", "valid_from": in_hours(2), "valid_to": in_hours(1)}),
    )
    .await
    .expect_error(400, "validity period");
    f.post_as(
        ERIK,
        &consents,
        json!({"scope": "Person", "valid_from": "2025-01-01", "valid_to": in_hours(1)}),
    )
    .await
    .expect_error(400, "valid_from must be YYYYMMDDhhmmss");
    f.post_as(
        ERIK,
        &consents,
        json!({"scope": "Everyone", "valid_from": in_hours(0), "valid_to": in_hours(1)}),
    )
    .await
    .expect_error(400, "does not match the schema");
    f.post_as(
        ERIK,
        &consents,
        json!({"patient_id": PATIENT, "scope": "Person", "valid_from": in_hours(0), "valid_to": in_hours(1)}),
    )
    .await
    .expect_error(400, "does not match the schema");
    f.post_raw_as(ERIK, &consents, "not json")
        .await
        .expect_error(400, "not valid JSON");
    f.post_as(
        ERIK,
        &emergency,
        json!({"reason": "Medvetslös", "hours": 25}),
    )
    .await
    .expect_error(400, "at most 24 hours");
    f.post_as(ERIK, &emergency, json!({"reason": "  ", "hours": 2}))
        .await
        .expect_error(400, "needs a reason");
    f.post_as(
        ERIK,
        "/api/v1/patients/x/emergency-access",
        json!({"reason": "Medvetslös", "hours": 2}),
    )
    .await
    .expect_error(400, "12 digits");
    assert_eq!(
        f.get_as(ANNA, &consents)
            .await
            .expect(200)
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    f.get_as(ERIK, &check).await.expect(404);

    // Emergency access for Erik personally.
    let em = f
        .post_as(
            ERIK,
            &emergency,
            json!({"reason": "Medvetslös, akut", "hours": 2}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(em["kind"], "Emergency");
    assert_eq!(em["scope"], "Person");
    assert_eq!(em["person_hsa_id"], ERIK.0);
    assert_eq!(em["reason"], "Medvetslös, akut");
    assert_eq!(em["care_giver_hsa_id"], KOMMUN);
    let em_id = em["id"].as_str().unwrap().to_owned();
    let checked = f.get_as(ERIK, &check).await.expect(200).body;
    assert_eq!(checked["id"], em_id.as_str());
    assert_eq!(checked["kind"], "Emergency");

    // Cancel the consent (the patient's wish).
    f.call(
        Method::POST,
        &format!("/api/v1/consents/{consent_id}/cancel"),
        Some(ANNA),
        None,
    )
    .await
    .expect(204);
    f.get_as(ANNA, &check).await.expect(404);
    f.call(
        Method::POST,
        &format!("/api/v1/consents/{consent_id}/cancel"),
        Some(ANNA),
        None,
    )
    .await
    .expect_error(409, "already cancelled or deleted");
    f.call(
        Method::POST,
        "/api/v1/consents/no-such-id/cancel",
        Some(ANNA),
        None,
    )
    .await
    .expect_error(404, "no consent");

    // Delete the emergency access (a wrong registration).
    let delete = format!("/api/v1/consents/{em_id}/delete");
    f.post_as(ERIK, &delete, json!({"reason": ""}))
        .await
        .expect_error(400, "needs a reason");
    f.post_as(ERIK, &delete, json!({}))
        .await
        .expect_error(400, "lacks the field reason");
    f.get_as(ERIK, &check).await.expect(200);
    f.post_as(ERIK, &delete, json!({"reason": "Fel patient"}))
        .await
        .expect(204);
    f.get_as(ERIK, &check).await.expect(404);
    f.post_as(ERIK, &delete, json!({"reason": "Fel patient"}))
        .await
        .expect(409);

    // History, newest first, with what happened.
    let history = f.get_as(ANNA, &consents).await.expect(200).body;
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    let by_id = |id: &str| history.iter().find(|c| c["id"] == id).unwrap().clone();
    let cancelled = by_id(&consent_id);
    assert!(cancelled["cancelled_at"].is_string());
    assert_eq!(cancelled["cancelled_by"], ANNA.0);
    assert_eq!(cancelled["deleted_at"], Value::Null);
    let deleted = by_id(&em_id);
    assert!(deleted["deleted_at"].is_string());
    assert_eq!(deleted["deleted_by"], ERIK.0);
    assert_eq!(deleted["deleted_reason"], "Fel patient");
    // Listing takes a relation with the patient.
    f.get_as(ANNA, &format!("/api/v1/patients/{OTHER_PATIENT}/consents"))
        .await
        .expect_error(403, "relation");
    f.get_as(ANNA, "/api/v1/patients/123/consents")
        .await
        .expect_error(400, "12 digits");
    f.stop().await;
}

#[tokio::test]
async fn blocks_register_revoke_temporary_revoke_and_history() {
    let f = Fixture::with_directory().await;
    let blocks = format!("/api/v1/patients/{PATIENT}/blocks");
    f.relate(ANNA, PATIENT).await;
    f.relate(ERIK, PATIENT).await;

    // The patient blocks the municipality's records (at the municipality) and Huddinge's (at
    // the region).
    let outer = f
        .post_as(
            ERIK,
            &blocks,
            json!({"kind": "Outer", "care_giver_hsa_id": KOMMUN}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(outer["kind"], "Outer");
    assert_eq!(outer["care_unit_hsa_id"], Value::Null);
    assert_eq!(outer["period"], Value::Null);
    assert_eq!(outer["excluded_types"], json!([]));
    assert_eq!(outer["registered_by"], ERIK.0);
    assert_eq!(outer["temporary_revokes"], json!([]));
    let outer_id = outer["id"].as_str().unwrap().to_owned();

    let inner = f
        .post_as(
            ANNA,
            &blocks,
            json!({
                "kind": "Inner", "care_giver_hsa_id": REGION, "care_unit_hsa_id": HUDDINGE,
                "period": {"from": "20200101000000", "to": "20231231235959"},
                "excluded_types": ["upp", "lak", "upp"],
            }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(inner["care_unit_hsa_id"], HUDDINGE);
    assert_eq!(
        inner["period"],
        json!({"from": "20200101000000", "to": "20231231235959"})
    );
    assert_eq!(inner["excluded_types"], json!(["lak", "upp"]));
    let inner_id = inner["id"].as_str().unwrap().to_owned();

    // Validation: nothing registered.
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Inner", "care_giver_hsa_id": REGION}),
    )
    .await
    .expect_error(400, "must name the blocked care unit");
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Outer", "care_giver_hsa_id": REGION, "care_unit_hsa_id": SALEM}),
    )
    .await
    .expect_error(400, "must not name a care unit");
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Outer", "care_giver_hsa_id": REGION, "excluded_types": ["dia"]}),
    )
    .await
    .expect_error(400, "only the information types lak and upp");
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Outer", "care_giver_hsa_id": REGION,
               "period": {"from": "20240101000000", "to": "20230101000000"}}),
    )
    .await
    .expect_error(400, "ends before it starts");
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Outer", "care_giver_hsa_id": "Region Stockholm"}),
    )
    .await
    .expect_error(403, "by the care giver it is on");
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Outer", "care_giver_hsa_id": REGION, "period": {"from": "20200101000000"}}),
    )
    .await
    .expect_error(400, "lacks the field to");
    assert_eq!(
        f.get_as(ANNA, &blocks)
            .await
            .expect(200)
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Temporary revokes.
    let temporary = format!("/api/v1/blocks/{outer_id}/temporary-revokes");
    let until = in_hours(24 * 7);
    let for_unit = f
        .post_as(
            ANNA,
            &temporary,
            json!({"for": {"care_unit": SALEM}, "reason": "PatientConsent", "valid_until": until}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(for_unit["block_id"], outer_id.as_str());
    assert_eq!(for_unit["for"], json!({"care_unit": SALEM}));
    assert_eq!(for_unit["reason"], "PatientConsent");
    assert_eq!(for_unit["valid_until"], until.as_str());
    assert_eq!(for_unit["registered_by"], ANNA.0);
    f.post_as(
        ANNA,
        &temporary,
        json!({"for": {"employee": {"person_hsa_id": ANNA.0, "care_unit_hsa_id": SALEM}}, "reason": "Emergency", "valid_until": in_hours(2)}),
    )
    .await
    .expect(201);
    f.post_as(
        ANNA,
        &temporary,
        json!({"for": {"employee": {"person_hsa_id": ANNA.0, "care_unit_hsa_id": SALEM}}, "reason": "Emergency", "valid_until": in_hours(-2)}),
    )
    .await
    .expect_error(400, "must end in the future");
    f.post_as(
        ANNA,
        &temporary,
        json!({"for": {"employee": {"person_hsa_id": ANNA.0, "care_unit_hsa_id": SALEM}}, "reason": "Emergency", "valid_until": in_hours(24 * 40)}),
    )
    .await
    .expect_error(400, "at most 30 days");
    f.post_as(
        ANNA,
        &temporary,
        json!({"for": {"team": ANNA.0}, "reason": "Emergency", "valid_until": in_hours(2)}),
    )
    .await
    .expect_error(400, "does not match the schema");
    f.post_as(
        ANNA,
        "/api/v1/blocks/no-such-block/temporary-revokes",
        json!({"for": {"employee": {"person_hsa_id": ANNA.0, "care_unit_hsa_id": SALEM}}, "reason": "Emergency", "valid_until": in_hours(2)}),
    )
    .await
    .expect_error(404, "no block");

    // Revoke and delete for good.
    let revoke = format!("/api/v1/blocks/{outer_id}/revoke");
    f.call(Method::POST, &revoke, Some(ERIK), None)
        .await
        .expect(204);
    f.call(Method::POST, &revoke, Some(ERIK), None)
        .await
        .expect_error(409, "already revoked or deleted");
    f.post_as(
        ANNA,
        &temporary,
        json!({"for": {"employee": {"person_hsa_id": ANNA.0, "care_unit_hsa_id": SALEM}}, "reason": "Emergency", "valid_until": in_hours(2)}),
    )
    .await
    .expect(409);
    f.call(
        Method::POST,
        &format!("/api/v1/blocks/{inner_id}/delete"),
        Some(ANNA),
        None,
    )
    .await
    .expect(204);
    f.call(
        Method::POST,
        "/api/v1/blocks/no-such-block/delete",
        Some(ANNA),
        None,
    )
    .await
    .expect_error(404, "no block");

    let history = f.get_as(ANNA, &blocks).await.expect(200).body;
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    let by_id = |id: &str| history.iter().find(|b| b["id"] == id).unwrap().clone();
    let outer = by_id(&outer_id);
    assert!(outer["revoked_at"].is_string());
    assert_eq!(outer["deleted_at"], Value::Null);
    let revokes = outer["temporary_revokes"].as_array().unwrap();
    assert_eq!(revokes.len(), 2);
    assert!(
        revokes.iter().any(|r| r["for"]
            == json!({"employee": {"person_hsa_id": ANNA.0, "care_unit_hsa_id": SALEM}}))
    );
    assert!(by_id(&inner_id)["deleted_at"].is_string());
    f.get_as(ANNA, &format!("/api/v1/patients/{OTHER_PATIENT}/blocks"))
        .await
        .expect_error(403, "relation");
    f.stop().await;
}

/// The region's log auditor (purpose `Uppföljning av åtkomst`), at Salem.
const REGION_AUDITOR: (&str, &str) = ("SE2321000016-P010", "SE2321000016-U010");
/// The municipality's log auditor, in the home care.
const KOMMUN_AUDITOR: (&str, &str) = ("SE2120003140-P010", "SE2120003140-U010");

/// The test directory with one log auditor per care giver.
fn directory_with_auditors() -> Value {
    let mut d = directory();
    for ((person, assignment), unit) in [(REGION_AUDITOR, SALEM), (KOMMUN_AUDITOR, HEMSJUKVARD)] {
        d["persons"].as_array_mut().unwrap().push(json!({
            "hsa_id": person, "given_name": "Lena", "family_name": "Loggström", "title": "Loggranskare"
        }));
        d["assignments"].as_array_mut().unwrap().push(json!({
            "hsa_id": assignment, "person_hsa_id": person, "name": "Loggranskare",
            "care_unit_hsa_id": unit, "purpose": npo_security::access_log::PURPOSE_LOG_FOLLOW_UP,
            "rights": []
        }));
    }
    d
}

/// Reading the access log needs the log-auditor role, shows only the auditor's own care giver's
/// users' entries (never another care giver's), and every read is itself logged. The patient's
/// own view is not in this API (it is GetAccessLogsForPatient, through the platform).
#[tokio::test]
async fn access_log_is_read_by_log_auditors_of_their_own_care_giver_only() {
    let f = Fixture::start().await;
    f.admin_put("/api/v1/directory", directory_with_auditors())
        .await
        .expect(200);
    let anna = f.directory.actor(ANNA.0, ANNA.1).await.unwrap().unwrap();
    let erik = f.directory.actor(ERIK.0, ERIK.1).await.unwrap().unwrap();
    let entry =
        |actor: &npo_security::Actor, patient: &str, activity, giver: &str, unit: &str| NewEntry {
            system_hsa_id: SYSTEM.into(),
            activity,
            purpose: "Vård och behandling".into(),
            actor: actor.clone(),
            resource: Resource {
                information_type: "dia".into(),
                patient_id: patient.into(),
                care_giver_hsa_id: giver.into(),
                care_unit_hsa_id: unit.into(),
                records: vec![RecordRef {
                    source_system_hsa_id: "SE2120003140-S001".into(),
                    document_id: "dia-1".into(),
                }],
            },
        };
    // Anna (region) reads the patient's municipal records (coherent), then under emergency
    // access, then with a block lifted under emergency access; Erik (municipality) reads
    // another patient's at his own unit.
    for e in [
        entry(&anna, PATIENT, Activity::Read, KOMMUN, HEMSJUKVARD),
        entry(&anna, PATIENT, Activity::Emergency, KOMMUN, HEMSJUKVARD),
        entry(
            &anna,
            PATIENT,
            Activity::EmergencyBlockRevoked,
            KOMMUN,
            HEMSJUKVARD,
        ),
        entry(&erik, OTHER_PATIENT, Activity::Read, KOMMUN, HEMSJUKVARD),
    ] {
        f.log.append(vec![e]).await.unwrap();
    }

    // Without a user, or as a user without the auditor role: refused, nothing recorded.
    f.get(&format!("/api/v1/access-log?patient={PATIENT}"))
        .await
        .expect_error(403, "acts for a user");
    f.get("/api/v1/access-log/follow-up?from=20240101&to=20991231")
        .await
        .expect_error(403, "acts for a user");
    for user in [ANNA, ANNA_ADMIN, ERIK] {
        f.get_as(user, &format!("/api/v1/access-log?patient={PATIENT}"))
            .await
            .expect_error(403, "no right to read the access log");
        f.get_as(
            user,
            "/api/v1/access-log/follow-up?from=20240101&to=20991231",
        )
        .await
        .expect_error(403, "no right to read the access log");
    }
    assert!(f.log.reads(Page::first(100)).await.unwrap().is_empty());
    // The patient's own view is not in the consumer API.
    f.get_as(
        REGION_AUDITOR,
        &format!("/api/v1/patients/{PATIENT}/access-log"),
    )
    .await
    .expect_error(404, "no such endpoint");

    let count = |body: &Value| body["entries"].as_array().unwrap().len();
    let page = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log?patient={PATIENT}"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (page["offset"].clone(), page["limit"].clone()),
        (json!(0), json!(100))
    );
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    // Newest first.
    assert_eq!(entries[0]["activity"], "Nödöppning, hävd spärr");
    assert_eq!(entries[1]["activity"], "Nödöppning");
    assert_eq!(entries[2]["activity"], "Läsa");
    assert_eq!(entries[2]["user_hsa_id"], ANNA.0);
    assert_eq!(entries[2]["user_name"], "Anna Lind");
    assert_eq!(entries[2]["user_assignment_hsa_id"], ANNA.1);
    assert_eq!(entries[2]["user_care_unit_name"], "Vårdcentralen Salem");
    assert_eq!(entries[2]["resource_care_giver_hsa_id"], KOMMUN);
    assert_eq!(entries[2]["system_hsa_id"], SYSTEM);
    assert_eq!(
        entries[2]["records"],
        json!([{"source_system_hsa_id": "SE2120003140-S001", "document_id": "dia-1"}])
    );

    // Never another care giver's users: the region's auditor does not see Erik, the
    // municipality's auditor does not see Anna (though she read the municipality's records).
    let erik_by_region = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log?user={}", ERIK.0),
        )
        .await
        .expect(200);
    assert_eq!(count(&erik_by_region.body), 0);
    let other_patient_by_region = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log?patient={OTHER_PATIENT}"),
        )
        .await
        .expect(200);
    assert_eq!(count(&other_patient_by_region.body), 0);
    let patient_by_kommun = f
        .get_as(
            KOMMUN_AUDITOR,
            &format!("/api/v1/access-log?patient={PATIENT}"),
        )
        .await
        .expect(200);
    assert_eq!(count(&patient_by_kommun.body), 0);
    let by_user = f
        .get_as(
            KOMMUN_AUDITOR,
            &format!("/api/v1/access-log?user={}", ERIK.0),
        )
        .await
        .expect(200);
    assert_eq!(count(&by_user.body), 1);
    assert_eq!(by_user.body["entries"][0]["patient_id"], OTHER_PATIENT);
    let by_region = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log?care_giver={REGION}"),
        )
        .await
        .expect(200);
    assert_eq!(count(&by_region.body), 3);
    f.get_as(
        REGION_AUDITOR,
        &format!("/api/v1/access-log?care_giver={KOMMUN}"),
    )
    .await
    .expect_error(403, "only the entries of their own care giver");

    // Pages.
    let first = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log?user={}&limit=1", ANNA.0),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(count(&first), 1);
    assert_eq!(first["entries"][0]["activity"], "Nödöppning, hävd spärr");
    let second = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log?user={}&limit=1&offset=1", ANNA.0),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(second["offset"], 1);
    assert_eq!(second["entries"][0]["activity"], "Nödöppning");
    let capped = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log?user={}&limit=100000", ANNA.0),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(capped["limit"], 500);

    // Exactly one filter, valid values.
    let fixture = &f;
    let auditor_get = |path: String| async move { fixture.get_as(REGION_AUDITOR, &path).await };
    auditor_get("/api/v1/access-log".into())
        .await
        .expect_error(400, "exactly one of patient, user and care_giver");
    auditor_get(format!(
        "/api/v1/access-log?patient={PATIENT}&user={}",
        ANNA.0
    ))
    .await
    .expect_error(400, "exactly one");
    auditor_get(format!(
        "/api/v1/access-log?user={}&care_giver={REGION}",
        ANNA.0
    ))
    .await
    .expect_error(400, "exactly one");
    auditor_get("/api/v1/access-log?offset=5".into())
        .await
        .expect_error(400, "exactly one");
    auditor_get("/api/v1/access-log?patient=19121212".into())
        .await
        .expect_error(400, "12 digits");
    auditor_get("/api/v1/access-log?user=Anna".into())
        .await
        .expect_error(400, "user must be an HSA-id");
    auditor_get("/api/v1/access-log?care_giver=Region".into())
        .await
        .expect_error(400, "care_giver must be an HSA-id");
    let bad_limit = auditor_get(format!("/api/v1/access-log?patient={PATIENT}&limit=many"))
        .await
        .expect(400);
    assert!(!bad_limit.error().contains(PATIENT));
    auditor_get(format!("/api/v1/access-log?patient={PATIENT}&name=x"))
        .await
        .expect(400);

    // Follow-up of today, of the auditor's own care giver's users: the block lifted under
    // emergency access is among the emergency accesses.
    let today = npo_riv::time::today();
    let report = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log/follow-up?from={today}&to={today}&threshold=0"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(report["from"], format!("{today}000000"));
    assert_eq!(report["to"], format!("{today}235959"));
    assert_eq!(report["threshold"], 0);
    let emergency = report["emergency"].as_array().unwrap();
    assert_eq!(emergency.len(), 2);
    assert_eq!(emergency[0]["activity"], "Nödöppning, hävd spärr");
    assert_eq!(emergency[1]["activity"], "Nödöppning");
    assert!(emergency.iter().all(|e| e["user_hsa_id"] == ANNA.0));
    assert_eq!(report["emergency_truncated"], false);
    // Anna (region) read municipal records three times.
    assert_eq!(report["coherent"].as_array().unwrap().len(), 3);
    let heavy = report["heavy_users"].as_array().unwrap();
    assert_eq!(heavy.len(), 1);
    assert_eq!(heavy[0]["user_hsa_id"], ANNA.0);
    let kommun = f
        .get_as(
            KOMMUN_AUDITOR,
            &format!("/api/v1/access-log/follow-up?from={today}&to={today}&threshold=0"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(kommun["emergency"], json!([]));
    assert_eq!(kommun["coherent"], json!([]));
    assert_eq!(kommun["heavy_users"][0]["user_hsa_id"], ERIK.0);
    assert!(!kommun.to_string().contains(ANNA.0));
    let default_threshold = f
        .get_as(
            REGION_AUDITOR,
            &format!("/api/v1/access-log/follow-up?from={today}&to={today}"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        default_threshold["threshold"],
        npo_security_api::DEFAULT_FOLLOW_UP_THRESHOLD
    );
    assert_eq!(default_threshold["heavy_users"], json!([]));
    auditor_get(format!(
        "/api/v1/access-log/follow-up?from=yesterday&to={today}"
    ))
    .await
    .expect_error(400, "from must be YYYYMMDDhhmmss or YYYYMMDD");
    auditor_get(format!("/api/v1/access-log/follow-up?from={today}"))
        .await
        .expect_error(400, "to");

    // Every read that returned something was recorded: who, assignment, system, purpose and
    // what was asked.
    let reads = f.log.reads(Page::first(100)).await.unwrap();
    assert_eq!(reads.len(), 12, "{reads:#?}");
    assert!(reads.iter().all(|r| r.system_hsa_id == SYSTEM
        && r.purpose == npo_security::access_log::PURPOSE_LOG_FOLLOW_UP
        && r.user_hsa_id.is_some()
        && r.user_assignment_hsa_id.is_some()));
    let first_read = reads.last().unwrap();
    assert_eq!(
        (
            first_read.user_hsa_id.as_deref(),
            first_read.user_assignment_hsa_id.as_deref(),
            first_read.user_care_giver_hsa_id.as_deref(),
            first_read.query_kind.as_str(),
        ),
        (
            Some(REGION_AUDITOR.0),
            Some(REGION_AUDITOR.1),
            Some(REGION),
            "patient"
        )
    );
    assert!(first_read.query_value.starts_with(PATIENT));
    assert_eq!(reads[0].query_kind, "follow_up");
    f.stop().await;
}

#[tokio::test]
async fn only_allowed_systems_and_known_users_get_through() {
    let f = Fixture::with_directory().await;
    let relations = format!("/api/v1/patients/{PATIENT}/relations");
    let body = json!({"valid_to": in_hours(1)});

    // A system with a valid certificate that is not allowed: refused, whatever it asks.
    let stranger = f.system_client("stranger", STRANGER);
    for (method, path) in [
        (Method::GET, "/api/v1/directory"),
        (Method::PUT, "/api/v1/directory"),
        (Method::GET, "/api/v1/openapi.json"),
        (Method::GET, "/api/v1/no-such-thing"),
    ] {
        f.call_with(&stranger, method, path, Some(ANNA), Some(b"{}".to_vec()))
            .await
            .expect_error(403, "this system may not use the security API");
    }
    let refused = f
        .call_with(
            &stranger,
            Method::POST,
            &relations,
            Some(ANNA),
            Some(serde_json::to_vec(&body).unwrap()),
        )
        .await
        .expect(403);
    assert!(refused.error().contains("this system"));
    // The directory was not emptied by the refused PUT.
    assert_eq!(
        f.admin_get("/api/v1/directory").await.expect(200).body,
        directory()
    );

    // Users: missing, unknown, or an assignment that is not theirs.
    f.call(Method::POST, &relations, None, Some(body.clone()))
        .await
        .expect_error(403, "x-npo-user-hsaid");
    f.post_as(("SE2321000016-P999", ANNA.1), &relations, body.clone())
        .await
        .expect_error(403, "unknown user or assignment");
    f.post_as((ANNA.0, "SE2321000016-U999"), &relations, body.clone())
        .await
        .expect_error(403, "unknown user or assignment");
    f.post_as((ANNA.0, ERIK.1), &relations, body.clone())
        .await
        .expect_error(403, "not the user's");
    f.post_as(("", ANNA.1), &relations, body.clone())
        .await
        .expect(403);
    f.get_as((ERIK.0, ANNA.1), &format!("{relations}/current"))
        .await
        .expect(403);
    for path in [
        format!("/api/v1/patients/{PATIENT}/consents/check"),
        "/api/v1/consents/x/cancel".to_owned(),
        "/api/v1/blocks/x/revoke".to_owned(),
    ] {
        let method = if path.ends_with("check") {
            Method::GET
        } else {
            Method::POST
        };
        f.call(method, &path, Some((ERIK.0, ANNA.1)), None)
            .await
            .expect(403);
    }
    // Nothing was registered.
    f.get_as(ANNA, &format!("{relations}/current"))
        .await
        .expect(404);

    // Bodies: at most 16 KiB, but a directory may be larger.
    let huge = format!(
        "{{\"valid_to\": \"{}\"{}}}",
        in_hours(1),
        " ".repeat(3 << 20)
    );
    f.post_raw_as(ANNA, &relations, &huge)
        .await
        .expect_error(413, "too large");
    let mut padded = serde_json::to_string(&directory()).unwrap();
    padded.push_str(&" ".repeat(3 << 20));
    f.call_with(
        &f.admin,
        Method::PUT,
        "/api/v1/directory",
        None,
        Some(padded.into_bytes()),
    )
    .await
    .expect(200);

    // Unknown endpoints and methods are JSON problems too.
    f.get("/api/v1/nothing-here")
        .await
        .expect_error(404, "no such endpoint");
    let wrong_method = f
        .call(Method::DELETE, "/api/v1/directory", None, None)
        .await
        .expect(405);
    assert!(wrong_method.headers.contains_key(ALLOW));
    assert_eq!(
        wrong_method.headers[CONTENT_TYPE].to_str().unwrap(),
        "application/json"
    );
    f.stop().await;
}

/// The directory is changed only by an administrator: a consumer system can neither read nor
/// replace it (a test once gave a unit-only physician cross-care-giver rights that way); an
/// empty or half directory is refused; every replacement is in the audit trail.
#[tokio::test]
async fn the_directory_is_changed_only_by_an_administrator_never_empty_or_half_and_audited() {
    let f = Fixture::with_directory().await;
    let mut escalated = directory();
    escalated["assignments"][1]["rights"] =
        json!(["Läsa;alla;SJF", "Läsa;alla;VG", "Läsa;alla;VE"]);
    f.put("/api/v1/directory", escalated.clone())
        .await
        .expect_error(403, "administrator");
    f.get("/api/v1/directory")
        .await
        .expect_error(403, "administrator");
    f.get("/api/v1/directory/audit")
        .await
        .expect_error(403, "administrator");
    assert_eq!(
        f.admin_get("/api/v1/directory").await.expect(200).body,
        directory()
    );

    // Empty: refused.
    f.admin_put("/api/v1/directory", json!({}))
        .await
        .expect_error(400, "must hold care givers");
    let mut no_people = directory();
    no_people["persons"] = json!([]);
    no_people["assignments"] = json!([]);
    f.admin_put("/api/v1/directory", no_people)
        .await
        .expect_error(400, "must hold care givers");
    // Half: Erik and his assignment gone (half the persons): refused, only the CLI may force.
    let mut half = directory();
    half["persons"].as_array_mut().unwrap().remove(0);
    half["assignments"].as_array_mut().unwrap().remove(0);
    f.admin_put("/api/v1/directory", half)
        .await
        .expect_error(400, "npo directory import --force");
    assert_eq!(
        f.admin_get("/api/v1/directory").await.expect(200).body,
        directory()
    );

    // The audit trail: the first import only, by the administrator's certificate.
    let trail = f
        .admin_get("/api/v1/directory/audit")
        .await
        .expect(200)
        .body;
    let trail = trail.as_array().unwrap().clone();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0]["changed_by"], ADMIN);
    assert_eq!(trail[0]["via"], "api");
    assert_eq!(trail[0]["forced"], false);
    assert_eq!(trail[0]["before"]["persons"], 0);
    assert_eq!(trail[0]["after"]["persons"], 2);
    assert_eq!(trail[0]["after"]["assignments"], 3);
    // An accepted change is audited with what changed.
    let audited = f
        .admin_put("/api/v1/directory", escalated.clone())
        .await
        .expect(200)
        .body;
    assert_eq!(audited["before"]["assignments"], 3);
    assert_ne!(audited["digest_before"], audited["digest_after"]);
    assert_eq!(audited["digest_before"], trail[0]["digest_after"]);
    let trail = f
        .admin_get("/api/v1/directory/audit")
        .await
        .expect(200)
        .body;
    assert_eq!(trail.as_array().unwrap().len(), 2);
    assert_eq!(trail[0]["id"], audited["id"]);
    f.stop().await;
}

/// A consumer system acts only for users of the care givers the directory registers it for,
/// in assignments for care and treatment.
#[tokio::test]
async fn a_system_acts_only_for_users_of_the_care_givers_it_serves() {
    let f = Fixture::with_directory().await;
    let region_only = f.system_client("region", REGION_SYSTEM);
    let relations = format!("/api/v1/patients/{PATIENT}/relations");
    let body = serde_json::to_vec(&json!({"valid_to": in_hours(8)})).unwrap();
    f.call_with(
        &region_only,
        Method::POST,
        &relations,
        Some(ERIK),
        Some(body.clone()),
    )
    .await
    .expect_error(
        403,
        "not registered in the directory for the user's care giver",
    );
    f.call_with(
        &region_only,
        Method::GET,
        &format!("{relations}/current"),
        Some(ERIK),
        None,
    )
    .await
    .expect(403);
    f.get_as(ERIK, &format!("{relations}/current"))
        .await
        .expect_error(404, "no current relation");
    f.call_with(
        &region_only,
        Method::POST,
        &relations,
        Some(ANNA),
        Some(body),
    )
    .await
    .expect(201);
    // An administrative assignment acts for nobody.
    f.post_as(ANNA_ADMIN, &relations, json!({"valid_to": in_hours(8)}))
        .await
        .expect_error(403, "purpose");
    f.stop().await;
}

/// Who may cancel, delete or revoke follows the rules: the care giver that registered it; a
/// temporary revoke only for the acting user's own unit or the user at that unit; a relation
/// only by its user. Lists take a user with a relation; registrations an available patient.
#[tokio::test]
async fn registrations_are_changed_only_by_whom_the_rules_allow() {
    let f = Fixture::with_directory().await;
    f.relate(ANNA, PATIENT).await;
    f.relate(ERIK, PATIENT).await;
    let consents = format!("/api/v1/patients/{PATIENT}/consents");
    let blocks = format!("/api/v1/patients/{PATIENT}/blocks");

    // Anna's unit has the patient's consent; Erik (another care giver) cannot end it.
    let consent = f
        .post_as(
            ANNA,
            &consents,
            json!({"scope": "CareUnit", "valid_from": in_hours(0), "valid_to": in_hours(24)}),
        )
        .await
        .expect(201)
        .body;
    let consent_id = consent["id"].as_str().unwrap();
    f.call(
        Method::POST,
        &format!("/api/v1/consents/{consent_id}/cancel"),
        Some(ERIK),
        None,
    )
    .await
    .expect_error(403, "only the care giver that registered");
    f.post_as(
        ERIK,
        &format!("/api/v1/consents/{consent_id}/delete"),
        json!({"reason": "Fel patient"}),
    )
    .await
    .expect_error(403, "only the care giver that registered");
    f.get_as(ANNA, &format!("{consents}/check"))
        .await
        .expect(200);

    // The municipality's block; the region's users can neither revoke nor delete it.
    let block = f
        .post_as(
            ERIK,
            &blocks,
            json!({"kind": "Outer", "care_giver_hsa_id": KOMMUN}),
        )
        .await
        .expect(201)
        .body;
    let block_id = block["id"].as_str().unwrap();
    for end in ["revoke", "delete"] {
        f.call(
            Method::POST,
            &format!("/api/v1/blocks/{block_id}/{end}"),
            Some(ANNA),
            None,
        )
        .await
        .expect_error(403, "only the care giver the block is on");
    }
    // Temporary revokes: never for another unit, a unit that does not exist, or another
    // person, nor the user at another unit.
    let temporary = format!("/api/v1/blocks/{block_id}/temporary-revokes");
    for for_ in [
        json!({"care_unit": HUDDINGE}),
        json!({"care_unit": HEMSJUKVARD}),
        json!({"care_unit": "SE2321000016-NOPE"}),
        json!({"employee": {"person_hsa_id": ERIK.0, "care_unit_hsa_id": SALEM}}),
        json!({"employee": {"person_hsa_id": ANNA.0, "care_unit_hsa_id": HUDDINGE}}),
    ] {
        f.post_as(
            ANNA,
            &temporary,
            json!({"for": for_, "reason": "PatientConsent", "valid_until": in_hours(2)}),
        )
        .await
        .expect_error(403, "own care unit");
    }
    // Erik is inside the block: there is nothing to lift for him.
    f.post_as(
        ERIK,
        &temporary,
        json!({"for": {"care_unit": HEMSJUKVARD}, "reason": "PatientConsent", "valid_until": in_hours(2)}),
    )
    .await
    .expect_error(400, "does not hide anything");
    let history = f.get_as(ERIK, &blocks).await.expect(200).body;
    assert_eq!(history[0]["revoked_at"], Value::Null);
    assert_eq!(history[0]["deleted_at"], Value::Null);
    assert_eq!(history[0]["temporary_revokes"], json!([]));

    // A relation is ended only by its user.
    let anna_relation = f
        .get_as(
            ANNA,
            &format!("/api/v1/patients/{PATIENT}/relations/current"),
        )
        .await
        .expect(200)
        .body;
    f.call(
        Method::DELETE,
        &format!(
            "/api/v1/relations/{}",
            anna_relation["id"].as_str().unwrap()
        ),
        Some(ERIK),
        None,
    )
    .await
    .expect_error(403, "only the user who attested");

    // Lists: never without a user.
    f.get(&consents).await.expect_error(403, "x-npo-user-hsaid");
    f.get(&blocks).await.expect_error(403, "x-npo-user-hsaid");

    // Registrations go through the gate: not for a patient who is not available.
    f.post_as(
        ANNA,
        &format!("/api/v1/patients/{UNAVAILABLE}/relations"),
        json!({"valid_to": in_hours(8)}),
    )
    .await
    .expect_error(403, "not available");
    f.post_as(
        ANNA,
        &format!("/api/v1/patients/{UNAVAILABLE}/emergency-access"),
        json!({"reason": "Medvetslös", "hours": 2}),
    )
    .await
    .expect_error(403, "not available");
    f.stop().await;
}

/// Bad input gets a clear 400 (or 403, 413) and changes nothing.
#[tokio::test]
async fn invalid_registrations_are_refused_and_change_nothing() {
    let f = Fixture::with_directory().await;
    f.relate(ANNA, PATIENT).await;
    let consents = format!("/api/v1/patients/{PATIENT}/consents");
    let blocks = format!("/api/v1/patients/{PATIENT}/blocks");
    let emergency = format!("/api/v1/patients/{PATIENT}/emergency-access");
    let consent = json!({"scope": "CareUnit", "valid_from": in_hours(0), "valid_to": in_hours(24)});

    // An assignment for another purpose registers nothing.
    f.post_as(ANNA_ADMIN, &consents, consent.clone())
        .await
        .expect_error(403, "purpose");
    // Not a personnummer: a bad check digit, no real date.
    for bad in ["191212121213", "000000000000", "199002301234"] {
        f.post_as(
            ANNA,
            &format!("/api/v1/patients/{bad}/relations"),
            json!({"valid_to": in_hours(8)}),
        )
        .await
        .expect_error(400, "personnummer");
        f.post_as(
            ANNA,
            &format!("/api/v1/patients/{bad}/consents"),
            consent.clone(),
        )
        .await
        .expect_error(400, "personnummer");
        f.get_as(ANNA, &format!("/api/v1/patients/{bad}/consents/check"))
            .await
            .expect_error(400, "personnummer");
    }
    // Blocks: only on the own care giver, on what the directory has.
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Outer", "care_giver_hsa_id": "SE2321000016-NOPE"}),
    )
    .await
    .expect_error(403, "by the care giver it is on");
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Outer", "care_giver_hsa_id": KOMMUN}),
    )
    .await
    .expect_error(403, "by the care giver it is on");
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Inner", "care_giver_hsa_id": REGION, "care_unit_hsa_id": HEMSJUKVARD}),
    )
    .await
    .expect_error(400, "not a unit of the care giver");
    f.post_as(
        ANNA,
        &blocks,
        json!({"kind": "Inner", "care_giver_hsa_id": REGION, "care_unit_hsa_id": "SE2321000016-NOPE"}),
    )
    .await
    .expect_error(400, "not a unit of the care giver");
    // Backdated validity.
    f.post_as(
        ANNA,
        &consents,
        json!({"scope": "CareUnit", "valid_from": in_hours(-24 * 30), "valid_to": in_hours(24)}),
    )
    .await
    .expect_error(400, "may not be in the past");
    // Unbounded or invisible text.
    f.post_as(ANNA, &emergency, json!({"reason": "\u{200B}", "hours": 2}))
        .await
        .expect_error(400, "readable text");
    f.post_as(
        ANNA,
        &emergency,
        json!({"reason": "a".repeat(600), "hours": 2}),
    )
    .await
    .expect_error(400, "at most 500 characters");
    f.post_as(
        ANNA,
        &emergency,
        json!({"reason": "a".repeat(100_000), "hours": 2}),
    )
    .await
    .expect_error(413, "too large");
    let mut huge = consent.clone();
    huge["represented_by"] = json!("x".repeat(1_900_000));
    f.post_as(ANNA, &consents, huge)
        .await
        .expect_error(413, "too large");
    let mut long = consent.clone();
    long["represented_by"] = json!("x".repeat(600));
    f.post_as(ANNA, &consents, long)
        .await
        .expect_error(400, "represented_by must be readable text");

    // Nothing was registered.
    assert_eq!(f.get_as(ANNA, &consents).await.expect(200).body, json!([]));
    assert_eq!(f.get_as(ANNA, &blocks).await.expect(200).body, json!([]));
    f.stop().await;
}

/// The parameters the document names, with values to call them with.
fn fill(path: &str) -> String {
    path.replace("{patientId}", PATIENT)
        .replace("{hsaId}", ANNA.0)
        .replace("{id}", "no-such-id")
}

#[tokio::test]
async fn openapi_document_is_served_and_describes_every_endpoint() {
    let f = Fixture::with_directory().await;
    let reply = f.get("/api/v1/openapi.json").await.expect(200);
    assert_eq!(
        reply.headers[CONTENT_TYPE].to_str().unwrap(),
        "application/json"
    );
    let doc = reply.body;
    assert_eq!(
        doc,
        serde_json::from_str::<Value>(&npo_security_api::openapi_json()).unwrap()
    );
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0"));
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("mutual TLS")
    );

    let expected: &[(&str, &[&str])] = &[
        ("/api/v1/directory", &["get", "put"]),
        ("/api/v1/directory/audit", &["get"]),
        ("/api/v1/persons/{hsaId}/assignments", &["get"]),
        ("/api/v1/patients/{patientId}/relations", &["post"]),
        ("/api/v1/patients/{patientId}/relations/current", &["get"]),
        ("/api/v1/relations/{id}", &["delete"]),
        ("/api/v1/patients/{patientId}/consents", &["post", "get"]),
        ("/api/v1/patients/{patientId}/emergency-access", &["post"]),
        ("/api/v1/patients/{patientId}/consents/check", &["get"]),
        ("/api/v1/consents/{id}/cancel", &["post"]),
        ("/api/v1/consents/{id}/delete", &["post"]),
        ("/api/v1/patients/{patientId}/blocks", &["post", "get"]),
        ("/api/v1/blocks/{id}/revoke", &["post"]),
        ("/api/v1/blocks/{id}/delete", &["post"]),
        ("/api/v1/blocks/{id}/temporary-revokes", &["post"]),
        ("/api/v1/access-log", &["get"]),
        ("/api/v1/access-log/follow-up", &["get"]),
        ("/api/v1/openapi.json", &["get"]),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    let mut wanted: Vec<&str> = expected.iter().map(|(p, _)| *p).collect();
    documented.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(documented, wanted);

    // Operations that act for a user declare both headers; every operation declares 403
    // (the system check) and its errors as JSON problems.
    let acting: &[(&str, &str)] = &[
        ("/api/v1/patients/{patientId}/relations", "post"),
        ("/api/v1/patients/{patientId}/relations/current", "get"),
        ("/api/v1/relations/{id}", "delete"),
        ("/api/v1/patients/{patientId}/consents", "post"),
        ("/api/v1/patients/{patientId}/consents", "get"),
        ("/api/v1/patients/{patientId}/emergency-access", "post"),
        ("/api/v1/patients/{patientId}/consents/check", "get"),
        ("/api/v1/consents/{id}/cancel", "post"),
        ("/api/v1/consents/{id}/delete", "post"),
        ("/api/v1/patients/{patientId}/blocks", "post"),
        ("/api/v1/patients/{patientId}/blocks", "get"),
        ("/api/v1/blocks/{id}/revoke", "post"),
        ("/api/v1/blocks/{id}/delete", "post"),
        ("/api/v1/blocks/{id}/temporary-revokes", "post"),
        ("/api/v1/access-log", "get"),
        ("/api/v1/access-log/follow-up", "get"),
    ];
    for (path, methods) in expected {
        let mut listed: Vec<&str> = paths[*path]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        listed.sort_unstable();
        let mut methods = methods.to_vec();
        methods.sort_unstable();
        assert_eq!(listed, methods, "{path}");
        for method in methods {
            let op = &paths[*path][method];
            let headers: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "header")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            if acting.contains(&(*path, method)) {
                assert_eq!(
                    headers,
                    ["x-npo-user-hsaid", "x-npo-assignment-hsaid"],
                    "{method} {path}"
                );
            } else {
                assert!(headers.is_empty(), "{method} {path}");
            }
            if path.contains('{') {
                let in_path = op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .count();
                assert_eq!(in_path, 1, "{method} {path}");
            }
            let responses = op["responses"].as_object().unwrap();
            assert_eq!(
                responses["403"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path}"
            );
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
            assert!(op["operationId"].is_string());
            assert!(op["summary"].is_string(), "{method} {path}");

            // And the router serves it: it is not the fallback and not a wrong method.
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = f
                .call_with(
                    &f.client,
                    method.clone(),
                    &fill(path),
                    Some(ANNA),
                    Some(b"{}".to_vec()),
                )
                .await;
            assert_ne!(reply.status, 405, "{method} {path}");
            assert_ne!(reply.error(), "no such endpoint", "{method} {path}");
        }
    }

    // Every reference resolves.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(schemas.contains_key(name), "dangling reference to {name}");
    }
    f.stop().await;
}

/// `crates/security-api/openapi.json` is what the code produces. If not, the test rewrites it
/// (review and commit the change) and fails, so a stale file never passes.
#[test]
fn openapi_json_file_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let produced = npo_security_api::openapi_json();
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != produced {
        std::fs::write(&path, &produced).unwrap();
        panic!(
            "{} was not current; it has been rewritten: review and commit it",
            path.display()
        );
    }
}
