//! The parts as a deployment runs them: separate processes from configuration files, each with
//! its own database, certificates from `npo pki`, the catalogue from `npo tak import`.

mod common;

use http_body_util::Full;
use npo_riv::common::{PersonId, Query};
use npo_riv::contract::Contract;
use npo_riv::contracts::GetCareDocumentationV2;
use npo_tak::model::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NPO: &str = env!("CARGO_BIN_EXE_npo");

fn npo(args: &[&str]) {
    let out = Command::new(NPO).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "npo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn issue(pki: &Path, name: &str, hsa: &str, cn: &str) {
    npo(&[
        "pki",
        "issue",
        "--dir",
        pki.to_str().unwrap(),
        "--name",
        name,
        "--hsa-id",
        hsa,
        "--cn",
        cn,
    ]);
}

fn listener(pki: &Path, name: &str, port: u16) -> String {
    format!(
        "listen = \"127.0.0.1:{port}\"\ncert = \"{}\"\nkey = \"{}\"\n",
        pki.join(format!("{name}.pem")).display(),
        pki.join(format!("{name}.key")).display()
    )
}

async fn wait_for_port(port: u16, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Some(s) = child.try_wait().unwrap() {
            panic!(
                "process exited early: {s}\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "port {port} never opened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            assert!(s.success(), "clean exit on SIGTERM");
            return;
        }
        assert!(Instant::now() < deadline, "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn platform_and_source_run_as_separate_processes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = d.join("pki");
    npo(&["pki", "init", "--dir", pki.to_str().unwrap()]);
    let source = npo::demo::sources().remove(1);
    for (name, hsa, cn) in [
        ("vp", "SE5565594230-VP", "router"),
        ("ei", "SE5565594230-EI", "index"),
        ("agp", "SE5565594230-AGP", "aggregating"),
        ("src", source.hsa_id.as_str(), "source"),
        ("consumer", "SE5565594230-C1", "consumer"),
        ("admin", "SE5565594230-ADMIN", "admin"),
    ] {
        issue(&pki, name, hsa, cn);
    }
    let platform_db = npo_store::testing::TestDb::new().await.unwrap();
    let source_db = npo_store::testing::TestDb::new().await.unwrap();
    let [vp, ei, agp, src] = [free_port(), free_port(), free_port(), free_port()];
    let ca = pki.join("ca.pem");

    let platform_toml = format!(
        "database_url = \"{}\"\nca = \"{}\"\ncatalogue_poll_ms = 200\n\n[router.listener]\n{}\n[router.settings]\ninstance_id = \"vp-a\"\noriginal_consumer_senders = [\"SE5565594230-AGP\"]\n\n[ei]\nhsa_id = \"SE5565594230-EI\"\n[ei.listener]\n{}\n[agp.listener]\n{}\n[agp.settings]\nei_logical_address = \"SE5565594230-EI\"\ntimeout_ms = 5000\n",
        platform_db.url,
        ca.display(),
        listener(&pki, "vp", vp),
        listener(&pki, "ei", ei),
        listener(&pki, "agp", agp),
    );
    std::fs::write(d.join("platform.toml"), platform_toml).unwrap();
    let mut source_cfg = source.clone();
    source_cfg.allowed_callers = vec!["SE5565594230-VP".into()];
    source_cfg.admin_hsa_ids = vec!["SE5565594230-ADMIN".into()];
    #[derive(serde::Serialize)]
    struct S<'a> {
        source: &'a npo_source::SourceConfig,
    }
    let source_toml = format!(
        "database_url = \"{}\"\nca = \"{}\"\nvp_url = \"https://127.0.0.1:{vp}/vp\"\nsync_retry_ms = 200\n[listener]\n{}\n{}",
        source_db.url,
        ca.display(),
        listener(&pki, "src", src),
        toml::to_string(&S {
            source: &source_cfg
        })
        .unwrap()
    );
    std::fs::write(d.join("source.toml"), source_toml).unwrap();

    // The catalogue, imported before the platform starts.
    let ns = GetCareDocumentationV2::NAMESPACE;
    let d1 = ("2020-01-01".to_owned(), "2099-12-31".to_owned());
    let route = |id: &str, la: &str, ns: &str, comp: &str, port: u16| Routing {
        id: id.into(),
        logical_address: la.into(),
        contract_namespace: ns.into(),
        component_hsa_id: comp.into(),
        url: format!("https://127.0.0.1:{port}/"),
        from_date: d1.0.clone(),
        to_date: d1.1.clone(),
    };
    let grant = |id: &str, who: &str, la: &str, ns: &str| Authorization {
        id: id.into(),
        consumer_hsa_id: who.into(),
        logical_address: la.into(),
        contract_namespace: ns.into(),
        from_date: d1.0.clone(),
        to_date: d1.1.clone(),
    };
    let comp = |h: &str| ServiceComponent {
        hsa_id: h.into(),
        description: h.into(),
    };
    let addr = |h: &str| LogicalAddress {
        hsa_id: h.into(),
        description: h.into(),
    };
    let (upd, find) = (npo_riv::ei::UPDATE_NS, npo_riv::ei::FIND_CONTENT_NS);
    let catalogue = Catalogue {
        contracts: [
            (ns, "GetCareDocumentation", 2),
            (upd, "Update", 1),
            (find, "FindContent", 1),
        ]
        .map(|(n, name, major)| ServiceContract {
            namespace: n.into(),
            name: name.into(),
            major,
            minor: 0,
        })
        .to_vec(),
        components: vec![
            comp("SE5565594230-EI"),
            comp("SE5565594230-AGP"),
            comp(&source.hsa_id),
            comp("SE5565594230-C1"),
        ],
        logical_addresses: vec![
            addr("SE5565594230-EI"),
            addr("SE5565594230-AGP"),
            addr(&source.hsa_id),
        ],
        routings: vec![
            route("r-upd", "SE5565594230-EI", upd, "SE5565594230-EI", ei),
            route("r-find", "SE5565594230-EI", find, "SE5565594230-EI", ei),
            route("r-agp", "SE5565594230-AGP", ns, "SE5565594230-AGP", agp),
            route("r-src", &source.hsa_id, ns, &source.hsa_id, src),
        ],
        authorizations: vec![
            grant("a1", &source.hsa_id, "SE5565594230-EI", upd),
            grant("a2", "SE5565594230-AGP", "SE5565594230-EI", find),
            grant("a3", "SE5565594230-AGP", &source.hsa_id, ns),
            grant("a4", "SE5565594230-C1", "SE5565594230-AGP", ns),
            grant("a5", "SE5565594230-C1", &source.hsa_id, ns),
        ],
        hsa_tree: vec![],
    };
    let tak_file = d.join("tak.json");
    std::fs::write(&tak_file, serde_json::to_string_pretty(&catalogue).unwrap()).unwrap();
    npo(&[
        "tak",
        "--database-url",
        &platform_db.url,
        "import",
        tak_file.to_str().unwrap(),
    ]);

    let spawn = |args: &[&str], log: &Path| {
        Command::new(NPO)
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap()
    };
    let (platform_log, source_log) = (d.join("platform.log"), d.join("source.log"));
    let mut platform = spawn(
        &[
            "platform",
            "--config",
            d.join("platform.toml").to_str().unwrap(),
        ],
        &platform_log,
    );
    let mut source_proc = spawn(
        &[
            "source",
            "--config",
            d.join("source.toml").to_str().unwrap(),
        ],
        &source_log,
    );
    wait_for_port(vp, &mut platform, &platform_log).await;
    wait_for_port(src, &mut source_proc, &source_log).await;

    // A record written through the source's admin API reaches the index and the next call.
    let patient = "191212121212";
    let (mut notes, _) = npo_source::seed::records(&source, &[patient.to_owned()]);
    let note = notes.remove(0);
    let admin = npo::serve::client(
        &npo::config::Identity {
            cert: pki.join("admin.pem"),
            key: pki.join("admin.key"),
        },
        &ca,
    )
    .unwrap();
    let req = hyper::Request::put(format!(
        "https://127.0.0.1:{src}/admin/records/GetCareDocumentation_2.1/{}",
        note.header.document_id
    ))
    .body(Full::new(bytes::Bytes::from(
        serde_json::to_string(&note).unwrap(),
    )))
    .unwrap();
    assert_eq!(admin.request(req).await.unwrap().status().as_u16(), 204);

    let consumer = npo::serve::client(
        &npo::config::Identity {
            cert: pki.join("consumer.pem"),
            key: pki.join("consumer.key"),
        },
        &ca,
    )
    .unwrap();
    let body =
        GetCareDocumentationV2::write_request(&Query::for_patient(PersonId::personnummer(patient)));
    let router = format!("https://127.0.0.1:{vp}/vp");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = common::post(
            &consumer,
            &router,
            common::envelope("SE5565594230-AGP", &body),
            &[],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let items = GetCareDocumentationV2::parse_response(&r.envelope().body)
            .unwrap()
            .items;
        if items.len() == 1 {
            assert_eq!(items[0], note);
            assert_eq!(r.processing_status().records.len(), 1);
            break;
        }
        assert!(Instant::now() < deadline, "the record never became visible");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A catalogue change through the CLI reaches the running router.
    npo(&[
        "tak",
        "--database-url",
        &platform_db.url,
        "remove",
        "authorization",
        "a5",
    ]);
    let direct = common::envelope(&source.hsa_id, &body);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = common::post(&consumer, &router, direct.clone(), &[]).await;
        if r.fault_code().as_deref() == Some("VP007") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the router never reloaded the catalogue"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop(source_proc);
    stop(platform);
}
