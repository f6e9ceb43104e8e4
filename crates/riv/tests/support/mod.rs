//! Shared checks for the contract tests: what npo writes must validate against the official
//! schemas (xmllint) and read back unchanged, as a body and inside a SOAP envelope.
#![allow(dead_code)]

use npo_riv::common::{
    Cv, HealthcareProfessional, LegalAuthenticator, OrgUnit, PatientSummaryHeader, PersonId,
    ResultCode, ResultType,
};
use npo_riv::headers::{CausingAgent, ProcessingStatus, ProcessingStatusRecord, SynchError};
use npo_riv::soap::{self, Envelope};
use npo_riv::xml::{self, Element, Limits};
use npo_riv::{Contract, ContractError, Response, xsd};

/// Inera's national logical address (the national aggregating services).
pub const LOGICAL_ADDRESS: &str = "5565594230";

/// Parses a written body element and validates it against its schema.
pub fn validated_body(xml_text: &str) -> Element {
    let el = xml::parse(xml_text.as_bytes(), &Limits::default())
        .unwrap_or_else(|e| panic!("written body does not parse: {e}\n{xml_text}"));
    if let Err(e) = xsd::validate_element(&el) {
        panic!("{e}\n--- written:\n{xml_text}");
    }
    el
}

/// Validates a whole envelope and parses it.
pub fn validated_envelope(env: &str) -> Envelope {
    if let Err(e) = xsd::validate_envelope(env.as_bytes()) {
        panic!("{e}\n--- written:\n{env}");
    }
    soap::parse_envelope(env.as_bytes(), &Limits::default()).expect("parse envelope")
}

/// Parses XML text (a body element) without validating it, for negative tests.
pub fn parse(xml_text: &str) -> Element {
    xml::parse(xml_text.as_bytes(), &Limits::default()).expect("well-formed test input")
}

/// Request: write → validate → parse back equal, as a body and in an envelope.
pub fn check_request<C: Contract>(req: &C::Request)
where
    C::Request: PartialEq,
{
    let body = C::write_request(req);
    let el = validated_body(&body);
    assert_eq!(&C::parse_request(&el).expect("parse request body"), req);

    let env = validated_envelope(&soap::request(LOGICAL_ADDRESS, &body));
    assert_eq!(env.logical_address(), Some(LOGICAL_ADDRESS));
    assert_eq!(env.contract_namespace(), C::NAMESPACE);
    assert_eq!(&C::parse_request(&env.body).expect("parse request"), req);
}

/// Response: write → validate → parse back equal; also inside an envelope carrying the
/// aggregating services' `ProcessingStatus` header.
pub fn check_response<C: Contract>(resp: &Response<C::Item>) {
    let body = C::write_response(resp);
    let el = validated_body(&body);
    assert_eq!(&C::parse_response(&el).expect("parse response body"), resp);

    let status = processing_status();
    let env = validated_envelope(&soap::envelope(&status.write(), &body));
    assert_eq!(env.contract_namespace(), C::NAMESPACE);
    assert_eq!(&C::parse_response(&env.body).expect("parse response"), resp);
    assert_eq!(ProcessingStatus::parse(&env.headers[0]).unwrap(), status);
}

pub fn processing_status() -> ProcessingStatus {
    ProcessingStatus {
        records: vec![
            ProcessingStatusRecord::ok("SE2321000016-A1B2", "20240115103000"),
            ProcessingStatusRecord::failed(
                "SE2321000016-C3D4",
                "20240115103005",
                SynchError {
                    causing_agent: CausingAgent::ServiceProducer,
                    code: "VP009".into(),
                    text: "Fel vid anrop till källsystemet: tidsgränsen överskreds".into(),
                },
            ),
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Fixture builders shared by the contract tests.

/// The test patient most files use.
pub const PATIENT: &str = "191212121212";
/// A source system, care unit and care giver most files use.
pub const SOURCE: &str = "SE2321000016-A1B2";
pub const CARE_UNIT: &str = "SE2321000016-15CQ";
pub const CARE_GIVER: &str = "SE2321000016-0001";
/// The HSA `Befattning` code system.
pub const BEFATTNING: &str = "1.2.752.129.2.2.1.4";

/// `PersonId` for a personnummer.
pub fn patient(personnummer: &str) -> PersonId {
    PersonId::personnummer(personnummer)
}

/// A role (`Befattning`) code with every element of `CVType`.
pub fn role(code: &str, display: &str, original_text: &str) -> Cv {
    Cv {
        code: Some(code.into()),
        code_system: Some(BEFATTNING.into()),
        code_system_name: Some("Befattning".into()),
        code_system_version: Some("1.0".into()),
        display_name: Some(display.into()),
        original_text: Some(original_text.into()),
    }
}

/// An org unit with only its required elements.
pub fn org_unit(hsa_id: &str, name: &str) -> OrgUnit {
    OrgUnit {
        hsa_id: hsa_id.into(),
        name: name.into(),
        telecom: None,
        email: None,
        address: None,
        location: None,
    }
}

/// An org unit with every element (but perhaps the e-mail address).
pub fn full_org_unit(
    hsa_id: &str,
    name: &str,
    telecom: &str,
    email: Option<&str>,
    address: &str,
    location: &str,
) -> OrgUnit {
    OrgUnit {
        telecom: Some(telecom.into()),
        email: email.map(Into::into),
        address: Some(address.into()),
        location: Some(location.into()),
        ..org_unit(hsa_id, name)
    }
}

/// A professional with only the author time.
pub fn minimal_professional(author_time: &str) -> HealthcareProfessional {
    HealthcareProfessional {
        author_time: author_time.into(),
        hsa_id: None,
        name: None,
        role_code: None,
        org_unit: None,
        care_unit_hsa_id: None,
        care_giver_hsa_id: None,
    }
}

/// A professional with every element; the care unit is the org unit's HSA id.
pub fn professional(
    author_time: &str,
    hsa_id: &str,
    name: &str,
    role_code: Cv,
    org_unit: OrgUnit,
    care_giver: &str,
) -> HealthcareProfessional {
    HealthcareProfessional {
        hsa_id: Some(hsa_id.into()),
        name: Some(name.into()),
        role_code: Some(role_code),
        care_unit_hsa_id: Some(org_unit.hsa_id.clone()),
        org_unit: Some(org_unit),
        care_giver_hsa_id: Some(care_giver.into()),
        ..minimal_professional(author_time)
    }
}

/// A legal authenticator with every element.
pub fn signed(signature_time: &str, hsa_id: &str, name: &str) -> Option<LegalAuthenticator> {
    Some(LegalAuthenticator {
        signature_time: signature_time.into(),
        hsa_id: Some(hsa_id.into()),
        name: Some(name.into()),
    })
}

/// A header with only its required elements, written by a professional known only by the
/// author time `20190301000000`. Full headers start from it (`..minimal_header(…)`).
pub fn minimal_header(document_id: &str, source: &str, personnummer: &str) -> PatientSummaryHeader {
    PatientSummaryHeader {
        document_id: document_id.into(),
        source_system_hsa_id: source.into(),
        document_title: None,
        document_time: None,
        patient_id: patient(personnummer),
        accountable: minimal_professional("20190301000000"),
        legal_authenticator: None,
        approved_for_patient: false,
        care_contact_id: None,
        nullified: None,
        nullified_reason: None,
    }
}

/// A `ResultType`; an `ERROR` carries the error code `INVALID_REQUEST`.
pub fn result(code: ResultCode, log_id: &str, sub_code: Option<&str>, message: &str) -> ResultType {
    ResultType {
        result_code: code,
        error_code: (code == ResultCode::Error).then(|| "INVALID_REQUEST".into()),
        log_id: log_id.into(),
        sub_code: sub_code.map(Into::into),
        message: Some(message.into()),
    }
}

/// The written response body for `items` (and a result), parsed but not validated.
pub fn response_element<C: Contract>(items: Vec<C::Item>, result: Option<ResultType>) -> Element {
    parse(&C::write_response(&Response::new(items, result)))
}

/// The first element named `name` (depth first), for breaking a written message.
pub fn find_mut<'a>(el: &'a mut Element, name: &str) -> &'a mut Element {
    fn go<'a>(el: &'a mut Element, name: &str) -> Option<&'a mut Element> {
        if el.name == name {
            return Some(el);
        }
        el.children.iter_mut().find_map(|c| go(c, name))
    }
    go(el, name).unwrap_or_else(|| panic!("no element {name}"))
}

/// A broken response body: the schema must refuse it, and so must the parser.
pub fn refused_response<C: Contract>(el: &Element) -> ContractError {
    assert!(
        matches!(
            xsd::validate_element(el),
            Err(xsd::XsdError::Invalid { .. })
        ),
        "the schema accepts the broken element"
    );
    C::parse_response(el).expect_err("the parser accepts the broken element")
}
