//! The router's SOAP faults: `VPnnn [instance] text`, HTTP 500. Texts name systems, addresses
//! and contracts, never patient data.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use npo_riv::Fault;
use npo_riv::server::SoapFault;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VpFault {
    /// VP002
    NoSenderId,
    /// VP003
    NoReceiver,
    /// VP004
    NoRouting { receiver: String, contract: String },
    /// VP006
    AmbiguousRouting { receiver: String, contract: String },
    /// VP007
    NotAuthorized {
        consumer: String,
        receiver: String,
        contract: String,
    },
    /// VP008
    NoCatalogue,
    /// VP009
    ProducerError(String),
    /// VP010
    NoProducerUrl { receiver: String, contract: String },
    /// VP011
    NotAllowed(String),
    /// VP013
    MayNotSetOriginalConsumer(String),
    /// VP014
    Loop,
    /// VP015
    Malformed(String),
}

impl VpFault {
    pub fn code(&self) -> &'static str {
        match self {
            VpFault::NoSenderId => "VP002",
            VpFault::NoReceiver => "VP003",
            VpFault::NoRouting { .. } => "VP004",
            VpFault::AmbiguousRouting { .. } => "VP006",
            VpFault::NotAuthorized { .. } => "VP007",
            VpFault::NoCatalogue => "VP008",
            VpFault::ProducerError(_) => "VP009",
            VpFault::NoProducerUrl { .. } => "VP010",
            VpFault::NotAllowed(_) => "VP011",
            VpFault::MayNotSetOriginalConsumer(_) => "VP013",
            VpFault::Loop => "VP014",
            VpFault::Malformed(_) => "VP015",
        }
    }

    pub fn text(&self) -> String {
        match self {
            VpFault::NoSenderId => {
                "No sender id (serialNumber) found in the caller's certificate".into()
            }
            VpFault::NoReceiver => "No receiver (LogicalAddress) found in the message".into(),
            VpFault::NoRouting { receiver, contract } => {
                format!("No routing found for receiver {receiver} and contract {contract}")
            }
            VpFault::AmbiguousRouting { receiver, contract } => {
                format!(
                    "More than one routing found for receiver {receiver} and contract {contract}"
                )
            }
            VpFault::NotAuthorized {
                consumer,
                receiver,
                contract,
            } => format!(
                "Authorization missing for consumer {consumer}, receiver {receiver} and contract {contract}"
            ),
            VpFault::NoCatalogue => "No service catalogue (TAK) is loaded".into(),
            VpFault::ProducerError(s) => format!("Producer error: {s}"),
            VpFault::NoProducerUrl { receiver, contract } => {
                format!(
                    "No usable producer address for receiver {receiver} and contract {contract}"
                )
            }
            VpFault::NotAllowed(s) => format!("Call not allowed: {s}"),
            VpFault::MayNotSetOriginalConsumer(s) => {
                format!("Sender {s} may not set x-rivta-original-serviceconsumer-hsaid")
            }
            VpFault::Loop => {
                "Routing loop detected: the call has already passed this router".into()
            }
            VpFault::Malformed(s) => format!("Malformed request: {s}"),
        }
    }

    pub fn into_response(self, instance: &str, correlation: &str) -> Response {
        let mut r = SoapFault(Fault::server(format!(
            "{} [{instance}] {}",
            self.code(),
            self.text()
        )))
        .into_response();
        if let Ok(v) = HeaderValue::from_str(correlation) {
            r.headers_mut().insert(crate::CORRELATION_ID, v);
        }
        r
    }
}
