//! Consultation referral outcomes (GetReferralOutcome 3.1): the specialist's answer to a
//! consultation referral, with the referral itself.
//!
//! Referrals go from primary care to the specialist clinics that the patient's conditions call
//! for (`data/referral_consultations.tsv`: atrial fibrillation to cardiology, gonarthrosis to a
//! private orthopaedic clinic, suspected prostate cancer to urology, …), plus everyday
//! consultations by age and sex (skin lesions, hearing loss, inguinal hernia, heavy menstrual
//! bleeding). Region clinics are units of the region's source system (made next to its hospital
//! when the site lacks them); private specialists are the units of private care givers. Most
//! referrals get one final answer (`SS`); about one in six first gets an interim answer (`SR`)
//! with the final one weeks later. The referral author has no care-unit or care-giver ids and
//! nothing is nullified, as the TKB says.

use super::imaging::{
    department, end_of, onset, plus_years, referrer, referrer_place, role, side, text,
};
use super::{Env, Sink};
use crate::code_list;
use crate::codes::Row;
use crate::ctx::{Ctx, Place, Site, SiteKind, Unit};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use npo_riv::contracts::referral_outcome_v3::{
    Act, ActCode, Attested, ClinicalInformation, GetReferralOutcomeV3, KVA, Referral,
    ReferralOutcome, ReferralOutcomeBody, ReferralOutcomeType,
};

code_list!(pub fn consultations() = "referral_consultations.tsv");

/// The engagement-index categorization, also the document-id label.
pub const LABEL: &str = "und-kon-ure";
/// How far back everyday consultations go.
const WINDOW_YEARS: i64 = 15;

/// HSA-id suffix of a region clinic (used when the region's site has no such unit).
fn clinic_code(clinic: &str) -> &'static str {
    match clinic {
        "Medicinkliniken" => "MED1",
        "Ortopedkliniken" => "ORT1",
        "Kirurgkliniken" => "KIR1",
        "Kvinnokliniken" => "KVK1",
        "Hudkliniken" => "HUD1",
        "Öronkliniken" => "ONH1",
        "Neurologiska kliniken" => "NEU1",
        "Onkologiska kliniken" => "ONK1",
        "Urologiska kliniken" => "URO1",
        "Barn- och ungdomskliniken" => "BUK1",
        "Psykiatriska mottagningen" => "PSY1",
        "Geriatriska kliniken" => "GER1",
        _ => "SPC1",
    }
}

/// One referral to answer.
struct Case {
    row: &'static Row,
    condition: Option<&'static Row>,
    day: NaiveDate,
    side: &'static str,
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let mut cases = Vec::new();
    for condition in env.conditions {
        let day0 = onset(env, condition);
        let cancer = condition.col(0).starts_with('C');
        for row in consultations()
            .iter()
            .filter(|r| r.col(0) == condition.col(0))
        {
            let after = if cancer {
                ctx.rng.range(0, 5)
            } else {
                ctx.rng.range(7, 120)
            };
            let day = day0 + Duration::days(after);
            let rate: f64 = row.col(4).parse().unwrap_or(0.0);
            if day > env.today || !fits(&ctx, row, day) || !ctx.rng.chance(rate) {
                continue;
            }
            let side = side(&mut ctx.rng);
            cases.push(Case {
                row,
                condition: Some(condition),
                day,
                side,
            });
        }
    }
    let window_start = env.today - Duration::days(WINDOW_YEARS * 365);
    for row in consultations().iter().filter(|r| r.col(0) == "-") {
        let min: u32 = row.col(5).parse().unwrap_or(0);
        let max: u32 = row.col(6).parse().unwrap_or(120);
        let birth = env.patient.birth_date;
        let from = plus_years(birth, min).max(window_start);
        let to = (plus_years(birth, max.saturating_add(1)) - Duration::days(1)).min(env.today);
        if from > to || !sex_fits(&ctx, row) {
            continue;
        }
        let rate: f64 = row.col(4).parse().unwrap_or(0.0);
        let expected = rate * (to - from).num_days() as f64 / 365.25 / 10.0;
        let n = expected.floor() as u32 + u32::from(ctx.rng.chance(expected.fract()));
        for _ in 0..n {
            let day = ctx.day_between(from, to);
            let side = side(&mut ctx.rng);
            cases.push(Case {
                row,
                condition: None,
                day,
                side,
            });
        }
    }
    cases.sort_by_key(|c| c.day);

    let regions: Vec<&Site> = env
        .sites
        .iter()
        .filter(|s| s.kind == SiteKind::Region && !s.units.is_empty())
        .collect();
    let home = (!regions.is_empty()).then(|| regions[ctx.rng.below(regions.len())]);
    let mut items = Vec::new();
    for case in &cases {
        answer(&mut ctx, home, case, &mut items);
    }
    sink.put::<GetReferralOutcomeV3>(items)
}

fn sex_fits(ctx: &Ctx<'_>, row: &Row) -> bool {
    match row.col(7) {
        "F" => ctx.patient.female,
        "M" => !ctx.patient.female,
        _ => true,
    }
}

fn fits(ctx: &Ctx<'_>, row: &Row, day: NaiveDate) -> bool {
    let age = ctx.age_on(day);
    let min: u32 = row.col(5).parse().unwrap_or(0);
    let max: u32 = row.col(6).parse().unwrap_or(120);
    (min..=max).contains(&age) && sex_fits(ctx, row)
}

/// The answering unit: a private care giver's unit for private specialties (when there is
/// one), else the clinic of the patient's region.
fn answering<'a>(ctx: &mut Ctx<'a>, home: Option<&'a Site>, row: &Row) -> Option<(&'a Site, Unit)> {
    if row.col(3) == "private" {
        let private: Vec<&'a Site> = ctx
            .sites
            .iter()
            .filter(|s| s.kind == SiteKind::Private && !s.units.is_empty())
            .collect();
        if !private.is_empty() {
            let site = private[ctx.rng.below(private.len())];
            let unit = site.units[ctx.rng.below(site.units.len())].clone();
            return Some((site, unit));
        }
    }
    let site = home?;
    let clinic = row.col(2);
    Some((site, department(site, clinic_code(clinic), clinic)))
}

/// The answer(s) to one referral, if given by the reference day.
fn answer<'a>(
    ctx: &mut Ctx<'a>,
    home: Option<&'a Site>,
    case: &Case,
    items: &mut Vec<ReferralOutcome>,
) {
    let Some((site, unit)) = answering(ctx, home, case.row) else {
        return;
    };
    let place = Place { site, unit: &unit };
    let Some(from) = referrer_place(
        &mut ctx.rng,
        ctx.sites,
        &["Vårdcentral", "Hälsocentral"],
        false,
    ) else {
        return;
    };
    if from.unit.hsa_id == unit.hsa_id {
        return;
    }
    let today_end = end_of(ctx.today);
    let sent = ctx.at(case.day);
    let urgent = case.condition.is_some_and(|c| c.col(0).starts_with('C'));
    let wait = if urgent {
        ctx.rng.range(5, 20)
    } else {
        ctx.rng.range(14, 100)
    };
    let interim = !urgent && ctx.rng.chance(0.16);
    let author = referrer(ctx, from, sent);
    let referral = Referral {
        id: format!(
            "REM{}{:06}",
            case.day.format("%Y"),
            ctx.rng.range(1, 999_999)
        ),
        reason: text(case.row.col(8), case.side).unwrap_or_else(|| "Bedömning.".into()),
        time: Some(Ctx::ts(sent)),
        author,
        care_contact_id: None,
    };

    let (code, name) = match case.condition {
        Some(c) => (c.col(0), c.col(1)),
        None => (case.row.col(10), case.row.col(11)),
    };
    let mut visit_day = case.day + Duration::days(wait);
    if interim {
        let visit = ctx.at(visit_day);
        let written = visit + Duration::minutes(ctx.rng.range(30, 240));
        if written > today_end {
            return;
        }
        let body = ReferralOutcomeBody {
            type_code: ReferralOutcomeType::Answer,
            title: case.row.col(1).to_owned(),
            text: "Patienten har bedömts vid nybesök på mottagningen. Kompletterande utredning \
                   pågår, slutsvar följer."
                .into(),
            clinical_information: Vec::new(),
            acts: vec![Act {
                id: None,
                code: None,
                text: "Nybesök".into(),
                time: Some(Ctx::ts(visit)),
            }],
            referral: referral.clone(),
            attested: None,
        };
        items.push(outcome(ctx, place, written, body));
        visit_day += Duration::days(ctx.rng.range(21, 90));
    }
    let visit = ctx.at(visit_day);
    let written = visit + Duration::minutes(ctx.rng.range(30, 24 * 60));
    if written > today_end {
        return;
    }
    let acts = match text(case.row.col(12), case.side) {
        Some(act) => vec![Act {
            id: Some(format!("ACT{:07}", ctx.rng.range(1, 9_999_999))),
            code: match case.row.col(13) {
                "" | "-" => None,
                c => Some(ActCode {
                    code: c.to_owned(),
                    code_system: KVA.to_owned(),
                }),
            },
            text: act,
            time: Some(Ctx::ts(visit)),
        }],
        None => Vec::new(),
    };
    let clinical_information = match (code, name) {
        ("" | "-", _) => Vec::new(),
        (code, name) => vec![ClinicalInformation {
            code: code.to_owned(),
            text: name.to_owned(),
        }],
    };
    let attested_at = written + Duration::hours(ctx.rng.range(4, 240));
    let attested = (attested_at <= today_end && ctx.rng.chance(0.7)).then(|| Attested {
        time: Ctx::ts(attested_at),
        hsa_id: referral.author.hsa_id.clone().unwrap_or_default(),
        name: referral.author.name.clone(),
    });
    let body = ReferralOutcomeBody {
        type_code: ReferralOutcomeType::FinalAnswer,
        title: case.row.col(1).to_owned(),
        text: text(case.row.col(9), case.side).unwrap_or_else(|| "Bedömd.".into()),
        clinical_information,
        acts,
        referral,
        attested: attested.filter(|a| !a.hsa_id.is_empty()),
    };
    items.push(outcome(ctx, place, written, body));
}

fn outcome(
    ctx: &mut Ctx<'_>,
    place: Place<'_>,
    written: NaiveDateTime,
    body: ReferralOutcomeBody,
) -> ReferralOutcome {
    let today_end = end_of(ctx.today);
    let mut header = ctx.header(place, written);
    header.document_title = Some(format!("Remissvar {}", body.title.to_lowercase()));
    // When the answer reached the referrer's system.
    header.document_time = Some(Ctx::ts(
        (written + Duration::minutes(ctx.rng.range(1, 60))).min(today_end),
    ));
    header.accountable.role_code = Some(role("Specialistläkare"));
    if let Some(l) = header.legal_authenticator.as_mut() {
        l.signature_time = Ctx::ts(written);
    }
    ReferralOutcome { header, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;
    use npo_riv::Contract;
    use std::collections::HashMap;

    #[test]
    fn referral_outcomes_are_valid_and_answer_the_conditions() {
        let items = check::generated::<GetReferralOutcomeV3>(300);
        let pop = crate::population::example();
        assert!(items.len() > 60, "only {} referral outcomes", items.len());
        let mut private = 0;
        let mut by_referral: HashMap<&str, Vec<&ReferralOutcome>> = HashMap::new();
        for o in &items {
            let b = &o.body;
            let (patient, conditions) = pop.patient(
                (0..300)
                    .find(|i| pop.patient(*i).0.id == o.header.patient_id.id)
                    .unwrap(),
            );
            // The answer comes after the referral, from another unit.
            assert!(b.referral.time.as_deref() < Some(o.header.accountable.author_time.as_str()));
            let answering = o.header.accountable.care_unit_hsa_id.as_deref();
            let referring = b
                .referral
                .author
                .org_unit
                .as_ref()
                .map(|u| u.hsa_id.as_str());
            assert_ne!(answering, referring);
            assert!(b.referral.author.care_unit_hsa_id.is_none());
            assert!(o.header.nullified.is_none());
            // Clinical information is the patient's condition or an everyday diagnosis.
            for ci in &b.clinical_information {
                let everyday = consultations().iter().any(|r| r.col(10) == ci.code);
                assert!(
                    everyday || conditions.iter().any(|c| c.col(0) == ci.code),
                    "{} not a condition of {}",
                    ci.code,
                    patient.id
                );
            }
            if b.title == "Urologi" || b.title == "Gynekologi" {
                assert_eq!(patient.female, b.title == "Gynekologi");
            }
            let site = pop
                .sites
                .iter()
                .find(|s| s.source_system == o.header.source_system_hsa_id)
                .unwrap();
            assert_ne!(site.kind, SiteKind::Municipality);
            if site.kind == SiteKind::Private {
                private += 1;
            }
            for a in &b.acts {
                if let Some(c) = &a.code {
                    assert_eq!(c.code_system, KVA);
                }
            }
            let v = GetReferralOutcomeV3::view(o);
            assert!(v.title.starts_with("Remissvar "));
            by_referral.entry(&b.referral.id).or_default().push(o);
        }
        assert!(private > 5, "{private} answers from private providers");
        // An interim answer precedes the final one of the same referral.
        let mut interims = 0;
        for answers in by_referral.values() {
            let finals = answers
                .iter()
                .filter(|o| o.body.type_code == ReferralOutcomeType::FinalAnswer)
                .count();
            assert!(finals <= 1);
            if let [first, second] = answers[..] {
                interims += 1;
                assert_eq!(first.body.type_code, ReferralOutcomeType::Answer);
                assert_eq!(second.body.type_code, ReferralOutcomeType::FinalAnswer);
                assert!(
                    first.header.accountable.author_time < second.header.accountable.author_time
                );
            }
        }
        assert!(interims > 0);
    }
}
