//! AssertCareEngagement 1.0 (`urn:riv:ehr:accesscontrol:AssertCareEngagementResponder:1`):
//! "available patient" (tillgänglig patient). The user's own care giver's system answers whether
//! the care giver has a care engagement with the patient (a booking or an enrolment), before
//! anything else about the patient is shown.
//!
//! Schema defect: the official schema restricts `subjectOfCareId` with the pattern
//! `^[0-9]{8}[0-9pPtTfF][0-9]{3}$`. In XML Schema regular expressions `^` and `$` are ordinary
//! characters, so the schema literally demands `^191212121212$` (xmllint rejects
//! `191212121212`). The evident intent, and what every producer expects, is the plain 12-digit
//! id, which is what npo writes and accepts; see `tests/round_trip.rs` for how that one facet is
//! checked.

use crate::common::{ContractError, parse_bool, req};
use crate::ei::is_resident_id;
use crate::xml::{Element, XmlWriter};

pub const NAMESPACE: &str = "urn:riv:ehr:accesscontrol:AssertCareEngagementResponder:1";
/// The pattern the official schema means (see the module documentation).
pub const SUBJECT_OF_CARE_PATTERN_AS_PUBLISHED: &str = "^[0-9]{8}[0-9pPtTfF][0-9]{3}$";

/// The question: may `performer`, at `care_unit` of `care_giver`, treat the patient as available?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertCareEngagement {
    pub performer: String,
    pub subject_of_care_id: String,
    pub care_unit_hsa_id: String,
    pub care_giver_hsa_id: String,
}

impl AssertCareEngagement {
    pub fn parse(body: &Element) -> Result<Self, ContractError> {
        if !body.is(NAMESPACE, "AssertCareEngagement") {
            return Err(ContractError::UnexpectedElement("AssertCareEngagement"));
        }
        let subject = req(body, NAMESPACE, "subjectOfCareId")?.to_owned();
        if !is_resident_id(&subject) {
            return Err(ContractError::Invalid(
                "subjectOfCareId",
                "expected 12 digits",
            ));
        }
        Ok(AssertCareEngagement {
            performer: req(body, NAMESPACE, "performer")?.to_owned(),
            subject_of_care_id: subject,
            care_unit_hsa_id: req(body, NAMESPACE, "careUnitHsaIdentity")?.to_owned(),
            care_giver_hsa_id: req(body, NAMESPACE, "careGiverHsaIdentity")?.to_owned(),
        })
    }

    pub fn write(&self) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns("tns:AssertCareEngagement", &[("tns", NAMESPACE)])
            .text("tns:performer", &self.performer)
            .text("tns:subjectOfCareId", &self.subject_of_care_id)
            .text("tns:careUnitHsaIdentity", &self.care_unit_hsa_id)
            .text("tns:careGiverHsaIdentity", &self.care_giver_hsa_id)
            .close("tns:AssertCareEngagement");
        w.finish()
    }
}

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssertCareEngagementResponse {
    pub has_care_engagement: bool,
}

impl AssertCareEngagementResponse {
    pub fn parse(body: &Element) -> Result<Self, ContractError> {
        if !body.is(NAMESPACE, "AssertCareEngagementResponse") {
            return Err(ContractError::UnexpectedElement(
                "AssertCareEngagementResponse",
            ));
        }
        Ok(AssertCareEngagementResponse {
            has_care_engagement: parse_bool(
                req(body, NAMESPACE, "HasCareEngagement")?,
                "HasCareEngagement",
            )?,
        })
    }

    pub fn write(&self) -> String {
        let mut w = XmlWriter::with_capacity(200);
        w.open_ns("tns:AssertCareEngagementResponse", &[("tns", NAMESPACE)])
            .bool("tns:HasCareEngagement", self.has_care_engagement)
            .close("tns:AssertCareEngagementResponse");
        w.finish()
    }
}
