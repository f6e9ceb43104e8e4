//! Care plans (GetCarePlans 2.0, `cll-cp`): coordinated individual plans (SIP) and home-care
//! implementation plans for older people who need help in daily life, coordinated discharge
//! plans and rehabilitation plans after a hip fracture, care plans for chronic diseases,
//! habilitation plans for children with epilepsy — drawn up by the region or the municipality,
//! with the other care giver's unit taking part where the plan is shared.
//!
//! The plan itself is `text/plain` content (goals, actions, follow-up and how long the plan is
//! valid); some plans also point to a PDF copy. Plans are revised at their follow-up, each
//! revision a new document. The contract description marks nullified as not used.

use super::{Env, Sink, functional_status};
use crate::codes::Row;
use crate::ctx::{Ctx, Place, SiteKind};
use chrono::{Duration, Months, NaiveDate};
use npo_riv::contracts::care_plans_v2::{
    CarePlan, CarePlanBody, Content, GetCarePlansV2, Ii, care_plan_type_name,
};

crate::code_list!(pub fn care_plans() = "care_plans.tsv");

/// The label of this information type (document ids, random stream).
const LABEL: &str = "cll-cp";

/// Katz ADL-index grades by the number of dependencies.
const KATZ: [char; 7] = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let age = ctx.age_on(ctx.today);
    let katz = functional_status::dependency(env);
    // One event day per trigger, so plans about one event (a hip fracture) agree in time.
    let mut events: Vec<(&'static str, NaiveDate)> = Vec::new();
    let mut items = Vec::new();
    for row in care_plans() {
        let trigger = row.col(1);
        let min_age = num(row, 3) as u32;
        let max_age = num(row, 4) as u32;
        let eligible = match trigger.strip_prefix("katz") {
            Some(n) => katz.is_some_and(|k| k >= n.parse().unwrap_or(7)),
            None => ctx.conditions.iter().any(|c| c.col(0) == trigger),
        };
        if !eligible || !(min_age..=max_age).contains(&age) || !ctx.rng.chance(num(row, 2)) {
            continue;
        }
        let event = match events.iter().find(|(t, _)| *t == trigger) {
            Some((_, d)) => *d,
            None => {
                let d = event_day(&mut ctx, row, min_age);
                events.push((trigger, d));
                d
            }
        };
        plans(&mut ctx, row, event, katz, &mut items);
    }
    sink.put::<GetCarePlansV2>(items)
}

fn num(row: &Row, i: usize) -> f64 {
    row.col(i).parse().unwrap_or(0.0)
}

/// When the situation behind a plan arose: recent for acute events and ADL needs, within the
/// last years for chronic diseases, never before the plan's minimum age.
fn event_day(ctx: &mut Ctx<'_>, row: &Row, min_age: u32) -> NaiveDate {
    let years = match row.col(0) {
        "SPU" | "RP" | "SVP" => 4,
        _ => 6,
    };
    let earliest = ctx
        .patient
        .birth_date
        .checked_add_months(Months::new(min_age * 12))
        .unwrap_or(ctx.patient.birth_date);
    ctx.recent_day(years).max(earliest).min(ctx.today)
}

fn kinds(code: &str) -> Vec<SiteKind> {
    code.chars()
        .filter_map(|c| match c {
            'R' => Some(SiteKind::Region),
            'M' => Some(SiteKind::Municipality),
            'P' => Some(SiteKind::Private),
            _ => None,
        })
        .collect()
}

/// A unit of one of `kinds`, preferably not an emergency department (plans are made on wards,
/// in primary care and in home care).
fn place<'a>(ctx: &mut Ctx<'a>, kinds: &[SiteKind]) -> Place<'a> {
    let mut p = ctx.place(kinds);
    for _ in 0..3 {
        if !p.unit.name.starts_with("Akut") {
            break;
        }
        p = ctx.place(kinds);
    }
    p
}

/// Some of `items` (`|` separated), at least two, in their order.
fn some_of(ctx: &mut Ctx<'_>, items: &'static str) -> Vec<&'static str> {
    let all: Vec<&'static str> = items.split('|').filter(|s| !s.is_empty()).collect();
    let chosen: Vec<&'static str> = all
        .iter()
        .copied()
        .filter(|_| ctx.rng.chance(0.7))
        .collect();
    if chosen.len() >= 2 {
        chosen
    } else {
        all.into_iter().take(2).collect()
    }
}

/// `YYYY-MM-DD`.
fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn background(ctx: &Ctx<'_>, row: &Row, katz: Option<u8>) -> String {
    let trigger = row.col(1);
    if trigger.starts_with("katz") {
        let k = usize::from(katz.unwrap_or(0).min(6));
        return format!(
            "Behöver hjälp i vardagen enligt bedömning av personlig ADL, senast Katz ADL-index {}.",
            KATZ[k]
        );
    }
    match ctx.conditions.iter().find(|c| c.col(0) == trigger) {
        Some(c) => format!("{} ({}).", c.col(1), c.col(0)),
        None => trigger.to_owned(),
    }
}

/// The plan and its revisions at each follow-up, up to today.
fn plans(
    ctx: &mut Ctx<'_>,
    row: &Row,
    event: NaiveDate,
    katz: Option<u8>,
    items: &mut Vec<CarePlan>,
) {
    let code = row.col(0);
    let own = place(ctx, &kinds(row.col(5)));
    let partner_kinds = kinds(row.col(6));
    let partner_sites: Vec<_> = ctx
        .sites
        .iter()
        .filter(|s| partner_kinds.contains(&s.kind) && s.source_system != own.site.source_system)
        .filter(|s| !s.units.is_empty())
        .collect();
    let partner = (!partner_sites.is_empty()).then(|| {
        let site = *ctx.rng.pick(&partner_sites);
        let units: Vec<_> = site
            .units
            .iter()
            .filter(|u| !u.name.starts_with("Akut"))
            .collect();
        match units.is_empty() {
            true => ctx.rng.pick(&site.units).hsa_id.clone(),
            false => ctx.rng.pick(&units).hsa_id.clone(),
        }
    });
    let follow = num(row, 10) as u32;
    let versions = 1 + ctx.rng.below((num(row, 11) as usize).max(1));
    let offset = match code {
        "SVP" => 1,
        "SPU" => ctx.rng.range(5, 14),
        "RP" => ctx.rng.range(7, 21),
        _ => 0,
    };
    let mut day = event + Duration::days(offset);
    let background = background(ctx, row, katz);
    let mut previous: Option<NaiveDate> = None;
    for _ in 0..versions {
        if day > ctx.today {
            break;
        }
        let time = ctx.at(day);
        let mut header = ctx.header(own, time);
        header.document_title = Some(row.col(7).to_owned());
        let next = day.checked_add_months(Months::new(follow)).unwrap_or(day);
        let text = plan_text(ctx, row, &background, day, next, previous);
        let mut content = vec![Content::plain_text(&text)];
        if ctx.rng.chance(0.15) {
            content.push(Content {
                id: None,
                media_type: "application/pdf".into(),
                value: None,
                reference: Some(format!(
                    "https://vardplan.example.se/dokument/{}.pdf",
                    header.document_id
                )),
            });
        }
        let participating_care_units = match &partner {
            Some(p) => vec![Ii::hsa_id(&own.unit.hsa_id), Ii::hsa_id(p)],
            None => Vec::new(),
        };
        items.push(CarePlan {
            header,
            body: CarePlanBody {
                content,
                participating_care_units,
                type_of_care_plan: Some(code.to_owned()),
            },
        });
        if follow == 0 {
            break;
        }
        previous = Some(day);
        day = next + Duration::days(ctx.rng.range(-7, 21));
    }
}

fn plan_text(
    ctx: &mut Ctx<'_>,
    row: &Row,
    background: &str,
    day: NaiveDate,
    next: NaiveDate,
    previous: Option<NaiveDate>,
) -> String {
    let code = row.col(0);
    let mut t = String::with_capacity(640);
    t.push_str(care_plan_type_name(code).unwrap_or("Vård- och omsorgsplan"));
    t.push_str("\n\nBakgrund: ");
    t.push_str(background);
    t.push_str("\n\nMål:\n");
    for g in some_of(ctx, row.col(8)) {
        t.push_str("- ");
        t.push_str(g);
        t.push('\n');
    }
    t.push_str("\nInsatser:\n");
    for a in some_of(ctx, row.col(9)) {
        t.push_str("- ");
        t.push_str(a);
        t.push('\n');
    }
    t.push('\n');
    if next > day {
        t.push_str(&format!(
            "Uppföljning: {}. Planen gäller till och med {}.",
            day_text(next),
            day_text(next + Duration::days(14))
        ));
    } else {
        t.push_str("Planen följs upp dagligen och gäller under vårdtillfället.");
    }
    if let Some(p) = previous {
        t.push_str(&format!(" Ersätter planen från {}.", day_text(p)));
    }
    t.push_str(match code {
        "SIP" | "SPU" | "SPLPTLRV" => "\nPatienten och närstående deltog i planeringsmötet.",
        "HP" => "\nPlanen är upprättad tillsammans med barnet och vårdnadshavarna.",
        _ => "\nPlanen är upprättad tillsammans med patienten.",
    });
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_care_plans_are_valid_and_life_like() {
        let items = crate::check::generated::<GetCarePlansV2>(300);
        assert!(items.len() >= 20, "only {} care plans", items.len());
        let pop = crate::population::example();
        let mut types = Vec::new();
        for p in &items {
            let code = p.body.type_of_care_plan.as_deref().unwrap_or_default();
            assert!(care_plans().iter().any(|r| r.col(0) == code), "{code}");
            if !types.contains(&code) {
                types.push(code);
            }
            assert!(p.header.document_title.is_some());
            assert!(p.header.nullified.is_none());
            let text = p.body.text().unwrap_or_default();
            assert!(
                text.contains("Mål:") && text.contains("Insatser:"),
                "{text}"
            );
            // Shared plans name both care givers' units.
            if !p.body.participating_care_units.is_empty() {
                assert_eq!(p.body.participating_care_units.len(), 2);
            }
            // Habilitation plans are for children.
            if code == "HP" {
                let time = p.header.document_time.as_deref().unwrap_or_default();
                let born: i32 = p.header.patient_id.id[..4].parse().unwrap_or(0);
                let year: i32 = time[..4].parse().unwrap_or(0);
                assert!(year - born <= 18, "habilitation plan at {}", year - born);
            }
            // Municipality plans are for older people who need help (or share a region plan).
            let site = pop
                .sites
                .iter()
                .find(|s| s.source_system == p.header.source_system_hsa_id);
            if site.is_some_and(|s| s.kind == SiteKind::Municipality) {
                assert!(matches!(code, "SIP" | "GP" | "SVP"), "{code}");
            }
        }
        assert!(types.len() >= 4, "plan types {types:?}");
    }
}
