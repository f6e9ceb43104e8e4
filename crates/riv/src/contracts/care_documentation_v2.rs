//! GetCareDocumentation 2.1 (`urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:2`):
//! clinical notes. Categorization `voo`.

use crate::common::{
    ContractError, HeaderSpelling, ItemMeta, PatientSummaryHeader, PersonId, Query, QuerySpelling,
    ResultType, check_timestamp, opt, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:2";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:description:2";
/// Namespace of the 2.1 `result` element.
pub const RESULT_NS: &str = "urn:riv:clinicalprocess:healthcond:description:2.1";

/// Allowed `clinicalDocumentNoteCode` values (KV Anteckningstyp 1.2.752.129.2.2.2.11).
pub const NOTE_CODES: &[(&str, &str)] = &[
    ("utr", "Utredning"),
    ("atb", "Åtgärd/Behandling"),
    ("sam", "Sammanfattning"),
    ("sao", "Samordning"),
    ("ins", "Inskrivning"),
    ("slu", "Slutanteckning"),
    ("auf", "Anteckning utan fysiskt möte"),
    ("sva", "Slutenvårdsanteckning"),
    ("bes", "Besöksanteckning"),
];
/// Allowed `clinicalDocumentTypeCode` values.
pub const TYPE_CODES: &[(&str, &str)] = &[
    ("epi", "Epikris"),
    ("int", "Intagningsanteckning"),
    ("dag", "Daganteckning"),
    ("ova", "Öppenvårdsanteckning"),
    ("ovs", "Öppenvårdssammanfattning"),
    ("ovr", "Övrigt"),
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
    care_unit: "careUnitHSAid",
    time_period: "timePeriod",
    source_system: "sourceSystemHSAid",
};

/// One clinical note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareDocumentation {
    pub header: PatientSummaryHeader,
    pub note: ClinicalDocumentNote,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicalDocumentNote {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multimedia: Option<Multimedia>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dissenting_opinions: Vec<DissentingOpinion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Multimedia {
    pub media_type: String,
    /// Base64 content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DissentingOpinion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opinion_id: Option<(String, Option<String>)>,
    pub author_time: String,
    pub opinion: String,
    pub person_id: PersonId,
    pub person_name: String,
}

fn check_enum(
    v: Option<String>,
    allowed: &[&str],
    name: &'static str,
) -> Result<Option<String>, ContractError> {
    match v {
        Some(s) if !allowed.contains(&s.as_str()) => {
            Err(ContractError::Invalid(name, "not an allowed code"))
        }
        v => Ok(v),
    }
}

impl ClinicalDocumentNote {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let notes: Vec<&str> = NOTE_CODES.iter().map(|(c, _)| *c).collect();
        let types: Vec<&str> = TYPE_CODES.iter().map(|(c, _)| *c).collect();
        Ok(ClinicalDocumentNote {
            note_code: check_enum(
                opt(el, ns, "clinicalDocumentNoteCode"),
                &notes,
                "clinicalDocumentNoteCode",
            )?,
            type_code: check_enum(
                opt(el, ns, "clinicalDocumentTypeCode"),
                &types,
                "clinicalDocumentTypeCode",
            )?,
            title: opt(el, ns, "clinicalDocumentNoteTitle"),
            text: opt(el, ns, "clinicalDocumentNoteText"),
            multimedia: el
                .child(ns, "multimediaEntry")
                .map(|m| {
                    Ok::<_, ContractError>(Multimedia {
                        media_type: check_enum(
                            Some(req(m, ns, "mediaType")?.to_owned()),
                            MEDIA_TYPES,
                            "mediaType",
                        )?
                        .unwrap_or_default(),
                        value: opt(m, ns, "value"),
                        reference: opt(m, ns, "reference"),
                    })
                })
                .transpose()?,
            dissenting_opinions: el
                .children_named(ns, "dissentintOpinion")
                .map(|d| {
                    Ok(DissentingOpinion {
                        opinion_id: d.child(ns, "opinionId").map(|i| {
                            (
                                i.child_text(ns, "root").unwrap_or("").to_owned(),
                                opt(i, ns, "extension"),
                            )
                        }),
                        author_time: check_timestamp(
                            req(d, ns, "authorTime")?.to_owned(),
                            "authorTime",
                        )?,
                        opinion: d
                            .child_text(ns, "opinion")
                            .ok_or(ContractError::Missing("opinion"))?
                            .to_owned(),
                        person_id: PersonId::parse(
                            d.child(ns, "personId")
                                .ok_or(ContractError::Missing("personId"))?,
                            ns,
                        )?,
                        person_name: d
                            .child_text(ns, "personName")
                            .ok_or(ContractError::Missing("personName"))?
                            .to_owned(),
                    })
                })
                .collect::<Result<_, ContractError>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:clinicalDocumentNote")
            .opt_text("core:clinicalDocumentNoteCode", self.note_code.as_deref())
            .opt_text("core:clinicalDocumentTypeCode", self.type_code.as_deref())
            .opt_text("core:clinicalDocumentNoteTitle", self.title.as_deref())
            .opt_text("core:clinicalDocumentNoteText", self.text.as_deref());
        if let Some(m) = &self.multimedia {
            w.open("core:multimediaEntry")
                .text("core:mediaType", &m.media_type)
                .opt_text("core:value", m.value.as_deref())
                .opt_text("core:reference", m.reference.as_deref())
                .close("core:multimediaEntry");
        }
        for d in &self.dissenting_opinions {
            w.open("core:dissentintOpinion");
            if let Some((root, ext)) = &d.opinion_id {
                w.open("core:opinionId")
                    .text("core:root", root)
                    .opt_text("core:extension", ext.as_deref())
                    .close("core:opinionId");
            }
            w.text("core:authorTime", &d.author_time)
                .text("core:opinion", &d.opinion);
            d.person_id.write(w, "core:personId");
            w.text("core:personName", &d.person_name)
                .close("core:dissentintOpinion");
        }
        w.close("core:clinicalDocumentNote");
    }
}

/// The GetCareDocumentation 2.1 contract.
pub struct GetCareDocumentationV2;

impl Contract for GetCareDocumentationV2 {
    const NAME: &'static str = "GetCareDocumentation";
    const VERSION: &'static str = "2.1";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:description";
    const CATEGORIZATION: &'static str = "voo";

    type Request = Query;
    type Item = CareDocumentation;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetCareDocumentation") {
            return Err(ContractError::UnexpectedElement("GetCareDocumentation"));
        }
        Query::parse(body, NAMESPACE, CORE_NS, SPELLING)
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetCareDocumentation",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        req.write_fields(&mut w, SPELLING);
        w.close("tns:GetCareDocumentation");
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
                let header = d
                    .child(CORE_NS, "careDocumentationHeader")
                    .ok_or(ContractError::Missing("careDocumentationHeader"))?;
                let note = d
                    .child(CORE_NS, "careDocumentationBody")
                    .ok_or(ContractError::Missing("careDocumentationBody"))?
                    .child(CORE_NS, "clinicalDocumentNote")
                    .ok_or(ContractError::Missing("clinicalDocumentNote"))?;
                Ok(CareDocumentation {
                    header: PatientSummaryHeader::parse(
                        header,
                        CORE_NS,
                        HeaderSpelling::CareDocumentation,
                    )?,
                    note: ClinicalDocumentNote::parse(note)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        let result = body
            .child(RESULT_NS, "result")
            .map(|r| ResultType::parse(r, RESULT_NS))
            .transpose()?;
        Ok(Response::new(items, result))
    }

    fn write_response(resp: &Response<CareDocumentation>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 1024);
        w.open_ns(
            "tns:GetCareDocumentationResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS), ("m1", RESULT_NS)],
        );
        for item in &resp.items {
            w.open("tns:careDocumentation");
            item.header.write(
                &mut w,
                "core:careDocumentationHeader",
                HeaderSpelling::CareDocumentation,
            );
            w.open("core:careDocumentationBody");
            item.note.write(&mut w);
            w.close("core:careDocumentationBody")
                .close("tns:careDocumentation");
        }
        if let Some(r) = &resp.result {
            r.write(&mut w, "m1:result", "m1");
        }
        w.close("tns:GetCareDocumentationResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &CareDocumentation) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The note's document time, else its author time.
    fn filter_time(item: &CareDocumentation) -> &str {
        item.header
            .document_time
            .as_deref()
            .unwrap_or(&item.header.accountable.author_time)
    }

    fn view(item: &CareDocumentation) -> ItemView {
        let n = &item.note;
        let kind = n.note_code.as_deref().map(note_type_name);
        let title = n
            .title
            .clone()
            .or_else(|| item.header.document_title.clone())
            .or_else(|| kind.map(str::to_owned))
            .unwrap_or_else(|| "Anteckning".into());
        let mut fields = Vec::new();
        if let Some(k) = kind {
            fields.push(("Anteckningstyp", k.to_owned()));
        }
        if let Some(name) = &item.header.accountable.name {
            fields.push(("Signerad av", name.clone()));
        }
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: n.text.clone(),
            attention: false,
        }
    }
}

/// Swedish name of a note type (`ClinicalDocumentNoteCodeEnum`).
pub fn note_type_name(code: &str) -> &'static str {
    NOTE_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Anteckning", |(_, name)| name)
}
