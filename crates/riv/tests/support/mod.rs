//! Shared checks for the contract tests: what npo writes must validate against the official
//! schemas (xmllint) and read back unchanged, as a body and inside a SOAP envelope.
#![allow(dead_code)]

use npo_riv::headers::{CausingAgent, ProcessingStatus, ProcessingStatusRecord, SynchError};
use npo_riv::soap::{self, Envelope};
use npo_riv::xml::{self, Element, Limits};
use npo_riv::{Contract, Response, xsd};

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
