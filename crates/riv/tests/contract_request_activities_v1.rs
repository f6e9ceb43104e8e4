//! GetRequestActivities 1.0: requests and responses validate against the official schema (with
//! its one defective facet corrected, see the module documentation) and read back unchanged;
//! broken messages are refused; the view speaks Swedish.

mod support;

use npo_riv::common::{DatePeriod, OID_PERSONNUMMER, OID_SAMORDNINGSNUMMER, PersonId};
use npo_riv::contracts::request_activities_v1::*;
use npo_riv::soap;
use npo_riv::xml::Element;
use npo_riv::xsd::{schema_root, validate_element, validate_element_against};
use npo_riv::{Contract, ContractError, Response};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::{LOGICAL_ADDRESS, parse, processing_status, validated_envelope};

const PATIENT: &str = "197303142391";
const SOURCE: &str = "SE2321000016-SRC1";

type C = GetRequestActivitiesV1;

/// A copy of the official schemas with `^…$` removed from the subjectOfCareId pattern;
/// everything else is the official text.
fn corrected_schema() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let official = schema_root().join("GetRequestActivities_1.0");
        let responder =
            "interactions/GetRequestActivitiesInteraction/GetRequestActivitiesResponder_1.0.xsd";
        for rel in ["core_components/crm_requeststatus_1.0.xsd", responder] {
            let text = std::fs::read_to_string(official.join(rel)).unwrap();
            assert!(text.contains(SUBJECT_OF_CARE_PATTERN_AS_PUBLISHED) || rel == responder);
            let fixed = text.replace(
                SUBJECT_OF_CARE_PATTERN_AS_PUBLISHED,
                SUBJECT_OF_CARE_PATTERN,
            );
            let target = dir.path().join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, fixed).unwrap();
        }
        let path = dir.path().join(responder);
        (dir, path)
    });
    path
}

/// Against the official schema the only complaints are the `^…$` facet, once per
/// subjectOfCareId; against the corrected copy the body is valid.
fn validated(text: &str) -> Element {
    let el = parse(text);
    validate_element_against(&el, corrected_schema()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let ids = text.matches("subjectOfCareId>").count() / 2;
    let err = validate_element(&el).unwrap_err().to_string();
    assert_eq!(err.matches("validity error").count(), ids, "{err}");
    assert_eq!(
        err.matches("subjectOfCareId").count(),
        err.matches("validity error").count() * 2,
        "{err}"
    );
    el
}

fn check_request(req: &RequestActivitiesRequest) {
    let body = C::write_request(req);
    let el = validated(&body);
    assert_eq!(&C::parse_request(&el).unwrap(), req);
    // In an envelope: the header validates against the official schema, the body as above.
    let env = soap::parse_envelope(
        soap::request(LOGICAL_ADDRESS, &body).as_bytes(),
        &Default::default(),
    )
    .unwrap();
    for h in &env.headers {
        validate_element(h).unwrap();
    }
    assert_eq!(env.logical_address(), Some(LOGICAL_ADDRESS));
    assert_eq!(env.contract_namespace(), C::NAMESPACE);
    validate_element_against(&env.body, corrected_schema()).unwrap();
    assert_eq!(&C::parse_request(&env.body).unwrap(), req);
}

fn check_response(resp: &Response<RequestActivity>) {
    let body = C::write_response(resp);
    let el = if resp.items.is_empty() {
        // Nothing to be defective about: the official schema accepts it as is.
        support::validated_body(&body)
    } else {
        validated(&body)
    };
    assert_eq!(&C::parse_response(&el).unwrap(), resp);
    let status = processing_status();
    let text = soap::envelope(&status.write(), &body);
    let env = if resp.items.is_empty() {
        validated_envelope(&text)
    } else {
        let env = soap::parse_envelope(text.as_bytes(), &Default::default()).unwrap();
        validate_element(&env.headers[0]).unwrap();
        validate_element_against(&env.body, corrected_schema()).unwrap();
        env
    };
    assert_eq!(env.contract_namespace(), C::NAMESPACE);
    assert_eq!(&C::parse_response(&env.body).unwrap(), resp);
}

fn full_request() -> RequestActivitiesRequest {
    let mut r = RequestActivitiesRequest::for_patient(PATIENT);
    r.query.care_unit_ids = vec!["SE2321000016-U001".into(), "SE2321000016-U002".into()];
    r.query.period = Some(DatePeriod {
        start: "20240101".into(),
        end: "20241231".into(),
    });
    r.from_time = Some("20240101083000".into());
    r.to_time = Some("20241231170000".into());
    r.types_of_request = vec!["4".into(), "1".into(), "10".into()];
    r
}

fn full_item() -> RequestActivity {
    RequestActivity {
        document_id: String::new(),
        subject_of_care_id: person_id(PATIENT),
        sender_request_id: Some("SE2321000016-SRC1#REM-2024-0815".into()),
        receiver_request_id: Some("KARD-77812".into()),
        type_of_request: "4".into(),
        request_medium: Some("3".into()),
        issued_by_person_name: Some("Åsa Öberg".into()),
        issued_by_unit_id: Some("SE2321000016-U001".into()),
        issued_by_unit_description: Some("Vårdcentralen Ekbacken".into()),
        receiving_person_name: Some("Per Ågren".into()),
        receiving_unit_id: Some("SE5566778899-U001".into()),
        receiving_unit_description: Some("Kardiologmottagningen, Privatkliniken & co".into()),
        care_unit: Some("SE2321000016-U001".into()),
        logical_system_id: SOURCE.into(),
        status_code: "40".into(),
        event_time: "20240312101500".into(),
    }
    .keyed()
}

fn minimal_item() -> RequestActivity {
    RequestActivity {
        document_id: String::new(),
        subject_of_care_id: person_id("191212121212"),
        sender_request_id: None,
        receiver_request_id: None,
        type_of_request: "1".into(),
        request_medium: None,
        issued_by_person_name: None,
        issued_by_unit_id: None,
        issued_by_unit_description: None,
        receiving_person_name: None,
        receiving_unit_id: None,
        receiving_unit_description: None,
        care_unit: None,
        logical_system_id: SOURCE.into(),
        status_code: "170".into(),
        event_time: "20190301000000".into(),
    }
    .keyed()
}

#[test]
fn contract_identity() {
    assert_eq!(C::NAME, "GetRequestActivities");
    assert_eq!(C::VERSION, "1.0");
    assert_eq!(
        C::NAMESPACE,
        "urn:riv:crm:requeststatus:GetRequestActivitiesResponder:1"
    );
    assert_eq!(C::SERVICE_DOMAIN, "riv:crm:requeststatus");
    assert_eq!(C::CATEGORIZATION, "req-act");
}

#[test]
fn requests_round_trip() {
    check_request(&full_request());
    check_request(&RequestActivitiesRequest::for_patient(PATIENT));
    // Only one end of the period.
    let mut from_only = RequestActivitiesRequest::for_patient(PATIENT);
    from_only.query.period = Some(DatePeriod {
        start: "20230601".into(),
        end: OPEN_END.into(),
    });
    from_only.from_time = Some("20230601120000".into());
    check_request(&from_only);
    let text = C::write_request(&from_only);
    assert!(
        text.contains("<tns:fromDate>20230601120000</tns:fromDate>") && !text.contains("toDate")
    );
    let mut to_only = RequestActivitiesRequest::for_patient("19730314T391");
    to_only.query.period = Some(DatePeriod {
        start: OPEN_START.into(),
        end: "20231231".into(),
    });
    to_only.to_time = Some("20231231235959".into());
    check_request(&to_only);
}

#[test]
fn the_period_follows_the_query() {
    // A period set through the shared Query (as the aggregator does) is written as whole days.
    let mut r = RequestActivitiesRequest::for_patient(PATIENT);
    r.query.period = Some(DatePeriod {
        start: "20240201".into(),
        end: "20240229".into(),
    });
    r.from_time = Some("20230101083000".into()); // stale: another day
    let text = C::write_request(&r);
    assert!(
        text.contains("<tns:fromDate>20240201000000</tns:fromDate>"),
        "{text}"
    );
    assert!(
        text.contains("<tns:toDate>20240229235959</tns:toDate>"),
        "{text}"
    );
    let back = C::parse_request(&validated(&text)).unwrap();
    assert_eq!(back.query.period, r.query.period);
    // Source system and care contacts are no filters of 1.0.
    r.query.source_system_id = Some(SOURCE.into());
    r.query.care_contact_ids = vec!["VK-1".into()];
    let back = C::parse_request(&validated(&C::write_request(&r))).unwrap();
    assert_eq!(back.query.source_system_id, None);
    assert!(back.query.care_contact_ids.is_empty());
}

#[test]
fn responses_round_trip() {
    check_response(&Response::new(vec![full_item(), minimal_item()], None));
    check_response(&Response::new(vec![minimal_item()], None));
    check_response(&Response::new(Vec::new(), None));
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
fn meta_and_keys() {
    let item = full_item();
    assert_eq!(
        item.document_id,
        "SE2321000016-SRC1#REM-2024-0815:40:20240312101500"
    );
    let m = C::meta(&item);
    assert_eq!(m.document_id, item.document_id);
    assert_eq!(m.source_system, SOURCE);
    assert_eq!(m.patient_id, &PersonId::personnummer(PATIENT));
    assert_eq!(m.registration_time, "20240312101500");
    assert_eq!(m.care_unit, Some("SE2321000016-U001"));
    assert_eq!(m.care_giver, None);
    assert!(!m.approved_for_patient);
    assert_eq!(C::filter_time(&item), "20240312101500");
    // Rows of one referral differ by status and time; the receiver's id stands in.
    let mut other = full_item();
    other.status_code = "50".into();
    assert_ne!(other.keyed().document_id, item.document_id);
    let mut receiver_only = full_item();
    receiver_only.sender_request_id = None;
    assert_eq!(
        receiver_only.keyed().document_id,
        "KARD-77812:40:20240312101500"
    );
    assert_eq!(person_id("199001657383").type_, OID_SAMORDNINGSNUMMER);
    assert_eq!(person_id(PATIENT).type_, OID_PERSONNUMMER);
    assert_eq!(person_id("19730314T391").type_, "");
}

// ---------------------------------------------------------------------------------------------
// refused messages

fn refused(text: &str) -> ContractError {
    C::parse_response(&parse(text)).expect_err("must be refused")
}

#[test]
fn missing_required_elements_are_refused() {
    let base = C::write_response(&Response::new(vec![full_item()], None));
    for (element, name) in [
        (
            "<core:subjectOfCareId>197303142391</core:subjectOfCareId>",
            "subjectOfCareId",
        ),
        (
            "<core:typeOfRequest>4</core:typeOfRequest>",
            "typeOfRequest",
        ),
        (
            "<core:logicalSystemId>SE2321000016-SRC1</core:logicalSystemId>",
            "logicalSystemId",
        ),
        ("<core:statusCode>40</core:statusCode>", "statusCode"),
        (
            "<core:eventTime>20240312101500</core:eventTime>",
            "eventTime",
        ),
    ] {
        let broken = base.replace(element, "");
        assert_ne!(broken, base, "{element}");
        assert_eq!(refused(&broken), ContractError::Missing(name));
        assert!(validate_element_against(&parse(&broken), corrected_schema()).is_err());
    }
    let req = C::write_request(&full_request());
    let no_subject = req.replace(
        "<tns:subjectOfCareId>197303142391</tns:subjectOfCareId>",
        "",
    );
    assert_ne!(no_subject, req);
    assert_eq!(
        C::parse_request(&parse(&no_subject)).unwrap_err(),
        ContractError::Missing("subjectOfCareId")
    );
}

#[test]
fn values_outside_the_schema_are_refused() {
    let base = C::write_response(&Response::new(vec![full_item()], None));
    for (from, to, name) in [
        (
            "<core:statusCode>40</core:statusCode>",
            "<core:statusCode>45</core:statusCode>",
            "statusCode",
        ),
        (
            "<core:typeOfRequest>4</core:typeOfRequest>",
            "<core:typeOfRequest>11</core:typeOfRequest>",
            "typeOfRequest",
        ),
        (
            "<core:requestMedium>3</core:requestMedium>",
            "<core:requestMedium>elektronisk</core:requestMedium>",
            "requestMedium",
        ),
        (
            "<core:eventTime>20240312101500</core:eventTime>",
            "<core:eventTime>2024-03-12T10:15</core:eventTime>",
            "eventTime",
        ),
        (
            "<core:subjectOfCareId>197303142391</core:subjectOfCareId>",
            "<core:subjectOfCareId>19730314-2391</core:subjectOfCareId>",
            "subjectOfCareId",
        ),
    ] {
        let broken = base.replace(from, to);
        assert_ne!(broken, base, "{from}");
        let err = refused(&broken);
        assert!(
            matches!(err, ContractError::Invalid(n, _) if n == name),
            "{err:?}"
        );
        // Messages never echo the patient.
        assert!(!err.to_string().contains("1973"));
        assert!(validate_element_against(&parse(&broken), corrected_schema()).is_err());
    }
    let req = C::write_request(&full_request());
    let backwards = req.replace("20241231170000", "20231231170000");
    assert_eq!(
        C::parse_request(&parse(&backwards)).unwrap_err(),
        ContractError::Invalid("fromDate", "after toDate")
    );
    let bad_type = req.replace(
        "<tns:typeOfRequest>10</tns:typeOfRequest>",
        "<tns:typeOfRequest>0</tns:typeOfRequest>",
    );
    assert!(matches!(
        C::parse_request(&parse(&bad_type)).unwrap_err(),
        ContractError::Invalid("typeOfRequest", _)
    ));
    let bad_date = req.replace("20240101083000", "20240101");
    assert!(matches!(
        C::parse_request(&parse(&bad_date)).unwrap_err(),
        ContractError::Invalid("fromDate", _)
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
    let v2 = req.replace(
        NAMESPACE,
        "urn:riv:crm:requeststatus:GetRequestActivitiesResponder:2",
    );
    assert!(C::parse_request(&parse(&v2)).is_err());
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
    let field = |label: &str| {
        v.fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, x)| x.clone())
    };
    assert_eq!(field("Status").as_deref(), Some("Tid bokad"));
    assert_eq!(field("Form").as_deref(), Some("Elektronisk remiss"));
    assert_eq!(
        field("Remittent").as_deref(),
        Some("Åsa Öberg, Vårdcentralen Ekbacken")
    );
    assert_eq!(
        field("Remiss-id").as_deref(),
        Some("SE2321000016-SRC1#REM-2024-0815")
    );
    assert!(!v.attention);

    let v = C::view(&minimal_item());
    assert_eq!(v.title, "Röntgenremiss: status 170");
    let mut rejected = full_item();
    rejected.status_code = "80".into();
    let v = C::view(&rejected);
    assert!(v.title.ends_with(": avvisad"), "{}", v.title);
    assert!(v.attention);
}
