//! Care contacts (GetCareContacts 2.0 and 3.0), both versions from one story per patient: child
//! health visits at BVC and school health visits, the follow-ups of chronic conditions at the
//! patient's vårdcentral or a specialist clinic (some by telephone or video), acute episodes
//! (primary care, emergency department, admissions to a ward), telephone contacts for
//! prescriptions and test results, day care for chemotherapy, health checks and municipal home
//! health care for frail old people.
//!
//! The story is a pure function of the patient (its own random stream, label `vko`), so other
//! generators can read it with [`story`] and refer to the contacts: a contact's `id` is its
//! documentId in both versions (e.g. diagnoses set their `careContactId` to it, growth
//! measurements are taken at the child-health visits).

use super::diagnosis::{self, Icd};
use super::{Env, Sink};
use crate::code_list;
use crate::codes::Row;
use crate::ctx::{Ctx, Place, Site, SiteKind};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use npo_riv::common::{Cv, OrgUnit};
use npo_riv::contracts::care_contacts_v2::{
    self as v2, CareContactCode, CareContactStatus, GetCareContactsV2, TimePeriod,
};
use npo_riv::contracts::care_contacts_v3::{
    self as v3, GetCareContactsV3, KV_VARDKONTAKTTYP, SNOMED_CT_SE,
};
use std::collections::HashMap;
use std::sync::OnceLock;

code_list!(pub fn reasons() = "care_contact_reasons.tsv");

/// Document-id label (the engagement-index categorization).
pub const LABEL: &str = "vko";
/// How far back the source systems' contacts reach.
const WINDOW_YEARS: i64 = 10;

/// What kind of contact, and where it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// A visit at a vårdcentral.
    PrimaryCare,
    /// A visit at a specialist clinic.
    Specialist,
    /// A video visit (v2 `Annan`).
    Video,
    /// A telephone contact.
    Phone,
    /// A visit at the emergency department.
    Emergency,
    /// An inpatient stay (vårdtillfälle).
    Inpatient,
    /// Day care (dagsjukvård), e.g. chemotherapy.
    DayCare,
    /// A municipal home health-care visit.
    HomeCare,
    /// A child-health visit (BVC).
    ChildHealth,
    /// A school-health visit (elevhälsa).
    SchoolHealth,
    /// A health check at a vårdcentral.
    HealthCheck,
}

/// Why the contact happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A chronic condition was diagnosed at this contact.
    Onset,
    /// A follow-up of a chronic condition.
    FollowUp,
    /// An acute episode (its diagnosis is set at this contact).
    Acute,
    /// Anything else (check-ups, prescriptions, triage, home care).
    Other,
}

/// One care contact of the story.
#[derive(Clone, Debug)]
pub struct Contact<'a> {
    /// The contact's id: its documentId in both versions.
    pub id: String,
    pub setting: Setting,
    pub role: Role,
    pub place: Place<'a>,
    pub start: NaiveDateTime,
    /// `None` for a planned or cancelled contact and an ongoing stay; a visit ends when it starts.
    pub end: Option<NaiveDateTime>,
    pub status: CareContactStatus,
    /// The reason, as the patient states it.
    pub reason: &'static str,
    /// A qualifier shown after the reason, e.g. the child's age at a BVC visit.
    pub detail: Option<&'static str>,
    /// The ICD-10-SE code the contact was about.
    pub icd10: Option<&'static str>,
}

/// A patient's care-contact story.
#[derive(Clone, Debug, Default)]
pub struct Story<'a> {
    /// In time order.
    pub contacts: Vec<Contact<'a>>,
    /// When each chronic condition (rows of conditions.tsv with chronic = 1) was diagnosed.
    pub onsets: Vec<(&'static Row, NaiveDate)>,
}

/// The patient's story (deterministic: the same for every caller).
pub fn story<'a>(env: &Env<'a>) -> Story<'a> {
    build(&mut env.ctx(LABEL))
}

/// The child-health programme (Rikshandboken): age in days and the visit's name.
pub const BVC_VISITS: &[(i64, &str)] = &[
    (10, "1–2 veckor"),
    (25, "3–4 veckor"),
    (49, "6–8 veckor"),
    (91, "3 månader"),
    (152, "5 månader"),
    (183, "6 månader"),
    (244, "8 månader"),
    (304, "10 månader"),
    (365, "12 månader"),
    (548, "18 månader"),
    (913, "2,5 år"),
    (1095, "3 år"),
    (1461, "4 år"),
    (1826, "5 år"),
];

/// School-health visits: the calendar year's age of the school year's start, and the grade.
const SCHOOL_VISITS: &[(i32, &str)] = &[
    (6, "förskoleklass"),
    (8, "årskurs 2"),
    (10, "årskurs 4"),
    (13, "årskurs 7"),
    (16, "gymnasiet år 1"),
];

/// Follow-ups per year of chronic conditions (others: 0.5).
const FOLLOW_UPS: &[(&str, f64)] = &[
    ("I10", 1.0),
    ("E11.9", 2.0),
    ("E10.9", 3.0),
    ("J45.9", 0.7),
    ("J44.9", 1.5),
    ("I48.9", 1.0),
    ("I50.9", 2.0),
    ("I25.1", 1.0),
    ("E03.9", 0.5),
    ("F32.9", 2.5),
    ("F41.1", 1.5),
    ("G30.9", 1.5),
    ("G40.9", 1.0),
    ("G20.9", 2.0),
    ("M06.9", 2.0),
    ("M81.9", 0.5),
    ("M17.9", 0.8),
    ("N18.3", 1.0),
    ("K21.9", 0.3),
    ("L20.9", 0.5),
    ("J30.4", 0.3),
    ("C50.9", 2.0),
    ("C61", 2.0),
];

/// Days in hospital for admissions (others: 2–6).
const LENGTH_OF_STAY: &[(&str, i64, i64)] = &[
    ("S72.0", 5, 12),
    ("K35.8", 1, 3),
    ("J18.9", 3, 8),
    ("J21.9", 1, 4),
    ("I21.4", 3, 6),
    ("I21.9", 3, 7),
    ("I63.9", 5, 14),
    ("G45.9", 1, 3),
    ("A41.9", 5, 12),
    ("A04.7", 4, 10),
    ("P59.9", 1, 3),
];

/// Where a contact takes place.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Want<'k> {
    PrimaryCare,
    Emergency,
    /// A specialist clinic or ward, by a unit-name keyword (e.g. `Ortoped`).
    Clinic(&'k str),
    ChildHealth,
    School,
    HomeCare,
}

const PRIMARY_CARE: &[&str] = &[
    "Vårdcentral",
    "vårdcentral",
    "Hälsocentral",
    "Husläkar",
    "Familjeläkar",
    "Läkarhus",
];

/// A unit of `kinds` whose name contains a keyword of the first tier that has one, never one
/// whose name contains an `avoid` word (a tier `[""]` takes any unit); `None` if none qualifies.
fn find<'a>(
    ctx: &mut Ctx<'a>,
    kinds: &[SiteKind],
    tiers: &[&[&str]],
    avoid: &[&str],
) -> Option<Place<'a>> {
    let sites = ctx.sites;
    for tier in tiers {
        let n = candidates(sites, kinds, tier, avoid).count();
        if n > 0 {
            let i = ctx.rng.below(n);
            return candidates(sites, kinds, tier, avoid).nth(i);
        }
    }
    None
}

fn candidates<'a, 't>(
    sites: &'a [Site],
    kinds: &'t [SiteKind],
    tier: &'t [&'t str],
    avoid: &'t [&'t str],
) -> impl Iterator<Item = Place<'a>> + 't
where
    'a: 't,
{
    sites
        .iter()
        .filter(move |s| kinds.contains(&s.kind))
        .flat_map(|s| s.units.iter().map(move |u| Place { site: s, unit: u }))
        .filter(move |p| !avoid.iter().any(|a| p.unit.name.contains(a)))
        .filter(move |p| tier.iter().any(|k| p.unit.name.contains(k)))
}

/// A place for a contact of kind `want`. Home care only at municipalities (else `None`); the
/// others fall back to any unit of the population.
pub(crate) fn place<'a>(ctx: &mut Ctx<'a>, want: Want<'_>) -> Option<Place<'a>> {
    use SiteKind::{Municipality, Private, Region};
    const ANY: &[&str] = &[""];
    let found = match want {
        Want::PrimaryCare => find(
            ctx,
            &[Region, Private],
            &[
                PRIMARY_CARE,
                &["Privatklinik", "Centrum", "Mottagning"],
                ANY,
            ],
            &["Akut", "BVC", "Hemsjukvård"],
        ),
        Want::Emergency => find(ctx, &[Region], &[&["Akut"], ANY], &[]),
        Want::Clinic(spec) => find(
            ctx,
            &[Region],
            &[&[spec], &["Medicin", "klinik", "sjukhus"], ANY],
            &["Akut", "Vårdcentral", "vårdcentral", "Hemsjukvård"],
        ),
        Want::ChildHealth => find(
            ctx,
            &[Region, Private],
            &[&["BVC", "Barnavård", "Barnhälsovård"], PRIMARY_CARE, ANY],
            &["Akut"],
        ),
        Want::School => match find(
            ctx,
            &[Municipality, Private, Region],
            &[&["Elevhälsa", "elevhälsa", "Skolhälsovård", "Skola", "skola"]],
            &[],
        ) {
            Some(p) => Some(p),
            None => return place(ctx, Want::ChildHealth),
        },
        Want::HomeCare => {
            return find(
                ctx,
                &[Municipality],
                &[&["Hemsjukvård", "hemsjukvård", "Hemtjänst", "boende"], ANY],
                &[],
            );
        }
    };
    found.or_else(|| {
        ctx.sites
            .iter()
            .any(|s| !s.units.is_empty())
            .then(|| ctx.place(&[]))
    })
}

/// Knuth's Poisson sampler (small means), capped.
pub(crate) fn poisson(ctx: &mut Ctx<'_>, mean: f64, cap: u32) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let limit = (-mean.min(30.0)).exp();
    let mut p = 1.0;
    let mut k = 0;
    loop {
        p *= ctx.rng.unit();
        if p <= limit || k >= cap {
            return k;
        }
        k += 1;
    }
}

/// The reasons of each key of the reason list (a lookup table: never iterated).
fn reason_index() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static INDEX: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for r in reasons() {
            index.entry(r.col(0)).or_default().push(r.col(1));
        }
        index
    })
}

/// A reason for `key` from the reason list, else for `fallback`.
pub fn reason(ctx: &mut Ctx<'_>, key: &str, fallback: &str) -> &'static str {
    let index = reason_index();
    match index.get(key).or_else(|| index.get(fallback)) {
        Some(list) if !list.is_empty() => list[ctx.rng.below(list.len())],
        _ => "Besök",
    }
}

fn moment(day: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(h.min(23), m.min(59), 0).unwrap_or_default())
}

/// Builder of one patient's story.
struct Builder<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    window_start: NaiveDate,
    /// The end of the reference day: nothing happens after it.
    last: NaiveDateTime,
    home: Option<Place<'a>>,
    contacts: Vec<Contact<'a>>,
}

impl<'a> Builder<'_, 'a> {
    fn push(
        &mut self,
        setting: Setting,
        role: Role,
        place: Place<'a>,
        start: NaiveDateTime,
        reason: &'static str,
        icd10: Option<&'static str>,
    ) {
        if start > self.last || start.date() < self.ctx.patient.birth_date {
            return;
        }
        // A few booked visits are cancelled (Inställd); a few emergency visits end before the
        // patient is seen (Avbruten).
        let cancellable = matches!(
            setting,
            Setting::PrimaryCare | Setting::Specialist | Setting::Video
        ) && role != Role::Acute;
        let (status, end) = if cancellable && self.ctx.rng.chance(0.04) {
            (CareContactStatus::Installd, None)
        } else if setting == Setting::Emergency && self.ctx.rng.chance(0.02) {
            (CareContactStatus::Avbruten, Some(start))
        } else {
            (CareContactStatus::Avslutad, Some(start))
        };
        self.contacts.push(Contact {
            id: String::new(),
            setting,
            role,
            place,
            start,
            end,
            status,
            reason,
            detail: None,
            icd10,
        });
    }

    fn day_time(&mut self, day: NaiveDate) -> NaiveDateTime {
        self.ctx.at(day)
    }

    fn home_or(&mut self, want: Want<'_>) -> Option<Place<'a>> {
        match want {
            Want::PrimaryCare if self.home.is_some() && !self.ctx.rng.chance(0.15) => self.home,
            w => place(self.ctx, w),
        }
    }

    fn child_health(&mut self) {
        let birth = self.ctx.patient.birth_date;
        let Some(bvc) = place(self.ctx, Want::ChildHealth) else {
            return;
        };
        for &(days, label) in BVC_VISITS {
            let jitter = self.ctx.rng.range(-3, 10);
            let day = birth + Duration::days((days + jitter).max(3));
            if day < self.window_start || day > self.ctx.today {
                continue;
            }
            let start = self.day_time(day);
            let reason = reason(self.ctx, "BVC", "VC");
            self.push(Setting::ChildHealth, Role::Other, bvc, start, reason, None);
            if let Some(c) = self.contacts.last_mut() {
                c.detail = Some(label);
            }
        }
    }

    fn school_health(&mut self) {
        let birth = self.ctx.patient.birth_date;
        let Some(school) = place(self.ctx, Want::School) else {
            return;
        };
        for &(age, grade) in SCHOOL_VISITS {
            let Some(term) = NaiveDate::from_ymd_opt(birth.year() + age, 8, 20) else {
                continue;
            };
            let day = term + Duration::days(self.ctx.rng.range(0, 270));
            if day < self.window_start || day > self.ctx.today {
                continue;
            }
            let start = moment(
                day,
                8 + self.ctx.rng.below(7) as u32,
                5 * self.ctx.rng.below(12) as u32,
            );
            let reason = reason(self.ctx, "SKOLA", "VC");
            self.push(
                Setting::SchoolHealth,
                Role::Other,
                school,
                start,
                reason,
                None,
            );
            if let Some(c) = self.contacts.last_mut() {
                c.detail = Some(grade);
            }
        }
    }

    /// A chronic condition: its onset, then follow-ups (some by telephone or video).
    fn chronic(&mut self, row: &'static Row, onset: NaiveDate) {
        let code = row.col(0);
        let icd = diagnosis::icd(code);
        let spec = icd.map_or("Medicin", |i| i.specialty);
        let specialist = icd.is_some_and(|i| i.setting == "spec");
        let clinic = if specialist {
            place(self.ctx, Want::Clinic(spec))
        } else {
            self.home.or_else(|| place(self.ctx, Want::PrimaryCare))
        };
        let Some(clinic) = clinic else {
            return;
        };
        let setting = if specialist {
            Setting::Specialist
        } else {
            Setting::PrimaryCare
        };
        if onset >= self.window_start {
            let start = self.day_time(onset);
            let r = reason(self.ctx, code, "VC");
            self.push(setting, Role::Onset, clinic, start, r, Some(code));
        }
        let from = onset.max(self.window_start) + Duration::days(14);
        if from >= self.ctx.today {
            return;
        }
        let years = (self.ctx.today - from).num_days() as f64 / 365.25;
        let per_year = FOLLOW_UPS
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(0.5, |(_, n)| *n);
        let n = poisson(self.ctx, years * per_year, 12);
        let video_from = NaiveDate::from_ymd_opt(2020, 3, 1).unwrap_or(self.window_start);
        for _ in 0..n {
            let day = self.ctx.day_between(from, self.ctx.today);
            let start = self.day_time(day);
            let u = self.ctx.rng.unit();
            let kind = if u < 0.25 {
                Setting::Phone
            } else if u < 0.3 && day >= video_from {
                Setting::Video
            } else {
                setting
            };
            let r = reason(self.ctx, code, "VC");
            self.push(kind, Role::FollowUp, clinic, start, r, Some(code));
        }
    }

    /// An acute episode on `day`: at the vårdcentral (sometimes after telephone triage), at the
    /// emergency department, or admitted to a ward through it.
    fn episode(&mut self, icd: &'static Icd, day: NaiveDate) {
        let age = self.ctx.age_on(day);
        let code = icd.code;
        let mut setting = icd.setting;
        if code == "J18.9" && age >= 75 && self.ctx.rng.chance(0.5) {
            setting = "sluten";
        }
        match setting {
            "sluten" | "akut" => {
                let Some(er) = place(self.ctx, Want::Emergency) else {
                    return;
                };
                let hour = [8, 10, 12, 14, 16, 18, 20, 22, 2][self.ctx.rng.below(9)];
                let start = moment(
                    day,
                    hour + self.ctx.rng.below(2) as u32,
                    self.ctx.rng.below(60) as u32,
                );
                let r = reason(self.ctx, code, "AKUTM");
                self.push(Setting::Emergency, Role::Acute, er, start, r, Some(code));
                if setting == "sluten" {
                    let admitted = start + Duration::minutes(self.ctx.rng.range(120, 420));
                    self.admission(icd, admitted, r);
                } else if self.ctx.rng.chance(0.3) {
                    // Follow-up at the vårdcentral a week or two later.
                    let later = day + Duration::days(self.ctx.rng.range(7, 21));
                    if let Some(vc) = self.home_or(Want::PrimaryCare) {
                        let start = self.day_time(later);
                        let r = reason(self.ctx, code, "VC");
                        self.push(Setting::PrimaryCare, Role::Other, vc, start, r, Some(code));
                    }
                }
            }
            "spec" => {
                let Some(clinic) = place(self.ctx, Want::Clinic(icd.specialty)) else {
                    return;
                };
                let start = self.day_time(day);
                let r = reason(self.ctx, code, "VC");
                self.push(
                    Setting::Specialist,
                    Role::Acute,
                    clinic,
                    start,
                    r,
                    Some(code),
                );
            }
            _ => {
                let Some(vc) = self.home_or(Want::PrimaryCare) else {
                    return;
                };
                let start = self.day_time(day);
                if self.ctx.rng.chance(0.35) {
                    let call = start - Duration::minutes(self.ctx.rng.range(20, 180));
                    let triage = call.max(moment(day, 7, 0)).min(start);
                    let r = reason(self.ctx, "TELEFON", "VC");
                    self.push(Setting::Phone, Role::Other, vc, triage, r, Some(code));
                }
                let r = reason(self.ctx, code, "VC");
                self.push(Setting::PrimaryCare, Role::Acute, vc, start, r, Some(code));
            }
        }
    }

    /// An inpatient stay from `start`; ongoing (no end) if it has not ended by the reference day.
    fn admission(&mut self, icd: &'static Icd, start: NaiveDateTime, reason: &'static str) {
        let Some(ward) = place(self.ctx, Want::Clinic(icd.specialty)) else {
            return;
        };
        let (lo, hi) = LENGTH_OF_STAY
            .iter()
            .find(|(c, _, _)| *c == icd.code)
            .map_or((2, 6), |(_, lo, hi)| (*lo, *hi));
        let days = self.ctx.rng.range(lo, hi);
        let end = moment(
            start.date() + Duration::days(days),
            10 + self.ctx.rng.below(6) as u32,
            self.ctx.rng.below(60) as u32,
        );
        let before = self.contacts.len();
        self.push(
            Setting::Inpatient,
            Role::Acute,
            ward,
            start,
            reason,
            Some(icd.code),
        );
        if let Some(c) = self.contacts.get_mut(before) {
            if end > self.last {
                c.status = CareContactStatus::Pagaende;
                c.end = None;
            } else if self.ctx.rng.chance(0.01) {
                c.status = CareContactStatus::Avbruten;
                c.end = Some(end);
            } else {
                c.end = Some(end);
            }
        }
    }

    /// Extra acute episodes from the ICD-10-SE list, at rates that depend on age.
    fn extra_episodes(&mut self) {
        let female = self.ctx.patient.female;
        let mut year_start = self.window_start;
        while year_start <= self.ctx.today {
            let age = self.ctx.age_on(year_start);
            let rate = match age {
                0..=1 => 1.6,
                2..=6 => 1.2,
                7..=17 => 0.5,
                18..=64 => 0.35,
                65..=79 => 0.6,
                _ => 0.9,
            };
            let year_end = (year_start + Duration::days(365)).min(self.ctx.today);
            for _ in 0..poisson(self.ctx, rate, 5) {
                let day = self.ctx.day_between(year_start, year_end);
                let age = self.ctx.age_on(day);
                if let Some(icd) =
                    diagnosis::pick(&mut self.ctx.rng, diagnosis::Use::Acute, age, female)
                {
                    self.episode(icd, day);
                }
            }
            year_start += Duration::days(365);
        }
    }

    /// Municipal home health care for frail old people: visits every one to six weeks.
    fn home_care(&mut self, chronic: usize) {
        let frail = self
            .ctx
            .conditions
            .iter()
            .any(|c| matches!(c.col(0), "G30.9" | "G20.9" | "I50.9" | "S72.0"));
        if self.ctx.age_on(self.ctx.today) < 75
            || !(frail || chronic >= 3)
            || !self.ctx.rng.chance(0.6)
        {
            return;
        }
        let Some(home) = place(self.ctx, Want::HomeCare) else {
            return;
        };
        let from = self
            .ctx
            .day_between(self.ctx.today - Duration::days(3 * 365), self.ctx.today)
            .max(self.window_start);
        let mut day = from;
        for _ in 0..25 {
            if day > self.ctx.today {
                break;
            }
            let start = moment(
                day,
                8 + self.ctx.rng.below(10) as u32,
                self.ctx.rng.below(60) as u32,
            );
            let r = reason(self.ctx, "HEMSJUK", "VC");
            self.push(Setting::HomeCare, Role::Other, home, start, r, None);
            day += Duration::days(self.ctx.rng.range(7, 42));
        }
    }

    /// Day care: chemotherapy cycles after a breast-cancer diagnosis, infusions for rheumatoid
    /// arthritis, iron infusions for iron-deficiency anaemia.
    fn day_care(&mut self, code: &'static str, onset: NaiveDate) {
        let (spec, first, cycles, every, icd) = match code {
            "C50.9" => (
                "Onkolog",
                onset + Duration::days(self.ctx.rng.range(21, 45)),
                6,
                21,
                "Z51.1",
            ),
            "M06.9" if self.ctx.rng.chance(0.4) => {
                let from = onset.max(self.ctx.today - Duration::days(2 * 365));
                (
                    "Reumatolog",
                    self.ctx.day_between(from, self.ctx.today),
                    12,
                    56,
                    "M06.9",
                )
            }
            "D50.9" if self.ctx.rng.chance(0.4) => ("Medicin", onset, 2, 28, "D50.9"),
            _ => return,
        };
        let Some(unit) = place(self.ctx, Want::Clinic(spec)) else {
            return;
        };
        let key = match code {
            "C50.9" => "DAG:C50.9",
            "M06.9" => "DAG:M06.9",
            _ => "DAG:D50.9",
        };
        let mut day = first;
        for _ in 0..cycles {
            if day > self.ctx.today {
                break;
            }
            if day >= self.window_start {
                let start = moment(
                    day,
                    8 + self.ctx.rng.below(4) as u32,
                    15 * self.ctx.rng.below(4) as u32,
                );
                let r = reason(self.ctx, key, "DAG");
                self.push(Setting::DayCare, Role::Other, unit, start, r, Some(icd));
                if let Some(c) = self.contacts.last_mut()
                    && c.status == CareContactStatus::Avslutad
                {
                    c.end = Some(start + Duration::hours(self.ctx.rng.range(2, 6)));
                }
            }
            day += Duration::days(every);
        }
    }

    /// Telephone contacts about prescriptions and test results, health checks, and a visit booked
    /// for later on the reference day.
    fn other(&mut self, chronic: usize) {
        let Some(home) = self.home else {
            return;
        };
        let years = (self.ctx.today - self.window_start).num_days() as f64 / 365.25;
        let adult_from =
            (self.ctx.patient.birth_date + Duration::days(18 * 365)).max(self.window_start);
        if adult_from < self.ctx.today {
            let calls = poisson(self.ctx, years * 0.3 * chronic as f64 + years * 0.1, 12);
            for _ in 0..calls {
                let day = self.ctx.day_between(adult_from, self.ctx.today);
                let start = self.day_time(day);
                let key = if self.ctx.rng.chance(0.5) {
                    "RECEPT"
                } else {
                    "PROVSVAR"
                };
                let r = reason(self.ctx, key, "TELEFON");
                let icd = (key == "RECEPT").then_some("Z76.0");
                self.push(Setting::Phone, Role::Other, home, start, r, icd);
            }
        }
        for age in [40, 50, 60, 70] {
            let Some(day) = self
                .ctx
                .patient
                .birth_date
                .with_year(self.ctx.patient.birth_date.year() + age)
            else {
                continue;
            };
            if day < self.window_start || day > self.ctx.today || !self.ctx.rng.chance(0.35) {
                continue;
            }
            let day = self.ctx.day_between(day, day + Duration::days(300));
            let start = self.day_time(day);
            let r = reason(self.ctx, "HALSO", "VC");
            self.push(
                Setting::HealthCheck,
                Role::Other,
                home,
                start,
                r,
                Some("Z00.0"),
            );
        }
        if chronic > 0 && self.ctx.rng.chance(0.05) {
            // Booked weeks ago for this afternoon: not started yet.
            let start = moment(self.ctx.today, 16, 15 * self.ctx.rng.below(4) as u32);
            let code = self
                .ctx
                .conditions
                .iter()
                .find(|c| c.col(2) == "1")
                .map(|c| c.col(0));
            let r = reason(self.ctx, code.unwrap_or("VC"), "VC");
            self.contacts.push(Contact {
                id: String::new(),
                setting: Setting::PrimaryCare,
                role: Role::FollowUp,
                place: home,
                start,
                end: None,
                status: CareContactStatus::EjPaborjad,
                reason: r,
                detail: None,
                icd10: code,
            });
        }
    }
}

fn build<'a>(ctx: &mut Ctx<'a>) -> Story<'a> {
    let today = ctx.today;
    let birth = ctx.patient.birth_date;
    let window_start = (today - Duration::days(WINDOW_YEARS * 365)).max(birth);
    let last = moment(today, 23, 59) + Duration::seconds(59);
    let home = place(ctx, Want::PrimaryCare);
    let conditions = ctx.conditions;
    let mut b = Builder {
        ctx: &mut *ctx,
        window_start,
        last,
        home,
        contacts: Vec::with_capacity(48),
    };

    if birth + Duration::days(6 * 365) > window_start {
        b.child_health();
    }
    if b.ctx.age_on(today) >= 6 && birth + Duration::days(17 * 365) > window_start {
        b.school_health();
    }

    let mut onsets = Vec::new();
    for &row in conditions.iter().filter(|c| c.col(2) == "1") {
        let min_age: i64 = row.col(5).parse().unwrap_or(0);
        // Records reach back some 25 years at most.
        let earliest = (birth + Duration::days(min_age * 365))
            .max(today - Duration::days(25 * 365))
            .min(today - Duration::days(30));
        let onset = b.ctx.day_between(earliest, today);
        onsets.push((row, onset));
        b.chronic(row, onset);
        b.day_care(row.col(0), onset);
    }
    for &row in conditions.iter().filter(|c| c.col(2) != "1") {
        let Some(icd) = diagnosis::icd(row.col(0)) else {
            continue;
        };
        let weight: f64 = row.col(8).parse().unwrap_or(1.0);
        let episodes = 1 + if weight >= 8.0 {
            poisson(b.ctx, 0.8, 2)
        } else {
            0
        };
        for _ in 0..episodes {
            let day = b.ctx.recent_day(WINDOW_YEARS as u32).max(window_start);
            b.episode(icd, day);
            b.day_care(icd.code, day + Duration::days(14));
        }
    }
    b.extra_episodes();
    b.home_care(onsets.len());
    b.other(onsets.len());

    let mut contacts = b.contacts;
    contacts.sort_by_key(|c| c.start);
    for c in &mut contacts {
        c.id = ctx.document_id();
    }
    Story { contacts, onsets }
}

fn v2_code(s: Setting) -> CareContactCode {
    match s {
        Setting::Phone => CareContactCode::Telefon,
        Setting::Inpatient => CareContactCode::Vardtillfalle,
        Setting::DayCare => CareContactCode::Dagsjukvard,
        Setting::Video => CareContactCode::Annan,
        _ => CareContactCode::Besok,
    }
}

/// KV Vårdkontakttyp code and name.
fn v3_code(s: Setting) -> (&'static str, &'static str) {
    match s {
        Setting::Inpatient => ("1", "Slutenvårdstillfälle"),
        Setting::HomeCare => ("4", "Hemsjukvårdskontakt"),
        _ => ("2", "Öppenvårdskontakt"),
    }
}

/// SNOMED CT-SE status code and name.
fn v3_status(s: CareContactStatus, nullified: bool) -> (&'static str, &'static str) {
    if nullified {
        return ("53691000052102", "Makulerad vårdkontakt");
    }
    match s {
        CareContactStatus::EjPaborjad => ("53631000052103", "Tidbokad vårdkontakt"),
        CareContactStatus::Installd => ("53641000052109", "Inställd vårdkontakt"),
        CareContactStatus::Pagaende => ("53651000052107", "Pågående vårdkontakt"),
        CareContactStatus::Avbruten => ("53661000052105", "Avbruten vårdkontakt"),
        CareContactStatus::Avslutad => ("53671000052101", "Avslutad vårdkontakt"),
    }
}

/// The contact's registration: booked ahead for planned and cancelled contacts, else written
/// during or after it.
fn author_time(ctx: &mut Ctx<'_>, c: &Contact<'_>) -> NaiveDateTime {
    let last = moment(ctx.today, 23, 59);
    let birth = ctx.patient.birth_date.and_time(NaiveTime::MIN);
    let t = match c.status {
        CareContactStatus::EjPaborjad | CareContactStatus::Installd => {
            c.start
                - Duration::days(ctx.rng.range(3, 60))
                - Duration::minutes(ctx.rng.range(0, 300))
        }
        _ => c.start + Duration::minutes(ctx.rng.range(5, 150)),
    };
    t.min(last).max(birth)
}

/// Generates the patient's care contacts, both versions from the same story.
pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let story = build(&mut ctx);
    let mut old = Vec::with_capacity(story.contacts.len());
    let mut new = Vec::with_capacity(story.contacts.len());
    for c in &story.contacts {
        let author = author_time(&mut ctx, c);
        let mut h = ctx.header(c.place, author);
        h.document_id.clone_from(&c.id);
        let nullified = ctx.rng.chance(0.01);
        let nullified_reason = nullified.then(|| "Felregistrerad vårdkontakt".to_owned());
        let unit = OrgUnit {
            hsa_id: c.place.unit.hsa_id.clone(),
            name: c.place.unit.name.clone(),
            telecom: None,
            email: None,
            address: None,
            location: None,
        };
        let reason = match c.detail {
            Some(d) => format!("{}, {d}", c.reason),
            None => c.reason.to_owned(),
        };
        let period = TimePeriod {
            start: Ctx::ts(c.start),
            end: c.end.map(Ctx::ts),
        };
        let a = &h.accountable;
        old.push(v2::CareContact {
            header: v2::CareContactHeader {
                document_id: c.id.clone(),
                source_system_hsa_id: h.source_system_hsa_id.clone(),
                patient_id: h.patient_id.clone(),
                accountable: Some(v2::Accountable {
                    author_time: a.author_time.clone(),
                    hsa_id: a.hsa_id.clone().unwrap_or_default(),
                    name: a.name.clone().unwrap_or_default(),
                    role_code: None,
                    org_unit: a.org_unit.clone().unwrap_or_else(|| unit.clone()),
                    care_unit_hsa_id: a.care_unit_hsa_id.clone(),
                    care_giver_hsa_id: a.care_giver_hsa_id.clone(),
                }),
                approved_for_patient: h.approved_for_patient,
                nullified: nullified.then_some(true),
                nullified_reason: nullified_reason.clone(),
            },
            body: v2::CareContactBody {
                code: Some(v2_code(c.setting)),
                reason: Some(reason.clone()),
                org_unit: unit.clone(),
                time_period: period.clone(),
                status: Some(c.status),
            },
        });
        // TKB 3.0: documentTitle, documentTime and legalAuthenticator are not given.
        h.document_time = None;
        h.legal_authenticator = None;
        h.nullified = nullified.then_some(true);
        h.nullified_reason = nullified_reason;
        let (code, name) = v3_code(c.setting);
        let (status, status_name) = v3_status(c.status, nullified);
        new.push(v3::CareContact {
            header: h,
            body: v3::CareContactBody {
                code: Some(Cv {
                    code_system_name: Some("KV Vårdkontakttyp".into()),
                    ..Cv::coded(code, KV_VARDKONTAKTTYP, name)
                }),
                reason: Some(reason),
                org_unit: Some(unit.into()),
                time_period: Some(period),
                status: Some(Cv {
                    code_system_name: Some("SNOMED CT-SE".into()),
                    ..Cv::coded(status, SNOMED_CT_SE, status_name)
                }),
            },
        });
    }
    sink.put::<GetCareContactsV2>(old)?;
    sink.put::<GetCareContactsV3>(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::generated;
    use npo_riv::Contract;

    #[test]
    fn both_versions_tell_the_same_story() {
        let old = generated::<GetCareContactsV2>(300);
        let new = generated::<GetCareContactsV3>(300);
        assert_eq!(old.len(), new.len());
        assert!(old.len() > 300 * 8, "only {} contacts", old.len());
        for (a, b) in old.iter().zip(&new) {
            assert_eq!(a.header.document_id, b.header.document_id);
            assert_eq!(
                Some(&a.body.time_period),
                b.body.time_period.as_ref(),
                "{}",
                a.header.document_id
            );
            assert_eq!(a.body.reason, b.body.reason);
            assert_eq!(
                Some(a.body.org_unit.name.as_str()),
                b.body.org_unit.as_ref().and_then(|u| u.name.as_deref())
            );
            assert_eq!(a.header.approved_for_patient, b.header.approved_for_patient);
            let kv = b.body.code.as_ref().and_then(|c| c.code.as_deref());
            match a.body.code {
                Some(CareContactCode::Vardtillfalle) => assert_eq!(kv, Some("1")),
                Some(_) => assert!(matches!(kv, Some("2" | "4"))),
                None => panic!("no code"),
            }
            // Visits end when they start; only inpatient stays and day care last.
            if let Some(end) = &a.body.time_period.end
                && !matches!(
                    a.body.code,
                    Some(CareContactCode::Vardtillfalle | CareContactCode::Dagsjukvard)
                )
            {
                assert_eq!(end, &a.body.time_period.start);
            }
            // Booked contacts are registered before they start, the others during or after.
            let booked = matches!(
                a.body.status,
                Some(CareContactStatus::EjPaborjad | CareContactStatus::Installd)
            );
            let registered = GetCareContactsV2::meta(a).registration_time;
            assert_eq!(registered < GetCareContactsV2::filter_time(a), booked);
        }
        let mut codes: HashMap<CareContactCode, usize> = HashMap::new();
        let mut statuses: HashMap<CareContactStatus, usize> = HashMap::new();
        for c in &old {
            *codes
                .entry(c.body.code.unwrap_or(CareContactCode::Annan))
                .or_default() += 1;
            *statuses
                .entry(c.body.status.unwrap_or(CareContactStatus::Avslutad))
                .or_default() += 1;
        }
        for code in CareContactCode::ALL {
            assert!(codes.get(&code).copied().unwrap_or(0) > 0, "no {code:?}");
        }
        for s in [
            CareContactStatus::Avslutad,
            CareContactStatus::Installd,
            CareContactStatus::EjPaborjad,
        ] {
            assert!(statuses.get(&s).copied().unwrap_or(0) > 0, "no {s:?}");
        }
        assert!(statuses[&CareContactStatus::Avslutad] > old.len() * 8 / 10);
        assert!(old.iter().any(|c| c.header.nullified == Some(true)));
        assert!(old.iter().any(|c| !c.header.approved_for_patient));
        // Home care happens at municipality units, inpatient stays at the region.
        for c in &new {
            let kv = c.body.code.as_ref().and_then(|c| c.code.as_deref());
            let giver = c.header.accountable.care_giver_hsa_id.as_deref();
            if kv == Some("4") && giver.is_some() {
                assert_eq!(giver, Some("SE2120001234-0001"));
            }
            if kv == Some("1") && giver.is_some() {
                assert_eq!(giver, Some("SE2321000016-0001"));
            }
            assert_eq!(c.header.document_time, None);
            assert_eq!(c.header.legal_authenticator, None);
        }
    }

    #[test]
    fn stories_follow_age_and_conditions() {
        let pop = crate::population::example();
        let mut children = 0;
        for i in 0..400 {
            let (patient, conditions) = pop.patient(i);
            let env = Env {
                seed: pop.seed,
                patient: &patient,
                sites: &pop.sites,
                today: pop.today,
                conditions: &conditions,
            };
            let s = story(&env);
            // Deterministic.
            let again = story(&env);
            assert_eq!(
                s.contacts
                    .iter()
                    .map(|c| (&c.id, c.start))
                    .collect::<Vec<_>>(),
                again
                    .contacts
                    .iter()
                    .map(|c| (&c.id, c.start))
                    .collect::<Vec<_>>()
            );
            let age = patient.age_on(pop.today);
            let bvc = s
                .contacts
                .iter()
                .filter(|c| c.setting == Setting::ChildHealth)
                .count();
            if (1..5).contains(&age) {
                children += 1;
                assert!(bvc >= 8, "child of {age} with {bvc} BVC visits");
            }
            if age >= 16 {
                assert_eq!(bvc, 0, "BVC visits at {age}");
            }
            for c in &s.contacts {
                assert!(c.start.date() >= patient.birth_date);
                assert!(c.start.date() <= pop.today);
                if c.setting == Setting::HomeCare {
                    assert!(age >= 75);
                    assert_eq!(c.place.site.kind, SiteKind::Municipality);
                }
                if c.setting == Setting::Emergency {
                    assert!(c.place.unit.name.contains("Akut"));
                }
            }
            // Every chronic condition with follow-ups in the window is followed up where it is
            // treated.
            for (row, _) in &s.onsets {
                for c in s.contacts.iter().filter(|c| c.icd10 == Some(row.col(0))) {
                    assert!(!c.place.unit.name.contains("Akut") || c.role == Role::Acute);
                }
            }
            assert!(s.contacts.len() < 200, "{} contacts", s.contacts.len());
        }
        assert!(children > 10);
    }
}
