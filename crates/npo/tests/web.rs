//! The clinician web app in a real browser (Debian chromium driven by playwright-core, see
//! tests/browser/web.mjs) against a real federation: certificate login and assignment choice,
//! refusals, the whole PDL flow for a patient with records at three care givers, emergency
//! access with its log entry, blocks and their temporary revoke, and a source that is down;
//! two tabs on two patients, rights removed in the directory during a session, no session
//! before login, context-launch links only for the system's own care giver's users.
//! Screenshots are saved in target/test-artifacts/web/.

mod common;

use common::start;
use npo::federation::WebSpec;
use npo_gate::InformationType;
use npo_pki::CertSpec;
use npo_security::access_log::{AccessLog, Activity, Page};
use npo_security::blocks::BlockStore;
use npo_security::directory::DirectoryStore;
use npo_store::Db;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TOLVAN: &str = "191212121212";
const ANNA: &str = "SE2321000016-P001";
const JOHAN: &str = "SE2321000016-P004";
const ERIK: &str = "SE2321000016-P002";
const KOMMUN: &str = "SE2120003140-K001";
const KOMMUN_NURSE: &str = "SE2120003140-P001";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs one browser scenario that stops for steps the test takes (see `step` in web.mjs):
/// `take(name)` runs when the browser is ready for step `name`.
async fn browser_with_steps<F, Fut>(
    scenario: &'static str,
    mut env: Vec<(String, String)>,
    sync: &Path,
    mut take: F,
) where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    std::fs::create_dir_all(sync).unwrap();
    env.push(("NPO_SYNC".into(), sync.display().to_string()));
    let run = tokio::spawn(browser(scenario, env));
    while !run.is_finished() {
        for entry in std::fs::read_dir(sync).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ready") {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                std::fs::remove_file(&path).unwrap();
                take(name.clone()).await;
                std::fs::write(sync.join(format!("{name}.done")), "").unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    run.await.expect("browser scenario");
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
    let app = t.fed.web.as_ref().expect("web app started").1.clone();

    // Before login nothing is kept on the server: cookieless requests make no session (one
    // client once filled the store this way and locked everyone out).
    let anonymous = t.client_as("consumer");
    for i in 0..300 {
        let path = ["/", "/logga-in", "/oversikt", "/patient", "/nope"][i % 5];
        let resp = anonymous
            .request(
                hyper::Request::get(format!("{web}{path}"))
                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert!(
            resp.headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap_or("").starts_with("__Host-npo_session")),
            "no session cookie before login ({path})"
        );
    }
    assert_eq!(
        app.session_count(),
        0,
        "anonymous requests create no session"
    );

    // Records that go on today whatever the period: a chronic diagnosis from 2015 and a
    // prescription started two years ago, still active, at Anna's own care giver.
    let ongoing = ongoing_records(&t).await;

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
        ("NPO_ONGOING".into(), ongoing),
        (
            "NPO_TODAY".into(),
            npo_riv::common::display_time(&npo_riv::time::today()),
        ),
    ];
    for (name, c) in [
        ("ANNA", cert(ANNA)),
        ("ERIK", cert(ERIK)),
        ("JOHAN", cert(JOHAN)),
    ] {
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
    let (_, for_other) = launch(ERIK).await;
    // Not for a user of another care giver: the region's record system may not open npo for
    // the municipality's nurse.
    let (status, url) = launch(KOMMUN_NURSE).await;
    assert_eq!(
        (status, url.as_str()),
        (403, ""),
        "no link for another care giver's user"
    );
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
    assert!(app.session_count() > 0, "logging in makes a session");
    browser("launch", env.clone()).await;
    browser("flow", env.clone()).await;
    browser("twotabs", env.clone()).await;

    // Rights removed in the directory reach an open session at its next request.
    let directory = DirectoryStore::new(db.clone());
    let original = directory.load().await.unwrap();
    let sync = artifacts.join("sync");
    let _ = std::fs::remove_dir_all(&sync);
    browser_with_steps("rights", env.clone(), &sync, |step| {
        let directory = directory.clone();
        let mut d = original.clone();
        async move {
            let anna = d
                .assignments
                .iter_mut()
                .find(|a| a.person_hsa_id == ANNA && a.purpose == npo_security::PURPOSE_CARE)
                .expect("Anna's care assignment");
            match step.as_str() {
                "remove-diagnosis-right" => {
                    anna.rights = InformationType::ALL
                        .iter()
                        .filter(|t| t.code() != "dia")
                        .flat_map(|t| {
                            [
                                format!("Läsa;{};VG", t.code()),
                                format!("Läsa;{};SJF", t.code()),
                            ]
                        })
                        .collect();
                }
                "remove-assignment" => {
                    let id = anna.hsa_id.clone();
                    d.assignments.retain(|a| a.hsa_id != id);
                }
                other => panic!("unknown step {other}"),
            }
            directory
                .replace(
                    &d,
                    &npo_security::directory::DirectoryChange {
                        by: "web test".into(),
                        via: npo_security::directory::ChangeVia::Cli,
                        force: true,
                        max_drop_percent: npo_security::directory::DEFAULT_MAX_DROP_PERCENT,
                    },
                )
                .await
                .unwrap();
        }
    })
    .await;
    directory
        .replace(
            &original,
            &npo_security::directory::DirectoryChange {
                by: "web test".into(),
                via: npo_security::directory::ChangeVia::Cli,
                force: true,
                max_drop_percent: npo_security::directory::DEFAULT_MAX_DROP_PERCENT,
            },
        )
        .await
        .unwrap();

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
    common::block_outer(&db, TOLVAN, KOMMUN, "SE2120003140-P001").await;
    browser("blocked", env.clone()).await;
    // "I dag" is until the end of today, Swedish local time.
    let blocks = BlockStore::new(db.clone())
        .active_for_patient(TOLVAN)
        .await
        .unwrap();
    let until: Vec<&str> = blocks
        .iter()
        .flat_map(|b| &b.temporary_revokes)
        .map(|r| r.valid_until.as_str())
        .collect();
    assert!(!until.is_empty(), "a temporary revoke");
    let end_of_today = format!("{}235959", npo_riv::time::today());
    assert!(
        until.iter().all(|u| *u == end_of_today),
        "revoked until the end of today: {until:?}"
    );
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

/// Puts a chronic diagnosis from 2015 and a prescription started two years ago (active, no end)
/// for Tolvan at the first source (Anna's own care giver); returns their titles as
/// `diagnosis|medication`.
async fn ongoing_records(t: &common::TestFed) -> String {
    use npo_riv::Contract;
    use npo_riv::contracts::medication_history_v2::PrescriptionStatus;
    use npo_riv::contracts::{GetCareContactsV3, GetDiagnosisV2, GetMedicationHistoryV2};
    let source = &t.fed.sources[0].system;
    let la = source.cfg.hsa_id.clone();
    let pop = npo::seeding::population(
        1,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        &t.fed
            .sources
            .iter()
            .map(|n| n.system.cfg.clone())
            .collect::<Vec<_>>(),
    )
    .expect("the sources have care units");
    let mut contacts = npo_seed::check::Collect::<GetCareContactsV3>::default();
    let _ = pop.emit(0, &mut contacts);
    let mut diagnoses = npo_seed::check::Collect::<GetDiagnosisV2>::default();
    let mut medications = npo_seed::check::Collect::<GetMedicationHistoryV2>::default();
    let _ = pop.emit(0, &mut diagnoses);
    let _ = pop.emit(0, &mut medications);
    let at_source = |id: &str| id == la;
    let mut d = diagnoses
        .items
        .into_iter()
        .find(|d| at_source(&d.header.source_system_hsa_id))
        .expect("a diagnosis at the first source");
    d.header.document_id = "web-kronisk-2015".into();
    d.header.accountable.author_time = "20150312100000".into();
    d.body.diagnosis_time = Some("20150312100000".into());
    d.body.chronic = Some(true);
    if let Some(c) = d.body.code.as_mut() {
        c.display_name = Some("Förmaksflimmer, kroniskt".into());
        c.code = Some("I48.2".into());
    }
    let mut m = medications
        .items
        .into_iter()
        .find(|m| at_source(&m.header.source_system_hsa_id))
        .expect("a medication at the first source");
    let two_years_ago = (chrono::Local::now() - chrono::Duration::days(730))
        .format("%Y%m%d090000")
        .to_string();
    m.header.document_id = "web-aktuell-ordination".into();
    m.header.accountable.author_time = two_years_ago.clone();
    let p = &mut m.body.prescription;
    p.status = PrescriptionStatus::Active;
    p.start_of_treatment = Some(two_years_ago.clone());
    p.start_of_first_treatment = Some(two_years_ago);
    p.end_of_treatment = None;
    p.end_of_treatment_reason = None;
    // A visit booked for 5 April 2011 and cancelled (no end): long past, in no recent period.
    let mut c = contacts
        .items
        .into_iter()
        .find(|c| at_source(&c.header.source_system_hsa_id))
        .expect("a care contact at the first source");
    c.header.document_id = "web-installd-2011".into();
    c.header.accountable.author_time = "20110301100000".into();
    c.header.nullified = None;
    c.header.nullified_reason = None;
    c.body.time_period = Some(npo_riv::contracts::care_contacts_v2::TimePeriod {
        start: "20110405090000".into(),
        end: None,
    });
    c.body.status = Some(npo_riv::common::Cv::coded(
        "53641000052109",
        npo_riv::contracts::care_contacts_v3::SNOMED_CT_SE,
        "Inställd vårdkontakt",
    ));
    source.put::<GetCareContactsV3>(&c).await.expect("stored");
    source.put::<GetDiagnosisV2>(&d).await.expect("stored");
    source
        .put::<GetMedicationHistoryV2>(&m)
        .await
        .expect("stored");
    source.sync_engagements().await.expect("index updated");
    format!(
        "{}|{}",
        GetDiagnosisV2::view(&d).title,
        GetMedicationHistoryV2::view(&m).title
    )
}
