use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use npo::config::{self, PlatformConfig, SourceNodeConfig};
use npo::federation::{Federation, FederationSpec};
use npo_pki::{CertSpec, DevPki};
use npo_store::Db;
use npo_tak::TakStore;
use npo_tak::model::*;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// npo: the national patient overview.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a complete federation on localhost: the service platform and three source systems
    /// with demo data.
    Demo(DemoArgs),
    /// Runs the service platform (router, engagement index, aggregating services).
    Platform {
        #[arg(long)]
        config: PathBuf,
    },
    /// Runs one reference source system.
    Source {
        #[arg(long)]
        config: PathBuf,
    },
    /// The dev PKI: a CA and certificates for systems and people.
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Administers the service addressing catalogue (TAK).
    Tak(TakArgs),
    /// Administers the HSA directory (care givers, units, people, assignments, systems).
    Directory(DirectoryArgs),
    /// Validates a SOAP envelope or a message against the official RIV-TA schemas (xmllint).
    Validate { file: PathBuf },
    /// Generates the synthetic population (deterministic from --seed, --patients and --today):
    /// as JSON lines with --out, else into the demo's source systems in --data-dir (or
    /// --database-url), where `npo demo` finds it.
    Seed(SeedArgs),
}

#[derive(Args)]
struct SeedArgs {
    /// How many patients (Tolvan Tolvansson first).
    #[arg(long, default_value_t = 1000)]
    patients: u64,
    #[arg(long, default_value_t = npo::seeding::DEFAULT_SEED)]
    seed: u64,
    /// The reference day (YYYY-MM-DD): nothing happens after it. Default: today.
    #[arg(long)]
    today: Option<chrono::NaiveDate>,
    /// Write JSON lines to this file (`-`: standard output) instead of a database.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The data directory of `npo demo` (SQLite, population.json).
    #[arg(long, default_value = "./npo-data")]
    data_dir: PathBuf,
    /// PostgreSQL instead of the data directory's SQLite.
    #[arg(long, env = "NPO_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args)]
struct DemoArgs {
    /// Where the demo keeps its database, certificates and demo.json.
    #[arg(long, default_value = "./npo-data")]
    data_dir: PathBuf,
    /// PostgreSQL instead of the embedded SQLite, e.g. postgres://postgres@127.0.0.1/npo.
    #[arg(long, env = "NPO_DATABASE_URL")]
    database_url: Option<String>,
    /// The router listens here; the other parts on the following ports.
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// How many synthetic patients to create on first start (see `npo seed`).
    #[arg(long, default_value_t = 1000)]
    patients: usize,
    /// Do not offer the demo-user picker in the web app (certificate login only).
    #[arg(long)]
    no_demo_login: bool,
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Creates the CA in DIR if it does not exist.
    Init {
        #[arg(long, default_value = "./npo-data/pki")]
        dir: PathBuf,
    },
    /// Issues a certificate (HSA-id in the subject serialNumber), reusing a valid one.
    Issue {
        #[arg(long, default_value = "./npo-data/pki")]
        dir: PathBuf,
        /// File name stem: DIR/NAME.pem and DIR/NAME.key.
        #[arg(long)]
        name: String,
        #[arg(long)]
        hsa_id: String,
        /// Common name: the system's or person's name.
        #[arg(long)]
        cn: String,
        /// A personal (client-only) certificate instead of a system certificate.
        #[arg(long)]
        person: bool,
    },
}

#[derive(Args)]
struct TakArgs {
    /// The platform's database.
    #[arg(
        long,
        env = "NPO_DATABASE_URL",
        default_value = "sqlite://./npo-data/npo.sqlite?mode=rwc"
    )]
    database_url: String,
    #[command(subcommand)]
    command: TakCommand,
}

#[derive(Subcommand)]
enum TakCommand {
    /// Lists the catalogue.
    List,
    /// Writes the whole catalogue as JSON (to stdout or --output).
    Export {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Replaces the whole catalogue with a JSON file (validated first; nothing changes if it is
    /// invalid). With --merge, adds and replaces entries instead.
    Import {
        file: PathBuf,
        #[arg(long)]
        merge: bool,
    },
    /// Adds or replaces one entry.
    #[command(subcommand)]
    Add(TakEntry),
    /// Removes one entry (by namespace, HSA-id or id).
    Remove {
        #[arg(value_parser = ["contract", "component", "logical-address", "routing", "authorization", "hsa-node"])]
        kind: String,
        key: String,
    },
}

#[derive(Args)]
struct DirectoryArgs {
    /// The security services' database.
    #[arg(
        long,
        env = "NPO_DATABASE_URL",
        default_value = "sqlite://./npo-data/npo.sqlite?mode=rwc"
    )]
    database_url: String,
    #[command(subcommand)]
    command: DirectoryCommand,
}

#[derive(Subcommand)]
enum DirectoryCommand {
    /// Lists care givers, units, people and their assignments.
    List,
    /// Writes the whole directory as JSON (to stdout or --output).
    Export {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Replaces the whole directory with a JSON file (validated first; nothing changes if it
    /// is invalid, empty, or drops more than --max-drop-percent of the current directory
    /// without --force). Written to the audit trail.
    Import {
        file: PathBuf,
        /// Accept a replacement that drops more than --max-drop-percent of the care givers,
        /// care units, persons or assignments (never an empty one).
        #[arg(long)]
        force: bool,
        #[arg(long, default_value_t = npo_security::directory::DEFAULT_MAX_DROP_PERCENT)]
        max_drop_percent: u8,
        /// Who makes the change, for the audit trail (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Lists the audit trail of directory replacements, newest first.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum TakEntry {
    Contract {
        #[arg(long)]
        namespace: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        major: i64,
        #[arg(long, default_value_t = 0)]
        minor: i64,
    },
    Component {
        #[arg(long)]
        hsa_id: String,
        #[arg(long)]
        description: String,
    },
    LogicalAddress {
        #[arg(long)]
        hsa_id: String,
        #[arg(long)]
        description: String,
    },
    Routing {
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        logical_address: String,
        #[arg(long)]
        contract: String,
        #[arg(long)]
        component: String,
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "2020-01-01")]
        from: String,
        #[arg(long, default_value = "2099-12-31")]
        to: String,
    },
    Authorization {
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        consumer: String,
        #[arg(long)]
        logical_address: String,
        #[arg(long)]
        contract: String,
        #[arg(long, default_value = "2020-01-01")]
        from: String,
        #[arg(long, default_value = "2099-12-31")]
        to: String,
    },
    HsaNode {
        #[arg(long)]
        hsa_id: String,
        #[arg(long)]
        parent: String,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,hyper=warn,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo(args).await,
        Command::Seed(args) => seed(args).await,
        Command::Platform { config } => {
            let cfg: PlatformConfig = config::load(&config)?;
            let stop = CancellationToken::new();
            let p = npo::platform::Platform::start(&cfg, stop.clone()).await?;
            println!("router  https://{}/vp", p.router.addr);
            println!("index   https://{}/", p.ei.addr);
            println!("agp     https://{}/", p.agp.addr);
            shutdown_signal().await;
            stop.cancel();
            let _ = p.router.task.await;
            Ok(())
        }
        Command::Source { config } => {
            let cfg: SourceNodeConfig = config::load(&config)?;
            let stop = CancellationToken::new();
            let n = npo::node::SourceNode::start(&cfg, stop.clone()).await?;
            println!("source {} https://{}/", cfg.source.hsa_id, n.server.addr);
            shutdown_signal().await;
            stop.cancel();
            let _ = n.server.task.await;
            Ok(())
        }
        Command::Pki(PkiCommand::Init { dir }) => {
            let pki = DevPki::open_or_create(&dir, "npo dev CA")?;
            println!("{}", pki.ca_cert_path().display());
            Ok(())
        }
        Command::Pki(PkiCommand::Issue {
            dir,
            name,
            hsa_id,
            cn,
            person,
        }) => {
            if !npo_riv::ids::is_hsa_id(&hsa_id) {
                bail!(
                    "'{hsa_id}' is not a valid HSA-id (SE + 10 or 12 digits + '-' + letters and digits)"
                );
            }
            let pki = DevPki::open_or_create(&dir, "npo dev CA")?;
            let spec = if person {
                CertSpec::person(&hsa_id, &cn)
            } else {
                CertSpec::system(&hsa_id, &cn)
            };
            let c = pki.issue(&name, &spec)?;
            println!("{}\n{}", c.cert_path.display(), c.key_path.display());
            Ok(())
        }
        Command::Tak(args) => tak(args).await,
        Command::Directory(args) => directory(args).await,
        Command::Validate { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            match npo_riv::soap::parse_envelope(&bytes, &npo_riv::Limits::default()) {
                Ok(_) => npo_riv::xsd::validate_envelope(&bytes)?,
                Err(_) => {
                    let el = npo_riv::xml::parse(&bytes, &npo_riv::Limits::default())?;
                    npo_riv::xsd::validate_element(&el)?;
                }
            }
            println!("{} validates", file.display());
            Ok(())
        }
    }
}

async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let mut spec = FederationSpec::demo(&args.data_dir, args.patients);
    spec.sources = npo::demo::all_sources();
    spec.database_url = args.database_url;
    spec.port_base = Some(args.port);
    spec.web = Some(npo::federation::WebSpec {
        demo_mode: !args.no_demo_login,
        idle_timeout: std::time::Duration::from_secs(15 * 60),
    });
    let f = Federation::start(spec).await?;
    let path = f.write_info(&args.data_dir)?;
    let i = &f.info;
    println!("npo demo is running (Ctrl-C stops it)\n");
    println!("  router (tjänsteplattform)   {}", i.router_url);
    println!(
        "  aggregating services        logical address {}",
        i.aggregating_logical_address
    );
    println!(
        "  engagement index            logical address {}",
        i.engagement_index_logical_address
    );
    for s in &i.sources {
        println!(
            "  source system {:<18} {} ({}) {}",
            s.hsa_id, s.name, s.care_giver_name, s.url
        );
    }
    println!(
        "\n  consumer certificate  {}\n  consumer key          {}\n  CA                    {}",
        i.consumer.cert.display(),
        i.consumer.key.display(),
        i.ca.display()
    );
    println!(
        "  demo patients         {} … ({} in all)",
        i.patients[..i.patients.len().min(3)].join(", "),
        i.patients.len()
    );
    if let Some(web) = &i.web_url {
        println!("\n  clinician web app     {web}/");
    }
    println!("\n  all of this, for scripts: {}", path.display());
    shutdown_signal().await;
    println!("stopping…");
    f.shutdown().await;
    Ok(())
}

async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let sources = npo::demo::all_sources();
    let started = std::time::Instant::now();
    let report = if let Some(out) = &args.out {
        let today = args
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let pop = npo::seeding::population(args.seed, today, &sources)?;
        if out.as_os_str() == "-" {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            npo::seeding::write_json_lines(&pop, args.patients, &mut w)?
        } else {
            let f = std::fs::File::create(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let mut w = std::io::BufWriter::new(f);
            npo::seeding::write_json_lines(&pop, args.patients, &mut w)?
        }
    } else {
        std::fs::create_dir_all(&args.data_dir)
            .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
        let path = args.data_dir.join("population.json");
        if path.exists() {
            bail!(
                "{} exists: this data directory is seeded already (remove the directory to start over)",
                path.display()
            );
        }
        let (pop, n) = npo::seeding::fixed_population(
            &args.data_dir,
            args.seed,
            args.patients as usize,
            &sources,
            args.today,
        )?;
        let url = args
            .database_url
            .clone()
            .unwrap_or_else(|| npo_store::sqlite_url(&args.data_dir.join("npo.sqlite")));
        let db = Db::connect(&url).await?;
        let systems: Vec<_> = sources
            .iter()
            .map(|s| npo_source::SourceSystem::new(s.clone(), db.clone(), None))
            .collect();
        npo::seeding::seed_sources(&pop, n as u64, &systems).await?
    };
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} patients, {} records in {:.2} s ({:.0} patients/s)",
        report.patients,
        report.records,
        secs,
        report.patients as f64 / secs.max(1e-9)
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn tak(args: TakArgs) -> anyhow::Result<()> {
    let db = Db::connect(&args.database_url).await?;
    let store = TakStore::new(db);
    match args.command {
        TakCommand::List => {
            let (version, c) = store.load().await?;
            println!("catalogue version {version}");
            println!("\ncontracts ({}):", c.contracts.len());
            for x in &c.contracts {
                println!("  {} {}.{}  {}", x.name, x.major, x.minor, x.namespace);
            }
            println!("\ncomponents ({}):", c.components.len());
            for x in &c.components {
                println!("  {}  {}", x.hsa_id, x.description);
            }
            println!("\nlogical addresses ({}):", c.logical_addresses.len());
            for x in &c.logical_addresses {
                println!("  {}  {}", x.hsa_id, x.description);
            }
            println!("\nroutings ({}):", c.routings.len());
            for x in &c.routings {
                println!(
                    "  [{}] {} {} → {} {} ({} – {})",
                    x.id,
                    x.logical_address,
                    x.contract_namespace,
                    x.component_hsa_id,
                    x.url,
                    x.from_date,
                    x.to_date
                );
            }
            println!("\nauthorizations ({}):", c.authorizations.len());
            for x in &c.authorizations {
                println!(
                    "  [{}] {} may call {} at {} ({} – {})",
                    x.id,
                    x.consumer_hsa_id,
                    x.contract_namespace,
                    x.logical_address,
                    x.from_date,
                    x.to_date
                );
            }
            println!("\nHSA tree ({}):", c.hsa_tree.len());
            for x in &c.hsa_tree {
                println!("  {} under {}", x.hsa_id, x.parent_hsa_id);
            }
        }
        TakCommand::Export { output } => {
            let (_, c) = store.load().await?;
            let json = serde_json::to_string_pretty(&c)?;
            match output {
                Some(p) => std::fs::write(&p, json)
                    .with_context(|| format!("cannot write {}", p.display()))?,
                None => println!("{json}"),
            }
        }
        TakCommand::Import { file, merge } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let incoming: Catalogue = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a catalogue", file.display()))?;
            if merge {
                store
                    .modify(|c| {
                        c.merge(incoming.clone());
                        Ok(())
                    })
                    .await?;
            } else {
                store.replace(&incoming).await?;
            }
            println!("catalogue version {}", store.version().await?);
        }
        TakCommand::Add(entry) => {
            let new_id = || uuid::Uuid::new_v4().to_string();
            let mut add = Catalogue::default();
            match entry {
                TakEntry::Contract {
                    namespace,
                    name,
                    major,
                    minor,
                } => add.contracts.push(ServiceContract {
                    namespace,
                    name,
                    major,
                    minor,
                }),
                TakEntry::Component {
                    hsa_id,
                    description,
                } => add.components.push(ServiceComponent {
                    hsa_id,
                    description,
                }),
                TakEntry::LogicalAddress {
                    hsa_id,
                    description,
                } => add.logical_addresses.push(LogicalAddress {
                    hsa_id,
                    description,
                }),
                TakEntry::Routing {
                    id,
                    logical_address,
                    contract,
                    component,
                    url,
                    from,
                    to,
                } => add.routings.push(Routing {
                    id: id.unwrap_or_else(new_id),
                    logical_address,
                    contract_namespace: contract,
                    component_hsa_id: component,
                    url,
                    from_date: from,
                    to_date: to,
                }),
                TakEntry::Authorization {
                    id,
                    consumer,
                    logical_address,
                    contract,
                    from,
                    to,
                } => add.authorizations.push(Authorization {
                    id: id.unwrap_or_else(new_id),
                    consumer_hsa_id: consumer,
                    logical_address,
                    contract_namespace: contract,
                    from_date: from,
                    to_date: to,
                }),
                TakEntry::HsaNode { hsa_id, parent } => add.hsa_tree.push(HsaNode {
                    hsa_id,
                    parent_hsa_id: parent,
                }),
            }
            store
                .modify(|c| {
                    c.merge(add.clone());
                    Ok(())
                })
                .await?;
            println!("catalogue version {}", store.version().await?);
        }
        TakCommand::Remove { kind, key } => {
            store
                .modify(|c| {
                    let before = count(c);
                    match kind.as_str() {
                        "contract" => c.contracts.retain(|x| x.namespace != key),
                        "component" => c.components.retain(|x| x.hsa_id != key),
                        "logical-address" => c.logical_addresses.retain(|x| x.hsa_id != key),
                        "routing" => c.routings.retain(|x| x.id != key),
                        "authorization" => c.authorizations.retain(|x| x.id != key),
                        _ => c.hsa_tree.retain(|x| x.hsa_id != key),
                    }
                    if count(c) == before {
                        return Err(npo_tak::TakError::NotFound("entry", key.clone()));
                    }
                    Ok(())
                })
                .await?;
            println!("catalogue version {}", store.version().await?);
        }
    }
    Ok(())
}

async fn directory(args: DirectoryArgs) -> anyhow::Result<()> {
    use npo_security::directory::{Directory, DirectoryStore};
    let store = DirectoryStore::new(Db::connect(&args.database_url).await?);
    match args.command {
        DirectoryCommand::List => {
            let d = store.load().await?;
            for g in &d.care_givers {
                println!(
                    "{} {} ({:?}, org.nr {})",
                    g.hsa_id, g.name, g.kind, g.org_no
                );
                for u in d
                    .care_units
                    .iter()
                    .filter(|u| u.care_giver_hsa_id == g.hsa_id)
                {
                    println!("  {} {}", u.hsa_id, u.name);
                    for a in d
                        .assignments
                        .iter()
                        .filter(|a| a.care_unit_hsa_id == u.hsa_id)
                    {
                        let who = d
                            .persons
                            .iter()
                            .find(|p| p.hsa_id == a.person_hsa_id)
                            .map(|p| format!("{} ({})", p.full_name(), p.title))
                            .unwrap_or_default();
                        println!(
                            "    {} {} — {}, {} [{}]",
                            a.hsa_id,
                            who,
                            a.name,
                            a.purpose,
                            a.rights.join(", ")
                        );
                    }
                }
            }
            println!(
                "\n{} people, {} assignments, {} systems",
                d.persons.len(),
                d.assignments.len(),
                d.systems.len()
            );
        }
        DirectoryCommand::Export { output } => {
            let json = serde_json::to_string_pretty(&store.load().await?)?;
            match output {
                Some(p) => std::fs::write(&p, json)
                    .with_context(|| format!("cannot write {}", p.display()))?,
                None => println!("{json}"),
            }
        }
        DirectoryCommand::Audit { limit } => {
            for a in store.audit_trail(limit).await? {
                println!(
                    "{} {} via {}{}: care givers {} -> {}, units {} -> {}, people {} -> {}, assignments {} -> {}, systems {} -> {}; sha256 {}",
                    a.changed_at,
                    a.changed_by,
                    a.via,
                    if a.forced { " (forced)" } else { "" },
                    a.before.care_givers,
                    a.after.care_givers,
                    a.before.care_units,
                    a.after.care_units,
                    a.before.persons,
                    a.after.persons,
                    a.before.assignments,
                    a.after.assignments,
                    a.before.systems,
                    a.after.systems,
                    a.digest_after
                );
            }
        }
        DirectoryCommand::Import {
            file,
            force,
            max_drop_percent,
            by,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let d: Directory = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a directory", file.display()))?;
            let by = by
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "cli".into());
            store
                .replace(
                    &d,
                    &npo_security::directory::DirectoryChange {
                        by: format!("cli:{by}"),
                        via: npo_security::directory::ChangeVia::Cli,
                        force,
                        max_drop_percent,
                    },
                )
                .await?;
            println!(
                "{} care givers, {} people, {} assignments",
                d.care_givers.len(),
                d.persons.len(),
                d.assignments.len()
            );
        }
    }
    Ok(())
}

fn count(c: &Catalogue) -> usize {
    c.contracts.len()
        + c.components.len()
        + c.logical_addresses.len()
        + c.routings.len()
        + c.authorizations.len()
        + c.hsa_tree.len()
}
