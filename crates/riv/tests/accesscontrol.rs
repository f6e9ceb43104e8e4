//! AssertCareEngagement messages against the official schema.

use npo_riv::Limits;
use npo_riv::accesscontrol::*;
use npo_riv::xml;
use npo_riv::xsd::{schema_for, schema_root, validate_element, validate_element_against};

fn request() -> AssertCareEngagement {
    AssertCareEngagement {
        performer: "SE2321000016-P001".into(),
        subject_of_care_id: "191212121212".into(),
        care_unit_hsa_id: "SE2321000016-A1B2".into(),
        care_giver_hsa_id: "SE2321000016-7P5T".into(),
    }
}

/// A copy of the official AssertCareEngagement schemas with the one defective facet corrected
/// (`^…$` removed from the subjectOfCareId pattern); everything else is the official text.
fn corrected_schema(dir: &std::path::Path) -> std::path::PathBuf {
    let official = schema_root().join("AssertCareEngagement_1.0");
    for rel in [
        "core_components/ehr_accesscontrol_1.0.xsd",
        "interactions/AssertCareEngagementInteraction/AssertCareEngagementResponder_1.0.xsd",
    ] {
        let text = std::fs::read_to_string(official.join(rel)).unwrap();
        let fixed = text.replace(
            SUBJECT_OF_CARE_PATTERN_AS_PUBLISHED,
            "[0-9]{8}[0-9pPtTfF][0-9]{3}",
        );
        let target = dir.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, fixed).unwrap();
    }
    dir.join("interactions/AssertCareEngagementInteraction/AssertCareEngagementResponder_1.0.xsd")
}

#[test]
fn request_validates_but_for_the_documented_schema_defect() {
    let el = xml::parse(request().write().as_bytes(), &Limits::default()).unwrap();
    assert_eq!(AssertCareEngagement::parse(&el).unwrap(), request());
    // Against the official schema the only complaint is the `^…$` facet.
    let err = validate_element(&el).unwrap_err().to_string();
    assert!(
        err.contains("subjectOfCareId") && err.contains("pattern"),
        "{err}"
    );
    assert_eq!(err.matches("validity error").count(), 1, "{err}");
    // With that facet as intended, it validates.
    let dir = tempfile::tempdir().unwrap();
    validate_element_against(&el, &corrected_schema(dir.path())).unwrap();
    assert!(schema_for(NAMESPACE).is_some());
}

#[test]
fn response_validates_against_the_official_schema() {
    for v in [true, false] {
        let r = AssertCareEngagementResponse {
            has_care_engagement: v,
        };
        let el = xml::parse(r.write().as_bytes(), &Limits::default()).unwrap();
        validate_element(&el).unwrap();
        assert_eq!(AssertCareEngagementResponse::parse(&el).unwrap(), r);
    }
}

#[test]
fn bad_requests_are_refused_without_echoing_the_id() {
    let bad = request().write().replace("191212121212", "19121212-1212");
    let el = xml::parse(bad.as_bytes(), &Limits::default()).unwrap();
    let err = AssertCareEngagement::parse(&el).unwrap_err().to_string();
    assert!(
        err.contains("subjectOfCareId") && !err.contains("1912"),
        "{err}"
    );
    let missing = request()
        .write()
        .replace("<tns:performer>SE2321000016-P001</tns:performer>", "");
    let el = xml::parse(missing.as_bytes(), &Limits::default()).unwrap();
    assert!(AssertCareEngagement::parse(&el).is_err());
}
