//! Laboratory results: GetLaboratoryOrderOutcome 3.1 and 4.0 from one story.
//!
//! The story is a list of answered orders. Clinical chemistry orders follow the patient's
//! conditions (the `labs` column of `conditions.tsv`: regular check-ups for chronic conditions,
//! one or two episodes for acute ones) plus a few general panels; values are drawn per analyte,
//! sex and age from `data/npu.tsv` (NPU codes, Swedish names, units, reference intervals), from
//! the "sick" distribution more often when a condition affects the analyte, and flagged against
//! the reference interval. Microbiology (urine, blood, throat and skin cultures with organisms
//! in SNOMED CT and S/I/R susceptibility) follows infections; it exists only in 4.0.
//!
//! Both versions carry the same orders under the same document ids. About 1 % of 3.1 answers are
//! nullified (misidentified samples); 4.0 has no `nullified` and does not deliver those.

use super::{Env, Sink};
use crate::code_list;
use crate::codes::Row;
use crate::ctx::{Ctx, Place, SiteKind};
use chrono::{Duration, Months, NaiveDate, NaiveDateTime};
use npo_riv::common::{Cv, HealthcareProfessional, OrgUnit, PatientSummaryHeader};
use npo_riv::contracts::access_control_header::{Header, Ii, Signature};
use npo_riv::contracts::laboratory_outcome_v3::{self as v3, GetLaboratoryOrderOutcomeV3};
use npo_riv::contracts::laboratory_outcome_v4::{self as v4, GetLaboratoryOrderOutcomeV4};

code_list!(pub fn npu() = "npu.tsv");
code_list!(pub fn cultures() = "lab_cultures.tsv");
code_list!(pub fn antibiotics() = "lab_antibiotics.tsv");

/// Document-id label: the engagement-index categorization.
const LABEL: &str = "und-kkm-ure";

// Columns of npu.tsv.
const KEY: usize = 0;
const CODE: usize = 1;
const NAME: usize = 2;
const UNIT: usize = 3;
const DECIMALS: usize = 4;
const SEX: usize = 5;
const MIN_AGE: usize = 6;
const MAX_AGE: usize = 7;
const LOW: usize = 8;
const HIGH: usize = 9;
const MEAN: usize = 10;
const SD: usize = 11;
const SICK_MEAN: usize = 12;
const SICK_SD: usize = 13;
const MIN: usize = 14;

const ABOVE: (&str, &str) = ("281302008", "Över referensintervallet");
const BELOW: (&str, &str) = ("281300000", "Under referensintervallet");
const ABNORMAL: (&str, &str) = ("263654008", "Avvikande");

/// General panels (no particular condition).
const ADULT_PANEL: &[&str] = &["hb", "crp", "kreatinin", "kalium", "natrium", "glukos"];
const CHILD_PANEL: &[&str] = &["hb", "crp", "lpk"];

/// The reference row of `key` for a patient of this sex and age (the first matching row, else
/// the first row of the key).
pub fn reference(key: &str, female: bool, age: u32) -> Option<&'static Row> {
    let rows = || npu().iter().filter(move |r| r.col(KEY) == key);
    rows()
        .find(|r| {
            let sex_ok = match r.col(SEX) {
                "F" => female,
                "M" => !female,
                _ => true,
            };
            let min: u32 = r.col(MIN_AGE).parse().unwrap_or(0);
            let max: u32 = r.col(MAX_AGE).parse().unwrap_or(120);
            sex_ok && (min..=max).contains(&age)
        })
        .or_else(|| rows().next())
}

fn num(r: &Row, col: usize) -> Option<f64> {
    r.col(col).parse().ok()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flag {
    Normal,
    High,
    Low,
}

/// One measured analyte.
struct Measured {
    row: &'static Row,
    value: String,
    flag: Flag,
}

fn measure(ctx: &mut Ctx<'_>, key: &str, age: u32, sick: bool) -> Option<Measured> {
    let row = reference(key, ctx.patient.female, age)?;
    let decimals: usize = row.col(DECIMALS).parse().unwrap_or(1);
    let (mean, sd) = if sick {
        (num(row, SICK_MEAN)?, num(row, SICK_SD)?)
    } else {
        (num(row, MEAN)?, num(row, SD)?)
    };
    let raw = ctx.rng.normal(mean, sd).max(num(row, MIN).unwrap_or(0.0));
    let value = format!("{raw:.decimals$}");
    let v: f64 = value.parse().unwrap_or(raw);
    let flag = if num(row, LOW).is_some_and(|l| v < l) {
        Flag::Low
    } else if num(row, HIGH).is_some_and(|h| v > h) {
        Flag::High
    } else {
        Flag::Normal
    };
    Some(Measured { row, value, flag })
}

/// The analysis code: NPU when the list has one, else the Swedish name as original text.
fn npu_code(row: &Row) -> Cv {
    match row.col(CODE) {
        "" => Cv {
            original_text: Some(row.col(NAME).into()),
            ..Cv::default()
        },
        code => Cv {
            code: Some(code.into()),
            code_system: Some(v3::NPU.into()),
            code_system_name: Some("NPU".into()),
            display_name: Some(row.col(NAME).into()),
            ..Cv::default()
        },
    }
}

/// `45–90`, `<5`, `>7` (decimal points; views show commas).
fn interval_text(row: &Row) -> Option<String> {
    match (row.col(LOW), row.col(HIGH)) {
        ("", "") => None,
        ("", h) => Some(format!("<{h}")),
        (l, "") => Some(format!(">{l}")),
        (l, h) => Some(format!("{l}–{h}")),
    }
}

/// `Kvinnor 18–120 år` → the reference population.
fn population(row: &Row) -> String {
    let who = match row.col(SEX) {
        "F" => "Kvinnor",
        "M" => "Män",
        _ => "Kvinnor och män",
    };
    format!("{who} {}–{} år", row.col(MIN_AGE), row.col(MAX_AGE))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sir {
    S,
    I,
    R,
}

impl Sir {
    fn code(self) -> (&'static str, &'static str) {
        match self {
            Sir::S => ("131196009", "S"),
            Sir::I => ("11896004", "I"),
            Sir::R => ("30714006", "R"),
        }
    }
}

/// A culture type: analysis name, specimen material (SNOMED CT), question, growth comment.
struct Culture {
    key: &'static str,
    name: &'static str,
    material: (&'static str, &'static str),
    question: &'static str,
    growth: &'static str,
}

const CULTURES: &[Culture] = &[
    Culture {
        key: "urin",
        name: "Urinodling",
        material: ("122575003", "Urin"),
        question: "Sveda och täta trängningar. UVI?",
        growth: "Växt av >10^5 CFU/mL",
    },
    Culture {
        key: "blod",
        name: "Blododling",
        material: ("119297000", "Blod"),
        question: "Feber och frossa. Sepsis?",
        growth: "Växt i 2 av 2 flaskor",
    },
    Culture {
        key: "svalg",
        name: "Odling svalg",
        material: ("258529004", "Svalgprov"),
        question: "Halsont och feber sedan tre dagar. Streptokocker?",
        growth: "Riklig växt",
    },
    Culture {
        key: "hud",
        name: "Odling sår/hud",
        material: ("258503004", "Hudprov"),
        question: "Eksem med gulaktiga krustor. Sekundärinfektion?",
        growth: "Riklig växt",
    },
];

fn culture(key: &str) -> &'static Culture {
    CULTURES
        .iter()
        .find(|c| c.key == key)
        .unwrap_or(&CULTURES[0])
}

/// What an order found.
enum Outcome {
    Chemistry(Vec<Measured>),
    Culture {
        culture: &'static Culture,
        /// Row of lab_cultures.tsv (organism `-` = no growth).
        organism: &'static Row,
        tests: Vec<(&'static str, Sir)>,
    },
}

/// One answered order, as both versions tell it.
struct Order<'a> {
    header: PatientSummaryHeader,
    place: Place<'a>,
    lab: HealthcareProfessional,
    ordered: String,
    sampled: String,
    registered: String,
    answered: String,
    referral_id: String,
    lid: String,
    specimen_id: String,
    question: String,
    preliminary: bool,
    comment: Option<&'static str>,
    outcome: Outcome,
}

/// What to order on a day.
enum Plan {
    Chemistry {
        /// Analyte keys and the chance each is drawn from the sick distribution.
        keys: Vec<(&'static str, f64)>,
        question: String,
    },
    Culture(&'static str),
}

/// A day within the last `years` years on which the patient was at least `min_age`.
fn day_from(ctx: &mut Ctx<'_>, min_age: u32, years: i64) -> NaiveDate {
    let earliest = ctx
        .patient
        .birth_date
        .checked_add_months(Months::new(min_age * 12))
        .unwrap_or(ctx.patient.birth_date);
    let from = earliest.max(ctx.today - Duration::days(years * 365));
    ctx.day_between(from.min(ctx.today), ctx.today)
}

fn labs_of(c: &Row) -> impl Iterator<Item = &'static str> + '_ {
    c.col(4).split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// The order's question: `Kontroll av essentiell hypertoni`, `Pneumoni?`.
fn question_for(c: &Row, chronic: bool) -> String {
    let name = c.col(1);
    let short = name.split(',').next().unwrap_or(name);
    if chronic {
        let mut chars = short.chars();
        let first: String = chars
            .next()
            .map(|f| f.to_lowercase().collect())
            .unwrap_or_default();
        format!("Kontroll av {first}{}", chars.as_str())
    } else {
        format!("{short}?")
    }
}

/// The story's plans, in chronological order.
fn plans(ctx: &mut Ctx<'_>) -> Vec<(NaiveDate, Plan)> {
    let mut plans = Vec::new();
    let age_now = ctx.age_on(ctx.today);
    let conditions = ctx.conditions;
    for c in conditions {
        let chronic = c.col(2) == "1";
        let min_age: u32 = c.col(5).parse().unwrap_or(0);
        let keys: Vec<&'static str> = labs_of(c).collect();
        let culture = match c.col(0) {
            "N39.0" => Some(("urin", 0.9)),
            "J06.9" | "H66.9" if age_now < 18 => Some(("svalg", 0.6)),
            "J06.9" | "H66.9" => Some(("svalg", 0.3)),
            "J18.9" => Some(("blod", 0.7)),
            "S72.0" => Some(("urin", 0.3)),
            "L20.9" => Some(("hud", 0.3)),
            _ => None,
        };
        let (episodes, years, p_sick) = if chronic {
            (ctx.rng.range(2, 6), 6, 0.55)
        } else {
            (ctx.rng.range(1, 2), 8, 0.85)
        };
        for _ in 0..episodes {
            let day = day_from(ctx, min_age, years);
            if !keys.is_empty() {
                plans.push((
                    day,
                    Plan::Chemistry {
                        keys: keys.iter().map(|k| (*k, p_sick)).collect(),
                        question: question_for(c, chronic),
                    },
                ));
            }
            if let Some((kind, p)) = culture
                && ctx.rng.chance(if chronic { p / 3.0 } else { p })
            {
                plans.push((day, Plan::Culture(kind)));
            }
        }
    }
    // General panels; more for older people.
    let general = match age_now {
        0..=17 => ctx.rng.range(0, 1),
        18..=69 => ctx.rng.range(0, 3),
        _ => ctx.rng.range(1, 4),
    };
    let affected = |key: &str| conditions.iter().any(|c| labs_of(c).any(|k| k == key));
    for _ in 0..general {
        let day = ctx.recent_day(10);
        let adult = ctx.age_on(day) >= 18;
        let panel = if adult { ADULT_PANEL } else { CHILD_PANEL };
        let keys: Vec<(&'static str, f64)> = panel
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 2 || ctx.rng.chance(0.6))
            .map(|(_, k)| (*k, if affected(k) { 0.35 } else { 0.0 }))
            .collect();
        let question = if adult {
            *ctx.rng.pick(&[
                "Trötthet sedan några månader",
                "Hälsokontroll",
                "Preoperativ provtagning",
                "Yrsel och trötthet, anemi?",
                "Viktnedgång?",
            ])
        } else {
            *ctx.rng
                .pick(&["Feber sedan fyra dagar", "Blek och trött, anemi?"])
        };
        plans.push((
            day,
            Plan::Chemistry {
                keys,
                question: question.into(),
            },
        ));
    }
    // An occasional urine culture for women.
    if ctx.patient.female && (18..=85).contains(&age_now) && ctx.rng.chance(0.08) {
        let day = ctx.recent_day(8);
        plans.push((day, Plan::Culture("urin")));
    }
    plans.sort_by_key(|(day, _)| *day);
    plans
}

/// The latest moment of the reference day: nothing happens after it.
fn cap(ctx: &Ctx<'_>, t: NaiveDateTime) -> NaiveDateTime {
    let end = ctx
        .today
        .and_hms_opt(23, 59, 59)
        .unwrap_or_else(|| ctx.today.and_time(chrono::NaiveTime::MIN));
    t.min(end)
}

fn digits(ctx: &mut Ctx<'_>, n: u32) -> String {
    let v = ctx.rng.below(10usize.pow(n));
    format!("{v:0width$}", width = n as usize)
}

/// The laboratory unit of a care giver: its HSA-id and name.
fn lab_unit(place: Place<'_>, chemistry: bool) -> (String, String) {
    let prefix = place
        .site
        .care_giver_hsa_id
        .split('-')
        .next()
        .unwrap_or("SE0000000000");
    if chemistry {
        (
            format!("{prefix}-LABK"),
            format!("Klinisk kemi, {}", place.site.care_giver_name),
        )
    } else {
        (
            format!("{prefix}-LABM"),
            format!("Klinisk mikrobiologi, {}", place.site.care_giver_name),
        )
    }
}

fn weighted<'r>(ctx: &mut Ctx<'_>, rows: &[&'r Row], col: usize) -> Option<&'r Row> {
    let total: f64 = rows.iter().map(|r| num(r, col).unwrap_or(0.0)).sum();
    let mut x = ctx.rng.unit() * total;
    for r in rows {
        x -= num(r, col).unwrap_or(0.0);
        if x < 0.0 {
            return Some(r);
        }
    }
    rows.last().copied()
}

fn order<'a>(ctx: &mut Ctx<'a>, day: NaiveDate, plan: Plan) -> Option<Order<'a>> {
    let place = ctx.place(&[SiteKind::Region, SiteKind::Private]);
    let sampled = ctx.at(day);
    let age = ctx.age_on(day);
    let birth = ctx.patient.birth_date.and_time(chrono::NaiveTime::MIN);
    let ordered = (sampled - Duration::minutes(ctx.rng.range(10, 5 * 24 * 60))).max(birth);
    let registered = sampled + Duration::minutes(ctx.rng.range(20, 180));
    let registered = cap(ctx, registered);
    let (outcome, question, answered) = match plan {
        Plan::Chemistry { keys, question } => {
            let mut measured = Vec::with_capacity(keys.len());
            for (key, p_sick) in keys {
                let sick = ctx.rng.chance(p_sick);
                if let Some(m) = measure(ctx, key, age, sick) {
                    measured.push(m);
                }
            }
            if measured.is_empty() {
                return None;
            }
            let answered = registered + Duration::minutes(ctx.rng.range(30, 600));
            (Outcome::Chemistry(measured), question, answered)
        }
        Plan::Culture(key) => {
            let culture = culture(key);
            let rows: Vec<&'static Row> = cultures().iter().filter(|r| r.col(0) == key).collect();
            let organism = weighted(ctx, &rows, 3)?;
            let tests = antibiotics()
                .iter()
                .filter(|a| a.col(0) == organism.col(1))
                .map(|a| {
                    let u = ctx.rng.unit();
                    let r = num(a, 2).unwrap_or(0.0);
                    let i = num(a, 3).unwrap_or(0.0);
                    let sir = if u < r {
                        Sir::R
                    } else if u < r + i {
                        Sir::I
                    } else {
                        Sir::S
                    };
                    (a.col(1), sir)
                })
                .collect();
            let answered = sampled + Duration::hours(ctx.rng.range(20, 96));
            (
                Outcome::Culture {
                    culture,
                    organism,
                    tests,
                },
                culture.question.to_owned(),
                answered,
            )
        }
    };
    let answered = cap(ctx, answered.max(registered));
    let chemistry = matches!(outcome, Outcome::Chemistry(_));
    let mut header = ctx.header(place, answered);
    header.document_title = Some(
        if chemistry {
            "Laboratoriesvar, klinisk kemi"
        } else {
            "Laboratoriesvar, klinisk mikrobiologi"
        }
        .into(),
    );
    if ctx.rng.chance(0.01) {
        header.nullified = Some(true);
        header.nullified_reason =
            Some("Felaktig patientidentitet på provröret – svaret makulerat".into());
    }
    let (lab_id, lab_name) = lab_unit(place, chemistry);
    let (staff_id, staff_name) = ctx.staff(place);
    let lab = HealthcareProfessional {
        author_time: Ctx::ts(answered),
        hsa_id: Some(staff_id),
        name: Some(staff_name),
        role_code: None,
        org_unit: Some(OrgUnit {
            hsa_id: lab_id.clone(),
            name: lab_name,
            telecom: None,
            email: None,
            address: None,
            location: None,
        }),
        care_unit_hsa_id: Some(lab_id),
        care_giver_hsa_id: Some(place.site.care_giver_hsa_id.clone()),
    };
    let comment = match &outcome {
        Outcome::Chemistry(m) => {
            let high_crp = m
                .iter()
                .any(|x| x.row.col(KEY) == "crp" && num_str(&x.value) > 100.0);
            let kalium = m.iter().any(|x| x.row.col(KEY) == "kalium");
            if high_crp {
                Some("Kraftigt förhöjt CRP. Svaret är telefonerat till beställande enhet.")
            } else if kalium && ctx.rng.chance(0.05) {
                Some("Lätt hemolys i provet, P-Kalium kan vara falskt förhöjt.")
            } else {
                None
            }
        }
        Outcome::Culture { organism, .. } if organism.col(1) != "-" => {
            Some("Resistensbestämning enligt NordicAST (EUCAST brytpunkter).")
        }
        Outcome::Culture { .. } => None,
    };
    let referral_id = format!("RID{}", digits(ctx, 10));
    let lid = format!("L{}{}", &Ctx::date(day)[2..], digits(ctx, 5));
    let specimen_id = format!("K{}", digits(ctx, 8));
    Some(Order {
        header,
        place,
        lab,
        ordered: Ctx::ts(ordered),
        sampled: Ctx::ts(sampled),
        registered: Ctx::ts(registered),
        answered: Ctx::ts(answered),
        referral_id,
        lid,
        specimen_id,
        question,
        preliminary: ctx.rng.chance(if chemistry { 0.03 } else { 0.1 }),
        comment,
        outcome,
    })
}

fn num_str(s: &str) -> f64 {
    s.parse().unwrap_or(0.0)
}

fn lab_id<'o>(o: &'o Order<'_>) -> &'o str {
    o.lab.care_unit_hsa_id.as_deref().unwrap_or("")
}

/// The 3.1 answer (chemistry only).
fn to_v3(o: &Order<'_>) -> Option<v3::LaboratoryOrderOutcome> {
    let Outcome::Chemistry(measured) = &o.outcome else {
        return None;
    };
    let lab = lab_id(o);
    let attest = !o.preliminary;
    let analyses = measured
        .iter()
        .enumerate()
        .map(|(i, m)| v3::Analysis {
            id: Ii::new(lab, &format!("{}-{}", o.lid, i + 1)),
            time: Some(v3::TimePeriod {
                start: Some(o.registered.clone()),
                end: Some(o.answered.clone()),
            }),
            code: Some(npu_code(m.row)),
            text: None,
            status: None,
            comment: None,
            specimen: Some(
                if m.row.col(NAME).starts_with("P-") {
                    "Plasma"
                } else {
                    "Helblod"
                }
                .into(),
            ),
            method: None,
            related: Vec::new(),
            outcome: Some(v3::AnalysisOutcome {
                value: m.value.clone(),
                unit: Some(m.row.col(UNIT).into()),
                observation_time: Some(o.answered.clone()),
                pathological: m.flag != Flag::Normal,
                description: match m.flag {
                    Flag::High => Some(ABOVE.1.into()),
                    Flag::Low => Some(BELOW.1.into()),
                    Flag::Normal => None,
                },
                reference_interval: interval_text(m.row),
                reference_population: Some(population(m.row)),
            }),
            attested: attest.then(|| v3::Attested {
                time: o.answered.clone(),
                hsa_id: o.lab.hsa_id.clone().unwrap_or_default(),
                name: o.lab.name.clone(),
            }),
        })
        .collect();
    Some(v3::LaboratoryOrderOutcome {
        header: o.header.clone(),
        body: v3::LaboratoryOrderOutcomeBody {
            result_type: if o.preliminary { "PREL" } else { "DEF" }.into(),
            registration_time: o.registered.clone(),
            discipline: "Klinisk kemi".into(),
            result_report: None,
            result_comment: o.comment.map(str::to_owned),
            accountable: Some(o.lab.clone()),
            analyses,
            order: v3::Order {
                order_id: o.referral_id.clone(),
                order_reason: Some(o.question.clone()),
            },
        },
    })
}

fn snomed(code: &str, name: &str) -> Cv {
    Cv::coded(code, v4::SNOMED_CT, name)
}

fn named(name: &str) -> Cv {
    Cv {
        original_text: Some(name.into()),
        ..Cv::default()
    }
}

fn specimen(o: &Order<'_>, material: Cv) -> v4::Specimen {
    v4::Specimen {
        identifier: Some(Ii::new(lab_id(o), &o.specimen_id)),
        material: Some(material),
        timestamp: o.sampled.clone(),
        anatomical_location: None,
        comment: None,
    }
}

fn plain_result(value: v4::Value) -> v4::AnalysisResult {
    v4::AnalysisResult {
        result_type: None,
        value,
        comment: None,
        interpretations: Vec::new(),
        reference: None,
        related: Vec::new(),
    }
}

fn analysis(code: Cv, results: Vec<v4::AnalysisResult>) -> v4::Analysis {
    v4::Analysis {
        identifier: None,
        timestamp: None,
        code,
        method: None,
        status: None,
        comment: None,
        accredited: None,
        specimens: Vec::new(),
        results,
    }
}

/// The 4.0 answer (chemistry and microbiology); `None` for nullified answers.
fn to_v4(o: &Order<'_>, signed: Option<String>) -> Option<v4::LaboratoryOrderOutcome> {
    if o.header.nullified == Some(true) {
        return None;
    }
    let lab = lab_id(o);
    let mut header = Header::from_first_generation(&o.header);
    // Lab 4: blocks compare against the sampling time; the author has no org unit.
    header.access_control.block_comparison_time = o.sampled.clone();
    if let Some(a) = header.author.as_mut() {
        a.org_unit = None;
    }
    let group = match &o.outcome {
        Outcome::Chemistry(measured) => v4::AnalysisGroup {
            name: Some("Klinisk kemi".into()),
            comment: None,
            code: None,
            analyses: measured
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let unit = m.row.col(UNIT).to_owned();
                    let material = if m.row.col(NAME).starts_with("P-") {
                        snomed("119361006", "Plasma")
                    } else {
                        snomed("119297000", "Blod")
                    };
                    let interpretations = match m.flag {
                        Flag::High => vec![snomed(ABOVE.0, ABOVE.1)],
                        Flag::Low => vec![snomed(BELOW.0, BELOW.1)],
                        Flag::Normal => Vec::new(),
                    };
                    let opt = |c: usize| Some(m.row.col(c).to_owned()).filter(|s| !s.is_empty());
                    v4::Analysis {
                        identifier: Some(Ii::new(lab, &format!("{}-{}", o.lid, i + 1))),
                        timestamp: Some(o.answered.clone()),
                        accredited: Some(true),
                        specimens: vec![specimen(o, material)],
                        results: vec![v4::AnalysisResult {
                            interpretations,
                            reference: Some(v4::Reference {
                                interval: Some(v4::PqInterval {
                                    low: opt(LOW),
                                    low_closed: None,
                                    high: opt(HIGH),
                                    high_closed: None,
                                    unit: unit.clone(),
                                }),
                                description: None,
                                population: Some(population(m.row)),
                                comment: None,
                            }),
                            ..plain_result(v4::Value::Pq(v4::Pq {
                                value: m.value.clone(),
                                unit,
                            }))
                        }],
                        ..analysis(npu_code(m.row), Vec::new())
                    }
                })
                .collect(),
        },
        Outcome::Culture {
            culture,
            organism,
            tests,
        } => {
            let result = if organism.col(1) == "-" {
                plain_result(v4::Value::St(organism.col(2).into()))
            } else {
                v4::AnalysisResult {
                    comment: Some(culture.growth.into()),
                    interpretations: vec![snomed(ABNORMAL.0, ABNORMAL.1)],
                    related: tests
                        .iter()
                        .map(|(name, sir)| {
                            let (code, display) = sir.code();
                            analysis(
                                named(name),
                                vec![plain_result(v4::Value::Cv(snomed(code, display)))],
                            )
                        })
                        .collect(),
                    ..plain_result(v4::Value::Cv(snomed(organism.col(1), organism.col(2))))
                }
            };
            v4::AnalysisGroup {
                name: Some(culture.name.into()),
                comment: None,
                code: None,
                analyses: vec![v4::Analysis {
                    identifier: Some(Ii::new(lab, &format!("{}-1", o.lid))),
                    timestamp: Some(o.answered.clone()),
                    accredited: Some(true),
                    specimens: vec![specimen(o, snomed(culture.material.0, culture.material.1))],
                    ..analysis(named(culture.name), vec![result])
                }],
            }
        }
    };
    let a = &o.header.accountable;
    let unit = v4::OrgUnit {
        id: Some(Ii::hsa(&o.place.unit.hsa_id)),
        name: o.place.unit.name.clone(),
    };
    let (status, status_name) = if o.preliminary {
        ("preliminary", "Preliminärt svar")
    } else {
        ("final", "Slutsvar")
    };
    Some(v4::LaboratoryOrderOutcome {
        header,
        body: v4::LaboratoryOrderOutcomeBody {
            identifier: Ii::new(lab, &format!("S{}", o.lid)),
            laboratory_identifier: Some(Ii::new(lab, &o.lid)),
            report_type: Cv::coded(status, v4::REPORT_STATUS, status_name),
            text: o.comment.map(str::to_owned),
            referral: v4::Referral {
                identifier: Ii::new(&o.place.site.source_system, &o.referral_id),
                timestamp: o.ordered.clone(),
                question: Some(o.question.clone()),
                requester: v4::Actor {
                    id: a.hsa_id.as_deref().map(Ii::hsa),
                    name: a.name.clone().unwrap_or_else(|| "Okänd beställare".into()),
                    by_role: None,
                    org_unit: Some(unit.clone()),
                },
            },
            groups: vec![group],
            recipient_unit: unit,
            recipient_signature: signed.map(|t| Signature {
                id: a.hsa_id.as_deref().map(Ii::hsa),
                name: a.name.clone(),
                timestamp: t,
                by_role: None,
            }),
            contact_information: Some(format!(
                "Laboratoriemedicin, {}: kundtjänst vardagar 08–16",
                o.place.site.care_giver_name
            )),
        },
    })
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let plans = plans(&mut ctx);
    let mut lab3 = Vec::with_capacity(plans.len());
    let mut lab4 = Vec::with_capacity(plans.len());
    for (day, plan) in plans {
        let Some(o) = order(&mut ctx, day, plan) else {
            continue;
        };
        // The recipient signs the answer into the record within two working days, mostly.
        let signed = ctx.rng.chance(0.8).then(|| {
            let answered = parse_ts(&o.answered);
            let day = answered.date() + Duration::days(ctx.rng.range(0, 2));
            let mut t = ctx.at(day);
            if t <= answered {
                t = answered + Duration::minutes(ctx.rng.range(10, 120));
            }
            Ctx::ts(cap(&ctx, t))
        });
        if let Some(item) = to_v3(&o) {
            lab3.push(item);
        }
        if let Some(item) = to_v4(&o, signed) {
            lab4.push(item);
        }
    }
    sink.put::<GetLaboratoryOrderOutcomeV3>(lab3)?;
    sink.put::<GetLaboratoryOrderOutcomeV4>(lab4)
}

fn parse_ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::generated;
    use npo_riv::Contract;
    use std::collections::{BTreeMap, BTreeSet};

    fn outside(value: &str, interval: &str) -> bool {
        let v: f64 = value.parse().unwrap();
        if let Some(h) = interval.strip_prefix('<') {
            v > h.parse::<f64>().unwrap()
        } else if let Some(l) = interval.strip_prefix('>') {
            v < l.parse::<f64>().unwrap()
        } else {
            let (l, h) = interval.split_once('–').unwrap();
            v < l.parse::<f64>().unwrap() || v > h.parse::<f64>().unwrap()
        }
    }

    #[test]
    fn every_analyte_key_of_the_conditions_is_mapped() {
        for c in crate::codes::conditions() {
            for key in labs_of(c) {
                for (female, age) in [(true, 40), (false, 80), (true, 5), (false, 0)] {
                    let r = reference(key, female, age).unwrap_or_else(|| panic!("{key}"));
                    assert!(num(r, MEAN).is_some() && num(r, SICK_SD).is_some(), "{key}");
                    assert!(r.col(CODE).is_empty() || r.col(CODE).starts_with("NPU"));
                }
            }
        }
    }

    #[test]
    fn laboratory_v3_is_coherent() {
        let items = generated::<GetLaboratoryOrderOutcomeV3>(300);
        let patients: BTreeSet<&str> = items
            .iter()
            .map(|i| i.header.patient_id.id.as_str())
            .collect();
        assert!(
            patients.len() > 150,
            "{} patients with lab results",
            patients.len()
        );
        let codes: BTreeSet<&str> = npu().iter().map(|r| r.col(CODE)).collect();
        let (mut total, mut abnormal) = (0usize, 0usize);
        for item in &items {
            assert_eq!(item.body.discipline, "Klinisk kemi");
            for a in &item.body.analyses {
                let c = a.code.as_ref().unwrap();
                assert!(
                    c.code.as_deref().is_some_and(|k| codes.contains(k))
                        || c.original_text.is_some()
                );
                let o = a.outcome.as_ref().unwrap();
                let interval = o.reference_interval.as_deref().unwrap();
                assert_eq!(o.pathological, outside(&o.value, interval), "{o:?}");
                total += 1;
                abnormal += usize::from(o.pathological);
            }
        }
        let share = abnormal as f64 / total as f64;
        assert!((0.08..0.5).contains(&share), "abnormal share {share}");
        assert!(items.iter().any(|i| i.header.nullified == Some(true)));
        assert!(items.iter().any(|i| !i.header.approved_for_patient));
        let v = GetLaboratoryOrderOutcomeV3::view(&items[0]);
        assert!(!v.title.is_empty() && v.fields.iter().any(|(l, _)| *l == "Resultat"));
    }

    #[test]
    fn laboratory_v4_tells_the_same_story_plus_microbiology() {
        let v4_items = generated::<GetLaboratoryOrderOutcomeV4>(300);
        let v3_items = generated::<GetLaboratoryOrderOutcomeV3>(300);
        let by_id: BTreeMap<&str, &v4::LaboratoryOrderOutcome> = v4_items
            .iter()
            .map(|i| (i.header.document_id(), i))
            .collect();
        for old in v3_items.iter().filter(|i| i.header.nullified.is_none()) {
            let new = by_id
                .get(old.header.document_id.as_str())
                .unwrap_or_else(|| panic!("{} missing in 4.0", old.header.document_id));
            let values: Vec<String> = new
                .body
                .analyses()
                .flat_map(|a| a.results.iter())
                .map(|r| match &r.value {
                    v4::Value::Pq(p) => p.value.clone(),
                    other => panic!("{other:?}"),
                })
                .collect();
            let old_values: Vec<String> = old
                .body
                .analyses
                .iter()
                .map(|a| a.outcome.as_ref().unwrap().value.clone())
                .collect();
            assert_eq!(values, old_values);
            assert_eq!(new.body.referral.identifier.id(), old.body.order.order_id);
        }
        // Microbiology: organisms from the list, S/I/R results, some resistance.
        let organisms: BTreeSet<&str> = cultures().iter().map(|r| r.col(1)).collect();
        let (mut cultures_found, mut growth, mut sir, mut resistant) = (0, 0, 0, 0);
        for item in &v4_items {
            for a in item.body.analyses() {
                let name = a.code.original_text.as_deref();
                if CULTURES.iter().any(|c| Some(c.name) == name) {
                    cultures_found += 1;
                }
                for r in &a.results {
                    if let v4::Value::Cv(c) = &r.value {
                        assert!(organisms.contains(c.code.as_deref().unwrap()));
                        growth += 1;
                        for t in &r.related {
                            let v4::Value::Cv(x) = &t.results[0].value else {
                                panic!("S/I/R is a code");
                            };
                            sir += 1;
                            resistant += usize::from(x.display_name.as_deref() == Some("R"));
                        }
                    }
                }
            }
        }
        assert!(cultures_found > 10, "{cultures_found} cultures");
        assert!(
            growth > 5 && sir > 15 && resistant > 0,
            "{growth} {sir} {resistant}"
        );
        assert!(
            v4_items
                .iter()
                .any(|i| GetLaboratoryOrderOutcomeV4::view(i).attention)
        );
    }
}
