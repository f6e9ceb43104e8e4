//! A complete federation in one process: the service platform and a set of source systems,
//! each on its own port with its own certificate from the dev PKI, over SQLite or PostgreSQL.
//! `npo demo` runs one; the integration tests and the load benchmark start their own.

use crate::config::{
    AgpNode, EiNode, Identity, Listener, PlatformConfig, RouterNode, SourceNodeConfig,
};
use crate::demo;
use crate::node::SourceNode;
use crate::platform::Platform;
use crate::serve::reachable;
use anyhow::Context;
use npo_agp::AgpConfig;
use npo_pki::{CertSpec, DevPki};
use npo_riv::contract::ContractInfo;
use npo_riv::ei::{FIND_CONTENT_NS, UPDATE_NS};
use npo_router::RouterConfig;
use npo_source::SourceConfig;
use npo_tak::model::*;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What to start.
#[derive(Clone, Debug)]
pub struct FederationSpec {
    pub data_dir: PathBuf,
    /// `None`: SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub host: IpAddr,
    /// First port (router; then aggregating services, index, internal listener, sources from
    /// +10). `None`: random free ports.
    pub port_base: Option<u16>,
    pub sources: Vec<SourceConfig>,
    /// How many synthetic patients (npo-seed) to write on first start (0: none).
    pub patients: usize,
    /// The generator's seed.
    pub seed: u64,
    pub router: RouterConfig,
    pub agp: AgpConfig,
    /// Start the router's plain-HTTP internal listener, open to loopback callers.
    pub internal_listener: bool,
    /// Start the clinician web app (port +5).
    pub web: Option<WebSpec>,
}

/// How to run the clinician web app in a federation.
#[derive(Clone, Debug)]
pub struct WebSpec {
    /// Offer the demo-user picker.
    pub demo_mode: bool,
    pub idle_timeout: Duration,
}

impl FederationSpec {
    /// The demo: three care givers, `patients` demo patients.
    pub fn demo(data_dir: &Path, patients: usize) -> FederationSpec {
        FederationSpec {
            data_dir: data_dir.to_owned(),
            database_url: None,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port_base: None,
            sources: demo::sources(),
            patients,
            seed: crate::seeding::DEFAULT_SEED,
            router: RouterConfig {
                instance_id: "npo-vp-1".into(),
                original_consumer_senders: vec![demo::AGP_HSA_ID.into()],
                internal_allowed_ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
                ..RouterConfig::default()
            },
            agp: AgpConfig {
                ei_logical_address: demo::EI_HSA_ID.into(),
                allowed_callers: vec![demo::ROUTER_HSA_ID.into()],
                ..AgpConfig::default()
            },
            internal_listener: false,
            web: None,
        }
    }
}

/// A certificate and key, as written to `demo.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Credential {
    pub hsa_id: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A running source system, as written to `demo.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SourceInfo {
    pub hsa_id: String,
    pub name: String,
    pub care_giver_hsa_id: String,
    pub care_giver_name: String,
    pub url: String,
}

/// How to reach the federation: `demo.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FederationInfo {
    /// Where consumers send their calls.
    pub router_url: String,
    pub internal_router_url: Option<String>,
    /// The logical address of the aggregating services.
    pub aggregating_logical_address: String,
    pub engagement_index_logical_address: String,
    /// The security services' JSON API (consent, relations, blocks, access log, directory;
    /// OpenAPI at `/api/v1/openapi.json`), for the demo consumer system.
    pub security_api_url: String,
    pub ca: PathBuf,
    pub consumer: Credential,
    pub admin: Credential,
    pub sources: Vec<SourceInfo>,
    pub patients: Vec<String>,
    /// The clinician web app, if started.
    #[serde(default)]
    pub web_url: Option<String>,
    /// Personal certificates of the demo staff (HSA-id, certificate, key), for logging in to
    /// the web app with a certificate.
    #[serde(default)]
    pub staff: Vec<Credential>,
}

/// A running federation.
pub struct Federation {
    pub info: FederationInfo,
    pub security_api: crate::serve::Server,
    pub web: Option<(crate::serve::Server, std::sync::Arc<npo_web::Web>)>,
    database_url: String,
    pub platform: Platform,
    pub sources: Vec<SourceNode>,
    pub pki: DevPki,
    stop: CancellationToken,
}

fn port(spec: &FederationSpec, offset: u16) -> SocketAddr {
    SocketAddr::new(spec.host, spec.port_base.map_or(0, |b| b + offset))
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("https://{addr}{path}")
}

impl Federation {
    pub async fn start(spec: FederationSpec) -> anyhow::Result<Federation> {
        std::fs::create_dir_all(&spec.data_dir)
            .with_context(|| format!("cannot create {}", spec.data_dir.display()))?;
        // Absolute paths in demo.json, so it works from any directory.
        let spec = FederationSpec {
            data_dir: spec.data_dir.canonicalize()?,
            ..spec
        };
        let pki = DevPki::open_or_create(&spec.data_dir.join("pki"), "npo dev CA")?;
        let ca = pki.ca_cert_path();
        let issue = |name: &str, spec: CertSpec| -> anyhow::Result<Identity> {
            let c = pki.issue(name, &spec)?;
            Ok(Identity {
                cert: c.cert_path,
                key: c.key_path,
            })
        };
        let database_url = spec
            .database_url
            .clone()
            .unwrap_or_else(|| npo_store::sqlite_url(&spec.data_dir.join("npo.sqlite")));
        let stop = CancellationToken::new();

        let router_listener = Listener::new(
            port(&spec, 0),
            issue(
                "router",
                CertSpec::system(demo::ROUTER_HSA_ID, "npo tjänsteplattform"),
            )?,
        );
        let platform_cfg = PlatformConfig {
            database_url: database_url.clone(),
            ca: ca.clone(),
            catalogue_poll_ms: 1000,
            router: RouterNode {
                listener: router_listener,
                internal_listen: spec.internal_listener.then(|| port(&spec, 3)),
                settings: spec.router.clone(),
            },
            ei: EiNode {
                listener: Listener::new(
                    port(&spec, 2),
                    issue(
                        "ei",
                        CertSpec::system(demo::EI_HSA_ID, "npo engagemangsindex"),
                    )?,
                ),
                hsa_id: demo::EI_HSA_ID.into(),
                allowed_callers: vec![demo::ROUTER_HSA_ID.into()],
            },
            agp: AgpNode {
                listener: Listener::new(
                    port(&spec, 1),
                    issue(
                        "agp",
                        CertSpec::system(demo::AGP_HSA_ID, "npo aggregerande tjänster"),
                    )?,
                ),
                vp_url: None,
                settings: spec.agp.clone(),
            },
        };
        let platform = Platform::start(&platform_cfg, stop.clone()).await?;

        let mut sources = Vec::new();
        for (i, s) in spec.sources.iter().enumerate() {
            let cfg = SourceNodeConfig {
                database_url: database_url.clone(),
                ca: ca.clone(),
                listener: Listener::new(
                    port(&spec, 10 + i as u16),
                    issue(
                        &format!("source-{}", s.hsa_id),
                        CertSpec::system(&s.hsa_id, &s.name),
                    )?,
                ),
                vp_url: url(reachable(platform.router.addr), "/vp"),
                sync_retry_ms: 1000,
                source: s.clone(),
            };
            sources.push(SourceNode::start(&cfg, stop.clone()).await?);
        }

        // The security services' API, for the consumer system (and the directory for the
        // administrator). Its registrations go through a PDL gate of its own, which asks for
        // available patients through the router with the security services' certificate.
        let security_db = npo_store::Db::connect(&database_url).await?;
        let security_identity = issue(
            "security",
            CertSpec::system(demo::SECURITY_HSA_ID, "npo säkerhetstjänster"),
        )?;
        let security_vp = npo_router::VpClient::new(
            &url(reachable(platform.router.addr), "/vp"),
            crate::serve::client(&security_identity, &ca)?,
        )
        .map_err(|e| anyhow::anyhow!(e))?;
        let directory_store = npo_security::directory::DirectoryStore::new(security_db.clone());
        let security_gate = npo_gate::Gate::new(
            npo_gate::GateConfig {
                system_hsa_id: demo::SECURITY_HSA_ID.into(),
                aggregating_logical_address: demo::AGP_HSA_ID.into(),
            },
            security_vp,
            npo_security::relation::RelationStore::new(security_db.clone()),
            npo_security::consent::ConsentStore::new(security_db.clone()),
            npo_security::blocks::BlockStore::new(security_db.clone()),
            npo_security::access_log::AccessLog::start(security_db.clone(), Default::default()),
        )
        .with_directory(directory_store.clone());
        let api = npo_security_api::SecurityApi {
            directory: directory_store,
            consents: npo_security::consent::ConsentStore::new(security_db.clone()),
            relations: npo_security::relation::RelationStore::new(security_db.clone()),
            blocks: npo_security::blocks::BlockStore::new(security_db.clone()),
            log: npo_security::access_log::AccessLog::start(security_db, Default::default()),
            gate: std::sync::Arc::new(security_gate),
            allowed_systems: vec![demo::CONSUMER_HSA_ID.into()],
            admin_systems: vec![demo::ADMIN_HSA_ID.into()],
            max_directory_drop_percent: npo_security::directory::DEFAULT_MAX_DROP_PERCENT,
        };
        let security_api = crate::serve::spawn_tls(
            &Listener::new(port(&spec, 4), security_identity),
            &ca,
            npo_security_api::router(std::sync::Arc::new(api)).merge(
                npo_security_api::log_querying_router(std::sync::Arc::new(
                    npo_security_api::LogQuerying::new(
                        npo_security::access_log::AccessLog::start(
                            npo_store::Db::connect(&database_url).await?,
                            Default::default(),
                        ),
                        vec![demo::ROUTER_HSA_ID.into()],
                    ),
                )),
            ),
            stop.clone(),
        )
        .await?;

        let population = population_of(&spec)?;
        let consumer = issue(
            "consumer",
            CertSpec::system(demo::CONSUMER_HSA_ID, "npo demokonsument"),
        )?;
        let admin = issue(
            "admin",
            CertSpec::system(demo::ADMIN_HSA_ID, "npo demoadministratör"),
        )?;
        let info = FederationInfo {
            router_url: url(reachable(platform.router.addr), "/vp"),
            internal_router_url: platform
                .internal
                .as_ref()
                .map(|s| format!("http://{}/vp", reachable(s.addr))),
            aggregating_logical_address: demo::AGP_HSA_ID.into(),
            engagement_index_logical_address: demo::EI_HSA_ID.into(),
            security_api_url: url(reachable(security_api.addr), "/api/v1"),
            ca,
            consumer: Credential {
                hsa_id: demo::CONSUMER_HSA_ID.into(),
                cert: consumer.cert,
                key: consumer.key,
            },
            admin: Credential {
                hsa_id: demo::ADMIN_HSA_ID.into(),
                cert: admin.cert,
                key: admin.key,
            },
            sources: spec
                .sources
                .iter()
                .zip(&sources)
                .map(|(s, n)| SourceInfo {
                    hsa_id: s.hsa_id.clone(),
                    name: s.name.clone(),
                    care_giver_hsa_id: s.care_giver_hsa_id.clone(),
                    care_giver_name: s.care_giver_name.clone(),
                    url: url(reachable(n.server.addr), "/"),
                })
                .collect(),
            patients: crate::seeding::patient_ids(&population.0, population.1),
            web_url: None,
            staff: Vec::new(),
        };

        // The catalogue: the demo's own entries are (re)written on every start, so addresses
        // follow the ports; anything an administrator added stays.
        let entries = catalogue(&info, &platform, &spec.sources);
        platform
            .tak_store
            .modify(|c| {
                c.merge(entries.clone());
                Ok(())
            })
            .await?;
        platform.tak.reload(&platform.tak_store).await?;

        // The HSA directory of the demo's care givers, once.
        let directory = npo_security::directory::DirectoryStore::new(platform.db.clone());
        if directory.load().await?.care_givers.is_empty() {
            directory
                .replace(
                    &demo::directory(&spec.sources),
                    &npo_security::directory::DirectoryChange {
                        by: "npo demo".into(),
                        via: npo_security::directory::ChangeVia::Cli,
                        force: false,
                        max_drop_percent: npo_security::directory::DEFAULT_MAX_DROP_PERCENT,
                    },
                )
                .await?;
        }

        // The clinician web app, and personal certificates for the demo staff.
        let mut info = info;
        let web = match &spec.web {
            None => None,
            Some(w) => {
                let dir = directory.load().await?;
                for p in &dir.persons {
                    let c = pki.issue(
                        &format!("staff-{}", p.hsa_id),
                        &CertSpec::person(&p.hsa_id, &p.full_name()),
                    )?;
                    info.staff.push(Credential {
                        hsa_id: p.hsa_id.clone(),
                        cert: c.cert_path,
                        key: c.key_path,
                    });
                }
                let (server, app) =
                    start_web(&spec, &info, &pki, &database_url, w, stop.clone()).await?;
                info.web_url = Some(url(reachable(server.addr), ""));
                Some((server, app))
            }
        };

        // Synthetic records, once, then the engagement index is brought up to date.
        let mut empty = true;
        for node in &sources {
            empty &= node.system.record_count().await? == 0;
        }
        if empty && population.1 > 0 {
            let systems: Vec<_> = sources.iter().map(|n| n.system.clone()).collect();
            let report =
                crate::seeding::seed_sources(&population.0, population.1 as u64, &systems).await?;
            tracing::info!(
                patients = report.patients,
                records = report.records,
                "synthetic records written"
            );
        }
        for node in &sources {
            let mut tries = 0;
            while node
                .system
                .sync_engagements()
                .await
                .context("engagement index sync")?
                > 0
                && tries < 50
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(Federation {
            info,
            security_api,
            web,
            database_url,
            platform,
            sources,
            pki,
            stop,
        })
    }

    /// The database the federation's parts use.
    pub fn platform_database_url(&self) -> String {
        self.database_url.clone()
    }

    /// Writes `demo.json` into `dir`.
    pub fn write_info(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        // Written whole and renamed into place, so a script never reads half a file.
        let path = dir.join("demo.json");
        let tmp = dir.join(".demo.json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(&self.info)?)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }

    /// A client presenting the demo consumer's certificate.
    pub fn consumer_client(&self) -> anyhow::Result<npo_pki::HttpsClient> {
        crate::serve::client(
            &Identity {
                cert: self.info.consumer.cert.clone(),
                key: self.info.consumer.key.clone(),
            },
            &self.info.ca,
        )
    }

    /// Stops every listener and background task and waits for the listeners to finish.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let mut tasks = vec![
            self.platform.router.task,
            self.platform.ei.task,
            self.platform.agp.task,
        ];
        tasks.extend(self.platform.internal.map(|s| s.task));
        tasks.extend(self.sources.into_iter().map(|s| s.server.task));
        tasks.extend(self.web.map(|(s, _)| s.task));
        for t in tasks {
            let _ = t.await;
        }
        self.platform.db.close().await;
    }
}

fn contract(info: &ContractInfo) -> ServiceContract {
    let major = info
        .namespace
        .rsplit(':')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(1);
    let minor = info
        .version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    ServiceContract {
        namespace: info.namespace.into(),
        name: info.name.into(),
        major,
        minor,
    }
}

const FOREVER: (&str, &str) = ("2020-01-01", "2099-12-31");

fn routing(id: String, la: &str, ns: &str, component: &str, url: &str) -> Routing {
    Routing {
        id,
        logical_address: la.into(),
        contract_namespace: ns.into(),
        component_hsa_id: component.into(),
        url: url.into(),
        from_date: FOREVER.0.into(),
        to_date: FOREVER.1.into(),
    }
}

/// The federation's population: fixed at first start (see [`crate::seeding::fixed_population`]).
fn population_of(spec: &FederationSpec) -> anyhow::Result<(npo_seed::Population, usize)> {
    crate::seeding::fixed_population(
        &spec.data_dir,
        spec.seed,
        spec.patients,
        &spec.sources,
        None,
    )
}

/// Starts the web app on port +5 with its own server certificate; a personal certificate is
/// optional in the handshake (the login page explains what is missing).
async fn start_web(
    spec: &FederationSpec,
    info: &FederationInfo,
    pki: &DevPki,
    database_url: &str,
    w: &WebSpec,
    stop: CancellationToken,
) -> anyhow::Result<(crate::serve::Server, std::sync::Arc<npo_web::Web>)> {
    let db = npo_store::Db::connect(database_url).await?;
    let consumer = Identity {
        cert: info.consumer.cert.clone(),
        key: info.consumer.key.clone(),
    };
    let vp =
        npo_router::VpClient::new(&info.router_url, crate::serve::client(&consumer, &info.ca)?)
            .map_err(|e| anyhow::anyhow!(e))?;
    let gate = npo_gate::Gate::new(
        npo_gate::GateConfig {
            system_hsa_id: demo::CONSUMER_HSA_ID.into(),
            aggregating_logical_address: info.aggregating_logical_address.clone(),
        },
        vp,
        npo_security::relation::RelationStore::new(db.clone()),
        npo_security::consent::ConsentStore::new(db.clone()),
        npo_security::blocks::BlockStore::new(db.clone()),
        npo_security::access_log::AccessLog::start(db.clone(), Default::default()),
    )
    .with_directory(npo_security::directory::DirectoryStore::new(db.clone()));
    let launch_key = launch_key(&spec.data_dir)?;
    let tcp = crate::serve::bind(port(spec, 5)).await?;
    let addr = reachable(tcp.local_addr()?);
    let cfg = npo_web::WebConfig {
        demo_mode: w.demo_mode,
        idle_timeout: w.idle_timeout,
        launch_key,
        // The record systems (the demo's source systems) open npo on a patient.
        launch_systems: spec.sources.iter().map(|s| s.hsa_id.clone()).collect(),
        public_url: url(addr, ""),
        source_names: spec
            .sources
            .iter()
            .map(|s| (s.hsa_id.clone(), s.name.clone()))
            .collect(),
        care_giver_names: spec
            .sources
            .iter()
            .map(|s| (s.care_giver_hsa_id.clone(), s.care_giver_name.clone()))
            .collect(),
        care_unit_names: spec
            .sources
            .iter()
            .flat_map(|s| &s.care_units)
            .map(|u| (u.hsa_id.clone(), u.name.clone()))
            .collect(),
    };
    let app = npo_web::Web::new(
        cfg,
        std::sync::Arc::new(gate),
        npo_security::directory::DirectoryStore::new(db),
    );
    let c = pki.issue("web", &CertSpec::system(demo::CONSUMER_HSA_ID, "npo webb"))?;
    let identity = npo_pki::TlsIdentity::from_pem_files(&c.cert_path, &c.key_path)?;
    let tls = npo_pki::server_config_optional_client(&identity, &info.ca)?;
    let server = crate::serve::spawn_with_tls(tcp, tls, npo_web::router(app.clone()), stop)?;
    Ok((server, app))
}

/// The context-launch secret, created once (0600) in the data directory.
fn launch_key(dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = dir.join("web-launch.key");
    if path.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)?.permissions().mode();
            anyhow::ensure!(
                mode & 0o077 == 0,
                "{} must be readable by its owner only (chmod 600)",
                path.display()
            );
        }
        let bytes = std::fs::read(&path)?;
        let key = hex::decode(bytes.trim_ascii())
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .with_context(|| format!("{} must hold 32 bytes in hex", path.display()))?;
        return Ok(key);
    }
    let key = npo_web::launch::LaunchKey::generate_bytes();
    write_secret(&path, hex::encode(key).as_bytes())?;
    Ok(key)
}

fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    o.mode(0o600);
    o.open(path)?.write_all(bytes)?;
    Ok(())
}

fn grant(id: String, consumer: &str, la: &str, ns: &str) -> Authorization {
    Authorization {
        id,
        consumer_hsa_id: consumer.into(),
        logical_address: la.into(),
        contract_namespace: ns.into(),
        from_date: FOREVER.0.into(),
        to_date: FOREVER.1.into(),
    }
}

/// The catalogue entries of a federation: every contract routed to its producers, the HSA
/// tree of the care givers, and the authorizations the demo needs.
fn catalogue(info: &FederationInfo, platform: &Platform, sources: &[SourceConfig]) -> Catalogue {
    let agp_url = url(reachable(platform.agp.addr), "/");
    let ei_url = url(reachable(platform.ei.addr), "/");
    let infos = npo_riv::contracts::all();
    let mut c = Catalogue::default();
    c.contracts.extend(infos.iter().map(contract));
    c.contracts.push(ServiceContract {
        namespace: UPDATE_NS.into(),
        name: "Update".into(),
        major: 1,
        minor: 0,
    });
    c.contracts.push(ServiceContract {
        namespace: npo_riv::accesscontrol::NAMESPACE.into(),
        name: "AssertCareEngagement".into(),
        major: 1,
        minor: 0,
    });
    c.contracts.push(ServiceContract {
        namespace: FIND_CONTENT_NS.into(),
        name: "FindContent".into(),
        major: 1,
        minor: 0,
    });
    let component = |hsa: &str, d: &str| ServiceComponent {
        hsa_id: hsa.into(),
        description: d.into(),
    };
    let address = |hsa: &str, d: &str| LogicalAddress {
        hsa_id: hsa.into(),
        description: d.into(),
    };
    c.components.extend([
        component(demo::AGP_HSA_ID, "Aggregerande tjänster"),
        component(demo::EI_HSA_ID, "Engagemangsindex"),
        component(demo::CONSUMER_HSA_ID, "Demokonsument"),
    ]);
    c.logical_addresses.extend([
        address(&info.aggregating_logical_address, "Aggregerande tjänster"),
        address(&info.engagement_index_logical_address, "Engagemangsindex"),
    ]);
    // The patient's access log (GetAccessLogsForPatient), produced by the security services.
    let log_ns = npo_riv::contracts::access_logs_for_patient_v1::NAMESPACE;
    c.contracts.push(ServiceContract {
        namespace: log_ns.into(),
        name: "GetAccessLogsForPatient".into(),
        major: 1,
        minor: 0,
    });
    c.components
        .push(component(demo::SECURITY_HSA_ID, "Säkerhetstjänster"));
    c.logical_addresses
        .push(address(demo::SECURITY_HSA_ID, "Säkerhetstjänster"));
    c.routings.push(routing(
        "demo-security-log".into(),
        demo::SECURITY_HSA_ID,
        log_ns,
        demo::SECURITY_HSA_ID,
        &format!(
            "{}/riv/log",
            info.security_api_url.trim_end_matches("/api/v1")
        ),
    ));
    c.authorizations.push(grant(
        "demo-consumer-security-log".into(),
        demo::CONSUMER_HSA_ID,
        demo::SECURITY_HSA_ID,
        log_ns,
    ));
    let ei = info.engagement_index_logical_address.as_str();
    c.routings.push(routing(
        "demo-ei-update".into(),
        ei,
        UPDATE_NS,
        demo::EI_HSA_ID,
        &ei_url,
    ));
    c.routings.push(routing(
        "demo-ei-find".into(),
        ei,
        FIND_CONTENT_NS,
        demo::EI_HSA_ID,
        &ei_url,
    ));
    c.authorizations.push(grant(
        "demo-agp-find".into(),
        demo::AGP_HSA_ID,
        ei,
        FIND_CONTENT_NS,
    ));
    for i in &infos {
        let agp = info.aggregating_logical_address.as_str();
        c.routings.push(routing(
            format!("demo-agp-{}-{}", i.name, i.version),
            agp,
            i.namespace,
            demo::AGP_HSA_ID,
            &agp_url,
        ));
        c.authorizations.push(grant(
            format!("demo-consumer-agp-{}-{}", i.name, i.version),
            demo::CONSUMER_HSA_ID,
            agp,
            i.namespace,
        ));
    }
    for (s, running) in sources.iter().zip(&info.sources) {
        c.components.push(component(&s.hsa_id, &s.name));
        c.logical_addresses.push(address(&s.hsa_id, &s.name));
        c.logical_addresses
            .push(address(&s.care_giver_hsa_id, &s.care_giver_name));
        for u in &s.care_units {
            c.hsa_tree.push(HsaNode {
                hsa_id: u.hsa_id.clone(),
                parent_hsa_id: s.care_giver_hsa_id.clone(),
            });
        }
        c.authorizations.push(grant(
            format!("demo-{}-update", s.hsa_id),
            &s.hsa_id,
            ei,
            UPDATE_NS,
        ));
        // Available patient: asked of the care giver, answered by its record system.
        let ace = npo_riv::accesscontrol::NAMESPACE;
        let giver = &s.care_giver_hsa_id;
        c.routings.push(routing(
            format!("demo-{giver}-ace"),
            giver,
            ace,
            &s.hsa_id,
            &running.url,
        ));
        c.authorizations.push(grant(
            format!("demo-consumer-{giver}-ace"),
            demo::CONSUMER_HSA_ID,
            giver,
            ace,
        ));
        // The security services' API checks available patients for its registrations.
        c.authorizations.push(grant(
            format!("demo-security-{giver}-ace"),
            demo::SECURITY_HSA_ID,
            giver,
            ace,
        ));
        for i in &infos {
            // The source system answers for its own address and, through the HSA tree, for
            // its care giver's units.
            for la in [&s.hsa_id, &s.care_giver_hsa_id] {
                c.routings.push(routing(
                    format!("demo-{la}-{}-{}", i.name, i.version),
                    la,
                    i.namespace,
                    &s.hsa_id,
                    &running.url,
                ));
                c.authorizations.push(grant(
                    format!("demo-agp-{la}-{}-{}", i.name, i.version),
                    demo::AGP_HSA_ID,
                    la,
                    i.namespace,
                ));
                c.authorizations.push(grant(
                    format!("demo-consumer-{la}-{}-{}", i.name, i.version),
                    demo::CONSUMER_HSA_ID,
                    la,
                    i.namespace,
                ));
            }
        }
    }
    c
}
