//! GetCarePlans 2.0: what npo writes validates against the official schema and reads back
//! unchanged; broken messages are refused without panicking; the Swedish view.

mod support;

use npo_riv::common::{
    DatePeriod, OrgUnit, PatientSummaryHeader, PersonId, Query, ResultCode, ResultType,
};
use npo_riv::contracts::care_plans_v2::{
    CarePlan, CarePlanBody, Content, GetCarePlansV2, Ii, NAMESPACE, base64_decode, base64_encode,
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
    PatientSummaryHeader {
        document_title: Some("Samordnad individuell plan – hemgång efter höftfraktur".into()),
        document_time: Some("20240115103000".into()),
        accountable: support::professional(
            "20240115113000",
            "SE2120001234-P1001",
            "Karin Ödman",
            support::role("SJ", "Sjuksköterska", "Distriktssköterska"),
            support::full_org_unit(
                CARE_UNIT,
                "Hemsjukvården Norr",
                "0470-410 00",
                Some("hemsjukvard@example.se"),
                "Kungsgatan 2, 352 33 Växjö",
                "Växjö",
            ),
            CARE_GIVER,
        ),
        legal_authenticator: support::signed("20240115140000", "SE2120001234-P1001", "Karin Ödman"),
        approved_for_patient: true,
        care_contact_id: Some("KK-2024-17".into()),
        nullified: Some(true),
        nullified_reason: Some("Ersatt av reviderad plan".into()),
        ..minimal_header(document_id)
    }
}

fn minimal_header(document_id: &str) -> PatientSummaryHeader {
    support::minimal_header(document_id, SOURCE, PATIENT)
}

const PLAN_TEXT: &str = "Mål: gå med rollator inomhus.\nInsatser: hemtjänst 2 ggr/dag, \
                         hemrehab 1 ggr/v.\nUppföljning: 2024-03-01.";

fn plans() -> Vec<CarePlan> {
    let mut org_without_ids = minimal_header("CP-2019-0003");
    org_without_ids.accountable.org_unit = Some(OrgUnit {
        hsa_id: String::new(),
        name: String::new(),
        telecom: Some("0470-410 00".into()),
        email: None,
        address: None,
        location: None,
    });
    vec![
        CarePlan {
            header: full_header("CP-2024-0001"),
            body: CarePlanBody {
                content: vec![
                    Content::plain_text(PLAN_TEXT),
                    Content {
                        id: Some("bilaga-1".into()),
                        media_type: "application/pdf".into(),
                        value: Some(base64_encode(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")),
                        reference: Some(
                            "https://dokument.example.se/sip/4711?format=pdf&v=2".into(),
                        ),
                    },
                    Content {
                        id: None,
                        media_type: "image/tiff".into(),
                        value: None,
                        reference: None,
                    },
                ],
                participating_care_units: vec![
                    Ii::hsa_id("SE2321000016-U002"),
                    Ii::hsa_id(CARE_UNIT),
                    Ii {
                        root: "1.2.752.129.2.1.4.1".into(),
                        extension: None,
                    },
                ],
                type_of_care_plan: Some("SIP".into()),
            },
        },
        CarePlan {
            header: minimal_header("CP-2019-0002"),
            body: CarePlanBody::default(),
        },
        CarePlan {
            header: org_without_ids,
            body: CarePlanBody {
                type_of_care_plan: Some("SVP".into()),
                ..CarePlanBody::default()
            },
        },
    ]
}

#[test]
fn request_round_trips() {
    check_request::<GetCarePlansV2>(&Query {
        care_unit_ids: vec![CARE_UNIT.into(), "SE2120001234-U002".into()],
        patient_id: patient(),
        period: Some(DatePeriod {
            start: "20230101".into(),
            end: "20241231".into(),
        }),
        source_system_id: Some(SOURCE.into()),
        care_contact_ids: vec!["KK-2024-17".into(), "KK-2024-18".into()],
    });
    check_request::<GetCarePlansV2>(&Query::for_patient(patient()));
}

#[test]
fn response_round_trips() {
    check_response::<GetCarePlansV2>(&Response::new(
        plans(),
        Some(ResultType {
            result_code: ResultCode::Info,
            error_code: None,
            log_id: "3f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
            sub_code: Some("PARTIAL".into()),
            message: Some("Ett källsystem svarade inte".into()),
        }),
    ));
    check_response::<GetCarePlansV2>(&Response::new(plans(), None));
    check_response::<GetCarePlansV2>(&Response::new(Vec::new(), None));
    check_response::<GetCarePlansV2>(&Response::new(
        Vec::new(),
        Some(ResultType::invalid_request(
            "9b0c7a2e-1111-4e1e-8a55-000000000001",
            "sourceSystemHSAId skiljer sig från LogicalAddress",
        )),
    ));
}

#[test]
fn header_keeps_the_logistics_order() {
    let body = GetCarePlansV2::write_response(&Response::new(plans(), None));
    let nullified = body.find("<core:nullified>").expect("nullified");
    let contact = body.find("<core:careContactId>").expect("careContactId");
    assert!(nullified < contact);
}

fn written(items: Vec<CarePlan>) -> Element {
    support::response_element::<GetCarePlansV2>(items, None)
}

#[test]
fn missing_required_elements_are_refused() {
    for (parent, child) in [
        ("carePlan", "carePlanHeader"),
        ("carePlan", "carePlanBody"),
        ("carePlanHeader", "documentId"),
        ("carePlanHeader", "sourceSystemHSAId"),
        ("carePlanHeader", "patientId"),
        ("carePlanHeader", "approvedForPatient"),
        ("accountableHealthcareProfessional", "authorTime"),
        ("content", "mediaType"),
        ("participatingCareUnitHSAId", "root"),
        ("GetCarePlansResponse", "result"),
    ] {
        let mut el = written(plans());
        find_mut(&mut el, parent)
            .children
            .retain(|c| c.name != child);
        assert_eq!(
            GetCarePlansV2::parse_response(&el),
            Err(ContractError::Missing(child)),
            "{parent}/{child}"
        );
    }
}

#[test]
fn bad_values_are_refused() {
    for (name, value, expected) in [
        ("typeOfCarePlanEnum", "ABC", "typeOfCarePlanEnum"),
        ("mediaType", "text/markdown", "mediaType"),
        ("value", "not base64!", "value"),
        ("documentTime", "20240115", "documentTime"),
        ("nullified", "kanske", "nullified"),
    ] {
        let mut el = written(plans());
        find_mut(&mut el, name).text = value.into();
        assert!(
            matches!(
                GetCarePlansV2::parse_response(&el),
                Err(ContractError::Invalid(n, _)) if n == expected
            ),
            "{name}"
        );
    }
    let mut el = written(Vec::new());
    find_mut(&mut el, "resultCode").text = "FINE".into();
    assert!(GetCarePlansV2::parse_response(&el).is_err());
}

#[test]
fn wrong_root_is_refused() {
    let req = parse(&GetCarePlansV2::write_request(&Query::for_patient(
        patient(),
    )));
    assert!(matches!(
        GetCarePlansV2::parse_response(&req),
        Err(ContractError::UnexpectedElement(_))
    ));
    assert!(matches!(
        GetCarePlansV2::parse_request(&written(plans())),
        Err(ContractError::UnexpectedElement(_))
    ));
    let empty = parse(&format!(r#"<x:GetCarePlans xmlns:x="{NAMESPACE}"/>"#));
    assert_eq!(
        GetCarePlansV2::parse_request(&empty),
        Err(ContractError::Missing("patientId"))
    );
}

#[test]
fn view_in_swedish() {
    let v = GetCarePlansV2::view(&plans()[0]);
    assert_eq!(
        v.title,
        "Samordnad individuell plan – hemgång efter höftfraktur"
    );
    assert_eq!(v.time, "20240115103000");
    assert_eq!(v.text.as_deref(), Some(PLAN_TEXT));
    assert!(
        v.fields
            .contains(&("Typ av plan", "Samordnad individuell plan".into()))
    );
    assert!(v.fields.contains(&("Upprättad", "2024-01-15".into())));
    assert!(v.fields.contains(&("Ansvarig", "Karin Ödman".into())));
    assert!(v.fields.contains(&("Enhet", "Hemsjukvården Norr".into())));
    assert!(
        v.fields
            .iter()
            .any(|(l, v)| *l == "Deltagande enheter" && v.contains("SE2321000016-U002"))
    );
    assert!(
        v.fields
            .iter()
            .any(|(l, v)| *l == "Bilaga" && v.starts_with("PDF-dokument"))
    );
    assert!(!v.attention);

    let v = GetCarePlansV2::view(&plans()[2]);
    assert_eq!(v.title, "Standardiserad vårdplan");
    assert_eq!(v.time, "20190301000000");
    assert!(v.text.is_none());
    let v = GetCarePlansV2::view(&plans()[1]);
    assert_eq!(v.title, "Vård- och omsorgsplan");
    assert_eq!(GetCarePlansV2::CATEGORIZATION, "cll-cp");
    assert_eq!(
        GetCarePlansV2::SERVICE_DOMAIN,
        "riv:clinicalprocess:logistics:logistics"
    );
}

#[test]
fn base64_round_trip() {
    for s in ["", "a", "ab", "abc", "abcd", "Vårdplan – mål: gå 100 m"] {
        let e = base64_encode(s.as_bytes());
        assert_eq!(base64_decode(&e).as_deref(), Some(s.as_bytes()), "{s}");
    }
    assert_eq!(base64_encode(b"Man"), "TWFu");
    assert_eq!(base64_encode(b"Ma"), "TWE=");
    assert_eq!(base64_decode("TW E=\n").as_deref(), Some(&b"Ma"[..]));
    for bad in ["TWE", "TW=E", "T===", "TWE=TWFu", "TW!u", "===="] {
        assert!(base64_decode(bad).is_none(), "{bad}");
    }
    assert_eq!(
        Content::plain_text("Hej å").text().as_deref(),
        Some("Hej å")
    );
}
