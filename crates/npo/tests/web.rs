//! The clinician web app in a real browser (Debian chromium driven by playwright-core, see
//! tests/browser/web.mjs) against a real federation: certificate login and assignment choice,
//! refusals, the whole PDL flow for a patient with records at three care givers, emergency
//! access with its log entry, blocks and their temporary revoke, and a source that is down.
//! Screenshots are saved in target/test-artifacts/web/.

mod common;

use common::start;
use npo::federation::WebSpec;
use npo_pki::CertSpec;
use npo_security::access_log::{AccessLog, Activity, Page};
use npo_security::blocks::{BlockKind, BlockStore, NewBlock};
use npo_store::Db;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TOLVAN: &str = "191212121212";
const ANNA: &str = "SE2321000016-P001";
const JOHAN: &str = "SE2321000016-P004";
const KOMMUN: &str = "SE2120003140-K001";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs one browser scenario; panics with its output if it fails.
async fn browser(scenario: &'static str, env: Vec<(String, String)>) -> String {
    tokio::task::spawn_blocking(move || {
        let out = Command::new("node")
            .arg("tests/browser/web.mjs")
            .arg(scenario)
            .current_dir(workspace())
            .envs(env)
            .output()
            .expect("node runs (scripts/install-deps.sh installs it)");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "browser scenario {scenario} failed:\n{stdout}\n{stderr}"
        );
        println!("{stdout}");
        stdout
    })
    .await
    .expect("browser task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clinician_web_app_in_a_browser() {
    let t = start(|s| {
        s.patients = 10;
        s.web = Some(WebSpec {
            demo_mode: false,
            idle_timeout: Duration::from_secs(900),
        });
    })
    .await;
    let info = &t.fed.info;
    let web = info.web_url.clone().expect("web app started");
    let cert = |hsa: &str| {
        info.staff
            .iter()
            .find(|c| c.hsa_id == hsa)
            .unwrap_or_else(|| panic!("a certificate for {hsa}"))
            .clone()
    };
    let unknown = t
        .fed
        .pki
        .issue(
            "staff-unknown",
            &CertSpec::person("SE2321000016-P999", "Okänd Okändsson"),
        )
        .unwrap();
    let db = Db::connect(&t.fed.platform_database_url()).await.unwrap();

    // A patient with records at several care givers, other than Tolvan, who is enrolled (every
    // fifth demo patient is not): the emergency-access patient.
    let rows: Vec<(String, i64)> = npo_store::sqlx::query_as(
        "SELECT patient_id, COUNT(DISTINCT source_hsa_id) AS n FROM source_records \
         WHERE patient_id <> $1 GROUP BY patient_id ORDER BY n DESC, patient_id",
    )
    .bind(TOLVAN)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let enrolled = |p: &str| {
        info.patients
            .iter()
            .position(|x| x == p)
            .is_some_and(|i| i % 5 != 4)
    };
    let emergency_patient = rows
        .iter()
        .find(|(p, _)| enrolled(p))
        .expect("an enrolled patient with records")
        .0
        .clone();

    let artifacts = workspace().join("target/test-artifacts/web");
    let mut env: Vec<(String, String)> = vec![
        ("NPO_WEB_URL".into(), web.clone()),
        ("NPO_ARTIFACTS".into(), artifacts.display().to_string()),
        ("NPO_EMERGENCY_PATIENT".into(), emergency_patient.clone()),
        (
            "NPO_GIVERS".into(),
            "Region Stockholm,Uppsala kommun,Vårdbolaget Norr AB".into(),
        ),
        ("NPO_BLOCKED_GIVER".into(), "Uppsala kommun".into()),
        ("NPO_DOWN_SOURCE".into(), info.sources[2].name.clone()),
        ("NPO_SHOWN_GIVER".into(), "Region Stockholm".into()),
    ];
    for (name, c) in [("ANNA", cert(ANNA)), ("JOHAN", cert(JOHAN))] {
        env.push((format!("NPO_CERT_{name}"), c.cert.display().to_string()));
        env.push((format!("NPO_KEY_{name}"), c.key.display().to_string()));
    }
    env.push((
        "NPO_CERT_UNKNOWN".into(),
        unknown.cert_path.display().to_string(),
    ));
    env.push((
        "NPO_KEY_UNKNOWN".into(),
        unknown.key_path.display().to_string(),
    ));

    // Context launch: the care giver's record system (its system certificate) asks for links.
    let record_system = t.client_as("source-SE2321000016-S001");
    let launch = |user: &'static str| {
        let client = record_system.clone();
        let url = format!("{web}/api/kontext");
        async move {
            let req = hyper::Request::post(url)
                .header("content-type", "application/json")
                .body(http_body_util::Full::new(bytes::Bytes::from(format!(
                    r#"{{"patient":"{TOLVAN}","user":"{user}"}}"#
                ))))
                .unwrap();
            let resp = client.request(req).await.unwrap();
            let status = resp.status().as_u16();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            (status, v["url"].as_str().unwrap_or("").to_owned())
        }
    };
    let (status, for_anna) = launch(ANNA).await;
    assert_eq!(status, 200);
    assert!(!for_anna.contains(TOLVAN), "the launch URL is opaque");
    let (_, for_other) = launch("SE2321000016-P002").await;
    env.push(("NPO_LAUNCH_URL".into(), for_anna));
    env.push(("NPO_LAUNCH_URL_OTHER".into(), for_other));
    // A system that is not a record system may not make links.
    let consumer = t.client_as("consumer");
    let req = hyper::Request::post(format!("{web}/api/kontext"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(format!(
            r#"{{"patient":"{TOLVAN}","user":"{ANNA}"}}"#
        ))))
        .unwrap();
    assert_eq!(consumer.request(req).await.unwrap().status().as_u16(), 403);

    browser("login", env.clone()).await;
    browser("launch", env.clone()).await;
    browser("flow", env.clone()).await;

    // The emergency access is in the access log, as such, for the user.
    let log = AccessLog::start(db.clone(), Default::default());
    let entries = log
        .by_patient(&emergency_patient, Page::first(1000))
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.activity == Activity::Emergency && e.user_hsa_id == ANNA),
        "emergency access is logged as Nödöppning"
    );
    // Every record Anna saw of Tolvan is logged as read.
    let tolvan = log.by_patient(TOLVAN, Page::first(1000)).await.unwrap();
    assert!(tolvan.iter().any(|e| e.activity == Activity::Read));

    // An outer block at the municipality: its records disappear until a temporary revoke.
    BlockStore::new(db.clone())
        .register(
            &NewBlock {
                patient_id: TOLVAN.into(),
                kind: BlockKind::Outer,
                care_giver_hsa_id: KOMMUN.into(),
                care_unit_hsa_id: None,
                period: None,
                excluded_types: vec![],
            },
            "SE2120003140-P001",
        )
        .await
        .unwrap();
    browser("blocked", env.clone()).await;
    let tolvan = log.by_patient(TOLVAN, Page::first(5000)).await.unwrap();
    assert!(
        tolvan.iter().any(|e| e.activity == Activity::BlockRevoked),
        "records shown under a temporary revoke are logged as such"
    );

    // A source that is down is named while the others' records are shown.
    t.fed.sources[2].db.close().await;
    browser("down", env).await;

    db.close().await;
    t.shutdown().await;
}
