//! Alert information (GetAlertInformation 2.0, `upp`): hypersensitivity to drugs (ATC) and other
//! agents, serious diseases and treatments that follow the patient's conditions, and rare
//! communicable diseases, restrictions of care (old or very ill patients) and historical
//! unstructured warnings. Some alerts are later made obsolete.
//!
//! Codes: typeOfAlertInformation from KV Informationstyp (1.2.752.129.2.2.2.1), degree of
//! severity KV Allvarlighetsgrad (1.2.752.129.2.2.3.3), certainty KV Visshetsgrad
//! (1.2.752.129.2.2.3.11), substances ATC (1.2.752.129.2.2.3.1.1), diseases ICD-10-SE
//! (1.2.752.116.1.1.1.1.3). The contract description marks documentTitle, documentTime and
//! nullified as not used, so they are left out.

use super::{Env, Sink};
use crate::codes::Row;
use crate::ctx::{Ctx, Place, SiteKind};
use chrono::{Duration, Months, NaiveDate};
use npo_riv::common::Cv;
use npo_riv::contracts::alert_information_v2::{
    ATC, AlertInformation, AlertInformationBody, CERTAINTIES, CommunicableDisease,
    GetAlertInformationV2, Hypersensitivity, ICD10_SE, KV_ALLVARLIGHETSGRAD, KV_INFORMATIONSTYP,
    KV_VISSHETSGRAD, OtherHypersensitivity, PharmaceuticalHypersensitivity, SEVERITIES, TimePeriod,
    Treatment, UnstructuredAlert,
};

crate::code_list!(pub fn hypersensitivities() = "alert_hypersensitivity.tsv");
crate::code_list!(pub fn reactions() = "alert_reactions.tsv");
crate::code_list!(pub fn serious_diseases() = "alert_serious_diseases.tsv");
crate::code_list!(pub fn treatments() = "alert_treatments.tsv");
crate::code_list!(pub fn communicable_diseases() = "alert_communicable.tsv");

/// The label of this information type (document ids, random stream).
const LABEL: &str = "upp";

/// Alerts older than this were registered when the record system came, at a later visit.
const RECORDS_FROM: NaiveDate = match NaiveDate::from_ymd_opt(1998, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

const HOSPITAL_OR_PRIMARY: &[SiteKind] = &[SiteKind::Region, SiteKind::Private];

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let mut items = Vec::new();
    let age = ctx.age_on(ctx.today);

    hypersensitivity(&mut ctx, age, &mut items);
    serious_disease(&mut ctx, age, &mut items);
    treatment(&mut ctx, age, &mut items);
    communicable(&mut ctx, age, &mut items);
    restriction_of_care(&mut ctx, age, &mut items);
    unstructured(&mut ctx, age, &mut items);

    sink.put::<GetAlertInformationV2>(items)
}

fn has(ctx: &Ctx<'_>, icd10: &str) -> bool {
    ctx.conditions.iter().any(|c| c.col(0) == icd10)
}

fn num(row: &Row, i: usize) -> f64 {
    row.col(i).parse().unwrap_or(0.0)
}

fn years_after(day: NaiveDate, years: u32) -> NaiveDate {
    day.checked_add_months(Months::new(years * 12))
        .unwrap_or(day)
}

fn alert_type(code: &str) -> Cv {
    let name = npo_riv::contracts::alert_information_v2::ALERT_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, n)| *n);
    Cv {
        code_system_name: Some("KV Informationstyp".into()),
        ..Cv::coded(code, KV_INFORMATIONSTYP, name)
    }
}

/// An alert body of type `type_code` with nothing else; [`alert`] sets the times.
fn body(type_code: &str) -> AlertInformationBody {
    AlertInformationBody {
        type_of_alert: alert_type(type_code),
        ascertained_date: None,
        verified_time: None,
        validity: TimePeriod::default(),
        comment: None,
        obsolete_time: None,
        obsolete_comment: None,
        hypersensitivity: None,
        serious_disease: None,
        treatment: None,
        communicable_disease: None,
        restriction_of_care: None,
        unstructured: None,
        related: Vec::new(),
    }
}

/// An alert ascertained on `day`, registered at `place` the same day or up to a few weeks later.
fn alert(
    ctx: &mut Ctx<'_>,
    place: Place<'_>,
    day: NaiveDate,
    mut b: AlertInformationBody,
) -> AlertInformation {
    let start = ctx.at(day);
    let delay = if ctx.rng.chance(0.7) {
        0
    } else {
        ctx.rng.range(1, 21)
    };
    // Conditions found before the electronic record were registered at a later visit.
    let reg_day = if day < RECORDS_FROM {
        let today = ctx.today;
        ctx.day_between(RECORDS_FROM, today)
    } else {
        (day + Duration::days(delay)).min(ctx.today)
    };
    let registered = ctx.at(reg_day).max(start);
    let mut header = ctx.header(place, registered);
    header.document_time = None;
    b.validity.start = Some(Ctx::ts(start));
    b.ascertained_date = Some(Ctx::date(day));
    b.verified_time = Some(header.accountable.author_time.clone());
    AlertInformation { header, body: b }
}

/// Makes the alert obsolete some time after its start, if there is room before today.
fn make_obsolete(ctx: &mut Ctx<'_>, a: &mut AlertInformation, day: NaiveDate, comment: &str) {
    let registered = NaiveDate::parse_from_str(
        a.header
            .accountable
            .author_time
            .get(..8)
            .unwrap_or_default(),
        "%Y%m%d",
    )
    .unwrap_or(day);
    let from = (day + Duration::days(30)).max(registered + Duration::days(1));
    if from >= ctx.today {
        return;
    }
    let today = ctx.today;
    let obsolete_day = ctx.day_between(from, today);
    let when = ctx.at(obsolete_day);
    a.body.obsolete_time = Some(Ctx::ts(when));
    a.body.obsolete_comment = Some(comment.to_owned());
}

fn pick_weighted<'r>(ctx: &mut Ctx<'_>, rows: &'r [Row], age: u32) -> Option<&'r Row> {
    let ok = |r: &Row| age >= num(r, 7) as u32;
    let total: f64 = rows.iter().filter(|r| ok(r)).map(|r| num(r, 6)).sum();
    if total <= 0.0 {
        return None;
    }
    let mut x = ctx.rng.unit() * total;
    for r in rows.iter().filter(|r| ok(r)) {
        x -= num(r, 6);
        if x < 0.0 {
            return Some(r);
        }
    }
    rows.iter().rev().find(|r| ok(r))
}

fn coded(list: &[(&str, &str)], code: &str, system: &str) -> Cv {
    let name = list
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, n)| *n);
    Cv::coded(code, system, name)
}

fn hypersensitivity(ctx: &mut Ctx<'_>, age: u32, items: &mut Vec<AlertInformation>) {
    // About one in ten carries a recorded hypersensitivity, more with age (more exposures).
    let p = 0.05 + 0.0015 * f64::from(age.min(90));
    if !ctx.rng.chance(p) {
        return;
    }
    let count = if ctx.rng.chance(0.2) { 2 } else { 1 };
    let mut seen: Vec<&str> = Vec::with_capacity(2);
    for _ in 0..count {
        let Some(row) = pick_weighted(ctx, hypersensitivities(), age) else {
            return;
        };
        if seen.contains(&row.col(1)) {
            continue;
        }
        seen.push(row.col(1));
        let min_age = num(row, 7) as u32;
        let from = years_after(ctx.patient.birth_date, min_age.max(1));
        let day = ctx.day_between(from, ctx.today);
        let severity = if ctx.rng.chance(num(row, 5)) {
            "1"
        } else if ctx.rng.chance(0.4) {
            "2"
        } else {
            "3"
        };
        let certainty = if ctx.rng.chance(0.65) { "2" } else { "1" };
        let kind = row.col(0);
        let mut pharmaceutical = None;
        let mut other = None;
        match kind {
            "atc" => {
                pharmaceutical = Some(PharmaceuticalHypersensitivity {
                    atc_substance: Some(Cv::coded(row.col(1), ATC, row.col(2))),
                    ..PharmaceuticalHypersensitivity::default()
                });
            }
            "nonatc" => {
                pharmaceutical = Some(PharmaceuticalHypersensitivity {
                    non_atc_substance: Some(row.col(2).to_owned()),
                    non_atc_substance_comment: Some("Preparatet saknar ATC-kod".into()),
                    ..PharmaceuticalHypersensitivity::default()
                });
            }
            _ => {
                other = Some(OtherHypersensitivity {
                    agent: Some(row.col(2).to_owned()),
                    agent_code: None,
                });
            }
        }
        let reaction: Vec<&Row> = reactions()
            .iter()
            .filter(|r| r.col(0) == severity)
            .collect();
        let b = AlertInformationBody {
            comment: (!reaction.is_empty()).then(|| ctx.rng.pick(&reaction).col(1).to_owned()),
            hypersensitivity: Some(Hypersensitivity {
                type_of_hypersensitivity: Some(Cv::coded(row.col(3), ICD10_SE, row.col(4))),
                severity: Some(coded(SEVERITIES, severity, KV_ALLVARLIGHETSGRAD)),
                certainty: Some(coded(CERTAINTIES, certainty, KV_VISSHETSGRAD)),
                pharmaceutical,
                other,
            }),
            ..body("upp-okh")
        };
        let kinds: &[SiteKind] = if ctx.rng.chance(0.05) {
            &[SiteKind::Municipality]
        } else {
            HOSPITAL_OR_PRIMARY
        };
        let place = ctx.place(kinds);
        let mut a = alert(ctx, place, day, b);
        // Suspected drug allergies are sometimes written off after a provocation.
        if kind == "atc" && certainty == "1" && ctx.rng.chance(0.3) {
            make_obsolete(
                ctx,
                &mut a,
                day,
                "Provokation utan reaktion – överkänsligheten avskriven.",
            );
        } else if ctx.rng.chance(0.03) {
            make_obsolete(
                ctx,
                &mut a,
                day,
                "Felaktigt registrerad, gäller annan substans.",
            );
        }
        items.push(a);
    }
}

fn sex_ok(ctx: &Ctx<'_>, sex: &str) -> bool {
    match sex {
        "F" => ctx.patient.female,
        "M" => !ctx.patient.female,
        _ => true,
    }
}

fn serious_disease(ctx: &mut Ctx<'_>, age: u32, items: &mut Vec<AlertInformation>) {
    for row in serious_diseases() {
        let min_age = num(row, 4) as u32;
        let eligible = match row.col(2) {
            "condition" => has(ctx, row.col(0)),
            _ => true,
        };
        if !eligible || age < min_age || !sex_ok(ctx, row.col(5)) || !ctx.rng.chance(num(row, 3)) {
            continue;
        }
        let from = years_after(ctx.patient.birth_date, min_age);
        let day = ctx.day_between(from, ctx.today);
        let b = AlertInformationBody {
            comment: Some(row.col(6).to_owned()).filter(|c| !c.is_empty()),
            serious_disease: Some(Cv::coded(row.col(0), ICD10_SE, row.col(1))),
            ..body("upp-uas")
        };
        let place = ctx.place(&[SiteKind::Region]);
        items.push(alert(ctx, place, day, b));
    }
}

fn treatment(ctx: &mut Ctx<'_>, age: u32, items: &mut Vec<AlertInformation>) {
    for row in treatments() {
        let min_age = num(row, 6) as u32;
        let eligible = match row.col(4) {
            "population" => true,
            icd10 => has(ctx, icd10),
        };
        if !eligible || age < min_age || !ctx.rng.chance(num(row, 5)) {
            continue;
        }
        let months = num(row, 7) as u32;
        // Time-limited treatments are recent; others started at most `since` years ago.
        let from = if months > 0 {
            ctx.today - Duration::days(i64::from(months) * 30 + 60)
        } else {
            let since = ctx.today - Duration::days(num(row, 8) as i64 * 365);
            years_after(ctx.patient.birth_date, min_age).max(since)
        };
        let day = ctx.day_between(from, ctx.today);
        let atc = row.col(2);
        let b = AlertInformationBody {
            treatment: Some(Treatment {
                description: row.col(1).to_owned(),
                code: None,
                pharmaceutical: (!atc.is_empty()).then(|| Cv::coded(atc, ATC, row.col(3))),
            }),
            ..body("upp-ube")
        };
        let place = ctx.place(HOSPITAL_OR_PRIMARY);
        let mut a = alert(ctx, place, day, b);
        if months > 0 {
            let end = day
                .checked_add_months(Months::new(months))
                .unwrap_or(day)
                .and_hms_opt(23, 59, 59)
                .unwrap_or_default();
            a.body.validity.end = Some(Ctx::ts(end));
        }
        items.push(a);
    }
}

fn communicable(ctx: &mut Ctx<'_>, age: u32, items: &mut Vec<AlertInformation>) {
    for row in communicable_diseases() {
        if age < num(row, 4) as u32 || !ctx.rng.chance(num(row, 3)) {
            continue;
        }
        let day = ctx.recent_day(15);
        let b = AlertInformationBody {
            communicable_disease: Some(CommunicableDisease {
                code: Cv::coded(row.col(0), ICD10_SE, row.col(1)),
                route_of_transmission: Some(Cv {
                    original_text: Some(row.col(2).to_owned()),
                    ..Cv::default()
                }),
            }),
            comment: Some(
                match row.col(2) {
                    "Kontaktsmitta" => {
                        "Basala hygienrutiner. Eget rum med egen toalett vid inläggning."
                    }
                    _ => "Basala hygienrutiner. Stickskador hanteras enligt rutin för blodsmitta.",
                }
                .to_owned(),
            ),
            ..body("upp-arb")
        };
        let place = ctx.place(&[SiteKind::Region]);
        let mut a = alert(ctx, place, day, b);
        if ctx.rng.chance(num(row, 5)) {
            let comment = match row.col(0) {
                "B18.2" => "Utläkt efter antiviral behandling, ej påvisbart HCV-RNA.",
                _ => "Smittfri enligt upprepade odlingar.",
            };
            make_obsolete(ctx, &mut a, day, comment);
        }
        items.push(a);
    }
}

fn restriction_of_care(ctx: &mut Ctx<'_>, age: u32, items: &mut Vec<AlertInformation>) {
    // Decided for the very old and the severely ill, near the end of life.
    let palliative = ["C50.9", "C61", "G30.9", "I50.9", "J44.9"]
        .iter()
        .any(|c| has(ctx, c));
    let p = match age {
        0..=69 => 0.0,
        70..=84 if palliative => 0.12,
        70..=84 => 0.01,
        _ if palliative => 0.3,
        _ => 0.12,
    };
    if !ctx.rng.chance(p) {
        return;
    }
    let day = ctx.recent_day(3);
    let text = *ctx.rng.pick(&[
        "Ej hjärt-lungräddning (HLR). Beslut av ansvarig läkare efter samtal med patienten och närstående.",
        "Ej HLR eller intensivvård. Ej respiratorbehandling. Patienten informerad och införstådd.",
        "Ej HLR. Behandling av infektioner och smärta på boendet i första hand, undvik inläggning.",
    ]);
    let b = AlertInformationBody {
        restriction_of_care: Some(text.to_owned()),
        ..body("upp-vbe")
    };
    let place = ctx.place(&[SiteKind::Region]);
    items.push(alert(ctx, place, day, b));
}

fn unstructured(ctx: &mut Ctx<'_>, age: u32, items: &mut Vec<AlertInformation>) {
    // Warnings migrated from older record systems, before the structured format.
    if age < 30 || !ctx.rng.chance(0.01) {
        return;
    }
    let (heading, content) = *ctx.rng.pick(&[
        (
            "Varning",
            "Överkänslig mot häftplåster, använd silikonförband.",
        ),
        ("Obs!", "Svårstucken, använd ultraljud vid venpunktion."),
        (
            "Varning",
            "Malign hypertermi hos förälder – anestesiläkare ska kontaktas före narkos.",
        ),
        (
            "Uppmärksamhet",
            "Svår nålfobi, premedicinera inför provtagning.",
        ),
    ]);
    let to = NaiveDate::from_ymd_opt(2012, 12, 31).unwrap_or(ctx.today);
    let from = years_after(ctx.patient.birth_date, 18);
    if from > to {
        return;
    }
    let day = ctx.day_between(from, to);
    let b = AlertInformationBody {
        unstructured: Some(UnstructuredAlert {
            heading: heading.to_owned(),
            content: content.to_owned(),
        }),
        ..body("upp-est")
    };
    let place = ctx.place(HOSPITAL_OR_PRIMARY);
    items.push(alert(ctx, place, day, b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use npo_riv::contracts::alert_information_v2::AlertKind;

    #[test]
    fn generated_alerts_are_valid_and_life_like() {
        let items = crate::check::generated::<GetAlertInformationV2>(300);
        assert!(items.len() >= 30, "only {} alerts", items.len());
        let kinds = |k: AlertKind| items.iter().filter(|a| a.body.kind() == k).count();
        assert!(kinds(AlertKind::Hypersensitivity) >= 20);
        assert!(kinds(AlertKind::Treatment) >= 1);
        for a in &items {
            let b = &a.body;
            assert!(
                b.type_of_alert
                    .code
                    .as_deref()
                    .is_some_and(|c| c.starts_with("upp-"))
            );
            assert!(b.validity.start.is_some());
            if let Some(o) = &b.obsolete_time {
                assert!(b.validity.start.as_deref().is_some_and(|s| s < o.as_str()));
                assert!(a.header.accountable.author_time < *o);
                assert!(b.obsolete_comment.is_some());
            }
            if let Some(h) = &b.hypersensitivity {
                let sev = h.severity.as_ref().and_then(|s| s.code.as_deref());
                assert!(matches!(sev, Some("1" | "2" | "3")));
                if let Some(atc) = h
                    .pharmaceutical
                    .as_ref()
                    .and_then(|p| p.atc_substance.as_ref())
                {
                    let code = atc.code.as_deref().unwrap_or_default();
                    assert!(code.len() >= 4, "ATC at least three levels: {code}");
                    assert!(hypersensitivities().iter().any(|r| r.col(1) == code));
                }
            }
            if let Some(d) = &b.serious_disease {
                let code = d.code.as_deref().unwrap_or_default();
                assert!(serious_diseases().iter().any(|r| r.col(0) == code));
            }
            assert!(a.header.nullified.is_none());
        }
        // Serious-disease alerts follow the patient's conditions.
        let pop = crate::population::example();
        for i in 0..300 {
            let (patient, conditions) = pop.patient(i);
            let has_t1 = conditions.iter().any(|c| c.col(0) == "E10.9");
            let alert_t1 = items.iter().any(|a| {
                a.header.patient_id.id == patient.id
                    && a.body
                        .serious_disease
                        .as_ref()
                        .is_some_and(|d| d.code.as_deref() == Some("E10.9"))
            });
            assert!(
                !alert_t1 || has_t1,
                "type 1 diabetes alert without the condition"
            );
        }
    }
}
