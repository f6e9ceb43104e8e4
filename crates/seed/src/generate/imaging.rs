//! Imaging results (GetImagingOutcome 1.0): radiology, clinical physiology and nuclear medicine
//! reports with the referral they answer.
//!
//! Examinations are done at the region's imaging departments only (Röntgenkliniken, Klinisk
//! fysiologi, Nuklearmedicin: a unit of the region's source system with that name, or one made
//! for it next to the region's hospital), on a referral from another unit (the emergency
//! department for acute episodes, else primary care, a private clinic or a hospital clinic).
//! What is examined follows the patient's conditions (`data/imaging_indications.tsv`: pneumonia
//! gives a chest X-ray, a femoral-neck fracture a hip X-ray and a postoperative control, lumbago
//! sometimes an MR of the lumbar spine), plus examinations of everyday life by age and the
//! mammography screening programme for women aged 40–74 (no referral). The examination codes
//! are the synthetic region's local RIS codes (`data/imaging_examinations.tsv`).
//!
//! This module also holds helpers the ECG and referral-outcome generators share: condition
//! onsets that agree between the three, department units and referring places.

use super::{Env, Sink};
use crate::code_list;
use crate::codes::Row;
use crate::ctx::{Ctx, Place, Site, SiteKind, Unit};
use crate::rng::Rng;
use chrono::{Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};
use npo_riv::common::{Cv, LegalAuthenticator};
use npo_riv::contracts::imaging_outcome_v1::{
    DicomData, ExaminationReferral, GetImagingOutcomeV1, Ii, ImageRecording, ImagingBody,
    ImagingOutcome, ModalityData, PatientData, Pq, TimePeriod, TypeOfResult,
};

code_list!(pub fn examinations() = "imaging_examinations.tsv");
code_list!(pub fn indications() = "imaging_indications.tsv");

/// The engagement-index categorization, also the document-id label.
pub const LABEL: &str = "und-bdi-ure";
/// OID of the synthetic region's local RIS examination codes (`imaging_examinations.tsv`).
/// A local code system, so an OID under the ISO example arc: a real region uses its own.
pub const EXAMINATION_CODES: &str = "2.999.752.1.1";
/// Root of the synthetic region's accession numbers (`recordingId`) and study UIDs.
pub const ACCESSION_ROOT: &str = "2.999.752.1.2";
/// How far back everyday examinations go.
const WINDOW_YEARS: i64 = 15;

/// Equipment by DICOM modality: manufacturer, model, software version.
const EQUIPMENT: &[(&str, &str, &str, &str)] = &[
    ("DX", "Philips", "DigitalDiagnost C90", "5.1"),
    ("DX", "Siemens Healthineers", "Ysio X.pree", "VF10"),
    (
        "CT",
        "Siemens Healthineers",
        "SOMATOM Definition AS+",
        "VB20",
    ),
    ("CT", "GE HealthCare", "Revolution CT", "24.1"),
    ("MR", "Philips", "Ingenia 1.5T", "5.7"),
    ("MR", "Siemens Healthineers", "MAGNETOM Vida 3T", "XA50"),
    ("US", "Canon Medical Systems", "Aplio i800", "6.0"),
    ("MG", "Hologic", "Selenia Dimensions", "1.11"),
    ("NM", "Siemens Healthineers", "Symbia Intevo", "VB22"),
    ("BMD", "GE HealthCare", "Lunar iDXA", "18"),
];

/// DICOM SOP class of the images a modality stores.
fn sop_class(modality: &str) -> &'static str {
    match modality {
        "CT" => "1.2.840.10008.5.1.4.1.1.2",
        "MR" => "1.2.840.10008.5.1.4.1.1.4",
        "US" => "1.2.840.10008.5.1.4.1.1.6.1",
        "MG" => "1.2.840.10008.5.1.4.1.1.1.2",
        "NM" => "1.2.840.10008.5.1.4.1.1.20",
        "DX" => "1.2.840.10008.5.1.4.1.1.1.1",
        _ => "1.2.840.10008.5.1.4.1.1.7",
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with the ECG and referral-outcome generators

/// The last moment of the reference day.
pub(crate) fn end_of(today: NaiveDate) -> NaiveDateTime {
    today.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
}

/// `birth` plus `years` years.
pub(crate) fn plus_years(birth: NaiveDate, years: u32) -> NaiveDate {
    birth
        .checked_add_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

/// The day a condition began (chronic) or its episode happened (acute). Drawn from a stream of
/// its own per patient and condition, so the imaging, ECG and referral generators agree.
pub(crate) fn onset(env: &Env<'_>, condition: &Row) -> NaiveDate {
    let mut rng = Rng::derive(
        env.seed,
        &format!("{}:onset:{}", env.patient.id, condition.col(0)),
    );
    let chronic = condition.col(2) == "1";
    let span = if chronic { 12 * 365 } else { 5 * 365 };
    let u = rng.unit();
    let back = if chronic {
        u * span as f64
    } else {
        u * u * span as f64
    } as i64;
    let min_age: u32 = condition.col(5).parse().unwrap_or(0);
    let earliest = plus_years(env.patient.birth_date, min_age).min(env.today);
    (env.today - Duration::days(back)).max(earliest)
}

/// `höger` or `vänster`.
pub(crate) fn side(rng: &mut Rng) -> &'static str {
    if rng.chance(0.5) {
        "höger"
    } else {
        "vänster"
    }
}

/// A text from a code list: `-` is none, `{side}` becomes the side.
pub(crate) fn text(s: &str, side: &str) -> Option<String> {
    match s {
        "" | "-" => None,
        s if s.contains("{side}") => Some(s.replace("{side}", side)),
        s => Some(s.to_owned()),
    }
}

/// The unit of `site` whose name starts with `name`, or one made for it: HSA-id
/// `<care giver's organisation number>-<code>`, name `<name>, <the site's hospital>`.
pub(crate) fn department(site: &Site, code: &str, name: &str) -> Unit {
    if let Some(u) = site.units.iter().find(|u| u.name.starts_with(name)) {
        return u.clone();
    }
    let org = site
        .care_giver_hsa_id
        .split('-')
        .next()
        .unwrap_or("SE0000000000");
    let hospital = site
        .units
        .iter()
        .find_map(|u| u.name.split_once(", ").map(|(_, h)| h))
        .unwrap_or(&site.care_giver_name);
    Unit {
        hsa_id: format!("{org}-{code}"),
        name: format!("{name}, {hospital}"),
    }
}

/// A referring unit outside municipal care: one whose name contains one of `prefer` (or any
/// unit of a private care giver when `private` is set), else any unit of a region or private
/// care giver. `None` when there is none.
pub(crate) fn referrer_place<'a>(
    rng: &mut Rng,
    sites: &'a [Site],
    prefer: &[&str],
    private: bool,
) -> Option<Place<'a>> {
    let all = || {
        sites
            .iter()
            .filter(|s| s.kind != SiteKind::Municipality)
            .flat_map(|s| s.units.iter().map(move |u| Place { site: s, unit: u }))
    };
    let preferred: Vec<Place<'a>> = all()
        .filter(|p| {
            prefer.iter().any(|k| p.unit.name.contains(k))
                || (private && p.site.kind == SiteKind::Private)
        })
        .collect();
    if !preferred.is_empty() {
        return Some(preferred[rng.below(preferred.len())]);
    }
    let any: Vec<Place<'a>> = all().collect();
    (!any.is_empty()).then(|| any[rng.below(any.len())])
}

/// A referring professional: care unit and care giver are left out, as the TKB says for the
/// referral's author.
pub(crate) fn referrer(
    ctx: &mut Ctx<'_>,
    place: Place<'_>,
    time: NaiveDateTime,
) -> npo_riv::common::HealthcareProfessional {
    let mut p = ctx.professional(place, time);
    p.care_unit_hsa_id = None;
    p.care_giver_hsa_id = None;
    p
}

/// Rounds to three significant digits.
pub(crate) fn round_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return 0.0;
    }
    let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// A care role given as text (no code system), as `healthcareProfessionalRoleCode`.
pub(crate) fn role(text: &str) -> Cv {
    Cv {
        original_text: Some(text.into()),
        ..Cv::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Imaging

/// One examination to make.
struct Exam<'r> {
    code: &'r str,
    day: NaiveDate,
    side: &'static str,
    indication: &'r Row,
    acute: bool,
    screening: bool,
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let regions: Vec<&Site> = env
        .sites
        .iter()
        .filter(|s| s.kind == SiteKind::Region && !s.units.is_empty())
        .collect();
    if regions.is_empty() {
        return sink.put::<GetImagingOutcomeV1>(Vec::new());
    }
    let home = regions[ctx.rng.below(regions.len())];
    let mut exams: Vec<Exam<'static>> = Vec::new();
    let age_now = ctx.age_on(env.today);

    // Examinations the conditions call for.
    for condition in env.conditions {
        let day0 = onset(env, condition);
        let side = side(&mut ctx.rng);
        let acute = condition.col(2) == "0";
        for row in indications()
            .iter()
            .filter(|r| r.col(0) == condition.col(0))
        {
            let delay: i64 = row.col(3).parse().unwrap_or(0);
            let jitter = if delay > 2 {
                ctx.rng.range(-delay / 8, delay / 8)
            } else {
                0
            };
            let day = day0 + Duration::days(delay + jitter);
            if day > env.today || !fits(&ctx, row, day) || !ctx.rng.chance(rate(row)) {
                continue;
            }
            exams.push(Exam {
                code: row.col(1),
                day,
                side,
                indication: row,
                acute: acute && delay <= 1,
                screening: false,
            });
        }
    }

    // Everyday examinations, by age.
    let window_start = env.today - Duration::days(WINDOW_YEARS * 365);
    for row in indications().iter().filter(|r| r.col(0) == "-") {
        let (from, to) = age_window(&ctx, row, window_start);
        if from > to {
            continue;
        }
        let years = (to - from).num_days() as f64 / 365.25;
        let expected = rate(row) * years / 10.0;
        let mut n = expected.floor() as u32;
        if ctx.rng.chance(expected.fract()) {
            n += 1;
        }
        for _ in 0..n {
            let day = ctx.day_between(from, to);
            let side = side(&mut ctx.rng);
            exams.push(Exam {
                code: row.col(1),
                day,
                side,
                indication: row,
                acute: false,
                screening: false,
            });
        }
    }

    // Mammography screening: women 40–74, every two years.
    if ctx.patient.female && age_now >= 40 {
        for row in indications().iter().filter(|r| r.col(0) == "screening") {
            let (from, to) = age_window(&ctx, row, env.today - Duration::days(10 * 365));
            let interval: i64 = row.col(3).parse().unwrap_or(730).max(180);
            let mut day = from + Duration::days(ctx.rng.range(0, interval));
            while day <= to {
                if ctx.rng.chance(rate(row)) {
                    exams.push(Exam {
                        code: row.col(1),
                        day,
                        side: "höger",
                        indication: row,
                        acute: false,
                        screening: true,
                    });
                }
                day += Duration::days(interval + ctx.rng.range(-45, 45));
            }
        }
    }

    exams.sort_by_key(|e| e.day);
    let mut items = Vec::with_capacity(exams.len());
    for exam in &exams {
        let site = if ctx.rng.chance(0.85) {
            home
        } else {
            regions[ctx.rng.below(regions.len())]
        };
        if let Some(item) = outcome(&mut ctx, site, exam) {
            items.push(item);
        }
    }
    sink.put::<GetImagingOutcomeV1>(items)
}

fn rate(row: &Row) -> f64 {
    row.col(2).parse().unwrap_or(0.0)
}

/// Whether the patient's age on `day` and sex fit the row (columns min_age, max_age, sex).
fn fits(ctx: &Ctx<'_>, row: &Row, day: NaiveDate) -> bool {
    let age = ctx.age_on(day);
    let min: u32 = row.col(4).parse().unwrap_or(0);
    let max: u32 = row.col(5).parse().unwrap_or(120);
    let sex_ok = match row.col(6) {
        "F" => ctx.patient.female,
        "M" => !ctx.patient.female,
        _ => true,
    };
    (min..=max).contains(&age) && sex_ok
}

/// The days within `[window_start, today]` on which the patient's age is within the row's
/// ages; empty (`from > to`) if the sex does not fit.
fn age_window(ctx: &Ctx<'_>, row: &Row, window_start: NaiveDate) -> (NaiveDate, NaiveDate) {
    let min: u32 = row.col(4).parse().unwrap_or(0);
    let max: u32 = row.col(5).parse().unwrap_or(120);
    let birth = ctx.patient.birth_date;
    let from = plus_years(birth, min).max(window_start).max(birth);
    let to = (plus_years(birth, max.saturating_add(1)) - Duration::days(1)).min(ctx.today);
    let sex_ok = match row.col(6) {
        "F" => ctx.patient.female,
        "M" => !ctx.patient.female,
        _ => true,
    };
    if sex_ok {
        (from, to)
    } else {
        (ctx.today, ctx.today - Duration::days(1))
    }
}

/// The report of one examination, or `None` if it is not ready by the reference day.
fn outcome(ctx: &mut Ctx<'_>, site: &Site, exam: &Exam<'_>) -> Option<ImagingOutcome> {
    let ex = examinations().iter().find(|r| r.col(0) == exam.code)?;
    let (name, modality, lab) = (ex.col(1), ex.col(2), ex.col(3));
    let minutes: i64 = ex.col(6).parse().unwrap_or(15);
    let (dept_name, dept_code) = match ex.col(8) {
        "KFY" => ("Klinisk fysiologi", "KFY1"),
        "NUK" => ("Nuklearmedicin", "NUK1"),
        _ => ("Röntgenkliniken", "RTG1"),
    };
    let unit = department(site, dept_code, dept_name);
    let place = Place { site, unit: &unit };
    let today_end = end_of(ctx.today);

    // When: referral, examination, report.
    let start = if exam.acute {
        let t = ctx.at(exam.day);
        t + Duration::minutes(ctx.rng.range(0, 300))
    } else {
        ctx.at(exam.day)
    };
    let end = start + Duration::minutes(minutes + ctx.rng.range(0, minutes / 2));
    // Acute examinations are read at once; others during office hours within days.
    let result = if exam.acute {
        end + Duration::minutes(ctx.rng.range(20, 150))
    } else {
        let days = match modality {
            "DX" | "US" | "MG" => ctx.rng.range(0, 2),
            _ => ctx.rng.range(1, 5),
        };
        let t = ctx.at(exam.day + Duration::days(days));
        if t > end {
            t
        } else {
            end + Duration::minutes(ctx.rng.range(30, 180))
        }
    };
    if result > today_end {
        return None;
    }
    let referral_time = if exam.acute {
        start - Duration::minutes(ctx.rng.range(30, 240))
    } else {
        let d = exam.day - Duration::days(ctx.rng.range(2, 40));
        ctx.at(d.max(ctx.patient.birth_date))
    };

    let type_of_result = if exam.acute && today_end - result < Duration::days(2) {
        TypeOfResult::Preliminary
    } else if ctx.rng.chance(0.02) {
        TypeOfResult::Supplementary
    } else {
        TypeOfResult::Final
    };

    let mut header = ctx.header(place, result);
    header.document_title = Some(name.to_owned());
    header.document_time = Some(Ctx::ts(start));
    header.accountable.role_code = Some(role(match dept_code {
        "KFY1" => "Specialistläkare, klinisk fysiologi",
        "NUK1" => "Specialistläkare, nuklearmedicin",
        _ => "Röntgenläkare",
    }));
    header.legal_authenticator = match type_of_result {
        TypeOfResult::Preliminary => None,
        _ => Some(LegalAuthenticator {
            signature_time: Ctx::ts(result),
            hsa_id: header.accountable.hsa_id.clone(),
            name: header.accountable.name.clone(),
        }),
    };
    if ctx.rng.chance(0.01) {
        header.nullified = Some(true);
        header.nullified_reason = Some("Felaktigt svar, ersatt av nytt svar.".into());
    }

    let report = text(exam.indication.col(9), exam.side).unwrap_or_else(|| "Normalfynd.".into());
    let mut comment = text(exam.indication.col(10), exam.side);
    if type_of_result == TypeOfResult::Supplementary {
        comment = Some(
            "Tilläggssvar efter jämförelse med äldre undersökningar: bedömningen kvarstår.".into(),
        );
    }

    // The acquisition.
    let accession = format!(
        "{}{:07}",
        exam.day.format("%Y"),
        ctx.rng.range(1, 9_999_999)
    );
    let equipment: Vec<&(&str, &str, &str, &str)> =
        EQUIPMENT.iter().filter(|e| e.0 == modality).collect();
    let modality_data = if equipment.is_empty() {
        ModalityData {
            type_of_modality: Some(modality.to_owned()),
            ..ModalityData::default()
        }
    } else {
        let k = ctx.rng.below(equipment.len());
        let (_, manufacturer, model, software) = *equipment[k];
        ModalityData {
            type_of_modality: Some(modality.to_owned()),
            manufacturer: Some(manufacturer.to_owned()),
            model_name: Some(model.to_owned()),
            equipment_id: Some(format!("{}-{modality}-{:02}", &dept_code[..3], k + 1)),
            software_version: Some(software.to_owned()),
            line_filter: None,
        }
    };
    let images: i64 = ex.col(5).parse().unwrap_or(2);
    let mut performer = referrer(ctx, place, end);
    performer.role_code = Some(role(match modality {
        "DX" | "CT" | "MR" | "MG" => "Röntgensjuksköterska",
        "US" if dept_code == "RTG1" => "Röntgenläkare",
        _ => "Biomedicinsk analytiker",
    }));
    let dicom = if ctx.rng.chance(0.7) {
        vec![DicomData {
            sop: sop_class(modality).to_owned(),
            reference: Some(format!(
                "https://pacs.example.se/wado?requestType=WADO&studyUID={ACCESSION_ROOT}.{accession}"
            )),
        }]
    } else {
        Vec::new()
    };
    let recording = ImageRecording {
        recording_id: Ii {
            root: ACCESSION_ROOT.to_owned(),
            extension: Some(accession),
        },
        examination_activity: Cv {
            code: Some(exam.code.to_owned()),
            code_system: Some(EXAMINATION_CODES.to_owned()),
            code_system_name: Some("Regional undersökningstabell (RIS)".into()),
            code_system_version: None,
            display_name: Some(name.to_owned()),
            original_text: None,
        },
        examination_time: TimePeriod {
            start: Some(Ctx::ts(start)),
            end: Some(Ctx::ts(end)),
        },
        examination_status: Some("Avklarad".into()),
        examination_unit: Some(lab.to_owned()),
        performer: Some(performer),
        number_of_images: Some((images + ctx.rng.range(-images / 4, images / 4)).max(1) as i32),
        modality: Some(modality_data),
        dicom,
    };

    let dose: f64 = ex.col(4).parse().unwrap_or(0.0);
    let radiation_dose = if dose > 0.0 {
        let factor = ctx.rng.normal(1.0, 0.25).clamp(0.4, 2.0);
        vec![Pq::new(round_sig(dose * factor), "mSv")]
    } else {
        Vec::new()
    };
    let adult = ctx.age_on(exam.day) >= 18;
    let patient_data = (adult && matches!(modality, "CT" | "NM" | "BMD")).then(|| {
        let (w, l) = if ctx.patient.female {
            (68.0, 166.0)
        } else {
            (82.0, 179.0)
        };
        PatientData {
            weight: Some(Pq::new(
                (ctx.rng.normal(w, 12.0).clamp(40.0, 160.0) * 2.0).round() / 2.0,
                "kg",
            )),
            length: Some(Pq::new(
                ctx.rng.normal(l, 7.0).clamp(140.0, 205.0).round(),
                "cm",
            )),
        }
    });

    // The referral (screening has none).
    let referral = if exam.screening {
        None
    } else {
        let prefer: &[&str] = if exam.acute {
            &["Akut"]
        } else {
            &["Vårdcentral", "Hälsocentral", "Medicin"]
        };
        let from = referrer_place(&mut ctx.rng, ctx.sites, prefer, !exam.acute)?;
        let author = referrer(ctx, from, referral_time);
        let attested_at = result + Duration::hours(ctx.rng.range(2, 96));
        let attested =
            (attested_at <= today_end && ctx.rng.chance(0.75)).then(|| LegalAuthenticator {
                signature_time: Ctx::ts(attested_at),
                hsa_id: author.hsa_id.clone(),
                name: author.name.clone(),
            });
        Some(ExaminationReferral {
            referral_id: format!("REM-{}", header.document_id),
            reason: text(exam.indication.col(7), exam.side),
            anamnesis: text(exam.indication.col(8), exam.side),
            care_contact_id: None,
            referrer: author,
            attested,
        })
    };

    Some(ImagingOutcome {
        header,
        body: ImagingBody {
            examination_speciality: Some(role(ex.col(7))),
            type_of_result,
            result_time: Ctx::ts(result),
            result_report: report,
            result_comment: comment,
            radiation_dose,
            patient_data,
            image_recordings: vec![recording],
            referral,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;
    use npo_riv::Contract;
    use std::collections::HashSet;

    #[test]
    fn imaging_outcomes_are_valid_and_tell_the_conditions_story() {
        let items = check::generated::<GetImagingOutcomeV1>(300);
        let pop = crate::population::example();
        assert!(items.len() > 300, "only {} imaging results", items.len());
        let codes: HashSet<&str> = examinations().iter().map(|r| r.col(0)).collect();
        let mut patients = HashSet::new();
        let mut screening = 0;
        for item in &items {
            let b = &item.body;
            patients.insert(item.header.patient_id.id.clone());
            let rec = &b.image_recordings[0];
            let code = rec.examination_activity.code.as_deref().unwrap_or("");
            assert!(codes.contains(code), "unknown examination {code}");
            assert_eq!(
                rec.examination_activity.code_system.as_deref(),
                Some(EXAMINATION_CODES)
            );
            // Only at the region's imaging departments.
            let site = pop
                .sites
                .iter()
                .find(|s| s.source_system == item.header.source_system_hsa_id)
                .unwrap();
            assert_eq!(site.kind, SiteKind::Region);
            let unit = &item.header.accountable.org_unit.as_ref().unwrap().name;
            assert!(
                ["Röntgenkliniken", "Klinisk fysiologi", "Nuklearmedicin"]
                    .iter()
                    .any(|d| unit.starts_with(d)),
                "{unit}"
            );
            // Referred from another unit, before the examination.
            match &b.referral {
                Some(r) => {
                    let from = r.referrer.org_unit.as_ref().unwrap();
                    assert_ne!(&from.name, unit);
                    assert!(r.referrer.author_time <= b.result_time);
                    assert!(r.reason.is_some());
                }
                None => {
                    assert_eq!(code, "MG5010", "only screening comes without referral");
                    screening += 1;
                }
            }
            assert!(rec.examination_time.start.as_deref() <= Some(b.result_time.as_str()));
            let modality = rec.modality.as_ref().unwrap().type_of_modality.as_deref();
            if matches!(modality, Some("MR") | Some("US")) {
                assert!(b.radiation_dose.is_empty());
            }
            if b.type_of_result == TypeOfResult::Preliminary {
                assert!(item.header.legal_authenticator.is_none());
            }
            let v = GetImagingOutcomeV1::view(item);
            assert!(!v.title.is_empty() && v.text.is_some());
        }
        assert!(
            patients.len() > 120,
            "imaging for {} of 300",
            patients.len()
        );
        assert!(screening > 20, "{screening} screening mammographies");

        // Coherence with the conditions.
        for i in 0..300 {
            let (patient, conditions) = pop.patient(i);
            let mine: Vec<&ImagingOutcome> = items
                .iter()
                .filter(|o| o.header.patient_id.id == patient.id)
                .collect();
            let has = |code: &str| {
                mine.iter().any(|o| {
                    o.body.image_recordings[0]
                        .examination_activity
                        .code
                        .as_deref()
                        == Some(code)
                })
            };
            if mine
                .iter()
                .any(|o| o.body.result_report.contains("collumfraktur"))
            {
                assert!(conditions.iter().any(|c| c.col(0) == "S72.0"));
            }
            if has("MR3030") || has("NM6010") {
                assert!(!patient.female, "prostate examinations for a woman");
            }
            if has("MG5010") || has("MG5020") {
                assert!(patient.female);
            }
            if mine
                .iter()
                .any(|o| o.body.result_report.contains("förenligt med pneumoni"))
            {
                assert!(conditions.iter().any(|c| c.col(0) == "J18.9"));
            }
        }
        let pneumonia = items
            .iter()
            .filter(|o| o.body.result_report.contains("förenligt med pneumoni"))
            .count();
        let hips = items
            .iter()
            .filter(|o| o.body.result_report.contains("collumfraktur"))
            .count();
        assert!(pneumonia > 0 && hips + pneumonia > 2, "{pneumonia} {hips}");
    }

    #[test]
    fn onsets_agree_and_respect_the_minimum_age() {
        let pop = crate::population::example();
        for i in 0..200 {
            let (patient, conditions) = pop.patient(i);
            let env = Env {
                seed: pop.seed,
                patient: &patient,
                sites: &pop.sites,
                today: pop.today,
                conditions: &conditions,
            };
            for c in &conditions {
                let a = onset(&env, c);
                assert_eq!(a, onset(&env, c));
                assert!(a <= pop.today && a >= patient.birth_date);
                let min: u32 = c.col(5).parse().unwrap();
                assert!(patient.age_on(a) >= min.min(patient.age_on(pop.today)));
            }
        }
    }

    #[test]
    fn departments_are_found_or_made_with_valid_hsa_ids() {
        let sites = crate::population::example_sites();
        let u = department(&sites[0], "RTG1", "Röntgenkliniken");
        assert_eq!(u.hsa_id, "SE2321000016-RTG1");
        assert_eq!(u.name, "Röntgenkliniken, Länssjukhuset");
        assert!(npo_riv::ids::is_hsa_id(&u.hsa_id));
        let m = department(&sites[0], "MED1", "Medicinkliniken");
        assert_eq!(m.hsa_id, "SE2321000016-U002");
        assert_eq!(round_sig(0.0123456), 0.0123);
        assert_eq!(round_sig(1834.0), 1830.0);
    }
}
