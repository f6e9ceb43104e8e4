//! GetMedicationHistory 2.1: ATC-coded prescriptions (ordinationer) that follow the patient's
//! conditions (`atc` column of `data/conditions.tsv`).
//!
//! A chronic condition gets its first drug at onset and, sometimes, the other drugs of its list
//! as add-ons later. Each drug is a prescription chain at one care giver: the insättning, then
//! up to four changes (one dose change, renewals: each a new `I` prescription whose
//! `precedingPrescriptionId` is the one it replaces, which becomes inactive), and sometimes an
//! utsättning (`U`); the latest `I` of an ongoing chain is the active one. Acute conditions get short courses (antibiotics, analgesics) around
//! episodes in recent years. Drugs come from `data/atc.tsv` (ATC codes and Swedish texts, EDQM
//! routes, dosage texts); NPL ids are not invented, so `nplId` carries the product name only.

use super::{Env, Sink};
use crate::code_list;
use crate::ctx::{Ctx, Place, SiteKind};
use chrono::{Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};
use npo_riv::common::{Cv, HealthcareProfessional, PatientSummaryHeader};
use npo_riv::contracts::medication_history_v2::{
    ATC, ConditionalDosage, DispensationAuthorization, Dosage, DosageParts, DoseRate, Drug,
    DrugChoice, EDQM, GetMedicationHistoryV2, ICD10_SE, Ii, LengthOfTreatment,
    MedicationMedicalRecord, MedicationMedicalRecordBody, MedicationPrescription, NonReplaceable,
    Pq, PqInterval, PrescriptionReason, PrescriptionStatus, SingleDose, TypeOfPrescription, sv_num,
};
use std::sync::OnceLock;

code_list!(pub fn atc_list() = "atc.tsv");

/// The label of this generator's document ids (the EI categorization).
const LABEL: &str = "caa-gmh";
/// How far back chronic treatment is recorded electronically.
const HISTORY_YEARS: u32 = 15;

/// One row of `data/atc.tsv`, parsed once.
#[derive(Debug)]
pub struct Med {
    pub atc: &'static str,
    pub atc_name: &'static str,
    pub product: &'static str,
    pub form: &'static str,
    pub strength: f64,
    pub strength_unit: &'static str,
    /// EDQM route of administration.
    pub route: &'static str,
    pub dose: f64,
    pub dose_unit: &'static str,
    /// Doses a day; 0 for a period dosage.
    pub per_day: f64,
    /// Days between doses of a period dosage (7 weekly, 90 quarterly).
    pub period_days: f64,
    /// As needed (vid behov): `per_day` is the daily maximum.
    pub prn: bool,
    /// Length of a course in days; 0 until further notice.
    pub course_days: i64,
    pub step_strength: Option<f64>,
    pub step_dose: Option<f64>,
    /// The row applies from this age (children's forms have their own rows).
    pub min_age: u32,
    pub purpose: &'static str,
    /// Dosage text; `{dos}` is the dose with its unit.
    pub instruction: &'static str,
    /// Available without prescription (may be recorded as self medication).
    pub otc: bool,
    pub pack: f64,
    pub pack_unit: &'static str,
}

/// The rows of `data/atc.tsv`.
pub fn meds() -> &'static [Med] {
    static MEDS: OnceLock<Vec<Med>> = OnceLock::new();
    MEDS.get_or_init(|| {
        atc_list()
            .iter()
            .map(|r| {
                let num = |i: usize| r.col(i).parse::<f64>().unwrap_or(0.0);
                let opt_num = |i: usize| r.col(i).parse::<f64>().ok();
                Med {
                    atc: r.col(0),
                    atc_name: r.col(1),
                    product: r.col(2),
                    form: r.col(3),
                    strength: num(4),
                    strength_unit: r.col(5),
                    route: r.col(6),
                    dose: num(7),
                    dose_unit: r.col(8),
                    per_day: num(9),
                    period_days: num(10),
                    prn: r.col(11) == "1",
                    course_days: r.col(12).parse().unwrap_or(0),
                    step_strength: opt_num(13),
                    step_dose: opt_num(14),
                    min_age: r.col(15).parse().unwrap_or(0),
                    purpose: r.col(16),
                    instruction: r.col(17),
                    otc: r.col(18) == "1",
                    pack: num(19),
                    pack_unit: r.col(20),
                }
            })
            .collect()
    })
}

/// The row for an ATC code at an age (the most specific row whose `min_age` the age reaches).
pub fn med_for(atc: &str, age: u32) -> Option<&'static Med> {
    meds()
        .iter()
        .filter(|m| m.atc == atc && m.min_age <= age)
        .max_by_key(|m| m.min_age)
}

/// The Swedish display of an EDQM route.
pub fn route_name(code: &str) -> &'static str {
    match code {
        "20053000" => "Oral användning",
        "20066000" => "Subkutan användning",
        "20035000" => "Intramuskulär användning",
        "20020000" => "Användning för inhalation",
        "20003000" => "Kutan användning",
        "20049000" => "Nasal användning",
        "20045000" => "Intravenös användning",
        _ => "Annan administrationsväg",
    }
}

/// `2 tabletter`, `1 kapsel`, `20 E`.
fn dose_text(dose: f64, unit: &str) -> String {
    let plural = match unit {
        "tablett" => "tabletter",
        "kapsel" => "kapslar",
        "inhalation" => "inhalationer",
        "injektion" => "injektioner",
        "applikation" => "applikationer",
        u => u,
    };
    let unit = if dose == 1.0 { unit } else { plural };
    format!("{} {unit}", sv_num(dose))
}

fn instruction(med: &Med, dose: f64) -> String {
    med.instruction
        .replace("{dos}", &dose_text(dose, med.dose_unit))
}

/// A site of one of `kinds` with a unit whose name contains one of `words` (lower case), if any.
pub(crate) fn place_where<'a>(
    ctx: &mut Ctx<'a>,
    kinds: &[SiteKind],
    words: &[&str],
) -> Option<Place<'a>> {
    let sites = ctx.sites;
    let matching = |f: &mut dyn FnMut(Place<'a>)| {
        for site in sites.iter().filter(|s| kinds.contains(&s.kind)) {
            for unit in &site.units {
                let name = unit.name.to_lowercase();
                if words.iter().any(|w| name.contains(w)) {
                    f(Place { site, unit });
                }
            }
        }
    };
    let mut n = 0;
    matching(&mut |_| n += 1);
    if n == 0 {
        return None;
    }
    let mut pick = ctx.rng.below(n);
    let mut chosen = None;
    matching(&mut |p| {
        if pick == 0 && chosen.is_none() {
            chosen = Some(p);
        }
        pick = pick.wrapping_sub(1);
    });
    chosen
}

/// [`place_where`], else any site of `kinds`.
pub(crate) fn place_pref<'a>(ctx: &mut Ctx<'a>, kinds: &[SiteKind], words: &[&str]) -> Place<'a> {
    place_where(ctx, kinds, words).unwrap_or_else(|| ctx.place(kinds))
}

const CARE: &[SiteKind] = &[SiteKind::Region, SiteKind::Private];
const PRIMARY_CARE: &[&str] = &["vårdcentral", "hälsocentral", "husläkar", "läkarmottagning"];
const HOSPITAL: &[&str] = &["klinik", "sjukhus", "lasarett", "mottagning"];

/// Where a chain of `med` is prescribed.
fn prescribing_place<'a>(ctx: &mut Ctx<'a>, med: &Med, acute: bool) -> Place<'a> {
    let specialist = matches!(
        &med.atc[..3.min(med.atc.len())],
        "L02" | "L04" | "N03" | "N04"
    ) || med.atc == "B01AB05";
    if specialist {
        place_pref(ctx, &[SiteKind::Region], HOSPITAL)
    } else if acute && ctx.rng.chance(0.25) {
        place_pref(ctx, CARE, &["akut", "jour", "närakut"])
    } else if ctx.rng.chance(0.8) {
        place_pref(ctx, CARE, PRIMARY_CARE)
    } else {
        ctx.place(CARE)
    }
}

fn drug_choice(
    med: &Med,
    strength: f64,
    dose: f64,
    course: Option<i64>,
    dosage: bool,
) -> DrugChoice {
    let drug = Drug {
        npl_id: Cv {
            display_name: Some(format!(
                "{} {} {} {}",
                med.product,
                sv_num(strength),
                med.strength_unit,
                med.form.to_lowercase()
            )),
            ..Cv::default()
        },
        atc_code: Some(Cv {
            code_system_name: Some("ATC".into()),
            ..Cv::coded(med.atc, ATC, med.atc_name)
        }),
        route: Some(Cv::coded(med.route, EDQM, route_name(med.route))),
        pharmaceutical_form: Some(med.form.into()),
        strength: Some(strength),
        strength_unit: Some(med.strength_unit.into()),
    };
    let mut choice = DrugChoice {
        drug: Some(drug),
        ..DrugChoice::default()
    };
    if !dosage {
        return choice;
    }
    let amount = PqInterval::exact(dose, med.dose_unit);
    let mut d = Dosage {
        instruction: Some(instruction(med, dose)),
        unit_dose: Some(Cv {
            original_text: Some(med.dose_unit.into()),
            ..Cv::default()
        }),
        ..Dosage::default()
    };
    if med.prn {
        d.short_notation = Some(format!("{} vb", sv_num(dose)));
        d.conditional_dosage = Some(ConditionalDosage {
            condition: "Vid behov".into(),
            dosage: DosageParts {
                single_dose: Some(SingleDose {
                    dose: amount.clone(),
                    time: None,
                }),
                ..DosageParts::default()
            },
        });
        d.maximum_dosage = Some(DosageParts {
            frequency: Some(DoseRate {
                dose: amount,
                rate: Pq::new(med.per_day, "1/d"),
            }),
            ..DosageParts::default()
        });
    } else if med.per_day > 0.0 {
        d.short_notation = Some(format!("{}x{}", sv_num(dose), sv_num(med.per_day)));
        d.set_dosage = Some(DosageParts {
            frequency: Some(DoseRate {
                dose: amount,
                rate: Pq::new(med.per_day, "1/d"),
            }),
            ..DosageParts::default()
        });
    } else {
        d.set_dosage = Some(DosageParts {
            period: Some(DoseRate {
                dose: amount,
                rate: Pq::new(med.period_days, "d"),
            }),
            ..DosageParts::default()
        });
    }
    if let Some(days) = course {
        d.length_of_treatment = Some(LengthOfTreatment {
            interval: PqInterval::exact(days as f64, "d"),
            is_maximum: med.prn,
        });
    }
    choice.dosage = vec![d];
    choice
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Start,
    DoseChange,
    Renewal,
    Stop,
}

#[derive(Clone, Copy)]
struct Step {
    time: NaiveDateTime,
    kind: Kind,
    strength: f64,
    dose: f64,
}

const STOP_REASONS: &[&str] = &[
    "Biverkningar",
    "Utebliven effekt",
    "Behandlingen avslutad",
    "Byte till annat läkemedel",
    "Patientens önskemål",
];

fn reason_text(kind: Kind, stop_reason: &'static str) -> Option<&'static str> {
    match kind {
        Kind::DoseChange => Some("Dosändring"),
        Kind::Stop => Some(stop_reason),
        Kind::Start | Kind::Renewal => None,
    }
}

/// The prescription records of one chain (at one place, for one condition).
fn chain_records(
    ctx: &mut Ctx<'_>,
    place: Place<'_>,
    med: &Med,
    condition: (&str, &str),
    steps: &[Step],
    course: Option<i64>,
    out: &mut Vec<MedicationMedicalRecord>,
) {
    let source = &place.site.source_system;
    let headers: Vec<PatientSummaryHeader> = steps
        .iter()
        .map(|s| {
            let mut h = ctx.header(place, s.time);
            h.document_title = Some(
                match s.kind {
                    Kind::Stop => "Utsättning av läkemedel",
                    _ => "Läkemedelsordination",
                }
                .into(),
            );
            if ctx.rng.chance(0.01) {
                h.nullified = Some(true);
                h.nullified_reason = Some("Felaktigt registrerad ordination".into());
            }
            h
        })
        .collect();
    let id = |h: &PatientSummaryHeader| Ii::new(source, &h.document_id);
    let chain_id = headers.first().map(id);
    let first_start = steps.first().map(|s| Ctx::ts(s.time));
    let self_medication = med.otc && ctx.rng.chance(0.4);
    let stop_reason = *ctx.rng.pick(STOP_REASONS);
    let reason = PrescriptionReason {
        reason: Cv {
            code_system_name: Some("ICD-10-SE".into()),
            ..Cv::coded(condition.0, ICD10_SE, condition.1)
        },
        other_reason: None,
    };
    for (i, (step, header)) in steps.iter().zip(&headers).enumerate() {
        let next = steps.get(i + 1);
        let stop = step.kind == Kind::Stop;
        let prescriber: HealthcareProfessional = header.accountable.clone();
        let course_end = course.map(|d| step.time + Duration::days(d));
        let end_of_treatment = match next {
            Some(n) => Some(n.time),
            None if stop => Some(step.time),
            None => course_end,
        };
        let active = !stop && next.is_none() && course_end.is_none_or(|e| e.date() >= ctx.today);
        let note = match step.kind {
            Kind::DoseChange => {
                let prev = steps[i.saturating_sub(1)];
                Some(if prev.strength != step.strength {
                    format!(
                        "Styrkan ändrad från {} till {} {}.",
                        sv_num(prev.strength),
                        sv_num(step.strength),
                        med.strength_unit
                    )
                } else {
                    format!(
                        "Dosen ändrad från {} till {}.",
                        dose_text(prev.dose, med.dose_unit),
                        dose_text(step.dose, med.dose_unit)
                    )
                })
            }
            Kind::Renewal => Some("Förnyad ordination, oförändrad dos.".into()),
            Kind::Start | Kind::Stop => None,
        };
        let drug = drug_choice(med, step.strength, step.dose, course, !stop);
        let dispensation = (!stop && !self_medication && ctx.rng.chance(0.9)).then(|| {
            let day = step.time.date();
            DispensationAuthorization {
                id: Ii::new(source, &format!("{}-R", header.document_id)),
                valid_until: Some(Ctx::date(day + Duration::days(364))),
                receiving_pharmacy: None,
                minimum_dispensation_interval: (course.is_none() && ctx.rng.chance(0.5))
                    .then(|| Pq::new(ctx.rng.range(60, 80) as f64, "d")),
                total_amount: Some(med.pack * if course.is_some() { 1.0 } else { 4.0 }),
                package_unit: Some(med.pack_unit.into()),
                distribution_method: Some("Apotek".into()),
                authorizer: prescriber.clone(),
                authorizer_comment: None,
                first_dispensation_before: None,
                signatura: instruction(med, step.dose),
                non_replaceable: if ctx.rng.chance(0.03) {
                    Some(NonReplaceable::Prescriber)
                } else if ctx.rng.chance(0.03) {
                    Some(NonReplaceable::Patient)
                } else {
                    None
                },
                drug: None,
            }
        });
        let evaluation_time = (active && course.is_none() && ctx.rng.chance(0.25)).then(|| {
            let day = step.time.date() + Duration::days(ctx.rng.range(90, 365));
            Ctx::ts(day.and_time(NaiveTime::MIN))
        });
        let prescription = MedicationPrescription {
            prescription_id: id(header),
            type_of_prescription: if stop {
                TypeOfPrescription::Utsattning
            } else {
                TypeOfPrescription::Insattning
            },
            status: if active {
                PrescriptionStatus::Active
            } else {
                PrescriptionStatus::Inactive
            },
            note,
            principal_reasons: vec![reason.clone()],
            additional_reasons: Vec::new(),
            evaluation_time,
            treatment_purpose: Some(med.purpose.into()),
            chain_id: chain_id.clone(),
            preceding_id: i.checked_sub(1).map(|p| id(&headers[p])),
            succeeding_id: headers.get(i + 1).map(id),
            prescriber: Some(prescriber),
            evaluator: None,
            start_of_first_treatment: first_start.clone(),
            start_of_treatment: (!stop).then(|| Ctx::ts(step.time)),
            end_of_treatment: end_of_treatment.map(Ctx::ts),
            end_of_treatment_reason: next
                .map(|n| n.kind)
                .or(stop.then_some(Kind::Stop))
                .and_then(|k| reason_text(k, stop_reason))
                .map(|t| Cv {
                    original_text: Some(t.into()),
                    ..Cv::default()
                }),
            self_medication,
            drug: Some(drug),
            dispensation_authorization: dispensation,
        };
        out.push(MedicationMedicalRecord {
            header: header.clone(),
            body: MedicationMedicalRecordBody {
                prescription,
                additional_patient_information: None,
            },
        });
    }
}

/// The day the patient reaches `years` of age.
fn birthday(ctx: &Ctx<'_>, years: u32) -> NaiveDate {
    ctx.patient
        .birth_date
        .checked_add_months(Months::new(years * 12))
        .unwrap_or(ctx.patient.birth_date)
}

/// A chronic drug from `start`: changes, renewals and perhaps an utsättning.
fn chronic_chain(
    ctx: &mut Ctx<'_>,
    med: &Med,
    condition: (&str, &str),
    start: NaiveDate,
    out: &mut Vec<MedicationMedicalRecord>,
) {
    let place = prescribing_place(ctx, med, false);
    let mut steps = vec![Step {
        time: ctx.at(start),
        kind: Kind::Start,
        strength: med.strength,
        dose: med.dose,
    }];
    let mut day = start;
    let mut stepped = false;
    for _ in 0..4 {
        let next = day + Duration::days(ctx.rng.range(120, 900));
        if next > ctx.today {
            break;
        }
        let last = steps[steps.len() - 1];
        let can_step = !stepped && (med.step_strength.is_some() || med.step_dose.is_some());
        let (kind, strength, dose) = if can_step && ctx.rng.chance(0.6) {
            stepped = true;
            (
                Kind::DoseChange,
                med.step_strength.unwrap_or(last.strength),
                med.step_dose.unwrap_or(last.dose),
            )
        } else if ctx.rng.chance(0.65) {
            (Kind::Renewal, last.strength, last.dose)
        } else {
            break;
        };
        steps.push(Step {
            time: ctx.at(next),
            kind,
            strength,
            dose,
        });
        day = next;
    }
    if ctx.rng.chance(0.12) {
        let stop = day + Duration::days(ctx.rng.range(30, 1500));
        if stop <= ctx.today {
            let last = steps[steps.len() - 1];
            steps.push(Step {
                time: ctx.at(stop),
                kind: Kind::Stop,
                ..last
            });
        }
    }
    chain_records(ctx, place, med, condition, &steps, None, out);
}

/// A short course for an acute episode on `day`.
fn course(
    ctx: &mut Ctx<'_>,
    med: &Med,
    condition: (&str, &str),
    day: NaiveDate,
    out: &mut Vec<MedicationMedicalRecord>,
) {
    let place = prescribing_place(ctx, med, true);
    let days = match med.course_days {
        0 if med.prn => 10,
        0 => 14,
        d => d,
    };
    let step = Step {
        time: ctx.at(day),
        kind: Kind::Start,
        strength: med.strength,
        dose: med.dose,
    };
    chain_records(ctx, place, med, condition, &[step], Some(days), out);
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let mut out = Vec::new();
    let today = ctx.today;
    let age = ctx.age_on(today);
    let history_start = today - Duration::days(i64::from(HISTORY_YEARS) * 365);
    // ATC codes already on a chronic prescription (a drug serves several conditions).
    let mut chronic_atc: Vec<&str> = Vec::new();
    for cond in env.conditions {
        let icd = cond.col(0);
        let name = cond.col(1);
        let codes: Vec<&'static str> = cond
            .col(3)
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if codes.is_empty() {
            continue;
        }
        let min_age: u32 = cond.col(5).parse().unwrap_or(0);
        let earliest = birthday(&ctx, min_age).max(history_start);
        if cond.col(2) == "1" {
            let latest = today - Duration::days(30);
            let onset = ctx.day_between(earliest, latest);
            for (n, code) in codes.iter().enumerate() {
                if chronic_atc.contains(code) || (n > 0 && !ctx.rng.chance(0.45)) {
                    continue;
                }
                let start = if n == 0 {
                    onset + Duration::days(ctx.rng.range(0, 45))
                } else {
                    onset + Duration::days(ctx.rng.range(60, 5 * 365))
                };
                if start > today {
                    continue;
                }
                let Some(med) = med_for(code, ctx.age_on(start)) else {
                    continue;
                };
                chronic_atc.push(code);
                chronic_chain(&mut ctx, med, (icd, name), start, &mut out);
            }
        } else {
            let episodes = 1 + usize::from(ctx.rng.chance(0.4)) + usize::from(ctx.rng.chance(0.2));
            for _ in 0..episodes {
                let day = ctx.recent_day(8);
                if day < earliest || age < min_age {
                    continue;
                }
                // A hip fracture gets both thromboprophylaxis and analgesia; otherwise one drug.
                let chosen: Vec<&str> = if icd == "S72.0" {
                    codes.clone()
                } else {
                    vec![*ctx.rng.pick(&codes)]
                };
                for code in chosen {
                    if let Some(med) = med_for(code, ctx.age_on(day)) {
                        course(&mut ctx, med, (icd, name), day, &mut out);
                    }
                }
            }
        }
    }
    sink.put::<GetMedicationHistoryV2>(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;
    use crate::population;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn every_condition_drug_is_in_the_atc_list() {
        for cond in codes::conditions() {
            for code in cond.col(3).split(',').filter(|c| !c.is_empty()) {
                let max_age: u32 = cond.col(6).parse().unwrap_or(100);
                assert!(
                    med_for(code, max_age).is_some(),
                    "{code} of {} is missing in atc.tsv",
                    cond.col(0)
                );
            }
        }
        for m in meds() {
            assert!(m.strength > 0.0 && m.dose > 0.0, "{}", m.atc);
            assert!(m.per_day > 0.0 || m.period_days > 0.0, "{}", m.atc);
            assert!(
                route_name(m.route) != "Annan administrationsväg",
                "{}",
                m.atc
            );
        }
    }

    #[test]
    fn generated_prescriptions_follow_the_conditions_in_chains() {
        let items = crate::check::generated::<GetMedicationHistoryV2>(300);
        let pop = population::example();
        let known: HashSet<&str> = meds().iter().map(|m| m.atc).collect();
        let mut by_patient: HashMap<&str, Vec<&MedicationMedicalRecord>> = HashMap::new();
        for item in &items {
            by_patient
                .entry(item.header.patient_id.id.as_str())
                .or_default()
                .push(item);
        }
        let (mut with_drug_conditions, mut with_records) = (0, 0);
        let (mut changes, mut stops, mut active) = (0, 0, 0);
        for i in 0..300 {
            let (patient, conditions) = pop.patient(i);
            let records = by_patient
                .get(patient.id.as_str())
                .cloned()
                .unwrap_or_default();
            let chronic = conditions
                .iter()
                .any(|c| c.col(2) == "1" && !c.col(3).is_empty());
            if chronic {
                with_drug_conditions += 1;
                with_records += usize::from(!records.is_empty());
            }
            assert!(
                records.len() <= 80,
                "{} records for one patient",
                records.len()
            );
            let ids: HashMap<String, &MedicationMedicalRecord> = records
                .iter()
                .map(|r| {
                    let id = &r.body.prescription.prescription_id;
                    (format!("{}/{:?}", id.root, id.extension), *r)
                })
                .collect();
            let mut active_chains = HashSet::new();
            for r in &records {
                let p = &r.body.prescription;
                // The reason is one of the patient's conditions, coded in ICD-10-SE.
                let reason = &p.principal_reasons[0].reason;
                assert_eq!(reason.code_system.as_deref(), Some(ICD10_SE));
                assert!(
                    conditions
                        .iter()
                        .any(|c| Some(c.col(0)) == reason.code.as_deref())
                );
                // The drug is ATC-coded from the list.
                let drug = p.drug.as_ref().and_then(|d| d.drug.as_ref()).expect("drug");
                let atc = drug.atc_code.as_ref().expect("atc");
                assert_eq!(atc.code_system.as_deref(), Some(ATC));
                assert!(known.contains(atc.code.as_deref().unwrap_or("")));
                // Chains link both ways.
                if let Some(prev) = &p.preceding_id {
                    let key = format!("{}/{:?}", prev.root, prev.extension);
                    let before = ids.get(&key).expect("predecessor present");
                    assert_eq!(
                        before.body.prescription.succeeding_id.as_ref(),
                        Some(&p.prescription_id)
                    );
                    assert_eq!(
                        before.body.prescription.status,
                        PrescriptionStatus::Inactive
                    );
                    assert_eq!(before.body.prescription.chain_id, p.chain_id);
                    changes += 1;
                }
                match p.type_of_prescription {
                    TypeOfPrescription::Utsattning => {
                        stops += 1;
                        assert_eq!(p.status, PrescriptionStatus::Inactive);
                        assert!(p.preceding_id.is_some() && p.end_of_treatment.is_some());
                    }
                    TypeOfPrescription::Insattning => {
                        let dosage = &p.drug.as_ref().expect("drug").dosage;
                        assert!(dosage[0].instruction.is_some());
                    }
                }
                if p.status == PrescriptionStatus::Active {
                    active += 1;
                    assert!(
                        active_chains.insert(format!("{:?}", p.chain_id)),
                        "two active prescriptions in one chain"
                    );
                }
            }
        }
        assert!(
            with_records * 10 >= with_drug_conditions * 9,
            "{with_records} of {with_drug_conditions} patients with chronic drug conditions have prescriptions"
        );
        assert!(
            changes > 20 && stops > 3 && active > 50,
            "{changes} {stops} {active}"
        );
        // Children get children's forms.
        assert!(items.iter().any(|r| {
            r.body
                .prescription
                .drug
                .as_ref()
                .and_then(|d| d.drug.as_ref())
                .and_then(|d| d.pharmaceutical_form.as_deref())
                .is_some_and(|f| f.contains("suspension"))
        }));
    }
}
