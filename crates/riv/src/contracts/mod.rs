//! One module per information contract.

pub mod care_documentation_v2;
pub mod diagnosis_v2;

pub use care_documentation_v2::GetCareDocumentationV2;
pub use diagnosis_v2::GetDiagnosisV2;
