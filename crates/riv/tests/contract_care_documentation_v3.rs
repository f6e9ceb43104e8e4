//! GetCareDocumentation 3.0: round trips through the official schema (with paging), refusals,
//! the view.

mod support;

use npo_riv::common::{
    Cv, DatePeriod, HealthcareProfessional, LegalAuthenticator, OrgUnit, PatientSummaryHeader,
    PersonId, Query, ResultCode, ResultType,
};
use npo_riv::contracts::access_control_header::{
    AccessControlHeader, Author, AuthorOrgUnit, Header, Ii, OID_HSA, Record, Signature,
};
use npo_riv::contracts::care_documentation_v3::{
    CareDocumentation, CareDocumentationBody, CareDocumentationRequest, DissentingOpinion,
    GetCareDocumentationV3, Multimedia, NOTE_CODE_SYSTEM, note_code,
};
use npo_riv::{Contract, ContractError, HasMore, Response};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const CARE_UNIT: &str = "SE2321000016-15CQ";
const CARE_GIVER: &str = "SE2321000016-0001";

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn full_header(id: &str) -> Header {
    Header {
        access_control: AccessControlHeader {
            accountable_care_giver: Some(Ii::hsa(CARE_GIVER)),
            accountable_care_unit: Some(Ii::hsa(CARE_UNIT)),
            patient_id: patient(),
            block_comparison_time: "20230514101500".into(),
            approved_for_patient: true,
        },
        source_system_id: Ii::hsa(SOURCE),
        record: Record {
            id: Ii::new(SOURCE, id),
            timestamp: "20230514101500".into(),
        },
        author: Some(Author {
            id: Some(Ii::hsa("SE2321000016-DOC1")),
            name: Some("Åsa Öberg-Ählström".into()),
            timestamp: "20230514103000".into(),
            by_role: Some(Cv::coded("LK", "1.2.752.129.2.2.1.4", "Läkare")),
            org_unit: Some(AuthorOrgUnit {
                hsa_id: Some(CARE_UNIT.into()),
                name: Some("Vårdcentralen Åby".into()),
            }),
        }),
        signature: Some(Signature {
            id: Some(Ii::hsa("SE2321000016-DOC2")),
            name: Some("Per Ågren".into()),
            timestamp: "20230515080000".into(),
            by_role: Some(Cv::coded("LK", "1.2.752.129.2.2.1.4", "Läkare")),
        }),
    }
}

fn minimal_header(id: &str) -> Header {
    Header {
        access_control: AccessControlHeader {
            accountable_care_giver: None,
            accountable_care_unit: None,
            patient_id: patient(),
            block_comparison_time: "20190301000000".into(),
            approved_for_patient: false,
        },
        source_system_id: Ii {
            root: SOURCE.into(),
            extension: None,
        },
        record: Record {
            id: Ii {
                root: id.into(),
                extension: None,
            },
            timestamp: "20190301000000".into(),
        },
        author: None,
        signature: None,
    }
}

fn full_item() -> CareDocumentation {
    CareDocumentation {
        header: full_header("VOO-2023-0001"),
        body: CareDocumentationBody {
            note_code: note_code("bes"),
            title: Some("Besök på vårdcentralen".into()),
            text: Some(
                "Patienten söker för hosta sedan två veckor.\nStatus: u.a. & \"lugn\".".into(),
            ),
            multimedia: Some(Multimedia {
                media_type: "application/pdf".into(),
                value: Some("JVBERi0xLjQKJcOkw7zDtsOfCg==".into()),
                reference: Some("https://dokument.example.se/4711?format=pdf&v=2".into()),
            }),
            dissenting_opinions: vec![
                DissentingOpinion {
                    opinion_id: Some(Ii::new("1.2.752.129.2.1.2.1", "AV-1")),
                    author_time: "20230601120000".into(),
                    opinion: "Jag hade ingen feber.".into(),
                    person_id: patient(),
                    person_name: "Tolvan Tolvansson".into(),
                },
                DissentingOpinion {
                    opinion_id: None,
                    author_time: "20230602120000".into(),
                    opinion: "Instämmer.".into(),
                    person_id: PersonId::personnummer("191111111111"),
                    person_name: "Elvan Tolvansson".into(),
                },
            ],
        },
    }
}

fn minimal_item() -> CareDocumentation {
    CareDocumentation {
        header: minimal_header("VOO-2019-0002"),
        body: CareDocumentationBody {
            note_code: Cv::default(),
            title: None,
            text: None,
            multimedia: None,
            dissenting_opinions: Vec::new(),
        },
    }
}

fn text_result(code: ResultCode, text: &str) -> ResultType {
    // 3.0 carries only resultCode and resultText.
    ResultType {
        result_code: code,
        error_code: None,
        log_id: String::new(),
        sub_code: None,
        message: Some(text.into()),
    }
}

#[test]
fn request_round_trips() {
    support::check_request::<GetCareDocumentationV3>(&CareDocumentationRequest {
        query: Query {
            care_unit_ids: vec![CARE_UNIT.into(), "SE2321000016-16XB".into()],
            patient_id: patient(),
            period: Some(DatePeriod {
                start: "20230101".into(),
                end: "20231231".into(),
            }),
            source_system_id: Some(SOURCE.into()),
            care_contact_ids: Vec::new(),
        },
        healthcare_provider_ids: vec![CARE_GIVER.into()],
        has_more_reference: Some("page-2&offset=50".into()),
    });
    support::check_request::<GetCareDocumentationV3>(&CareDocumentationRequest::for_patient(
        patient(),
    ));
}

#[test]
fn paging() {
    let mut req = CareDocumentationRequest::for_patient(patient());
    assert_eq!(GetCareDocumentationV3::PAGE_SIZE, Some(50));
    assert_eq!(GetCareDocumentationV3::page_reference(&req), None);
    req.has_more_reference = Some("ref-2".into());
    assert_eq!(GetCareDocumentationV3::page_reference(&req), Some("ref-2"));
    let el = support::parse(&GetCareDocumentationV3::write_request(&req));
    let back = GetCareDocumentationV3::parse_request(&el).unwrap();
    assert_eq!(GetCareDocumentationV3::page_reference(&back), Some("ref-2"));
}

#[test]
fn response_round_trips() {
    support::check_response::<GetCareDocumentationV3>(&Response {
        items: vec![full_item(), minimal_item()],
        result: Some(text_result(ResultCode::Info, "Fler anteckningar finns")),
        has_more: vec![
            HasMore {
                logical_address: SOURCE.into(),
                reference: "page-2".into(),
            },
            HasMore {
                logical_address: "SE2120001234-SRC2".into(),
                reference: "x&y".into(),
            },
        ],
    });
    // The required result: None is written as OK and reads back as None.
    support::check_response::<GetCareDocumentationV3>(&Response::new(vec![minimal_item()], None));
    support::check_response::<GetCareDocumentationV3>(&Response::new(
        Vec::new(),
        Some(text_result(ResultCode::Error, "Ogiltig begäran")),
    ));
    support::check_response::<GetCareDocumentationV3>(&Response::new(
        Vec::new(),
        Some(text_result(ResultCode::Ok, "Inga anteckningar")),
    ));
}

#[test]
fn first_generation_results_lose_what_3_0_cannot_carry() {
    let resp = Response::new(
        Vec::new(),
        Some(ResultType::invalid_request(
            "log-1",
            "sourceSystemId matchar inte",
        )),
    );
    let el = support::validated_body(&GetCareDocumentationV3::write_response(&resp));
    let back = GetCareDocumentationV3::parse_response(&el).unwrap();
    assert_eq!(
        back.result,
        Some(text_result(
            ResultCode::Error,
            "sourceSystemId matchar inte"
        ))
    );
    let ok = Response::new(Vec::new(), Some(ResultType::ok("log-2")));
    let el = support::validated_body(&GetCareDocumentationV3::write_response(&ok));
    assert_eq!(
        GetCareDocumentationV3::parse_response(&el).unwrap().result,
        None
    );
}

fn written() -> String {
    GetCareDocumentationV3::write_response(&Response::new(vec![full_item()], None))
}

fn parse(s: &str) -> Result<Response<CareDocumentation>, ContractError> {
    GetCareDocumentationV3::parse_response(&support::parse(s))
}

#[test]
fn refuses_broken_messages() {
    let ok = written();
    assert!(parse(&ok).is_ok());

    let no_patient = ok.replace(
        &format!(
            "<core:patientId><core:root>1.2.752.129.2.1.3.1</core:root><core:extension>{PATIENT}</core:extension></core:patientId>"
        ),
        "",
    );
    assert_eq!(parse(&no_patient), Err(ContractError::Missing("patientId")));
    let no_body = {
        let start = ok.find("<core:body>").unwrap();
        let end = ok.find("</core:body>").unwrap() + "</core:body>".len();
        format!("{}{}", &ok[..start], &ok[end..])
    };
    assert_eq!(parse(&no_body), Err(ContractError::Missing("body")));
    let bad_code = ok.replace(
        "<core:resultCode>OK</core:resultCode>",
        "<core:resultCode>FINE</core:resultCode>",
    );
    assert!(matches!(
        parse(&bad_code),
        Err(ContractError::Invalid("resultCode", _))
    ));
    let no_result = ok.replace(
        "<tns:result><core:resultCode>OK</core:resultCode></tns:result>",
        "",
    );
    assert_eq!(parse(&no_result), Err(ContractError::Missing("result")));
    let bad_time = ok.replace(
        "<core:blockComparisonTime>20230514101500",
        "<core:blockComparisonTime>20231314101500",
    );
    assert!(matches!(
        parse(&bad_time),
        Err(ContractError::Invalid("blockComparisonTime", _))
    ));
    let no_note_code = {
        let start = ok.find("<core:clinicalDocumentNoteCode>").unwrap();
        let end = ok.find("</core:clinicalDocumentNoteCode>").unwrap()
            + "</core:clinicalDocumentNoteCode>".len();
        format!("{}{}", &ok[..start], &ok[end..])
    };
    assert_eq!(
        parse(&no_note_code),
        Err(ContractError::Missing("clinicalDocumentNoteCode"))
    );
}

#[test]
fn refuses_wrong_root_elements_and_requests() {
    let req =
        GetCareDocumentationV3::write_request(&CareDocumentationRequest::for_patient(patient()));
    assert!(GetCareDocumentationV3::parse_request(&support::parse(&written())).is_err());
    assert!(parse(&req).is_err());
    let v2 = req.replace("Responder:3", "Responder:2");
    assert_eq!(
        GetCareDocumentationV3::parse_request(&support::parse(&v2)),
        Err(ContractError::UnexpectedElement("GetCareDocumentation"))
    );
    let mut with_unit = CareDocumentationRequest::for_patient(patient());
    with_unit.query.care_unit_ids = vec![CARE_UNIT.into()];
    let text = GetCareDocumentationV3::write_request(&with_unit)
        .replace(&format!("<core:extension>{CARE_UNIT}</core:extension>"), "");
    assert_eq!(
        GetCareDocumentationV3::parse_request(&support::parse(&text)),
        Err(ContractError::Missing("extension"))
    );
}

#[test]
fn view_and_meta() {
    let item = full_item();
    let v = GetCareDocumentationV3::view(&item);
    assert_eq!(v.title, "Besök på vårdcentralen");
    assert_eq!(v.time, "20230514103000");
    assert!(!v.attention);
    assert!(
        v.fields
            .contains(&("Anteckningstyp", "Besöksanteckning".to_owned()))
    );
    assert!(v.fields.contains(&("Signerad av", "Per Ågren".to_owned())));
    assert!(
        v.fields
            .contains(&("Enhet", "Vårdcentralen Åby".to_owned()))
    );
    assert!(v.text.unwrap().starts_with("Patienten söker"));

    let min = minimal_item();
    let v = GetCareDocumentationV3::view(&min);
    assert_eq!(v.title, "Anteckning");
    assert_eq!(v.time, "20190301000000");
    assert!(v.fields.contains(&("Signerad av", "Osignerad".to_owned())));

    let m = GetCareDocumentationV3::meta(&item);
    assert_eq!(m.document_id, "VOO-2023-0001");
    assert_eq!(m.source_system, SOURCE);
    assert_eq!(m.care_unit, Some(CARE_UNIT));
    assert_eq!(m.care_giver, Some(CARE_GIVER));
    assert_eq!(m.registration_time, "20230514101500");
    assert!(m.approved_for_patient);
    assert_eq!(
        note_code("sao").code_system.as_deref(),
        Some(NOTE_CODE_SYSTEM)
    );
}

#[test]
fn header_from_first_generation() {
    let h = PatientSummaryHeader {
        document_id: "DOC-1".into(),
        source_system_hsa_id: SOURCE.into(),
        document_title: None,
        document_time: Some("20240101100000".into()),
        patient_id: patient(),
        accountable: HealthcareProfessional {
            author_time: "20240101100000".into(),
            hsa_id: Some("SE2321000016-DOC1".into()),
            name: Some("Åsa Öberg".into()),
            role_code: None,
            org_unit: Some(OrgUnit {
                hsa_id: CARE_UNIT.into(),
                name: "Vårdcentralen Åby".into(),
                telecom: None,
                email: None,
                address: None,
                location: None,
            }),
            care_unit_hsa_id: Some(CARE_UNIT.into()),
            care_giver_hsa_id: Some(CARE_GIVER.into()),
        },
        legal_authenticator: Some(LegalAuthenticator {
            signature_time: "20240101120000".into(),
            hsa_id: None,
            name: Some("Per Ågren".into()),
        }),
        approved_for_patient: true,
        care_contact_id: None,
        nullified: None,
        nullified_reason: None,
    };
    let v3 = Header::from_first_generation(&h);
    let (a, b) = (h.meta(), v3.meta());
    assert_eq!(
        (
            a.document_id,
            a.source_system,
            a.registration_time,
            a.care_unit,
            a.care_giver
        ),
        (
            b.document_id,
            b.source_system,
            b.registration_time,
            b.care_unit,
            b.care_giver
        )
    );
    assert_eq!(v3.source_system_id.root, OID_HSA);
    let item = CareDocumentation {
        header: v3,
        body: full_item().body,
    };
    support::check_response::<GetCareDocumentationV3>(&Response::new(vec![item], None));
}
