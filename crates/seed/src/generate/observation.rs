//! Observations (GetObservations 1.1): growth curves of children measured at the child-health
//! visits (BVC: weight, length, head circumference until 18 months, BMI from 2,5 years) and the
//! school-health visits (weight, length, BMI), following the Swedish growth references roughly
//! (birth about 3,5 kg and 50 cm) with a percentile kept per child; for adults weight, height,
//! BMI, waist, blood pressure and pulse at health checks, at follow-ups of hypertension, diabetes
//! and heart disease, at admissions and now and then at other visits.
//!
//! Measurements are taken at the contacts of the care-contact story (same days, same units), one
//! `observationGroup` per occasion. Observation types are SNOMED CT codes.

use super::care_contact::{self, Contact, Role, Setting};
use super::{Env, Sink};
use crate::ctx::Ctx;
use crate::rng::Rng;
use chrono::{Duration, NaiveDateTime};
use npo_riv::contracts::care_contacts_v2::CareContactStatus;
use npo_riv::contracts::observations_v1::{
    Authenticator, BMI, CareGiver, CareUnit, Code, DIASTOLIC, GetObservationsV1,
    HEAD_CIRCUMFERENCE, HEART_RATE, HL7_ROLE_CLASS, Ii, KV_KON, LENGTH, Observation,
    ObservationGroup, ObservationPatient, ObservationValue, PartialPeriod, PartialTime,
    PerformerRole, Person, Pq, SYSTOLIC, WEIGHT,
};

/// Document-id label (the engagement-index categorization).
pub const LABEL: &str = "chb-o";
/// SNOMED CT waist circumference.
const WAIST: &str = "276361009";

/// Ages (months) of the growth reference tables.
const AGES: [f64; 26] = [
    0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 12.0, 18.0, 24.0, 36.0, 48.0, 60.0, 72.0, 84.0, 96.0, 108.0,
    120.0, 132.0, 144.0, 156.0, 168.0, 180.0, 192.0, 204.0, 216.0,
];
/// Median length/height (cm), boys and girls (Swedish references, Wikland et al. 2002, rounded).
const HEIGHT: [[f64; 26]; 2] = [
    [
        51.0, 55.0, 58.5, 61.5, 64.0, 68.0, 72.5, 76.5, 83.0, 88.5, 97.0, 104.5, 111.5, 118.0,
        124.5, 130.5, 136.0, 141.0, 146.0, 151.5, 158.0, 165.5, 172.0, 176.5, 178.5, 180.0,
    ],
    [
        50.0, 54.0, 57.5, 60.0, 62.5, 66.5, 71.0, 75.0, 81.5, 87.0, 96.0, 103.5, 110.5, 117.0,
        123.5, 129.5, 135.0, 140.5, 146.5, 152.5, 158.0, 162.0, 164.5, 166.0, 166.5, 167.0,
    ],
];
/// Median weight (kg), boys and girls.
const WEIGHT_KG: [[f64; 26]; 2] = [
    [
        3.55, 4.5, 5.6, 6.4, 7.0, 7.9, 9.0, 9.9, 11.3, 12.6, 14.9, 17.0, 19.2, 21.7, 24.3, 27.2,
        30.3, 33.7, 37.3, 41.5, 46.5, 52.5, 58.5, 63.0, 66.0, 68.0,
    ],
    [
        3.45, 4.2, 5.1, 5.8, 6.4, 7.3, 8.4, 9.3, 10.7, 12.0, 14.3, 16.4, 18.6, 21.0, 23.7, 26.6,
        29.8, 33.3, 37.5, 42.0, 46.5, 50.5, 53.5, 55.5, 57.0, 58.0,
    ],
];
/// Ages (months) of the head-circumference table.
const HEAD_AGES: [f64; 12] = [
    0.0, 1.0, 2.0, 3.0, 6.0, 9.0, 12.0, 18.0, 24.0, 36.0, 48.0, 60.0,
];
/// Median head circumference (cm), boys and girls.
const HEAD: [[f64; 12]; 2] = [
    [
        35.3, 37.5, 39.3, 40.7, 43.5, 45.2, 46.4, 47.8, 48.7, 49.8, 50.6, 51.1,
    ],
    [
        34.7, 36.8, 38.5, 39.8, 42.5, 44.1, 45.3, 46.7, 47.7, 48.8, 49.6, 50.1,
    ],
];

fn interpolate(ages: &[f64], values: &[f64], months: f64) -> f64 {
    let m = months.clamp(ages[0], ages[ages.len() - 1]);
    let i = ages.iter().rposition(|a| *a <= m).unwrap_or(0);
    if i + 1 >= ages.len() {
        return values[values.len() - 1];
    }
    let f = (m - ages[i]) / (ages[i + 1] - ages[i]);
    values[i] + f * (values[i + 1] - values[i])
}

/// Median length (cm) at `months` for a girl (`female`) or boy.
pub fn median_height(female: bool, months: f64) -> f64 {
    interpolate(&AGES, &HEIGHT[usize::from(female)], months)
}

/// Median weight (kg).
pub fn median_weight(female: bool, months: f64) -> f64 {
    interpolate(&AGES, &WEIGHT_KG[usize::from(female)], months)
}

/// Median head circumference (cm).
pub fn median_head(female: bool, months: f64) -> f64 {
    interpolate(&HEAD_AGES, &HEAD[usize::from(female)], months)
}

/// Relative standard deviations of the references.
const SD_HEIGHT: f64 = 0.037;
const SD_HEAD: f64 = 0.03;
fn sd_weight(months: f64) -> f64 {
    if months > 120.0 { 0.15 } else { 0.11 }
}

/// What stays the same about a person's body: percentiles and baselines.
struct Body {
    female: bool,
    z_height: f64,
    z_weight: f64,
    z_head: f64,
    /// Adult body-mass index.
    bmi: f64,
    /// Systolic blood pressure at 20 years (mmHg).
    systolic: f64,
    pulse: f64,
    hypertension: bool,
    atrial_fibrillation: bool,
}

impl Body {
    fn new(env: &Env<'_>) -> Self {
        let mut r = Rng::derive(env.seed, &format!("{}:body", env.patient.id));
        let has = |code: &str| env.conditions.iter().any(|c| c.col(0) == code);
        let z_height = r.normal(0.0, 1.0).clamp(-2.5, 2.5);
        let z_weight = (0.6 * z_height + 0.8 * r.normal(0.0, 1.0)).clamp(-2.5, 2.5);
        let z_head = (0.5 * z_height + 0.85 * r.normal(0.0, 1.0)).clamp(-2.5, 2.5);
        let mut bmi = r.normal(25.5, 3.8);
        if has("E11.9") {
            bmi += 3.5;
        }
        if has("I10") {
            bmi += 1.5;
        }
        Body {
            female: env.patient.female,
            z_height,
            z_weight,
            z_head,
            bmi: bmi.clamp(17.5, 45.0),
            systolic: r.normal(116.0, 9.0).clamp(98.0, 140.0),
            pulse: r.normal(70.0, 7.0).clamp(50.0, 95.0),
            hypertension: has("I10"),
            atrial_fibrillation: has("I48.9"),
        }
    }

    /// Height (cm) at `months`: the child's percentile, kept into adulthood; old people shrink.
    fn height(&self, months: f64) -> f64 {
        let h = median_height(self.female, months) * (1.0 + self.z_height * SD_HEIGHT);
        let years = months / 12.0;
        if years > 60.0 {
            h - 0.1 * (years - 60.0)
        } else {
            h
        }
    }
}

/// One measurement: SNOMED CT type and value.
type Measure = (&'static str, Pq);

/// The measurements of a child's growth at `months`.
fn growth(ctx: &mut Ctx<'_>, body: &Body, months: f64, school: bool) -> Vec<Measure> {
    let female = body.female;
    let height = body.height(months) + ctx.rng.normal(0.0, 0.3);
    let weight = median_weight(female, months)
        * (1.0 + body.z_weight * sd_weight(months))
        * (1.0 + ctx.rng.normal(0.0, 0.01));
    let mut m = Vec::with_capacity(4);
    // Infants are weighed to the gram.
    let grams = if months < 24.0 { 3 } else { 1 };
    m.push((WEIGHT, Pq::new(weight, grams, "kg")));
    m.push((LENGTH, Pq::new(height, 1, "cm")));
    if months <= 18.5 && !school {
        let head =
            median_head(female, months) * (1.0 + body.z_head * SD_HEAD) + ctx.rng.normal(0.0, 0.2);
        m.push((HEAD_CIRCUMFERENCE, Pq::new(head, 1, "cm")));
    }
    if months >= 30.0 {
        let bmi = weight / (height / 100.0).powi(2);
        m.push((BMI, Pq::new(bmi, 1, "kg/m2")));
    }
    m
}

/// Weight (and height and BMI) of an adult.
fn adult_weight(ctx: &mut Ctx<'_>, body: &Body, months: f64, with_height: bool) -> Vec<Measure> {
    let height = body.height(months);
    let bmi = body.bmi + ctx.rng.normal(0.0, 0.6);
    let weight = bmi * (height / 100.0).powi(2);
    let mut m = vec![(WEIGHT, Pq::new(weight, 1, "kg"))];
    if with_height {
        m.push((LENGTH, Pq::new(height + ctx.rng.normal(0.0, 0.4), 0, "cm")));
        m.push((BMI, Pq::new(bmi, 1, "kg/m2")));
    }
    m
}

/// Blood pressure, and the pulse now and then.
fn vitals(ctx: &mut Ctx<'_>, body: &Body, years: f64, m: &mut Vec<Measure>) {
    let mut sys = body.systolic + 0.35 * (years - 20.0).max(0.0) + ctx.rng.normal(0.0, 8.0);
    if body.hypertension {
        // Treated, not always to target.
        sys += 6.0;
    }
    // Old people's diastolic pressure falls as their arteries stiffen.
    let mut dia = 0.4 * sys + 28.0 - 0.15 * (years - 50.0).max(0.0) + ctx.rng.normal(0.0, 5.0);
    if ctx.rng.chance(0.005) {
        // A hypertensive crisis.
        sys = ctx.rng.normal(192.0, 6.0);
        dia = ctx.rng.normal(112.0, 4.0);
    }
    m.push((SYSTOLIC, Pq::new(sys.clamp(85.0, 220.0), 0, "mm[Hg]")));
    m.push((DIASTOLIC, Pq::new(dia.clamp(45.0, 130.0), 0, "mm[Hg]")));
    if ctx.rng.chance(0.5) {
        let pulse = if body.atrial_fibrillation {
            ctx.rng.normal(88.0, 14.0)
        } else {
            body.pulse + ctx.rng.normal(0.0, 6.0)
        };
        m.push((HEART_RATE, Pq::new(pulse.clamp(40.0, 160.0), 0, "/min")));
    }
}

/// Conditions followed with the blood pressure, and with the weight.
const BP_CONDITIONS: &[&str] = &["I10", "E11.9", "E10.9", "I50.9", "I25.1", "N18.3", "I48.9"];
const WEIGHT_CONDITIONS: &[&str] = &["E11.9", "E10.9", "I50.9", "E66.9"];

/// What is measured at contact `c` (nothing for most contacts).
fn measures(ctx: &mut Ctx<'_>, body: &Body, c: &Contact<'_>) -> Vec<Measure> {
    let months = (c.start.date() - ctx.patient.birth_date).num_days() as f64 / 30.4375;
    let years = months / 12.0;
    let adult = years >= 18.0;
    let icd = c.icd10.unwrap_or("");
    let mut m = Vec::new();
    match c.setting {
        Setting::ChildHealth => m = growth(ctx, body, months, false),
        Setting::SchoolHealth => m = growth(ctx, body, months, true),
        Setting::HealthCheck => {
            m = adult_weight(ctx, body, months, true);
            if ctx.rng.chance(0.6) {
                let waist =
                    body.bmi * if body.female { 3.4 } else { 3.6 } + ctx.rng.normal(0.0, 3.0);
                m.push((WAIST, Pq::new(waist, 0, "cm")));
            }
            vitals(ctx, body, years, &mut m);
        }
        Setting::PrimaryCare | Setting::Specialist if adult => match c.role {
            Role::Onset | Role::FollowUp => {
                if WEIGHT_CONDITIONS.contains(&icd) && ctx.rng.chance(0.5) {
                    m = adult_weight(ctx, body, months, false);
                }
                if BP_CONDITIONS.contains(&icd) && ctx.rng.chance(0.75) {
                    vitals(ctx, body, years, &mut m);
                }
            }
            _ if ctx.rng.chance(0.12) => vitals(ctx, body, years, &mut m),
            _ => {}
        },
        Setting::PrimaryCare if c.role == Role::Acute && ctx.rng.chance(0.2) => {
            // A sick child is weighed before medicines are dosed.
            m = growth(ctx, body, months, true);
            m.truncate(1);
        }
        Setting::Emergency if adult && ctx.rng.chance(0.3) => vitals(ctx, body, years, &mut m),
        Setting::Inpatient if adult => {
            if ctx.rng.chance(0.5) {
                m = adult_weight(ctx, body, months, false);
            }
            if ctx.rng.chance(0.8) {
                vitals(ctx, body, years, &mut m);
            }
        }
        Setting::HomeCare => {
            if ctx.rng.chance(0.1) {
                m = adult_weight(ctx, body, months, false);
            }
            if ctx.rng.chance(0.25) {
                vitals(ctx, body, years, &mut m);
            }
        }
        _ => {}
    }
    m
}

/// A stable UUID (v4 form, upper case as in Inera's example) naming a source system's
/// observation ids.
fn id_root(source_system: &str) -> String {
    let mut r = Rng::derive(0, source_system);
    let (a, b) = (r.next_u64(), r.next_u64());
    format!(
        "{:08X}-{:04X}-4{:03X}-{:X}{:03X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        8 + (b >> 62),
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

fn group(ctx: &mut Ctx<'_>, c: &Contact<'_>, measures: Vec<Measure>) -> ObservationGroup {
    let last = ctx.today.and_hms_opt(23, 59, 0).unwrap_or(c.start);
    let cap = |t: NaiveDateTime| t.min(last).max(c.start);
    let time = cap(c.start + Duration::minutes(ctx.rng.range(5, 25)));
    let registered = cap(time + Duration::minutes(ctx.rng.range(1, 30)));
    let signed = cap(registered + Duration::minutes(ctx.rng.range(0, 120)));
    let (hsa_id, name) = ctx.staff(c.place);
    let approved = !ctx.rng.chance(0.08);
    let site = c.place.site;
    // About 1 % lack the care unit (never shown to clinicians: the rule must be exercised).
    let care_unit = (!ctx.rng.chance(0.01)).then(|| CareUnit {
        id: Ii::hsa(&c.place.unit.hsa_id),
        name: Some(c.place.unit.name.clone()),
        care_giver: CareGiver {
            id: Ii::hsa(&site.care_giver_hsa_id),
            name: Some(site.care_giver_name.clone()),
        },
    });
    let root = id_root(&site.source_system);
    let ts = Ctx::ts(time);
    let infant = matches!(c.setting, Setting::ChildHealth)
        && (c.start.date() - ctx.patient.birth_date).num_days() < 365;
    let described = infant && ctx.rng.chance(0.3);
    let observations = measures
        .into_iter()
        .enumerate()
        .map(|(i, (code, pq))| Observation {
            id: Ii {
                root: root.clone(),
                extension: ctx.document_id(),
            },
            type_: Code::snomed(code, ""),
            status: None,
            time: PartialPeriod::at(&ts),
            method: None,
            value: Some(ObservationValue::Pq(pq)),
            target_site: None,
            value_negation: false,
            description: (described && i == 0).then(|| "Vägd utan kläder".to_owned()),
            approved_for_patient: approved,
            registration_time: Some(Ctx::ts(registered)),
        })
        .collect();
    let patient = ctx.patient;
    ObservationGroup {
        patient: ObservationPatient {
            id: patient.person_id(),
            name: Some(patient.name()),
            date_of_birth: Ctx::date(patient.birth_date),
            gender: Some(if patient.female {
                Code::new("2", KV_KON, "Kvinna")
            } else {
                Code::new("1", KV_KON, "Man")
            }),
        },
        performer: PerformerRole {
            id: Some(Ii::hsa(&hsa_id)),
            code: Code::new("ASSIGNED", HL7_ROLE_CLASS, "Tilldelad"),
            person: Some(Person {
                id: Some(Ii::hsa(&hsa_id)),
                name: Some(name.clone()),
            }),
            care_unit,
        },
        legal_authenticator: Some(Authenticator {
            id: Some(Ii::hsa(&hsa_id)),
            time: PartialTime::full(&Ctx::ts(signed)),
            name: Some(name),
        }),
        source_system: Ii::hsa(&site.source_system),
        observations,
    }
}

/// Generates the patient's observations.
pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let story = care_contact::story(env);
    let body = Body::new(env);
    let mut ctx = env.ctx(LABEL);
    let mut groups = Vec::new();
    for c in &story.contacts {
        if !matches!(
            c.status,
            CareContactStatus::Avslutad | CareContactStatus::Pagaende
        ) || matches!(c.setting, Setting::Phone | Setting::Video)
        {
            continue;
        }
        let m = measures(&mut ctx, &body, c);
        if !m.is_empty() {
            groups.push(group(&mut ctx, c, m));
        }
    }
    sink.put::<GetObservationsV1>(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::generated;
    use npo_riv::Contract;
    use npo_riv::contracts::observations_v1::OBSERVATION_TYPES;
    use std::collections::HashMap;

    fn value(o: &Observation) -> f64 {
        match &o.value {
            Some(ObservationValue::Pq(p)) => p.number(),
            _ => f64::NAN,
        }
    }

    #[test]
    fn reference_tables_are_plausible() {
        assert!((median_weight(false, 0.0) - 3.5).abs() < 0.2);
        assert!((median_height(true, 0.0) - 50.0).abs() < 1.5);
        assert!((median_height(false, 216.0) - 180.0).abs() < 1.0);
        for sex in [false, true] {
            for w in AGES.windows(2) {
                assert!(median_height(sex, w[1]) > median_height(sex, w[0]));
                assert!(median_weight(sex, w[1]) > median_weight(sex, w[0]));
            }
            assert!(median_head(sex, 6.0) > median_head(sex, 0.0));
        }
        // Interpolation between table ages.
        let h = median_height(false, 5.0);
        assert!(h > 64.0 && h < 68.0);
    }

    #[test]
    fn growth_curves_and_adult_measurements() {
        let groups = generated::<GetObservationsV1>(300);
        let pop = crate::population::example();
        assert!(groups.len() > 300, "{} groups", groups.len());
        let known: Vec<&str> = OBSERVATION_TYPES.iter().map(|(c, _, _)| *c).collect();
        // Per child: (age in days, weight, length) in time order.
        let mut curves: HashMap<String, Vec<(i64, f64, f64)>> = HashMap::new();
        let mut blood_pressures = 0;
        for g in &groups {
            assert!(!g.observations.is_empty());
            let born = chrono::NaiveDate::parse_from_str(&g.patient.date_of_birth, "%Y%m%d")
                .expect("date of birth");
            let time = GetObservationsV1::filter_time(g);
            let day = chrono::NaiveDate::parse_from_str(&time[..8], "%Y%m%d").expect("day");
            let age_days = (day - born).num_days();
            let find = |code: &str| g.observations.iter().find(|o| o.type_.code == code);
            for o in &g.observations {
                assert!(known.contains(&o.type_.code.as_str()), "{}", o.type_.code);
                let v = value(o);
                let ok = match o.type_.code.as_str() {
                    WEIGHT => (1.5..250.0).contains(&v),
                    LENGTH => (40.0..215.0).contains(&v),
                    HEAD_CIRCUMFERENCE => (30.0..55.0).contains(&v),
                    BMI => (10.0..60.0).contains(&v),
                    SYSTOLIC => (80.0..230.0).contains(&v),
                    DIASTOLIC => (40.0..135.0).contains(&v),
                    _ => v.is_finite(),
                };
                assert!(ok, "{} = {v}", o.type_.code);
            }
            if let (Some(s), Some(d)) = (find(SYSTOLIC), find(DIASTOLIC)) {
                assert!(value(s) > value(d));
                blood_pressures += 1;
            }
            if let Some(h) = find(HEAD_CIRCUMFERENCE) {
                assert!(age_days < 600, "head measured at {age_days} days");
                assert!(find(WEIGHT).is_some());
                let _ = h;
            }
            if age_days < 18 * 365
                && let (Some(w), Some(l)) = (find(WEIGHT), find(LENGTH))
            {
                curves.entry(g.patient.id.id.clone()).or_default().push((
                    age_days,
                    value(w),
                    value(l),
                ));
            }
        }
        assert!(blood_pressures > 50, "{blood_pressures} blood pressures");
        // Children's curves: roughly 3,5 kg at birth, growing, and keeping their percentile.
        let mut followed = 0;
        for (id, mut curve) in curves {
            curve.sort_by_key(|c| c.0);
            let female = (0..300).find_map(|i| {
                let (p, _) = pop.patient(i);
                (p.id == id).then_some(p.female)
            });
            let Some(female) = female else { continue };
            if curve.len() >= 5 {
                followed += 1;
            }
            for w in curve.windows(2) {
                if w[1].0 - w[0].0 > 20 {
                    assert!(w[1].2 > w[0].2 - 1.0, "{id} shrinks: {curve:?}");
                }
            }
            if let Some(first) = curve.first().filter(|c| c.0 < 20) {
                assert!(
                    (2.3..5.5).contains(&first.1),
                    "{id} weighs {} at birth",
                    first.1
                );
                assert!(
                    (44.0..60.0).contains(&first.2),
                    "{id} is {} cm at birth",
                    first.2
                );
            }
            let ratios: Vec<f64> = curve
                .iter()
                .map(|(d, _, l)| l / median_height(female, *d as f64 / 30.4375))
                .collect();
            let lo = ratios.iter().cloned().fold(f64::MAX, f64::min);
            let hi = ratios.iter().cloned().fold(f64::MIN, f64::max);
            assert!(hi - lo < 0.05, "{id} changes percentile: {ratios:?}");
        }
        assert!(followed >= 10, "{followed} children followed");
        // Every group's unit is one of the contact story's units, and most are approved.
        let approved = groups
            .iter()
            .filter(|g| GetObservationsV1::meta(g).approved_for_patient)
            .count();
        assert!(approved * 10 > groups.len() * 8);
        let view = GetObservationsV1::view(&groups[0]);
        assert!(!view.title.is_empty());
    }
}
