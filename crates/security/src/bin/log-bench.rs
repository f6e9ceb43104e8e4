//! Access log throughput: durable entries per second with many concurrent appenders.
//!
//! `cargo run --release -p npo-security --bin log-bench -- [--db sqlite|postgres|both]
//!  [--entries 200000] [--concurrency 64] [--max-batch 2000]`
//!
//! Each appender loops: one append of 20–50 entries (one overview's records for one patient),
//! awaited until committed, as the PDL gate does before it shows anything. SQLite runs on a
//! temporary file (synchronous = FULL); PostgreSQL on a new database on the server at
//! `NPO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`), with
//! `synchronous_commit` as the server has it (on). Prints a Markdown table.

use npo_security::access_log::{AccessLog, Activity, LogConfig, NewEntry, RecordRef, Resource};
use npo_security::{Actor, Assignment, PURPOSE_CARE, Right};
use npo_store::sqlx::{self, Connection};
use npo_store::{Db, sqlite_url};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Args {
    dbs: Vec<String>,
    entries: usize,
    concurrency: usize,
    max_batch: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: log-bench [--db sqlite|postgres|both] [--entries N] [--concurrency N] [--max-batch N]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args {
        dbs: vec!["sqlite".into(), "postgres".into()],
        entries: 200_000,
        concurrency: 64,
        max_batch: LogConfig::default().max_batch,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        let number = || value.parse::<usize>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--db" => {
                a.dbs = match value.as_str() {
                    "sqlite" | "postgres" => vec![value.clone()],
                    "both" => vec!["sqlite".into(), "postgres".into()],
                    _ => usage(),
                }
            }
            "--entries" => a.entries = number(),
            "--concurrency" => a.concurrency = number().max(1),
            "--max-batch" => a.max_batch = number().max(1),
            _ => usage(),
        }
    }
    a
}

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const TYPES: [&str; 6] = ["dia", "voo", "lak", "upp", "vko", "und-kkm-ure"];

fn giver(g: u64) -> String {
    format!("SE2321{g:06}-VG")
}

fn actor(user: u64) -> Actor {
    let g = user % 20;
    Actor {
        person_hsa_id: format!("SE2321{g:06}-P{user:05}"),
        name: format!("Användare {user}"),
        assignment: Assignment {
            hsa_id: format!("SE2321{g:06}-U{user:05}"),
            name: "Distriktsläkare".into(),
            purpose: PURPOSE_CARE.into(),
            care_unit_hsa_id: format!("SE2321{g:06}-E{}", user % 7),
            care_unit_name: format!("Vårdcentralen {}", user % 7),
            care_giver_hsa_id: giver(g),
            care_giver_name: format!("Region {g}"),
            rights: vec![Right::parse("Läsa;alla;SJF").expect("right")],
        },
    }
}

/// One overview: `n` records of one patient from a few care givers.
fn overview(rng: &mut Rng, n: usize) -> Vec<NewEntry> {
    let actor = actor(rng.below(500));
    let patient = format!("19{:010}", rng.below(100_000));
    let activity = if rng.below(100) == 0 {
        Activity::Emergency
    } else {
        Activity::Read
    };
    (0..n)
        .map(|_| {
            let g = rng.below(20);
            NewEntry {
                system_hsa_id: "SE2321000016-NPO1".into(),
                activity,
                purpose: PURPOSE_CARE.into(),
                actor: actor.clone(),
                resource: Resource {
                    information_type: TYPES[rng.below(TYPES.len() as u64) as usize].into(),
                    patient_id: patient.clone(),
                    care_giver_hsa_id: giver(g),
                    care_unit_hsa_id: format!("SE2321{g:06}-E{}", rng.below(7)),
                    records: vec![RecordRef {
                        source_system_hsa_id: giver(g),
                        document_id: format!("doc{}", rng.below(1_000_000)),
                    }],
                },
            }
        })
        .collect()
}

struct Outcome {
    entries: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

/// Appends `total` entries from `concurrency` tasks; every append awaited (durable).
async fn run(log: &AccessLog, total: usize, concurrency: usize) -> Result<Outcome, String> {
    let left = Arc::new(AtomicUsize::new(total));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let log = log.clone();
        let left = left.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((t as u64 + 1) * 0x1000_0001));
            let mut lat = Vec::new();
            let mut done = 0;
            loop {
                let want = 20 + rng.below(31) as usize;
                let take = match left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                    (l > 0).then(|| l.saturating_sub(want))
                }) {
                    Ok(l) => l.min(want),
                    Err(_) => break,
                };
                let entries = overview(&mut rng, take);
                let t0 = Instant::now();
                log.append(entries).await.map_err(|e| e.to_string())?;
                lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                done += take;
            }
            Ok::<_, String>((done, lat))
        }));
    }
    let mut entries = 0;
    let mut latencies_ms = Vec::new();
    for t in tasks {
        let (n, lat) = t.await.map_err(|e| e.to_string())??;
        entries += n;
        latencies_ms.extend(lat);
    }
    Ok(Outcome {
        entries,
        seconds: start.elapsed().as_secs_f64(),
        latencies_ms,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sec_access_log")
        .fetch_one(&db.pool)
        .await?;
    Ok(n)
}

async fn bench(db: Db, a: &Args) -> Result<Outcome, String> {
    let log = AccessLog::start(
        db.clone(),
        LogConfig {
            max_batch: a.max_batch,
            ..LogConfig::default()
        },
    );
    let warmup = (a.entries / 20).min(5_000);
    run(&log, warmup, a.concurrency).await?;
    let out = run(&log, a.entries, a.concurrency).await?;
    let stored = count(&db).await.map_err(|e| e.to_string())?;
    if stored != (warmup + a.entries) as i64 {
        return Err(format!(
            "{stored} rows stored, {} appended",
            warmup + a.entries
        ));
    }
    drop(log);
    db.close().await;
    Ok(out)
}

async fn on_sqlite(a: &Args) -> Result<Outcome, String> {
    let dir = std::env::temp_dir().join(format!("npo-log-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = async {
        let db = Db::connect(&sqlite_url(&dir.join("log.sqlite")))
            .await
            .map_err(|e| e.to_string())?;
        bench(db, a).await
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn on_postgres(a: &Args) -> Result<Outcome, String> {
    sqlx::any::install_default_drivers();
    let admin = npo_store::testing::postgres_admin_url();
    let name = format!("npo_log_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let result = async {
        let db = Db::connect(&format!("{base}/{name}"))
            .await
            .map_err(|e| e.to_string())?;
        let (sync,): (String,) =
            sqlx::query_as("SELECT setting FROM pg_settings WHERE name = 'synchronous_commit'")
                .fetch_one(&db.pool)
                .await
                .map_err(|e| e.to_string())?;
        eprintln!("postgres synchronous_commit = {sync}");
        bench(db, a).await
    }
    .await;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
    let _ = conn.close().await;
    result
}

#[tokio::main]
async fn main() {
    let a = args();
    println!(
        "\nAccess log, durable appends of 20–50 entries, {} concurrent appenders, max batch {}\n",
        a.concurrency, a.max_batch
    );
    println!(
        "| backend | entries | seconds | entries/s | appends | p50 append ms | p99 append ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut failed = false;
    for backend in &a.dbs {
        let out = if backend == "sqlite" {
            on_sqlite(&a).await
        } else {
            on_postgres(&a).await
        };
        match out {
            Ok(mut o) => {
                o.latencies_ms.sort_by(f64::total_cmp);
                println!(
                    "| {backend} | {} | {:.2} | {:.0} | {} | {:.1} | {:.1} |",
                    o.entries,
                    o.seconds,
                    o.entries as f64 / o.seconds.max(f64::EPSILON),
                    o.latencies_ms.len(),
                    percentile(&o.latencies_ms, 0.50),
                    percentile(&o.latencies_ms, 0.99),
                );
            }
            Err(e) => {
                failed = true;
                println!("| {backend} | failed: {e} | | | | | |");
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if failed {
        std::process::exit(1);
    }
}
