//! The aggregating services' `ProcessingStatus` SOAP header (`urn:riv:interoperability:headers:1`).

use crate::common::{ContractError, opt, parse_bool, req};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const HEADERS_NS: &str = "urn:riv:interoperability:headers:1";

/// `StatusCodeEnum`. npo never caches (it is a peephole), so only the two non-cache codes occur.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusCode {
    DataFromSource,
    NoDataSynchFailed,
}

impl StatusCode {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::DataFromSource => "DataFromSource",
            StatusCode::NoDataSynchFailed => "NoDataSynchFailed",
        }
    }
}

/// `CausingAgentEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CausingAgent {
    ServiceCatalog,
    VirtualizationPlatform,
    ServiceProducer,
    EngagementIndex,
    Other,
}

impl CausingAgent {
    pub fn as_str(self) -> &'static str {
        match self {
            CausingAgent::ServiceCatalog => "service_catalog",
            CausingAgent::VirtualizationPlatform => "virtualization_platform",
            CausingAgent::ServiceProducer => "service_producer",
            CausingAgent::EngagementIndex => "engagement_index",
            CausingAgent::Other => "other",
        }
    }

    fn parse(s: &str) -> Result<Self, ContractError> {
        Ok(match s {
            "service_catalog" => CausingAgent::ServiceCatalog,
            "virtualization_platform" => CausingAgent::VirtualizationPlatform,
            "service_producer" => CausingAgent::ServiceProducer,
            "engagement_index" => CausingAgent::EngagementIndex,
            "other" => CausingAgent::Other,
            _ => return Err(ContractError::Invalid("causingAgent", "unknown agent")),
        })
    }
}

/// Why a source gave no data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynchError {
    pub causing_agent: CausingAgent,
    pub code: String,
    pub text: String,
}

/// One source's status in an aggregated answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessingStatusRecord {
    pub logical_address: String,
    pub status: StatusCode,
    /// `YYYYMMDDhhmmss` of this call when it succeeded, else empty.
    pub last_successful_synch: String,
    pub last_unsuccessful_synch: Option<String>,
    pub error: Option<SynchError>,
}

impl ProcessingStatusRecord {
    pub fn ok(logical_address: &str, now: &str) -> Self {
        ProcessingStatusRecord {
            logical_address: logical_address.into(),
            status: StatusCode::DataFromSource,
            last_successful_synch: now.into(),
            last_unsuccessful_synch: None,
            error: None,
        }
    }

    pub fn failed(logical_address: &str, now: &str, error: SynchError) -> Self {
        ProcessingStatusRecord {
            logical_address: logical_address.into(),
            status: StatusCode::NoDataSynchFailed,
            last_successful_synch: String::new(),
            last_unsuccessful_synch: Some(now.into()),
            error: Some(error),
        }
    }
}

/// The `ProcessingStatus` header block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessingStatus {
    pub records: Vec<ProcessingStatusRecord>,
}

impl ProcessingStatus {
    pub fn write(&self) -> String {
        let mut w = XmlWriter::with_capacity(128 + self.records.len() * 400);
        w.open_ns("ph:ProcessingStatus", &[("ph", HEADERS_NS)]);
        for r in &self.records {
            w.open("ph:ProcessingStatusList")
                .text("ph:logicalAddress", &r.logical_address)
                .text("ph:statusCode", r.status.as_str())
                .bool("ph:isResponseFromCache", false)
                .bool(
                    "ph:isResponseInSynch",
                    r.status == StatusCode::DataFromSource,
                )
                .text("ph:lastSuccessfulSynch", &r.last_successful_synch)
                .opt_text(
                    "ph:lastUnsuccessfulSynch",
                    r.last_unsuccessful_synch.as_deref(),
                );
            if let Some(e) = &r.error {
                w.open("ph:lastUnsuccessfulSynchError")
                    .text("ph:causingAgent", e.causing_agent.as_str())
                    .text("ph:code", &e.code)
                    .text("ph:text", &e.text)
                    .close("ph:lastUnsuccessfulSynchError");
            }
            w.close("ph:ProcessingStatusList");
        }
        w.close("ph:ProcessingStatus");
        w.finish()
    }

    pub fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = HEADERS_NS;
        if !el.is(ns, "ProcessingStatus") {
            return Err(ContractError::UnexpectedElement("ProcessingStatus"));
        }
        let records = el
            .children_named(ns, "ProcessingStatusList")
            .map(|r| {
                let status = match req(r, ns, "statusCode")? {
                    "DataFromSource" => StatusCode::DataFromSource,
                    "NoDataSynchFailed" => StatusCode::NoDataSynchFailed,
                    _ => return Err(ContractError::Invalid("statusCode", "not supported")),
                };
                parse_bool(req(r, ns, "isResponseFromCache")?, "isResponseFromCache")?;
                Ok(ProcessingStatusRecord {
                    logical_address: req(r, ns, "logicalAddress")?.to_owned(),
                    status,
                    last_successful_synch: r
                        .child_text(ns, "lastSuccessfulSynch")
                        .unwrap_or("")
                        .to_owned(),
                    last_unsuccessful_synch: opt(r, ns, "lastUnsuccessfulSynch"),
                    error: r
                        .child(ns, "lastUnsuccessfulSynchError")
                        .map(|e| {
                            Ok::<_, ContractError>(SynchError {
                                causing_agent: CausingAgent::parse(req(e, ns, "causingAgent")?)?,
                                code: req(e, ns, "code")?.to_owned(),
                                text: e.child_text(ns, "text").unwrap_or("").to_owned(),
                            })
                        })
                        .transpose()?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ProcessingStatus { records })
    }
}
