//! Everything npo writes must validate against the official schemas and read back unchanged:
//! write → validate the body (xmllint) → wrap in an envelope → validate the envelope → parse back.

mod support;

use npo_riv::common::{
    Cv, DatePeriod, PatientSummaryHeader, PersonId, Query, ResultCode, ResultType,
};
use npo_riv::contracts::care_documentation_v2::{
    CareDocumentation, ClinicalDocumentNote, DissentingOpinion, Multimedia,
};
use npo_riv::contracts::diagnosis_v2::{Diagnosis, DiagnosisBody, ICD10_SE};
use npo_riv::contracts::{GetCareDocumentationV2, GetDiagnosisV2};
use npo_riv::ei::{
    Engagement, EngagementTransaction, FindContentRequest, FindContentResponse, UpdateRequest,
    UpdateResponse,
};
use npo_riv::headers::{
    CausingAgent, HEADERS_NS, ProcessingStatus, ProcessingStatusRecord, SynchError,
};
use npo_riv::soap::{self, Fault};
use npo_riv::xml::{self, Limits};
use npo_riv::{Contract, Response, xsd};
use support::{LOGICAL_ADDRESS, check_request, check_response, validated_body, validated_envelope};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const CARE_UNIT: &str = "SE2321000016-15CQ";
const CARE_GIVER: &str = "SE2321000016-0001";

// ---------------------------------------------------------------------------------------------
// helpers

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn full_query(care_unit_ids: &[&str]) -> Query {
    Query {
        care_unit_ids: care_unit_ids.iter().map(|s| s.to_string()).collect(),
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20231231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["VK-2023-0042".into(), "VK-2023-0043".into()],
    }
}

fn full_header(document_id: &str) -> PatientSummaryHeader {
    PatientSummaryHeader {
        document_title: Some("Epikris – Medicinkliniken, Växjö lasarett".into()),
        document_time: Some("20230514101500".into()),
        accountable: support::professional(
            "20230514093000",
            "SE2321000016-DOC1",
            "Åsa Öberg-Ählström",
            support::role("LK", "Läkare", "Överläkare, allmänmedicin"),
            support::full_org_unit(
                CARE_UNIT,
                "Vårdcentralen Åby",
                "0470-123 45",
                Some("vardcentralen.aby@example.se"),
                "Storgatan 1, 352 30 Växjö",
                "Växjö",
            ),
            CARE_GIVER,
        ),
        legal_authenticator: support::signed("20230515080000", "SE2321000016-DOC2", "Per Ågren"),
        approved_for_patient: true,
        care_contact_id: Some("VK-2023-0042".into()),
        nullified: Some(true),
        nullified_reason: Some("Felregistrerad på fel vårdkontakt – ersatt".into()),
        ..minimal_header(document_id)
    }
}

fn minimal_header(document_id: &str) -> PatientSummaryHeader {
    support::minimal_header(document_id, SOURCE, PATIENT)
}

fn full_result() -> ResultType {
    ResultType {
        result_code: ResultCode::Info,
        error_code: None,
        log_id: "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
        sub_code: Some("PARTIAL".into()),
        message: Some("Ett källsystem svarade inte – svaret kan vara ofullständigt".into()),
    }
}

fn processing_status() -> ProcessingStatus {
    ProcessingStatus {
        records: vec![
            ProcessingStatusRecord::ok(SOURCE, "20240115103000"),
            ProcessingStatusRecord::failed(
                "SE2321000016-C3D4",
                "20240115103005",
                SynchError {
                    causing_agent: CausingAgent::ServiceProducer,
                    code: "VP009".into(),
                    text: "Fel vid anrop till källsystemet: tidsgränsen överskreds (åtgärd: försök igen)"
                        .into(),
                },
            ),
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// GetDiagnosis 2.0

fn diagnoses() -> Vec<Diagnosis> {
    vec![
        Diagnosis {
            header: full_header("DIA-2023-0001"),
            body: DiagnosisBody {
                type_of_diagnosis: "Huvuddiagnos".into(),
                chronic: Some(true),
                diagnosis_time: Some("20230514100000".into()),
                code: Some(Cv {
                    code: Some("E11.9".into()),
                    code_system: Some(ICD10_SE.into()),
                    code_system_name: Some("ICD-10-SE".into()),
                    code_system_version: Some("2023".into()),
                    display_name: Some("Typ 2-diabetes utan komplikationer".into()),
                    original_text: Some(
                        "Diabetes typ 2, välinställd (HbA1c < 52 & stabilt)".into(),
                    ),
                }),
                related: vec!["DIA-2022-0815".into(), "DIA-2021-0007".into()],
            },
        },
        Diagnosis {
            header: minimal_header("DIA-2019-0002"),
            body: DiagnosisBody {
                type_of_diagnosis: "Bidiagnos".into(),
                chronic: None,
                diagnosis_time: None,
                code: None,
                related: Vec::new(),
            },
        },
    ]
}

#[test]
fn get_diagnosis_request() {
    check_request::<GetDiagnosisV2>(&full_query(&[CARE_UNIT, "SE2321000016-16XB"]));
    check_request::<GetDiagnosisV2>(&Query::for_patient(patient()));
}

#[test]
fn get_diagnosis_response() {
    check_response::<GetDiagnosisV2>(&Response {
        items: diagnoses(),
        result: Some(full_result()),
        has_more: Vec::new(),
    });
    check_response::<GetDiagnosisV2>(&Response {
        items: diagnoses(),
        result: None,
        has_more: Vec::new(),
    });
    check_response::<GetDiagnosisV2>(&Response {
        items: Vec::new(),
        result: Some(ResultType::invalid_request(
            "9b0c7a2e-1111-4e1e-8a55-000000000001",
            "Ogiltig tidsperiod: start är efter slut",
        )),
        has_more: Vec::new(),
    });
    check_response::<GetDiagnosisV2>(&Response {
        items: Vec::new(),
        result: Some(ResultType::ok("9b0c7a2e-1111-4e1e-8a55-000000000002")),
        has_more: Vec::new(),
    });
}

// ---------------------------------------------------------------------------------------------
// GetCareDocumentation 2.1

fn care_documentation() -> Vec<CareDocumentation> {
    vec![
        CareDocumentation {
            header: full_header("VOO-2023-0001"),
            note: ClinicalDocumentNote {
                note_code: Some("utr".into()),
                type_code: Some("epi".into()),
                title: Some("Epikris efter slutenvård på medicinkliniken".into()),
                text: Some(
                    "Patienten inkom med bröstsmärta.\nUtredning: EKG u.a., troponin < 5 ng/l & \"normalt\".\nÅterbesök på vårdcentralen om två veckor."
                        .into(),
                ),
                multimedia: Some(Multimedia {
                    media_type: "application/pdf".into(),
                    value: Some("JVBERi0xLjQKJcOkw7zDtsOfCg==".into()),
                    reference: Some("https://dokument.example.se/epikris/4711?format=pdf&v=2".into()),
                }),
                dissenting_opinions: vec![
                    DissentingOpinion {
                        opinion_id: Some(("1.2.752.129.2.1.2.1".into(), Some("AV-1".into()))),
                        author_time: "20230601120000".into(),
                        opinion: "Jag har aldrig haft bröstsmärta, det var magont.".into(),
                        person_id: patient(),
                        person_name: "Tolvan Tolvansson".into(),
                    },
                    DissentingOpinion {
                        opinion_id: None,
                        author_time: "20230602120000".into(),
                        opinion: "Håller med ovanstående.".into(),
                        person_id: PersonId::personnummer("191111111111"),
                        person_name: "Elvan Tolvansson".into(),
                    },
                ],
            },
        },
        CareDocumentation {
            header: minimal_header("VOO-2019-0002"),
            note: ClinicalDocumentNote::default(),
        },
    ]
}

#[test]
fn get_care_documentation_request() {
    check_request::<GetCareDocumentationV2>(&full_query(&[CARE_UNIT, "SE2321000016-16XB"]));
    check_request::<GetCareDocumentationV2>(&Query::for_patient(patient()));
}

#[test]
fn get_care_documentation_response() {
    check_response::<GetCareDocumentationV2>(&Response {
        items: care_documentation(),
        result: Some(full_result()),
        has_more: Vec::new(),
    });
    check_response::<GetCareDocumentationV2>(&Response {
        items: care_documentation(),
        result: None,
        has_more: Vec::new(),
    });
    check_response::<GetCareDocumentationV2>(&Response {
        items: Vec::new(),
        result: Some(ResultType::invalid_request(
            "9b0c7a2e-1111-4e1e-8a55-000000000003",
            "patientId saknas",
        )),
        has_more: Vec::new(),
    });
}

// ---------------------------------------------------------------------------------------------
// Engagement index

fn full_engagement() -> Engagement {
    Engagement {
        registered_resident_identification: PATIENT.into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        categorization: "dia".into(),
        logical_address: SOURCE.into(),
        business_object_instance_identifier: "NA".into(),
        clinical_process_interest_id: "NA".into(),
        most_recent_content: Some("20230514101500".into()),
        source_system: SOURCE.into(),
        creation_time: Some("20230514101600".into()),
        update_time: Some("20230515080100".into()),
        data_controller: "SE2321000016".into(),
        owner: Some("SE2321000016-NPO1".into()),
    }
}

fn minimal_engagement() -> Engagement {
    Engagement {
        registered_resident_identification: "19121212T212".into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        categorization: "voo".into(),
        logical_address: "SE2321000016-C3D4".into(),
        business_object_instance_identifier: "NA".into(),
        clinical_process_interest_id: "NA".into(),
        most_recent_content: None,
        source_system: "SE2321000016-C3D4".into(),
        creation_time: None,
        update_time: None,
        data_controller: "SE2321000016".into(),
        owner: None,
    }
}

#[test]
fn ei_update_request() {
    let req = UpdateRequest {
        transactions: vec![
            EngagementTransaction {
                delete_flag: false,
                engagement: full_engagement(),
            },
            EngagementTransaction {
                delete_flag: true,
                engagement: minimal_engagement(),
            },
        ],
    };
    let body = req.write();
    assert_eq!(UpdateRequest::parse(&validated_body(&body)).unwrap(), req);
    let env = validated_envelope(&soap::request(LOGICAL_ADDRESS, &body));
    assert_eq!(UpdateRequest::parse(&env.body).unwrap(), req);
}

#[test]
fn ei_update_response() {
    for resp in [
        UpdateResponse {
            result_code: "OK".into(),
            comment: None,
        },
        UpdateResponse {
            result_code: "ERROR".into(),
            comment: Some("Transaktion 2 avvisades: okänd tjänstedomän för källsystemet".into()),
        },
    ] {
        let body = resp.write();
        assert_eq!(UpdateResponse::parse(&validated_body(&body)).unwrap(), resp);
        let env = validated_envelope(&soap::envelope("", &body));
        assert_eq!(UpdateResponse::parse(&env.body).unwrap(), resp);
    }
}

#[test]
fn ei_update_response_with_unknown_result_code_is_invalid() {
    let body = UpdateResponse {
        result_code: "MAYBE".into(),
        comment: None,
    }
    .write();
    let el = xml::parse(body.as_bytes(), &Limits::default()).unwrap();
    assert!(matches!(
        xsd::validate_element(&el),
        Err(xsd::XsdError::Invalid { .. })
    ));
}

#[test]
fn ei_find_content_request() {
    let full = FindContentRequest {
        registered_resident_identification: PATIENT.into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        categorization: Some("dia".into()),
        logical_address: Some(SOURCE.into()),
        business_object_instance_identifier: Some("NA".into()),
        clinical_process_interest_id: Some("NA".into()),
        most_recent_content: Some("20230514101500".into()),
        source_system: Some(SOURCE.into()),
        data_controller: Some("SE2321000016".into()),
        owner: Some("SE2321000016-NPO1".into()),
    };
    let minimal = FindContentRequest {
        registered_resident_identification: PATIENT.into(),
        service_domain: "riv:clinicalprocess:healthcond:description".into(),
        ..FindContentRequest::default()
    };
    for req in [full, minimal] {
        let body = req.write();
        assert_eq!(
            FindContentRequest::parse(&validated_body(&body)).unwrap(),
            req
        );
        let env = validated_envelope(&soap::request(LOGICAL_ADDRESS, &body));
        assert_eq!(FindContentRequest::parse(&env.body).unwrap(), req);
    }
}

#[test]
fn ei_find_content_response() {
    for resp in [
        FindContentResponse {
            engagements: vec![full_engagement(), minimal_engagement()],
        },
        FindContentResponse::default(),
    ] {
        let body = resp.write();
        assert_eq!(
            FindContentResponse::parse(&validated_body(&body)).unwrap(),
            resp
        );
        let env = validated_envelope(&soap::envelope("", &body));
        assert_eq!(FindContentResponse::parse(&env.body).unwrap(), resp);
    }
}

// ---------------------------------------------------------------------------------------------
// ProcessingStatus header and SOAP faults

#[test]
fn processing_status_header() {
    let status = processing_status();
    let header = status.write();
    let el = validated_body(&header);
    assert!(el.is(HEADERS_NS, "ProcessingStatus"));
    assert_eq!(ProcessingStatus::parse(&el).unwrap(), status);

    let body = GetDiagnosisV2::write_response(&Response {
        items: Vec::new(),
        result: None,
        has_more: Vec::new(),
    });
    let env = validated_envelope(&soap::envelope(&header, &body));
    assert_eq!(env.headers.len(), 1);
    assert_eq!(ProcessingStatus::parse(&env.headers[0]).unwrap(), status);

    // An empty ProcessingStatus (no source answered at all) is valid too.
    let empty = ProcessingStatus::default();
    let env = validated_envelope(&soap::envelope(&empty.write(), &body));
    assert_eq!(ProcessingStatus::parse(&env.headers[0]).unwrap(), empty);
}

#[test]
fn soap_fault() {
    for fault in [
        Fault::server(
            "VP004 Det finns ingen tjänsteproducent för den logiska adressen SE2321000016-XXXX",
        ),
        Fault::client("VP002 Mottagaren kunde inte tolka anropet: <GetDiagnosis> & \"fel\""),
    ] {
        let env = validated_envelope(&fault.to_envelope());
        assert_eq!(env.fault(), Some(fault));
        assert!(env.headers.is_empty());
    }
}

#[test]
fn fault_without_faultstring_is_refused() {
    let env = soap::envelope(
        "",
        "<soap:Fault><faultcode>soap:Server</faultcode></soap:Fault>",
    );
    assert!(matches!(
        xsd::validate_envelope(env.as_bytes()),
        Err(xsd::XsdError::Fault(_))
    ));
}
