//! A small, deterministic set of life-like records for the demo and tests: clinical notes and
//! diagnoses for the given patients at this source system's care units.

use crate::{SourceConfig, SourceError, SourceSystem};
use npo_riv::common::{
    Cv, HealthcareProfessional, LegalAuthenticator, PatientSummaryHeader, PersonId,
};
use npo_riv::contracts::care_documentation_v2::{CareDocumentation, ClinicalDocumentNote};
use npo_riv::contracts::diagnosis_v2::{Diagnosis, DiagnosisBody, ICD10_SE};
use npo_riv::contracts::{GetCareDocumentationV2, GetDiagnosisV2};

const DIAGNOSES: &[(&str, &str)] = &[
    ("I10", "Essentiell hypertoni"),
    ("E11.9", "Diabetes mellitus typ 2 utan komplikationer"),
    ("J45.9", "Astma, ospecificerad"),
    ("J06.9", "Akut övre luftvägsinfektion, ospecificerad"),
    ("M54.5", "Lumbago"),
    ("F32.9", "Depressiv episod, ospecificerad"),
    ("I48.9", "Förmaksflimmer och förmaksfladder, ospecificerat"),
    ("N39.0", "Urinvägsinfektion, ospecificerad lokalisation"),
    ("S52.5", "Fraktur på nedre delen av radius"),
    ("K21.9", "Gastroesofageal refluxsjukdom utan esofagit"),
];

const NOTES: &[(&str, &str, &str)] = &[
    (
        "bes",
        "Besöksanteckning",
        "Patienten kommer på planerat återbesök. Mår bra, inga nya besvär. Blodtryck 132/84. Fortsatt behandling enligt plan.",
    ),
    (
        "utr",
        "Utredning",
        "Remitterad för utredning av trötthet. Labprover tagna: Hb, CRP, TSH, glukos. Återkommer med svar.",
    ),
    (
        "atb",
        "Åtgärd/Behandling",
        "Omläggning av sår på vänster underben. Rent sår, ingen rodnad. Ny omläggning om tre dagar.",
    ),
    (
        "sam",
        "Sammanfattning",
        "Sammanfattning av vårdtillfället: inlagd för pneumoni, behandlad med antibiotika intravenöst, förbättrad och utskriven till hemmet.",
    ),
    (
        "ins",
        "Inskrivning",
        "Inskrivning i hemsjukvården. Patienten bor ensam, behöver hjälp med läkemedelshantering.",
    ),
    (
        "slu",
        "Slutanteckning",
        "Avslutad kontakt. Patienten har uppnått målen för rehabiliteringen.",
    ),
];

/// A deterministic pseudo-random stream (SplitMix64): the same seed always gives the same data.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Self {
        Rng(seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        }))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn timestamp(rng: &mut Rng, year_from: u32) -> String {
    let year = year_from + rng.below(4) as u32;
    format!(
        "{year}{:02}{:02}{:02}{:02}00",
        1 + rng.below(12),
        1 + rng.below(28),
        8 + rng.below(9),
        rng.below(60)
    )
}

fn header(
    cfg: &SourceConfig,
    rng: &mut Rng,
    id: String,
    patient: &str,
    time: String,
) -> PatientSummaryHeader {
    let unit = &cfg.care_units[rng.below(cfg.care_units.len())];
    let staff = [
        "Anna Lind",
        "Erik Holm",
        "Sara Berg",
        "Johan Ek",
        "Maria Sjö",
    ];
    let who = staff[rng.below(staff.len())];
    PatientSummaryHeader {
        document_id: id,
        source_system_hsa_id: cfg.hsa_id.clone(),
        document_title: None,
        document_time: Some(time.clone()),
        patient_id: PersonId::personnummer(patient),
        accountable: HealthcareProfessional {
            author_time: time.clone(),
            hsa_id: Some(format!(
                "{}-P{:03}",
                cfg.care_giver_hsa_id
                    .split('-')
                    .next()
                    .unwrap_or("SE0000000000"),
                rng.below(900) + 100
            )),
            name: Some(who.into()),
            role_code: None,
            org_unit: Some(npo_riv::common::OrgUnit {
                hsa_id: unit.hsa_id.clone(),
                name: unit.name.clone(),
                telecom: None,
                email: None,
                address: None,
                location: None,
            }),
            care_unit_hsa_id: Some(unit.hsa_id.clone()),
            care_giver_hsa_id: Some(cfg.care_giver_hsa_id.clone()),
        },
        legal_authenticator: Some(LegalAuthenticator {
            signature_time: time,
            hsa_id: None,
            name: Some(who.into()),
        }),
        approved_for_patient: rng.below(10) != 0,
        care_contact_id: None,
        nullified: None,
        nullified_reason: None,
    }
}

/// The demo notes and diagnoses of `patients` at this source system.
pub fn records(
    cfg: &SourceConfig,
    patients: &[String],
) -> (Vec<CareDocumentation>, Vec<Diagnosis>) {
    let mut notes = Vec::new();
    let mut diagnoses = Vec::new();
    if cfg.care_units.is_empty() {
        return (notes, diagnoses);
    }
    for patient in patients {
        let mut rng = Rng::new(&format!("{}:{patient}", cfg.hsa_id));
        for n in 0..2 + rng.below(3) {
            let (code, title, text) = NOTES[rng.below(NOTES.len())];
            let time = timestamp(&mut rng, 2022);
            notes.push(CareDocumentation {
                header: header(
                    cfg,
                    &mut rng,
                    format!("{}-voo-{patient}-{n}", cfg.hsa_id),
                    patient,
                    time,
                ),
                note: ClinicalDocumentNote {
                    note_code: Some(code.into()),
                    type_code: None,
                    title: Some(title.into()),
                    text: Some(text.into()),
                    multimedia: None,
                    dissenting_opinions: Vec::new(),
                },
            });
        }
        for n in 0..1 + rng.below(3) {
            let (code, name) = DIAGNOSES[rng.below(DIAGNOSES.len())];
            let time = timestamp(&mut rng, 2020);
            diagnoses.push(Diagnosis {
                header: header(
                    cfg,
                    &mut rng,
                    format!("{}-dia-{patient}-{n}", cfg.hsa_id),
                    patient,
                    time.clone(),
                ),
                body: DiagnosisBody {
                    type_of_diagnosis: if n == 0 { "Huvuddiagnos" } else { "Bidiagnos" }.into(),
                    chronic: Some(matches!(code, "I10" | "E11.9" | "J45.9" | "I48.9")),
                    diagnosis_time: Some(time),
                    code: Some(Cv::coded(code, ICD10_SE, name)),
                    related: Vec::new(),
                },
            });
        }
    }
    (notes, diagnoses)
}

impl SourceSystem {
    /// Writes the demo records of `patients` (idempotent: records are replaced by id).
    pub async fn seed(&self, patients: &[String]) -> Result<usize, SourceError> {
        let (notes, diagnoses) = records(&self.cfg, patients);
        for n in &notes {
            self.put::<GetCareDocumentationV2>(n).await?;
        }
        for d in &diagnoses {
            self.put::<GetDiagnosisV2>(d).await?;
        }
        // Every demo patient but each fifth (to show a patient who is not available) is
        // enrolled at the care giver's first unit; Tolvan everywhere.
        if let Some(unit) = self.cfg.care_units.first() {
            for (i, p) in patients.iter().enumerate() {
                if i % 5 != 4 || p == "191212121212" {
                    self.add_care_engagement(
                        p,
                        &unit.hsa_id,
                        crate::engagement::EngagementKind::Enrolment,
                        "20200101",
                        None,
                    )
                    .await?;
                }
            }
        }
        Ok(notes.len() + diagnoses.len())
    }
}
