//! The load loop: `concurrency` workers sharing one client, each sending the same request over
//! and over until a deadline, and the latency statistics of what came back.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{StatusCode, Uri, header};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use npo_bench::{BenchClient, client};

/// What every answer must contain to count as a success (besides HTTP 200).
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// The text occurs at least once.
    Contains(&'static str),
    /// The text occurs exactly this many times.
    Exactly(&'static str, usize),
}

/// One scenario: where the request goes and how it is sent.
pub struct Target {
    pub url: Uri,
    pub body: Bytes,
    pub client: BenchClient,
    pub expect: Expect,
}

/// The numbers of one run (one scenario at one concurrency).
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub scenario: String,
    pub concurrency: usize,
    /// Requests started in the measurement window: successes plus errors.
    pub requests: u64,
    pub errors: u64,
    pub measured_secs: f64,
    /// Successful requests per second.
    pub throughput: f64,
    pub mean_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// The first error seen, for diagnosis.
    pub first_error: Option<String>,
}

/// What one worker saw in the measurement window.
#[derive(Default)]
struct WorkerResult {
    latencies_ms: Vec<f64>,
    errors: u64,
    first_error: Option<String>,
}

/// Runs `concurrency` workers against `target` for `warmup` (discarded) and then `measure`.
/// Only requests started in the measurement window count; each worker finishes the request it
/// has in flight at the deadline and stops.
pub async fn run(
    scenario: &str,
    target: &Arc<Target>,
    concurrency: usize,
    warmup: Duration,
    measure: Duration,
) -> RunResult {
    let measure_from = Instant::now() + warmup;
    let deadline = measure_from + measure;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(target.clone(), measure_from, deadline)))
        .collect();
    let mut all = WorkerResult::default();
    for w in workers {
        match w.await {
            Ok(r) => {
                all.latencies_ms.extend(r.latencies_ms);
                all.errors += r.errors;
                all.first_error = all.first_error.or(r.first_error);
            }
            Err(e) => {
                all.errors += 1;
                all.first_error
                    .get_or_insert_with(|| format!("worker failed: {e}"));
            }
        }
    }
    summarize(scenario, concurrency, measure, all)
}

async fn worker(target: Arc<Target>, measure_from: Instant, deadline: Instant) -> WorkerResult {
    let mut out = WorkerResult::default();
    loop {
        let start = Instant::now();
        if start >= deadline {
            return out;
        }
        let outcome = call(&target).await;
        let ms = start.elapsed().as_secs_f64() * 1e3;
        if start < measure_from {
            continue;
        }
        match outcome {
            Ok(()) => out.latencies_ms.push(ms),
            Err(e) => {
                out.errors += 1;
                out.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
}

/// One request/response; the whole answer is read and checked.
async fn call(target: &Target) -> anyhow::Result<()> {
    let req = hyper::Request::post(target.url.clone())
        .header(header::CONTENT_TYPE, npo_riv::soap::CONTENT_TYPE)
        .body(Full::new(target.body.clone()))?;
    let resp = target.client.request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    let text = String::from_utf8_lossy(&body);
    anyhow::ensure!(
        status == StatusCode::OK,
        "HTTP {status}: {}",
        snippet(&text)
    );
    match target.expect {
        Expect::Contains(needle) => {
            anyhow::ensure!(
                text.contains(needle),
                "no {needle} in the answer: {}",
                snippet(&text)
            );
        }
        Expect::Exactly(needle, n) => {
            let found = text.matches(needle).count();
            anyhow::ensure!(found == n, "{found} × {needle} in the answer, expected {n}");
        }
    }
    Ok(())
}

/// The start of an answer, for error messages.
fn snippet(text: &str) -> String {
    text.chars().take(300).collect()
}

fn summarize(
    scenario: &str,
    concurrency: usize,
    measure: Duration,
    mut r: WorkerResult,
) -> RunResult {
    r.latencies_ms.sort_by(f64::total_cmp);
    let lat = &r.latencies_ms;
    let ok = lat.len() as u64;
    let secs = measure.as_secs_f64();
    RunResult {
        scenario: scenario.to_owned(),
        concurrency,
        requests: ok + r.errors,
        errors: r.errors,
        measured_secs: secs,
        throughput: ok as f64 / secs,
        mean_ms: (!lat.is_empty()).then(|| lat.iter().sum::<f64>() / lat.len() as f64),
        p50_ms: percentile(lat, 0.50),
        p90_ms: percentile(lat, 0.90),
        p99_ms: percentile(lat, 0.99),
        max_ms: lat.last().copied(),
        first_error: r.first_error,
    }
}

/// Nearest-rank percentile `p` (0..=1) of an ascending slice.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.50), Some(50.0));
        assert_eq!(percentile(&v, 0.99), Some(99.0));
        assert_eq!(percentile(&v, 1.0), Some(100.0));
        assert_eq!(percentile(&[7.0], 0.5), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
