//! GetCareDocumentation 3.0
//! (`urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:3`): clinical
//! notes, second generation (JoL [`Header`]), paged. Categorization `voo`.
//!
//! Modelled: the header, the note type (a code of KV Anteckningstyp, see
//! [`care_documentation_v2::NOTE_CODES`]), title, text, multimedia entry and dissenting opinions;
//! the response's `hasMore` entries and `result`. Not modelled (ignored when read): elements of
//! other namespaces (`xs:any`).
//!
//! Schema quirks: there is no `nullified` (a voided note is simply no longer delivered). The
//! note type is a `CVType` (not an enumeration as in 2.1): any code is accepted. The `result` is
//! required and has only `resultCode` and `resultText` (no `logId`, `errorCode`, `subCode`):
//! [`ResultType::message`] is `resultText`, the other fields are not written and read back empty;
//! `None` is written as `OK`, and an `OK` without text reads back as `None`.
//!
//! [`care_documentation_v2::NOTE_CODES`]: crate::contracts::care_documentation_v2::NOTE_CODES

use crate::common::{ContractError, Cv, ItemMeta, PersonId, Query, ResultCode, ResultType};
use crate::common::{check_timestamp, opt, req};
use crate::contract::{Contract, HasMore, ItemView, Response};
use crate::contracts::access_control_header::{
    Flavor, Header, Ii, parse_hsa_id, parse_person, write_hsa_id, write_person,
};
use crate::contracts::care_documentation_v2::note_type_name;
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:3";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:description:3";
/// OID of KV Anteckningstyp, the note-type code system.
pub const NOTE_CODE_SYSTEM: &str = "1.2.752.129.2.2.2.11";
/// Items per answer.
pub const PAGE_SIZE: usize = 50;

const FLAVOR: Flavor = Flavor::Description3;

/// The request: the shared filters plus the provider filter and the paging reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareDocumentationRequest {
    /// `careUnit` → `care_unit_ids`, `patientId`, `datePeriod` → `period`, `sourceSystemId` →
    /// `source_system_id` (HSA-ids: the `IIType` extensions). No care contacts.
    pub query: Query,
    /// `healthcareProvider`: HSA-ids of care givers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub healthcare_provider_ids: Vec<String>,
    /// `hasMoreReference`: where the previous answer said more items wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more_reference: Option<String>,
}

impl From<Query> for CareDocumentationRequest {
    fn from(query: Query) -> Self {
        CareDocumentationRequest {
            query,
            healthcare_provider_ids: Vec::new(),
            has_more_reference: None,
        }
    }
}

impl CareDocumentationRequest {
    pub fn for_patient(patient: PersonId) -> Self {
        CareDocumentationRequest {
            query: Query::for_patient(patient),
            healthcare_provider_ids: Vec::new(),
            has_more_reference: None,
        }
    }
}

/// One clinical note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareDocumentation {
    pub header: Header,
    pub body: CareDocumentationBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareDocumentationBody {
    /// Note type, e.g. code `bes` in [`NOTE_CODE_SYSTEM`], display `Besöksanteckning`.
    pub note_code: Cv,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multimedia: Option<Multimedia>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dissenting_opinions: Vec<DissentingOpinion>,
}

/// `MultimediaType` (the media type is free text in 3.0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Multimedia {
    pub media_type: String,
    /// Base64 content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A dissenting opinion (avvikande mening), e.g. the patient's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DissentingOpinion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opinion_id: Option<Ii>,
    pub author_time: String,
    pub opinion: String,
    pub person_id: PersonId,
    pub person_name: String,
}

/// A note code of KV Anteckningstyp with its Swedish display name.
pub fn note_code(code: &str) -> Cv {
    Cv::coded(code, NOTE_CODE_SYSTEM, note_type_name(code))
}

fn child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

fn text_of(el: &Element, name: &'static str) -> Result<String, ContractError> {
    el.child_text(CORE_NS, name)
        .map(str::to_owned)
        .ok_or(ContractError::Missing(name))
}

impl CareDocumentationBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(CareDocumentationBody {
            note_code: Cv::parse(child(el, "clinicalDocumentNoteCode")?, ns),
            title: opt(el, ns, "clinicalDocumentNoteTitle"),
            text: opt(el, ns, "clinicalDocumentNoteText"),
            multimedia: el
                .child(ns, "multimediaEntry")
                .map(|m| {
                    Ok::<_, ContractError>(Multimedia {
                        media_type: req(m, ns, "mediaType")?.to_owned(),
                        value: opt(m, ns, "value"),
                        reference: opt(m, ns, "reference"),
                    })
                })
                .transpose()?,
            dissenting_opinions: el
                .children_named(ns, "dissentingOpinion")
                .map(|d| {
                    Ok(DissentingOpinion {
                        opinion_id: d
                            .child(ns, "opinionId")
                            .map(|i| Ii::parse(i, ns))
                            .transpose()?,
                        author_time: check_timestamp(
                            req(d, ns, "authorTime")?.to_owned(),
                            "authorTime",
                        )?,
                        opinion: text_of(d, "opinion")?,
                        person_id: parse_person(child(d, "personId")?, ns, FLAVOR)?,
                        person_name: text_of(d, "personName")?,
                    })
                })
                .collect::<Result<_, ContractError>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:body");
        self.note_code.write(w, "core:clinicalDocumentNoteCode");
        w.opt_text("core:clinicalDocumentNoteTitle", self.title.as_deref())
            .opt_text("core:clinicalDocumentNoteText", self.text.as_deref());
        if let Some(m) = &self.multimedia {
            w.open("core:multimediaEntry")
                .text("core:mediaType", &m.media_type)
                .opt_text("core:value", m.value.as_deref())
                .opt_text("core:reference", m.reference.as_deref())
                .close("core:multimediaEntry");
        }
        for d in &self.dissenting_opinions {
            w.open("core:dissentingOpinion");
            if let Some(i) = &d.opinion_id {
                i.write(w, "core:opinionId");
            }
            w.text("core:authorTime", &d.author_time)
                .text("core:opinion", &d.opinion);
            write_person(w, "core:personId", &d.person_id);
            w.text("core:personName", &d.person_name)
                .close("core:dissentingOpinion");
        }
        w.close("core:body");
    }
}

/// The GetCareDocumentation 3.0 contract.
pub struct GetCareDocumentationV3;

impl Contract for GetCareDocumentationV3 {
    const NAME: &'static str = "GetCareDocumentation";
    const VERSION: &'static str = "3.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:description";
    const CATEGORIZATION: &'static str = "voo";

    type Request = CareDocumentationRequest;
    type Item = CareDocumentation;

    const PAGE_SIZE: Option<usize> = Some(PAGE_SIZE);

    fn set_page_reference(req: &mut CareDocumentationRequest, reference: &str) {
        req.has_more_reference = Some(reference.to_owned());
    }

    fn page_reference(req: &CareDocumentationRequest) -> Option<&str> {
        req.has_more_reference.as_deref()
    }

    fn parse_request(body: &Element) -> Result<CareDocumentationRequest, ContractError> {
        if !body.is(NAMESPACE, "GetCareDocumentation") {
            return Err(ContractError::UnexpectedElement("GetCareDocumentation"));
        }
        let ids = |name: &str| -> Result<Vec<String>, ContractError> {
            body.children_named(NAMESPACE, name)
                .map(|e| parse_hsa_id(e, CORE_NS, FLAVOR))
                .collect()
        };
        Ok(CareDocumentationRequest {
            query: Query {
                care_unit_ids: ids("careUnit")?,
                patient_id: parse_person(
                    body.child(NAMESPACE, "patientId")
                        .ok_or(ContractError::Missing("patientId"))?,
                    CORE_NS,
                    FLAVOR,
                )?,
                period: body
                    .child(NAMESPACE, "datePeriod")
                    .map(|p| crate::common::DatePeriod::parse(p, CORE_NS))
                    .transpose()?,
                source_system_id: body
                    .child(NAMESPACE, "sourceSystemId")
                    .map(|e| parse_hsa_id(e, CORE_NS, FLAVOR))
                    .transpose()?,
                care_contact_ids: Vec::new(),
            },
            healthcare_provider_ids: ids("healthcareProvider")?,
            has_more_reference: opt(body, NAMESPACE, "hasMoreReference"),
        })
    }

    fn write_request(req: &CareDocumentationRequest) -> String {
        let q = &req.query;
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetCareDocumentation",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for u in &q.care_unit_ids {
            write_hsa_id(&mut w, "tns:careUnit", u);
        }
        for p in &req.healthcare_provider_ids {
            write_hsa_id(&mut w, "tns:healthcareProvider", p);
        }
        write_person(&mut w, "tns:patientId", &q.patient_id);
        if let Some(p) = &q.period {
            p.write(&mut w, "tns:datePeriod");
        }
        if let Some(s) = &q.source_system_id {
            write_hsa_id(&mut w, "tns:sourceSystemId", s);
        }
        w.opt_text("tns:hasMoreReference", req.has_more_reference.as_deref())
            .close("tns:GetCareDocumentation");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<CareDocumentation>, ContractError> {
        if !body.is(NAMESPACE, "GetCareDocumentationResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetCareDocumentationResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "careDocumentation")
            .map(|d| {
                Ok(CareDocumentation {
                    header: Header::parse(child(d, "header")?, CORE_NS, FLAVOR)?,
                    body: CareDocumentationBody::parse(child(d, "body")?)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        let has_more = body
            .children_named(NAMESPACE, "hasMore")
            .map(|h| {
                Ok(HasMore {
                    logical_address: req(h, NAMESPACE, "logicalAddress")?.to_owned(),
                    reference: req(h, NAMESPACE, "reference")?.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        let r = body
            .child(NAMESPACE, "result")
            .ok_or(ContractError::Missing("result"))?;
        let result = ResultType {
            result_code: ResultCode::parse(req(r, CORE_NS, "resultCode")?)?,
            error_code: None,
            log_id: String::new(),
            sub_code: None,
            message: opt(r, CORE_NS, "resultText"),
        };
        let result =
            Some(result).filter(|r| r.result_code != ResultCode::Ok || r.message.is_some());
        Ok(Response {
            items,
            result,
            has_more,
        })
    }

    fn write_response(resp: &Response<CareDocumentation>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 1536);
        w.open_ns(
            "tns:GetCareDocumentationResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:careDocumentation");
            item.header.write(&mut w, "core:header", FLAVOR);
            item.body.write(&mut w);
            w.close("tns:careDocumentation");
        }
        for h in &resp.has_more {
            w.open("tns:hasMore")
                .text("tns:logicalAddress", &h.logical_address)
                .text("tns:reference", &h.reference)
                .close("tns:hasMore");
        }
        let (code, text) = match &resp.result {
            Some(r) => (r.result_code, r.message.as_deref()),
            None => (ResultCode::Ok, None),
        };
        w.open("tns:result")
            .text("core:resultCode", code.as_str())
            .opt_text("core:resultText", text)
            .close("tns:result")
            .close("tns:GetCareDocumentationResponse");
        w.finish()
    }

    fn query(req: &CareDocumentationRequest) -> &Query {
        &req.query
    }

    fn query_mut(req: &mut CareDocumentationRequest) -> &mut Query {
        &mut req.query
    }

    fn meta(item: &CareDocumentation) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The author's (documentation) time, else `blockComparisonTime`.
    fn filter_time(item: &CareDocumentation) -> &str {
        item.header
            .author
            .as_ref()
            .map(|a| a.timestamp.as_str())
            .unwrap_or(&item.header.access_control.block_comparison_time)
    }

    fn view(item: &CareDocumentation) -> ItemView {
        let b = &item.body;
        let kind = match b.note_code.code.as_deref().map(note_type_name) {
            Some("Anteckning") | None => b
                .note_code
                .display_name
                .as_deref()
                .or(b.note_code.original_text.as_deref()),
            known => known,
        };
        let title = b
            .title
            .clone()
            .or_else(|| kind.map(str::to_owned))
            .unwrap_or_else(|| "Anteckning".into());
        let mut fields = Vec::new();
        if let Some(k) = kind {
            fields.push(("Anteckningstyp", k.to_owned()));
        }
        if let Some(a) = &item.header.author {
            if let Some(n) = &a.name {
                fields.push(("Dokumenterad av", n.clone()));
            }
            if let Some(u) = a.org_unit.as_ref().and_then(|o| o.name.clone()) {
                fields.push(("Enhet", u));
            }
        }
        match &item.header.signature {
            Some(s) => fields.push((
                "Signerad av",
                s.name.clone().unwrap_or_else(|| "Signerad".into()),
            )),
            None => fields.push(("Signerad av", "Osignerad".into())),
        }
        for d in &b.dissenting_opinions {
            fields.push((
                "Avvikande mening",
                format!("{}: {}", d.person_name, d.opinion),
            ));
        }
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: b.text.clone(),
            attention: false,
        }
    }
}
