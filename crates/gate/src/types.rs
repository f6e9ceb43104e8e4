//! The information types the gate shows, and their records.

use npo_riv::ContractError;
use npo_riv::common::{ItemMeta, Query};
use npo_riv::contract::Contract;
use npo_riv::contracts::care_documentation_v2::CareDocumentation;
use npo_riv::contracts::diagnosis_v2::Diagnosis;
use npo_riv::contracts::{GetCareDocumentationV2, GetDiagnosisV2};
use npo_riv::xml::Element;
use npo_security::RecordFacts;
use serde::{Deserialize, Serialize};

/// An information type of the overview. Its code is the PDL information type used in rights,
/// blocks and the log (the engagement-index categorization for the first-generation types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InformationType {
    CareDocumentation,
    Diagnosis,
}

impl InformationType {
    pub const ALL: [InformationType; 2] = [
        InformationType::CareDocumentation,
        InformationType::Diagnosis,
    ];

    pub fn code(self) -> &'static str {
        match self {
            InformationType::CareDocumentation => GetCareDocumentationV2::CATEGORIZATION,
            InformationType::Diagnosis => GetDiagnosisV2::CATEGORIZATION,
        }
    }

    pub(crate) fn write_request(self, q: &Query) -> String {
        match self {
            InformationType::CareDocumentation => GetCareDocumentationV2::write_request(q),
            InformationType::Diagnosis => GetDiagnosisV2::write_request(q),
        }
    }

    pub(crate) fn parse_response(self, body: &Element) -> Result<Vec<Record>, ContractError> {
        Ok(match self {
            InformationType::CareDocumentation => GetCareDocumentationV2::parse_response(body)?
                .items
                .into_iter()
                .map(|i| Record::CareDocumentation(Box::new(i)))
                .collect(),
            InformationType::Diagnosis => GetDiagnosisV2::parse_response(body)?
                .items
                .into_iter()
                .map(|i| Record::Diagnosis(Box::new(i)))
                .collect(),
        })
    }
}

/// One record shown by the gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    CareDocumentation(Box<CareDocumentation>),
    Diagnosis(Box<Diagnosis>),
}

/// The facts of a record that has a care unit and a care giver.
pub(crate) struct Facts<'a> {
    meta: ItemMeta<'a>,
    information_type: &'static str,
    care_unit: &'a str,
    care_giver: &'a str,
}

impl Facts<'_> {
    pub(crate) fn patient_id_mismatch(&self, patient: &str) -> bool {
        self.meta.patient_id.id != patient
    }

    pub(crate) fn into_facts(self) -> RecordFacts {
        RecordFacts {
            information_type: self.information_type.into(),
            care_giver_hsa_id: self.care_giver.into(),
            care_unit_hsa_id: self.care_unit.into(),
            registration_time: self.meta.registration_time.into(),
        }
    }
}

impl Record {
    pub fn information_type(&self) -> InformationType {
        match self {
            Record::CareDocumentation(_) => InformationType::CareDocumentation,
            Record::Diagnosis(_) => InformationType::Diagnosis,
        }
    }

    pub fn meta(&self) -> ItemMeta<'_> {
        match self {
            Record::CareDocumentation(r) => GetCareDocumentationV2::meta(r),
            Record::Diagnosis(r) => GetDiagnosisV2::meta(r),
        }
    }

    /// `None` for records without care unit or care giver: those are never shown.
    pub(crate) fn facts(&self) -> Option<Facts<'_>> {
        let meta = self.meta();
        let care_unit = meta.care_unit.filter(|s| !s.is_empty())?;
        let care_giver = meta.care_giver.filter(|s| !s.is_empty())?;
        Some(Facts {
            meta,
            information_type: self.information_type().code(),
            care_unit,
            care_giver,
        })
    }
}
