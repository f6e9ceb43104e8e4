//! `npo seed`: the synthetic population (npo-seed) written into the source systems' stores, with
//! the care engagements that make patients available, and the engagement index brought up to
//! date by each source system's outbox.

use crate::demo;
use anyhow::Context;
use chrono::NaiveDate;
use npo_seed::{Population, Sink, Site, SiteKind, Unit};
use npo_source::{OwnedRow, SourceConfig, SourceError, SourceSystem};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The seed of the demo population.
pub const DEFAULT_SEED: u64 = 1;

/// Patients generated and written per transaction.
const BATCH: u64 = 200;

/// What kind of care giver an organisation number belongs to (regions 2321…, municipalities
/// 212…, everything else private).
pub fn site_kind(org_no: &str) -> SiteKind {
    if org_no.starts_with("2321") {
        SiteKind::Region
    } else if org_no.starts_with("212") {
        SiteKind::Municipality
    } else {
        SiteKind::Private
    }
}

/// The generator's view of the source systems.
pub fn sites(sources: &[SourceConfig]) -> Vec<Site> {
    sources
        .iter()
        .map(|s| Site {
            source_system: s.hsa_id.clone(),
            care_giver_hsa_id: s.care_giver_hsa_id.clone(),
            care_giver_name: s.care_giver_name.clone(),
            kind: site_kind(&s.data_controller),
            units: s
                .care_units
                .iter()
                .map(|u| Unit {
                    hsa_id: u.hsa_id.clone(),
                    name: u.name.clone(),
                })
                .collect(),
        })
        .collect()
}

/// The population over `sources`, as of `today`; an error if records cannot be made there (no
/// care unit at any source system).
pub fn population(
    seed: u64,
    today: NaiveDate,
    sources: &[SourceConfig],
) -> anyhow::Result<Population> {
    let pop = Population {
        seed,
        today,
        sites: sites(sources),
    };
    pop.check().map_err(anyhow::Error::msg)?;
    Ok(pop)
}

/// The patient ids of the first `n` patients (Tolvan first).
pub fn patient_ids(pop: &Population, n: usize) -> Vec<String> {
    (0..n as u64).map(|i| pop.patient(i).0.id).collect()
}

/// Collects generated records per source system.
struct StoreSink {
    index: HashMap<String, usize>,
    rows: Vec<Vec<OwnedRow>>,
    records: usize,
}

impl Sink for StoreSink {
    type Error = SourceError;
    fn put<C: npo_riv::Contract>(&mut self, items: Vec<C::Item>) -> Result<(), SourceError> {
        for item in &items {
            let source = C::meta(item).source_system;
            let Some(&i) = self.index.get(source) else {
                return Err(SourceError::Invalid(format!(
                    "generated a record for an unknown source system {source}"
                )));
            };
            self.rows[i].push(OwnedRow::of::<C>(item)?);
            self.records += 1;
        }
        Ok(())
    }
}

/// What seeding wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub patients: u64,
    pub records: usize,
}

/// Generates patients `0..n` and writes their records to the source systems (idempotent:
/// records are replaced by id). Every patient but each fifth (and always Tolvan) is enrolled
/// at every care giver's first unit, so most are available patients.
pub async fn seed_sources(
    pop: &Population,
    n: u64,
    systems: &[Arc<SourceSystem>],
) -> Result<SeedReport, SourceError> {
    let mut report = SeedReport::default();
    let index: HashMap<String, usize> = systems
        .iter()
        .enumerate()
        .map(|(i, s)| (s.cfg.hsa_id.clone(), i))
        .collect();
    let mut start = 0;
    while start < n {
        let end = (start + BATCH).min(n);
        let mut sink = StoreSink {
            index: index.clone(),
            rows: vec![Vec::new(); systems.len()],
            records: 0,
        };
        let mut patients = Vec::new();
        for i in start..end {
            patients.push((i, pop.emit(i, &mut sink)?.id));
        }
        for (system, rows) in systems.iter().zip(&sink.rows) {
            system.put_generated(rows).await?;
        }
        for system in systems {
            let Some(unit) = system.cfg.care_units.first() else {
                continue;
            };
            let enrolled: Vec<&str> = patients
                .iter()
                .filter(|(i, _)| i % 5 != 4 || *i == 0)
                .map(|(_, p)| p.as_str())
                .collect();
            system
                .add_enrolments(&enrolled, &unit.hsa_id, "20200101")
                .await?;
        }
        report.records += sink.records;
        report.patients = end;
        start = end;
    }
    Ok(report)
}

/// The demo's population over its source systems, as of today.
pub fn demo_population(sources: &[SourceConfig]) -> anyhow::Result<Population> {
    population(DEFAULT_SEED, chrono::Local::now().date_naive(), sources)
}

/// Ids of the first `n` demo patients.
pub fn demo_patients(n: usize) -> anyhow::Result<Vec<String>> {
    Ok(patient_ids(&demo_population(&demo::all_sources())?, n))
}

/// The population of a data directory: read from `population.json` (seed, reference day, size)
/// if present, else created from the arguments (reference day: `today`, default the real
/// today) and saved, so that later starts name the same patients.
pub fn fixed_population(
    data_dir: &Path,
    seed: u64,
    patients: usize,
    sources: &[SourceConfig],
    today: Option<NaiveDate>,
) -> anyhow::Result<(Population, usize)> {
    #[derive(Serialize, Deserialize)]
    struct Saved {
        seed: u64,
        today: NaiveDate,
        patients: usize,
    }
    let path = data_dir.join("population.json");
    let saved = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<Saved>(&bytes)
            .with_context(|| format!("{} is not readable", path.display()))?,
        Err(_) => {
            let s = Saved {
                seed,
                today: today.unwrap_or_else(|| chrono::Local::now().date_naive()),
                patients,
            };
            std::fs::write(&path, serde_json::to_vec_pretty(&s)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
            s
        }
    };
    Ok((
        population(saved.seed, saved.today, sources)?,
        saved.patients,
    ))
}

/// Writes every record of patients `0..n` as JSON lines (contract, version, item), in a fixed
/// order: the same seed, size and day always give the same bytes. Patients are generated in
/// blocks on every core; the blocks are written in order.
pub fn write_json_lines(
    pop: &Population,
    n: u64,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<SeedReport> {
    struct Lines {
        out: Vec<u8>,
        records: usize,
    }
    impl Sink for Lines {
        type Error = anyhow::Error;
        fn put<C: npo_riv::Contract>(&mut self, items: Vec<C::Item>) -> anyhow::Result<()> {
            for item in &items {
                #[derive(Serialize)]
                struct Line<'a, T> {
                    contract: &'static str,
                    version: &'static str,
                    item: &'a T,
                }
                serde_json::to_writer(
                    &mut self.out,
                    &Line {
                        contract: C::NAME,
                        version: C::VERSION,
                        item,
                    },
                )?;
                self.out.push(b'\n');
                self.records += 1;
            }
            Ok(())
        }
    }
    const BLOCK: u64 = 250;
    let workers = std::thread::available_parallelism().map_or(1, |w| w.get()) as u64;
    let mut records = 0;
    let mut start = 0;
    while start < n {
        // One block per worker, generated side by side, written in order.
        let blocks: Vec<(u64, u64)> = (0..workers)
            .map(|w| start + w * BLOCK)
            .filter(|b| *b < n)
            .map(|b| (b, (b + BLOCK).min(n)))
            .collect();
        let done: Vec<anyhow::Result<Lines>> = std::thread::scope(|scope| {
            let handles: Vec<_> = blocks
                .iter()
                .map(|&(from, to)| {
                    scope.spawn(move || {
                        let mut lines = Lines {
                            out: Vec::new(),
                            records: 0,
                        };
                        for i in from..to {
                            pop.emit(i, &mut lines)?;
                        }
                        Ok(lines)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a generator thread panicked")))
                })
                .collect()
        });
        for lines in done {
            let lines = lines?;
            out.write_all(&lines.out)?;
            records += lines.records;
        }
        start = blocks.last().map_or(n, |b| b.1);
    }
    out.flush()?;
    Ok(SeedReport {
        patients: n,
        records,
    })
}
