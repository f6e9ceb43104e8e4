//! The `npo` binary as people run it.

mod common;

use npo::federation::FederationInfo;
use npo_riv::common::{PersonId, Query};
use npo_riv::contract::Contract;
use npo_riv::contracts::GetDiagnosisV2;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NPO: &str = env!("CARGO_BIN_EXE_npo");

fn free_port_block() -> u16 {
    // A free port, and hope the next few are free too; retried by the caller on failure.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let p = l.local_addr().unwrap().port();
    p.min(60_000)
}

fn start_demo(dir: &Path, port: u16, db: &str) -> Child {
    Command::new(NPO)
        .args(["demo", "--data-dir"])
        .arg(dir)
        .args([
            "--port",
            &port.to_string(),
            "--patients",
            "4",
            "--database-url",
            db,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("npo demo starts")
}

async fn wait_for_info(dir: &Path, child: &mut Child) -> FederationInfo {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(dir.join("demo.json"))
            && let Ok(info) = serde_json::from_str::<FederationInfo>(&text)
        {
            return info;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("npo demo exited early: {status}");
        }
        assert!(Instant::now() < deadline, "demo.json never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    // Ctrl-C.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "npo demo did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn diagnoses(info: &FederationInfo) -> usize {
    let client = npo::serve::client(
        &npo::config::Identity {
            cert: info.consumer.cert.clone(),
            key: info.consumer.key.clone(),
        },
        &info.ca,
    )
    .unwrap();
    let req = GetDiagnosisV2::write_request(&Query::for_patient(PersonId::personnummer(
        &info.patients[0],
    )));
    let r = common::post(
        &client,
        &info.router_url,
        common::envelope(&info.aggregating_logical_address, &req),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        info.sources.len(),
        5,
        "two regions, two municipalities, one private provider"
    );
    let status = r.processing_status();
    assert!(
        status.records.len() >= 2,
        "Tolvan's diagnoses come from several care givers"
    );
    assert!(
        status
            .records
            .iter()
            .all(|s| info.sources.iter().any(|i| i.hsa_id == s.logical_address))
    );
    GetDiagnosisV2::parse_response(&r.envelope().body)
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn demo_starts_answers_stops_on_ctrl_c_and_reuses_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = npo_store::testing::TestDb::new().await.unwrap();
    let port = free_port_block();
    let mut child = start_demo(dir.path(), port, &db.url);
    let info = wait_for_info(dir.path(), &mut child).await;
    assert_eq!(info.router_url, format!("https://127.0.0.1:{port}/vp"));
    assert!(info.ca.is_absolute() && info.consumer.cert.exists() && info.consumer.key.exists());
    let first = diagnoses(&info).await;
    assert!(first > 0);
    // The security services' API runs too, for the consumer system, with the demo directory.
    let client = npo::serve::client(
        &npo::config::Identity {
            cert: info.consumer.cert.clone(),
            key: info.consumer.key.clone(),
        },
        &info.ca,
    )
    .unwrap();
    let resp = client
        .request(
            hyper::Request::get(format!(
                "{}/persons/SE2120003140-P001/assignments",
                info.security_api_url
            ))
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("Hemsjukvårdssjuksköterska"));
    assert!(interrupt(&mut child).success(), "a clean exit on Ctrl-C");

    // Second start: same certificates, same data, nothing seeded twice.
    std::fs::remove_file(dir.path().join("demo.json")).unwrap();
    let ca_before = std::fs::read(&info.ca).unwrap();
    let mut child = start_demo(dir.path(), port, &db.url);
    let info = wait_for_info(dir.path(), &mut child).await;
    assert_eq!(std::fs::read(&info.ca).unwrap(), ca_before);
    assert_eq!(diagnoses(&info).await, first);
    assert!(interrupt(&mut child).success());
    // No key is world-readable.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&info.consumer.key)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0);
}

fn npo(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(NPO).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn tak_cli_add_export_import_remove() {
    let dir = tempfile::tempdir().unwrap();
    let db = npo_store::testing::TestDb::new().await.unwrap();
    let url = db.url.as_str();
    let ns = "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2";
    for args in [
        vec![
            "contract",
            "--namespace",
            ns,
            "--name",
            "GetDiagnosis",
            "--major",
            "2",
        ],
        vec![
            "component",
            "--hsa-id",
            "SE2321000016-S001",
            "--description",
            "Källsystem",
        ],
        vec![
            "logical-address",
            "--hsa-id",
            "SE2321000016-S001",
            "--description",
            "Källsystem",
        ],
        vec![
            "routing",
            "--id",
            "r1",
            "--logical-address",
            "SE2321000016-S001",
            "--contract",
            ns,
            "--component",
            "SE2321000016-S001",
            "--url",
            "https://127.0.0.1:1/",
        ],
    ] {
        let mut full = vec!["tak", "--database-url", url, "add"];
        full.extend(args);
        let (ok, _, err) = npo(&full);
        assert!(ok, "{err}");
    }
    let export = dir.path().join("tak.json");
    let (ok, _, err) = npo(&[
        "tak",
        "--database-url",
        url,
        "export",
        "-o",
        export.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let exported: npo_tak::Catalogue =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(exported.routings.len(), 1);

    // An invalid change is refused with a clear message and changes nothing.
    let (ok, _, err) = npo(&[
        "tak",
        "--database-url",
        url,
        "add",
        "routing",
        "--logical-address",
        "NOWHERE",
        "--contract",
        ns,
        "--component",
        "SE2321000016-S001",
        "--url",
        "https://x/",
    ]);
    assert!(!ok);
    assert!(err.contains("unknown logical address 'NOWHERE'"), "{err}");
    let mut broken = exported.clone();
    broken.routings[0].url = "ftp://x".into();
    let broken_file = dir.path().join("broken.json");
    std::fs::write(&broken_file, serde_json::to_string(&broken).unwrap()).unwrap();
    let (ok, _, err) = npo(&[
        "tak",
        "--database-url",
        url,
        "import",
        broken_file.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("https"), "{err}");

    // Remove, then import the export: the catalogue is back.
    let (ok, _, err) = npo(&["tak", "--database-url", url, "remove", "routing", "r1"]);
    assert!(ok, "{err}");
    let (ok, _, err) = npo(&["tak", "--database-url", url, "remove", "routing", "r1"]);
    assert!(!ok && err.contains("no entry"), "{err}");
    let (ok, _, err) = npo(&[
        "tak",
        "--database-url",
        url,
        "import",
        export.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, out, _) = npo(&["tak", "--database-url", url, "export"]);
    assert!(ok);
    let again: npo_tak::Catalogue = serde_json::from_str(&out).unwrap();
    assert_eq!(again, exported);
    let (ok, out, _) = npo(&["tak", "--database-url", url, "list"]);
    assert!(ok && out.contains("[r1] SE2321000016-S001"), "{out}");
}

#[tokio::test]
async fn directory_cli_export_import_and_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let db = npo_store::testing::TestDb::new().await.unwrap();
    let url = db.url.as_str();
    let file = dir.path().join("hsa.json");
    let demo = npo::demo::directory(&npo::demo::all_sources());
    std::fs::write(&file, serde_json::to_string(&demo).unwrap()).unwrap();
    let (ok, out, err) = npo(&[
        "directory",
        "--database-url",
        url,
        "import",
        file.to_str().unwrap(),
    ]);
    assert!(ok && out.contains("5 care givers"), "{out}{err}");
    let (ok, out, _) = npo(&["directory", "--database-url", url, "list"]);
    assert!(
        ok && out.contains("Hemsjukvården Uppsala") && out.contains("Karin Nilsson"),
        "{out}"
    );
    let (ok, out, _) = npo(&["directory", "--database-url", url, "export"]);
    assert!(ok);
    let back: npo_security::directory::Directory = serde_json::from_str(&out).unwrap();
    assert_eq!(back.assignments.len(), demo.assignments.len());
    // An invalid directory is refused and changes nothing.
    let mut bad = demo.clone();
    bad.assignments[0].care_unit_hsa_id = "SE2321000016-NOWHERE".into();
    std::fs::write(&file, serde_json::to_string(&bad).unwrap()).unwrap();
    let (ok, _, err) = npo(&[
        "directory",
        "--database-url",
        url,
        "import",
        file.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("unknown care unit"), "{err}");
    let (_, out, _) = npo(&["directory", "--database-url", url, "export"]);
    let still: npo_security::directory::Directory = serde_json::from_str(&out).unwrap();
    assert_eq!(still.assignments.len(), demo.assignments.len());
    // Half the directory is refused unless forced; an empty one always.
    let mut half = demo.clone();
    half.assignments.truncate(demo.assignments.len() / 2);
    std::fs::write(&file, serde_json::to_string(&half).unwrap()).unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec![
            "directory",
            "--database-url",
            url,
            "import",
            file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        npo(&args)
    };
    let (ok, _, err) = import(&[]);
    assert!(!ok && err.contains("--force"), "{err}");
    let (ok, out, err) = import(&["--force", "--by", "operatören"]);
    assert!(ok, "{out}{err}");
    std::fs::write(&file, "{}").unwrap();
    let (ok, _, err) = import(&["--force"]);
    assert!(!ok && err.contains("must hold"), "{err}");
    // The audit trail: the first import and the forced one, newest first.
    let (ok, out, _) = npo(&["directory", "--database-url", url, "audit"]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains("cli:operatören via cli (forced)"),
        "{out}"
    );
    assert!(!lines[1].contains("forced"), "{out}");
}

#[test]
fn validate_command_uses_the_official_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.xml");
    let req =
        GetDiagnosisV2::write_request(&Query::for_patient(PersonId::personnummer("191212121212")));
    std::fs::write(&good, npo_riv::soap::request("SE2321000016-S001", &req)).unwrap();
    let (ok, out, err) = npo(&["validate", good.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("validates"));
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, req.replace("patientId", "patientIdentity")).unwrap();
    let (ok, _, _) = npo(&["validate", bad.to_str().unwrap()]);
    assert!(!ok);
}

/// `npo seed --out`: the same seed, size and day give the same bytes; another seed other bytes.
#[test]
fn seed_output_is_deterministic() {
    let run = |seed: &str| {
        let out = Command::new(NPO)
            .args([
                "seed",
                "--patients",
                "25",
                "--today",
                "2026-11-01",
                "--seed",
                seed,
                "--out",
                "-",
            ])
            .output()
            .expect("npo seed runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let a = run("7");
    assert!(a.len() > 10_000, "records were written");
    assert_eq!(a, run("7"), "same seed, same bytes");
    assert_ne!(a, run("8"), "another seed, other data");
    // Every line is one record of a contract npo implements.
    let contracts: Vec<_> = npo_riv::contracts::all()
        .iter()
        .map(|c| (c.name, c.version))
        .collect();
    for line in String::from_utf8(a).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            v["contract"].as_str().unwrap(),
            v["version"].as_str().unwrap(),
        );
        assert!(contracts.iter().any(|c| (c.0, c.1) == key), "{key:?}");
    }
}
