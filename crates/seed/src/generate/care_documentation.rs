//! Clinical notes: GetCareDocumentation 2.1 and 3.0 from one story.
//!
//! The story follows the patient's conditions (`data/care_notes.tsv` holds Swedish phrases per
//! condition: contact reason, anamnesis, findings, assessment and plan, each in a stable and a
//! worse variant, and a home-care phrase): investigation (`utr`), follow-up visits (`bes`),
//! treatments (`atb`), telephone contacts (`auf`) and yearly summaries (`sam`) at health centres
//! and clinics; hospital stays with admission (`ins`), ward notes (`sva`) and a discharge note
//! (`slu`); and, for frail older patients, a municipal home-care episode (`ins`, home visits,
//! treatments, coordination `sao`, calls, closure). Regions and private providers write visit,
//! admission and discharge notes; municipalities write home-care notes.
//!
//! Both versions carry the same notes under the same document ids. About 2 % of 2.1 notes are
//! nullified (written in the wrong record); 3.0 has no `nullified` and does not deliver them.

use super::{Env, Sink};
use crate::code_list;
use crate::codes::Row;
use crate::ctx::{Ctx, Place, SiteKind};
use crate::generate::laboratory;
use chrono::{Duration, Months, NaiveDate, NaiveDateTime};
use npo_riv::contracts::access_control_header::{Header, Ii};
use npo_riv::contracts::care_documentation_v2::{
    self as v2, ClinicalDocumentNote, GetCareDocumentationV2,
};
use npo_riv::contracts::care_documentation_v3::{
    self as v3, CareDocumentationBody, GetCareDocumentationV3, note_code,
};

code_list!(pub fn care_notes() = "care_notes.tsv");

/// Document-id label: the engagement-index categorization.
const LABEL: &str = "voo";

// Columns of care_notes.tsv.
const REASON: usize = 1;
const ANAMNESIS: usize = 2;
const FINDINGS: usize = 3;
const ASSESSMENT: usize = 4;
const PLAN: usize = 5;
const HOME_CARE: usize = 6;

/// Conditions whose worse course means a hospital stay.
const ADMITTING: &[&str] = &["J18.9", "S72.0", "K35.8"];
/// Chronic conditions that sometimes worsen into a hospital stay.
const SOMETIMES_ADMITTING: &[&str] = &["I50.9", "J44.9", "I48.9"];
/// Acute conditions with a course: a follow-up visit after the acute one.
const FOLLOW_UP: &[&str] = &["S52.5", "S72.0", "K35.8"];
/// Conditions that make home care likely in old age.
const FRAILTY: &[&str] = &["G30.9", "S72.0", "I50.9", "J44.9", "G20.9"];

/// General visits: reason, anamnesis, findings, assessment, plan.
type Visit = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// General visits of adults without chronic conditions.
const HEALTHY_VISITS: &[Visit] = &[
    (
        "Hälsokontroll",
        "Kommer för hälsokontroll. Inga aktuella besvär. Motionerar regelbundet.",
        "BT 124/78, BMI 24. Hjärta och lungor utan anmärkning.",
        "Frisk.",
        "Inga åtgärder.",
    ),
    (
        "Intyg",
        "Behöver läkarintyg för körkort. Inga kända sjukdomar av betydelse.",
        "Visus med glasögon 1,0 bilateralt. Neurologiskt utan anmärkning.",
        "Inga hinder för körkortsinnehav.",
        "Intyg utfärdat.",
    ),
];

/// General visits of any adult.
const ADULT_VISITS: &[Visit] = &[
    (
        "Hudförändring",
        "Pigmenterad hudförändring på ryggen som patienten vill få bedömd.",
        "Regelbundet pigmenterat nevus, 5 mm, på ryggen. Dermatoskopi med benignt mönster.",
        "Benignt nevus.",
        "Ingen åtgärd. Åter vid förändring.",
    ),
    (
        "Ont i axeln",
        "Värk i höger axel sedan några veckor, särskilt vid arbete ovanför huvudet.",
        "Smärtbåge vid abduktion 70–120 grader. Full passiv rörlighet.",
        "Subakromiell smärta.",
        "Fysioterapi. Smärtlindring vid behov.",
    ),
];

const CHILD_VISITS: &[Visit] = &[
    (
        "Hälsobesök",
        "Föräldrarna har inga särskilda frågor. Äter och sover bra.",
        "Längd och vikt följer kurvan. Hjärta och lungor utan anmärkning.",
        "Frisk.",
        "Nästa besök enligt programmet.",
    ),
    (
        "Feber",
        "Feber sedan två dagar, leker emellanåt och dricker bra.",
        "Opåverkad. Öron, svalg och lungor utan anmärkning.",
        "Virusinfektion.",
        "Febernedsättande vid behov. Åter vid försämring.",
    ),
];

const CALLS: &[&str] = &[
    "Patienten ringer och undrar över provsvaren. Informerad om att de är i stort sett oförändrade.",
    "Telefonuppföljning efter besöket: mår bättre, ingen ytterligare åtgärd behövs.",
    "Receptförnyelse efter telefonkontakt. Oförändrad dosering.",
    "Patienten ringer om biverkningar. Råd om att ta läkemedlet med mat, ny kontakt vid kvarstående besvär.",
];

const RECOVERED: &[&str] = &[
    "Mår bättre, inga nya besvär. Ingen ytterligare åtgärd.",
    "Successivt bättre. Åter vid försämring.",
    "Fortfarande lite trött men på bättringsvägen.",
];

const WARD_DAYS: &[&str] = &[
    "Har sovit bättre i natt. Afebril. Äter och dricker.",
    "Fortsatt syrgasbehov 1 L/min. Mobiliseras till stol med stöd.",
    "Morgonens blodprover visar sjunkande inflammationsvärden. Planen oförändrad.",
    "Lite orolig under natten, lugnare efter samtal. Vitalparametrar stabila.",
];

const SURGICAL_DAYS: &[&str] = &[
    "Opererad i går. Smärtlindringen fungerar, mobiliseras till stol.",
    "Operationssåret fint, inga tecken på infektion. Äter och dricker.",
    "Går med rollator i korridoren med stöd av personal. Afebril.",
];

/// Conditions treated on a surgical ward.
const SURGICAL: &[&str] = &["S72.0", "K35.8"];

const HOME_VISITS: &[&str] = &[
    "Hembesök. Sitter i fåtöljen och är vid gott humör. BT 134/78, puls 72, saturation 96 %. Dosetten delad för två veckor.",
    "Hembesök för såromläggning på vänster underben. Såret är rent och något mindre än förra veckan.",
    "Hembesök. Trött i dag och har ätit dåligt. Vätskelista påbörjad. Kontakt med vårdcentralen vid försämring.",
    "Hembesök. Har fallit i badrummet utan skador. Arbetsterapeut kontaktad för bedömning av hjälpmedel.",
];

const HOME_TREATMENTS: &[&str] = &[
    "Läkemedelsadministrering: veckodosett iordningställd enligt aktuell läkemedelslista.",
    "Injektion av B12 given intramuskulärt enligt ordination.",
    "Såromläggning enligt ordination. Ingen rodnad eller svullnad runt såret.",
    "Kompressionsbehandling av underbenen. Huden hel.",
];

const HOME_CALLS: &[&str] = &[
    "Telefonsamtal med dottern som undrar över läkemedlen. Informerad om aktuell dosering.",
    "Telefonkontakt med vårdcentralens läkare angående ökade ödem. Ordination: extra dos diuretika i tre dagar.",
    "Hemtjänsten ringer: patienten har inte velat äta i dag. Hembesök planeras i morgon.",
];

/// One note as both versions tell it (the header is made when the notes are in order).
struct Draft<'a> {
    place: Place<'a>,
    time: NaiveDateTime,
    code: &'static str,
    title: String,
    text: String,
}

/// Variant `v` (0 = stable, 1 = worse) of a two-variant column.
fn variant(row: &Row, col: usize, v: usize) -> &'static str {
    let text = row.col(col);
    text.split('|').nth(v).unwrap_or(text)
}

fn phrases(icd10: &str) -> Option<&'static Row> {
    care_notes().iter().find(|r| r.col(0) == icd10)
}

/// `Akut appendicit, annan och ospecificerad` → `akut appendicit`.
fn condition_name(c: &Row) -> String {
    let name = c.col(1);
    lower_first(name.split(',').next().unwrap_or(name))
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A site of one of `kinds`, at a unit whose name contains one of `words` when there is one.
fn place_at<'a>(ctx: &mut Ctx<'a>, kinds: &[SiteKind], words: &[&str]) -> Place<'a> {
    let p = ctx.place(kinds);
    match p
        .site
        .units
        .iter()
        .find(|u| words.iter().any(|w| u.name.contains(w)))
    {
        Some(unit) => Place { site: p.site, unit },
        None => p,
    }
}

fn health_centre<'a>(ctx: &mut Ctx<'a>) -> Place<'a> {
    place_at(
        ctx,
        &[SiteKind::Region, SiteKind::Private],
        &["Vårdcentral", "Hälsocentral"],
    )
}

fn hospital<'a>(ctx: &mut Ctx<'a>) -> Place<'a> {
    place_at(
        ctx,
        &[SiteKind::Region],
        &["klinik", "sjukhus", "Avdelning"],
    )
}

fn emergency<'a>(ctx: &mut Ctx<'a>) -> Place<'a> {
    place_at(ctx, &[SiteKind::Region], &["Akut"])
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

/// `Kontaktorsak / Anamnes / Status / Bedömning / Åtgärd` of a visit.
fn visit_text(
    reason: &str,
    anamnesis: &str,
    findings: &str,
    assessment: &str,
    plan: &str,
) -> String {
    format!(
        "Kontaktorsak: {reason}.\n\nAnamnes: {anamnesis}\n\nStatus: {findings}\n\nBedömning: {assessment}\n\nÅtgärd: {plan}"
    )
}

fn visit(row: &Row, v: usize) -> (String, String) {
    let reason = row.col(REASON);
    (
        reason.to_owned(),
        visit_text(
            reason,
            variant(row, ANAMNESIS, v),
            variant(row, FINDINGS, v),
            variant(row, ASSESSMENT, v),
            variant(row, PLAN, v),
        ),
    )
}

/// Lab analyses ordered for a condition, by their Swedish names.
fn lab_names(ctx: &Ctx<'_>, condition: &Row, age: u32) -> Vec<&'static str> {
    condition
        .col(4)
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .filter_map(|k| laboratory::reference(k, ctx.patient.female, age).map(|r| r.col(2)))
        .collect()
}

struct Story<'a> {
    notes: Vec<Draft<'a>>,
}

impl<'a> Story<'a> {
    fn add(
        &mut self,
        place: Place<'a>,
        time: NaiveDateTime,
        code: &'static str,
        title: String,
        text: String,
    ) {
        self.notes.push(Draft {
            place,
            time,
            code,
            title,
            text,
        });
    }
}

/// A hospital stay from `day`: admission, ward notes, discharge (if it ended before today).
fn stay<'a>(
    ctx: &mut Ctx<'a>,
    story: &mut Story<'a>,
    row: &Row,
    name: &str,
    day: NaiveDate,
) -> Option<NaiveDate> {
    let ward = hospital(ctx);
    let reason = row.col(REASON);
    let t = ctx.at(day);
    story.add(
        ward,
        t,
        "ins",
        "Inskrivningsanteckning".into(),
        format!(
            "Inskrivning på {}.\n\nKontaktorsak: {reason}.\n\nAnamnes: {}\n\nStatus: {}\n\nBedömning: {}\n\nPlan: Vätska och smärtlindring enligt ordination. Kontroll av vitalparametrar var fjärde timme.",
            ward.unit.name,
            variant(row, ANAMNESIS, 1),
            variant(row, FINDINGS, 1),
            variant(row, ASSESSMENT, 1),
        ),
    );
    let days = ctx.rng.range(2, 6);
    for d in 1..days {
        let day_n = day + Duration::days(d);
        if day_n > ctx.today {
            return None;
        }
        let progress = if SURGICAL.contains(&row.col(0)) {
            *ctx.rng.pick(SURGICAL_DAYS)
        } else {
            *ctx.rng.pick(WARD_DAYS)
        };
        let t = ctx.at(day_n);
        story.add(
            ward,
            t,
            "sva",
            "Daganteckning".into(),
            format!("Vårddag {}. {progress}", d + 1),
        );
    }
    let out = day + Duration::days(days);
    if out > ctx.today {
        return None;
    }
    let t = ctx.at(out);
    story.add(
        ward,
        t,
        "slu",
        "Slutanteckning".into(),
        format!(
            "Vårdtid {} – {} på {} på grund av {name}.\n\nFörlopp: Successiv förbättring under vårdtiden.\n\nVid utskrivning: {}\n\nUppföljning: {}",
            Ctx::date(day),
            Ctx::date(out),
            ward.unit.name,
            variant(row, ASSESSMENT, 0),
            variant(row, PLAN, 0),
        ),
    );
    Some(out)
}

/// The notes of one condition. Returns the day of the last discharge from hospital, if any.
fn condition_notes<'a>(ctx: &mut Ctx<'a>, story: &mut Story<'a>, c: &Row) -> Option<NaiveDate> {
    let row = phrases(c.col(0))?;
    let icd = c.col(0);
    let min_age: u32 = c.col(5).parse().unwrap_or(0);
    // The condition's name as written in running text: `essentiell hypertoni`.
    let name = condition_name(c);
    if c.col(2) == "1" {
        chronic_notes(ctx, story, c, row, min_age, &name)
    } else {
        let mut discharged = None;
        for _ in 0..ctx.rng.range(1, 2) {
            let day = day_from(ctx, min_age, 8);
            // Variant 1 is the acute or severe presentation; for conditions with a course
            // (fractures, appendicitis) variant 0 is the follow-up afterwards.
            let with_course = FOLLOW_UP.contains(&icd);
            let v = usize::from(with_course || icd == "S72.0" || ctx.rng.chance(0.5));
            let admit = v == 1 && ADMITTING.contains(&icd);
            let place = if admit || ctx.rng.chance(0.2) {
                emergency(ctx)
            } else {
                health_centre(ctx)
            };
            let t = ctx.at(day);
            let (title, text) = visit(row, v);
            story.add(place, t, "bes", title, text);
            let mut after = day;
            if admit {
                match stay(ctx, story, row, &name, day) {
                    Some(out) => {
                        discharged = Some(out);
                        after = out;
                    }
                    None => continue,
                }
            }
            if with_course || admit {
                let later = after + Duration::days(ctx.rng.range(7, 42));
                if later <= ctx.today {
                    let place = health_centre(ctx);
                    let t = ctx.at(later);
                    let (title, text) = visit(row, 0);
                    story.add(place, t, "bes", title, text);
                }
            } else if ctx.rng.chance(0.3) {
                let later = (day + Duration::days(ctx.rng.range(2, 5))).min(ctx.today);
                let t = ctx.at(later).max(t);
                story.add(
                    place,
                    t,
                    "auf",
                    "Telefonuppföljning".into(),
                    format!(
                        "Telefonuppföljning efter besöket för {name}. {}",
                        ctx.rng.pick(RECOVERED)
                    ),
                );
            }
        }
        discharged
    }
}

/// A chronic condition: investigation at onset, follow-up visits with treatments and calls, and
/// sometimes a hospital stay when it worsens.
fn chronic_notes<'a>(
    ctx: &mut Ctx<'a>,
    story: &mut Story<'a>,
    c: &Row,
    row: &Row,
    min_age: u32,
    name: &str,
) -> Option<NaiveDate> {
    let icd = c.col(0);
    let onset = day_from(ctx, min_age, 8);
    let age = ctx.age_on(onset);
    let labs = lab_names(ctx, c, age);
    // The investigation at onset, when it is within the record's reach.
    if ctx.rng.chance(0.5) {
        let place = health_centre(ctx);
        let t = ctx.at(onset);
        let tests = if labs.is_empty() {
            "Ingen provtagning.".to_owned()
        } else {
            format!("Provtagning: {}.", labs.join(", "))
        };
        story.add(
            place,
            t,
            "utr",
            format!("Utredning – {name}"),
            format!(
                "Anamnes: {}\n\nStatus: {}\n\nUtredning: {tests}\n\nBedömning: {}\n\nPlan: {}",
                variant(row, ANAMNESIS, 1),
                variant(row, FINDINGS, 1),
                variant(row, ASSESSMENT, 1),
                variant(row, PLAN, 1),
            ),
        );
    }
    let first = (onset + Duration::days(14)).min(ctx.today);
    let mut days: Vec<NaiveDate> = (0..ctx.rng.range(1, 4))
        .map(|_| ctx.day_between(first, ctx.today))
        .collect();
    days.sort();
    let mut discharged = None;
    for day in days {
        let v = usize::from(ctx.rng.chance(0.35));
        let place = health_centre(ctx);
        let t = ctx.at(day);
        let (title, text) = visit(row, v);
        story.add(place, t, "bes", title, text);
        if v == 1 && ctx.rng.chance(0.3) {
            let t = t + Duration::minutes(ctx.rng.range(10, 60));
            story.add(
                place,
                t,
                "atb",
                format!("Behandling – {name}"),
                format!("Åtgärd: {}", variant(row, PLAN, 1)),
            );
        }
        if v == 1 && SOMETIMES_ADMITTING.contains(&icd) && ctx.rng.chance(0.25) {
            discharged = stay(ctx, story, row, name, day).or(discharged);
        }
        if ctx.rng.chance(0.4) {
            let later = (day + Duration::days(ctx.rng.range(7, 60))).min(ctx.today);
            let t = ctx.at(later).max(t);
            // Questions about test results only where there were tests.
            let calls = if labs.is_empty() { &CALLS[1..] } else { CALLS };
            story.add(
                place,
                t,
                "auf",
                "Telefonkontakt".into(),
                format!("Telefonkontakt angående {name}. {}", ctx.rng.pick(calls)),
            );
        }
    }
    discharged
}

/// A municipal home-care episode for a frail older patient.
fn home_care<'a>(ctx: &mut Ctx<'a>, story: &mut Story<'a>, after: Option<NaiveDate>) {
    let place = ctx.place(&[SiteKind::Municipality]);
    if place.site.kind != SiteKind::Municipality {
        return;
    }
    let start = match after {
        Some(d) => d,
        None => ctx.recent_day(4),
    };
    let conditions = ctx.conditions;
    let names: Vec<String> = conditions
        .iter()
        .filter(|c| c.col(2) == "1")
        .map(|c| condition_name(c))
        .collect();
    let age = ctx.age_on(start);
    let who = if ctx.patient.female { "kvinna" } else { "man" };
    let background = if names.is_empty() {
        format!("{age}-årig {who}, tidigare i stort sett frisk.")
    } else {
        format!("{age}-årig {who} med {}.", names.join(", "))
    };
    let t = ctx.at(start);
    story.add(
        place,
        t,
        "ins",
        "Inskrivning i hemsjukvården".into(),
        format!(
            "Inskrivning i kommunal hemsjukvård.\n\nBakgrund: {background} Klarar inte längre att ta sig till vårdcentralen.\n\nInsatser: läkemedelshantering, tillsyn och omvårdnad.\n\nKontaktperson: distriktssköterska i hemsjukvården."
        ),
    );
    let home_phrases: Vec<&'static str> = conditions
        .iter()
        .filter_map(|c| phrases(c.col(0)))
        .map(|r| r.col(HOME_CARE))
        .filter(|p| !p.is_empty())
        .collect();
    let mut day = start;
    let visits = ctx.rng.range(3, 10);
    for i in 0..visits {
        day += Duration::days(ctx.rng.range(3, 30));
        if day > ctx.today {
            return;
        }
        let t = ctx.at(day);
        let (code, title, text) = match ctx.rng.below(10) {
            0..=4 => {
                let text = if !home_phrases.is_empty() && ctx.rng.chance(0.4) {
                    (*ctx.rng.pick(&home_phrases)).to_owned()
                } else {
                    (*ctx.rng.pick(HOME_VISITS)).to_owned()
                };
                ("bes", "Hembesök", text)
            }
            5..=6 => (
                "atb",
                "Åtgärd i hemmet",
                (*ctx.rng.pick(HOME_TREATMENTS)).to_owned(),
            ),
            7..=8 => ("auf", "Telefonkontakt", (*ctx.rng.pick(HOME_CALLS)).to_owned()),
            _ => ("sao", "Samordnad individuell plan", "Samordnad individuell plan (SIP) upprättad tillsammans med patienten, anhörig, hemtjänsten och vårdcentralen. Mål: att kunna bo kvar hemma med trygghet.".to_owned()),
        };
        story.add(place, t, code, title.into(), text);
        if i == 0 && after.is_some() {
            // The region's side of the discharge: coordinated care planning.
            let region = health_centre(ctx);
            story.add(
                region,
                t,
                "sao",
                "Samordnad vårdplanering".into(),
                "Samordnad vårdplanering efter utskrivning från sjukhuset tillsammans med kommunens hemsjukvård. Hemsjukvården tar över läkemedelshantering och såromläggningar. Uppföljande besök på vårdcentralen om en månad.".into(),
            );
        }
    }
    day += Duration::days(ctx.rng.range(7, 60));
    if day <= ctx.today && ctx.rng.chance(0.3) {
        let t = ctx.at(day);
        let why = if ctx.rng.chance(0.5) {
            "Patienten klarar nu sin läkemedelshantering med stöd av hemtjänsten."
        } else {
            "Patienten flyttar till särskilt boende."
        };
        story.add(
            place,
            t,
            "slu",
            "Avslut i hemsjukvården".into(),
            format!("Avslut i kommunal hemsjukvård. {why}"),
        );
    }
}

/// The whole story, in time order.
fn story<'a>(ctx: &mut Ctx<'a>) -> Vec<Draft<'a>> {
    let mut story = Story { notes: Vec::new() };
    let conditions = ctx.conditions;
    let mut discharged = None;
    for c in conditions {
        if let Some(d) = condition_notes(ctx, &mut story, c) {
            discharged = Some(d);
        }
    }
    // A yearly summary for patients with several chronic conditions.
    let chronic: Vec<&&Row> = conditions.iter().filter(|c| c.col(2) == "1").collect();
    if chronic.len() >= 2 {
        for _ in 0..ctx.rng.range(1, 2) {
            let day = ctx.recent_day(5);
            let place = health_centre(ctx);
            let t = ctx.at(day);
            let list: Vec<String> = chronic
                .iter()
                .map(|c| format!("{} ({})", c.col(1), c.col(0)))
                .collect();
            let status: Vec<&str> = chronic
                .iter()
                .filter_map(|c| phrases(c.col(0)))
                .map(|r| variant(r, ASSESSMENT, 0))
                .collect();
            story.add(
                place,
                t,
                "sam",
                "Sammanfattning".into(),
                format!(
                    "Aktuella diagnoser: {}.\n\nAktuellt: {}\n\nLäkemedel enligt aktuell läkemedelslista.\n\nPlan: Årlig kontroll på vårdcentralen.",
                    list.join("; "),
                    status.join(" ")
                ),
            );
        }
    }
    // General visits.
    let age_now = ctx.age_on(ctx.today);
    for _ in 0..ctx.rng.range(0, 2) {
        let day = ctx.recent_day(8);
        let visits = if ctx.age_on(day) < 18 {
            CHILD_VISITS
        } else if chronic.is_empty() && ctx.rng.chance(0.5) {
            HEALTHY_VISITS
        } else {
            ADULT_VISITS
        };
        let (reason, anamnesis, findings, assessment, plan) = *ctx.rng.pick(visits);
        let place = health_centre(ctx);
        let t = ctx.at(day);
        story.add(
            place,
            t,
            "bes",
            reason.into(),
            visit_text(reason, anamnesis, findings, assessment, plan),
        );
    }
    // Municipal home care for frail older patients.
    let frail = conditions.iter().any(|c| FRAILTY.contains(&c.col(0)));
    let p_home = match age_now {
        0..=64 => 0.0,
        65..=74 => {
            if frail {
                0.3
            } else {
                0.03
            }
        }
        _ => {
            if frail || chronic.len() >= 3 {
                0.6
            } else {
                0.15
            }
        }
    };
    if ctx.rng.chance(p_home) {
        home_care(ctx, &mut story, discharged.filter(|_| age_now >= 65));
    }
    let mut notes = story.notes;
    notes.sort_by_key(|n| n.time);
    notes
}

/// The type of document (2.1 `clinicalDocumentTypeCode`) a note belongs to.
fn type_code(code: &str, place: Place<'_>) -> &'static str {
    match code {
        "ins" => "int",
        "sva" => "dag",
        "slu" if place.site.kind == SiteKind::Municipality => "ovr",
        "slu" => "epi",
        "sam" => "ovs",
        "sao" => "ovr",
        _ => "ova",
    }
}

const DISSENT: &[&str] = &[
    "Jag delar inte bedömningen i anteckningen och vill att min uppfattning framgår.",
    "Jag har aldrig sagt att jag röker dagligen.",
    "Det stämmer inte att jag uteblev från förra besöket, tiden var ombokad.",
];

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let notes = story(&mut ctx);
    let mut old = Vec::with_capacity(notes.len());
    let mut new = Vec::with_capacity(notes.len());
    for d in notes {
        let mut header = ctx.header(d.place, d.time);
        header.document_title = Some(d.title.clone());
        if ctx.rng.chance(0.03) {
            // Not yet signed.
            header.legal_authenticator = None;
        }
        let nullified = ctx.rng.chance(0.02);
        if nullified {
            header.nullified = Some(true);
            header.nullified_reason = Some("Anteckningen skrevs i fel patients journal.".into());
        }
        let dissent = (ctx.age_on(d.time.date()) >= 16 && ctx.rng.chance(0.005)).then(|| {
            let later = (d.time + Duration::days(ctx.rng.range(3, 60)))
                .min(ctx.today.and_hms_opt(23, 59, 59).unwrap_or(d.time));
            (Ctx::ts(later.max(d.time)), *ctx.rng.pick(DISSENT))
        });
        let patient = ctx.patient.person_id();
        let patient_name = ctx.patient.name();
        if !nullified {
            new.push(v3::CareDocumentation {
                header: Header::from_first_generation(&header),
                body: CareDocumentationBody {
                    note_code: note_code(d.code),
                    title: Some(d.title.clone()),
                    text: Some(d.text.clone()),
                    multimedia: None,
                    dissenting_opinions: dissent
                        .iter()
                        .map(|(time, opinion)| v3::DissentingOpinion {
                            opinion_id: Some(Ii::new(
                                &header.source_system_hsa_id,
                                &format!("{}-AM", header.document_id),
                            )),
                            author_time: time.clone(),
                            opinion: (*opinion).into(),
                            person_id: patient.clone(),
                            person_name: patient_name.clone(),
                        })
                        .collect(),
                },
            });
        }
        old.push(v2::CareDocumentation {
            note: ClinicalDocumentNote {
                note_code: Some(d.code.into()),
                type_code: Some(type_code(d.code, d.place).into()),
                title: Some(d.title),
                text: Some(d.text),
                multimedia: None,
                dissenting_opinions: dissent
                    .iter()
                    .map(|(time, opinion)| v2::DissentingOpinion {
                        opinion_id: Some((
                            header.source_system_hsa_id.clone(),
                            Some(format!("{}-AM", header.document_id)),
                        )),
                        author_time: time.clone(),
                        opinion: (*opinion).into(),
                        person_id: patient.clone(),
                        person_name: patient_name.clone(),
                    })
                    .collect(),
            },
            header,
        });
    }
    sink.put::<GetCareDocumentationV2>(old)?;
    sink.put::<GetCareDocumentationV3>(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::generated;
    use crate::population;
    use npo_riv::Contract;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn every_condition_has_phrases() {
        for c in crate::codes::conditions() {
            let row = phrases(c.col(0)).unwrap_or_else(|| panic!("{}", c.col(0)));
            for col in [ANAMNESIS, FINDINGS, ASSESSMENT, PLAN] {
                assert_eq!(row.col(col).split('|').count(), 2, "{} {col}", c.col(0));
            }
        }
    }

    #[test]
    fn care_documentation_v2_tells_the_patients_story() {
        let items = generated::<GetCareDocumentationV2>(300);
        let pop = population::example();
        let by_patient = items.iter().fold(BTreeMap::new(), |mut m, i| {
            m.entry(i.header.patient_id.id.clone())
                .or_insert_with(Vec::new)
                .push(i);
            m
        });
        assert!(
            by_patient.len() > 200,
            "{} patients with notes",
            by_patient.len()
        );
        // Every condition of a patient shows up in the notes, by its contact reason.
        let mut told = (0, 0);
        for i in 0..300 {
            let (p, conditions) = pop.patient(i);
            let notes = by_patient.get(&p.id).map(Vec::as_slice).unwrap_or(&[]);
            for c in &conditions {
                let reason = phrases(c.col(0)).unwrap().col(REASON);
                told.0 += 1;
                told.1 += usize::from(notes.iter().any(|n| {
                    n.note.text.as_deref().unwrap_or("").contains(reason)
                        || n.note.title.as_deref() == Some(reason)
                        || n.note
                            .text
                            .as_deref()
                            .unwrap_or("")
                            .contains(&lower_first(reason))
                }));
            }
        }
        assert!(told.1 * 10 >= told.0 * 9, "conditions told {told:?}");
        // Every note type; municipalities write home care, regions stays.
        let codes: BTreeSet<&str> = items
            .iter()
            .filter_map(|i| i.note.note_code.as_deref())
            .collect();
        for c in [
            "utr", "atb", "sam", "sao", "ins", "slu", "auf", "sva", "bes",
        ] {
            assert!(codes.contains(c), "no {c} note");
        }
        let municipal =
            |i: &&v2::CareDocumentation| i.header.source_system_hsa_id == "SE2120001234-SRC2";
        assert!(items.iter().filter(municipal).count() > 20);
        for i in items.iter().filter(municipal) {
            assert_ne!(i.note.note_code.as_deref(), Some("sva"));
            assert_ne!(i.note.type_code.as_deref(), Some("epi"));
        }
        assert!(
            items
                .iter()
                .filter(municipal)
                .any(|i| i.note.title.as_deref() == Some("Hembesök"))
        );
        assert!(items.iter().any(|i| i.header.nullified == Some(true)));
        assert!(items.iter().any(|i| !i.note.dissenting_opinions.is_empty()));
        let v = GetCareDocumentationV2::view(&items[0]);
        assert!(v.text.is_some() && !v.title.is_empty());
    }

    #[test]
    fn care_documentation_v3_tells_the_same_story() {
        let new = generated::<GetCareDocumentationV3>(300);
        let old = generated::<GetCareDocumentationV2>(300);
        let by_id: BTreeMap<&str, &v3::CareDocumentation> =
            new.iter().map(|i| (i.header.document_id(), i)).collect();
        let mut delivered = 0;
        for o in &old {
            match by_id.get(o.header.document_id.as_str()) {
                Some(n) => {
                    delivered += 1;
                    assert_eq!(n.body.text, o.note.text);
                    assert_eq!(n.body.note_code.code, o.note.note_code);
                    assert_eq!(
                        GetCareDocumentationV3::filter_time(n),
                        GetCareDocumentationV2::filter_time(o)
                    );
                    let (a, b) = (
                        GetCareDocumentationV3::meta(n),
                        GetCareDocumentationV2::meta(o),
                    );
                    assert_eq!((a.care_unit, a.care_giver), (b.care_unit, b.care_giver));
                    assert_eq!(a.approved_for_patient, b.approved_for_patient);
                }
                None => assert_eq!(o.header.nullified, Some(true)),
            }
        }
        assert_eq!(delivered, new.len());
        let v = GetCareDocumentationV3::view(&new[0]);
        assert!(v.fields.iter().any(|(l, _)| *l == "Anteckningstyp"));
    }
}
