//! What a contract's generator works with: the patient, the care givers' source systems, a
//! deterministic random stream and helpers for times, ids, authors and headers.

use crate::codes::{self, Row};
use crate::people::Patient;
use crate::rng::Rng;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use npo_riv::common::{HealthcareProfessional, LegalAuthenticator, OrgUnit, PatientSummaryHeader};
use serde::{Deserialize, Serialize};

/// What kind of care giver runs a source system; generators use it to decide what it records
/// (a municipality records home-care notes and ADL, not imaging).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SiteKind {
    Region,
    Municipality,
    Private,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub hsa_id: String,
    pub name: String,
}

/// One care giver's source system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// The source system's HSA-id (`sourceSystemHSAId`).
    pub source_system: String,
    pub care_giver_hsa_id: String,
    pub care_giver_name: String,
    pub kind: SiteKind,
    pub units: Vec<Unit>,
}

/// A moment chosen for a record: a site, one of its units, and the time.
#[derive(Clone, Copy, Debug)]
pub struct Place<'a> {
    pub site: &'a Site,
    pub unit: &'a Unit,
}

/// The generation context of one patient and one contract.
pub struct Ctx<'a> {
    pub rng: Rng,
    pub patient: &'a Patient,
    pub sites: &'a [Site],
    /// The reference day of the population: nothing happens after it.
    pub today: NaiveDate,
    /// The patient's conditions (rows of `data/conditions.tsv`): generators use them so that
    /// diagnoses, medications and lab results tell one story.
    pub conditions: &'a [&'static Row],
    prefix: &'static str,
    seq: u32,
}

impl<'a> Ctx<'a> {
    pub fn new(
        rng: Rng,
        patient: &'a Patient,
        sites: &'a [Site],
        today: NaiveDate,
        conditions: &'a [&'static Row],
        prefix: &'static str,
    ) -> Self {
        Ctx {
            rng,
            patient,
            sites,
            today,
            conditions,
            prefix,
            seq: 0,
        }
    }

    /// A new document id, unique per patient and contract prefix, e.g. `191212121212-dia-3`.
    pub fn document_id(&mut self) -> String {
        self.seq += 1;
        format!("{}-{}-{}", self.patient.id, self.prefix, self.seq)
    }

    /// The patient's age in years on `day`.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        self.patient.age_on(day)
    }

    /// A site of one of `kinds` (any site if none matches), and one of its units.
    pub fn place(&mut self, kinds: &[SiteKind]) -> Place<'a> {
        let sites: &'a [Site] = self.sites;
        let matching: Vec<&'a Site> = sites
            .iter()
            .filter(|s| kinds.is_empty() || kinds.contains(&s.kind))
            .filter(|s| !s.units.is_empty())
            .collect();
        let site: &'a Site = if matching.is_empty() {
            sites
                .iter()
                .find(|s| !s.units.is_empty())
                .expect("Population::check: at least one site with units")
        } else {
            matching[self.rng.below(matching.len())]
        };
        let unit = &site.units[self.rng.below(site.units.len())];
        Place { site, unit }
    }

    /// A moment of day during working hours on `day`.
    pub fn at(&mut self, day: NaiveDate) -> NaiveDateTime {
        let t = NaiveTime::from_hms_opt(
            7 + self.rng.below(10) as u32,
            self.rng.below(60) as u32,
            self.rng.below(60) as u32,
        )
        .unwrap_or_default();
        day.and_time(t)
    }

    /// A day between `from` and `to` (inclusive), clamped to birth and today.
    pub fn day_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let from = from.max(self.patient.birth_date);
        let to = to.min(self.today).max(from);
        from + Duration::days(self.rng.range(0, (to - from).num_days()))
    }

    /// A day in the last `years` years (weighted towards the recent past), not before birth.
    pub fn recent_day(&mut self, years: u32) -> NaiveDate {
        let span = (i64::from(years) * 365).max(1);
        let u = self.rng.unit();
        let back = (u * u * span as f64) as i64;
        (self.today - Duration::days(back)).max(self.patient.birth_date)
    }

    /// `YYYYMMDDhhmmss`.
    pub fn ts(t: NaiveDateTime) -> String {
        t.format("%Y%m%d%H%M%S").to_string()
    }

    /// `YYYYMMDD`.
    pub fn date(d: NaiveDate) -> String {
        d.format("%Y%m%d").to_string()
    }

    /// A member of staff of `place`: a stable HSA-id and a Swedish name.
    pub fn staff(&mut self, place: Place<'_>) -> (String, String) {
        let n = self.rng.below(40);
        let mut r = Rng::derive(n as u64, &place.site.care_giver_hsa_id);
        let female = r.chance(0.6);
        let given = if female {
            codes::given_names_female()
        } else {
            codes::given_names_male()
        };
        let name = format!(
            "{} {}",
            r.pick(given).col(0),
            r.pick(codes::family_names()).col(0)
        );
        let prefix = place
            .site
            .care_giver_hsa_id
            .split('-')
            .next()
            .unwrap_or("SE0000000000");
        (format!("{prefix}-P{:04}", 1000 + n), name)
    }

    /// `accountableHealthcareProfessional`: a member of staff at `place`, at `time`.
    pub fn professional(
        &mut self,
        place: Place<'_>,
        time: NaiveDateTime,
    ) -> HealthcareProfessional {
        let (hsa_id, name) = self.staff(place);
        HealthcareProfessional {
            author_time: Self::ts(time),
            hsa_id: Some(hsa_id),
            name: Some(name),
            role_code: None,
            org_unit: Some(OrgUnit {
                hsa_id: place.unit.hsa_id.clone(),
                name: place.unit.name.clone(),
                telecom: None,
                email: None,
                address: None,
                location: None,
            }),
            care_unit_hsa_id: Some(place.unit.hsa_id.clone()),
            care_giver_hsa_id: Some(place.site.care_giver_hsa_id.clone()),
        }
    }

    /// A first-generation header for a record made at `place` at `time`, signed by its author.
    /// About 8 % are not approved for the patient, and about 1 % lack care-unit and care-giver
    /// ids (never shown to clinicians: the rule must be exercised). Callers that may nullify set
    /// `nullified` themselves.
    pub fn header(&mut self, place: Place<'_>, time: NaiveDateTime) -> PatientSummaryHeader {
        let mut accountable = self.professional(place, time);
        if self.rng.chance(0.01) {
            accountable.care_unit_hsa_id = None;
            accountable.care_giver_hsa_id = None;
        }
        let signer = accountable.name.clone();
        PatientSummaryHeader {
            document_id: self.document_id(),
            source_system_hsa_id: place.site.source_system.clone(),
            document_title: None,
            document_time: Some(Self::ts(time)),
            patient_id: self.patient.person_id(),
            legal_authenticator: Some(LegalAuthenticator {
                signature_time: Self::ts(time + Duration::minutes(self.rng.range(5, 600))),
                hsa_id: accountable.hsa_id.clone(),
                name: signer,
            }),
            accountable,
            approved_for_patient: !self.rng.chance(0.08),
            care_contact_id: None,
            nullified: None,
            nullified_reason: None,
        }
    }
}
