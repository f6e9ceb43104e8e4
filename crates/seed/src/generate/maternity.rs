//! Maternity care (GetMaternityMedicalHistory 2.0): women get 0–3 pregnancies between 18 and 45,
//! each with its registration at a midwife clinic (barnmorskemottagning, region or private), the
//! check-ups of the Swedish basic programme, the record at the region's delivery ward
//! (förlossning och BB) and the postnatal check-up. Parity grows: every registration lists the
//! earlier pregnancies (miscarriages too). Measurements follow one story per pregnancy (weight
//! gain, symphysis–fundal height, Hb, blood pressure with a few hypertensive pregnancies and
//! pre-eclampsia, fetal presentation, Apgar), and the mother's conditions give her medication,
//! diseases and whether the standard programme suffices.
//!
//! Pregnancies older than [`RECORD_YEARS`] years have no records of their own (they predate the
//! electronic record) but appear as earlier pregnancies.

use super::{Env, Sink};
use crate::codes::Row;
use crate::ctx::{Ctx, Place, Site, SiteKind};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use npo_riv::common::{Cv, OrgUnit, PatientSummaryHeader};
use npo_riv::contracts::maternity_medical_history_v2::{
    ChildPostDelivery, DeliveryOutcome, FetalPosition, GetMaternityMedicalHistoryV2,
    MaternityMedicalRecord, MaternityMedicalRecordBody, Medication, MotherPostDelivery,
    PostDeliveryRecord, Pq, PregnancyCheckupRecord, PreviousPregnancy, RegistrationRecord, Sex,
    TypeOfLeave,
};

crate::code_list!(pub fn maternity_medications() = "maternity_medications.tsv");
crate::code_list!(pub fn delivery_modes() = "delivery_modes.tsv");

/// Document-id label (the engagement-index categorization).
const LABEL: &str = "utr-mtr";
/// How far back the electronic maternity record reaches.
pub const RECORD_YEARS: i64 = 25;
/// HSA's code system for professions (befattning).
const BEFATTNING_OID: &str = "1.2.752.129.2.2.1.4";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Ended before the registration visit: no records, a line in later histories.
    EarlyMiscarriage,
    /// Ended after the registration visit.
    LateMiscarriage,
    Delivered,
    /// Still pregnant on the reference day.
    Ongoing,
}

struct Child {
    female: bool,
    grams: f64,
}

struct Pregnancy {
    lmp: NaiveDate,
    /// Delivery or miscarriage day (expected day of delivery when ongoing).
    end: NaiveDate,
    outcome: Outcome,
    /// Completed weeks at the end.
    weeks: i32,
    children: Vec<Child>,
    mode: &'static Row,
    ivf: bool,
    hypertension_from: Option<i32>,
    preeclampsia: bool,
    facility: String,
}

impl Pregnancy {
    fn caesarean(&self) -> bool {
        self.mode.col(2) == "1"
    }
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    if !env.patient.female {
        return Ok(());
    }
    let mut ctx = env.ctx(LABEL);
    let pregnancies = story(&mut ctx);
    if pregnancies.is_empty() {
        return Ok(());
    }
    let mut g = Gen::new(ctx);
    let mut items = Vec::new();
    for (i, p) in pregnancies.iter().enumerate() {
        g.pregnancy(p, &pregnancies[..i], &mut items);
    }
    if items.is_empty() {
        return Ok(());
    }
    sink.put::<GetMaternityMedicalHistoryV2>(items)
}

fn add_years(d: NaiveDate, years: f64) -> NaiveDate {
    d + Duration::days((years * 365.25) as i64)
}

/// The woman's pregnancies, oldest first.
fn story(ctx: &mut Ctx<'_>) -> Vec<Pregnancy> {
    let birth = ctx.patient.birth_date;
    let today = ctx.today;
    let wanted = match ctx.rng.below(20) {
        0..=2 => 0,
        3..=6 => 1,
        7..=14 => 2,
        _ => 3,
    };
    if wanted == 0 || add_years(birth, 18.0) > today {
        return Vec::new();
    }
    let hypertensive = has(ctx, "I10");
    let facility = delivery_place(ctx)
        .map_or_else(|| "Förlossningsavdelningen".to_owned(), |(_, org)| org.name);
    let mut out: Vec<Pregnancy> = Vec::new();
    let mut t = add_years(birth, ctx.rng.normal(28.5, 4.5).clamp(18.0, 41.0));
    while out.len() < wanted {
        if t > today - Duration::weeks(7) || ctx.age_on(t) > 44 {
            break;
        }
        let lmp = t;
        let r = ctx.rng.unit();
        let (mut outcome, days) = if r < 0.10 {
            (Outcome::EarlyMiscarriage, ctx.rng.range(42, 60))
        } else if r < 0.14 {
            (Outcome::LateMiscarriage, ctx.rng.range(77, 100))
        } else {
            let weeks = ctx.rng.normal(39.6, 1.3).clamp(33.0, 42.0) as i64;
            (Outcome::Delivered, weeks * 7 + ctx.rng.range(0, 6))
        };
        let mut end = lmp + Duration::days(days);
        if end > today {
            outcome = Outcome::Ongoing;
            end = lmp + Duration::days(280);
        }
        let twins = outcome != Outcome::EarlyMiscarriage && ctx.rng.chance(0.015);
        let weeks = ((end - lmp).num_days() / 7) as i32;
        let children = if matches!(outcome, Outcome::Delivered | Outcome::Ongoing) {
            (0..if twins { 2 } else { 1 })
                .map(|_| {
                    let mean = 3500.0 + f64::from(weeks - 40) * 180.0;
                    let grams = ctx.rng.normal(mean, 430.0) * if twins { 0.8 } else { 1.0 };
                    Child {
                        female: ctx.rng.chance(0.49),
                        grams: (grams / 5.0).round().clamp(300.0, 1040.0) * 5.0,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let mode = pick_weighted(ctx, delivery_modes());
        let hypertension_from = (ctx.rng.chance(if hypertensive { 0.6 } else { 0.06 }))
            .then(|| ctx.rng.range(30, 38) as i32);
        let preeclampsia = hypertension_from.is_some() && ctx.rng.chance(0.35);
        out.push(Pregnancy {
            lmp,
            end,
            outcome,
            weeks,
            children,
            mode,
            ivf: ctx.rng.chance(0.04),
            hypertension_from,
            preeclampsia,
            facility: facility.clone(),
        });
        t = end + Duration::days(ctx.rng.range(60, 1400));
    }
    out
}

fn has(ctx: &Ctx<'_>, icd10: &str) -> bool {
    ctx.conditions.iter().any(|c| c.col(0) == icd10)
}

fn pick_weighted(ctx: &mut Ctx<'_>, rows: &'static [Row]) -> &'static Row {
    let total: f64 = rows.iter().map(|r| r.col(1).parse().unwrap_or(1.0)).sum();
    let mut x = ctx.rng.unit() * total;
    for r in rows {
        x -= r.col(1).parse().unwrap_or(1.0);
        if x < 0.0 {
            return r;
        }
    }
    &rows[rows.len() - 1]
}

/// A midwife clinic: a region or private unit (a primary-care unit where there is one) and its
/// barnmorskemottagning.
fn mvc_place<'a>(ctx: &mut Ctx<'a>) -> Option<(Place<'a>, OrgUnit)> {
    let sites: &'a [Site] = ctx.sites;
    let candidates: Vec<&'a Site> = sites
        .iter()
        .filter(|s| matches!(s.kind, SiteKind::Region | SiteKind::Private) && !s.units.is_empty())
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let regions: Vec<&'a Site> = candidates
        .iter()
        .copied()
        .filter(|s| s.kind == SiteKind::Region)
        .collect();
    let site = if !regions.is_empty() && ctx.rng.chance(0.75) {
        regions[ctx.rng.below(regions.len())]
    } else {
        candidates[ctx.rng.below(candidates.len())]
    };
    let primary: Vec<_> = site
        .units
        .iter()
        .filter(|u| u.name.to_lowercase().contains("vårdcentral"))
        .collect();
    let unit = if primary.is_empty() {
        &site.units[ctx.rng.below(site.units.len())]
    } else {
        primary[ctx.rng.below(primary.len())]
    };
    let name = match unit.name.strip_prefix("Vårdcentralen ") {
        Some(place) => format!("Barnmorskemottagningen {place}"),
        None => format!("Barnmorskemottagningen, {}", unit.name),
    };
    Some((Place { site, unit }, sub_unit(&unit.hsa_id, "BMM", name)))
}

/// The delivery ward: a region hospital unit (hospital units where there are some).
fn delivery_place<'a>(ctx: &mut Ctx<'a>) -> Option<(Place<'a>, OrgUnit)> {
    let sites: &'a [Site] = ctx.sites;
    let regions: Vec<&'a Site> = sites
        .iter()
        .filter(|s| s.kind == SiteKind::Region && !s.units.is_empty())
        .collect();
    if regions.is_empty() {
        return None;
    }
    let site = regions[ctx.rng.below(regions.len())];
    let hospital: Vec<_> = site
        .units
        .iter()
        .filter(|u| u.name.to_lowercase().contains("sjukhus"))
        .collect();
    let unit = if hospital.is_empty() {
        &site.units[ctx.rng.below(site.units.len())]
    } else {
        hospital[ctx.rng.below(hospital.len())]
    };
    let where_ = unit.name.rsplit(", ").next().unwrap_or(&unit.name);
    let name = format!("Förlossning och BB, {where_}");
    Some((Place { site, unit }, sub_unit(&unit.hsa_id, "FBB", name)))
}

/// A sub-unit (organisational unit below the care unit) with a derived HSA-id.
fn sub_unit(care_unit: &str, suffix: &str, name: String) -> OrgUnit {
    let hsa_id = if care_unit.len() + suffix.len() <= 31 {
        format!("{care_unit}{suffix}")
    } else {
        care_unit.to_owned()
    };
    OrgUnit {
        hsa_id,
        name,
        telecom: None,
        email: None,
        address: None,
        location: None,
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The generator of one woman's records.
struct Gen<'a> {
    ctx: Ctx<'a>,
    today_end: String,
    /// Height (cm) and body-mass index before her first pregnancy.
    height: f64,
    bmi: f64,
    hb_base: f64,
}

struct Visit<'a> {
    place: Place<'a>,
    org: OrgUnit,
}

impl<'a> Gen<'a> {
    fn new(mut ctx: Ctx<'a>) -> Self {
        let height = ctx.rng.normal(166.0, 6.5).clamp(148.0, 190.0).round();
        let bmi = ctx.rng.normal(24.5, 4.5).clamp(17.5, 45.0);
        let anaemic = has(&ctx, "D50.9");
        let hb_base = ctx.rng.normal(if anaemic { 108.0 } else { 124.0 }, 7.0);
        let today_end = format!("{}235959", Ctx::date(ctx.today));
        Gen {
            ctx,
            today_end,
            height,
            bmi,
            hb_base,
        }
    }

    fn pregnancy(
        &mut self,
        p: &Pregnancy,
        earlier: &[Pregnancy],
        items: &mut Vec<MaternityMedicalRecord>,
    ) {
        let today = self.ctx.today;
        if p.outcome == Outcome::EarlyMiscarriage
            || p.lmp < today - Duration::days(RECORD_YEARS * 365)
        {
            return;
        }
        let reg_day = p.lmp + Duration::days(self.ctx.rng.range(8 * 7, 11 * 7 + 6));
        if reg_day > today || reg_day >= p.end {
            return;
        }
        let Some((place, org)) = mvc_place(&mut self.ctx) else {
            return;
        };
        let mvc = Visit { place, org };
        // Weight before this pregnancy: a little more with every child.
        let bmi0 = self.bmi + 0.6 * earlier.len() as f64;
        let weight0 = bmi0 * (self.height / 100.0).powi(2);
        let gain_rate = self.ctx.rng.normal(0.45, 0.1).clamp(0.2, 0.8);

        // Registration.
        let reg = self.registration(p, earlier, reg_day, bmi0, weight0);
        let time = self.ctx.at(reg_day);
        items.push(self.record(&mvc, time, "Inskrivningssamtal", body_reg(reg)));
        if p.outcome == Outcome::LateMiscarriage {
            return;
        }

        // Check-ups of the basic programme, up to the delivery.
        let weeks: &[i32] = if earlier.iter().any(|e| e.outcome == Outcome::Delivered) {
            &[25, 29, 33, 36, 38, 40, 41]
        } else {
            &[25, 28, 31, 33, 35, 37, 39, 41]
        };
        let mut iron = false;
        let sick_from = self
            .ctx
            .rng
            .chance(0.08)
            .then(|| self.ctx.rng.range(20, 34) as i32);
        let pregnancy_leave_from = self
            .ctx
            .rng
            .chance(0.04)
            .then(|| self.ctx.rng.range(30, 36) as i32);
        let parental_leave = self.ctx.rng.chance(0.15);
        for &w in weeks {
            let day = p.lmp + Duration::days(i64::from(w) * 7 + self.ctx.rng.range(0, 4));
            if day >= p.end || day > today {
                break;
            }
            let mut c = PregnancyCheckupRecord {
                complete_weeks_of_gestation: Some(w),
                weight: Some(Pq::new(
                    round1(
                        weight0
                            + f64::from((w - 13).max(0)) * gain_rate
                            + self.ctx.rng.normal(0.0, 0.4),
                    ),
                    "kg",
                )),
                symphysis_fundal_height: Some(Pq::new(
                    (f64::from(w) - 1.0 + self.ctx.rng.normal(0.0, 1.5)).round(),
                    "cm",
                )),
                ..Default::default()
            };
            if matches!(w, 25 | 28 | 29 | 35 | 36) || self.ctx.rng.chance(0.15) {
                let hb = (self.hb_base - if w >= 28 { 6.0 } else { 2.0 }
                    + self.ctx.rng.normal(0.0, 4.0))
                .round();
                c.haemoglobin = Some(Pq::new(hb, "g/L"));
                if hb < 110.0 {
                    iron = true;
                }
            }
            let raised = p.hypertension_from.is_some_and(|from| w >= from);
            let (sys, dia) = (
                self.ctx.rng.normal(112.0, 8.0) + if raised { 30.0 } else { 0.0 },
                self.ctx.rng.normal(70.0, 6.0) + if raised { 20.0 } else { 0.0 },
            );
            c.blood_pressure_systolic = Some(Pq::new(sys.round(), "mm[Hg]"));
            c.blood_pressure_diastolic = Some(Pq::new(dia.round(), "mm[Hg]"));
            let protein = if raised && p.preeclampsia {
                self.ctx.rng.range(2, 3)
            } else {
                i64::from(self.ctx.rng.chance(0.05))
            };
            c.proteinuria = Some(Pq::new(protein as f64, "1"));
            c.glycosuria = Some(Pq::new(f64::from(u8::from(self.ctx.rng.chance(0.04))), "1"));
            for _ in 0..p.children.len() {
                c.fetal_heart_rate
                    .push(Pq::new(self.ctx.rng.normal(140.0, 8.0).round(), "/min"));
                if w >= 32 {
                    let cephalic = if w >= 36 { 0.96 } else { 0.85 };
                    let pos = if self.ctx.rng.chance(cephalic) {
                        FetalPosition::Cephalic
                    } else if self.ctx.rng.chance(0.85) {
                        FetalPosition::Breech
                    } else {
                        FetalPosition::Transverse
                    };
                    c.fetal_presentation.push(pos);
                    if w >= 36 {
                        c.fetal_position.push(pos);
                    }
                }
            }
            if sick_from.is_some_and(|f| w >= f) {
                c.type_of_leave.push(TypeOfLeave::SickLeave);
            }
            if pregnancy_leave_from.is_some_and(|f| w >= f) {
                c.type_of_leave.push(TypeOfLeave::PregnancyLeave);
            }
            if parental_leave && w >= 39 {
                c.type_of_leave.push(TypeOfLeave::ParentalLeave);
            }
            if iron {
                c.medication_since_registration.push(Medication {
                    medicament: "Duroferon 100 mg depottablett".into(),
                    dosage: Some("1 tablett dagligen".into()),
                });
            }
            let time = self.ctx.at(day);
            items.push(self.record(&mvc, time, "Graviditetskontroll", body_checkup(c)));
        }
        if p.outcome != Outcome::Delivered {
            return;
        }

        // The delivery ward, on the day of discharge.
        if let Some((place, org)) = delivery_place(&mut self.ctx) {
            let ward = Visit { place, org };
            let stay = if p.caesarean() { 3 } else { 1 } + self.ctx.rng.range(0, 1);
            let day = p.end + Duration::days(stay);
            if day <= today {
                let record = self.after_delivery(p);
                let time = self.ctx.at(day);
                items.push(self.record(&ward, time, "Utskrivning BB", body_post(record)));
            }
        }
        // The postnatal check-up at the midwife clinic.
        let day = p.end + Duration::days(self.ctx.rng.range(6 * 7, 12 * 7));
        if day <= today {
            let record = self.postnatal(p);
            let time = self.ctx.at(day);
            items.push(self.record(&mvc, time, "Efterkontroll", body_post(record)));
        }
    }

    fn registration(
        &mut self,
        p: &Pregnancy,
        earlier: &[Pregnancy],
        day: NaiveDate,
        bmi0: f64,
        weight0: f64,
    ) -> RegistrationRecord {
        let edd = p.lmp + Duration::days(280);
        let diabetes = has(&self.ctx, "E10.9") || has(&self.ctx, "E11.9");
        let thrombosis = self.ctx.rng.chance(0.01);
        let epilepsy = has(&self.ctx, "G40.9");
        let age = self.ctx.age_on(day);
        let mut medication: Vec<Medication> = maternity_medications()
            .iter()
            .filter(|m| m.col(0) != "-" && has(&self.ctx, m.col(0)))
            .map(|m| Medication {
                medicament: m.col(1).into(),
                dosage: Some(m.col(2).into()).filter(|d: &String| !d.is_empty()),
            })
            .collect();
        if self.ctx.rng.chance(0.6)
            && let Some(f) = maternity_medications().iter().find(|m| m.col(0) == "-")
        {
            medication.insert(
                0,
                Medication {
                    medicament: f.col(1).into(),
                    dosage: Some(f.col(2).into()),
                },
            );
        }
        let ultrasound = self.ctx.rng.chance(0.4);
        let edd_ul = edd + Duration::days(self.ctx.rng.normal(0.0, 3.0).round() as i64);
        RegistrationRecord {
            last_menstrual_period: (!p.ivf || self.ctx.rng.chance(0.5)).then(|| Ctx::date(p.lmp)),
            indication_pregnancy: self
                .ctx
                .rng
                .chance(0.8)
                .then(|| Ctx::date((p.lmp + Duration::days(self.ctx.rng.range(28, 42))).min(day))),
            contraceptive_discontinued: (!p.ivf && self.ctx.rng.chance(0.5))
                .then(|| Ctx::date(p.lmp - Duration::days(self.ctx.rng.range(30, 720)))),
            edd_from_last_menstrual_period: Some(Ctx::date(edd)),
            edd_from_ultrasound: ultrasound.then(|| Ctx::date(edd_ul)),
            edd_from_embryo_transfer: p.ivf.then(|| Ctx::date(edd)),
            length: Some(Pq::new(self.height, "cm")),
            weight: Some(Pq::new(
                round1(weight0 + self.ctx.rng.normal(1.0, 0.8)),
                "kg",
            )),
            body_mass_index: Some(Pq::new(round1(bmi0), "kg/m2")),
            infertility_years: p.ivf.then(|| self.ctx.rng.range(2, 10) as f64 / 2.0),
            previous_pregnancies: earlier.iter().map(history).collect(),
            thrombosis: Some(thrombosis),
            endocrine_disease: Some(has(&self.ctx, "E03.9") || diabetes),
            recurrent_urinary_tract_infections: Some(
                has(&self.ctx, "N39.0") && self.ctx.rng.chance(0.5),
            ),
            diabetes_mellitus: Some(diabetes),
            medication,
            standard_care: Some(!(diabetes || thrombosis || epilepsy || bmi0 >= 35.0 || age >= 40)),
        }
    }

    fn after_delivery(&mut self, p: &Pregnancy) -> PostDeliveryRecord {
        let rng = &mut self.ctx.rng;
        let caesarean = p.caesarean();
        let fever = rng.chance(0.03);
        let mother = MotherPostDelivery {
            blood_pressure_systolic: Some(Pq::new(rng.normal(118.0, 9.0).round(), "mm[Hg]")),
            blood_pressure_diastolic: Some(Pq::new(rng.normal(74.0, 7.0).round(), "mm[Hg]")),
            haemoglobin: Some(Pq::new(
                (self.hb_base - 8.0 - if caesarean { 10.0 } else { 0.0 } + rng.normal(0.0, 8.0))
                    .round(),
                "g/L",
            )),
            body_temperature: Some(round1(if fever {
                rng.normal(38.4, 0.3).max(38.0)
            } else {
                rng.normal(36.9, 0.25).min(37.7)
            })),
            scars_ok: caesarean.then_some(true),
            suture_removed: None,
            perineum_comfortable: (!caesarean).then(|| rng.chance(0.85)),
            vulva_vagina_portio_ok: None,
            uterus_contracted: Some(rng.chance(0.97)),
            uterus_note: rng
                .chance(0.3)
                .then(|| "Fundus 2 cm under naveln, fast".to_owned()),
            breastfeeding: Some(rng.chance(0.95)),
        };
        let children = p
            .children
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let low = rng.chance(0.03);
                let a1 = if low {
                    rng.range(3, 6)
                } else {
                    rng.range(7, 9)
                } as i32;
                let a5 = (a1 + rng.range(1, 3) as i32).min(10);
                let a10 = if a5 < 7 { rng.range(7, 9) as i32 } else { 10 };
                ChildPostDelivery {
                    ordinal_number: i as i32 + 1,
                    weight: Some(Pq::new(c.grams, "g")),
                    apgar_1: Some(a1),
                    apgar_5: Some(a5),
                    apgar_10: Some(a10),
                }
            })
            .collect();
        PostDeliveryRecord { mother, children }
    }

    fn postnatal(&mut self, p: &Pregnancy) -> PostDeliveryRecord {
        let rng = &mut self.ctx.rng;
        let caesarean = p.caesarean();
        let mother = MotherPostDelivery {
            blood_pressure_systolic: Some(Pq::new(rng.normal(116.0, 9.0).round(), "mm[Hg]")),
            blood_pressure_diastolic: Some(Pq::new(rng.normal(73.0, 7.0).round(), "mm[Hg]")),
            haemoglobin: rng
                .chance(0.5)
                .then(|| Pq::new((self.hb_base + rng.normal(0.0, 5.0)).round(), "g/L")),
            body_temperature: None,
            scars_ok: caesarean.then(|| rng.chance(0.97)),
            suture_removed: Some(true),
            perineum_comfortable: Some(rng.chance(0.9)),
            vulva_vagina_portio_ok: Some(rng.chance(0.95)),
            uterus_contracted: Some(true),
            uterus_note: None,
            breastfeeding: Some(rng.chance(0.8)),
        };
        let children = (1..=p.children.len() as i32)
            .map(|ordinal_number| ChildPostDelivery {
                ordinal_number,
                weight: None,
                apgar_1: None,
                apgar_5: None,
                apgar_10: None,
            })
            .collect();
        PostDeliveryRecord { mother, children }
    }

    /// A record made at `visit` at `time`, documented by a midwife.
    fn record(
        &mut self,
        visit: &Visit<'a>,
        time: NaiveDateTime,
        title: &str,
        body: MaternityMedicalRecordBody,
    ) -> MaternityMedicalRecord {
        MaternityMedicalRecord {
            header: self.header(visit, time, title),
            body,
        }
    }

    fn header(
        &mut self,
        visit: &Visit<'a>,
        time: NaiveDateTime,
        title: &str,
    ) -> PatientSummaryHeader {
        let mut h = self.ctx.header(visit.place, time);
        h.document_title = Some(title.to_owned());
        // Midwives are nearly all women: prefer a member of staff with a woman's name.
        let (hsa_id, name) = self.midwife(visit.place);
        if let Some(l) = &mut h.legal_authenticator {
            l.hsa_id = Some(hsa_id.clone());
        }
        h.accountable.hsa_id = Some(hsa_id);
        h.accountable.name = Some(name);
        // This domain requires the care unit and care giver of the author.
        let a = &mut h.accountable;
        a.care_unit_hsa_id = Some(visit.place.unit.hsa_id.clone());
        a.care_giver_hsa_id = Some(visit.place.site.care_giver_hsa_id.clone());
        a.org_unit = Some(visit.org.clone());
        a.role_code = Some(Cv::coded("BM", BEFATTNING_OID, "Barnmorska"));
        h.legal_authenticator = h.legal_authenticator.take().and_then(|mut l| {
            l.name = None;
            (l.signature_time <= self.today_end).then_some(l)
        });
        if self.ctx.rng.chance(0.01) {
            h.nullified = Some(true);
            h.nullified_reason = Some("Felregistrerad, ersatt av ny anteckning".into());
        }
        h
    }
}

impl Gen<'_> {
    fn midwife(&mut self, place: Place<'_>) -> (String, String) {
        let mut staff = self.ctx.staff(place);
        for _ in 0..6 {
            let given = staff.1.split(' ').next().unwrap_or("");
            if crate::codes::given_names_female()
                .iter()
                .any(|r| r.col(0) == given)
            {
                break;
            }
            staff = self.ctx.staff(place);
        }
        staff
    }
}

fn body_reg(r: RegistrationRecord) -> MaternityMedicalRecordBody {
    MaternityMedicalRecordBody {
        registration: Some(r),
        ..Default::default()
    }
}

fn body_checkup(c: PregnancyCheckupRecord) -> MaternityMedicalRecordBody {
    MaternityMedicalRecordBody {
        checkup: Some(c),
        ..Default::default()
    }
}

fn body_post(p: PostDeliveryRecord) -> MaternityMedicalRecordBody {
    MaternityMedicalRecordBody {
        post_delivery: Some(p),
        ..Default::default()
    }
}

/// An earlier pregnancy as the registration lists it.
fn history(p: &Pregnancy) -> PreviousPregnancy {
    let delivered = matches!(p.outcome, Outcome::Delivered);
    let first = p.children.first().filter(|_| delivered);
    PreviousPregnancy {
        year: p.end.year(),
        month: p.end.month() as i32,
        delivery: Some(if delivered {
            DeliveryOutcome::LiveBorn
        } else {
            DeliveryOutcome::Miscarriage
        }),
        healthcare_facility: delivered.then(|| p.facility.clone()),
        progress: delivered.then(|| {
            let mut s = p.mode.col(0).to_owned();
            if p.children.len() > 1 {
                s.push_str(", tvillingar");
            }
            s
        }),
        sex: first.map(|c| if c.female { Sex::Female } else { Sex::Male }),
        weight_of_child: first.map(|c| Pq::new(c.grams, "g")),
        gestation_weeks: Some(p.weeks),
    }
}

#[cfg(test)]
mod tests {
    use crate::check;
    use crate::population;
    use npo_riv::Contract;
    use npo_riv::contracts::maternity_medical_history_v2::{
        GetMaternityMedicalHistoryV2 as C, MaternityMedicalRecord,
    };
    use std::collections::BTreeMap;

    #[test]
    fn pregnancies_are_coherent_and_valid() {
        let records = check::generated::<C>(300);
        let pop = population::example();
        let mut by_patient: BTreeMap<String, Vec<&MaternityMedicalRecord>> = BTreeMap::new();
        for r in &records {
            by_patient
                .entry(r.header.patient_id.id.clone())
                .or_default()
                .push(r);
        }
        // Only women, and a fair share of the women of childbearing age and older.
        let mut women = 0;
        let mut mothers = 0;
        for i in 0..300 {
            let (p, _) = pop.patient(i);
            let age = p.age_on(pop.today);
            if !p.female {
                assert!(!by_patient.contains_key(&p.id), "records of a man");
                continue;
            }
            if (25..=60).contains(&age) {
                women += 1;
                if by_patient.contains_key(&p.id) {
                    mothers += 1;
                }
            }
            if age < 18 {
                assert!(!by_patient.contains_key(&p.id), "records of a girl");
            }
        }
        assert!(women > 20, "{women}");
        assert!(mothers * 2 > women, "{mothers} of {women}");

        let (mut regs, mut checkups, mut wards, mut attention) = (0, 0, 0, 0);
        for list in by_patient.values() {
            let mut list = list.clone();
            list.sort_by(|a, b| C::filter_time(a).cmp(C::filter_time(b)));
            // Parity grows: each registration lists more earlier pregnancies.
            let mut last = None;
            for r in &list {
                let m = C::meta(r);
                assert!(m.care_unit.is_some() && m.care_giver.is_some());
                if let Some(reg) = &r.body.registration {
                    regs += 1;
                    let n = reg.previous_pregnancies.len();
                    if let Some(prev) = last {
                        assert!(n > prev, "parity does not grow");
                    }
                    last = Some(n);
                    assert!(reg.edd_from_last_menstrual_period.is_some());
                    let bmi = reg.body_mass_index.as_ref().unwrap().value;
                    assert!((17.0..=50.0).contains(&bmi));
                }
                if let Some(c) = &r.body.checkup {
                    checkups += 1;
                    let w = c.complete_weeks_of_gestation.unwrap();
                    assert!((25..=41).contains(&w));
                    assert!(!c.fetal_heart_rate.is_empty());
                }
                if let Some(p) = &r.body.post_delivery {
                    assert!(!p.children.is_empty());
                    for c in &p.children {
                        if let Some(w) = &c.weight {
                            wards += 1;
                            assert!((1500.0..=5200.0).contains(&w.value), "{}", w.value);
                            assert!(c.apgar_5.unwrap() <= 10);
                        }
                    }
                }
                if C::view(r).attention {
                    attention += 1;
                }
            }
        }
        assert!(
            regs > 20 && checkups > regs * 3 && wards > regs / 3,
            "{regs} {checkups} {wards}"
        );
        // Some findings call for attention, most do not.
        assert!(
            attention > 0 && attention * 5 < records.len(),
            "{attention}"
        );
    }
}
