//! GetCareContacts 2.0: round trips through the official schema, strict parsing, the view.

mod support;

use npo_riv::common::{ContractError, Cv, DatePeriod, OrgUnit, PersonId, Query, ResultType};
use npo_riv::contracts::care_contacts_v2::{
    Accountable, CareContact, CareContactBody, CareContactCode, CareContactHeader,
    CareContactStatus, GetCareContactsV2, TimePeriod,
};
use npo_riv::{Contract, Response};
use support::{check_request, check_response, parse};

const PATIENT: &str = "191212121212";
const SOURCE: &str = "SE2321000016-A1B2";
const UNIT: &str = "SE2321000016-15CQ";
const GIVER: &str = "SE2321000016-0001";

fn unit(name: &str) -> OrgUnit {
    OrgUnit {
        hsa_id: UNIT.into(),
        name: name.into(),
        telecom: None,
        email: None,
        address: None,
        location: None,
    }
}

fn full_contact() -> CareContact {
    CareContact {
        header: CareContactHeader {
            document_id: "VK-2023-0042".into(),
            source_system_hsa_id: SOURCE.into(),
            patient_id: PersonId::personnummer(PATIENT),
            accountable: Some(Accountable {
                author_time: "20230514093000".into(),
                hsa_id: "SE2321000016-DOC1".into(),
                name: "Åsa Öberg-Ählström".into(),
                role_code: Some(Cv {
                    code: Some("LK".into()),
                    code_system: Some("1.2.752.129.2.2.1.4".into()),
                    code_system_name: Some("KV Befattning".into()),
                    code_system_version: Some("1.0".into()),
                    display_name: Some("Läkare".into()),
                    original_text: None,
                }),
                org_unit: OrgUnit {
                    hsa_id: UNIT.into(),
                    name: "Medicinkliniken, Länssjukhuset".into(),
                    telecom: Some("0470-123 45".into()),
                    email: Some("medicin@example.se".into()),
                    address: Some("Storgatan 1, 352 30 Växjö".into()),
                    location: Some("Växjö".into()),
                },
                care_unit_hsa_id: Some(UNIT.into()),
                care_giver_hsa_id: Some(GIVER.into()),
            }),
            approved_for_patient: true,
            nullified: Some(false),
            nullified_reason: Some("–".into()),
        },
        body: CareContactBody {
            code: Some(CareContactCode::Vardtillfalle),
            reason: Some("Andfådd & svullna ben sedan en vecka <ökande>".into()),
            org_unit: OrgUnit {
                telecom: Some("0470-123 45".into()),
                email: Some("avd12@example.se".into()),
                address: Some("Avdelning 12, Länssjukhuset".into()),
                location: Some("Växjö".into()),
                ..unit("Medicinavdelning 12, Länssjukhuset")
            },
            time_period: TimePeriod {
                start: "20230514084500".into(),
                end: Some("20230519113000".into()),
            },
            status: Some(CareContactStatus::Avslutad),
        },
    }
}

fn minimal_contact() -> CareContact {
    CareContact {
        header: CareContactHeader {
            document_id: "VK-2019-0001".into(),
            source_system_hsa_id: SOURCE.into(),
            patient_id: PersonId::personnummer(PATIENT),
            accountable: None,
            approved_for_patient: false,
            nullified: None,
            nullified_reason: None,
        },
        body: CareContactBody {
            code: None,
            reason: None,
            org_unit: unit("Vårdcentralen Åby"),
            time_period: TimePeriod {
                start: "20190301100000".into(),
                end: None,
            },
            status: None,
        },
    }
}

#[test]
fn request_round_trips() {
    check_request::<GetCareContactsV2>(&Query {
        care_unit_ids: vec![UNIT.into(), "SE2321000016-16XB".into()],
        patient_id: PersonId::personnummer(PATIENT),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20231231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["VK-2023-0042".into(), "VK-2023-0043".into()],
    });
    check_request::<GetCareContactsV2>(&Query::for_patient(PersonId::personnummer(PATIENT)));
}

#[test]
fn response_round_trips() {
    // Every code and status value, too.
    let mut items = vec![full_contact(), minimal_contact()];
    for (i, (code, status)) in CareContactCode::ALL
        .into_iter()
        .zip(CareContactStatus::ALL)
        .enumerate()
    {
        let mut c = full_contact();
        c.header.document_id = format!("VK-{i}");
        c.body.code = Some(code);
        c.body.status = Some(status);
        items.push(c);
    }
    check_response::<GetCareContactsV2>(&Response::new(items, None));
    check_response::<GetCareContactsV2>(&Response::new(vec![minimal_contact()], None));
    check_response::<GetCareContactsV2>(&Response::new(Vec::new(), None));
}

#[test]
fn result_is_not_part_of_version_2() {
    let resp = Response::new(
        vec![minimal_contact()],
        Some(ResultType::invalid_request("log-1", "fel")),
    );
    let written = GetCareContactsV2::write_response(&resp);
    assert!(!written.contains("result"));
    let back = GetCareContactsV2::parse_response(&support::validated_body(&written)).unwrap();
    assert_eq!(back.result, None);
    assert_eq!(back.items, resp.items);
}

fn written_full() -> String {
    GetCareContactsV2::write_response(&Response::new(vec![full_contact()], None))
}

#[test]
fn missing_required_elements_are_errors() {
    let xml = written_full();
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[
                ("<core:careContactOrgUnit>", "<core:otherOrgUnit>"),
                ("</core:careContactOrgUnit>", "</core:otherOrgUnit>"),
            ],
            "careContactOrgUnit",
        ),
        (
            &[("<core:documentId>VK-2023-0042</core:documentId>", "")],
            "documentId",
        ),
        (
            &[(
                "<core:healthcareProfessionalName>Åsa Öberg-Ählström</core:healthcareProfessionalName>",
                "",
            )],
            "healthcareProfessionalName",
        ),
        (&[("<core:start>20230514084500</core:start>", "")], "start"),
        (
            &[(
                "<core:approvedForPatient>true</core:approvedForPatient>",
                "",
            )],
            "approvedForPatient",
        ),
    ];
    for (edits, missing) in cases {
        let mut bad = xml.clone();
        for (from, to) in edits {
            bad = bad.replacen(from, to, 1);
        }
        assert_ne!(bad, xml, "{missing}");
        assert_eq!(
            GetCareContactsV2::parse_response(&parse(&bad)),
            Err(ContractError::Missing(missing)),
            "{missing}"
        );
    }
}

#[test]
fn bad_enumeration_values_are_errors() {
    let xml = written_full();
    for (from, to, name) in [
        (
            "<core:careContactCode>3</core:careContactCode>",
            "<core:careContactCode>6</core:careContactCode>",
            "careContactCode",
        ),
        (
            "<core:careContactCode>3</core:careContactCode>",
            "<core:careContactCode>Besök</core:careContactCode>",
            "careContactCode",
        ),
        (
            "<core:careContactStatus>5</core:careContactStatus>",
            "<core:careContactStatus>0</core:careContactStatus>",
            "careContactStatus",
        ),
        (
            "<core:start>20230514084500</core:start>",
            "<core:start>2023-05-14</core:start>",
            "start",
        ),
        (
            "<core:approvedForPatient>true</core:approvedForPatient>",
            "<core:approvedForPatient>ja</core:approvedForPatient>",
            "approvedForPatient",
        ),
    ] {
        let bad = xml.replacen(from, to, 1);
        assert_ne!(bad, xml);
        assert!(
            matches!(
                GetCareContactsV2::parse_response(&parse(&bad)),
                Err(ContractError::Invalid(n, _)) if n == name
            ),
            "{name}"
        );
    }
    // xs:int allows a sign and leading zeros.
    let ok = xml.replacen(
        "<core:careContactCode>3</core:careContactCode>",
        "<core:careContactCode>+03</core:careContactCode>",
        1,
    );
    let items = GetCareContactsV2::parse_response(&parse(&ok))
        .unwrap()
        .items;
    assert_eq!(items[0].body.code, Some(CareContactCode::Vardtillfalle));
}

#[test]
fn wrong_root_element_is_an_error() {
    let req =
        GetCareContactsV2::write_request(&Query::for_patient(PersonId::personnummer(PATIENT)));
    assert_eq!(
        GetCareContactsV2::parse_response(&parse(&req)),
        Err(ContractError::UnexpectedElement("GetCareContactsResponse"))
    );
    assert_eq!(
        GetCareContactsV2::parse_request(&parse(&written_full())),
        Err(ContractError::UnexpectedElement("GetCareContacts"))
    );
    // Version 3 namespace is another contract.
    let v3 = req.replace("GetCareContactsResponder:2", "GetCareContactsResponder:3");
    assert!(GetCareContactsV2::parse_request(&parse(&v3)).is_err());
    assert!(matches!(
        GetCareContactsV2::parse_request(&parse(
            &req.replace("<tns:patientId>", "<tns:patient>")
                .replace("</tns:patientId>", "</tns:patient>")
        )),
        Err(ContractError::Missing("patientId"))
    ));
}

#[test]
fn meta_and_view() {
    let c = full_contact();
    let m = GetCareContactsV2::meta(&c);
    assert_eq!(m.document_id, "VK-2023-0042");
    assert_eq!(m.care_contact_id, Some("VK-2023-0042"));
    assert_eq!(m.registration_time, "20230514093000");
    assert_eq!(m.care_unit, Some(UNIT));
    assert_eq!(m.care_giver, Some(GIVER));
    assert_eq!(GetCareContactsV2::filter_time(&c), "20230514084500");

    let v = GetCareContactsV2::view(&c);
    assert_eq!(
        v.title,
        "Vårdtillfälle – Medicinavdelning 12, Länssjukhuset"
    );
    assert_eq!(v.time, "20230514084500");
    assert!(v.fields.contains(&("Status", "Avslutad".into())));
    assert!(
        v.fields
            .contains(&("Tid", "2023-05-14 08:45 – 2023-05-19 11:30".into()))
    );
    assert!(
        v.fields
            .contains(&("Ansvarig", "Åsa Öberg-Ählström".into()))
    );
    assert_eq!(
        v.text.as_deref(),
        Some("Andfådd & svullna ben sedan en vecka <ökande>")
    );
    assert!(!v.attention);

    let min = minimal_contact();
    let m = GetCareContactsV2::meta(&min);
    assert_eq!(m.registration_time, "20190301100000");
    assert_eq!(m.care_unit, None);
    let v = GetCareContactsV2::view(&min);
    assert_eq!(v.title, "Vårdkontakt – Vårdcentralen Åby");
    assert!(v.fields.contains(&("Tid", "2019-03-01 10:00".into())));
}

#[test]
fn contract_constants() {
    assert_eq!(GetCareContactsV2::NAME, "GetCareContacts");
    assert_eq!(GetCareContactsV2::VERSION, "2.0");
    assert_eq!(GetCareContactsV2::CATEGORIZATION, "vko");
    assert_eq!(
        GetCareContactsV2::SERVICE_DOMAIN,
        "riv:clinicalprocess:logistics:logistics"
    );
}
