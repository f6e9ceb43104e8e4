//! SOAP 1.1 envelopes as used by RIV-TA BP 2.1: reading, writing and faults.

use crate::xml::{self, Element, Limits, XmlError, XmlWriter};

pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Namespace of the `LogicalAddress` header.
pub const REGISTRY_NS: &str = "urn:riv:itintegration:registry:1";
/// Content type of SOAP 1.1 messages.
pub const CONTENT_TYPE: &str = "text/xml; charset=UTF-8";

/// A parsed envelope: its header blocks and the first (only) element in Body.
#[derive(Clone, Debug)]
pub struct Envelope {
    pub headers: Vec<Element>,
    pub body: Element,
    /// The namespace declarations in scope at the body element's parent (those of Envelope,
    /// then Body), for cutting fragments out of the body ([`Envelope::body_fragment`]).
    pub body_scope: Vec<(String, String)>,
}

/// Why an envelope was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SoapError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("root element is not a SOAP 1.1 Envelope")]
    NotEnvelope,
    #[error("SOAP Body is missing")]
    NoBody,
    #[error("SOAP Body is empty")]
    EmptyBody,
    #[error("SOAP Body holds more than one element")]
    MultipleBodyElements,
}

impl Envelope {
    /// The RIV-TA logical address (receiver HSA-id) from the `LogicalAddress` header, trimmed.
    /// `None` when missing or blank.
    pub fn logical_address(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.is(REGISTRY_NS, "LogicalAddress"))
            .map(Element::text)
            .filter(|s| !s.is_empty())
    }

    /// The contract: the namespace of the first element in Body.
    pub fn contract_namespace(&self) -> &str {
        &self.body.ns
    }

    /// `child`, a child of the body element, as a standalone fragment of `source` (the document
    /// this envelope was parsed from): its bytes unchanged, with the namespace declarations it
    /// inherits from the envelope re-declared (see [`xml::fragment`]).
    pub fn body_fragment(&self, source: &[u8], child: &Element) -> Result<String, XmlError> {
        let mut scope = Vec::with_capacity(self.body_scope.len() + self.body.ns_decls.len());
        scope.extend_from_slice(&self.body_scope);
        scope.extend_from_slice(&self.body.ns_decls);
        xml::fragment(source, child, &scope)
    }

    /// A SOAP fault, if Body holds one.
    pub fn fault(&self) -> Option<Fault> {
        if !self.body.is(SOAP_ENV_NS, "Fault") {
            return None;
        }
        Some(Fault {
            code: self
                .body
                .child_text("", "faultcode")
                .unwrap_or("")
                .to_string(),
            string: self
                .body
                .child_text("", "faultstring")
                .unwrap_or("")
                .to_string(),
        })
    }
}

/// Parses and checks a SOAP 1.1 envelope within `limits`.
pub fn parse_envelope(input: &[u8], limits: &Limits) -> Result<Envelope, SoapError> {
    let root = xml::parse(input, limits)?;
    if !root.is(SOAP_ENV_NS, "Envelope") {
        return Err(SoapError::NotEnvelope);
    }
    let mut headers = Vec::new();
    let mut body = None;
    let mut body_scope = root.ns_decls;
    for child in root.children {
        if child.is(SOAP_ENV_NS, "Header") {
            headers.extend(child.children);
        } else if child.is(SOAP_ENV_NS, "Body") {
            body = Some(child);
        }
    }
    let mut body = body.ok_or(SoapError::NoBody)?;
    body_scope.append(&mut body.ns_decls);
    if body.children.len() > 1 {
        return Err(SoapError::MultipleBodyElements);
    }
    let first = body.children.pop().ok_or(SoapError::EmptyBody)?;
    Ok(Envelope {
        headers,
        body: first,
        body_scope,
    })
}

/// Writes an envelope around already-serialised header blocks and body element.
pub fn envelope(headers_xml: &str, body_xml: &str) -> String {
    let mut w = XmlWriter::with_capacity(headers_xml.len() + body_xml.len() + 256);
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.open_ns("soap:Envelope", &[("soap", SOAP_ENV_NS)]);
    if !headers_xml.is_empty() {
        w.open("soap:Header").raw(headers_xml).close("soap:Header");
    }
    w.open("soap:Body")
        .raw(body_xml)
        .close("soap:Body")
        .close("soap:Envelope");
    w.finish()
}

/// The `LogicalAddress` header block.
pub fn logical_address_header(address: &str) -> String {
    let mut w = XmlWriter::with_capacity(128);
    w.raw("<itr:LogicalAddress xmlns:itr=\"")
        .raw(REGISTRY_NS)
        .raw("\">")
        .raw(&xml::escape(address))
        .raw("</itr:LogicalAddress>");
    w.finish()
}

/// A request envelope for `logical_address` carrying `body_xml`.
pub fn request(logical_address: &str, body_xml: &str) -> String {
    envelope(&logical_address_header(logical_address), body_xml)
}

/// A SOAP 1.1 fault: `faultcode` (`soap:Client` or `soap:Server`) and `faultstring`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub code: String,
    pub string: String,
}

impl Fault {
    pub fn server(string: impl Into<String>) -> Self {
        Fault {
            code: "soap:Server".into(),
            string: string.into(),
        }
    }

    pub fn client(string: impl Into<String>) -> Self {
        Fault {
            code: "soap:Client".into(),
            string: string.into(),
        }
    }

    /// The whole fault envelope.
    pub fn to_envelope(&self) -> String {
        let mut w = XmlWriter::with_capacity(256 + self.string.len());
        w.open("soap:Fault")
            .text("faultcode", &self.code)
            .text("faultstring", &self.string)
            .close("soap:Fault");
        envelope("", w.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_logical_address_and_contract() {
        let env = request("SE123-X", r#"<a:Get xmlns:a="urn:riv:x:GetResponder:1"/>"#);
        let parsed = parse_envelope(env.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(parsed.logical_address(), Some("SE123-X"));
        assert_eq!(parsed.contract_namespace(), "urn:riv:x:GetResponder:1");
        assert!(parsed.fault().is_none());
    }

    #[test]
    fn refuses_non_envelopes() {
        let l = Limits::default();
        assert_eq!(
            parse_envelope(b"<a/>", &l).unwrap_err(),
            SoapError::NotEnvelope
        );
        let no_body = format!(r#"<s:Envelope xmlns:s="{SOAP_ENV_NS}"/>"#);
        assert_eq!(
            parse_envelope(no_body.as_bytes(), &l).unwrap_err(),
            SoapError::NoBody
        );
        let empty = envelope("", "");
        assert_eq!(
            parse_envelope(empty.as_bytes(), &l).unwrap_err(),
            SoapError::EmptyBody
        );
    }

    #[test]
    fn fault_round_trip() {
        let f = Fault::server("VP004 [x] No routing");
        let env = parse_envelope(f.to_envelope().as_bytes(), &Limits::default()).unwrap();
        assert_eq!(env.fault(), Some(f));
    }
}
