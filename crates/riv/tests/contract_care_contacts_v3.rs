//! GetCareContacts 3.0: round trips through the official schema, strict parsing, the request's
//! filters, the view.

mod support;

use npo_riv::common::{
    ContractError, Cv, DatePeriod, HealthcareProfessional, LegalAuthenticator, OrgUnit,
    PatientSummaryHeader, PersonId, Query, ResultCode, ResultType,
};
use npo_riv::contracts::care_contacts_v2::TimePeriod;
use npo_riv::contracts::care_contacts_v3::{
    CareContact, CareContactBody, ContactOrgUnit, GetCareContactsRequest, GetCareContactsV3,
    KV_VARDKONTAKTTYP, SNOMED_CT_SE,
};
use npo_riv::{Contract, Response};
use support::{check_request, check_response, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const UNIT: &str = "SE2321000016-15CQ";
const GIVER: &str = "SE2321000016-0001";

fn full_contact() -> CareContact {
    CareContact {
        header: PatientSummaryHeader {
            document_id: "VK-2023-0042".into(),
            source_system_hsa_id: SOURCE.into(),
            document_title: Some("Vårdtillfälle medicinkliniken".into()),
            document_time: Some("20230514093000".into()),
            patient_id: PersonId::personnummer(PATIENT),
            accountable: HealthcareProfessional {
                author_time: "20230514093000".into(),
                hsa_id: Some("SE2321000016-DOC1".into()),
                name: Some("Åsa Öberg-Ählström".into()),
                role_code: Some(Cv {
                    code: Some("LK".into()),
                    code_system: Some("1.2.752.129.2.2.1.4".into()),
                    code_system_name: Some("KV Befattning".into()),
                    code_system_version: Some("1.0".into()),
                    display_name: Some("Läkare".into()),
                    original_text: None,
                }),
                org_unit: Some(OrgUnit {
                    hsa_id: UNIT.into(),
                    name: "Medicinkliniken, Länssjukhuset".into(),
                    telecom: Some("0470-123 45".into()),
                    email: Some("medicin@example.se".into()),
                    address: Some("Storgatan 1, 352 30 Växjö".into()),
                    location: Some("Växjö".into()),
                }),
                care_unit_hsa_id: Some(UNIT.into()),
                care_giver_hsa_id: Some(GIVER.into()),
            },
            legal_authenticator: Some(LegalAuthenticator {
                signature_time: "20230514110000".into(),
                hsa_id: Some("SE2321000016-DOC2".into()),
                name: Some("Per Ågren".into()),
            }),
            approved_for_patient: true,
            care_contact_id: Some("VK-2023-0042".into()),
            nullified: Some(true),
            nullified_reason: Some("Felregistrerad – fel patient".into()),
        },
        body: CareContactBody {
            code: Some(Cv {
                code: Some("1".into()),
                code_system: Some(KV_VARDKONTAKTTYP.into()),
                code_system_name: Some("KV Vårdkontakttyp".into()),
                code_system_version: Some("1".into()),
                display_name: Some("Slutenvårdstillfälle".into()),
                original_text: None,
            }),
            reason: Some("Andfådd & svullna ben sedan en vecka <ökande>".into()),
            org_unit: Some(ContactOrgUnit {
                hsa_id: Some(UNIT.into()),
                name: Some("Medicinavdelning 12, Länssjukhuset".into()),
                telecom: Some("0470-123 45".into()),
                email: Some("avd12@example.se".into()),
                address: Some("Avdelning 12, Länssjukhuset".into()),
                location: Some("Växjö".into()),
            }),
            time_period: Some(TimePeriod {
                start: "20230514084500".into(),
                end: Some("20230519113000".into()),
            }),
            status: Some(Cv {
                code: Some("53671000052101".into()),
                code_system: Some(SNOMED_CT_SE.into()),
                code_system_name: Some("SNOMED CT-SE".into()),
                code_system_version: None,
                display_name: Some("Avslutad vårdkontakt".into()),
                original_text: None,
            }),
        },
    }
}

fn minimal_contact() -> CareContact {
    CareContact {
        header: PatientSummaryHeader {
            document_id: "VK-2019-0001".into(),
            source_system_hsa_id: SOURCE.into(),
            document_title: None,
            document_time: None,
            patient_id: PersonId::personnummer(PATIENT),
            accountable: HealthcareProfessional {
                author_time: "20190301100000".into(),
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
        body: CareContactBody::default(),
    }
}

fn full_request() -> GetCareContactsRequest {
    GetCareContactsRequest {
        query: Query {
            care_unit_ids: vec![UNIT.into(), "SE2321000016-16XB".into()],
            patient_id: PersonId::personnummer(PATIENT),
            period: Some(DatePeriod {
                start: "20230101".into(),
                end: "20231231".into(),
            }),
            source_system_id: Some(SOURCE.into()),
            care_contact_ids: vec!["VK-2023-0042".into(), "VK-2023-0043".into()],
        },
        care_giver_ids: vec![GIVER.into(), "SE2120001234-0001".into()],
    }
}

#[test]
fn request_round_trips() {
    check_request::<GetCareContactsV3>(&full_request());
    check_request::<GetCareContactsV3>(&GetCareContactsRequest::for_patient(
        PersonId::personnummer(PATIENT),
    ));
    let written = GetCareContactsV3::write_request(&full_request());
    assert!(written.contains("<tns:datePeriod>") && !written.contains("timePeriod"));
}

#[test]
fn response_round_trips() {
    let info = ResultType {
        result_code: ResultCode::Info,
        error_code: None,
        log_id: "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
        sub_code: Some("PARTIAL".into()),
        message: Some("Ett källsystem svarade inte – svaret kan vara ofullständigt".into()),
    };
    check_response::<GetCareContactsV3>(&Response::new(
        vec![full_contact(), minimal_contact()],
        Some(info.clone()),
    ));
    // No result: written as a bare OK, read back as None.
    check_response::<GetCareContactsV3>(&Response::new(vec![full_contact()], None));
    check_response::<GetCareContactsV3>(&Response::new(Vec::new(), Some(info)));
    check_response::<GetCareContactsV3>(&Response::new(
        Vec::new(),
        Some(ResultType::invalid_request(
            "9b0c7a2e-1111-4e1e-8a55-000000000001",
            "sourceSystemHSAId måste anges när careContactId anges",
        )),
    ));
    check_response::<GetCareContactsV3>(&Response::new(
        Vec::new(),
        Some(ResultType::ok("9b0c7a2e-1111-4e1e-8a55-000000000002")),
    ));
}

fn written_full() -> String {
    GetCareContactsV3::write_response(&Response::new(vec![full_contact()], None))
}

#[test]
fn missing_required_elements_are_errors() {
    let xml = written_full();
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[
                ("<tns:result>", "<tns:outcome>"),
                ("</tns:result>", "</tns:outcome>"),
            ],
            "result",
        ),
        (
            &[
                (
                    "<core:accountableHealthcareProfessional>",
                    "<core:accountable>",
                ),
                (
                    "</core:accountableHealthcareProfessional>",
                    "</core:accountable>",
                ),
            ],
            "accountableHealthcareProfessional",
        ),
        (
            &[("<core:authorTime>20230514093000</core:authorTime>", "")],
            "authorTime",
        ),
        (&[("<core:start>20230514084500</core:start>", "")], "start"),
        (
            &[(
                "<core:sourceSystemHSAId>SE2321000016-A1B2</core:sourceSystemHSAId>",
                "",
            )],
            "sourceSystemHSAId",
        ),
    ];
    for (edits, missing) in cases {
        let mut bad = xml.clone();
        for (from, to) in edits {
            bad = bad.replacen(from, to, 1);
        }
        assert_ne!(bad, xml, "{missing}");
        assert_eq!(
            GetCareContactsV3::parse_response(&parse(&bad)),
            Err(ContractError::Missing(missing)),
            "{missing}"
        );
    }
}

#[test]
fn bad_values_are_errors() {
    let xml = written_full();
    for (from, to, name) in [
        (
            "<core:resultCode>OK</core:resultCode>",
            "<core:resultCode>FINE</core:resultCode>",
            "resultCode",
        ),
        (
            "<core:resultCode>OK</core:resultCode>",
            "<core:resultCode>ERROR</core:resultCode><core:errorCode>TECHNICAL_ERROR</core:errorCode>",
            "errorCode",
        ),
        (
            "<core:end>20230519113000</core:end>",
            "<core:end>20230519253000</core:end>",
            "end",
        ),
        (
            "<core:nullified>true</core:nullified>",
            "<core:nullified>kanske</core:nullified>",
            "nullified",
        ),
    ] {
        let bad = xml.replacen(from, to, 1);
        assert_ne!(bad, xml);
        assert!(
            matches!(
                GetCareContactsV3::parse_response(&parse(&bad)),
                Err(ContractError::Invalid(n, _)) if n == name
            ),
            "{name}"
        );
    }
}

#[test]
fn author_org_unit_without_id_is_ignored() {
    let xml = written_full().replacen(
        "<core:orgUnitHSAId>SE2321000016-15CQ</core:orgUnitHSAId>",
        "",
        1,
    );
    let back = GetCareContactsV3::parse_response(&support::validated_body(&xml)).unwrap();
    assert_eq!(back.items[0].header.accountable.org_unit, None);
    assert_eq!(
        back.items[0].header.accountable.care_unit_hsa_id.as_deref(),
        Some(UNIT)
    );
}

#[test]
fn wrong_root_element_is_an_error() {
    let req = GetCareContactsV3::write_request(&full_request());
    assert_eq!(
        GetCareContactsV3::parse_response(&parse(&req)),
        Err(ContractError::UnexpectedElement("GetCareContactsResponse"))
    );
    assert_eq!(
        GetCareContactsV3::parse_request(&parse(&written_full())),
        Err(ContractError::UnexpectedElement("GetCareContacts"))
    );
    let v2 = req.replace("GetCareContactsResponder:3", "GetCareContactsResponder:2");
    assert!(GetCareContactsV3::parse_request(&parse(&v2)).is_err());
}

#[test]
fn request_filters() {
    let c = full_contact();
    let mut r = full_request();
    assert!(r.matches(&c));
    // Care giver filter.
    r.care_giver_ids = vec!["SE2120001234-0001".into()];
    assert!(!r.matches(&c));
    r.care_giver_ids.clear();
    // Overlap: the stay 14–19 May overlaps a period ending on the 15th or starting on the 19th.
    for (start, end, hit) in [
        ("20230515", "20230515", true),
        ("20230519", "20231231", true),
        ("20230101", "20230513", false),
        ("20230520", "20231231", false),
    ] {
        r.query.period = Some(DatePeriod {
            start: start.into(),
            end: end.into(),
        });
        assert_eq!(r.matches(&c), hit, "{start}–{end}");
    }
    // An ongoing stay (no end) overlaps everything after its start.
    let mut open = full_contact();
    if let Some(t) = open.body.time_period.as_mut() {
        t.end = None;
    }
    let status = |code: &str| {
        Some(Cv {
            code: Some(code.into()),
            code_system: Some(SNOMED_CT_SE.into()),
            ..Cv::default()
        })
    };
    open.body.status = status("53651000052107");
    open.header.nullified = None;
    r.query.period = Some(DatePeriod {
        start: "20250101".into(),
        end: "20250131".into(),
    });
    assert!(r.matches(&open));
    assert!(!r.matches(&c));
    // A cancelled, aborted, finished or nullified contact without an end is not ongoing: it
    // does not appear in later periods.
    for code in [
        "53641000052109",
        "53661000052105",
        "53671000052101",
        "53691000052102",
    ] {
        let mut ended = open.clone();
        ended.body.status = status(code);
        assert!(!r.matches(&ended), "status {code}");
    }
    let mut nullified = open.clone();
    nullified.header.nullified = Some(true);
    assert!(!r.matches(&nullified));
    // Care contact ids match documentId.
    r.query.period = None;
    r.query.care_contact_ids = vec!["VK-2019-0001".into()];
    assert!(!r.matches(&c));
}

#[test]
fn meta_and_view() {
    let c = full_contact();
    let m = GetCareContactsV3::meta(&c);
    assert_eq!(m.document_id, "VK-2023-0042");
    assert_eq!(m.care_contact_id, Some("VK-2023-0042"));
    assert_eq!(m.care_unit, Some(UNIT));
    assert_eq!(GetCareContactsV3::filter_time(&c), "20230514084500");
    let v = GetCareContactsV3::view(&c);
    assert_eq!(
        v.title,
        "Slutenvårdstillfälle – Medicinavdelning 12, Länssjukhuset"
    );
    assert!(
        v.fields
            .contains(&("Status", "Avslutad vårdkontakt".into()))
    );
    assert!(
        v.fields
            .contains(&("Makulerad", "Felregistrerad – fel patient".into()))
    );
    assert!(
        v.fields
            .contains(&("Tid", "2023-05-14 08:45 – 2023-05-19 11:30".into()))
    );

    // Codes without display names are named from the code lists.
    let mut bare = full_contact();
    if let Some(code) = bare.body.code.as_mut() {
        code.display_name = None;
        code.code = Some("4".into());
    }
    if let Some(s) = bare.body.status.as_mut() {
        s.display_name = None;
        s.code = Some("53651000052107".into());
    }
    let v = GetCareContactsV3::view(&bare);
    assert!(v.title.starts_with("Hemsjukvårdskontakt – "));
    assert!(
        v.fields
            .contains(&("Status", "Pågående vårdkontakt".into()))
    );

    let min = minimal_contact();
    assert_eq!(GetCareContactsV3::filter_time(&min), "20190301100000");
    assert_eq!(GetCareContactsV3::view(&min).title, "Vårdkontakt");
}

#[test]
fn contract_constants() {
    assert_eq!(GetCareContactsV3::VERSION, "3.0");
    assert_eq!(GetCareContactsV3::CATEGORIZATION, "vko");
    assert_eq!(
        GetCareContactsV3::NAMESPACE,
        "urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:3"
    );
}
