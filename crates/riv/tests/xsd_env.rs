//! `NPO_RIV_SCHEMAS` and a missing xmllint. One test in its own binary: it changes the process
//! environment, which must not race with other tests.

use npo_riv::xml::{self, Limits};
use npo_riv::xsd::{self, XsdError};

#[test]
fn schema_root_override_and_missing_xmllint() {
    let default_root = xsd::schema_root();
    assert!(default_root.is_absolute(), "{}", default_root.display());

    // A relative path with `..` is canonicalised when it exists.
    let via_dotdot = default_root.join("_samples").join("..");
    // SAFETY: this binary runs this single test, so no other thread reads the environment.
    unsafe { std::env::set_var(xsd::SCHEMAS_ENV, &via_dotdot) };
    assert_eq!(xsd::schema_root(), default_root);
    // A missing folder is returned as given.
    unsafe { std::env::set_var(xsd::SCHEMAS_ENV, "/nonexistent/riv-schemas") };
    assert_eq!(
        xsd::schema_root(),
        std::path::PathBuf::from("/nonexistent/riv-schemas")
    );
    // Empty means unset.
    unsafe { std::env::set_var(xsd::SCHEMAS_ENV, "") };
    assert_eq!(xsd::schema_root(), default_root);

    // Without xmllint on PATH the error says how to install it.
    let el = xml::parse(
        br#"<LogicalAddress xmlns="urn:riv:itintegration:registry:1">5565594230</LogicalAddress>"#,
        &Limits::default(),
    )
    .unwrap();
    xsd::validate_element(&el).unwrap();
    let path = std::env::var_os("PATH");
    unsafe { std::env::set_var("PATH", "/nonexistent") };
    let result = xsd::validate_element(&el);
    if let Some(p) = path {
        unsafe { std::env::set_var("PATH", p) };
    }
    match result {
        Err(e @ XsdError::Xmllint(_)) => {
            assert!(e.to_string().contains("scripts/install-deps.sh"), "{e}")
        }
        other => panic!("expected Xmllint error, got {other:?}"),
    }
}
