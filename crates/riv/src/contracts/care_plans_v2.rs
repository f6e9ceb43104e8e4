//! GetCarePlans 2.0 (`urn:riv:clinicalprocess:logistics:logistics:GetCarePlansResponder:2`):
//! care plans (vård- och omsorgsplaner) — SIP, discharge plans, care, habilitation and
//! rehabilitation plans. Categorization `cll-cp`.
//!
//! Schema quirks of the logistics domain (core namespace `...:logistics:logistics:3`):
//! - `PatientSummaryHeaderType` orders `nullified`, `nullifiedReason` *before* `careContactId`,
//!   so the header is written here rather than by [`PatientSummaryHeader::write`].
//! - `OrgUnitType` makes `orgUnitHSAId` and `orgUnitName` optional; a missing one reads as an
//!   empty string (and an empty one is written as an empty element).
//! - The body has no validity period: a plan's status, goals and follow-up are in its content
//!   (`MultimediaType`, base64), usually `text/plain`; see [`CarePlanBody::text`].
//! - `result` is required: [`Response::result`] `None` is written as an `OK` result with an empty
//!   `logId`, and such a result reads back as `None`.
//!
//! Elements of the `##other` extension points are ignored when reading.

use crate::common::{
    ContractError, Cv, HealthcareProfessional, ItemMeta, LegalAuthenticator, OrgUnit,
    PatientSummaryHeader, PersonId, Query, QuerySpelling, ResultCode, ResultType, check_timestamp,
    display_time, opt, opt_bool, parse_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str = "urn:riv:clinicalprocess:logistics:logistics:GetCarePlansResponder:2";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:logistics:logistics:3";
/// OID of HSA-ids (the `root` of `participatingCareUnitHSAId`).
pub const OID_HSA_ID: &str = "1.2.752.129.2.1.4.1";

/// `TypeOfCarePlanEnum`: code and Swedish name (Socialstyrelsen's termbank).
pub const CARE_PLAN_TYPES: &[(&str, &str)] = &[
    ("SIP", "Samordnad individuell plan"),
    ("SPLPTLRV", "Samordnad plan enligt LPT och LRV"),
    ("SPU", "Samordnad plan vid utskrivning"),
    ("VP", "Vårdplan"),
    ("HP", "Habiliteringsplan"),
    ("RP", "Rehabiliteringsplan"),
    ("GP", "Genomförandeplan"),
    ("SVP", "Standardiserad vårdplan"),
];

const MEDIA_TYPES: &[&str] = &[
    "application/dicom",
    "application/msword",
    "application/pdf",
    "audio/basic",
    "audio/k32adpcm",
    "audio/mpeg",
    "image/g3fax",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "model/vrml",
    "multipart/x-hl7-cda-level1",
    "text/html",
    "text/plain",
    "text/rtf",
    "text/sgml",
    "text/x-hl7-ft",
    "text/xml",
    "video/mpeg",
    "video/x-avi",
];

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAId",
    time_period: "datePeriod",
    source_system: "sourceSystemHSAId",
};

/// One care plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlan {
    pub header: PatientSummaryHeader,
    pub body: CarePlanBody,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlanBody {
    /// The plan itself: text, a PDF, a scanned document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<Content>,
    /// Care units taking part in the plan (`root` the HSA-id OID, `extension` the HSA-id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participating_care_units: Vec<Ii>,
    /// A `TypeOfCarePlanEnum` code (`SIP`, `SPU`, `VP`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_of_care_plan: Option<String>,
}

/// `MultimediaType` of the logistics domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub media_type: String,
    /// Base64 content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Content {
    /// A `text/plain` content holding `text` (UTF-8, base64-encoded).
    pub fn plain_text(text: &str) -> Self {
        Content {
            id: None,
            media_type: "text/plain".into(),
            value: Some(base64_encode(text.as_bytes())),
            reference: None,
        }
    }

    /// The decoded text of a `text/plain` or `text/html` content with a value.
    pub fn text(&self) -> Option<String> {
        if !matches!(self.media_type.as_str(), "text/plain" | "text/html") {
            return None;
        }
        let bytes = base64_decode(self.value.as_deref()?)?;
        String::from_utf8(bytes).ok()
    }
}

/// `IIType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ii {
    pub root: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

impl Ii {
    /// An HSA-id as `IIType`.
    pub fn hsa_id(id: &str) -> Self {
        Ii {
            root: OID_HSA_ID.into(),
            extension: Some(id.into()),
        }
    }
}

impl CarePlanBody {
    /// The plan's text: the decoded text contents, joined by blank lines.
    pub fn text(&self) -> Option<String> {
        let parts: Vec<String> = self.content.iter().filter_map(Content::text).collect();
        (!parts.is_empty()).then(|| parts.join("\n\n"))
    }

    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let type_of_care_plan = opt(el, ns, "typeOfCarePlanEnum");
        if let Some(t) = &type_of_care_plan
            && !CARE_PLAN_TYPES.iter().any(|(c, _)| c == t)
        {
            return Err(ContractError::Invalid(
                "typeOfCarePlanEnum",
                "not an allowed code",
            ));
        }
        Ok(CarePlanBody {
            content: el
                .children_named(ns, "content")
                .map(|c| {
                    let media_type = req(c, ns, "mediaType")?.to_owned();
                    if !MEDIA_TYPES.contains(&media_type.as_str()) {
                        return Err(ContractError::Invalid("mediaType", "not an allowed code"));
                    }
                    let value = opt(c, ns, "value");
                    if value.as_deref().is_some_and(|v| base64_decode(v).is_none()) {
                        return Err(ContractError::Invalid("value", "not base64"));
                    }
                    Ok(Content {
                        id: opt(c, ns, "id"),
                        media_type,
                        value,
                        reference: opt(c, ns, "reference"),
                    })
                })
                .collect::<Result<_, _>>()?,
            participating_care_units: el
                .children_named(ns, "participatingCareUnitHSAId")
                .map(|i| {
                    Ok(Ii {
                        root: i
                            .child_text(ns, "root")
                            .ok_or(ContractError::Missing("root"))?
                            .to_owned(),
                        extension: opt(i, ns, "extension"),
                    })
                })
                .collect::<Result<_, ContractError>>()?,
            type_of_care_plan,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:carePlanBody");
        for c in &self.content {
            w.open("core:content")
                .opt_text("core:id", c.id.as_deref())
                .text("core:mediaType", &c.media_type)
                .opt_text("core:value", c.value.as_deref())
                .opt_text("core:reference", c.reference.as_deref())
                .close("core:content");
        }
        for i in &self.participating_care_units {
            w.open("core:participatingCareUnitHSAId")
                .text("core:root", &i.root)
                .opt_text("core:extension", i.extension.as_deref())
                .close("core:participatingCareUnitHSAId");
        }
        w.opt_text("core:typeOfCarePlanEnum", self.type_of_care_plan.as_deref())
            .close("core:carePlanBody");
    }
}

/// Swedish name of a `TypeOfCarePlanEnum` code.
pub fn care_plan_type_name(code: &str) -> Option<&'static str> {
    CARE_PLAN_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

// ---------------------------------------------------------------------------------------------
// The logistics domain's header

fn req_child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

/// `OrgUnitType` of the logistics domain (every child optional).
fn parse_org_unit(el: &Element) -> OrgUnit {
    let ns = CORE_NS;
    OrgUnit {
        hsa_id: opt(el, ns, "orgUnitHSAId").unwrap_or_default(),
        name: opt(el, ns, "orgUnitName").unwrap_or_default(),
        telecom: opt(el, ns, "orgUnitTelecom"),
        email: opt(el, ns, "orgUnitEmail"),
        address: opt(el, ns, "orgUnitAddress"),
        location: opt(el, ns, "orgUnitLocation"),
    }
}

fn parse_professional(el: &Element) -> Result<HealthcareProfessional, ContractError> {
    let ns = CORE_NS;
    Ok(HealthcareProfessional {
        author_time: check_timestamp(req(el, ns, "authorTime")?.to_owned(), "authorTime")?,
        hsa_id: opt(el, ns, "healthcareProfessionalHSAId"),
        name: opt(el, ns, "healthcareProfessionalName"),
        role_code: el
            .child(ns, "healthcareProfessionalRoleCode")
            .map(|c| Cv::parse(c, ns)),
        org_unit: el
            .child(ns, "healthcareProfessionalOrgUnit")
            .map(parse_org_unit),
        care_unit_hsa_id: opt(el, ns, "healthcareProfessionalCareUnitHSAId"),
        care_giver_hsa_id: opt(el, ns, "healthcareProfessionalCareGiverHSAId"),
    })
}

/// Reads a `PatientSummaryHeaderType` of the logistics domain.
pub fn parse_header(el: &Element) -> Result<PatientSummaryHeader, ContractError> {
    let ns = CORE_NS;
    Ok(PatientSummaryHeader {
        document_id: req(el, ns, "documentId")?.to_owned(),
        source_system_hsa_id: req(el, ns, "sourceSystemHSAId")?.to_owned(),
        document_title: opt(el, ns, "documentTitle"),
        document_time: opt(el, ns, "documentTime")
            .map(|t| check_timestamp(t, "documentTime"))
            .transpose()?,
        patient_id: PersonId::parse(req_child(el, "patientId")?, ns)?,
        accountable: parse_professional(req_child(el, "accountableHealthcareProfessional")?)?,
        legal_authenticator: el
            .child(ns, "legalAuthenticator")
            .map(|c| LegalAuthenticator::parse(c, ns))
            .transpose()?,
        approved_for_patient: parse_bool(req(el, ns, "approvedForPatient")?, "approvedForPatient")?,
        care_contact_id: opt(el, ns, "careContactId"),
        nullified: opt_bool(el, ns, "nullified")?,
        nullified_reason: opt(el, ns, "nullifiedReason"),
    })
}

/// Writes a `PatientSummaryHeaderType` of the logistics domain (children prefixed `core:`).
pub fn write_header(h: &PatientSummaryHeader, w: &mut XmlWriter, tag: &str) {
    w.open(tag)
        .text("core:documentId", &h.document_id)
        .text("core:sourceSystemHSAId", &h.source_system_hsa_id)
        .opt_text("core:documentTitle", h.document_title.as_deref())
        .opt_text("core:documentTime", h.document_time.as_deref());
    h.patient_id.write(w, "core:patientId");
    h.accountable
        .write(w, "core:accountableHealthcareProfessional");
    if let Some(l) = &h.legal_authenticator {
        l.write(w, "core:legalAuthenticator");
    }
    w.bool("core:approvedForPatient", h.approved_for_patient)
        .opt_bool("core:nullified", h.nullified)
        .opt_text("core:nullifiedReason", h.nullified_reason.as_deref())
        .opt_text("core:careContactId", h.care_contact_id.as_deref())
        .close(tag);
}

// ---------------------------------------------------------------------------------------------
// base64 (RFC 4648, with padding), for `MultimediaType/value`

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64 (whitespace ignored, padding required as `xs:base64Binary` requires);
/// `None` if malformed.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let quads = clean.len() / 4;
    for (qi, quad) in clean.chunks(4).enumerate() {
        let last = qi + 1 == quads;
        let pad = quad.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in quad.iter().enumerate() {
            let v = if i >= 4 - pad {
                0
            } else {
                match c {
                    b'A'..=b'Z' => c - b'A',
                    b'a'..=b'z' => c - b'a' + 26,
                    b'0'..=b'9' => c - b'0' + 52,
                    b'+' => 62,
                    b'/' => 63,
                    _ => return None,
                }
            };
            n = (n << 6) | u32::from(v);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// A required result that says nothing (`OK`, empty `logId`, nothing else) is `None`.
fn result_or_none(r: ResultType) -> Option<ResultType> {
    let empty = r.result_code == ResultCode::Ok
        && r.log_id.is_empty()
        && r.error_code.is_none()
        && r.sub_code.is_none()
        && r.message.is_none();
    (!empty).then_some(r)
}

/// The GetCarePlans 2.0 contract.
pub struct GetCarePlansV2;

impl Contract for GetCarePlansV2 {
    const NAME: &'static str = "GetCarePlans";
    const VERSION: &'static str = "2.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:logistics:logistics";
    const CATEGORIZATION: &'static str = "cll-cp";

    type Request = Query;
    type Item = CarePlan;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetCarePlans") {
            return Err(ContractError::UnexpectedElement("GetCarePlans"));
        }
        Query::parse(body, NAMESPACE, CORE_NS, SPELLING)
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns("tns:GetCarePlans", &[("tns", NAMESPACE), ("core", CORE_NS)]);
        req.write_fields(&mut w, SPELLING);
        w.close("tns:GetCarePlans");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<CarePlan>, ContractError> {
        if !body.is(NAMESPACE, "GetCarePlansResponse") {
            return Err(ContractError::UnexpectedElement("GetCarePlansResponse"));
        }
        let items = body
            .children_named(NAMESPACE, "carePlan")
            .map(|p| {
                Ok(CarePlan {
                    header: parse_header(req_child(p, "carePlanHeader")?)?,
                    body: CarePlanBody::parse(req_child(p, "carePlanBody")?)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        let result = ResultType::parse(
            body.child(NAMESPACE, "result")
                .ok_or(ContractError::Missing("result"))?,
            CORE_NS,
        )?;
        Ok(Response::new(items, result_or_none(result)))
    }

    fn write_response(resp: &Response<CarePlan>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 2048);
        w.open_ns(
            "tns:GetCarePlansResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:carePlan");
            write_header(&item.header, &mut w, "core:carePlanHeader");
            item.body.write(&mut w);
            w.close("tns:carePlan");
        }
        // `result` is required; a local element of the responder type (tns) with core children.
        match &resp.result {
            Some(r) => r.write(&mut w, "tns:result", "core"),
            None => ResultType::ok("").write(&mut w, "tns:result", "core"),
        }
        w.close("tns:GetCarePlansResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &CarePlan) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// When the plan was drawn up (`documentTime`, which the contract's `datePeriod` filters
    /// on), else the author time.
    fn filter_time(item: &CarePlan) -> &str {
        item.header
            .document_time
            .as_deref()
            .unwrap_or(&item.header.accountable.author_time)
    }

    fn view(item: &CarePlan) -> ItemView {
        let b = &item.body;
        let kind = b.type_of_care_plan.as_deref().and_then(care_plan_type_name);
        let title = item
            .header
            .document_title
            .clone()
            .or_else(|| kind.map(str::to_owned))
            .unwrap_or_else(|| "Vård- och omsorgsplan".into());
        let mut fields: Vec<(&'static str, String)> = Vec::new();
        if let Some(k) = kind {
            fields.push(("Typ av plan", k.to_owned()));
        }
        if let Some(t) = &item.header.document_time {
            fields.push(("Upprättad", display_time(t.get(..8).unwrap_or(t))));
        }
        if let Some(name) = &item.header.accountable.name {
            fields.push(("Ansvarig", name.clone()));
        }
        if let Some(unit) = item
            .header
            .accountable
            .org_unit
            .as_ref()
            .filter(|u| !u.name.is_empty())
        {
            fields.push(("Enhet", unit.name.clone()));
        }
        let units: Vec<&str> = b
            .participating_care_units
            .iter()
            .filter_map(|i| i.extension.as_deref())
            .collect();
        if !units.is_empty() {
            fields.push(("Deltagande enheter", units.join(", ")));
        }
        for c in &b.content {
            if c.text().is_some() {
                continue;
            }
            let what = match c.media_type.as_str() {
                "application/pdf" => "PDF-dokument".to_owned(),
                t if t.starts_with("image/") => "Inskannat dokument".to_owned(),
                t => t.to_owned(),
            };
            let value = match &c.reference {
                Some(r) => format!("{what} ({r})"),
                None => what,
            };
            fields.push(("Bilaga", value));
        }
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: b.text(),
            attention: false,
        }
    }
}
