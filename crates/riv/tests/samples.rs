//! The validator against the sample documents in `shared/riv-schemas/_samples` that
//! VALIDATION.md records as valid, plus negative checks proving xmllint really runs.

use npo_riv::soap;
use npo_riv::xml::{self, Element, Limits};
use npo_riv::xsd::{self, XsdError};
use std::path::PathBuf;

/// The samples VALIDATION.md lists as validating.
const VALID_SAMPLES: &[&str] = &[
    "GetDiagnosisRequest.handmade.xml",
    "GetDiagnosisResponse.handmade.xml",
    "GetCareDocumentationResponse_3.0.handmade.xml",
    "LogicalAddress.handmade.xml",
    "GetObservationsResponse_vikt_langd.example.xml",
    "GetActivitiesRequest.example.xml",
    "GetActivitiesResponse.example.xml",
    "GetMeasurementRequest.example.xml",
    "GetMeasurementResponse.example.xml",
    "UpdateRequest.example.xml",
];

fn sample_path(name: &str) -> PathBuf {
    xsd::schema_root().join("_samples").join(name)
}

fn sample(name: &str) -> Element {
    let bytes = std::fs::read(sample_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    xml::parse(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn find_mut<'a>(el: &'a mut Element, name: &str) -> Option<&'a mut Element> {
    if el.name == name {
        return Some(el);
    }
    el.children.iter_mut().find_map(|c| find_mut(c, name))
}

#[test]
fn schema_root_exists() {
    let root = xsd::schema_root();
    assert!(root.join("VALIDATION.md").is_file(), "{}", root.display());
}

#[test]
fn accepts_the_valid_samples() {
    for name in VALID_SAMPLES {
        let el = sample(name);
        if let Err(e) = xsd::validate_element(&el) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn rejects_an_invalid_enumeration_value() {
    let mut el = sample("GetDiagnosisResponse.handmade.xml");
    let t = find_mut(&mut el, "typeOfDiagnosis").expect("typeOfDiagnosis");
    assert_eq!(t.text(), "Huvuddiagnos");
    t.text = "Foo".into();
    match xsd::validate_element(&el) {
        Err(XsdError::Invalid { errors, schema, .. }) => {
            assert!(errors.contains("typeOfDiagnosis"), "{errors}");
            assert!(errors.contains("Foo"), "{errors}");
            assert!(
                !errors.contains("/tmp"),
                "temporary path not replaced: {errors}"
            );
            assert!(schema.ends_with("GetDiagnosisResponder_2.0.xsd"));
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn rejects_a_missing_required_element_and_a_wrong_namespace() {
    let mut el = sample("GetDiagnosisResponse.handmade.xml");
    let header = find_mut(&mut el, "diagnosisHeader").unwrap();
    header.children.retain(|c| c.name != "approvedForPatient");
    let err = xsd::validate_element(&el).unwrap_err().to_string();
    assert!(err.contains("approvedForPatient"), "{err}");

    // Same document, but one core element moved to the responder namespace.
    let mut el = sample("GetDiagnosisResponse.handmade.xml");
    let id = find_mut(&mut el, "documentId").unwrap();
    id.ns = el_ns_responder();
    assert!(matches!(
        xsd::validate_element(&el),
        Err(XsdError::Invalid { .. })
    ));
}

fn el_ns_responder() -> String {
    npo_riv::contracts::diagnosis_v2::NAMESPACE.to_owned()
}

#[test]
fn unknown_namespace_has_no_schema() {
    let el = xml::parse(
        br#"<x:a xmlns:x="urn:example:nothing:1"/>"#,
        &Limits::default(),
    )
    .unwrap();
    match xsd::validate_element(&el) {
        Err(XsdError::NoSchema(ns)) => assert_eq!(ns, "urn:example:nothing:1"),
        other => panic!("expected NoSchema, got {other:?}"),
    }
    assert!(xsd::schema_for("urn:riv:clinicalprocess:healthcond:description:2").is_none());
}

#[test]
fn schema_map_prefers_contract_folders_and_highest_versions() {
    let root = xsd::schema_root();
    let rel = |ns: &str| {
        let p = xsd::schema_for(ns).unwrap_or_else(|| panic!("no schema for {ns}"));
        assert!(p.is_file(), "{}", p.display());
        p.strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    assert_eq!(
        rel("urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:2"),
        "GetCareDocumentation_2.1/interactions/GetCareDocumentationInteraction/GetCareDocumentationResponder_2.1.xsd"
    );
    assert_eq!(
        rel("urn:riv:clinicalprocess:healthcond:actoutcome:GetLaboratoryOrderOutcomeResponder:3"),
        "GetLaboratoryOrderOutcome_3.1/interactions/GetLaboratoryOrderOutcomeInteraction/GetLaboratoryOrderOutcomeResponder_3.1.xsd"
    );
    assert_eq!(rel(npo_riv::headers::HEADERS_NS), xsd::HEADERS_XSD);
    let registry = rel(soap::REGISTRY_NS);
    assert!(
        registry.ends_with("itintegration_registry_1.0.xsd"),
        "{registry}"
    );
    // Responder files whose targetNamespace is in single quotes (skltp/ei).
    assert!(rel(npo_riv::ei::UPDATE_NS).starts_with("EngagementIndex_1.0/"));
    assert!(rel(npo_riv::ei::FIND_CONTENT_NS).starts_with("EngagementIndex_1.0/"));
    for ns in [
        npo_riv::contracts::diagnosis_v2::NAMESPACE,
        npo_riv::ei::UPDATE_NS,
        soap::REGISTRY_NS,
    ] {
        assert!(!rel(ns).starts_with(xsd::EXCLUDED_DIR), "{ns}");
    }
}

#[test]
fn handmade_envelope_validates_as_a_whole() {
    let bytes = std::fs::read(sample_path("GetDiagnosis.soap-envelope.handmade.xml")).unwrap();
    xsd::validate_envelope(&bytes).unwrap();
}

#[test]
fn envelope_with_unknown_header_is_refused() {
    let env = soap::envelope(
        r#"<w:To xmlns:w="http://www.w3.org/2005/08/addressing">x</w:To>"#,
        &std::fs::read_to_string(sample_path("LogicalAddress.handmade.xml"))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("<LogicalAddress"))
            .collect::<String>(),
    );
    assert!(matches!(
        xsd::validate_envelope(env.as_bytes()),
        Err(XsdError::NoSchema(_))
    ));
    assert!(matches!(
        xsd::validate_envelope(b"<a/>"),
        Err(XsdError::Envelope(_))
    ));
}
