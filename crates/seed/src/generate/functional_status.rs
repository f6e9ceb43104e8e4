//! Functional status (GetFunctionalStatus 2.0): PADL assessments (`pad-pad`) by the Katz
//! ADL-index for older people, mostly by the municipality's home care, repeated over the years
//! as they need more help; and disability assessments (`fun-fun`, ICF body functions) that
//! follow the patient's conditions and age (memory in dementia, gait in Parkinson's disease,
//! hearing in old age).
//!
//! PADL activities are the five the contract allows (personlig hygien, på/avklädning,
//! förflyttning, toalettbesök, födointag), coded with ICF activities; disabilities with ICF
//! body functions (1.2.752.116.1.1.3). The contract description marks documentTitle and
//! nullified as not used, so they are left out.

use super::{Env, Sink};
use crate::codes::Row;
use crate::ctx::{Ctx, Place, SiteKind};
use chrono::Duration;
use npo_riv::common::Cv;
use npo_riv::contracts::functional_status_v2::{
    AssessmentBody, AssessmentCategory, Disability, FunctionalStatusAssessment,
    GetFunctionalStatusV2, ICF, Padl,
};

crate::code_list!(pub fn padl_activities() = "functional_padl.tsv");
crate::code_list!(pub fn icf_functions() = "functional_icf.tsv");

/// The label of this information type (document ids, random stream): both categorizations
/// share one story.
const LABEL: &str = "fun";

/// Katz ADL-index grades by the number of dependencies in the Katz hierarchy.
const KATZ: [char; 7] = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];

/// The patient's dependency today in the Katz hierarchy (0 = independent in every activity,
/// 6 = dependent in all six), if the municipality or the region assesses their ADL at all.
/// Deterministic per patient; the care-plan generator uses it too (implementation plans for
/// home care).
pub fn dependency(env: &Env<'_>) -> Option<u8> {
    let age = env.patient.age_on(env.today);
    let has = |code: &str| env.conditions.iter().any(|c| c.col(0) == code);
    let neuro = has("G30.9") || has("G20.9");
    if age < 65 && !(age >= 40 && neuro) {
        return None;
    }
    let mut ctx = env.ctx("fun-katz");
    let mut score: f64 = match age {
        0..=64 => -1.0,
        65..=74 => -0.5,
        75..=84 => 0.6,
        85..=94 => 1.8,
        _ => 3.0,
    };
    for c in ctx.conditions {
        score += match c.col(0) {
            "G30.9" => 2.0,
            "G20.9" | "S72.0" => 1.5,
            "I50.9" | "J44.9" => 0.7,
            "M17.9" | "M06.9" | "C50.9" | "C61" | "N18.3" => 0.3,
            _ => 0.0,
        };
    }
    let k = (score + ctx.rng.normal(0.0, 1.0)).round().clamp(0.0, 6.0) as u8;
    // Those who need help are assessed; of the rest, some old people preventively.
    (k >= 1 || (age >= 75 && ctx.rng.chance(0.15))).then_some(k)
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let mut items = Vec::new();
    if let Some(k) = dependency(env) {
        padl_series(&mut ctx, k, &mut items);
    }
    disabilities(&mut ctx, &mut items);
    sink.put::<GetFunctionalStatusV2>(items)
}

/// A unit of one of `kinds`, preferably not an emergency department (assessments are made in
/// home care, on wards and in primary care).
fn assessing_place<'a>(ctx: &mut Ctx<'a>, kinds: &[SiteKind]) -> Place<'a> {
    let mut p = ctx.place(kinds);
    for _ in 0..3 {
        if !p.unit.name.starts_with("Akut") {
            break;
        }
        p = ctx.place(kinds);
    }
    p
}

fn num(row: &Row, i: usize) -> f64 {
    row.col(i).parse().unwrap_or(0.0)
}

/// One to four assessments, the latest within the last year, earlier ones 6–18 months apart
/// with the same or less dependency.
fn padl_series(ctx: &mut Ctx<'_>, k_now: u8, items: &mut Vec<FunctionalStatusAssessment>) {
    let n = 1 + ctx.rng.below(3) + usize::from(k_now >= 3);
    let earliest = ctx.patient.birth_date + Duration::days(60 * 365);
    let mut day = ctx.recent_day(1);
    let mut k = k_now;
    let mut series = Vec::with_capacity(n);
    for _ in 0..n {
        if day < earliest {
            break;
        }
        series.push((day, k));
        day -= Duration::days(ctx.rng.range(180, 540));
        if k > 0 && ctx.rng.chance(0.5) {
            k -= 1;
        }
    }
    for (day, k) in series.into_iter().rev() {
        let kinds: &[SiteKind] = if ctx.rng.chance(0.8) {
            &[SiteKind::Municipality]
        } else {
            &[SiteKind::Region]
        };
        let place = assessing_place(ctx, kinds);
        let time = ctx.at(day);
        let mut header = ctx.header(place, time);
        header.document_title = None;
        items.push(FunctionalStatusAssessment {
            header,
            body: padl_body(ctx, k),
        });
    }
}

/// The five activities for `k` dependencies in the Katz hierarchy, and the Katz grade.
fn padl_body(ctx: &mut Ctx<'_>, k: u8) -> AssessmentBody {
    let mut dependent_in: Vec<&'static str> = Vec::new();
    let padl = padl_activities()
        .iter()
        .map(|row| {
            let order = num(row, 2) as u8;
            let dependent = order <= k;
            let texts: Vec<&str> = row.col(if dependent { 3 } else { 4 }).split('|').collect();
            // Heavier dependency, heavier wording.
            let i = if dependent {
                (usize::from(k.saturating_sub(order)) / 2).min(texts.len() - 1)
            } else {
                ctx.rng.below(texts.len())
            };
            if dependent {
                dependent_in.push(row.col(1));
            }
            Padl {
                type_of_assessment: Cv::coded(row.col(0), ICF, row.col(1)),
                assessment: texts[i].to_owned(),
            }
        })
        .collect();
    let mut comment = format!("Katz ADL-index: {}.", KATZ[usize::from(k.min(6))]);
    if dependent_in.is_empty() {
        comment.push_str(" Oberoende i samtliga aktiviteter.");
    } else {
        comment.push_str(" Beroende av hjälp för: ");
        comment.push_str(&dependent_in.join(", ").to_lowercase());
        comment.push('.');
    }
    if k >= 5 {
        comment.push_str(" Urininkontinent, använder inkontinensskydd.");
    }
    comment.push_str(match k {
        0 | 1 => "",
        2 => " Hemtjänst morgon och kväll.",
        3 | 4 => " Hemtjänst fyra gånger per dag samt trygghetslarm.",
        _ => " Bor på särskilt boende.",
    });
    AssessmentBody {
        category: AssessmentCategory::Padl,
        comment: Some(comment),
        padl,
        disability: None,
    }
}

fn disabilities(ctx: &mut Ctx<'_>, items: &mut Vec<FunctionalStatusAssessment>) {
    let age = ctx.age_on(ctx.today);
    for row in icf_functions() {
        let eligible = match row.col(2) {
            "age" => true,
            icd10 => ctx.conditions.iter().any(|c| c.col(0) == icd10),
        };
        let ages = (num(row, 4) as u32)..=(num(row, 5) as u32);
        if !eligible || !ages.contains(&age) || !ctx.rng.chance(num(row, 3)) {
            continue;
        }
        let kinds: &[SiteKind] = if age < 18 || ctx.rng.chance(0.4) {
            &[SiteKind::Region]
        } else {
            &[SiteKind::Municipality]
        };
        let place = assessing_place(ctx, kinds);
        let day = ctx.recent_day(4);
        let time = ctx.at(day);
        let mut header = ctx.header(place, time);
        header.document_title = None;
        let comments: Vec<&str> = row.col(6).split('|').filter(|c| !c.is_empty()).collect();
        let comment = (!comments.is_empty()).then(|| ctx.rng.pick(&comments).to_string());
        items.push(FunctionalStatusAssessment {
            header,
            body: AssessmentBody {
                category: AssessmentCategory::Disability,
                comment: None,
                padl: Vec::new(),
                disability: Some(Disability {
                    assessment: Cv::coded(row.col(0), ICF, row.col(1)),
                    comment,
                }),
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use npo_riv::contracts::functional_status_v2::categorization;

    #[test]
    fn generated_assessments_are_valid_and_life_like() {
        let items = crate::check::generated::<GetFunctionalStatusV2>(300);
        let pop = crate::population::example();
        let padl: Vec<_> = items
            .iter()
            .filter(|i| categorization(i) == "pad-pad")
            .collect();
        let disability = items.len() - padl.len();
        assert!(padl.len() >= 20, "only {} PADL assessments", padl.len());
        assert!(disability >= 5, "only {disability} disability assessments");
        for a in &padl {
            // The five activities of the contract, once each, and a Katz grade.
            assert_eq!(a.body.padl.len(), 5);
            for p in &a.body.padl {
                let code = p.type_of_assessment.code.as_deref().unwrap_or_default();
                assert!(padl_activities().iter().any(|r| r.col(0) == code));
            }
            assert!(
                a.body
                    .comment
                    .as_deref()
                    .is_some_and(|c| c.starts_with("Katz ADL-index: "))
            );
            assert!(a.body.disability.is_none());
            // Older people: assessed from 60, as the patient's age says.
            let time = a.header.document_time.as_deref().unwrap_or_default();
            let born = &a.header.patient_id.id[..8];
            let years =
                time[..4].parse::<i32>().unwrap_or(0) - born[..4].parse::<i32>().unwrap_or(0);
            assert!(years >= 39, "PADL at {years}");
        }
        // Most PADL assessments are made by the municipality.
        let municipal = padl
            .iter()
            .filter(|a| a.header.source_system_hsa_id == pop.sites[1].source_system)
            .count();
        assert!(municipal * 2 > padl.len(), "{municipal} of {}", padl.len());
        for a in items.iter().filter(|i| categorization(i) == "fun-fun") {
            let code = a
                .body
                .disability
                .as_ref()
                .and_then(|d| d.assessment.code.as_deref())
                .unwrap_or_default();
            assert!(icf_functions().iter().any(|r| r.col(0) == code));
            assert!(a.body.padl.is_empty());
        }
    }
}
