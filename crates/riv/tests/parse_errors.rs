//! The parsers refuse broken messages with precise, content-free errors, and the schemas agree
//! that those messages are broken.

mod support;

use npo_riv::common::{PatientSummaryHeader, PersonId, Query};
use npo_riv::contracts::GetDiagnosisV2;
use npo_riv::contracts::diagnosis_v2::{CORE_NS, Diagnosis, DiagnosisBody};
use npo_riv::ei::{self, Engagement, EngagementTransaction, FindContentRequest, UpdateRequest};
use npo_riv::xml::Element;
use npo_riv::{Contract, ContractError, Response, xsd};
use support::{find_mut, parse};

const PATIENT: &str = "191212121212";

fn request_element() -> Element {
    let mut q = Query::for_patient(PersonId::personnummer(PATIENT));
    q.care_unit_ids = vec!["SE2321000016-15CQ".into()];
    q.period = Some(npo_riv::common::DatePeriod {
        start: "20230101".into(),
        end: "20231231".into(),
    });
    parse(&GetDiagnosisV2::write_request(&q))
}

fn response_element() -> Element {
    let item = Diagnosis {
        header: PatientSummaryHeader {
            accountable: support::minimal_professional("20230514093000"),
            approved_for_patient: true,
            ..support::minimal_header("DIA-1", support::SOURCE, PATIENT)
        },
        body: DiagnosisBody {
            type_of_diagnosis: "Huvuddiagnos".into(),
            chronic: None,
            diagnosis_time: None,
            code: None,
            related: Vec::new(),
        },
    };
    parse(&GetDiagnosisV2::write_response(&Response {
        items: vec![item],
        result: None,
        has_more: Vec::new(),
    }))
}

/// The schema must refuse the element as well (parser and schema agree).
fn assert_schema_refuses(el: &Element) {
    match xsd::validate_element(el) {
        Err(xsd::XsdError::Invalid { .. }) => {}
        other => panic!("expected the schema to refuse the element, got {other:?}"),
    }
}

fn assert_no_patient_id(err: &ContractError) {
    let msg = err.to_string();
    assert!(
        !msg.contains(PATIENT),
        "error message leaks the patient id: {msg}"
    );
    assert!(
        !msg.contains("19121212"),
        "error message leaks part of the patient id: {msg}"
    );
}

#[test]
fn valid_request_and_response_parse() {
    assert!(GetDiagnosisV2::parse_request(&request_element()).is_ok());
    assert!(GetDiagnosisV2::parse_response(&response_element()).is_ok());
}

#[test]
fn request_without_patient_id() {
    let mut el = request_element();
    el.children.retain(|c| c.name != "patientId");
    let err = GetDiagnosisV2::parse_request(&el).unwrap_err();
    assert_eq!(err, ContractError::Missing("patientId"));
    assert_schema_refuses(&el);
}

#[test]
fn request_with_patient_id_in_the_wrong_namespace() {
    let mut el = request_element();
    find_mut(&mut el, "patientId").ns = CORE_NS.into();
    let err = GetDiagnosisV2::parse_request(&el).unwrap_err();
    assert_eq!(err, ContractError::Missing("patientId"));
    assert_schema_refuses(&el);
}

#[test]
fn request_with_empty_patient_id_value() {
    let mut el = request_element();
    find_mut(&mut el, "id").text.clear();
    let err = GetDiagnosisV2::parse_request(&el).unwrap_err();
    assert_eq!(err, ContractError::Missing("id"));
}

#[test]
fn request_with_bad_time_period() {
    for (field, value, expected) in [
        (
            "start",
            "20231301",
            ContractError::Invalid("start", "expected YYYYMMDD"),
        ),
        (
            "start",
            "2023-01-01",
            ContractError::Invalid("start", "expected YYYYMMDD"),
        ),
        (
            "end",
            "21000101",
            ContractError::Invalid("end", "expected YYYYMMDD"),
        ),
        // The patient id where a date belongs: refused, and not quoted.
        (
            "end",
            PATIENT,
            ContractError::Invalid("end", "expected YYYYMMDD"),
        ),
    ] {
        let mut el = request_element();
        find_mut(&mut el, field).text = value.into();
        let err = GetDiagnosisV2::parse_request(&el).unwrap_err();
        assert_eq!(err, expected, "{field}={value}");
        assert_no_patient_id(&err);
        assert_schema_refuses(&el);
    }

    // Well-formed dates in the wrong order: only the parser can tell.
    let mut el = request_element();
    find_mut(&mut el, "start").text = "20240101".into();
    assert!(matches!(
        GetDiagnosisV2::parse_request(&el),
        Err(ContractError::Invalid("timePeriod", _))
    ));
}

#[test]
fn response_with_bad_author_time() {
    for value in [
        "2023-05-14T09:30:00",
        "20230514253000",
        "2023051409300",
        PATIENT,
    ] {
        let mut el = response_element();
        find_mut(&mut el, "authorTime").text = value.into();
        let err = GetDiagnosisV2::parse_response(&el).unwrap_err();
        assert!(
            matches!(err, ContractError::Invalid("authorTime", _)),
            "{value}: {err:?}"
        );
        assert_no_patient_id(&err);
        assert_schema_refuses(&el);
    }
}

#[test]
fn response_with_bad_type_of_diagnosis_and_boolean() {
    let mut el = response_element();
    find_mut(&mut el, "typeOfDiagnosis").text = "Foo".into();
    assert!(matches!(
        GetDiagnosisV2::parse_response(&el),
        Err(ContractError::Invalid("typeOfDiagnosis", _))
    ));
    assert_schema_refuses(&el);

    let mut el = response_element();
    find_mut(&mut el, "approvedForPatient").text = "ja".into();
    assert!(matches!(
        GetDiagnosisV2::parse_response(&el),
        Err(ContractError::Invalid("approvedForPatient", _))
    ));
    assert_schema_refuses(&el);
}

#[test]
fn wrong_root_element() {
    let el = response_element();
    assert_eq!(
        GetDiagnosisV2::parse_request(&el).unwrap_err(),
        ContractError::UnexpectedElement("GetDiagnosis")
    );
    let mut el = request_element();
    el.ns = "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:1".into();
    assert_eq!(
        GetDiagnosisV2::parse_request(&el).unwrap_err(),
        ContractError::UnexpectedElement("GetDiagnosis")
    );
}

fn engagement(resident: &str) -> Engagement {
    Engagement {
        registered_resident_identification: resident.into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        categorization: "dia".into(),
        logical_address: "SE2321000016-A1B2".into(),
        business_object_instance_identifier: "NA".into(),
        clinical_process_interest_id: "NA".into(),
        most_recent_content: None,
        source_system: "SE2321000016-A1B2".into(),
        creation_time: None,
        update_time: None,
        data_controller: "SE2321000016".into(),
        owner: None,
    }
}

#[test]
fn ei_messages_with_bad_resident_ids_do_not_leak_them() {
    for resident in ["19121212-1212", "1912121212", "191212121212X"] {
        let update = parse(
            &UpdateRequest {
                transactions: vec![EngagementTransaction {
                    delete_flag: false,
                    engagement: engagement(resident),
                }],
            }
            .write(),
        );
        let err = UpdateRequest::parse(&update).unwrap_err();
        assert!(
            matches!(
                err,
                ContractError::Invalid("registeredResidentIdentification", _)
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains("1912121"), "{err}");
        assert_schema_refuses(&update);

        let find = parse(
            &FindContentRequest {
                registered_resident_identification: resident.into(),
                service_domain: "riv:clinicalprocess:healthcond:description".into(),
                ..FindContentRequest::default()
            }
            .write(),
        );
        let err = FindContentRequest::parse(&find).unwrap_err();
        assert!(!err.to_string().contains("1912121"), "{err}");
        assert_schema_refuses(&find);
    }
}

#[test]
fn ei_update_without_transactions_and_bad_timestamps() {
    let empty = parse(
        &UpdateRequest {
            transactions: Vec::new(),
        }
        .write(),
    );
    assert_eq!(
        UpdateRequest::parse(&empty).unwrap_err(),
        ContractError::Missing("engagementTransaction")
    );
    assert_schema_refuses(&empty);

    let mut e = engagement(PATIENT);
    e.most_recent_content = Some("20231301000000".into());
    let el = parse(
        &UpdateRequest {
            transactions: vec![EngagementTransaction {
                delete_flag: false,
                engagement: e,
            }],
        }
        .write(),
    );
    let err = UpdateRequest::parse(&el).unwrap_err();
    assert_eq!(
        err,
        ContractError::Invalid("mostRecentContent", "expected YYYYMMDDhhmmss")
    );
    assert_no_patient_id(&err);
    assert_schema_refuses(&el);
    assert!(ei::is_timestamp_ei("20231231235959"));
}
