//! A population: patient number `i` of a seed, with the conditions their story is built on, and
//! the driver that runs every generator for one patient.

use crate::codes::{self, Row};
use crate::ctx::{Site, SiteKind, Unit};
use crate::generate::{Env, Sink, emit_all};
use crate::people::{self, Patient};
use crate::rng::Rng;
use chrono::NaiveDate;

/// Tolvan's conditions (ICD-10-SE): chronic heart, metabolic and kidney disease, and a few
/// acute episodes.
const TOLVAN_CONDITIONS: &[&str] = &[
    "I10", "E11.9", "I48.9", "I50.9", "N18.3", "K21.9", "M17.9", "J18.9", "N39.0", "S72.0",
];

/// The parameters that fix every byte of generated data.
#[derive(Clone, Debug)]
pub struct Population {
    pub seed: u64,
    /// The reference day: nothing happens after it.
    pub today: NaiveDate,
    /// The care givers' source systems records are spread over.
    pub sites: Vec<Site>,
}

impl Population {
    /// Whether records can be generated: at least one site must have a care unit (every
    /// record is made at one).
    pub fn check(&self) -> Result<(), &'static str> {
        if self.sites.iter().any(|s| !s.units.is_empty()) {
            Ok(())
        } else {
            Err("no source system has a care unit to record at")
        }
    }

    /// Patient number `index` and their conditions (rows of `data/conditions.tsv`: icd10, name,
    /// chronic, atc, labs, min_age, max_age, sex, weight).
    /// Patient 0 is always Tolvan Tolvansson (191212121212), the national test person.
    pub fn patient(&self, index: u64) -> (Patient, Vec<&'static Row>) {
        let mut rng = Rng::derive(self.seed, &format!("patient:{index}"));
        let mut patient = people::patient(&mut rng, self.today);
        if index == 0 {
            patient = Patient {
                id: "191212121212".into(),
                samordningsnummer: false,
                birth_date: NaiveDate::from_ymd_opt(1912, 12, 12).expect("valid date"),
                female: false,
                given_name: "Tolvan".into(),
                family_name: "Tolvansson".into(),
            };
        }
        if index == 0 {
            // Tolvan is the patient every demo and test opens first: a full, multi-morbid
            // history, whatever his age.
            let conditions = codes::conditions()
                .iter()
                .filter(|c| TOLVAN_CONDITIONS.contains(&c.col(0)))
                .collect();
            return (patient, conditions);
        }
        let age = patient.age_on(self.today);
        let conditions = codes::conditions()
            .iter()
            .filter(|c| {
                let min: u32 = c.col(5).parse().unwrap_or(0);
                let max: u32 = c.col(6).parse().unwrap_or(100);
                let sex_ok = match c.col(7) {
                    "F" => patient.female,
                    "M" => !patient.female,
                    _ => true,
                };
                (min..=max).contains(&age) && sex_ok
            })
            .filter(|c| {
                // Older people carry more conditions.
                let weight: f64 = c.col(8).parse().unwrap_or(1.0);
                let age_factor = 0.5 + f64::from(age) / 60.0;
                rng.chance((weight / 100.0 * age_factor * 1.6).min(0.9))
            })
            .collect();
        (patient, conditions)
    }

    /// Generates every record of patient `index` into `sink`.
    pub fn emit<S: Sink>(&self, index: u64, sink: &mut S) -> Result<Patient, S::Error> {
        let (patient, conditions) = self.patient(index);
        let env = Env {
            seed: self.seed,
            patient: &patient,
            sites: &self.sites,
            today: self.today,
            conditions: &conditions,
        };
        emit_all(&env, sink)?;
        Ok(patient)
    }
}

/// Three care givers (a region, a municipality, a private provider) for tests and examples.
pub fn example_sites() -> Vec<Site> {
    let unit = |id: &str, name: &str| Unit {
        hsa_id: id.into(),
        name: name.into(),
    };
    vec![
        Site {
            source_system: "SE2321000016-SRC1".into(),
            care_giver_hsa_id: "SE2321000016-0001".into(),
            care_giver_name: "Region Exempel".into(),
            kind: SiteKind::Region,
            units: vec![
                unit("SE2321000016-U001", "Vårdcentralen Ekbacken"),
                unit("SE2321000016-U002", "Medicinkliniken, Länssjukhuset"),
                unit("SE2321000016-U003", "Akutmottagningen, Länssjukhuset"),
            ],
        },
        Site {
            source_system: "SE2120001234-SRC2".into(),
            care_giver_hsa_id: "SE2120001234-0001".into(),
            care_giver_name: "Exempels kommun".into(),
            kind: SiteKind::Municipality,
            units: vec![unit("SE2120001234-U001", "Hemsjukvården Norr")],
        },
        Site {
            source_system: "SE5566778899-SRC3".into(),
            care_giver_hsa_id: "SE5566778899-0001".into(),
            care_giver_name: "Privatkliniken AB".into(),
            kind: SiteKind::Private,
            units: vec![unit("SE5566778899-U001", "Privatkliniken Centrum")],
        },
    ]
}

/// A population over [`example_sites`] on a fixed day, for tests.
pub fn example() -> Population {
    Population {
        seed: 42,
        today: NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date"),
        sites: example_sites(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use npo_riv::ids::is_valid_personal_identity;

    #[test]
    fn every_identity_passes_the_luhn_check_and_ages_span_newborn_to_100() {
        let pop = example();
        let mut samordning = 0;
        let (mut youngest, mut oldest) = (u32::MAX, 0);
        for i in 1..20_000 {
            let (p, _) = pop.patient(i);
            assert!(is_valid_personal_identity(&p.id), "{}", p.id);
            samordning += usize::from(p.samordningsnummer);
            let age = p.age_on(pop.today);
            youngest = youngest.min(age);
            oldest = oldest.max(age);
        }
        assert!(samordning > 100, "some samordningsnummer ({samordning})");
        assert_eq!(youngest, 0, "newborns");
        assert!((95..=100).contains(&oldest), "up to 100 ({oldest})");
        assert_eq!(pop.patient(0).0.id, "191212121212");
    }

    #[test]
    fn sites_without_units_are_refused_before_anything_is_generated() {
        let mut pop = example();
        assert!(pop.check().is_ok());
        for s in &mut pop.sites {
            s.units.clear();
        }
        assert!(pop.check().is_err());
    }

    #[test]
    fn the_same_seed_gives_the_same_patients_and_another_seed_others() {
        let a = example();
        let mut b = example();
        assert_eq!(a.patient(7).0, b.patient(7).0);
        b.seed += 1;
        assert_ne!(a.patient(7).0, b.patient(7).0);
    }
}
