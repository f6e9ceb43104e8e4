//! `npo-bench`: a load benchmark of the service platform.
//!
//! Starts an in-process federation (the platform and `--sources` identical source systems, on
//! loopback, over SQLite in a temporary directory) and measures one GetCareDocumentation call,
//! at each `--concurrency`, in these scenarios:
//!
//! - `aggregated`: to the aggregating services, which ask the engagement index and then every
//!   source system through the router;
//! - `direct`: to one source system through the router;
//! - `source-only`: to that source system itself, presenting the router's certificate: the
//!   baseline for the aggregation overhead;
//! - `nginx`: to that source system through a plain nginx reverse proxy (if nginx is
//!   installed): the baseline for the router's throughput.
//!
//! Prints a Markdown table and the derived comparisons; `--json` writes the raw numbers.

mod load;
mod nginx;

use anyhow::Context;
use bytes::Bytes;
use clap::Parser;
use load::{Expect, RunResult, Target};
use npo::federation::{Federation, FederationSpec};
use npo_riv::contract::Contract;
use npo_riv::contracts::{GetCareDocumentationV2, GetLaboratoryOrderOutcomeV4};
use npo_riv::{PersonId, Query, soap};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Load benchmark of the npo service platform (in-process federation on loopback).
#[derive(Parser, Debug, Serialize)]
#[command(name = "npo-bench")]
struct Args {
    /// Number of source systems; the synthetic population's records are spread over them.
    #[arg(long, default_value_t = 10)]
    sources: usize,
    /// Number of synthetic patients (npo seed).
    #[arg(long, default_value_t = 5)]
    patients: usize,
    /// Concurrent clients, comma-separated; every scenario runs at each.
    #[arg(long, value_delimiter = ',', default_value = "1,16,128")]
    concurrency: Vec<usize>,
    /// Measured seconds per scenario and concurrency.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Unmeasured warm-up seconds before each measurement.
    #[arg(long, default_value_t = 1)]
    warmup_secs: u64,
    /// The patient asked for.
    #[arg(long, default_value = "191212121212")]
    patient: String,
    /// The contract: `care-documentation` (GetCareDocumentation 2.1) or `lab`
    /// (GetLaboratoryOrderOutcome 4.0, the heaviest type).
    #[arg(long, default_value = "care-documentation")]
    contract: String,
    /// The nginx binary for the `nginx` scenario (an error if missing). Default: /usr/sbin/nginx
    /// if it exists, otherwise the scenario is skipped.
    #[arg(long)]
    nginx: Option<PathBuf>,
    /// Also write the raw numbers as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The aggregation overhead target: p99 overhead below this many ms…
const OVERHEAD_TARGET_MS: f64 = 5.0;
/// …at this many clients.
const OVERHEAD_TARGET_CLIENTS: usize = 16;
/// The router's throughput must be at least this share of nginx's.
const THROUGHPUT_TARGET: f64 = 0.8;

/// Aggregated latency minus source-only latency at one concurrency.
#[derive(Debug, Serialize)]
struct Overhead {
    concurrency: usize,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
}

/// `direct` throughput ÷ `nginx` throughput at one concurrency.
#[derive(Debug, Serialize)]
struct VsNginx {
    concurrency: usize,
    ratio: Option<f64>,
}

#[derive(Serialize)]
struct Report<'a> {
    args: &'a Args,
    cpus: usize,
    nginx_available: bool,
    runs: &'a [RunResult],
    overhead: Vec<Overhead>,
    overhead_target_met: Option<bool>,
    router_vs_nginx: Vec<VsNginx>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    anyhow::ensure!(args.sources > 0, "--sources must be at least 1");
    anyhow::ensure!(
        !args.concurrency.is_empty() && !args.concurrency.contains(&0),
        "--concurrency must list positive numbers"
    );
    anyhow::ensure!(args.duration_secs > 0, "--duration-secs must be positive");
    let nginx_binary = match &args.nginx {
        Some(b) => {
            anyhow::ensure!(b.exists(), "no nginx at {}", b.display());
            Some(b.clone())
        }
        None => Some(PathBuf::from(nginx::DEFAULT_BINARY)).filter(|b| b.exists()),
    };

    let dir = tempfile::tempdir()?;
    eprintln!(
        "starting a federation with {} source systems in {}",
        args.sources,
        dir.path().display()
    );
    let mut spec = FederationSpec::demo(&dir.path().join("federation"), args.patients);
    spec.sources = (1..=args.sources).map(npo_bench::source).collect();
    let fed = Federation::start(spec).await.context("federation")?;

    let result = run_all(&args, &fed, nginx_binary.as_deref(), dir.path()).await;
    // Stop the platform; bounded, in case a kept-alive connection holds a listener open.
    let _ = tokio::time::timeout(Duration::from_secs(10), fed.shutdown()).await;
    let runs = result?;

    let overhead = overhead(&args.concurrency, &runs);
    let overhead_target_met = overhead
        .iter()
        .find(|o| o.concurrency == OVERHEAD_TARGET_CLIENTS)
        .and_then(|o| o.p99_ms)
        .map(|p99| p99 < OVERHEAD_TARGET_MS);
    let report = Report {
        args: &args,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        nginx_available: nginx_binary.is_some(),
        runs: &runs,
        overhead,
        overhead_target_met,
        router_vs_nginx: vs_nginx(&args.concurrency, &runs),
    };
    println!("{}", markdown(&report));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("raw numbers written to {}", path.display());
    }
    Ok(())
}

/// Runs every scenario at every concurrency, one after the other.
async fn run_all(
    args: &Args,
    fed: &Federation,
    nginx_binary: Option<&std::path::Path>,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<RunResult>> {
    let info = &fed.info;
    let q = Query::for_patient(PersonId::for_patient_id(&args.patient));
    let (request, namespace, answer) = match args.contract.as_str() {
        "care-documentation" => (
            GetCareDocumentationV2::write_request(&q),
            GetCareDocumentationV2::NAMESPACE,
            Expect::Contains("GetCareDocumentationResponse>"),
        ),
        "lab" => (
            GetLaboratoryOrderOutcomeV4::write_request(&q.clone().into()),
            GetLaboratoryOrderOutcomeV4::NAMESPACE,
            Expect::Contains("GetLaboratoryOrderOutcomeResponse>"),
        ),
        other => anyhow::bail!("unknown --contract {other}"),
    };
    // The sources that hold the patient's records of the contract, the richest first.
    let db = npo_store::Db::connect(&fed.platform_database_url()).await?;
    let holders: Vec<(String, i64)> = npo_store::sqlx::query_as(
        "SELECT source_hsa_id, COUNT(*) AS n FROM source_records WHERE patient_id = $1 \
         AND contract_namespace = $2 GROUP BY source_hsa_id ORDER BY n DESC, source_hsa_id",
    )
    .bind(&args.patient)
    .bind(namespace)
    .fetch_all(&db.pool)
    .await?;
    db.close().await;
    let records: i64 = holders.iter().map(|h| h.1).sum();
    eprintln!(
        "{records} records of the patient in {} source systems",
        holders.len()
    );
    let source = info
        .sources
        .iter()
        .find(|s| holders.first().is_some_and(|h| h.0 == s.hsa_id))
        .context("no source system holds the patient's records")?;
    let to = |logical_address: &str| Bytes::from(soap::request(logical_address, &request));
    // Enough idle connections for every worker to keep its own.
    let max_idle = args.concurrency.iter().copied().max().unwrap_or(1);
    let consumer = load::client(&info.consumer.cert, &info.consumer.key, &info.ca, max_idle)?;
    let router_cert = fed.pki.dir().join("router.pem");
    let router_key = fed.pki.dir().join("router.key");
    let as_router = load::client(&router_cert, &router_key, &info.ca, max_idle)?;
    let direct = |url: &str, client: &load::BenchClient| -> anyhow::Result<Arc<Target>> {
        Ok(Arc::new(Target {
            url: url.parse()?,
            body: to(&source.hsa_id),
            client: client.clone(),
            expect: answer,
        }))
    };

    let mut scenarios = vec![
        (
            "aggregated",
            Arc::new(Target {
                url: info.router_url.parse()?,
                body: to(&info.aggregating_logical_address),
                client: consumer.clone(),
                // One ProcessingStatus record per source system holding records, all answered.
                expect: Expect::Exactly(">DataFromSource<", holders.len()),
            }),
        ),
        ("direct", direct(&info.router_url, &consumer)?),
        ("source-only", direct(&source.url, &as_router)?),
    ];
    let _nginx = match nginx_binary {
        Some(binary) => {
            let upstream: hyper::Uri = source.url.parse()?;
            let upstream = upstream
                .authority()
                .context("source URL without host")?
                .to_string();
            let tls = nginx::Tls {
                cert: &router_cert,
                key: &router_key,
                ca: &info.ca,
            };
            let proxy = nginx::Nginx::start(binary, &dir.join("nginx"), &upstream, &tls)?;
            scenarios.push(("nginx", direct(&proxy.url, &consumer)?));
            Some(proxy)
        }
        None => {
            eprintln!("nginx not available: skipping the nginx scenario");
            None
        }
    };

    let warmup = Duration::from_secs(args.warmup_secs);
    let measure = Duration::from_secs(args.duration_secs);
    let mut runs = Vec::new();
    for (name, target) in &scenarios {
        for &c in &args.concurrency {
            eprintln!("{name} × {c} …");
            let r = load::run(name, target, c, warmup, measure).await;
            if let Some(e) = &r.first_error {
                eprintln!("  {} errors, first: {e}", r.errors);
            }
            runs.push(r);
        }
    }
    Ok(runs)
}

fn find<'a>(runs: &'a [RunResult], scenario: &str, concurrency: usize) -> Option<&'a RunResult> {
    runs.iter()
        .find(|r| r.scenario == scenario && r.concurrency == concurrency)
}

fn overhead(concurrencies: &[usize], runs: &[RunResult]) -> Vec<Overhead> {
    let diff = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
    concurrencies
        .iter()
        .filter_map(|&c| {
            let agg = find(runs, "aggregated", c)?;
            let src = find(runs, "source-only", c)?;
            Some(Overhead {
                concurrency: c,
                p50_ms: diff(agg.p50_ms, src.p50_ms),
                p99_ms: diff(agg.p99_ms, src.p99_ms),
            })
        })
        .collect()
}

fn vs_nginx(concurrencies: &[usize], runs: &[RunResult]) -> Vec<VsNginx> {
    concurrencies
        .iter()
        .filter_map(|&c| {
            let router = find(runs, "direct", c)?;
            let nginx = find(runs, "nginx", c)?;
            Some(VsNginx {
                concurrency: c,
                ratio: (nginx.throughput > 0.0).then(|| router.throughput / nginx.throughput),
            })
        })
        .collect()
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.2}"))
}

fn met(ok: bool) -> &'static str {
    if ok { "MET" } else { "NOT MET" }
}

/// The report as Markdown.
fn markdown(r: &Report<'_>) -> String {
    use std::fmt::Write;
    let a = r.args;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## npo load benchmark\n\n\
         {} for {}, {} source systems, {} synthetic patients, SQLite, loopback mTLS; \
         {} s measured after {} s warm-up per row. Machine: {} CPU cores, shared by the load \
         generator and the whole federation (same process), so absolute numbers are a lower \
         bound.\n",
        a.contract, a.patient, a.sources, a.patients, a.duration_secs, a.warmup_secs, r.cpus
    );
    let _ = writeln!(
        s,
        "| scenario | concurrency | requests | throughput (req/s) | p50 ms | p99 ms | errors |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    for run in r.runs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.1} | {} | {} | {} |",
            run.scenario,
            run.concurrency,
            run.requests,
            run.throughput,
            ms(run.p50_ms),
            ms(run.p99_ms),
            run.errors
        );
    }

    let _ = writeln!(s, "\n### Aggregation overhead (aggregated − source-only)\n");
    for o in &r.overhead {
        let _ = writeln!(
            s,
            "- {} clients: p50 {} ms, p99 {} ms",
            o.concurrency,
            ms(o.p50_ms),
            ms(o.p99_ms)
        );
    }
    let verdict = r.overhead_target_met.map_or("not measured", met);
    let _ = writeln!(
        s,
        "\ntarget: p99 overhead < {OVERHEAD_TARGET_MS} ms at {OVERHEAD_TARGET_CLIENTS} clients: {verdict}"
    );

    let _ = writeln!(
        s,
        "\n### Router throughput vs nginx (direct ÷ nginx req/s)\n"
    );
    if !r.nginx_available {
        let _ = writeln!(s, "nginx not available");
    }
    for v in &r.router_vs_nginx {
        let verdict = v
            .ratio
            .map_or("not measured", |x| met(x >= THROUGHPUT_TARGET));
        let ratio = v.ratio.map_or_else(|| "–".into(), |x| format!("{x:.2}"));
        let _ = writeln!(
            s,
            "- {} clients: {ratio} (target ≥ {THROUGHPUT_TARGET}): {verdict}",
            v.concurrency
        );
    }
    s
}
