//! The PDL gate's added latency: `Gate::read` (rights, available patient, relation, consent,
//! blocks, scope rules, block filtering, one durable log entry per record) against fetching the
//! same types straight from the aggregating services, for a patient with about 50 records in
//! 10 source systems.
//!
//! `[NPO_TEST_DB=postgres] cargo run --release -p npo-bench --bin gate-bench -- [--iterations 2000] [--concurrency 1,16]`
//! (a fresh SQLite file, or a fresh PostgreSQL database on 127.0.0.1, as the tests use).

use anyhow::Context;
use clap::Parser;
use futures::future::join_all;
use npo::demo;
use npo::federation::{Federation, FederationSpec};
use npo_gate::{Gate, GateConfig, InformationType, ReadRequest};
use npo_riv::common::{PersonId, Query};
use npo_riv::contract::Contract;
use npo_riv::contracts::{GetCareDocumentationV2, GetDiagnosisV2};
use npo_router::VpClient;
use npo_security::access_log::{AccessLog, LogConfig};
use npo_security::blocks::BlockStore;
use npo_security::consent::{ConsentScope, ConsentStore, NewConsent};
use npo_security::relation::RelationStore;
use npo_security::{Actor, Assignment, PURPOSE_CARE, Right};
use npo_store::Db;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 2000)]
    iterations: usize,
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    concurrency: Vec<usize>,
}

const TOLVAN: &str = "191212121212";

fn ts(hours: i64) -> String {
    let now =
        chrono::NaiveDateTime::parse_from_str(&npo_riv::time::now_timestamp(), "%Y%m%d%H%M%S")
            .expect("a timestamp");
    (now + chrono::Duration::hours(hours))
        .format("%Y%m%d%H%M%S")
        .to_string()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn measure<F, Fut>(
    concurrency: usize,
    iterations: usize,
    f: Arc<F>,
) -> anyhow::Result<Vec<f64>>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<usize>> + Send,
{
    let per = iterations.div_ceil(concurrency);
    let workers = (0..concurrency).map(|_| {
        let f = f.clone();
        tokio::spawn(async move {
            let mut out = Vec::with_capacity(per);
            for _ in 0..per {
                let t = Instant::now();
                f().await?;
                out.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(out)
        })
    });
    let mut all = Vec::new();
    for w in join_all(workers).await {
        all.extend(w??);
    }
    all.sort_by(f64::total_cmp);
    Ok(all)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let test_db = npo_store::testing::TestDb::new().await?;
    let mut spec = FederationSpec::demo(dir.path(), 5);
    spec.sources = demo::all_sources();
    spec.sources.extend((1..=5).map(npo_bench::source));
    spec.database_url = Some(test_db.url.clone());
    let fed = Federation::start(spec).await.context("federation")?;
    let db = Db::connect(&fed.platform_database_url()).await?;
    let vp =
        VpClient::new(&fed.info.router_url, fed.consumer_client()?).map_err(anyhow::Error::msg)?;
    let gate = Arc::new(Gate::new(
        GateConfig {
            system_hsa_id: demo::CONSUMER_HSA_ID.into(),
            aggregating_logical_address: fed.info.aggregating_logical_address.clone(),
        },
        vp.clone(),
        RelationStore::new(db.clone()),
        ConsentStore::new(db.clone()),
        BlockStore::new(db.clone()),
        AccessLog::start(db.clone(), LogConfig::default()),
    ));
    let actor = Arc::new(Actor {
        person_hsa_id: "SE2321000016-P001".into(),
        name: "Anna Lind".into(),
        assignment: Assignment {
            hsa_id: "SE2321000016-U001".into(),
            name: "Distriktsläkare".into(),
            purpose: PURPOSE_CARE.into(),
            care_unit_hsa_id: "SE2321000016-A1B2".into(),
            care_unit_name: "Vårdcentralen Salem".into(),
            care_giver_hsa_id: "SE2321000016-7P5T".into(),
            care_giver_name: "Region Stockholm".into(),
            rights: ["Läsa;alla;VG", "Läsa;alla;SJF"]
                .iter()
                .filter_map(|r| Right::parse(r))
                .collect(),
        },
    });
    RelationStore::new(db.clone())
        .register(TOLVAN, &actor, &ts(8))
        .await?;
    ConsentStore::new(db.clone())
        .register(
            &NewConsent {
                patient_id: TOLVAN.into(),
                scope: ConsentScope::CareUnit,
                valid_from: ts(-1),
                valid_to: ts(24),
                represented_by: None,
            },
            &actor,
        )
        .await?;
    let request = Arc::new(ReadRequest {
        patient_id: TOLVAN.into(),
        types: InformationType::ALL.to_vec(),
        ..ReadRequest::default()
    });
    let records = gate
        .read(&actor, &request)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .records
        .len();

    let agp = fed.info.aggregating_logical_address.clone();
    let q = Query::for_patient(PersonId::personnummer(TOLVAN));
    let bodies = Arc::new([
        GetCareDocumentationV2::write_request(&q),
        GetDiagnosisV2::write_request(&q),
    ]);
    let raw = {
        let (vp, agp, bodies) = (vp.clone(), agp.clone(), bodies.clone());
        Arc::new(move || {
            let (vp, agp, bodies) = (vp.clone(), agp.clone(), bodies.clone());
            async move {
                let answers = join_all(bodies.iter().map(|b| vp.call(&agp, b, &[]))).await;
                let mut n = 0;
                for a in answers {
                    n += a.map_err(|e| anyhow::anyhow!("{e}"))?.body.children.len();
                }
                Ok(n)
            }
        })
    };
    let gated = {
        let (gate, actor, request) = (gate.clone(), actor.clone(), request.clone());
        Arc::new(move || {
            let (gate, actor, request) = (gate.clone(), actor.clone(), request.clone());
            async move {
                let a = gate
                    .read(&actor, &request)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(a.records.len())
            }
        })
    };

    println!("## PDL gate added latency\n");
    println!(
        "Patient with {records} records in {} source systems, both information types; {} requests per row after 100 warm-up; {:?}. Machine: 2 cores shared by the load generator and the whole federation.\n",
        fed.info.sources.len(),
        args.iterations,
        npo_store::testing::backend()
    );
    println!("| concurrency | path | p50 ms | p99 ms |");
    println!("|---:|---|---:|---:|");
    let mut summary = Vec::new();
    for &c in &args.concurrency {
        measure(c, 100, raw.clone()).await?;
        measure(c, 100, gated.clone()).await?;
        let r = measure(c, args.iterations, raw.clone()).await?;
        let g = measure(c, args.iterations, gated.clone()).await?;
        let (r50, r99, g50, g99) = (
            percentile(&r, 0.5),
            percentile(&r, 0.99),
            percentile(&g, 0.5),
            percentile(&g, 0.99),
        );
        println!("| {c} | aggregating services directly | {r50:.2} | {r99:.2} |");
        println!("| {c} | through the gate | {g50:.2} | {g99:.2} |");
        summary.push((c, g50 - r50, g99 - r99));
    }
    println!("\n### Added by the gate (gate − direct)\n");
    for (c, d50, d99) in summary {
        let verdict = if d99 < 2.0 { "MET" } else { "NOT MET" };
        println!("- {c} clients: p50 {d50:.2} ms, p99 {d99:.2} ms (target p99 < 2 ms: {verdict})");
    }

    // Where the gate's own time goes, one call at a time.
    let relations = RelationStore::new(db.clone());
    let consents = ConsentStore::new(db.clone());
    let blocks = BlockStore::new(db.clone());
    let log = AccessLog::start(db.clone(), LogConfig::default());
    let entries: Vec<_> = (0..records)
        .map(|i| npo_security::access_log::NewEntry {
            system_hsa_id: demo::CONSUMER_HSA_ID.into(),
            activity: npo_security::access_log::Activity::Read,
            purpose: PURPOSE_CARE.into(),
            actor: (*actor).clone(),
            resource: npo_security::access_log::Resource {
                information_type: "voo".into(),
                patient_id: TOLVAN.into(),
                care_giver_hsa_id: format!("SE2321000016-G{:03}", i % 10),
                care_unit_hsa_id: format!("SE2321000016-E{:03}", i % 10),
                records: vec![npo_security::access_log::RecordRef {
                    source_system_hsa_id: format!("SE2321000016-S{:03}", i % 10),
                    document_id: format!("voo-{i}"),
                }],
            },
        })
        .collect();
    let n = args.iterations.min(500);
    let mut parts: Vec<(&str, Vec<f64>)> = vec![
        ("patient relation", Vec::new()),
        ("consent", Vec::new()),
        ("blocks", Vec::new()),
        ("relation + consent + blocks together", Vec::new()),
        ("access log, durable append of all records", Vec::new()),
    ];
    for _ in 0..n {
        let now = npo_riv::time::now_timestamp();
        let t = Instant::now();
        relations.check(TOLVAN, &actor, &now).await?;
        parts[0].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        consents.check(TOLVAN, &actor, &now).await?;
        parts[1].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        blocks.active_for_patient(TOLVAN).await?;
        parts[2].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let _ = tokio::join!(
            relations.check(TOLVAN, &actor, &now),
            consents.check(TOLVAN, &actor, &now),
            blocks.active_for_patient(TOLVAN)
        );
        parts[3].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        log.append(entries.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        parts[4].1.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("\n### Where the gate's time goes (one call at a time, {n} calls)\n");
    println!("| step | p50 ms | p99 ms |");
    println!("|---|---:|---:|");
    for (name, mut v) in parts {
        v.sort_by(f64::total_cmp);
        println!(
            "| {name} | {:.2} | {:.2} |",
            percentile(&v, 0.5),
            percentile(&v, 0.99)
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    fed.shutdown().await;
    Ok(())
}
