//! GetRequestActivities 2.0 (`urn:riv:crm:requeststatus:GetRequestActivitiesResponder:2`):
//! the status flow of referrals (remisstatus). Categorization `req-act`, service domain
//! `riv:crm:requeststatus`.
//!
//! One item is one status row (`requestActivity`): a second-generation `header`
//! (`accessControlHeader` with care giver, care unit, `blockComparisonTime` and
//! `approvedForPatient`; `sourceSystemId`; `record` with the row's id and creation time; the
//! documenting `author`) and a `body` (`statusCode` in KV Status vårdbegäran, `eventTime`, and
//! the `request`: referral id, type, medium, referring professional and unit, receiving unit).
//! Every element is modelled except `lockTime` ("ska ej användas" in the TKB), which is ignored
//! when reading and never written; extension elements are ignored.
//!
//! Quirks and npo's decisions:
//! - The response carries no patient identity (the patient is the one asked for) and no
//!   `result` element. npo needs the patient in every item (filters, merging, logging), so it
//!   writes it as `accessControlHeader/originalPatientId` ("the id the row was stored under"),
//!   and reading requires that element: a response without it is refused
//!   (`Missing("originalPatientId")`) rather than shown without a patient. [`Response::result`]
//!   is never written.
//! - Identifiers are `IIType` (`root` OID, `extension` value). Request filters (`careUnitHSAId`,
//!   `careGiverHSAId`, `sourceSystemHSAId`) must have the HSA root `1.2.752.129.2.1.4.1` and an
//!   extension; `patientId` has the identity type as root (personnummer, samordningsnummer).
//! - The request filters `careGiverHSAId*` and `typeOfRequest*` are not part of the shared
//!   [`Query`]; they are kept in [`RequestActivitiesRequest`].
//! - The document id is the row's `record/id` (its extension, else its root); the referral id
//!   is `body/request/id`, shared by all rows of one referral.
//! - KV Status vårdbegäran (1.2.752.129.2.2.2.43) is published only in part (1 skickad,
//!   7 svar mottaget, 11 makulerad); [`STATUS_CODES`] fills in npo's provisional reading. The
//!   view prefers the message's own `displayName`.

use crate::common::{
    ContractError, Cv, DatePeriod, ItemMeta, PersonId, Query, check_timestamp, opt, parse_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::contracts::request_activities_v1::{medium_name, party, request_type_name};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str = "urn:riv:crm:requeststatus:GetRequestActivitiesResponder:2";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:crm:requeststatus:2";
/// OID of HSA-ids (the `root` of care-giver, care-unit, system and person HSA-ids).
pub const HSA_OID: &str = "1.2.752.129.2.1.4.1";
/// OID of KV Status vårdbegäran (`statusCode`).
pub const STATUS_OID: &str = "1.2.752.129.2.2.2.43";
pub use crate::contracts::request_activities_v1::{MEDIUM_OID, REQUEST_TYPE_OID};

/// KV Status vårdbegäran with Swedish names: 1, 7 and 11 as published, the others npo's
/// provisional reading (module documentation).
pub const STATUS_CODES: &[(&str, &str)] = &[
    ("1", "Skickad"),
    ("2", "Mottagen"),
    ("3", "Bedömd, accepterad"),
    ("4", "Tid bokad"),
    ("5", "Utförd"),
    ("6", "Besvarad"),
    ("7", "Svar mottaget"),
    ("8", "Avvisad"),
    ("9", "Vidarebefordrad"),
    ("10", "Återkallad"),
    ("11", "Makulerad"),
];

type Result<T> = std::result::Result<T, ContractError>;

/// Swedish name of a KV Status vårdbegäran code, where known.
pub fn status_name(code: &str) -> Option<&'static str> {
    STATUS_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// `IIType`: an identifier (`root` OID or UUID, optional `extension`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ii {
    pub root: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

impl Ii {
    pub fn new(root: &str, extension: &str) -> Self {
        Ii {
            root: root.into(),
            extension: Some(extension.into()),
        }
    }

    /// An HSA-id.
    pub fn hsa(id: &str) -> Self {
        Ii::new(HSA_OID, id)
    }

    /// The identifying value: the extension, else the root.
    pub fn value(&self) -> &str {
        self.extension.as_deref().unwrap_or(&self.root)
    }

    pub fn parse(el: &Element) -> Result<Self> {
        Ok(Ii {
            root: req(el, CORE_NS, "root")?.to_owned(),
            extension: opt(el, CORE_NS, "extension"),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:root", &self.root)
            .opt_text("core:extension", self.extension.as_deref())
            .close(tag);
    }
}

fn opt_ii(el: &Element, name: &str) -> Result<Option<Ii>> {
    el.child(CORE_NS, name).map(Ii::parse).transpose()
}

fn req_ii(el: &Element, name: &'static str) -> Result<Ii> {
    Ii::parse(
        el.child(CORE_NS, name)
            .ok_or(ContractError::Missing(name))?,
    )
}

fn opt_cv(el: &Element, name: &str) -> Option<Cv> {
    el.child(CORE_NS, name).map(|c| Cv::parse(c, CORE_NS))
}

fn req_cv(el: &Element, name: &'static str) -> Result<Cv> {
    Ok(Cv::parse(
        el.child(CORE_NS, name)
            .ok_or(ContractError::Missing(name))?,
        CORE_NS,
    ))
}

fn ts(el: &Element, name: &'static str) -> Result<String> {
    check_timestamp(req(el, CORE_NS, name)?.to_owned(), name)
}

/// A request filter that is an HSA-id (`root` must be [`HSA_OID`]).
fn hsa_filter(el: &Element, name: &'static str) -> Result<String> {
    let ii = Ii::parse(el)?;
    if ii.root != HSA_OID {
        return Err(ContractError::Invalid(name, "root is not the HSA OID"));
    }
    ii.extension.ok_or(ContractError::Missing("extension"))
}

fn person(ii: Ii, name: &'static str) -> Result<PersonId> {
    Ok(PersonId {
        id: ii.extension.ok_or(ContractError::Missing(name))?,
        type_: ii.root,
    })
}

fn write_person(w: &mut XmlWriter, tag: &str, p: &PersonId) {
    w.open(tag)
        .text("core:root", &p.type_)
        .text("core:extension", &p.id)
        .close(tag);
}

/// The request: the shared filters and the two this contract adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestActivitiesRequest {
    /// `careUnitHSAId*`, `patientId`, `datePeriod` and `sourceSystemHSAId` (care contacts are
    /// not a filter of this contract: never written, always read back empty).
    pub query: Query,
    /// `careGiverHSAId*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub care_giver_ids: Vec<String>,
    /// `typeOfRequest*` (KV Framställantyp).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types_of_request: Vec<Cv>,
}

impl From<Query> for RequestActivitiesRequest {
    fn from(query: Query) -> Self {
        RequestActivitiesRequest {
            query,
            care_giver_ids: Vec::new(),
            types_of_request: Vec::new(),
        }
    }
}

impl RequestActivitiesRequest {
    pub fn for_patient(patient: PersonId) -> Self {
        RequestActivitiesRequest {
            query: Query::for_patient(patient),
            care_giver_ids: Vec::new(),
            types_of_request: Vec::new(),
        }
    }
}

/// One status row of a referral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestActivity {
    pub header: Header,
    pub body: RequestActivityBody,
}

/// `HeaderType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub access_control: AccessControlHeader,
    /// `sourceSystemId` (HSA root, the system's HSA-id as extension).
    pub source_system_id: Ii,
    pub record: Record,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
}

/// `AccessControlHeaderType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessControlHeader {
    /// `accountableHealthcareProvider`: the care giver (HSA-id, or organisation number with
    /// root 1.2.752.29.4.3).
    pub accountable_care_giver: Ii,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountable_care_unit: Option<Ii>,
    /// The patient, written as `originalPatientId` (module documentation).
    pub patient_id: PersonId,
    /// `careProcessId` (a UUID as root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_process_id: Option<Ii>,
    pub block_comparison_time: String,
    pub approved_for_patient: bool,
}

/// `RecordType`: the row's id and when it was created in the source system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub id: Ii,
    pub timestamp: String,
}

/// `AuthorType`: who documented the row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub timestamp: String,
    /// Befattning (HSA code system 1.2.752.129.2.2.1.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_role: Option<Cv>,
}

/// `RequestActivityBodyType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestActivityBody {
    /// KV Status vårdbegäran.
    pub status_code: Cv,
    /// When the referral reached the status.
    pub event_time: String,
    pub request: RequestInfo,
}

/// `RequestType`: the referral the row is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestInfo {
    /// The referral id (remiss-id), the same for every row of the referral.
    pub id: String,
    /// KV Framställantyp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<Cv>,
    /// KV Form av framställan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<Cv>,
    /// The referring professional (remittent) and unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<RequestAuthor>,
    pub receiving_organization: Organization,
}

/// `RequestAuthorType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestAuthor {
    pub name: String,
    pub organization: Organization,
}

/// `OrganizationType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    pub name: String,
}

impl Organization {
    fn parse(el: &Element) -> Result<Self> {
        Ok(Organization {
            id: opt_ii(el, "id")?,
            name: req(el, CORE_NS, "name")?.to_owned(),
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag);
        if let Some(id) = &self.id {
            id.write(w, "core:id");
        }
        w.text("core:name", &self.name).close(tag);
    }
}

impl RequestActivity {
    fn parse(el: &Element) -> Result<Self> {
        let ns = CORE_NS;
        let h = el
            .child(ns, "header")
            .ok_or(ContractError::Missing("header"))?;
        let a = h
            .child(ns, "accessControlHeader")
            .ok_or(ContractError::Missing("accessControlHeader"))?;
        let access_control = AccessControlHeader {
            accountable_care_giver: req_ii(a, "accountableHealthcareProvider")?,
            accountable_care_unit: opt_ii(a, "accountableCareUnit")?,
            patient_id: person(req_ii(a, "originalPatientId")?, "originalPatientId")?,
            care_process_id: opt_ii(a, "careProcessId")?,
            block_comparison_time: ts(a, "blockComparisonTime")?,
            approved_for_patient: parse_bool(
                req(a, ns, "approvedForPatient")?,
                "approvedForPatient",
            )?,
        };
        let r = h
            .child(ns, "record")
            .ok_or(ContractError::Missing("record"))?;
        let record = Record {
            id: req_ii(r, "id")?,
            timestamp: ts(r, "timestamp")?,
        };
        let author = h
            .child(ns, "author")
            .map(|au| {
                Ok::<_, ContractError>(Author {
                    id: opt_ii(au, "id")?,
                    name: opt(au, ns, "name"),
                    timestamp: ts(au, "timestamp")?,
                    by_role: opt_cv(au, "byRole"),
                })
            })
            .transpose()?;
        let header = Header {
            access_control,
            source_system_id: req_ii(h, "sourceSystemId")?,
            record,
            author,
        };

        let b = el.child(ns, "body").ok_or(ContractError::Missing("body"))?;
        let q = b
            .child(ns, "request")
            .ok_or(ContractError::Missing("request"))?;
        let request = RequestInfo {
            id: req(q, ns, "id")?.to_owned(),
            type_: opt_cv(q, "type"),
            medium: opt_cv(q, "medium"),
            author: q
                .child(ns, "author")
                .map(|au| {
                    Ok::<_, ContractError>(RequestAuthor {
                        name: req(au, ns, "name")?.to_owned(),
                        organization: Organization::parse(
                            au.child(ns, "organization")
                                .ok_or(ContractError::Missing("organization"))?,
                        )?,
                    })
                })
                .transpose()?,
            receiving_organization: Organization::parse(
                q.child(ns, "receivingOrganization")
                    .ok_or(ContractError::Missing("receivingOrganization"))?,
            )?,
        };
        let body = RequestActivityBody {
            status_code: req_cv(b, "statusCode")?,
            event_time: ts(b, "eventTime")?,
            request,
        };
        Ok(RequestActivity { header, body })
    }

    fn write(&self, w: &mut XmlWriter) {
        let h = &self.header;
        let a = &h.access_control;
        w.open("tns:requestActivity")
            .open("core:header")
            .open("core:accessControlHeader");
        a.accountable_care_giver
            .write(w, "core:accountableHealthcareProvider");
        if let Some(u) = &a.accountable_care_unit {
            u.write(w, "core:accountableCareUnit");
        }
        write_person(w, "core:originalPatientId", &a.patient_id);
        if let Some(c) = &a.care_process_id {
            c.write(w, "core:careProcessId");
        }
        w.text("core:blockComparisonTime", &a.block_comparison_time)
            .bool("core:approvedForPatient", a.approved_for_patient)
            .close("core:accessControlHeader");
        h.source_system_id.write(w, "core:sourceSystemId");
        w.open("core:record");
        h.record.id.write(w, "core:id");
        w.text("core:timestamp", &h.record.timestamp)
            .close("core:record");
        if let Some(au) = &h.author {
            w.open("core:author");
            if let Some(id) = &au.id {
                id.write(w, "core:id");
            }
            w.opt_text("core:name", au.name.as_deref())
                .text("core:timestamp", &au.timestamp);
            if let Some(r) = &au.by_role {
                r.write(w, "core:byRole");
            }
            w.close("core:author");
        }
        w.close("core:header");

        let b = &self.body;
        let q = &b.request;
        w.open("core:body");
        b.status_code.write(w, "core:statusCode");
        w.text("core:eventTime", &b.event_time)
            .open("core:request")
            .text("core:id", &q.id);
        if let Some(t) = &q.type_ {
            t.write(w, "core:type");
        }
        if let Some(m) = &q.medium {
            m.write(w, "core:medium");
        }
        if let Some(au) = &q.author {
            w.open("core:author").text("core:name", &au.name);
            au.organization.write(w, "core:organization");
            w.close("core:author");
        }
        q.receiving_organization
            .write(w, "core:receivingOrganization");
        w.close("core:request")
            .close("core:body")
            .close("tns:requestActivity");
    }

    /// The status in Swedish: the message's display name, else the code's name.
    pub fn status_text(&self) -> String {
        let c = &self.body.status_code;
        c.display_name
            .clone()
            .or_else(|| c.code.as_deref().and_then(status_name).map(str::to_owned))
            .or_else(|| c.original_text.clone())
            .unwrap_or_else(|| format!("Status {}", c.code.as_deref().unwrap_or("okänd")))
    }

    /// True for a rejected referral (avvisad).
    pub fn is_rejected(&self) -> bool {
        let c = &self.body.status_code;
        (c.code.as_deref() == Some("8") && c.code_system.as_deref().is_none_or(|s| s == STATUS_OID))
            || c.display_name
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case("avvisad"))
    }
}

/// The GetRequestActivities 2.0 contract.
pub struct GetRequestActivitiesV2;

impl Contract for GetRequestActivitiesV2 {
    const NAME: &'static str = "GetRequestActivities";
    const VERSION: &'static str = "2.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:crm:requeststatus";
    const CATEGORIZATION: &'static str = "req-act";
    const HAS_RESULT: bool = false;

    type Request = RequestActivitiesRequest;
    type Item = RequestActivity;

    fn parse_request(body: &Element) -> Result<RequestActivitiesRequest> {
        if !body.is(NAMESPACE, "GetRequestActivities") {
            return Err(ContractError::UnexpectedElement("GetRequestActivities"));
        }
        let tns = NAMESPACE;
        let patient = Ii::parse(
            body.child(tns, "patientId")
                .ok_or(ContractError::Missing("patientId"))?,
        )?;
        Ok(RequestActivitiesRequest {
            query: Query {
                care_unit_ids: body
                    .children_named(tns, "careUnitHSAId")
                    .map(|c| hsa_filter(c, "careUnitHSAId"))
                    .collect::<Result<_>>()?,
                patient_id: person(patient, "patientId")?,
                period: body
                    .child(tns, "datePeriod")
                    .map(|p| DatePeriod::parse(p, CORE_NS))
                    .transpose()?,
                source_system_id: body
                    .child(tns, "sourceSystemHSAId")
                    .map(|s| hsa_filter(s, "sourceSystemHSAId"))
                    .transpose()?,
                care_contact_ids: Vec::new(),
            },
            care_giver_ids: body
                .children_named(tns, "careGiverHSAId")
                .map(|c| hsa_filter(c, "careGiverHSAId"))
                .collect::<Result<_>>()?,
            types_of_request: body
                .children_named(tns, "typeOfRequest")
                .map(|t| Cv::parse(t, CORE_NS))
                .collect(),
        })
    }

    fn write_request(req: &RequestActivitiesRequest) -> String {
        let q = &req.query;
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetRequestActivities",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for u in &q.care_unit_ids {
            Ii::hsa(u).write(&mut w, "tns:careUnitHSAId");
        }
        for g in &req.care_giver_ids {
            Ii::hsa(g).write(&mut w, "tns:careGiverHSAId");
        }
        write_person(&mut w, "tns:patientId", &q.patient_id);
        if let Some(p) = &q.period {
            p.write(&mut w, "tns:datePeriod");
        }
        if let Some(s) = &q.source_system_id {
            Ii::hsa(s).write(&mut w, "tns:sourceSystemHSAId");
        }
        for t in &req.types_of_request {
            t.write(&mut w, "tns:typeOfRequest");
        }
        w.close("tns:GetRequestActivities");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<RequestActivity>> {
        if !body.is(NAMESPACE, "GetRequestActivitiesResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetRequestActivitiesResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "requestActivity")
            .map(RequestActivity::parse)
            .collect::<Result<Vec<_>>>()?;
        Ok(Response::new(items, None))
    }

    /// Writes the items; the contract has no `result` element, so `resp.result` is dropped.
    fn write_response(resp: &Response<RequestActivity>) -> String {
        let mut w = XmlWriter::with_capacity(256 + resp.items.len() * 1536);
        w.open_ns(
            "tns:GetRequestActivitiesResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            item.write(&mut w);
        }
        w.close("tns:GetRequestActivitiesResponse");
        w.finish()
    }

    fn query(req: &RequestActivitiesRequest) -> &Query {
        &req.query
    }

    fn query_mut(req: &mut RequestActivitiesRequest) -> &mut Query {
        &mut req.query
    }

    /// Document id: `record/id`; registration time: `blockComparisonTime`; care unit and giver
    /// from the access-control header.
    fn meta(item: &RequestActivity) -> ItemMeta<'_> {
        let h = &item.header;
        let a = &h.access_control;
        ItemMeta {
            document_id: h.record.id.value(),
            source_system: h.source_system_id.value(),
            patient_id: &a.patient_id,
            registration_time: &a.block_comparison_time,
            care_unit: a.accountable_care_unit.as_ref().map(Ii::value),
            care_giver: Some(a.accountable_care_giver.value()),
            approved_for_patient: a.approved_for_patient,
            care_contact_id: None,
        }
    }

    /// The event time (when the referral reached the status).
    fn filter_time(item: &RequestActivity) -> &str {
        &item.body.event_time
    }

    fn view(item: &RequestActivity) -> ItemView {
        let q = &item.body.request;
        let status = item.status_text();
        let cv_name = |c: &Cv, names: fn(&str) -> Option<&'static str>| {
            c.display_name
                .clone()
                .or_else(|| c.code.as_deref().and_then(names).map(str::to_owned))
                .or_else(|| c.original_text.clone())
                .or_else(|| c.code.as_ref().map(|code| format!("Kod {code}")))
        };
        let kind = q
            .type_
            .as_ref()
            .and_then(|t| t.code.as_deref())
            .and_then(request_type_name)
            .unwrap_or("Remiss");
        let title = format!(
            "{kind} till {}: {}",
            q.receiving_organization.name,
            status.to_lowercase()
        );
        let mut fields = vec![("Status", status)];
        if let Some(t) = q.type_.as_ref().and_then(|t| cv_name(t, request_type_name)) {
            fields.push(("Remisstyp", t));
        }
        if let Some(m) = q.medium.as_ref().and_then(|m| cv_name(m, medium_name)) {
            fields.push(("Form", m));
        }
        if let Some(a) = &q.author
            && let Some(s) = party(Some(&a.name), Some(&a.organization.name), None)
        {
            fields.push(("Remittent", s));
        }
        fields.push(("Mottagare", q.receiving_organization.name.clone()));
        fields.push(("Remiss-id", q.id.clone()));
        if let Some(name) = item.header.author.as_ref().and_then(|a| a.name.clone()) {
            fields.push(("Registrerad av", name));
        }
        ItemView {
            title,
            time: item.body.event_time.clone(),
            fields,
            text: None,
            attention: item.is_rejected(),
        }
    }
}
