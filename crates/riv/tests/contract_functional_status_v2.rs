//! GetFunctionalStatus 2.0: what npo writes validates against the official schema and reads back
//! unchanged; broken messages are refused without panicking; the Swedish view.

mod support;

use npo_riv::common::{
    Cv, DatePeriod, PatientSummaryHeader, PersonId, Query, ResultCode, ResultType,
};
use npo_riv::contracts::functional_status_v2::{
    AssessmentBody, AssessmentCategory, Disability, FunctionalStatusAssessment,
    GetFunctionalStatusV2, ICF, NAMESPACE, Padl, categorization,
};
use npo_riv::xml::Element;
use npo_riv::{Contract, ContractError, Response};
use support::{check_request, check_response, find_mut, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2120001234-SRC2";
const CARE_UNIT: &str = "SE2120001234-U001";
const CARE_GIVER: &str = "SE2120001234-0001";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn full_header(document_id: &str) -> PatientSummaryHeader {
    let mut unit = support::org_unit(CARE_UNIT, "Hemsjukvården Norr");
    unit.telecom = Some("0470-410 00".into());
    unit.address = Some("Kungsgatan 2, 352 33 Växjö".into());
    PatientSummaryHeader {
        document_title: Some("ADL-bedömning".into()),
        document_time: Some("20240115103000".into()),
        accountable: support::professional(
            "20240115113000",
            "SE2120001234-P1001",
            "Karin Ödman",
            support::role("AT", "Arbetsterapeut", "Arbetsterapeut, hemrehab"),
            unit,
            CARE_GIVER,
        ),
        legal_authenticator: support::signed("20240115140000", "SE2120001234-P1001", "Karin Ödman"),
        approved_for_patient: true,
        care_contact_id: Some("KK-2024-17".into()),
        nullified: Some(true),
        nullified_reason: Some("Registrerad på fel patient".into()),
        ..minimal_header(document_id)
    }
}

fn minimal_header(document_id: &str) -> PatientSummaryHeader {
    support::minimal_header(document_id, SOURCE, PATIENT)
}

fn padl(code: &str, name: &str, assessment: &str) -> Padl {
    Padl {
        type_of_assessment: Cv::coded(code, ICF, name),
        assessment: assessment.into(),
    }
}

fn padl_item() -> FunctionalStatusAssessment {
    FunctionalStatusAssessment {
        header: full_header("FUN-2024-0001"),
        body: AssessmentBody {
            category: AssessmentCategory::Padl,
            comment: Some("Katz ADL-index: D. Behöver hjälp med bad & påklädning.".into()),
            padl: vec![
                padl("d510", "Personlig hygien", "Behöver hjälp"),
                padl("d540", "På/avklädning", "Behöver hjälp"),
                padl("d420", "Förflyttning", "Klarar själv med rollator"),
                padl("d530", "Toalettbesök", "Klarar själv"),
                Padl {
                    type_of_assessment: Cv {
                        original_text: Some("födointag".into()),
                        ..Cv::default()
                    },
                    assessment: "Klarar själv".into(),
                },
            ],
            disability: None,
        },
    }
}

fn items() -> Vec<FunctionalStatusAssessment> {
    vec![
        padl_item(),
        FunctionalStatusAssessment {
            header: full_header("FUN-2024-0002"),
            body: AssessmentBody {
                category: AssessmentCategory::Disability,
                comment: Some("Kommentar".into()),
                padl: vec![padl("x1", "Annan aktivitet", "")],
                disability: Some(Disability {
                    assessment: Cv::coded("b144", ICF, "Minnesfunktioner"),
                    comment: Some("Nedsatt närminne, glömmer måltider".into()),
                }),
            },
        },
        FunctionalStatusAssessment {
            header: minimal_header("FUN-2019-0003"),
            body: AssessmentBody {
                category: AssessmentCategory::Disability,
                comment: None,
                padl: Vec::new(),
                disability: None,
            },
        },
        FunctionalStatusAssessment {
            header: minimal_header("FUN-2019-0004"),
            body: AssessmentBody {
                category: AssessmentCategory::Disability,
                comment: None,
                padl: Vec::new(),
                disability: Some(Disability {
                    assessment: Cv::default(),
                    comment: None,
                }),
            },
        },
    ]
}

#[test]
fn request_round_trips() {
    check_request::<GetFunctionalStatusV2>(&Query {
        care_unit_ids: vec![CARE_UNIT.into(), "SE2120001234-U002".into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20241231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["KK-2024-17".into()],
    });
    check_request::<GetFunctionalStatusV2>(&Query::for_patient(patient()));
}

#[test]
fn request_uses_date_period() {
    let mut q = Query::for_patient(patient());
    q.period = Some(DatePeriod {
        start: "20230101".into(),
        end: "20231231".into(),
    });
    let body = GetFunctionalStatusV2::write_request(&q);
    assert!(body.contains("<tns:datePeriod>"), "{body}");
}

#[test]
fn response_round_trips() {
    check_response::<GetFunctionalStatusV2>(&Response::new(
        items(),
        Some(ResultType {
            result_code: ResultCode::Info,
            error_code: None,
            log_id: "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
            sub_code: Some("PARTIAL".into()),
            message: Some("Ett källsystem svarade inte".into()),
        }),
    ));
    // No result: written as the required `OK` result that says nothing.
    check_response::<GetFunctionalStatusV2>(&Response::new(items(), None));
    check_response::<GetFunctionalStatusV2>(&Response::new(Vec::new(), None));
    check_response::<GetFunctionalStatusV2>(&Response::new(
        Vec::new(),
        Some(ResultType::invalid_request(
            "9b0c7a2e-1111-4e1e-8a55-000000000001",
            "careContactId angivet utan sourceSystemHSAId",
        )),
    ));
    check_response::<GetFunctionalStatusV2>(&Response::new(
        Vec::new(),
        Some(ResultType::ok("9b0c7a2e-1111-4e1e-8a55-000000000002")),
    ));
}

fn written(items: Vec<FunctionalStatusAssessment>) -> Element {
    support::response_element::<GetFunctionalStatusV2>(items, None)
}

#[test]
fn missing_required_elements_are_refused() {
    for (parent, child) in [
        (
            "functionalStatusAssessment",
            "functionalStatusAssessmentHeader",
        ),
        (
            "functionalStatusAssessment",
            "functionalStatusAssessmentBody",
        ),
        ("functionalStatusAssessmentBody", "assessmentCategory"),
        ("padl", "typeOfAssessment"),
        ("padl", "assessment"),
        (
            "functionalStatusAssessmentHeader",
            "accountableHealthcareProfessional",
        ),
        ("GetFunctionalStatusResponse", "result"),
    ] {
        let mut el = written(items());
        find_mut(&mut el, parent)
            .children
            .retain(|c| c.name != child);
        assert_eq!(
            GetFunctionalStatusV2::parse_response(&el),
            Err(ContractError::Missing(child)),
            "{parent}/{child}"
        );
    }
    let mut el = written(vec![items().remove(1)]);
    find_mut(&mut el, "disability")
        .children
        .retain(|c| c.name != "disabilityAssessment");
    assert_eq!(
        GetFunctionalStatusV2::parse_response(&el),
        Err(ContractError::Missing("disabilityAssessment"))
    );
}

#[test]
fn bad_values_are_refused() {
    let mut el = written(items());
    find_mut(&mut el, "assessmentCategory").text = "adl-adl".into();
    assert_eq!(
        GetFunctionalStatusV2::parse_response(&el),
        Err(ContractError::Invalid(
            "assessmentCategory",
            "not pad-pad or fun-fun"
        ))
    );
    let mut el = written(items());
    find_mut(&mut el, "documentTime").text = "2024-01-15".into();
    assert!(matches!(
        GetFunctionalStatusV2::parse_response(&el),
        Err(ContractError::Invalid("documentTime", _))
    ));
    let mut el = written(Vec::new());
    find_mut(&mut el, "resultCode").text = "FINE".into();
    assert!(GetFunctionalStatusV2::parse_response(&el).is_err());
    let mut q = Query::for_patient(patient());
    q.period = Some(DatePeriod {
        start: "20240101".into(),
        end: "20230101".into(),
    });
    let req = parse(&GetFunctionalStatusV2::write_request(&q));
    assert!(GetFunctionalStatusV2::parse_request(&req).is_err());
}

#[test]
fn wrong_root_is_refused() {
    let req = parse(&GetFunctionalStatusV2::write_request(&Query::for_patient(
        patient(),
    )));
    assert!(matches!(
        GetFunctionalStatusV2::parse_response(&req),
        Err(ContractError::UnexpectedElement(_))
    ));
    assert!(matches!(
        GetFunctionalStatusV2::parse_request(&written(items())),
        Err(ContractError::UnexpectedElement(_))
    ));
    let diag = parse(
        r#"<d:GetDiagnosis xmlns:d="urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2"/>"#,
    );
    assert!(GetFunctionalStatusV2::parse_request(&diag).is_err());
    let empty = parse(&format!(
        r#"<x:GetFunctionalStatusResponse xmlns:x="{NAMESPACE}"/>"#
    ));
    assert_eq!(
        GetFunctionalStatusV2::parse_response(&empty),
        Err(ContractError::Missing("result"))
    );
}

#[test]
fn view_in_swedish() {
    let item = padl_item();
    assert_eq!(categorization(&item), "pad-pad");
    let v = GetFunctionalStatusV2::view(&item);
    assert_eq!(v.title, "ADL-bedömning");
    assert_eq!(v.time, "20240115103000");
    assert_eq!(v.fields[0], ("Kategori", "PADL-bedömning".into()));
    assert!(
        v.fields
            .contains(&("Personlig hygien", "Behöver hjälp".into()))
    );
    assert!(
        v.fields
            .contains(&("Förflyttning", "Klarar själv med rollator".into()))
    );
    assert!(v.fields.contains(&("Födointag", "Klarar själv".into())));
    assert!(v.fields.contains(&("Bedömd av", "Karin Ödman".into())));
    assert!(
        v.text
            .as_deref()
            .is_some_and(|t| t.contains("Katz ADL-index: D"))
    );
    assert!(!v.attention);

    let memory = items().remove(1);
    assert_eq!(categorization(&memory), "fun-fun");
    let v = GetFunctionalStatusV2::view(&memory);
    assert_eq!(v.title, "Nedsatt funktion: Minnesfunktioner (b144)");
    assert_eq!(v.fields[0], ("Kategori", "Funktionsnedsättning".into()));
    assert!(
        v.text
            .as_deref()
            .is_some_and(|t| t.starts_with("Nedsatt närminne"))
    );

    let bare = items().remove(2);
    let v = GetFunctionalStatusV2::view(&bare);
    assert_eq!(v.title, "Funktionsnedsättning");
    assert_eq!(v.time, "20190301000000");
    assert_eq!(GetFunctionalStatusV2::CATEGORIZATION, "fun-fun");
}
