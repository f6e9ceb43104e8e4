//! Calling services through the router: what the aggregating services and the source systems
//! (engagement-index updates) use.

use crate::headers::CORRELATION_ID;
use axum::http::header;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use npo_pki::HttpsClient;
use npo_riv::{Envelope, Fault, Limits, soap};

/// Why a call through the router gave no answer.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CallError {
    #[error("timeout")]
    Timeout,
    #[error("connection failed")]
    Connect,
    #[error("HTTP {0} without a SOAP message")]
    Http(u16),
    #[error("SOAP fault: {}", .0.string)]
    Fault(Fault),
    #[error("malformed response: {0}")]
    Malformed(String),
}

/// A client of one router.
#[derive(Clone)]
pub struct VpClient {
    uri: hyper::Uri,
    http: HttpsClient,
    max_response_bytes: usize,
}

impl VpClient {
    /// `url` is the router's HTTPS address, e.g. `https://127.0.0.1:8443/vp`.
    pub fn new(url: &str, http: HttpsClient) -> Result<Self, String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| format!("invalid router URL '{url}'"))?;
        if uri.scheme_str() != Some("https") {
            return Err(format!("router URL '{url}' must be https"));
        }
        Ok(VpClient {
            uri,
            http,
            max_response_bytes: 64 * 1024 * 1024,
        })
    }

    /// Sends `body_xml` to `logical_address` and returns the response envelope (a SOAP fault
    /// is an error). `headers` are added to the request (correlation id, original consumer).
    pub async fn call(
        &self,
        logical_address: &str,
        body_xml: &str,
        headers: &[(&'static str, &str)],
    ) -> Result<Envelope, CallError> {
        self.call_with_source(logical_address, body_xml, headers)
            .await
            .map(|(env, _)| env)
    }

    /// As [`VpClient::call`], also returning the response document the envelope was parsed
    /// from, for handing parts of it on unchanged ([`Envelope::body_fragment`]).
    pub async fn call_with_source(
        &self,
        logical_address: &str,
        body_xml: &str,
        headers: &[(&'static str, &str)],
    ) -> Result<(Envelope, Bytes), CallError> {
        let mut req =
            hyper::Request::post(self.uri.clone()).header(header::CONTENT_TYPE, soap::CONTENT_TYPE);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req
            .body(Full::new(Bytes::from(soap::request(
                logical_address,
                body_xml,
            ))))
            .map_err(|_| CallError::Malformed("request headers".into()))?;
        let resp = self
            .http
            .request(req)
            .await
            .map_err(|_| CallError::Connect)?;
        let (parts, body) = resp.into_parts();
        let bytes = Limited::new(body, self.max_response_bytes)
            .collect()
            .await
            .map_err(|_| CallError::Malformed("response body unreadable or too large".into()))?
            .to_bytes();
        let envelope = soap::parse_envelope(&bytes, &Limits::default());
        match (parts.status.as_u16(), envelope) {
            (200, Ok(env)) if env.fault().is_none() => Ok((env, bytes)),
            (200 | 500, Ok(env)) if env.fault().is_some() => Err(CallError::Fault(
                env.fault().unwrap_or_else(|| Fault::server("")),
            )),
            (200 | 500, Err(e)) => Err(CallError::Malformed(e.to_string())),
            (status, _) => Err(CallError::Http(status)),
        }
    }
}

/// A correlation-id header pair for [`VpClient::call`].
pub fn correlation(id: &str) -> (&'static str, &str) {
    (CORRELATION_ID, id)
}
