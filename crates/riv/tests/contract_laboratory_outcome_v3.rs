//! GetLaboratoryOrderOutcome 3.1: round trips through the official schema, refusals, the view.

mod support;

use npo_riv::common::{
    Cv, DatePeriod, HealthcareProfessional, OrgUnit, PatientSummaryHeader, PersonId, Query,
    ResultCode, ResultType,
};
use npo_riv::contracts::access_control_header::Ii;
use npo_riv::contracts::laboratory_outcome_v3::{
    Analysis, AnalysisOutcome, Attested, GetLaboratoryOrderOutcomeV3, LaboratoryOrderOutcome,
    LaboratoryOrderOutcomeBody, NPU, Order, TimePeriod,
};
use npo_riv::{Contract, ContractError, Response};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const CARE_UNIT: &str = "SE2321000016-15CQ";
const CARE_GIVER: &str = "SE2321000016-0001";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn professional(time: &str) -> HealthcareProfessional {
    let unit = support::full_org_unit(
        CARE_UNIT,
        "Vårdcentralen Åby",
        "0470-123 45",
        None,
        "Storgatan 1, 352 30 Växjö",
        "Växjö",
    );
    support::professional(
        time,
        "SE2321000016-DOC1",
        "Åsa Öberg",
        Cv::coded("LK", support::BEFATTNING, "Läkare"),
        unit,
        CARE_GIVER,
    )
}

fn full_header(document_id: &str) -> PatientSummaryHeader {
    PatientSummaryHeader {
        document_title: Some("Laboratoriesvar klinisk kemi".into()),
        document_time: Some("20240311101500".into()),
        accountable: professional("20240311140000"),
        legal_authenticator: support::signed("20240312080000", "SE2321000016-DOC2", "Per Ågren"),
        approved_for_patient: true,
        care_contact_id: Some("VK-2024-0042".into()),
        nullified: Some(false),
        ..minimal_header(document_id)
    }
}

fn minimal_header(document_id: &str) -> PatientSummaryHeader {
    support::minimal_header(document_id, SOURCE, PATIENT)
}

fn npu(code: &str, name: &str) -> Cv {
    Cv {
        code: Some(code.into()),
        code_system: Some(NPU.into()),
        code_system_name: Some("NPU".into()),
        code_system_version: None,
        display_name: Some(name.into()),
        original_text: None,
    }
}

fn full_item() -> LaboratoryOrderOutcome {
    let mut lab = professional("20240311135500");
    lab.org_unit = Some(OrgUnit {
        hsa_id: "SE2321000016-LABK".into(),
        name: "Klinisk kemi, Länssjukhuset".into(),
        telecom: Some("0470-58 70 00".into()),
        email: Some("klinkem@example.se".into()),
        address: None,
        location: Some("Växjö".into()),
    });
    LaboratoryOrderOutcome {
        header: full_header("LAB-2024-0001"),
        body: LaboratoryOrderOutcomeBody {
            result_type: "DEF".into(),
            registration_time: "20240311093000".into(),
            discipline: "Klinisk kemi".into(),
            result_report: Some("Samtliga analyser utförda.".into()),
            result_comment: Some(
                "Hemolys i provet – kalium kan vara falskt förhöjt & <osäkert>.".into(),
            ),
            accountable: Some(lab),
            analyses: vec![
                Analysis {
                    id: Ii::new("1.2.752.129.2.1.4.1", "A-0001"),
                    time: Some(TimePeriod {
                        start: Some("20240311093000".into()),
                        end: Some("20240311120000".into()),
                    }),
                    code: Some(npu("NPU04998", "P-Kreatinin")),
                    text: Some("Kreatinin".into()),
                    status: Some("Slutsvar".into()),
                    comment: Some("Enzymatisk metod".into()),
                    specimen: Some("Plasma".into()),
                    method: Some("Enzymatisk".into()),
                    related: vec![
                        Ii::new("1.2.752.129.2.1.4.1", "A-0002"),
                        Ii {
                            root: "1.2.3".into(),
                            extension: None,
                        },
                    ],
                    outcome: Some(AnalysisOutcome {
                        value: "112".into(),
                        unit: Some("µmol/L".into()),
                        observation_time: Some("20240311120000".into()),
                        pathological: true,
                        description: Some("Förhöjt".into()),
                        reference_interval: Some("45–90".into()),
                        reference_population: Some("Kvinnor 18–66 år".into()),
                    }),
                    attested: Some(Attested {
                        time: "20240311130000".into(),
                        hsa_id: "SE2321000016-LAB9".into(),
                        name: Some("Karin Lind".into()),
                    }),
                },
                Analysis {
                    id: Ii {
                        root: "A-0002".into(),
                        extension: None,
                    },
                    time: Some(TimePeriod::default()),
                    code: None,
                    text: None,
                    status: None,
                    comment: None,
                    specimen: None,
                    method: None,
                    related: Vec::new(),
                    outcome: Some(AnalysisOutcome {
                        value: "4.1".into(),
                        unit: None,
                        observation_time: None,
                        pathological: false,
                        description: None,
                        reference_interval: None,
                        reference_population: None,
                    }),
                    attested: None,
                },
            ],
            order: Order {
                order_id: "RID-4711".into(),
                order_reason: Some("Kontroll av njurfunktion, hypertoni".into()),
            },
        },
    }
}

fn minimal_item() -> LaboratoryOrderOutcome {
    LaboratoryOrderOutcome {
        header: minimal_header("LAB-2019-0002"),
        body: LaboratoryOrderOutcomeBody {
            result_type: "PREL".into(),
            registration_time: "20190301080000".into(),
            discipline: "Klinisk kemi".into(),
            result_report: None,
            result_comment: None,
            accountable: None,
            analyses: Vec::new(),
            order: Order {
                order_id: "RID-1".into(),
                order_reason: None,
            },
        },
    }
}

fn full_result() -> ResultType {
    ResultType {
        result_code: ResultCode::Info,
        error_code: None,
        log_id: "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
        sub_code: Some("PARTIAL".into()),
        message: Some("Ett laboratorium svarade inte".into()),
    }
}

#[test]
fn request_round_trips() {
    support::check_request::<GetLaboratoryOrderOutcomeV3>(&Query {
        care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-16XB".into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20231231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["VK-1".into(), "VK-2".into()],
    });
    support::check_request::<GetLaboratoryOrderOutcomeV3>(&Query::for_patient(patient()));
}

#[test]
fn response_round_trips() {
    support::check_response::<GetLaboratoryOrderOutcomeV3>(&Response::new(
        vec![full_item(), minimal_item()],
        Some(full_result()),
    ));
    // The required result is written as OK for None and reads back as None.
    support::check_response::<GetLaboratoryOrderOutcomeV3>(&Response::new(
        vec![minimal_item()],
        None,
    ));
    support::check_response::<GetLaboratoryOrderOutcomeV3>(&Response::new(
        Vec::new(),
        Some(ResultType::invalid_request("log-1", "Ogiltig tidsperiod")),
    ));
    support::check_response::<GetLaboratoryOrderOutcomeV3>(&Response::new(
        Vec::new(),
        Some(ResultType::ok("log-2")),
    ));
}

fn written() -> String {
    GetLaboratoryOrderOutcomeV3::write_response(&Response::new(vec![full_item()], None))
}

#[test]
fn refuses_broken_messages() {
    let parse = |s: &str| GetLaboratoryOrderOutcomeV3::parse_response(&support::parse(s));
    let ok = written();
    assert!(parse(&ok).is_ok());

    let no_discipline = ok.replace("<core:discipline>Klinisk kemi</core:discipline>", "");
    assert_eq!(
        parse(&no_discipline),
        Err(ContractError::Missing("discipline"))
    );
    let no_order = ok
        .replace("<core:orderId>RID-4711</core:orderId>", "")
        .replace("<core:order>", "<core:order><core:orderId></core:orderId>");
    assert_eq!(parse(&no_order), Err(ContractError::Missing("orderId")));
    let bad_flag = ok.replace(
        "<core:pathologicalFlag>true</core:pathologicalFlag>",
        "<core:pathologicalFlag>ja</core:pathologicalFlag>",
    );
    assert!(matches!(
        parse(&bad_flag),
        Err(ContractError::Invalid("pathologicalFlag", _))
    ));
    let bad_code = ok.replace(
        "<core:resultCode>OK</core:resultCode>",
        "<core:resultCode>MAYBE</core:resultCode>",
    );
    assert!(matches!(
        parse(&bad_code),
        Err(ContractError::Invalid("resultCode", _))
    ));
    let bad_time = ok.replace(
        "20240311093000</core:registrationTime>",
        "2024-03-11</core:registrationTime>",
    );
    assert!(matches!(
        parse(&bad_time),
        Err(ContractError::Invalid("registrationTime", _))
    ));
    let no_result = ok
        .split("<tns:result>")
        .next()
        .map(|s| format!("{s}</tns:GetLaboratoryOrderOutcomeResponse>"))
        .unwrap();
    assert_eq!(parse(&no_result), Err(ContractError::Missing("result")));
    let no_id = ok.replace(
        "<core:analysisId><core:root>A-0002</core:root></core:analysisId>",
        "",
    );
    assert_eq!(parse(&no_id), Err(ContractError::Missing("analysisId")));
}

#[test]
fn refuses_wrong_root_elements() {
    let req = GetLaboratoryOrderOutcomeV3::write_request(&Query::for_patient(patient()));
    let resp = written();
    assert!(GetLaboratoryOrderOutcomeV3::parse_request(&support::parse(&resp)).is_err());
    assert!(GetLaboratoryOrderOutcomeV3::parse_response(&support::parse(&req)).is_err());
    let other_ns = req.replace("Responder:3", "Responder:4");
    assert!(GetLaboratoryOrderOutcomeV3::parse_request(&support::parse(&other_ns)).is_err());
    let no_patient = req
        .split("<tns:patientId>")
        .next()
        .map(|s| format!("{s}</tns:GetLaboratoryOrderOutcome>"))
        .unwrap();
    assert_eq!(
        GetLaboratoryOrderOutcomeV3::parse_request(&support::parse(&no_patient)),
        Err(ContractError::Missing("patientId"))
    );
}

#[test]
fn view_in_swedish() {
    let v = GetLaboratoryOrderOutcomeV3::view(&full_item());
    assert_eq!(v.title, "Klinisk kemi: P-Kreatinin, Analys");
    assert!(v.attention);
    assert_eq!(v.time, "20240311093000");
    assert!(v.fields.contains(&("Svarstyp", "Slutsvar".to_owned())));
    assert!(v.fields.contains(&(
        "Resultat",
        "P-Kreatinin 112 µmol/L (ref 45–90) – avvikande".to_owned()
    )));
    assert!(
        v.fields
            .contains(&("Laboratorium", "Klinisk kemi, Länssjukhuset".to_owned()))
    );
    assert!(v.text.unwrap().starts_with("Samtliga analyser utförda."));

    let mut one = full_item();
    one.body.analyses.truncate(1);
    one.body.analyses[0].outcome.as_mut().unwrap().value = "7.8".into();
    one.body.analyses[0].outcome.as_mut().unwrap().pathological = false;
    let v = GetLaboratoryOrderOutcomeV3::view(&one);
    assert_eq!(v.title, "P-Kreatinin 7,8 µmol/L (ref 45–90)");
    assert!(!v.attention);

    let item = full_item();
    let m = GetLaboratoryOrderOutcomeV3::meta(&item);
    assert_eq!(m.document_id, "LAB-2024-0001");
    assert_eq!(m.care_unit, Some(CARE_UNIT));
    assert_eq!(m.registration_time, "20240311140000");
}
