//! GetRequestActivities 2.0: requests and responses validate against the official schema and
//! read back unchanged; broken messages are refused; the view speaks Swedish.

mod support;

use npo_riv::common::{Cv, DatePeriod, OID_SAMORDNINGSNUMMER, PersonId};
use npo_riv::contracts::request_activities_v2::*;
use npo_riv::{Contract, ContractError, Response};
use support::{check_request, check_response, parse};

const PATIENT: &str = "197303142391";
const SOURCE: &str = "SE2321000016-SRC1";
const CARE_GIVER: &str = "SE2321000016-0001";
const CARE_UNIT: &str = "SE2321000016-U001";

type C = GetRequestActivitiesV2;

fn patient() -> PersonId {
    PersonId::personnummer(PATIENT)
}

fn full_request() -> RequestActivitiesRequest {
    let mut r = RequestActivitiesRequest::for_patient(patient());
    r.query.care_unit_ids = vec![CARE_UNIT.into(), "SE2321000016-U002".into()];
    r.query.period = Some(DatePeriod {
        start: "20240101".into(),
        end: "20241231".into(),
    });
    r.query.source_system_id = Some(SOURCE.into());
    r.care_giver_ids = vec![CARE_GIVER.into(), "SE5566778899-0001".into()];
    r.types_of_request = vec![
        Cv::coded("4", REQUEST_TYPE_OID, "allmänremiss"),
        Cv {
            code: Some("1".into()),
            code_system: Some(REQUEST_TYPE_OID.into()),
            code_system_name: Some("KV Framställantyp".into()),
            code_system_version: Some("1".into()),
            display_name: Some("röntgenremiss".into()),
            original_text: Some("Röntgen".into()),
        },
    ];
    r
}

fn full_item() -> RequestActivity {
    RequestActivity {
        header: Header {
            access_control: AccessControlHeader {
                accountable_care_giver: Ii::hsa(CARE_GIVER),
                accountable_care_unit: Some(Ii::hsa(CARE_UNIT)),
                patient_id: patient(),
                care_process_id: Some(Ii {
                    root: "6f1c2a34-0b7e-4d1e-9a55-1d2c3b4a5e6f".into(),
                    extension: None,
                }),
                block_comparison_time: "20240301090000".into(),
                approved_for_patient: true,
            },
            source_system_id: Ii::hsa(SOURCE),
            record: Record {
                id: Ii::new(SOURCE, "REM-2024-0815-3"),
                timestamp: "20240312101600".into(),
            },
            author: Some(Author {
                id: Some(Ii::hsa("SE2321000016-P1001")),
                name: Some("Åsa Öberg".into()),
                timestamp: "20240312101600".into(),
                by_role: Some(Cv::coded("LK", "1.2.752.129.2.2.1.4", "Läkare")),
            }),
        },
        body: RequestActivityBody {
            status_code: Cv::coded("4", STATUS_OID, "Tid bokad"),
            event_time: "20240312101500".into(),
            request: RequestInfo {
                id: "SE2321000016-SRC1#REM-2024-0815".into(),
                type_: Some(Cv::coded("4", REQUEST_TYPE_OID, "allmänremiss")),
                medium: Some(Cv::coded("3", MEDIUM_OID, "skriftligt elektroniskt")),
                author: Some(RequestAuthor {
                    name: "Åsa Öberg".into(),
                    organization: Organization {
                        id: Some(Ii::hsa(CARE_UNIT)),
                        name: "Vårdcentralen Ekbacken".into(),
                    },
                }),
                receiving_organization: Organization {
                    id: Some(Ii::hsa("SE5566778899-U001")),
                    name: "Kardiologmottagningen, Privatkliniken & co".into(),
                },
            },
        },
    }
}

fn minimal_item() -> RequestActivity {
    RequestActivity {
        header: Header {
            access_control: AccessControlHeader {
                accountable_care_giver: Ii {
                    root: "1.2.752.29.4.3".into(),
                    extension: Some("2321000016".into()),
                },
                accountable_care_unit: None,
                patient_id: PersonId {
                    id: "199001657383".into(),
                    type_: OID_SAMORDNINGSNUMMER.into(),
                },
                care_process_id: None,
                block_comparison_time: "20190301000000".into(),
                approved_for_patient: false,
            },
            source_system_id: Ii::hsa(SOURCE),
            record: Record {
                id: Ii {
                    root: "REM-2019-1".into(),
                    extension: None,
                },
                timestamp: "20190301000000".into(),
            },
            author: None,
        },
        body: RequestActivityBody {
            status_code: Cv::default(),
            event_time: "20190301000000".into(),
            request: RequestInfo {
                id: "REM-2019".into(),
                type_: None,
                medium: None,
                author: None,
                receiving_organization: Organization {
                    id: None,
                    name: "Ögonkliniken".into(),
                },
            },
        },
    }
}

#[test]
fn contract_identity() {
    assert_eq!(C::NAME, "GetRequestActivities");
    assert_eq!(C::VERSION, "2.0");
    assert_eq!(
        C::NAMESPACE,
        "urn:riv:crm:requeststatus:GetRequestActivitiesResponder:2"
    );
    assert_eq!(C::SERVICE_DOMAIN, "riv:crm:requeststatus");
    assert_eq!(C::CATEGORIZATION, "req-act");
}

#[test]
fn requests_round_trip() {
    check_request::<C>(&full_request());
    check_request::<C>(&RequestActivitiesRequest::for_patient(patient()));
}

#[test]
fn responses_round_trip() {
    check_response::<C>(&Response::new(vec![full_item(), minimal_item()], None));
    check_response::<C>(&Response::new(Vec::new(), None));
}

#[test]
fn the_contract_has_no_result_element() {
    let result = npo_riv::ResultType::invalid_request("log-1", "Fel");
    let text = C::write_response(&Response::new(Vec::new(), Some(result)));
    assert!(!text.contains("result"));
    let back = C::parse_response(&support::validated_body(&text)).unwrap();
    assert_eq!(back.result, None);
}

#[test]
fn meta_and_filter_time() {
    let item = full_item();
    let m = C::meta(&item);
    assert_eq!(m.document_id, "REM-2024-0815-3");
    assert_eq!(m.source_system, SOURCE);
    assert_eq!(m.patient_id, &patient());
    assert_eq!(m.registration_time, "20240301090000");
    assert_eq!(m.care_unit, Some(CARE_UNIT));
    assert_eq!(m.care_giver, Some(CARE_GIVER));
    assert!(m.approved_for_patient);
    assert_eq!(m.care_contact_id, None);
    assert_eq!(C::filter_time(&item), "20240312101500");
    let min = minimal_item();
    let m = C::meta(&min);
    assert_eq!(m.document_id, "REM-2019-1");
    assert_eq!(m.care_unit, None);
    assert!(!m.approved_for_patient);
}

#[test]
fn the_patient_travels_as_original_patient_id() {
    let text = C::write_response(&Response::new(vec![full_item()], None));
    assert!(text.contains(
        "<core:originalPatientId><core:root>1.2.752.129.2.1.3.1</core:root><core:extension>197303142391</core:extension></core:originalPatientId>"
    ));
}

// ---------------------------------------------------------------------------------------------
// refused messages

fn refused(text: &str) -> ContractError {
    C::parse_response(&parse(text)).expect_err("must be refused")
}

fn without(text: &str, tag: &str) -> String {
    let open = format!("<core:{tag}>");
    let close = format!("</core:{tag}>");
    let start = text.find(&open).unwrap_or_else(|| panic!("no {tag}"));
    let end = text[start..].find(&close).unwrap() + start + close.len();
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn missing_required_elements_are_refused() {
    let base = C::write_response(&Response::new(vec![full_item()], None));
    for (tag, name) in [
        (
            "accountableHealthcareProvider",
            "accountableHealthcareProvider",
        ),
        ("blockComparisonTime", "blockComparisonTime"),
        ("approvedForPatient", "approvedForPatient"),
        ("sourceSystemId", "sourceSystemId"),
        ("record", "record"),
        ("statusCode", "statusCode"),
        ("eventTime", "eventTime"),
        ("receivingOrganization", "receivingOrganization"),
    ] {
        let broken = without(&base, tag);
        assert_eq!(refused(&broken), ContractError::Missing(name), "{tag}");
        assert!(
            npo_riv::xsd::validate_element(&parse(&broken)).is_err(),
            "{tag}"
        );
    }
    // npo's own requirement: the patient (module documentation). The schema allows it.
    let no_patient = without(&base, "originalPatientId");
    assert_eq!(
        refused(&no_patient),
        ContractError::Missing("originalPatientId")
    );
    support::validated_body(&no_patient);
    // A request without a patient.
    let req = C::write_request(&full_request());
    let start = req.find("<tns:patientId>").unwrap();
    let end = req.find("</tns:patientId>").unwrap() + "</tns:patientId>".len();
    let no_patient = format!("{}{}", &req[..start], &req[end..]);
    assert_eq!(
        C::parse_request(&parse(&no_patient)).unwrap_err(),
        ContractError::Missing("patientId")
    );
}

#[test]
fn values_outside_the_schema_are_refused() {
    let base = C::write_response(&Response::new(vec![full_item()], None));
    for (from, to, name) in [
        (
            "<core:approvedForPatient>true</core:approvedForPatient>",
            "<core:approvedForPatient>ja</core:approvedForPatient>",
            "approvedForPatient",
        ),
        (
            "<core:eventTime>20240312101500</core:eventTime>",
            "<core:eventTime>20241312101500</core:eventTime>",
            "eventTime",
        ),
        (
            "<core:blockComparisonTime>20240301090000</core:blockComparisonTime>",
            "<core:blockComparisonTime>2024-03-01</core:blockComparisonTime>",
            "blockComparisonTime",
        ),
    ] {
        let broken = base.replace(from, to);
        assert_ne!(broken, base, "{from}");
        assert!(
            matches!(refused(&broken), ContractError::Invalid(n, _) if n == name),
            "{from}"
        );
        assert!(npo_riv::xsd::validate_element(&parse(&broken)).is_err());
    }
    // Request filters are HSA-ids.
    let req = C::write_request(&full_request());
    let bad = req.replacen(
        "<core:root>1.2.752.129.2.1.4.1</core:root>",
        "<core:root>1.2.752.29.4.3</core:root>",
        1,
    );
    assert_eq!(
        C::parse_request(&parse(&bad)).unwrap_err(),
        ContractError::Invalid("careUnitHSAId", "root is not the HSA OID")
    );
    let bad = req.replace(
        "<core:start>20240101</core:start>",
        "<core:start>2024-01-01</core:start>",
    );
    assert!(matches!(
        C::parse_request(&parse(&bad)).unwrap_err(),
        ContractError::Invalid("start", _)
    ));
}

#[test]
fn wrong_root_elements_are_refused() {
    let req = C::write_request(&full_request());
    let resp = C::write_response(&Response::new(vec![full_item()], None));
    assert_eq!(
        C::parse_request(&parse(&resp)).unwrap_err(),
        ContractError::UnexpectedElement("GetRequestActivities")
    );
    assert_eq!(
        C::parse_response(&parse(&req)).unwrap_err(),
        ContractError::UnexpectedElement("GetRequestActivitiesResponse")
    );
    let v1 = resp.replace(
        NAMESPACE,
        "urn:riv:crm:requeststatus:GetRequestActivitiesResponder:1",
    );
    assert!(C::parse_response(&parse(&v1)).is_err());
}

// ---------------------------------------------------------------------------------------------
// view

#[test]
fn views_are_swedish() {
    let v = C::view(&full_item());
    assert_eq!(
        v.title,
        "Remiss till Kardiologmottagningen, Privatkliniken & co: tid bokad"
    );
    assert_eq!(v.time, "20240312101500");
    let field = |v: &npo_riv::ItemView, label: &str| {
        v.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, x)| x.clone())
    };
    assert_eq!(field(&v, "Status").as_deref(), Some("Tid bokad"));
    assert_eq!(field(&v, "Remisstyp").as_deref(), Some("allmänremiss"));
    assert_eq!(
        field(&v, "Remittent").as_deref(),
        Some("Åsa Öberg, Vårdcentralen Ekbacken")
    );
    assert_eq!(field(&v, "Registrerad av").as_deref(), Some("Åsa Öberg"));
    assert!(!v.attention);

    let v = C::view(&minimal_item());
    assert_eq!(v.title, "Remiss till Ögonkliniken: status okänd");

    // Without a display name the code's name is used; a rejection is called out.
    let mut rejected = full_item();
    rejected.body.status_code = Cv {
        code: Some("8".into()),
        code_system: Some(STATUS_OID.into()),
        ..Cv::default()
    };
    let v = C::view(&rejected);
    assert_eq!(field(&v, "Status").as_deref(), Some("Avvisad"));
    assert!(v.attention);
}
