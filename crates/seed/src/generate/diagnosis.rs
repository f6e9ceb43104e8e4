//! Diagnoses (GetDiagnosis 2.0), ICD-10-SE: the patient's chronic conditions as chronic main
//! diagnoses (Huvuddiagnos, set when the condition was found and again at some follow-ups), the
//! acute episodes of the care-contact story (each at its contact, `careContactId` set), and at
//! admissions the chronic conditions and complications as related secondary diagnoses
//! (Bidiagnos). Codes and Swedish names come from `data/icd10se.tsv`, which covers every code of
//! `data/conditions.tsv`.

use super::care_contact::{self, Contact, Role, Setting, Want};
use super::{Env, Sink};
use crate::code_list;
use crate::ctx::{Ctx, Place};
use crate::rng::Rng;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use npo_riv::common::Cv;
use npo_riv::contracts::care_contacts_v2::CareContactStatus;
use npo_riv::contracts::diagnosis_v2::{Diagnosis, DiagnosisBody, GetDiagnosisV2, ICD10_SE};
use std::collections::HashMap;
use std::sync::OnceLock;

code_list!(pub fn icd10se() = "icd10se.tsv");

/// Document-id label (the engagement-index categorization).
pub const LABEL: &str = "dia";

/// How a code of the list is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// A chronic condition of `conditions.tsv`.
    Chronic,
    /// The main diagnosis of an acute episode.
    Acute,
    /// A secondary diagnosis (complication, finding).
    Secondary,
    /// The reason for a visit (Z codes).
    Visit,
}

/// One code of `data/icd10se.tsv`.
#[derive(Clone, Debug)]
pub struct Icd {
    pub code: &'static str,
    pub name: &'static str,
    pub chronic: bool,
    pub use_: Use,
    pub min_age: u32,
    pub max_age: u32,
    /// `Some(true)` only women, `Some(false)` only men.
    pub female: Option<bool>,
    pub weight: f64,
    /// Where an acute episode is handled: `vc`, `akut`, `sluten`, `spec`.
    pub setting: &'static str,
    /// Unit-name keyword of the specialty, e.g. `Ortoped`.
    pub specialty: &'static str,
}

impl Icd {
    fn fits(&self, age: u32, female: bool) -> bool {
        (self.min_age..=self.max_age).contains(&age) && self.female.is_none_or(|f| f == female)
    }

    /// The code as a `CVType` of ICD-10-SE.
    pub fn cv(&self) -> Cv {
        Cv {
            code_system_name: Some("ICD-10-SE".into()),
            ..Cv::coded(self.code, ICD10_SE, self.name)
        }
    }
}

/// The ICD-10-SE list, typed.
pub fn table() -> &'static [Icd] {
    static TABLE: OnceLock<Vec<Icd>> = OnceLock::new();
    TABLE.get_or_init(|| {
        icd10se()
            .iter()
            .map(|r| Icd {
                code: r.col(0),
                name: r.col(1),
                chronic: r.col(2) == "1",
                use_: match r.col(3) {
                    "kronisk" => Use::Chronic,
                    "bi" => Use::Secondary,
                    "kontakt" => Use::Visit,
                    _ => Use::Acute,
                },
                min_age: r.col(4).parse().unwrap_or(0),
                max_age: r.col(5).parse().unwrap_or(100),
                female: match r.col(6) {
                    "F" => Some(true),
                    "M" => Some(false),
                    _ => None,
                },
                weight: r.col(7).parse().unwrap_or(1.0),
                setting: r.col(8),
                specialty: r.col(9),
            })
            .collect()
    })
}

/// The entry of `code`.
pub fn icd(code: &str) -> Option<&'static Icd> {
    static INDEX: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        table()
            .iter()
            .enumerate()
            .map(|(n, i)| (i.code, n))
            .collect()
    });
    index.get(code).and_then(|n| table().get(*n))
}

/// A code of `use_` for a patient of `age` and sex, weighted by the list's weights.
pub fn pick(rng: &mut Rng, use_: Use, age: u32, female: bool) -> Option<&'static Icd> {
    let fitting = || {
        table()
            .iter()
            .filter(move |i| i.use_ == use_ && i.fits(age, female))
    };
    let total: f64 = fitting().map(|i| i.weight).sum();
    if total <= 0.0 {
        return None;
    }
    let mut x = rng.unit() * total;
    let mut last = None;
    for i in fitting() {
        last = Some(i);
        x -= i.weight;
        if x < 0.0 {
            return Some(i);
        }
    }
    last
}

struct Out<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    items: Vec<Diagnosis>,
}

impl Out<'_, '_> {
    /// Adds a diagnosis made at `place` at `time`; returns its document id.
    fn add(
        &mut self,
        place: Place<'_>,
        time: NaiveDateTime,
        icd: &Icd,
        main: bool,
        contact: Option<&str>,
        related: Option<&str>,
    ) -> String {
        let last = self.ctx.today.and_hms_opt(23, 59, 0).unwrap_or(time);
        let registered = (time + Duration::minutes(self.ctx.rng.range(5, 120))).min(last);
        let mut header = self.ctx.header(place, registered);
        header.care_contact_id = contact.map(str::to_owned);
        if self.ctx.rng.chance(0.01) {
            header.nullified = Some(true);
            header.nullified_reason = Some("Felaktigt registrerad diagnos".into());
        }
        let id = header.document_id.clone();
        self.items.push(Diagnosis {
            header,
            body: DiagnosisBody {
                type_of_diagnosis: if main { "Huvuddiagnos" } else { "Bidiagnos" }.into(),
                chronic: Some(icd.chronic),
                diagnosis_time: Some(Ctx::ts(time.min(last))),
                code: Some(icd.cv()),
                related: related.map(str::to_owned).into_iter().collect(),
            },
        });
        id
    }

    /// The diagnoses of an acute contact: the main one and, at an admission, the chronic
    /// conditions and sometimes a complication as related secondary diagnoses.
    fn acute(&mut self, c: &Contact<'_>, icd: &Icd, chronic: &[(&'static Icd, NaiveDate)]) {
        let time = c.start + Duration::minutes(self.ctx.rng.range(10, 90));
        let main = self.add(c.place, time, icd, true, Some(&c.id), None);
        if c.setting != Setting::Inpatient {
            return;
        }
        for (other, _) in chronic.iter().filter(|(_, onset)| *onset <= c.start.date()) {
            self.add(c.place, time, other, false, Some(&c.id), Some(&main));
        }
        let age = self.ctx.age_on(c.start.date());
        if age >= 65 && self.ctx.rng.chance(0.3) {
            let female = self.ctx.patient.female;
            if let Some(extra) = pick(&mut self.ctx.rng, Use::Secondary, age, female) {
                self.add(c.place, time, extra, false, Some(&c.id), Some(&main));
            }
        }
    }
}

/// Generates the patient's diagnoses.
pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let story = care_contact::story(env);
    let mut ctx = env.ctx(LABEL);
    let chronic: Vec<(&'static Icd, NaiveDate)> = story
        .onsets
        .iter()
        .filter_map(|(row, onset)| icd(row.col(0)).map(|i| (i, *onset)))
        .collect();
    let mut out = Out {
        ctx: &mut ctx,
        items: Vec::with_capacity(8 + story.contacts.len() / 3),
    };

    // Chronic conditions, diagnosed at their onset (at the contact when the story has it).
    for (row, onset) in &story.onsets {
        let Some(icd) = icd(row.col(0)) else {
            continue;
        };
        let contact = story
            .contacts
            .iter()
            .find(|c| c.role == Role::Onset && c.icd10 == Some(icd.code));
        match contact {
            Some(c) => {
                let time = c.start + Duration::minutes(out.ctx.rng.range(10, 60));
                out.add(c.place, time, icd, true, Some(&c.id), None);
            }
            None => {
                let want = if icd.setting == "spec" {
                    Want::Clinic(icd.specialty)
                } else {
                    Want::PrimaryCare
                };
                if let Some(place) = care_contact::place(out.ctx, want) {
                    let time = out.ctx.at(*onset);
                    out.add(place, time, icd, true, None, None);
                }
            }
        }
    }

    for c in &story.contacts {
        if !matches!(
            c.status,
            CareContactStatus::Avslutad | CareContactStatus::Pagaende
        ) {
            continue;
        }
        let Some(icd) = c.icd10.and_then(icd) else {
            continue;
        };
        match c.role {
            Role::Acute => out.acute(c, icd, &chronic),
            // Some follow-up visits register the condition again.
            Role::FollowUp if c.setting != Setting::Phone && out.ctx.rng.chance(0.3) => {
                let time = c.start + Duration::minutes(out.ctx.rng.range(10, 60));
                out.add(c.place, time, icd, true, Some(&c.id), None);
            }
            _ => {}
        }
    }
    let items = out.items;
    sink.put::<GetDiagnosisV2>(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::generated;
    use crate::codes;
    use npo_riv::Contract;
    use npo_riv::contracts::care_contacts_v2::GetCareContactsV2;
    use std::collections::HashSet;

    #[test]
    fn the_list_covers_the_conditions_and_is_well_formed() {
        let t = table();
        assert!(t.len() >= 150, "{} codes", t.len());
        for c in codes::conditions() {
            let i = icd(c.col(0)).unwrap_or_else(|| panic!("{} missing", c.col(0)));
            assert_eq!(i.chronic, c.col(2) == "1", "{}", i.code);
        }
        let mut seen = HashSet::new();
        for i in t {
            assert!(seen.insert(i.code), "duplicate {}", i.code);
            assert!(!i.name.is_empty() && i.min_age <= i.max_age, "{}", i.code);
            assert!(
                matches!(i.setting, "vc" | "akut" | "sluten" | "spec"),
                "{}",
                i.code
            );
            assert!(!i.specialty.is_empty(), "{}", i.code);
            // ICD-10 shape: a letter, two digits, optionally a dot and more.
            let b = i.code.as_bytes();
            assert!(b[0].is_ascii_uppercase() && b[1].is_ascii_digit() && b[2].is_ascii_digit());
        }
    }

    #[test]
    fn diagnoses_tell_the_patients_story() {
        let items = generated::<GetDiagnosisV2>(300);
        let contacts: HashSet<String> = generated::<GetCareContactsV2>(300)
            .into_iter()
            .map(|c| c.header.document_id)
            .collect();
        assert!(items.len() > 300, "only {} diagnoses", items.len());
        let ids: HashSet<&str> = items
            .iter()
            .map(|d| d.header.document_id.as_str())
            .collect();
        let pop = crate::population::example();
        let mut chronic_main = 0;
        for d in &items {
            let b = &d.body;
            let code = b
                .code
                .as_ref()
                .and_then(|c| c.code.as_deref())
                .unwrap_or("");
            let entry = icd(code).unwrap_or_else(|| panic!("{code} not in the list"));
            assert_eq!(b.chronic, Some(entry.chronic));
            assert_eq!(
                b.code.as_ref().and_then(|c| c.code_system.as_deref()),
                Some(ICD10_SE)
            );
            if let Some(c) = &d.header.care_contact_id {
                assert!(contacts.contains(c), "unknown contact {c}");
            }
            for r in &b.related {
                assert!(ids.contains(r.as_str()));
                assert_eq!(b.type_of_diagnosis, "Bidiagnos");
            }
            if b.type_of_diagnosis == "Huvuddiagnos" && entry.chronic {
                chronic_main += 1;
            }
            let v = GetDiagnosisV2::view(d);
            assert_eq!(v.title, format!("{} ({code})", entry.name));
        }
        assert!(chronic_main > 100);
        assert!(
            items
                .iter()
                .any(|d| d.body.type_of_diagnosis == "Bidiagnos")
        );
        assert!(items.iter().any(|d| d.header.nullified == Some(true)));
        // Every chronic condition of a patient is diagnosed as a chronic main diagnosis.
        let (mut acute_pairs, mut acute_found) = (0, 0);
        for i in 0..300 {
            let (patient, conditions) = pop.patient(i);
            for c in conditions.iter().filter(|c| c.col(2) == "1") {
                assert!(
                    items.iter().any(|d| d.header.patient_id.id == patient.id
                        && d.body.type_of_diagnosis == "Huvuddiagnos"
                        && d.body.chronic == Some(true)
                        && d.body.code.as_ref().and_then(|x| x.code.as_deref()) == Some(c.col(0))),
                    "{} lacks {}",
                    patient.id,
                    c.col(0)
                );
            }
            // Acute conditions of the population appear as acute diagnoses (unless the only
            // visit was interrupted before the patient was seen).
            for c in conditions.iter().filter(|c| c.col(2) != "1") {
                acute_pairs += 1;
                if items.iter().any(|d| {
                    d.header.patient_id.id == patient.id
                        && d.body.chronic == Some(false)
                        && d.body.code.as_ref().and_then(|x| x.code.as_deref()) == Some(c.col(0))
                }) {
                    acute_found += 1;
                }
            }
        }
        assert!(
            acute_found * 100 >= acute_pairs * 95,
            "{acute_found}/{acute_pairs}"
        );
        // A chronic condition is diagnosed before it is registered as a secondary diagnosis.
        for d in items
            .iter()
            .filter(|d| d.body.type_of_diagnosis == "Bidiagnos" && d.body.chronic == Some(true))
        {
            let code = d.body.code.as_ref().and_then(|c| c.code.as_deref());
            let first = items
                .iter()
                .filter(|m| {
                    m.header.patient_id == d.header.patient_id
                        && m.body.type_of_diagnosis == "Huvuddiagnos"
                        && m.body.code.as_ref().and_then(|c| c.code.as_deref()) == code
                })
                .filter_map(|m| m.body.diagnosis_time.as_deref())
                .min();
            assert!(first.is_some_and(|f| Some(f) <= d.body.diagnosis_time.as_deref()));
        }
    }
}
