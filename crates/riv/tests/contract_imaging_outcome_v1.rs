//! GetImagingOutcome 1.0: round trips through the official schema, strict reading, the view.

mod support;

use npo_riv::common::{
    Cv, DatePeriod, HealthcareProfessional, LegalAuthenticator, PatientSummaryHeader, PersonId,
    Query, ResultCode, ResultType,
};
use npo_riv::contracts::imaging_outcome_v1::{
    CORE_NS, DicomData, ExaminationReferral, GetImagingOutcomeV1, Ii, ImageRecording, ImagingBody,
    ImagingOutcome, ModalityData, NAMESPACE, PatientData, Pq, SNOMED_CT, TimePeriod, TypeOfResult,
};
use npo_riv::xml::Element;
use npo_riv::{Contract, ContractError, Response, xsd};
use support::{check_request, check_response, find_mut, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const CARE_UNIT: &str = "SE2321000016-RTG1";
const CARE_GIVER: &str = "SE2321000016-0001";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn professional(time: &str, name: &str, unit: &str, unit_name: &str) -> HealthcareProfessional {
    support::professional(
        time,
        "SE2321000016-P1001",
        name,
        Cv::coded("LK", support::BEFATTNING, "Läkare"),
        support::full_org_unit(
            unit,
            unit_name,
            "0470-58 60 00",
            Some("rontgen@example.se"),
            "Strandvägen 8, 351 85 Växjö",
            "Växjö",
        ),
        CARE_GIVER,
    )
}

fn full_header() -> PatientSummaryHeader {
    PatientSummaryHeader {
        document_title: Some("Röntgensvar".into()),
        document_time: Some("20240305101500".into()),
        accountable: professional(
            "20240305143000",
            "Åsa Öberg",
            CARE_UNIT,
            "Röntgenkliniken, Länssjukhuset",
        ),
        legal_authenticator: support::signed("20240305144500", "SE2321000016-P1001", "Åsa Öberg"),
        approved_for_patient: true,
        care_contact_id: Some("VK-2024-0042".into()),
        nullified: Some(true),
        nullified_reason: Some("Fel sida angiven – ersatt av nytt svar".into()),
        ..support::minimal_header("191212121212-und-bdi-ure-1", SOURCE, PATIENT)
    }
}

fn minimal_header() -> PatientSummaryHeader {
    support::minimal_header("BDI-2", SOURCE, PATIENT)
}

fn full_item() -> ImagingOutcome {
    let mut referrer = professional(
        "20240301091000",
        "Per Ågren",
        "SE2321000016-U001",
        "Vårdcentralen Ekbacken",
    );
    referrer.care_unit_hsa_id = None;
    referrer.care_giver_hsa_id = None;
    ImagingOutcome {
        header: full_header(),
        body: ImagingBody {
            examination_speciality: Some(Cv {
                original_text: Some("Radiologi".into()),
                ..Cv::default()
            }),
            type_of_result: TypeOfResult::Final,
            result_time: "20240305144500".into(),
            result_report: "Lungröntgen: Nytillkommen konsolidering i höger underlob, förenligt \
                            med pneumoni. Ingen pleuravätska. Hjärtstorlek normal."
                .into(),
            result_comment: Some("Kontroll om 6–8 veckor rekommenderas.".into()),
            radiation_dose: vec![Pq::new(0.02, "mSv"), Pq::new(0.00012, "Gy*m2")],
            patient_data: Some(PatientData {
                weight: Some(Pq::new(82.5, "kg")),
                length: Some(Pq::new(178.0, "cm")),
            }),
            image_recordings: vec![
                ImageRecording {
                    recording_id: Ii {
                        root: "1.2.752.999.1".into(),
                        extension: Some("RTG-2024-000123".into()),
                    },
                    examination_activity: Cv {
                        code: Some("399208008".into()),
                        code_system: Some(SNOMED_CT.into()),
                        code_system_name: Some("SNOMED CT".into()),
                        code_system_version: Some("2024-05-31".into()),
                        display_name: Some("Lungröntgen".into()),
                        original_text: Some("Rtg pulm frontal + sida".into()),
                    },
                    examination_time: TimePeriod {
                        start: Some("20240305101500".into()),
                        end: Some("20240305102000".into()),
                    },
                    examination_status: Some("Avklarad".into()),
                    examination_unit: Some("Slätröntgenlab 2".into()),
                    performer: Some(professional(
                        "20240305102000",
                        "Lena Nyström",
                        CARE_UNIT,
                        "Röntgenkliniken, Länssjukhuset",
                    )),
                    number_of_images: Some(2),
                    modality: Some(ModalityData {
                        type_of_modality: Some("DX".into()),
                        manufacturer: Some("Exempel Medical".into()),
                        model_name: Some("DR 5000".into()),
                        equipment_id: Some("INV-44213".into()),
                        software_version: Some("4.2.1".into()),
                        line_filter: None,
                    }),
                    dicom: vec![DicomData {
                        sop: "1.2.840.10008.5.1.4.1.1.1.1".into(),
                        reference: Some(
                            "https://pacs.example.se/wado?requestType=WADO&studyUID=1.2.3".into(),
                        ),
                    }],
                },
                ImageRecording {
                    recording_id: Ii {
                        root: "1.2.752.999.1".into(),
                        extension: None,
                    },
                    examination_activity: Cv {
                        original_text: Some("Genomlysning".into()),
                        ..Cv::default()
                    },
                    examination_time: TimePeriod::default(),
                    examination_status: None,
                    examination_unit: None,
                    performer: None,
                    number_of_images: None,
                    modality: None,
                    dicom: Vec::new(),
                },
            ],
            referral: Some(ExaminationReferral {
                referral_id: "REM-2024-7781".into(),
                reason: Some("Pneumoni? Feber och hosta sedan en vecka.".into()),
                anamnesis: Some("68-årig rökare, KOL. CRP 145.".into()),
                care_contact_id: Some("VK-2024-0040".into()),
                referrer,
                attested: Some(LegalAuthenticator {
                    signature_time: "20240306080000".into(),
                    hsa_id: Some("SE2321000016-P1002".into()),
                    name: Some("Per Ågren".into()),
                }),
            }),
        },
    }
}

fn minimal_item() -> ImagingOutcome {
    ImagingOutcome {
        header: minimal_header(),
        body: ImagingBody {
            examination_speciality: None,
            type_of_result: TypeOfResult::Preliminary,
            result_time: "20190301120000".into(),
            result_report: "Preliminärt: ingen fraktur.".into(),
            result_comment: None,
            radiation_dose: Vec::new(),
            patient_data: None,
            image_recordings: Vec::new(),
            referral: None,
        },
    }
}

fn full_query() -> Query {
    Query {
        care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-U002".into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20241231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["VK-2024-0042".into(), "VK-2024-0043".into()],
    }
}

fn result(code: ResultCode) -> ResultType {
    support::result(
        code,
        "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f",
        None,
        "Källsystemet svarade inte – svaret kan vara ofullständigt",
    )
}

fn response_element() -> Element {
    support::response_element::<GetImagingOutcomeV1>(
        vec![full_item()],
        Some(result(ResultCode::Ok)),
    )
}

fn refused(el: &Element) -> ContractError {
    support::refused_response::<GetImagingOutcomeV1>(el)
}

#[test]
fn contract_constants() {
    assert_eq!(GetImagingOutcomeV1::NAME, "GetImagingOutcome");
    assert_eq!(GetImagingOutcomeV1::VERSION, "1.0");
    assert_eq!(GetImagingOutcomeV1::NAMESPACE, NAMESPACE);
    assert_eq!(
        GetImagingOutcomeV1::SERVICE_DOMAIN,
        "riv:clinicalprocess:healthcond:actoutcome"
    );
    assert_eq!(GetImagingOutcomeV1::CATEGORIZATION, "und-bdi-ure");
}

#[test]
fn request_round_trips() {
    check_request::<GetImagingOutcomeV1>(&full_query());
    check_request::<GetImagingOutcomeV1>(&Query::for_patient(patient()));
}

#[test]
fn request_with_open_period_reads_with_schema_extremes() {
    let xml = format!(
        r#"<tns:GetImagingOutcome xmlns:tns="{NAMESPACE}" xmlns:core="{CORE_NS}">
             <tns:patientId><core:id>{PATIENT}</core:id><core:type>1.2.752.129.2.1.3.1</core:type></tns:patientId>
             <tns:datePeriod><core:start>20230101</core:start></tns:datePeriod>
           </tns:GetImagingOutcome>"#
    );
    let el = parse(&xml);
    xsd::validate_element(&el).expect("an open period is valid here");
    let q = GetImagingOutcomeV1::parse_request(&el).unwrap();
    assert_eq!(
        q.period,
        Some(DatePeriod {
            start: "20230101".into(),
            end: "20991231".into()
        })
    );
    let empty = xml.replace("<core:start>20230101</core:start>", "");
    let q = GetImagingOutcomeV1::parse_request(&parse(&empty)).unwrap();
    assert_eq!(q.period, None);
}

#[test]
fn response_round_trips() {
    check_response::<GetImagingOutcomeV1>(&Response::new(
        vec![full_item(), minimal_item()],
        Some(result(ResultCode::Ok)),
    ));
    check_response::<GetImagingOutcomeV1>(&Response::new(vec![minimal_item()], None));
    check_response::<GetImagingOutcomeV1>(&Response::new(vec![], Some(result(ResultCode::Info))));
    check_response::<GetImagingOutcomeV1>(&Response::new(vec![], Some(result(ResultCode::Error))));
}

#[test]
fn org_unit_without_id_and_name_is_read() {
    let mut el = response_element();
    let unit = find_mut(&mut el, "healthcareProfessionalOrgUnit");
    unit.children
        .retain(|c| c.name != "orgUnitHSAId" && c.name != "orgUnitName");
    xsd::validate_element(&el).expect("optional in this domain");
    let resp = GetImagingOutcomeV1::parse_response(&el).unwrap();
    let unit = resp.items[0].header.accountable.org_unit.clone().unwrap();
    assert_eq!((unit.hsa_id.as_str(), unit.name.as_str()), ("", ""));
    check_response::<GetImagingOutcomeV1>(&resp);
}

#[test]
fn missing_required_elements_are_refused() {
    for name in [
        "resultReport",
        "resultTime",
        "examinationActivity",
        "recordingId",
    ] {
        let mut el = response_element();
        let parent_name = match name {
            "resultReport" | "resultTime" => "imagingOutcomeBody",
            _ => "imageRecording",
        };
        find_mut(&mut el, parent_name)
            .children
            .retain(|c| c.name != name);
        assert_eq!(refused(&el), ContractError::Missing(name), "{name}");
    }
    let mut el = response_element();
    el.children.retain(|c| c.name != "result");
    assert_eq!(refused(&el), ContractError::Missing("result"));
    let mut el = response_element();
    find_mut(&mut el, "referral")
        .children
        .retain(|c| c.name != "accountableHealthcareProfessional");
    assert_eq!(
        refused(&el),
        ContractError::Missing("accountableHealthcareProfessional")
    );
}

#[test]
fn bad_values_are_refused() {
    let cases: &[(&str, &str, &str)] = &[
        ("typeOfResult", "FINAL", "typeOfResult"),
        ("examinationStatus", "Klar", "examinationStatus"),
        ("resultTime", "2024-03-05", "resultTime"),
        ("numberOfImages", "två", "numberOfImages"),
        ("value", "NaN-ish", "value"),
    ];
    for (element, value, error_name) in cases {
        let mut el = response_element();
        find_mut(&mut el, element).text = (*value).into();
        match refused(&el) {
            ContractError::Invalid(name, _) => assert_eq!(name, *error_name),
            other => panic!("{element}: {other:?}"),
        }
    }
}

#[test]
fn non_finite_doses_are_refused_without_panic() {
    for v in ["NaN", "INF", "-INF", "inf", ""] {
        let mut el = response_element();
        find_mut(&mut el, "value").text = v.into();
        assert!(GetImagingOutcomeV1::parse_response(&el).is_err(), "{v}");
    }
}

#[test]
fn wrong_root_elements_are_refused() {
    let resp = response_element();
    assert_eq!(
        GetImagingOutcomeV1::parse_request(&resp),
        Err(ContractError::UnexpectedElement("GetImagingOutcome"))
    );
    let req = parse(&GetImagingOutcomeV1::write_request(&full_query()));
    assert_eq!(
        GetImagingOutcomeV1::parse_response(&req),
        Err(ContractError::UnexpectedElement(
            "GetImagingOutcomeResponse"
        ))
    );
    let other_ns = parse(r#"<GetImagingOutcome xmlns="urn:other"/>"#);
    assert!(GetImagingOutcomeV1::parse_request(&other_ns).is_err());
    let mut no_patient = req.clone();
    no_patient.children.retain(|c| c.name != "patientId");
    assert_eq!(
        GetImagingOutcomeV1::parse_request(&no_patient),
        Err(ContractError::Missing("patientId"))
    );
}

#[test]
fn view_is_swedish_and_complete() {
    let item = full_item();
    let v = GetImagingOutcomeV1::view(&item);
    assert_eq!(v.title, "Lungröntgen");
    assert_eq!(v.time, "20240305144500");
    assert!(!v.attention);
    let field = |label: &str| {
        v.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no field {label}: {:?}", v.fields))
    };
    assert_eq!(field("Svarstyp"), "Definitivsvar");
    assert_eq!(field("Modalitet"), "Slätröntgen (DX)");
    assert_eq!(field("Undersökningstid"), "2024-03-05 10:15");
    assert_eq!(field("Stråldos"), "0,02 mSv, 0,00012 Gy*m2");
    assert_eq!(
        field("Frågeställning"),
        "Pneumoni? Feber och hosta sedan en vecka."
    );
    assert_eq!(field("Remittent"), "Per Ågren, Vårdcentralen Ekbacken");
    assert!(field("Makulerad").starts_with("Ja"));
    assert!(v.text.unwrap().contains("konsolidering"));

    let v = GetImagingOutcomeV1::view(&minimal_item());
    assert_eq!(v.title, "Bilddiagnostisk undersökning");
    assert_eq!(v.fields[0], ("Svarstyp", "Preliminärsvar".to_owned()));
    assert_eq!(
        GetImagingOutcomeV1::filter_time(&minimal_item()),
        "20190301120000"
    );
    let meta = GetImagingOutcomeV1::meta(&item);
    assert_eq!(meta.care_unit, Some(CARE_UNIT));
    assert_eq!(meta.registration_time, "20240305143000");
}
