//! Engagement index messages (itintegration:engagementindex 1.0): Update and FindContent.

use crate::common::{ContractError, opt, parse_bool, req};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const CORE_NS: &str = "urn:riv:itintegration:engagementindex:1";
pub const UPDATE_NS: &str = "urn:riv:itintegration:engagementindex:UpdateResponder:1";
pub const FIND_CONTENT_NS: &str = "urn:riv:itintegration:engagementindex:FindContentResponder:1";

/// Most transactions one Update may carry.
pub const MAX_TRANSACTIONS: usize = 1000;

/// `RegisteredResidentIdentificationType`: `[0-9]{8}[0-9pPtTfF][0-9]{3}`.
pub fn is_resident_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 12
        && b[..8].iter().all(u8::is_ascii_digit)
        && (b[8].is_ascii_digit() || b"pPtTfF".contains(&b[8]))
        && b[9..].iter().all(u8::is_ascii_digit)
}

/// One engagement: "this source system holds information of this type for this resident".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    pub registered_resident_identification: String,
    pub service_domain: String,
    pub categorization: String,
    pub logical_address: String,
    pub business_object_instance_identifier: String,
    pub clinical_process_interest_id: String,
    pub most_recent_content: Option<String>,
    pub source_system: String,
    pub creation_time: Option<String>,
    pub update_time: Option<String>,
    pub data_controller: String,
    pub owner: Option<String>,
}

fn ts(el: &Element, name: &'static str) -> Result<Option<String>, ContractError> {
    match opt(el, CORE_NS, name) {
        Some(t) if !is_timestamp_ei(&t) => {
            Err(ContractError::Invalid(name, "expected YYYYMMDDhhmmss"))
        }
        t => Ok(t),
    }
}

/// The EI `TS` pattern: `[1-9][0-9]{3}` year, month 01–12, day 00–31, hour 00–23,
/// minutes and seconds 00–59.
pub fn is_timestamp_ei(s: &str) -> bool {
    let b = s.as_bytes();
    let two = |i: usize| &s[i..i + 2];
    b.len() == 14
        && b.iter().all(u8::is_ascii_digit)
        && b[0] != b'0'
        && ("01"..="12").contains(&two(4))
        && ("00"..="31").contains(&two(6))
        && ("00"..="23").contains(&two(8))
        && ("00"..="59").contains(&two(10))
        && ("00"..="59").contains(&two(12))
}

impl Engagement {
    pub fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let resident = req(el, ns, "registeredResidentIdentification")?.to_owned();
        if !is_resident_id(&resident) {
            return Err(ContractError::Invalid(
                "registeredResidentIdentification",
                "expected 12 digits (the ninth may be p, t or f)",
            ));
        }
        Ok(Engagement {
            registered_resident_identification: resident,
            service_domain: req(el, ns, "serviceDomain")?.to_owned(),
            categorization: req(el, ns, "categorization")?.to_owned(),
            logical_address: req(el, ns, "logicalAddress")?.to_owned(),
            business_object_instance_identifier: req(el, ns, "businessObjectInstanceIdentifier")?
                .to_owned(),
            clinical_process_interest_id: req(el, ns, "clinicalProcessInterestId")?.to_owned(),
            most_recent_content: ts(el, "mostRecentContent")?,
            source_system: req(el, ns, "sourceSystem")?.to_owned(),
            creation_time: ts(el, "creationTime")?,
            update_time: ts(el, "updateTime")?,
            data_controller: req(el, ns, "dataController")?.to_owned(),
            owner: opt(el, ns, "owner"),
        })
    }

    /// Writes with prefix `core:` (declared by the caller).
    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text(
                "core:registeredResidentIdentification",
                &self.registered_resident_identification,
            )
            .text("core:serviceDomain", &self.service_domain)
            .text("core:categorization", &self.categorization)
            .text("core:logicalAddress", &self.logical_address)
            .text(
                "core:businessObjectInstanceIdentifier",
                &self.business_object_instance_identifier,
            )
            .text(
                "core:clinicalProcessInterestId",
                &self.clinical_process_interest_id,
            )
            .opt_text(
                "core:mostRecentContent",
                self.most_recent_content.as_deref(),
            )
            .text("core:sourceSystem", &self.source_system)
            .opt_text("core:creationTime", self.creation_time.as_deref())
            .opt_text("core:updateTime", self.update_time.as_deref())
            .text("core:dataController", &self.data_controller)
            .opt_text("core:owner", self.owner.as_deref())
            .close(tag);
    }
}

/// One Update transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementTransaction {
    pub delete_flag: bool,
    pub engagement: Engagement,
}

/// `Update` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateRequest {
    pub transactions: Vec<EngagementTransaction>,
}

impl UpdateRequest {
    pub fn parse(body: &Element) -> Result<Self, ContractError> {
        if !body.is(UPDATE_NS, "Update") {
            return Err(ContractError::UnexpectedElement("Update"));
        }
        let transactions = body
            .children_named(UPDATE_NS, "engagementTransaction")
            .map(|t| {
                Ok(EngagementTransaction {
                    delete_flag: parse_bool(req(t, CORE_NS, "deleteFlag")?, "deleteFlag")?,
                    engagement: Engagement::parse(
                        t.child(CORE_NS, "engagement")
                            .ok_or(ContractError::Missing("engagement"))?,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        if transactions.is_empty() {
            return Err(ContractError::Missing("engagementTransaction"));
        }
        Ok(UpdateRequest { transactions })
    }

    pub fn write(&self) -> String {
        let mut w = XmlWriter::with_capacity(256 + self.transactions.len() * 700);
        w.open_ns("tns:Update", &[("tns", UPDATE_NS), ("core", CORE_NS)]);
        for t in &self.transactions {
            w.open("tns:engagementTransaction")
                .bool("core:deleteFlag", t.delete_flag);
            t.engagement.write(&mut w, "core:engagement");
            w.close("tns:engagementTransaction");
        }
        w.close("tns:Update");
        w.finish()
    }
}

/// `ResultCode` + `comment` answer of Update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateResponse {
    /// `OK`, `INFO` or `ERROR`.
    pub result_code: String,
    pub comment: Option<String>,
}

impl UpdateResponse {
    pub fn write(&self) -> String {
        let mut w = XmlWriter::with_capacity(256);
        w.open_ns("tns:UpdateResponse", &[("tns", UPDATE_NS)])
            .text("tns:ResultCode", &self.result_code)
            .opt_text("tns:comment", self.comment.as_deref())
            .close("tns:UpdateResponse");
        w.finish()
    }

    pub fn parse(body: &Element) -> Result<Self, ContractError> {
        if !body.is(UPDATE_NS, "UpdateResponse") {
            return Err(ContractError::UnexpectedElement("UpdateResponse"));
        }
        Ok(UpdateResponse {
            result_code: req(body, UPDATE_NS, "ResultCode")?.to_owned(),
            comment: opt(body, UPDATE_NS, "comment"),
        })
    }
}

/// `FindContent` request: resident and service domain are required, the rest filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindContentRequest {
    pub registered_resident_identification: String,
    pub service_domain: String,
    pub categorization: Option<String>,
    pub logical_address: Option<String>,
    pub business_object_instance_identifier: Option<String>,
    pub clinical_process_interest_id: Option<String>,
    pub most_recent_content: Option<String>,
    pub source_system: Option<String>,
    pub data_controller: Option<String>,
    pub owner: Option<String>,
}

impl FindContentRequest {
    pub fn parse(body: &Element) -> Result<Self, ContractError> {
        if !body.is(FIND_CONTENT_NS, "FindContent") {
            return Err(ContractError::UnexpectedElement("FindContent"));
        }
        let ns = FIND_CONTENT_NS;
        let resident = req(body, ns, "registeredResidentIdentification")?.to_owned();
        if !is_resident_id(&resident) {
            return Err(ContractError::Invalid(
                "registeredResidentIdentification",
                "expected 12 digits",
            ));
        }
        let most_recent_content = opt(body, ns, "mostRecentContent");
        if most_recent_content
            .as_deref()
            .is_some_and(|t| !is_timestamp_ei(t))
        {
            return Err(ContractError::Invalid(
                "mostRecentContent",
                "expected YYYYMMDDhhmmss",
            ));
        }
        Ok(FindContentRequest {
            registered_resident_identification: resident,
            service_domain: req(body, ns, "serviceDomain")?.to_owned(),
            categorization: opt(body, ns, "categorization"),
            logical_address: opt(body, ns, "logicalAddress"),
            business_object_instance_identifier: opt(body, ns, "businessObjectInstanceIdentifier"),
            clinical_process_interest_id: opt(body, ns, "clinicalProcessInterestId"),
            most_recent_content,
            source_system: opt(body, ns, "sourceSystem"),
            data_controller: opt(body, ns, "dataController"),
            owner: opt(body, ns, "owner"),
        })
    }

    pub fn write(&self) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns("tns:FindContent", &[("tns", FIND_CONTENT_NS)])
            .text(
                "tns:registeredResidentIdentification",
                &self.registered_resident_identification,
            )
            .text("tns:serviceDomain", &self.service_domain)
            .opt_text("tns:categorization", self.categorization.as_deref())
            .opt_text("tns:logicalAddress", self.logical_address.as_deref())
            .opt_text(
                "tns:businessObjectInstanceIdentifier",
                self.business_object_instance_identifier.as_deref(),
            )
            .opt_text(
                "tns:clinicalProcessInterestId",
                self.clinical_process_interest_id.as_deref(),
            )
            .opt_text("tns:mostRecentContent", self.most_recent_content.as_deref())
            .opt_text("tns:sourceSystem", self.source_system.as_deref())
            .opt_text("tns:dataController", self.data_controller.as_deref())
            .opt_text("tns:owner", self.owner.as_deref())
            .close("tns:FindContent");
        w.finish()
    }
}

/// `FindContentResponse`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindContentResponse {
    pub engagements: Vec<Engagement>,
}

impl FindContentResponse {
    pub fn parse(body: &Element) -> Result<Self, ContractError> {
        if !body.is(FIND_CONTENT_NS, "FindContentResponse") {
            return Err(ContractError::UnexpectedElement("FindContentResponse"));
        }
        Ok(FindContentResponse {
            engagements: body
                .children_named(FIND_CONTENT_NS, "engagement")
                .map(Engagement::parse)
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn write(&self) -> String {
        let mut w = XmlWriter::with_capacity(256 + self.engagements.len() * 700);
        w.open_ns(
            "tns:FindContentResponse",
            &[("tns", FIND_CONTENT_NS), ("core", CORE_NS)],
        );
        for e in &self.engagements {
            e.write(&mut w, "tns:engagement");
        }
        w.close("tns:FindContentResponse");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_pattern() {
        assert!(is_resident_id("191212121212"));
        assert!(is_resident_id("19121212T212"));
        assert!(!is_resident_id("19121212-1212"));
        assert!(!is_resident_id("1912121212"));
    }
}
