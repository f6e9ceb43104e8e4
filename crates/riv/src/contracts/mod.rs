//! One module per information contract.

pub mod care_documentation_v2;
pub mod diagnosis_v2;

pub use care_documentation_v2::GetCareDocumentationV2;
pub use diagnosis_v2::GetDiagnosisV2;

use crate::contract::ContractInfo;

/// Every information contract npo implements.
pub fn all() -> Vec<ContractInfo> {
    vec![
        ContractInfo::of::<GetCareDocumentationV2>(),
        ContractInfo::of::<GetDiagnosisV2>(),
    ]
}
