//! GetVaccinationHistory 2.0: the Swedish childhood vaccination programme by age, and influenza,
//! pneumococcal and covid-19 vaccination of older people and risk groups.
//!
//! Childhood (at the child's barnavårdscentral, later the school health service): rotavirus at
//! 6 weeks and 3 months (children born from September 2019), DTaP-IPV-Hib-HepB (DTaP-IPV-Hib
//! before 2016) and pneumococcal conjugate vaccine at 3, 5 and 12 months, MPR at 18 months and
//! at 6–8 years (12 years for children born before 2002), DTaP-IPV at 5 years, HPV in the fifth
//! school year (girls born from 2001, boys from 2009; one dose from mid-2024, two before) and
//! dTp in the eighth (dT before 2016). Adults: influenza every autumn from 65 (and some of the
//! risk groups), one pneumococcal vaccination, covid-19 from 2021 (primary series, booster,
//! autumn doses for 65+). Older people are sometimes vaccinated by the municipality's home
//! health care. Only vaccinations from 2010 are recorded (earlier ones are on paper). Vaccines
//! come from `data/vaccines.tsv` (ATC J07 codes, products by year, manufacturers, EDQM routes).

use super::medication::{place_pref, place_where, route_name};
use super::{Env, Sink};
use crate::code_list;
use crate::ctx::{Ctx, Place, SiteKind};
use chrono::{Datelike, Duration, Months, NaiveDate};
use npo_riv::common::Cv;
use npo_riv::contracts::medication_history_v2::{
    Actor, AdditionalPatientInformation, Ii, OrgUnitInfo, Pq, sv_num,
};
use npo_riv::contracts::vaccination_history_v2::{
    ATC, AdministrationRecord, Dose, EDQM, GetVaccinationHistoryV2, KV_KON, RegistrationRecord,
    VaccinationMedicalRecord, VaccinationMedicalRecordBody,
};

code_list!(pub fn vaccines() = "vaccines.tsv");

const LABEL: &str = "caa-gvh";
const PROGRAMME_CHILDREN: &str = "Nationella vaccinationsprogrammet för barn";
const PROGRAMME_FLU: &str = "Vaccination mot säsongsinfluensa";
const PROGRAMME_PNEUMO: &str = "Vaccination mot pneumokocker";
const PROGRAMME_COVID: &str = "Vaccination mot covid-19";

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The first day vaccinations are recorded electronically.
fn records_from() -> NaiveDate {
    ymd(2010, 1, 1)
}

/// A row of `data/vaccines.tsv`: key, atc, atc_name, product, manufacturer, route, dose_ml,
/// from, to (years the product was used), targets (`;`-separated).
type Vaccine = crate::codes::Row;

/// The products of `key` in use in `year`.
fn products(key: &str, year: i32) -> impl Iterator<Item = &'static Vaccine> + '_ {
    vaccines().iter().filter(move |v| {
        v.col(0) == key
            && v.col(7).parse::<i32>().is_ok_and(|f| f <= year)
            && v.col(8).parse::<i32>().is_ok_and(|t| year <= t)
    })
}

/// Where a vaccination is given.
#[derive(Clone, Copy)]
enum Setting {
    /// Barnavårdscentral.
    Child,
    /// Skolhälsovård / elevhälsa.
    School,
    /// The adult's vårdcentral.
    Adult,
}

struct Gen<'a> {
    ctx: Ctx<'a>,
    out: Vec<VaccinationMedicalRecord>,
    bvc: Place<'a>,
    school: Place<'a>,
    vc: Place<'a>,
    /// The municipality's home health care, for the oldest.
    home: Option<Place<'a>>,
    risk: Option<&'static str>,
}

impl<'a> Gen<'a> {
    fn new(env: &Env<'a>) -> Self {
        let mut ctx = env.ctx(LABEL);
        const CARE: &[SiteKind] = &[SiteKind::Region, SiteKind::Private];
        let bvc = place_where(&mut ctx, CARE, &["bvc", "barnavård", "barnhälsovård"])
            .unwrap_or_else(|| place_pref(&mut ctx, CARE, &["vårdcentral", "hälsocentral"]));
        let school = place_where(
            &mut ctx,
            &[SiteKind::Municipality, SiteKind::Private, SiteKind::Region],
            &["elevhälsa", "skolhälsovård", "skola"],
        )
        .unwrap_or(bvc);
        let vc = place_pref(&mut ctx, CARE, &["vårdcentral", "hälsocentral"]);
        let home = place_where(
            &mut ctx,
            &[SiteKind::Municipality],
            &["hemsjukvård", "hemsjukvården", "äldreboende", "kommun"],
        )
        .or_else(|| {
            ctx.sites
                .iter()
                .any(|s| s.kind == SiteKind::Municipality && !s.units.is_empty())
                .then(|| ctx.place(&[SiteKind::Municipality]))
        });
        let risk = env.conditions.iter().find_map(|c| match c.col(0) {
            "J45.9" | "J44.9" | "I48.9" | "I50.9" | "I25.1" => {
                Some("Kronisk hjärt- eller lungsjukdom")
            }
            "E10.9" | "E11.9" => Some("Diabetes mellitus"),
            "N18.3" => Some("Kronisk njursjukdom"),
            "M06.9" | "C50.9" | "C61" => Some("Nedsatt immunförsvar"),
            _ => None,
        });
        Gen {
            ctx,
            out: Vec::new(),
            bvc,
            school,
            vc,
            home,
            risk,
        }
    }

    fn birth(&self) -> NaiveDate {
        self.ctx.patient.birth_date
    }

    fn at_age(&self, years: u32, days: i64) -> NaiveDate {
        self.birth()
            .checked_add_months(Months::new(years * 12))
            .unwrap_or_else(|| self.birth())
            + Duration::days(days)
    }

    /// One product of `key` for `day`'s year (a series keeps its first product).
    fn product(&mut self, key: &str, day: NaiveDate) -> Option<&'static Vaccine> {
        let n = products(key, day.year()).count();
        if n == 0 {
            return None;
        }
        let pick = self.ctx.rng.below(n);
        products(key, day.year()).nth(pick)
    }

    fn place(&mut self, setting: Setting, day: NaiveDate) -> Place<'a> {
        match setting {
            Setting::Child => self.bvc,
            Setting::School => self.school,
            Setting::Adult => {
                let age = self.ctx.age_on(day);
                match self.home {
                    Some(home) if age >= 80 && self.ctx.rng.chance(0.4) => home,
                    _ if self.ctx.rng.chance(0.1) => {
                        self.ctx.place(&[SiteKind::Region, SiteKind::Private])
                    }
                    _ => self.vc,
                }
            }
        }
    }

    /// Records one vaccination with `vaccine` on `day`, if the day is recorded and not after
    /// today. `dose` is (ordinal, prescribed doses in the series).
    fn give(
        &mut self,
        day: NaiveDate,
        vaccine: &'static Vaccine,
        setting: Setting,
        dose: (i64, Option<i64>),
        programme: &'static str,
    ) {
        if day < records_from() || day > self.ctx.today || day < self.birth() {
            return;
        }
        let place = self.place(setting, day);
        let time = self.ctx.at(day);
        let mut header = self.ctx.header(place, time);
        header.document_title = Some("Vaccination".into());
        if self.ctx.rng.chance(0.005) {
            header.nullified = Some(true);
            header.nullified_reason = Some("Registrerad av misstag".into());
        }
        let (hsa_id, name) = self.ctx.staff(place);
        let unit = OrgUnitInfo::named(&place.unit.hsa_id, &place.unit.name);
        let age_days = (day - self.birth()).num_days();
        let route = vaccine.col(5);
        let site = (route != "20053000").then(|| {
            let side = if self.ctx.rng.chance(0.5) {
                "vänster"
            } else {
                "höger"
            };
            let text = if age_days < 548 {
                format!("Lårmuskel, {side}")
            } else {
                format!("Överarm, {side}")
            };
            Cv {
                display_name: Some(text),
                ..Cv::default()
            }
        });
        let ml: f64 = vaccine.col(6).parse().unwrap_or(0.5);
        let adverse = if self.ctx.rng.chance(0.01) {
            let effect = *self.ctx.rng.pick(&[
                "Feber",
                "Rodnad och svullnad vid injektionsstället",
                "Utslag",
                "Allergisk reaktion",
            ]);
            vec![Cv {
                display_name: Some(effect.into()),
                ..Cv::default()
            }]
        } else {
            Vec::new()
        };
        let adult = matches!(setting, Setting::Adult);
        let age = self.ctx.age_on(day);
        let mut risks = Vec::new();
        if adult && age >= 65 && programme != PROGRAMME_CHILDREN {
            risks.push(Cv {
                display_name: Some("65 år eller äldre".into()),
                ..Cv::default()
            });
        } else if let Some(r) = self.risk.filter(|_| adult) {
            risks.push(Cv {
                display_name: Some(r.into()),
                ..Cv::default()
            });
        }
        let batch = format!(
            "{}{}{:04}",
            char::from(b'A' + self.ctx.rng.below(26) as u8),
            char::from(b'A' + self.ctx.rng.below(26) as u8),
            self.ctx.rng.below(10_000)
        );
        let administration = AdministrationRecord {
            program: Some(Cv {
                display_name: Some(programme.into()),
                ..Cv::default()
            }),
            prescriber_org: None,
            prescriber: None,
            performer_org: Some(unit),
            performer: Some(Actor {
                hsa_id: Some(hsa_id),
                name: Some(name),
                ..Actor::default()
            }),
            anatomical_site: site,
            route: Some(Cv::coded(route, EDQM, route_name(route))),
            dose: Some(Dose {
                quantity: Some(Pq::new(ml, "ml")),
                display_name: format!("{} ml", sv_num(ml)),
            }),
            is_dose_complete: Some(true),
            dose_ordinal_number: Some(dose.0),
            number_of_prescribed_doses: dose.1,
            source_description: None,
            comment_prescription: None,
            comment_administration: None,
            adverse_effects: adverse,
            type_of_vaccine: Some(Cv {
                code_system_name: Some("ATC".into()),
                ..Cv::coded(vaccine.col(1), ATC, vaccine.col(2))
            }),
            vaccine_name: Some(Cv {
                display_name: Some(vaccine.col(3).into()),
                ..Cv::default()
            }),
            batch_id: Some(batch),
            manufacturer: Some(vaccine.col(4).into()),
            target_diseases: vaccine
                .col(9)
                .split(';')
                .filter(|t| !t.is_empty())
                .map(|t| Cv {
                    display_name: Some(t.into()),
                    ..Cv::default()
                })
                .collect(),
            unique_reference: Some(Ii::new(
                &place.site.source_system,
                &format!("{}-1", header.document_id),
            )),
        };
        let product = match place.site.kind {
            SiteKind::Private => "MittVaccin",
            _ => "Svevac",
        };
        let registration = RegistrationRecord {
            care_giver_org: OrgUnitInfo::named(
                &place.site.care_giver_hsa_id,
                &place.site.care_giver_name,
            ),
            care_giver_contact: None,
            source_system_name: product.into(),
            source_system_product_name: Some(product.into()),
            source_system_product_version: None,
            source_system_contact: Actor {
                name: Some(format!("Systemförvaltning {product}")),
                ..Actor::default()
            },
            care_unit_smi_id: None,
            date: Ctx::date(day),
            patient_postal_code: None,
            unstructured_note: None,
            risk_categories: risks,
            adverse_effects: Vec::new(),
        };
        let patient = self.ctx.patient;
        self.out.push(VaccinationMedicalRecord {
            header,
            body: VaccinationMedicalRecordBody {
                registration,
                administrations: vec![administration],
                additional_patient_information: Some(AdditionalPatientInformation {
                    date_of_birth: Ctx::date(patient.birth_date),
                    gender: Some(if patient.female {
                        Cv::coded("2", KV_KON, "Kvinna")
                    } else {
                        Cv::coded("1", KV_KON, "Man")
                    }),
                }),
            },
        });
    }

    /// A series of `key` on `days` (one product for the whole series).
    fn series(&mut self, key: &str, days: &[NaiveDate], setting: Setting, programme: &'static str) {
        let Some(first) = days.first() else {
            return;
        };
        let Some(vaccine) = self.product(key, *first) else {
            return;
        };
        let of = days.len() as i64;
        for (n, day) in days.iter().enumerate() {
            // A dose is occasionally missed (illness, moved away).
            if n > 0 && self.ctx.rng.chance(0.015) {
                break;
            }
            self.give(*day, vaccine, setting, (n as i64 + 1, Some(of)), programme);
        }
    }

    /// The Swedish childhood programme.
    fn childhood(&mut self) {
        let birth = self.birth();
        if self.ctx.rng.chance(0.025) {
            // Not vaccinated (the guardians declined).
            return;
        }
        let jitter =
            |g: &mut Self, lo: i64, hi: i64| birth + Duration::days(g.ctx.rng.range(lo, hi));
        let v3 = jitter(self, 84, 105);
        let v5 = jitter(self, 145, 170);
        let v12 = jitter(self, 358, 395);
        if birth >= ymd(2019, 9, 1) {
            let w6 = jitter(self, 42, 56);
            self.series("rota", &[w6, v3], Setting::Child, PROGRAMME_CHILDREN);
        }
        let combined = if birth >= ymd(2016, 1, 1) {
            "hexa"
        } else {
            "penta"
        };
        self.series(combined, &[v3, v5, v12], Setting::Child, PROGRAMME_CHILDREN);
        if birth >= ymd(2009, 1, 1) {
            self.series("pcv", &[v3, v5, v12], Setting::Child, PROGRAMME_CHILDREN);
        }
        let m18 = jitter(self, 540, 610);
        let mpr2 = if birth >= ymd(2002, 1, 1) {
            // Åk 1–2, given by the school health service.
            let days = self.ctx.rng.range(180, 2 * 365);
            self.at_age(6, days)
        } else {
            let days = self.ctx.rng.range(0, 300);
            self.at_age(12, days)
        };
        if let Some(mpr) = self.product("mpr", m18.max(records_from())) {
            self.give(m18, mpr, Setting::Child, (1, Some(2)), PROGRAMME_CHILDREN);
            if !self.ctx.rng.chance(0.03) {
                self.give(mpr2, mpr, Setting::School, (2, Some(2)), PROGRAMME_CHILDREN);
            }
        }
        let days = self.ctx.rng.range(0, 120);
        let y5 = self.at_age(5, days);
        self.series("dtap_ipv", &[y5], Setting::Child, PROGRAMME_CHILDREN);
        // HPV in the autumn of the fifth school year (the year the child turns 11).
        let female = self.ctx.patient.female;
        if (female && birth.year() >= 2001 || !female && birth.year() >= 2009)
            && self.ctx.rng.chance(0.85)
        {
            let first = ymd(birth.year() + 11, 9, 1) + Duration::days(self.ctx.rng.range(0, 80));
            if first < ymd(2024, 7, 1) {
                let second = first + Duration::days(self.ctx.rng.range(180, 300));
                self.series("hpv", &[first, second], Setting::School, PROGRAMME_CHILDREN);
            } else {
                self.series("hpv", &[first], Setting::School, PROGRAMME_CHILDREN);
            }
        }
        // Diphtheria, tetanus (and pertussis from 2016) booster in the eighth school year.
        if self.ctx.rng.chance(0.85) {
            let day = ymd(birth.year() + 14, 9, 1) + Duration::days(self.ctx.rng.range(0, 80));
            let key = if day.year() >= 2016 { "dtp" } else { "dt" };
            self.series(key, &[day], Setting::School, PROGRAMME_CHILDREN);
        }
    }

    /// Influenza every autumn from 65 (and some of the risk groups from 18).
    fn influenza(&mut self) {
        let first = records_from().year().max(self.birth().year() + 18);
        for year in first..=self.ctx.today.year() {
            let day = ymd(year, 10, 15) + Duration::days(self.ctx.rng.range(0, 75));
            if day > self.ctx.today {
                break;
            }
            let age = self.ctx.age_on(day);
            let p = if age >= 65 {
                0.65
            } else if self.risk.is_some() {
                0.35
            } else {
                0.0
            };
            if !self.ctx.rng.chance(p) {
                continue;
            }
            let key = if age >= 75 && year >= 2023 && self.ctx.rng.chance(0.5) {
                "flu_hd"
            } else {
                "flu"
            };
            if let Some(v) = self.product(key, day) {
                self.give(day, v, Setting::Adult, (1, Some(1)), PROGRAMME_FLU);
            }
        }
    }

    /// One pneumococcal vaccination from 65, or for a risk group.
    fn pneumococcal(&mut self) {
        let age = self.ctx.age_on(self.ctx.today);
        let from = if age >= 65 {
            self.at_age(65, 0)
        } else if self.risk.is_some() && age >= 18 {
            self.ctx.today - Duration::days(10 * 365)
        } else {
            return;
        };
        if !self.ctx.rng.chance(0.45) {
            return;
        }
        let day = self
            .ctx
            .day_between(from.max(records_from()), self.ctx.today);
        if let Some(v) = self.product("ppv", day) {
            self.give(day, v, Setting::Adult, (1, Some(1)), PROGRAMME_PNEUMO);
        }
    }

    /// Covid-19 from 2021: the primary series by age group, a booster, autumn doses for 65+.
    fn covid(&mut self) {
        let age_2021 = self.ctx.age_on(ymd(2021, 6, 30));
        let (from, to, p) = match age_2021 {
            80.. => (ymd(2021, 1, 10), ymd(2021, 2, 28), 0.95),
            65..=79 => (ymd(2021, 2, 15), ymd(2021, 4, 30), 0.93),
            18..=64 => (ymd(2021, 4, 15), ymd(2021, 7, 31), 0.85),
            12..=17 => (ymd(2021, 8, 15), ymd(2021, 10, 31), 0.6),
            _ => return,
        };
        if !self.ctx.rng.chance(p) {
            return;
        }
        let d1 = from + Duration::days(self.ctx.rng.range(0, (to - from).num_days()));
        let d2 = d1 + Duration::days(self.ctx.rng.range(21, 42));
        let Some(primary) = self.product("covid", d1) else {
            return;
        };
        self.give(d1, primary, Setting::Adult, (1, Some(2)), PROGRAMME_COVID);
        self.give(d2, primary, Setting::Adult, (2, Some(2)), PROGRAMME_COVID);
        let mut dose = 2;
        let old = |g: &Self, day: NaiveDate| g.ctx.age_on(day) >= 65;
        let booster = ymd(2021, 11, 15) + Duration::days(self.ctx.rng.range(0, 100));
        let p3 = if old(self, booster) { 0.9 } else { 0.65 };
        if age_2021 >= 18 && self.ctx.rng.chance(p3) {
            // The first booster (winter 2021/22) was the original vaccine.
            if let Some(v) = self.product("covid", ymd(2021, 12, 31)) {
                dose += 1;
                self.give(booster, v, Setting::Adult, (dose, None), PROGRAMME_COVID);
            }
        } else {
            return;
        }
        for year in 2022..=self.ctx.today.year() {
            let day = ymd(year, 9, 15) + Duration::days(self.ctx.rng.range(0, 75));
            if day > self.ctx.today || !old(self, day) {
                continue;
            }
            let p = if year == 2022 { 0.8 } else { 0.65 };
            if self.ctx.rng.chance(p)
                && let Some(v) = self.product("covid", day)
            {
                dose += 1;
                self.give(day, v, Setting::Adult, (dose, None), PROGRAMME_COVID);
            }
        }
    }
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut g = Gen::new(env);
    g.childhood();
    g.influenza();
    g.pneumococcal();
    g.covid();
    sink.put::<GetVaccinationHistoryV2>(g.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population;
    use std::collections::HashMap;

    fn atc(r: &VaccinationMedicalRecord) -> &str {
        r.body.administrations[0]
            .type_of_vaccine
            .as_ref()
            .and_then(|c| c.code.as_deref())
            .unwrap_or("")
    }

    fn day(r: &VaccinationMedicalRecord) -> NaiveDate {
        NaiveDate::parse_from_str(&r.body.registration.date, "%Y%m%d").expect("date")
    }

    #[test]
    fn vaccinations_follow_the_swedish_programme() {
        let items = crate::check::generated::<GetVaccinationHistoryV2>(300);
        let pop = population::example();
        let mut by_patient: HashMap<&str, Vec<&VaccinationMedicalRecord>> = HashMap::new();
        for r in &items {
            assert!(atc(r).starts_with("J07"), "{}", atc(r));
            assert_eq!(
                r.header.document_time.as_deref().map(|t| &t[..8]),
                Some(r.body.registration.date.as_str()),
                "documentTime is the vaccination's day"
            );
            by_patient
                .entry(r.header.patient_id.id.as_str())
                .or_default()
                .push(r);
        }
        let (mut toddlers, mut toddlers_programme) = (0, 0);
        let (mut elderly, mut elderly_flu) = (0, 0);
        let (mut teens, mut teens_hpv, mut boys_hpv) = (0, 0, 0);
        for i in 0..300 {
            let (p, _) = pop.patient(i);
            let records = by_patient.get(p.id.as_str()).cloned().unwrap_or_default();
            let age = p.age_on(pop.today);
            for r in &records {
                let d = day(r);
                assert!(d >= p.birth_date && d <= pop.today);
                let age_days = (d - p.birth_date).num_days();
                match atc(r) {
                    // DTaP-IPV-Hib(-HepB) and PCV at 3, 5 and 12 months.
                    "J07CA09" | "J07CA06" => {
                        assert!((84..=395).contains(&age_days), "{age_days}");
                        let n = r.body.administrations[0].dose_ordinal_number;
                        let window = match n {
                            Some(1) => 84..=105,
                            Some(2) => 145..=170,
                            _ => 358..=395,
                        };
                        assert!(window.contains(&age_days), "dose {n:?} at {age_days} days");
                    }
                    "J07BH01" => assert!((42..=105).contains(&age_days)),
                    "J07BD52" => assert!(
                        (540..=610).contains(&age_days) || p.age_on(d) >= 6,
                        "MPR at {age_days} days"
                    ),
                    "J07BM01" | "J07BM02" | "J07BM03" => assert!((10..=12).contains(&p.age_on(d))),
                    "J07BB02" => assert!(matches!(d.month(), 10..=12)),
                    _ => {}
                }
            }
            let count = |code: &str| records.iter().filter(|r| atc(r) == code).count();
            if (2..=6).contains(&age) {
                toddlers += 1;
                let hexa = count("J07CA09");
                let pcv = count("J07AL02") + count("J07AL52");
                if hexa == 3 && pcv == 3 && count("J07BD52") >= 1 {
                    toddlers_programme += 1;
                }
                if p.birth_date >= ymd(2019, 9, 1) && hexa == 3 {
                    assert!(
                        count("J07BH01") >= 1,
                        "rotavirus for children born from 2019-09"
                    );
                }
            }
            if age >= 70 {
                elderly += 1;
                elderly_flu += usize::from(count("J07BB02") >= 3);
            }
            if (14..=16).contains(&age) {
                teens += 1;
                let hpv = count("J07BM03") + count("J07BM01") + count("J07BM02");
                teens_hpv += usize::from(hpv >= 1);
                boys_hpv += usize::from(hpv >= 1 && !p.female);
            }
        }
        assert!(
            toddlers > 5 && toddlers_programme * 10 >= toddlers * 8,
            "{toddlers_programme} of {toddlers} toddlers vaccinated by the programme"
        );
        assert!(
            elderly > 20 && elderly_flu * 2 >= elderly,
            "{elderly_flu} of {elderly} elderly with yearly influenza vaccination"
        );
        assert!(
            teens == 0 || teens_hpv * 2 >= teens,
            "{teens_hpv} of {teens}"
        );
        assert!(teens < 6 || boys_hpv > 0, "boys get HPV too");
        assert!(items.iter().any(|r| atc(r) == "J07BN01"), "covid-19 doses");
        assert!(items.iter().any(|r| atc(r) == "J07AJ52"), "dTp in school");
    }
}
