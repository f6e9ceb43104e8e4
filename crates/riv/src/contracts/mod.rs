//! One module per information contract (DOMAIN.md §2), named after the contract and its major
//! version.

pub mod access_control_header;
pub mod access_logs_for_patient_v1;
pub mod alert_information_v2;
pub mod care_contacts_v2;
pub mod care_contacts_v3;
pub mod care_documentation_v2;
pub mod care_documentation_v3;
pub mod care_plans_v2;
pub mod diagnosis_v2;
pub mod ecg_outcome_v1;
pub mod functional_status_v2;
pub mod imaging_outcome_v1;
pub mod laboratory_outcome_v3;
pub mod laboratory_outcome_v4;
pub mod maternity_medical_history_v2;
pub mod medication_history_v2;
pub mod observations_v1;
pub mod referral_outcome_v3;
pub mod request_activities_v1;
pub mod request_activities_v2;
pub mod vaccination_history_v2;

pub use alert_information_v2::GetAlertInformationV2;
pub use care_contacts_v2::GetCareContactsV2;
pub use care_contacts_v3::GetCareContactsV3;
pub use care_documentation_v2::GetCareDocumentationV2;
pub use care_documentation_v3::GetCareDocumentationV3;
pub use care_plans_v2::GetCarePlansV2;
pub use diagnosis_v2::GetDiagnosisV2;
pub use ecg_outcome_v1::GetECGOutcomeV1;
pub use functional_status_v2::GetFunctionalStatusV2;
pub use imaging_outcome_v1::GetImagingOutcomeV1;
pub use laboratory_outcome_v3::GetLaboratoryOrderOutcomeV3;
pub use laboratory_outcome_v4::GetLaboratoryOrderOutcomeV4;
pub use maternity_medical_history_v2::GetMaternityMedicalHistoryV2;
pub use medication_history_v2::GetMedicationHistoryV2;
pub use observations_v1::GetObservationsV1;
pub use referral_outcome_v3::GetReferralOutcomeV3;
pub use request_activities_v1::GetRequestActivitiesV1;
pub use request_activities_v2::GetRequestActivitiesV2;
pub use vaccination_history_v2::GetVaccinationHistoryV2;

use crate::contract::ContractInfo;

/// Calls macro `$m` with the path of every information contract npo implements, so that every
/// registry (the catalogue, the source system, the aggregating services) lists the same ones.
/// Adding a contract: its module, and one line here.
#[macro_export]
macro_rules! for_each_contract {
    ($m:ident) => {
        $m!(
            $crate::contracts::GetAlertInformationV2,
            $crate::contracts::GetCareContactsV2,
            $crate::contracts::GetCareContactsV3,
            $crate::contracts::GetCareDocumentationV2,
            $crate::contracts::GetCareDocumentationV3,
            $crate::contracts::GetCarePlansV2,
            $crate::contracts::GetDiagnosisV2,
            $crate::contracts::GetECGOutcomeV1,
            $crate::contracts::GetImagingOutcomeV1,
            $crate::contracts::GetLaboratoryOrderOutcomeV3,
            $crate::contracts::GetLaboratoryOrderOutcomeV4,
            $crate::contracts::GetMaternityMedicalHistoryV2,
            $crate::contracts::GetReferralOutcomeV3,
            $crate::contracts::GetRequestActivitiesV1,
            $crate::contracts::GetRequestActivitiesV2,
            $crate::contracts::GetFunctionalStatusV2,
            $crate::contracts::GetMedicationHistoryV2,
            $crate::contracts::GetObservationsV1,
            $crate::contracts::GetVaccinationHistoryV2,
        )
    };
}

/// Every information contract npo implements.
pub fn all() -> Vec<ContractInfo> {
    macro_rules! infos {
        ($($c:ty),* $(,)?) => { vec![$(ContractInfo::of::<$c>()),*] };
    }
    for_each_contract!(infos)
}
