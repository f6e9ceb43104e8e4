//! GetECGOutcome 1.0: round trips through the official schema, strict reading, the view.

mod support;

use npo_riv::common::{
    Cv, DatePeriod, HealthcareProfessional, LegalAuthenticator, PatientSummaryHeader, PersonId,
    Query, ResultCode, ResultType,
};
use npo_riv::contracts::ecg_outcome_v1::{
    EcgBody, EcgOutcome, EcgRecording, EcgStructuredData, GetECGOutcomeV1, NAMESPACE, StLevel,
    UsedFilter,
};
use npo_riv::contracts::imaging_outcome_v1::{
    ExaminationReferral, Ii, ModalityData, PatientData, Pq, SNOMED_CT, TimePeriod, TypeOfResult,
};
use npo_riv::xml::Element;
use npo_riv::{Contract, ContractError, Response};
use support::{check_request, check_response, find_mut, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const CARE_UNIT: &str = "SE2321000016-U002";
const CARE_GIVER: &str = "SE2321000016-0001";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn professional(time: &str, name: &str, unit_name: &str) -> HealthcareProfessional {
    let mut unit = support::org_unit(CARE_UNIT, unit_name);
    unit.location = Some("Växjö".into());
    support::professional(
        time,
        "SE2321000016-P1003",
        name,
        Cv::coded("LK", support::BEFATTNING, "Läkare"),
        unit,
        CARE_GIVER,
    )
}

fn structured(hr: f64, qtc: f64, st: f64) -> EcgStructuredData {
    EcgStructuredData {
        used_filters: vec![
            UsedFilter {
                name: Some("Muskelfilter".into()),
                lower: Some(Pq::new(0.05, "Hz")),
                upper: Some(Pq::new(150.0, "Hz")),
            },
            UsedFilter::default(),
        ],
        heart_rate: Some(Pq::new(hr, "/min")),
        qt: Some(Pq::new(360.0, "ms")),
        qt_corrected: Some(Pq::new(qtc, "ms")),
        pr: None,
        p_axis: None,
        qrs_axis: Some(Pq::new(-15.0, "°")),
        t_axis: Some(Pq::new(40.0, "°")),
        st: vec![
            StLevel {
                lead: "V2".into(),
                level: Pq::new(st, "mV"),
            },
            StLevel {
                lead: "aVF".into(),
                level: Pq::new(0.0, "mV"),
            },
        ],
        interpretation_algorithm: Some("Exempel 12SL v23".into()),
        interpretation: vec![
            "Förmaksflimmer med normal kammarfrekvens".into(),
            "Vänsterställd el-axel".into(),
        ],
    }
}

fn full_item() -> EcgOutcome {
    let mut referrer = professional("20240310081500", "Per Ågren", "Vårdcentralen Ekbacken");
    referrer.care_unit_hsa_id = None;
    referrer.care_giver_hsa_id = None;
    EcgOutcome {
        header: PatientSummaryHeader {
            document_id: "191212121212-und-ekg-ure-1".into(),
            source_system_hsa_id: SOURCE.into(),
            document_title: Some("Vilo-EKG".into()),
            document_time: Some("20240310093000".into()),
            patient_id: patient(),
            accountable: professional(
                "20240310113000",
                "Åsa Öberg",
                "Klinisk fysiologi, Länssjukhuset",
            ),
            legal_authenticator: Some(LegalAuthenticator {
                signature_time: "20240310113000".into(),
                hsa_id: Some("SE2321000016-P1003".into()),
                name: Some("Åsa Öberg".into()),
            }),
            approved_for_patient: true,
            care_contact_id: Some("VK-2024-0100".into()),
            nullified: Some(false),
            nullified_reason: None,
        },
        body: EcgBody {
            examination_speciality: Some(Cv {
                original_text: Some("Klinisk fysiologi".into()),
                ..Cv::default()
            }),
            type_of_result: TypeOfResult::Final,
            result_time: "20240310113000".into(),
            result_report: "Förmaksflimmer med kammarfrekvens 88/min. QRS 96 ms. Vänsterställd \
                            el-axel. Inga ST-T-förändringar. Jämfört med föregående EKG \
                            (2023-05-02) nytillkommet förmaksflimmer."
                .into(),
            result_comment: Some("Överväg antikoagulantia enligt CHA₂DS₂-VASc.".into()),
            patient_data: Some(PatientData {
                weight: Some(Pq::new(91.0, "kg")),
                length: None,
            }),
            recordings: vec![
                EcgRecording {
                    recording_id: Ii {
                        root: "1.2.752.999.2".into(),
                        extension: Some("EKG-2024-5511".into()),
                    },
                    examination_activity: Cv::coded(
                        "268400002",
                        SNOMED_CT,
                        "Vilo-EKG, 12 avledningar",
                    ),
                    examination_time: TimePeriod {
                        start: Some("20240310093000".into()),
                        end: Some("20240310093100".into()),
                    },
                    examination_status: Some(Cv {
                        original_text: Some("Avklarad".into()),
                        ..Cv::default()
                    }),
                    examination_unit: Some("EKG-lab".into()),
                    performer: Some(professional(
                        "20240310093100",
                        "Lena Nyström",
                        "Klinisk fysiologi, Länssjukhuset",
                    )),
                    modality: Some(ModalityData {
                        type_of_modality: Some("ECG".into()),
                        manufacturer: Some("Exempel Medical".into()),
                        model_name: Some("MAC 2000".into()),
                        equipment_id: Some("INV-7788".into()),
                        software_version: Some("23".into()),
                        line_filter: Some(Pq::new(50.0, "Hz")),
                    }),
                    pacemaker: Some(false),
                    structured: vec![structured(88.0, 430.0, 0.05)],
                },
                EcgRecording {
                    recording_id: Ii {
                        root: "1.2.752.999.2".into(),
                        extension: None,
                    },
                    examination_activity: Cv {
                        original_text: Some("Rytmremsa".into()),
                        ..Cv::default()
                    },
                    examination_time: TimePeriod::default(),
                    examination_status: None,
                    examination_unit: None,
                    performer: None,
                    modality: None,
                    pacemaker: None,
                    structured: vec![EcgStructuredData::default()],
                },
            ],
            referral: Some(ExaminationReferral {
                referral_id: "REM-EKG-2024-12".into(),
                reason: Some("Oregelbunden puls vid blodtryckskontroll.".into()),
                anamnesis: Some("Hypertoni sedan 2015, hjärtklappning en vecka.".into()),
                care_contact_id: Some("VK-2024-0099".into()),
                referrer,
                attested: Some(LegalAuthenticator {
                    signature_time: "20240311080000".into(),
                    hsa_id: None,
                    name: Some("Per Ågren".into()),
                }),
            }),
        },
    }
}

fn minimal_item() -> EcgOutcome {
    EcgOutcome {
        header: PatientSummaryHeader {
            document_id: "EKG-2".into(),
            source_system_hsa_id: SOURCE.into(),
            document_title: None,
            document_time: None,
            patient_id: patient(),
            accountable: HealthcareProfessional {
                author_time: "20190301000000".into(),
                hsa_id: None,
                name: None,
                role_code: None,
                org_unit: None,
                care_unit_hsa_id: None,
                care_giver_hsa_id: None,
            },
            legal_authenticator: None,
            approved_for_patient: false,
            care_contact_id: None,
            nullified: None,
            nullified_reason: None,
        },
        body: EcgBody {
            examination_speciality: None,
            type_of_result: TypeOfResult::Supplementary,
            result_time: "20190301120000".into(),
            result_report: "Sinusrytm. Normalt EKG.".into(),
            result_comment: None,
            patient_data: None,
            recordings: Vec::new(),
            referral: None,
        },
    }
}

fn result(code: ResultCode) -> ResultType {
    support::result(
        code,
        "8d2f0c8e-7a1b-4f3e-9c55-0a1b2c3d4e5f",
        None,
        "Ogiltig begäran",
    )
}

fn response_element() -> Element {
    support::response_element::<GetECGOutcomeV1>(vec![full_item()], Some(result(ResultCode::Ok)))
}

fn refused(el: &Element) -> ContractError {
    support::refused_response::<GetECGOutcomeV1>(el)
}

#[test]
fn contract_constants() {
    assert_eq!(GetECGOutcomeV1::NAME, "GetECGOutcome");
    assert_eq!(GetECGOutcomeV1::VERSION, "1.0");
    assert_eq!(GetECGOutcomeV1::NAMESPACE, NAMESPACE);
    assert_eq!(GetECGOutcomeV1::CATEGORIZATION, "und-ekg-ure");
}

#[test]
fn request_round_trips() {
    check_request::<GetECGOutcomeV1>(&Query {
        care_unit_ids: vec![CARE_UNIT.into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20240101".into(),
            end: "20240331".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["VK-2024-0100".into()],
    });
    check_request::<GetECGOutcomeV1>(&Query::for_patient(PersonId {
        id: "197010632391".into(),
        type_: "1.2.752.129.2.1.3.3".into(),
    }));
}

#[test]
fn response_round_trips() {
    check_response::<GetECGOutcomeV1>(&Response::new(
        vec![full_item(), minimal_item()],
        Some(result(ResultCode::Ok)),
    ));
    check_response::<GetECGOutcomeV1>(&Response::new(vec![full_item()], None));
    check_response::<GetECGOutcomeV1>(&Response::new(vec![], Some(result(ResultCode::Info))));
    check_response::<GetECGOutcomeV1>(&Response::new(vec![], Some(result(ResultCode::Error))));
}

#[test]
fn missing_required_elements_are_refused() {
    let cases = [
        ("ecgOutcomeBody", "resultReport"),
        ("ecgOutcomeBody", "typeOfResult"),
        ("ecgRecording", "examinationTimePeriod"),
        ("st", "leadName"),
        ("st", "stLevel"),
        ("heartRate", "unit"),
    ];
    for (parent, name) in cases {
        let mut el = response_element();
        find_mut(&mut el, parent)
            .children
            .retain(|c| c.name != name);
        assert_eq!(
            refused(&el),
            ContractError::Missing(name),
            "{parent}/{name}"
        );
    }
    let mut el = response_element();
    el.children.retain(|c| c.name != "ecgOutcome");
    el.children.insert(
        0,
        parse(&format!(r#"<tns:ecgOutcome xmlns:tns="{NAMESPACE}"/>"#)),
    );
    assert_eq!(refused(&el), ContractError::Missing("ecgOutcomeHeader"));
}

#[test]
fn bad_values_are_refused() {
    let cases: &[(&str, &str, &str)] = &[
        ("typeOfResult", "Definitivsvar", "typeOfResult"),
        ("pacemaker", "ja", "pacemaker"),
        ("approvedForPatient", "yes", "approvedForPatient"),
        ("start", "20241301000000", "start"),
        ("value", "8,8", "value"),
    ];
    for (element, value, error_name) in cases {
        let mut el = response_element();
        find_mut(&mut el, element).text = (*value).into();
        match refused(&el) {
            ContractError::Invalid(name, _) => assert_eq!(name, *error_name, "{element}"),
            other => panic!("{element}: {other:?}"),
        }
    }
}

#[test]
fn wrong_root_elements_are_refused() {
    let resp = response_element();
    assert_eq!(
        GetECGOutcomeV1::parse_request(&resp),
        Err(ContractError::UnexpectedElement("GetECGOutcome"))
    );
    let req = parse(&GetECGOutcomeV1::write_request(&Query::for_patient(
        patient(),
    )));
    assert_eq!(
        GetECGOutcomeV1::parse_response(&req),
        Err(ContractError::UnexpectedElement("GetECGOutcomeResponse"))
    );
    // The imaging contract's response is not an ECG response.
    let imaging = parse(&format!(
        r#"<GetImagingOutcomeResponse xmlns="{}"/>"#,
        npo_riv::contracts::imaging_outcome_v1::NAMESPACE
    ));
    assert!(GetECGOutcomeV1::parse_response(&imaging).is_err());
}

#[test]
fn view_shows_measurements_and_calls_out_alarming_values() {
    let item = full_item();
    let v = GetECGOutcomeV1::view(&item);
    assert_eq!(v.title, "Vilo-EKG, 12 avledningar");
    assert_eq!(v.time, "20240310113000");
    assert!(!v.attention, "{:?}", v.fields);
    let field = |label: &str| {
        v.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no field {label}: {:?}", v.fields))
    };
    assert_eq!(field("Hjärtfrekvens"), "88 /min");
    assert_eq!(field("QTc"), "430 ms");
    assert_eq!(field("El-axel P/QRS/T"), "– / -15° / 40°");
    assert_eq!(field("ST-nivå"), "V2 0,05 mV, aVF 0 mV");
    assert!(field("Maskintolkning").starts_with("Förmaksflimmer"));
    assert_eq!(field("Remittent"), "Per Ågren, Vårdcentralen Ekbacken");
    assert!(v.text.unwrap().contains("QRS 96 ms"));

    for (hr, qtc, st) in [
        (32.0, 430.0, 0.0),
        (150.0, 430.0, 0.0),
        (70.0, 520.0, 0.0),
        (70.0, 430.0, 0.3),
    ] {
        let mut item = full_item();
        item.body.recordings[0].structured = vec![structured(hr, qtc, st)];
        assert!(GetECGOutcomeV1::view(&item).attention, "{hr} {qtc} {st}");
    }
    let v = GetECGOutcomeV1::view(&minimal_item());
    assert_eq!(v.title, "EKG");
    assert_eq!(v.fields[0].1, "Tilläggssvar");
}
