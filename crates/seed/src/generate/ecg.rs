//! Resting ECGs (GetECGOutcome 1.0) of adults: measurements, the machine's statements and the
//! physician's interpretation.
//!
//! Why an ECG is taken comes from `data/ecg_indications.tsv`: at the onset of atrial
//! fibrillation (I48.9), heart failure (I50.9), coronary heart disease (I25.1), hypertension,
//! diabetes, before cholinesterase inhibitors in Alzheimer's disease, yearly controls of the
//! heart conditions, and everyday ECGs (palpitations, chest pain, preoperative) by age.
//!
//! What the ECG shows follows the heart: each patient has fixed traits (heart rate, PQ, QRS,
//! QTc and axis baselines; bundle-branch block or an old infarction with some probability given
//! the conditions), and the conditions change the picture from their onset (shared with the
//! imaging and referral generators): atrial fibrillation with a fast ventricular rate at
//! diagnosis and a controlled rate on metoprolol afterwards (or sinus rhythm again when
//! paroxysmal), left bundle-branch block or a ventricular pacemaker in heart failure, Q waves or
//! ST depression in coronary disease, left ventricular hypertrophy in hypertension. The QRS
//! width, which the schema has no element for, is in the report text.
//!
//! ECGs are taken at primary care, emergency and hospital units of regions and at private
//! clinics and read there, or (at regions, 40 %) taken and read at Klinisk fysiologi on a
//! referral from the requesting unit.

use super::imaging::{department, end_of, onset, plus_years, referrer, referrer_place, role, text};
use super::{Env, Sink};
use crate::code_list;
use crate::codes::Row;
use crate::ctx::{Ctx, Place, SiteKind};
use crate::rng::Rng;
use chrono::{Duration, NaiveDate};
use npo_riv::common::{Cv, LegalAuthenticator};
use npo_riv::contracts::ecg_outcome_v1::{
    EcgBody, EcgOutcome, EcgRecording, EcgStructuredData, GetECGOutcomeV1, StLevel, UsedFilter,
};
use npo_riv::contracts::imaging_outcome_v1::{
    ExaminationReferral, Ii, ModalityData, Pq, SNOMED_CT, TimePeriod, TypeOfResult,
};

code_list!(pub fn indications() = "ecg_indications.tsv");

/// The engagement-index categorization, also the document-id label.
pub const LABEL: &str = "und-ekg-ure";
/// SNOMED CT: 12 lead electrocardiogram (procedure).
pub const RESTING_ECG: &str = "268400002";
/// Root of the synthetic ECG system's recording ids (a local id; ISO example arc).
pub const RECORDING_ROOT: &str = "2.999.752.1.4";
/// How far back everyday ECGs go.
const WINDOW_YEARS: i64 = 15;

/// ECG machines: manufacturer, model, interpretation algorithm, software version.
const EQUIPMENT: &[(&str, &str, &str, &str)] = &[
    ("GE HealthCare", "MAC 5500 HD", "GE 12SL", "v23"),
    ("Philips", "PageWriter TC70", "Philips DXL", "PH100C"),
    ("Schiller", "Cardiovit AT-102 G2", "Schiller ETM", "2.1"),
];

/// The patient's heart as the ECG shows it: per-patient traits and the onsets of the heart
/// conditions.
struct Heart {
    af: Option<NaiveDate>,
    af_persistent: bool,
    hf: Option<NaiveDate>,
    cad: Option<NaiveDate>,
    htn: Option<NaiveDate>,
    lbbb: bool,
    rbbb: bool,
    old_mi: bool,
    lvh: bool,
    pacemaker: bool,
    av_block: bool,
    hr: f64,
    pr: f64,
    qrs: f64,
    qtc: f64,
    axis: f64,
}

impl Heart {
    fn new(env: &Env<'_>, rng: &mut Rng, age: u32) -> Self {
        let on = |code: &str| {
            env.conditions
                .iter()
                .find(|c| c.col(0) == code)
                .map(|c| onset(env, c))
        };
        let (af, hf, cad, htn) = (on("I48.9"), on("I50.9"), on("I25.1"), on("I10"));
        let female = env.patient.female;
        let age = f64::from(age);
        Heart {
            af,
            af_persistent: rng.chance(0.65),
            hf,
            cad,
            htn,
            lbbb: hf.is_some() && rng.chance(0.3),
            rbbb: rng.chance(0.03),
            old_mi: cad.is_some() && rng.chance(0.35),
            lvh: (htn.is_some() && rng.chance(0.15)) || (hf.is_some() && rng.chance(0.2)),
            pacemaker: hf.is_some() && rng.chance(0.1),
            av_block: age >= 70.0 && rng.chance(0.1),
            hr: rng.normal(70.0, 8.0).clamp(52.0, 95.0),
            pr: rng.normal(155.0, 16.0).clamp(115.0, 198.0),
            qrs: rng
                .normal(if female { 88.0 } else { 94.0 }, 8.0)
                .clamp(72.0, 112.0),
            qtc: rng
                .normal(if female { 425.0 } else { 412.0 }, 13.0)
                .clamp(375.0, 465.0),
            axis: rng
                .normal(45.0 - (age - 40.0).max(0.0) * 0.5, 22.0)
                .clamp(-25.0, 95.0),
        }
    }

    fn since(d: Option<NaiveDate>, day: NaiveDate) -> bool {
        d.is_some_and(|d| d <= day)
    }

    /// On metoprolol (all three heart conditions are treated with it) from a week after onset.
    fn beta_blocked(&self, day: NaiveDate) -> bool {
        [self.af, self.hf, self.cad]
            .iter()
            .flatten()
            .any(|d| *d + Duration::days(7) <= day)
    }
}

/// What one ECG shows.
struct Findings {
    rhythm: &'static str,
    af: bool,
    paced: bool,
    hr: f64,
    pr: Option<f64>,
    qrs: f64,
    qt: f64,
    qtc: f64,
    p_axis: Option<f64>,
    qrs_axis: f64,
    t_axis: f64,
    st: Vec<(&'static str, f64)>,
    /// Statements besides rhythm and axis.
    other: Vec<&'static str>,
}

impl Findings {
    fn axis_text(&self) -> &'static str {
        if self.qrs_axis < -30.0 {
            "Vänsterställd el-axel"
        } else if self.qrs_axis > 90.0 {
            "Högerställd el-axel"
        } else {
            "Normal el-axel"
        }
    }

    fn normal(&self) -> bool {
        self.rhythm == "Sinusrytm" && self.other.is_empty() && self.axis_text() == "Normal el-axel"
    }
}

fn findings(rng: &mut Rng, heart: &Heart, day: NaiveDate, at_af_diagnosis: bool) -> Findings {
    let beta = heart.beta_blocked(day);
    let hf = Heart::since(heart.hf, day);
    let paced = heart.pacemaker && heart.hf.is_some_and(|d| d + Duration::days(365) <= day);
    let af = at_af_diagnosis
        || (Heart::since(heart.af, day) && (heart.af_persistent || rng.chance(0.3)));
    let mut other = Vec::new();
    let mut st = Vec::new();
    let (rhythm, hr, pr, p_axis) = if paced {
        (
            "Kammarpacad rytm",
            60.0 + rng.range(0, 2) as f64 * 5.0,
            None,
            None,
        )
    } else if af {
        let hr = if at_af_diagnosis {
            rng.normal(118.0, 14.0).clamp(88.0, 165.0)
        } else {
            rng.normal(80.0, 12.0).clamp(50.0, 125.0)
        };
        let r = if hr > 100.0 {
            "Förmaksflimmer med snabb kammarfrekvens"
        } else if hr < 60.0 {
            "Förmaksflimmer med långsam kammarfrekvens"
        } else {
            "Förmaksflimmer med normal kammarfrekvens"
        };
        (r, hr, None, None)
    } else {
        let hr =
            (heart.hr + rng.normal(0.0, 6.0) - if beta { 9.0 } else { 0.0 }).clamp(42.0, 115.0);
        let r = if hr < 50.0 {
            "Sinusbradykardi"
        } else if hr > 100.0 {
            "Sinustakykardi"
        } else {
            "Sinusrytm"
        };
        let pr = if heart.av_block {
            rng.normal(232.0, 12.0).clamp(205.0, 280.0)
        } else {
            heart.pr + rng.normal(0.0, 6.0)
        };
        if pr > 200.0 {
            other.push("AV-block I");
        }
        (r, hr, Some(pr), Some(rng.normal(50.0, 12.0)))
    };
    let mut qrs = heart.qrs + rng.normal(0.0, 3.0);
    let mut qtc = heart.qtc + rng.normal(0.0, 6.0);
    let mut axis = heart.axis + rng.normal(0.0, 5.0);
    if paced {
        qrs = rng.normal(162.0, 6.0);
        qtc += 45.0;
        axis = rng.normal(-65.0, 8.0);
    } else if heart.lbbb && hf {
        qrs = rng.normal(148.0, 6.0);
        qtc += 30.0;
        axis -= 25.0;
        other.push("Vänster grenblock");
    } else if heart.rbbb {
        qrs = rng.normal(128.0, 4.0);
        other.push("Höger grenblock");
    }
    if heart.old_mi && Heart::since(heart.cad, day) && !paced {
        other.push("Q-vågor i II, III och aVF, förenligt med gammal inferior infarkt");
    }
    let cad_at_onset = heart.cad.is_some_and(|d| d == day);
    if cad_at_onset && !paced && rng.chance(0.4) {
        other.push("ST-sänkning i V4–V6");
        st = vec![
            ("V4", -0.1),
            ("V5", round1(rng.normal(-0.15, 0.03))),
            ("V6", -0.1),
        ];
    }
    if !paced && heart.lvh && (Heart::since(heart.htn, day) || hf) {
        other.push("Vänsterkammarhypertrofi enligt spänningskriterier");
    }
    if rng.chance(0.05) {
        other.push("Enstaka ventrikulära extraslag");
    } else if rng.chance(0.04) && !af {
        other.push("Enstaka supraventrikulära extraslag");
    }
    let rr = 60.0 / hr;
    let qt = qtc * rr.sqrt();
    Findings {
        rhythm,
        af: af && !paced,
        paced,
        hr: hr.round(),
        pr: pr.map(f64::round),
        qrs: qrs.round(),
        qt: qt.round(),
        qtc: qtc.round(),
        p_axis: p_axis.map(f64::round),
        qrs_axis: axis.round(),
        t_axis: (axis * 0.5 + rng.normal(20.0, 12.0)).round(),
        st,
        other,
    }
}

fn round1(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The physician's interpretation, with the comparison to the previous ECG.
fn report(f: &Findings, previous: Option<(NaiveDate, bool)>) -> String {
    let mut s = format!("{} {}/min.", f.rhythm, f.hr);
    if let Some(pr) = f.pr {
        s.push_str(&format!(" PQ-tid {pr} ms."));
    }
    s.push_str(&format!(
        " QRS {} ms, QTc {} ms. {}.",
        f.qrs,
        f.qtc,
        f.axis_text()
    ));
    for o in &f.other {
        s.push_str(&format!(" {o}."));
    }
    if f.st.is_empty() && !f.paced {
        s.push_str(" Inga ST-T-förändringar.");
    }
    if f.normal() {
        s.push_str(" Normalt EKG.");
    }
    if let Some((day, was_af)) = previous {
        let change = match (was_af, f.af) {
            (false, true) => "nytillkommet förmaksflimmer",
            (true, false) if !f.paced => "nu sinusrytm",
            _ => "i huvudsak oförändrat",
        };
        s.push_str(&format!(
            " Jämfört med EKG {}: {change}.",
            day.format("%Y-%m-%d")
        ));
    }
    s
}

/// One ECG to make.
struct Ecg {
    day: NaiveDate,
    row: &'static Row,
    followup: bool,
    af_diagnosis: bool,
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let age_now = ctx.age_on(env.today);
    if age_now < 18 {
        return sink.put::<GetECGOutcomeV1>(Vec::new());
    }
    let heart = Heart::new(env, &mut ctx.rng, age_now);
    let adult = plus_years(env.patient.birth_date, 18);
    let mut ecgs = Vec::new();

    for condition in env.conditions {
        let Some(row) = indications().iter().find(|r| r.col(0) == condition.col(0)) else {
            continue;
        };
        let day0 = onset(env, condition);
        let rate: f64 = row.col(1).parse().unwrap_or(0.0);
        if day0 >= adult && ctx.rng.chance(rate) {
            ecgs.push(Ecg {
                day: day0,
                row,
                followup: false,
                af_diagnosis: condition.col(0) == "I48.9",
            });
        }
        let yearly: f64 = row.col(2).parse().unwrap_or(0.0);
        let from = (day0 + Duration::days(60)).max(adult);
        if yearly > 0.0 && from < env.today {
            let years = ((env.today - from).num_days() as f64 / 365.25).min(12.0);
            let expected = yearly * years;
            let n = expected.floor() as u32 + u32::from(ctx.rng.chance(expected.fract()));
            for _ in 0..n {
                let day = ctx.day_between(from, env.today);
                ecgs.push(Ecg {
                    day,
                    row,
                    followup: true,
                    af_diagnosis: false,
                });
            }
        }
    }

    let window_start = (env.today - Duration::days(WINDOW_YEARS * 365)).max(adult);
    for row in indications().iter().filter(|r| r.col(0) == "-") {
        let min: u32 = row.col(3).parse().unwrap_or(18);
        let max: u32 = row.col(4).parse().unwrap_or(120);
        let from = plus_years(env.patient.birth_date, min).max(window_start);
        let to = (plus_years(env.patient.birth_date, max.saturating_add(1)) - Duration::days(1))
            .min(env.today);
        if from > to {
            continue;
        }
        let rate: f64 = row.col(1).parse().unwrap_or(0.0);
        let expected = rate * (to - from).num_days() as f64 / 365.25 / 10.0;
        let n = expected.floor() as u32 + u32::from(ctx.rng.chance(expected.fract()));
        for _ in 0..n {
            let day = ctx.day_between(from, to);
            ecgs.push(Ecg {
                day,
                row,
                followup: false,
                af_diagnosis: false,
            });
        }
    }

    ecgs.sort_by_key(|e| e.day);
    let mut items = Vec::with_capacity(ecgs.len());
    let mut previous: Option<(NaiveDate, bool)> = None;
    for ecg in &ecgs {
        let f = findings(&mut ctx.rng, &heart, ecg.day, ecg.af_diagnosis);
        let af = f.af;
        if let Some(item) = outcome(&mut ctx, ecg, &f, previous) {
            items.push(item);
            previous = Some((ecg.day, af));
        }
    }
    sink.put::<GetECGOutcomeV1>(items)
}

fn pq(v: f64, unit: &str) -> Option<Pq> {
    Some(Pq::new(v, unit))
}

fn outcome(
    ctx: &mut Ctx<'_>,
    ecg: &Ecg,
    f: &Findings,
    previous: Option<(NaiveDate, bool)>,
) -> Option<EcgOutcome> {
    let preoperative = ecg.row.col(5).starts_with("Preoperativ");
    let acute = !ecg.followup && !preoperative && ctx.rng.chance(0.25);
    let prefer: &[&str] = if acute {
        &["Akut"]
    } else {
        &["Vårdcentral", "Hälsocentral", "Medicin"]
    };
    let taken = referrer_place(&mut ctx.rng, ctx.sites, prefer, !acute)?;
    let at_lab = taken.site.kind == SiteKind::Region && !acute && ctx.rng.chance(0.4);
    let lab_unit;
    let place = if at_lab {
        lab_unit = department(taken.site, "KFY1", "Klinisk fysiologi");
        Place {
            site: taken.site,
            unit: &lab_unit,
        }
    } else {
        taken
    };
    let today_end = end_of(ctx.today);
    let start = ctx.at(ecg.day);
    let end = start + Duration::minutes(ctx.rng.range(5, 12));
    let result = if at_lab {
        let days = ctx.rng.range(1, 3);
        let t = ctx.at(ecg.day + Duration::days(days));
        t.max(end + Duration::minutes(60))
    } else {
        end + Duration::minutes(ctx.rng.range(15, 300))
    };
    if result > today_end {
        return None;
    }
    let preliminary = today_end - result < Duration::days(1) && ctx.rng.chance(0.5);

    let k = ctx.rng.below(EQUIPMENT.len());
    let (manufacturer, model, algorithm, software) = EQUIPMENT[k];
    let mut statements: Vec<String> = vec![f.rhythm.to_owned()];
    if f.axis_text() != "Normal el-axel" {
        statements.push(f.axis_text().to_owned());
    }
    statements.extend(f.other.iter().map(|s| (*s).to_owned()));
    statements.push(
        if f.normal() {
            "Normalt EKG"
        } else {
            "Onormalt EKG"
        }
        .to_owned(),
    );

    let mut header = ctx.header(place, result);
    header.document_title = Some("Vilo-EKG".into());
    header.document_time = Some(Ctx::ts(start));
    header.accountable.role_code = Some(role(if at_lab {
        "Specialistläkare, klinisk fysiologi"
    } else {
        "Läkare"
    }));
    if let Some(l) = header.legal_authenticator.as_mut() {
        l.signature_time = Ctx::ts(result);
    }
    let (type_of_result, result_report) = if preliminary {
        header.legal_authenticator = None;
        (
            TypeOfResult::Preliminary,
            format!(
                "Maskintolkning, ej granskad av läkare: {}.",
                statements.join(", ")
            ),
        )
    } else {
        (TypeOfResult::Final, report(f, previous))
    };
    if ctx.rng.chance(0.005) {
        header.nullified = Some(true);
        header.nullified_reason = Some("EKG registrerat på fel patient.".into());
    }

    let mut performer = referrer(ctx, place, end);
    performer.role_code = Some(role(if at_lab {
        "Biomedicinsk analytiker"
    } else {
        "Sjuksköterska"
    }));
    let structured = EcgStructuredData {
        used_filters: vec![UsedFilter {
            name: Some("Baslinje- och muskelfilter".into()),
            lower: pq(0.05, "Hz"),
            upper: pq(150.0, "Hz"),
        }],
        heart_rate: pq(f.hr, "/min"),
        qt: pq(f.qt, "ms"),
        qt_corrected: pq(f.qtc, "ms"),
        pr: f.pr.and_then(|v| pq(v, "ms")),
        p_axis: f.p_axis.and_then(|v| pq(v, "°")),
        qrs_axis: pq(f.qrs_axis, "°"),
        t_axis: pq(f.t_axis, "°"),
        st: f
            .st
            .iter()
            .map(|(lead, mv)| StLevel {
                lead: (*lead).to_owned(),
                level: Pq::new(*mv, "mV"),
            })
            .collect(),
        interpretation_algorithm: Some(algorithm.to_owned()),
        interpretation: statements,
    };
    let recording = EcgRecording {
        recording_id: Ii {
            root: RECORDING_ROOT.to_owned(),
            extension: Some(format!(
                "EKG{}{:07}",
                ecg.day.format("%Y"),
                ctx.rng.range(1, 9_999_999)
            )),
        },
        examination_activity: Cv {
            code: Some(RESTING_ECG.into()),
            code_system: Some(SNOMED_CT.into()),
            code_system_name: Some("SNOMED CT".into()),
            code_system_version: None,
            display_name: Some("Vilo-EKG, 12 avledningar".into()),
            original_text: None,
        },
        examination_time: TimePeriod {
            start: Some(Ctx::ts(start)),
            end: Some(Ctx::ts(end)),
        },
        examination_status: Some(role("Avklarad")),
        examination_unit: at_lab.then(|| "EKG-lab".to_owned()),
        performer: Some(performer),
        modality: Some(ModalityData {
            type_of_modality: Some("ECG".into()),
            manufacturer: Some(manufacturer.into()),
            model_name: Some(model.into()),
            equipment_id: Some(format!("EKG-{:02}", k + 1)),
            software_version: Some(software.into()),
            line_filter: pq(50.0, "Hz"),
        }),
        pacemaker: Some(f.paced),
        structured: vec![structured],
    };

    let question = if ecg.followup {
        ecg.row.col(7)
    } else {
        ecg.row.col(5)
    };
    let referral = if at_lab {
        let days = ctx.rng.range(1, 21);
        let sent = ctx.at(ecg.day - Duration::days(days));
        let sent = sent.min(start - Duration::minutes(30));
        let author = referrer(ctx, taken, sent);
        let attested_at = result + Duration::hours(ctx.rng.range(2, 120));
        let attested =
            (attested_at <= today_end && ctx.rng.chance(0.6)).then(|| LegalAuthenticator {
                signature_time: Ctx::ts(attested_at),
                hsa_id: author.hsa_id.clone(),
                name: author.name.clone(),
            });
        Some(ExaminationReferral {
            referral_id: format!("REM-{}", header.document_id),
            reason: text(question, ""),
            anamnesis: if ecg.followup {
                None
            } else {
                text(ecg.row.col(6), "")
            },
            care_contact_id: None,
            referrer: author,
            attested,
        })
    } else {
        None
    };

    Some(EcgOutcome {
        header,
        body: EcgBody {
            examination_speciality: at_lab.then(|| role("Klinisk fysiologi")),
            type_of_result,
            result_time: Ctx::ts(result),
            result_report,
            result_comment: None,
            patient_data: None,
            recordings: vec![recording],
            referral,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;
    use npo_riv::Contract;

    #[test]
    fn ecgs_are_valid_plausible_and_follow_the_heart() {
        let items = check::generated::<GetECGOutcomeV1>(300);
        let pop = crate::population::example();
        assert!(items.len() > 300, "only {} ECGs", items.len());
        let mut af_items = 0;
        for i in 0..300 {
            let (patient, conditions) = pop.patient(i);
            let has = |code: &str| conditions.iter().any(|c| c.col(0) == code);
            let mine: Vec<&EcgOutcome> = items
                .iter()
                .filter(|o| o.header.patient_id.id == patient.id)
                .collect();
            for o in &mine {
                let day =
                    chrono::NaiveDate::parse_from_str(&o.body.result_time[..8], "%Y%m%d").unwrap();
                assert!(patient.age_on(day) >= 18, "ECG of a child");
                let s = &o.body.recordings[0].structured[0];
                let hr = s.heart_rate.as_ref().unwrap().value;
                assert!((40.0..=170.0).contains(&hr), "heart rate {hr}");
                let qtc = s.qt_corrected.as_ref().unwrap().value;
                assert!((360.0..=560.0).contains(&qtc), "QTc {qtc}");
                if let Some(pr) = &s.pr {
                    assert!((100.0..=300.0).contains(&pr.value), "PR {}", pr.value);
                }
                let af = s.interpretation[0].starts_with("Förmaksflimmer");
                if af {
                    af_items += 1;
                    assert!(has("I48.9"), "atrial fibrillation without I48.9");
                    assert!(s.pr.is_none() && s.p_axis.is_none());
                }
                if s.interpretation
                    .iter()
                    .any(|i| i.contains("gammal inferior infarkt"))
                {
                    assert!(has("I25.1"));
                }
                if o.body.recordings[0].pacemaker == Some(true) {
                    assert!(has("I50.9"));
                }
                let v = GetECGOutcomeV1::view(o);
                assert_eq!(v.title, "Vilo-EKG, 12 avledningar");
                assert!(v.fields.iter().any(|(l, _)| *l == "Hjärtfrekvens"));
            }
            // A patient with atrial fibrillation has the ECG that found it.
            if has("I48.9") && mine.len() > 1 {
                assert!(mine.iter().any(|o| {
                    o.body.recordings[0].structured[0].interpretation[0]
                        .starts_with("Förmaksflimmer")
                }));
            }
        }
        assert!(af_items > 5, "{af_items} ECGs with atrial fibrillation");
        let with_referral = items.iter().filter(|o| o.body.referral.is_some()).count();
        assert!(with_referral > items.len() / 10 && with_referral < items.len());
        let normal = items
            .iter()
            .filter(|o| o.body.result_report.contains("Normalt EKG"))
            .count();
        assert!(
            normal > items.len() / 4,
            "{normal} normal of {}",
            items.len()
        );
    }
}
