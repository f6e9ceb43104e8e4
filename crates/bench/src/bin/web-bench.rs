//! The clinician web app under load: `--users` concurrent users (each its own session, logged
//! in through the demo picker, relation and consent registered), each opening Tolvan's overview
//! over and over. One overview request is what a browser does: the page, then every information
//! type's part in parallel (each through the PDL gate, logged). Reports the time per complete
//! overview (p50/p95/p99) and per part, over loopback HTTPS.
//!
//! `cargo run --release -p npo-bench --bin web-bench -- [--users 16] [--duration-secs 20] [--patients 50]`

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use futures::future::join_all;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, header};
use npo::federation::{Federation, FederationSpec, WebSpec};
use npo_bench::BenchClient;
use npo_gate::InformationType;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 16)]
    users: usize,
    #[arg(long, default_value_t = 20)]
    duration_secs: u64,
    #[arg(long, default_value_t = 50)]
    patients: usize,
}

const TOLVAN: &str = "191212121212";
const ANNA: &str = "SE2321000016-P001";

struct Session {
    client: BenchClient,
    base: String,
    /// The `Cookie` header: every cookie the app set, `name=value; …`.
    cookie: String,
}

struct Answer {
    status: u16,
    body: String,
    /// Where a redirect leads.
    location: String,
}

impl Session {
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<String>,
    ) -> anyhow::Result<Answer> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !self.cookie.is_empty() {
            req = req.header(header::COOKIE, &self.cookie);
        }
        let body = match form {
            Some(f) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(f))
            }
            None => Full::new(Bytes::new()),
        };
        let resp = self.client.request(req.body(body)?).await?;
        for c in resp.headers().get_all(header::SET_COOKIE) {
            let pair = c.to_str()?.split(';').next().unwrap_or("").to_owned();
            let name = pair.split('=').next().unwrap_or("").to_owned();
            let mut kept: Vec<String> = self
                .cookie
                .split("; ")
                .filter(|k| !k.is_empty() && !k.starts_with(&format!("{name}=")))
                .map(str::to_owned)
                .collect();
            kept.push(pair);
            self.cookie = kept.join("; ");
        }
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body =
            String::from_utf8_lossy(&resp.into_body().collect().await?.to_bytes()).into_owned();
        Ok(Answer {
            status,
            body,
            location,
        })
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        self.send(Method::GET, path, None).await
    }

    async fn post(&mut self, path: &str, form: &str) -> anyhow::Result<Answer> {
        self.send(Method::POST, path, Some(form.to_owned())).await
    }
}

/// The value of the first `name="…" value="…"` pair in a page.
fn value_of(page: &str, name: &str) -> anyhow::Result<String> {
    let key = format!("name=\"{name}\" value=\"");
    let i = page
        .find(&key)
        .with_context(|| format!("no {name} in the page"))?
        + key.len();
    Ok(page[i..].split('"').next().unwrap_or("").to_owned())
}

/// Logs in as Anna through the demo picker and opens Tolvan (relation and consent registered
/// when asked for); returns the session and the page's patient handle.
async fn log_in(client: BenchClient, base: &str) -> anyhow::Result<(Session, String)> {
    let mut s = Session {
        client,
        base: base.to_owned(),
        cookie: String::new(),
    };
    let page = s.get("/demo").await?;
    let csrf = value_of(&page.body, "csrf")?;
    s.post("/demo/logga-in", &format!("person={ANNA}&csrf={csrf}"))
        .await?;
    let page = s.get("/uppdrag").await?;
    let csrf = value_of(&page.body, "csrf")?;
    let assignment = value_of(&page.body, "assignment")?;
    s.post("/uppdrag", &format!("assignment={assignment}&csrf={csrf}"))
        .await?;
    let opened = s
        .post("/patient", &format!("personnummer={TOLVAN}&csrf={csrf}"))
        .await?;
    let p = opened
        .location
        .split("p=")
        .nth(1)
        .context("the patient's page handle")?
        .to_owned();
    for _ in 0..3 {
        let page = s.get(&format!("/oversikt?p={p}&period=all")).await?;
        if page.body.contains("action=\"/relation\"") {
            s.post("/relation", &format!("days=1&p={p}&csrf={csrf}"))
                .await?;
        } else if page.body.contains("action=\"/samtycke\"") {
            s.post(
                "/samtycke",
                &format!("scope=enhet&days=1&p={p}&csrf={csrf}"),
            )
            .await?;
        } else if page.status == 200 && page.body.contains("data-part") {
            return Ok((s, p));
        } else {
            bail!("unexpected overview page ({})", page.status);
        }
    }
    bail!("the overview did not open")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let db = npo_store::testing::TestDb::new().await?;
    let mut spec = FederationSpec::demo(&dir.path().join("federation"), args.patients);
    spec.database_url = Some(db.url.clone());
    spec.web = Some(WebSpec {
        demo_mode: true,
        idle_timeout: Duration::from_secs(3600),
    });
    let fed = Federation::start(spec).await?;
    let base = fed.info.web_url.clone().context("web app")?;
    let info = &fed.info;
    let client = npo_bench::client(
        &info.consumer.cert,
        &info.consumer.key,
        &info.ca,
        args.users * 16,
    )?;
    let mut sessions = Vec::new();
    for _ in 0..args.users {
        sessions.push(log_in(client.clone(), &base).await?);
    }
    let types = InformationType::ALL.len();
    // Warm-up: one overview per user.
    let deadline = Instant::now() + Duration::from_secs(args.duration_secs);
    let workers = sessions.into_iter().map(|(mut s, p)| {
        let parts: Vec<String> = InformationType::ALL
            .iter()
            .map(|t| format!("/oversikt/del/{}?p={p}&period=all", t.key()))
            .collect();
        let overview = format!("/oversikt?p={p}&period=all");
        tokio::spawn(async move {
            let mut overviews = Vec::new();
            let mut part_times = Vec::new();
            let mut errors = 0usize;
            let mut first = true;
            let mut attempts = 0usize;
            while Instant::now() < deadline {
                attempts += 1;
                let t0 = Instant::now();
                let page = s.get(&overview).await;
                let cookie = s.cookie.clone();
                let answers = join_all(parts.iter().map(|p| {
                    let mut one = Session {
                        client: s.client.clone(),
                        base: s.base.clone(),
                        cookie: cookie.clone(),
                    };
                    let p = p.clone();
                    async move {
                        let t = Instant::now();
                        let a = one.get(&p).await;
                        (a, t.elapsed().as_secs_f64() * 1000.0)
                    }
                }))
                .await;
                let total = t0.elapsed().as_secs_f64() * 1000.0;
                let ok = page.is_ok_and(|p| p.status == 200)
                    && answers.iter().all(|(a, _)| {
                        a.as_ref()
                            .is_ok_and(|a| a.status == 200 && a.body.contains("part-"))
                    });
                if !ok {
                    errors += 1;
                } else if !first {
                    overviews.push(total);
                    part_times.extend(answers.iter().map(|(_, ms)| *ms));
                }
                first = false;
            }
            (overviews, part_times, errors, attempts)
        })
    });
    let results = join_all(workers).await;
    let mut overviews = Vec::new();
    let mut part_times = Vec::new();
    let mut errors = 0;
    let mut attempts = 0;
    for r in results {
        let (o, p, e, a) = r?;
        overviews.extend(o);
        part_times.extend(p);
        errors += e;
        attempts += a;
    }
    overviews.sort_by(f64::total_cmp);
    part_times.sort_by(f64::total_cmp);
    let secs = args.duration_secs as f64;
    println!(
        "## web app under load\n\n{} users, Tolvan's overview ({} information types, all time), {} s, {} CPU cores shared by load generator and federation (same process), SQLite/PostgreSQL per NPO_TEST_DB.\n",
        args.users,
        types,
        args.duration_secs,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| measure | count | per s | p50 ms | p95 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    for (name, v) in [
        ("complete overview", &overviews),
        ("one part (type)", &part_times),
    ] {
        println!(
            "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            v.len(),
            v.len() as f64 / secs,
            percentile(v, 0.5),
            percentile(v, 0.95),
            percentile(v, 0.99)
        );
    }
    println!("\nerrors: {errors}");
    // What the access log holds per overview: one entry per (type, care giver, care unit) of
    // what the user was given, with the record ids delivered.
    let log_db = npo_store::Db::connect(&db.url).await?;
    let rows: Vec<(String,)> =
        npo_store::sqlx::query_as("SELECT record_ids FROM sec_access_log WHERE patient_id = $1")
            .bind(TOLVAN)
            .fetch_all(&log_db.pool)
            .await?;
    let records: usize = rows
        .iter()
        .map(|(ids,)| serde_json::from_str::<Vec<serde_json::Value>>(ids).map_or(0, |v| v.len()))
        .sum();
    let per = |n: usize| n as f64 / attempts.max(1) as f64;
    println!(
        "\naccess log per overview ({attempts} overviews): {:.1} entries, {:.1} record ids",
        per(rows.len()),
        per(records)
    );
    let _ = tokio::time::timeout(Duration::from_secs(10), fed.shutdown()).await;
    Ok(())
}
