//! GetRequestActivities 1.0 (`urn:riv:crm:requeststatus:GetRequestActivitiesResponder:1`):
//! the status flow of referrals (remisstatus). Categorization `req-act`, service domain
//! `riv:crm:requeststatus`.
//!
//! One item is one status row (`requestActivity`): a referral (identified by the sender's and
//! the receiver's request ids) reached a status (`statusCode`) at `eventTime`, e.g. sent,
//! received, accepted, booked, performed, answered. Every element of `RequestActivityType` is
//! modelled; extension elements are ignored when reading.
//!
//! This first version is not shaped like the clinical-process contracts:
//! - The request is `subjectOfCareId`, `careUnitId*`, `typeOfRequest*`, `fromDate?`, `toDate?`
//!   ([`RequestActivitiesRequest`]): no source-system filter, no care contacts, and the period
//!   is two optional timestamps. [`Query::period`] holds their days (an open end is
//!   [`OPEN_START`] / [`OPEN_END`]); the exact timestamps are kept beside it.
//! - Items have no document id, no care giver and no `approvedForPatient`. npo's document id is
//!   [`RequestActivity::key`]: the referral id (`senderRequestId`, else `receiverRequestId`)
//!   qualified by status code and event time, because one referral has several status rows and
//!   the document id must tell them apart (storage, merging). It is not on the wire; reading
//!   sets it. `approved_for_patient` is `false` for every 1.0 item: nothing in the message says
//!   that a professional has judged the row fit to share with the patient, so npo fails closed
//!   (GetRequestActivities 2.0 carries the flag). The care giver is unknown (`None`): under
//!   npo's rule that records without care unit and care giver are never shown to clinicians,
//!   1.0 rows stay hidden unless the care giver is learnt another way (2.0 carries it).
//! - The response has no `result` element: [`Response::result`] is never written.
//!
//! Schema defect: like AssertCareEngagement, the schema restricts `subjectOfCareId` with
//! `^[0-9]{8}[0-9pPtTfF][0-9]{3}$`, and in XML Schema `^` and `$` are ordinary characters, so
//! xmllint rejects every real id. npo writes and accepts the plain 12 characters (the evident
//! intent); the tests validate against a copy of the schema with that one facet corrected.
//!
//! Code lists: `typeOfRequest` is KV Framställantyp (1.2.752.129.2.2.2.24; 1 röntgenremiss,
//! 2 labbremiss, 4 allmänremiss, 10 fysiologremiss), `requestMedium` KV Form av framställan
//! (1.2.752.129.2.2.2.7; 3 skriftligt elektroniskt, 4 skriftligt papper). The schema enumerates
//! `statusCode` values 10–170 without their meaning; [`STATUS_CODES`] is npo's provisional
//! reading (tens of the 2.0 codes of KV Status vårdbegäran, where 1 = skickad, 7 = svar
//! mottaget and 11 = makulerad are published), to be verified against Inera's code server.

use crate::common::{
    ContractError, DatePeriod, ItemMeta, OID_PERSONNUMMER, OID_SAMORDNINGSNUMMER, PersonId, Query,
    opt, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::ei::{is_resident_id, is_timestamp_ei};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str = "urn:riv:crm:requeststatus:GetRequestActivitiesResponder:1";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:crm:requeststatus:1";
/// The `subjectOfCareId` pattern as published (see the module documentation).
pub const SUBJECT_OF_CARE_PATTERN_AS_PUBLISHED: &str = "^[0-9]{8}[0-9pPtTfF][0-9]{3}$";
/// The pattern the schema means.
pub const SUBJECT_OF_CARE_PATTERN: &str = "[0-9]{8}[0-9pPtTfF][0-9]{3}";

/// OID of KV Framställantyp (`typeOfRequest`).
pub const REQUEST_TYPE_OID: &str = "1.2.752.129.2.2.2.24";
/// OID of KV Form av framställan (`requestMedium`).
pub const MEDIUM_OID: &str = "1.2.752.129.2.2.2.7";

/// `RequestTypeCodeEnum` and `SubmissionMediumCodeEnum`.
pub const CODES_1_TO_10: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

/// `StatusCodeEnum`, with npo's provisional Swedish names (see the module documentation);
/// `None` where no meaning is known.
pub const STATUS_CODES: &[(&str, Option<&str>)] = &[
    ("10", Some("Skickad")),
    ("20", Some("Mottagen")),
    ("30", Some("Bedömd, accepterad")),
    ("40", Some("Tid bokad")),
    ("50", Some("Utförd")),
    ("60", Some("Besvarad")),
    ("70", Some("Svar mottaget")),
    ("80", Some("Avvisad")),
    ("90", Some("Vidarebefordrad")),
    ("100", Some("Återkallad")),
    ("110", Some("Makulerad")),
    ("120", None),
    ("126", None),
    ("130", None),
    ("136", None),
    ("140", None),
    ("150", None),
    ("160", None),
    ("170", None),
];

/// The day [`Query::period`] starts on when the request has no `fromDate`.
pub const OPEN_START: &str = "10000101";
/// The day [`Query::period`] ends on when the request has no `toDate`.
pub const OPEN_END: &str = "99991231";

type Result<T> = std::result::Result<T, ContractError>;

/// Swedish name of a KV Framställantyp code (`typeOfRequest`), where known.
pub fn request_type_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Röntgenremiss",
        "2" => "Laboratorieremiss",
        "4" => "Remiss",
        "10" => "Fysiologremiss",
        _ => return None,
    })
}

/// Swedish name of a KV Form av framställan code (`requestMedium`), where known.
pub fn medium_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "3" => "Elektronisk remiss",
        "4" => "Pappersremiss",
        _ => return None,
    })
}

/// npo's provisional Swedish name of a 1.0 status code.
pub fn status_name(code: &str) -> Option<&'static str> {
    STATUS_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .and_then(|(_, n)| *n)
}

/// The identity type of a `subjectOfCareId`: personnummer, samordningsnummer (day + 60), or
/// unknown (empty; a reserve number with a letter).
pub fn person_id(id: &str) -> PersonId {
    let digits = id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit());
    let day: u32 = id.get(6..8).and_then(|d| d.parse().ok()).unwrap_or(0);
    let type_ = if !digits {
        ""
    } else if day > 60 {
        OID_SAMORDNINGSNUMMER
    } else {
        OID_PERSONNUMMER
    };
    PersonId {
        id: id.to_owned(),
        type_: type_.to_owned(),
    }
}

/// The request: the shared filters npo applies (patient, care units, period) and the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestActivitiesRequest {
    /// `subjectOfCareId` (patient), `careUnitId*` (care units) and the days of
    /// `fromDate`/`toDate` (period). Source system and care contacts are not filters of this
    /// contract: they are not written and always read back empty.
    pub query: Query,
    /// `typeOfRequest*`: KV Framställantyp codes (`1`–`10`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types_of_request: Vec<String>,
    /// The exact `fromDate`, when it falls on the period's first day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_time: Option<String>,
    /// The exact `toDate`, when it falls on the period's last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_time: Option<String>,
}

impl From<Query> for RequestActivitiesRequest {
    fn from(query: Query) -> Self {
        RequestActivitiesRequest {
            query,
            types_of_request: Vec::new(),
            from_time: None,
            to_time: None,
        }
    }
}

impl RequestActivitiesRequest {
    pub fn for_patient(id: &str) -> Self {
        RequestActivitiesRequest {
            query: Query::for_patient(person_id(id)),
            types_of_request: Vec::new(),
            from_time: None,
            to_time: None,
        }
    }

    /// `fromDate` and `toDate` as written: the kept timestamps where they agree with the
    /// period, else the period's first and last second; nothing for an open end.
    pub fn bounds(&self) -> (Option<String>, Option<String>) {
        let Some(p) = &self.query.period else {
            return (None, None);
        };
        let from = if p.start == OPEN_START {
            None
        } else {
            Some(match &self.from_time {
                Some(t) if t.starts_with(p.start.as_str()) => t.clone(),
                _ => format!("{}000000", p.start),
            })
        };
        let to = if p.end == OPEN_END {
            None
        } else {
            Some(match &self.to_time {
                Some(t) if t.starts_with(p.end.as_str()) => t.clone(),
                _ => format!("{}235959", p.end),
            })
        };
        (from, to)
    }
}

/// One status row of a referral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestActivity {
    /// npo's key, not on the wire: [`RequestActivity::key`].
    pub document_id: String,
    /// `subjectOfCareId` (the type is derived from the id, see [`person_id`]).
    pub subject_of_care_id: PersonId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_request_id: Option<String>,
    /// KV Framställantyp code (`1`–`10`).
    pub type_of_request: String,
    /// KV Form av framställan code (`1`–`10`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_medium: Option<String>,
    /// The referring professional (remittent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by_person_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by_unit_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by_unit_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_person_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_unit_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_unit_description: Option<String>,
    /// The care unit that holds the row (`careUnit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_unit: Option<String>,
    /// The source system (`logicalSystemId`).
    pub logical_system_id: String,
    /// `StatusCodeEnum` (`10`–`170`).
    pub status_code: String,
    /// When the referral reached the status, `YYYYMMDDhhmmss`.
    pub event_time: String,
}

impl RequestActivity {
    /// The referral's id: the sender's, else the receiver's.
    pub fn request_id(&self) -> Option<&str> {
        self.sender_request_id
            .as_deref()
            .or(self.receiver_request_id.as_deref())
    }

    /// npo's document id of the row: `<request id>:<statusCode>:<eventTime>`.
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.request_id().unwrap_or(""),
            self.status_code,
            self.event_time
        )
    }

    /// The row with [`RequestActivity::document_id`] set to [`RequestActivity::key`].
    pub fn keyed(mut self) -> Self {
        self.document_id = self.key();
        self
    }

    fn parse(el: &Element) -> Result<Self> {
        let ns = CORE_NS;
        let subject = req(el, ns, "subjectOfCareId")?;
        if !is_resident_id(subject) {
            return Err(ContractError::Invalid(
                "subjectOfCareId",
                "expected 12 characters",
            ));
        }
        let item = RequestActivity {
            document_id: String::new(),
            subject_of_care_id: person_id(subject),
            sender_request_id: opt(el, ns, "senderRequestId"),
            receiver_request_id: opt(el, ns, "receiverRequestId"),
            type_of_request: code(
                req(el, ns, "typeOfRequest")?,
                CODES_1_TO_10,
                "typeOfRequest",
            )?,
            request_medium: opt(el, ns, "requestMedium")
                .map(|m| code(&m, CODES_1_TO_10, "requestMedium"))
                .transpose()?,
            issued_by_person_name: opt(el, ns, "requestIssuedByPersonName"),
            issued_by_unit_id: opt(el, ns, "requestIssuedByOrganizationalUnitId"),
            issued_by_unit_description: opt(el, ns, "requestIssuedByOrganizationalUnitDescription"),
            receiving_person_name: opt(el, ns, "receivingPersonName"),
            receiving_unit_id: opt(el, ns, "receivingOrganizationalUnitId"),
            receiving_unit_description: opt(el, ns, "receivingOrganizationalUnitDescription"),
            care_unit: opt(el, ns, "careUnit"),
            logical_system_id: req(el, ns, "logicalSystemId")?.to_owned(),
            status_code: {
                let s = req(el, ns, "statusCode")?;
                if !STATUS_CODES.iter().any(|(c, _)| *c == s) {
                    return Err(ContractError::Invalid("statusCode", "not an allowed code"));
                }
                s.to_owned()
            },
            event_time: timestamp(req(el, ns, "eventTime")?, "eventTime")?,
        };
        Ok(item.keyed())
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("tns:requestActivity")
            .text("core:subjectOfCareId", &self.subject_of_care_id.id)
            .opt_text("core:senderRequestId", self.sender_request_id.as_deref())
            .opt_text(
                "core:receiverRequestId",
                self.receiver_request_id.as_deref(),
            )
            .text("core:typeOfRequest", &self.type_of_request)
            .opt_text("core:requestMedium", self.request_medium.as_deref())
            .opt_text(
                "core:requestIssuedByPersonName",
                self.issued_by_person_name.as_deref(),
            )
            .opt_text(
                "core:requestIssuedByOrganizationalUnitId",
                self.issued_by_unit_id.as_deref(),
            )
            .opt_text(
                "core:requestIssuedByOrganizationalUnitDescription",
                self.issued_by_unit_description.as_deref(),
            )
            .opt_text(
                "core:receivingPersonName",
                self.receiving_person_name.as_deref(),
            )
            .opt_text(
                "core:receivingOrganizationalUnitId",
                self.receiving_unit_id.as_deref(),
            )
            .opt_text(
                "core:receivingOrganizationalUnitDescription",
                self.receiving_unit_description.as_deref(),
            )
            .opt_text("core:careUnit", self.care_unit.as_deref())
            .text("core:logicalSystemId", &self.logical_system_id)
            .text("core:statusCode", &self.status_code)
            .text("core:eventTime", &self.event_time)
            .close("tns:requestActivity");
    }
}

fn code(v: &str, allowed: &[&str], name: &'static str) -> Result<String> {
    if allowed.contains(&v) {
        Ok(v.to_owned())
    } else {
        Err(ContractError::Invalid(name, "not an allowed code"))
    }
}

/// The domain's `TS`: `YYYYMMDDhhmmss` (years 1000–9999).
fn timestamp(v: &str, name: &'static str) -> Result<String> {
    if is_timestamp_ei(v) {
        Ok(v.to_owned())
    } else {
        Err(ContractError::Invalid(name, "expected YYYYMMDDhhmmss"))
    }
}

/// The GetRequestActivities 1.0 contract.
pub struct GetRequestActivitiesV1;

impl Contract for GetRequestActivitiesV1 {
    const NAME: &'static str = "GetRequestActivities";
    const VERSION: &'static str = "1.0";
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
        let subject = req(body, tns, "subjectOfCareId")?;
        if !is_resident_id(subject) {
            return Err(ContractError::Invalid(
                "subjectOfCareId",
                "expected 12 characters",
            ));
        }
        let from_time = opt(body, tns, "fromDate")
            .map(|t| timestamp(&t, "fromDate"))
            .transpose()?;
        let to_time = opt(body, tns, "toDate")
            .map(|t| timestamp(&t, "toDate"))
            .transpose()?;
        if let (Some(f), Some(t)) = (&from_time, &to_time)
            && f > t
        {
            return Err(ContractError::Invalid("fromDate", "after toDate"));
        }
        let period = (from_time.is_some() || to_time.is_some()).then(|| DatePeriod {
            start: from_time
                .as_deref()
                .map_or(OPEN_START, |t| &t[..8])
                .to_owned(),
            end: to_time.as_deref().map_or(OPEN_END, |t| &t[..8]).to_owned(),
        });
        Ok(RequestActivitiesRequest {
            query: Query {
                care_unit_ids: crate::common::many(body, tns, "careUnitId"),
                patient_id: person_id(subject),
                period,
                source_system_id: None,
                care_contact_ids: Vec::new(),
            },
            types_of_request: body
                .children_named(tns, "typeOfRequest")
                .map(|t| code(t.text(), CODES_1_TO_10, "typeOfRequest"))
                .collect::<Result<_>>()?,
            from_time,
            to_time,
        })
    }

    fn write_request(req: &RequestActivitiesRequest) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns("tns:GetRequestActivities", &[("tns", NAMESPACE)])
            .text("tns:subjectOfCareId", &req.query.patient_id.id);
        for u in &req.query.care_unit_ids {
            w.text("tns:careUnitId", u);
        }
        for t in &req.types_of_request {
            w.text("tns:typeOfRequest", t);
        }
        let (from, to) = req.bounds();
        w.opt_text("tns:fromDate", from.as_deref())
            .opt_text("tns:toDate", to.as_deref())
            .close("tns:GetRequestActivities");
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
        let mut w = XmlWriter::with_capacity(256 + resp.items.len() * 768);
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

    /// Document id: [`RequestActivity::key`]; registration time: the event time; care unit:
    /// `careUnit`; no care giver, never approved for the patient (module documentation).
    fn meta(item: &RequestActivity) -> ItemMeta<'_> {
        ItemMeta {
            document_id: &item.document_id,
            source_system: &item.logical_system_id,
            patient_id: &item.subject_of_care_id,
            registration_time: &item.event_time,
            care_unit: item.care_unit.as_deref(),
            care_giver: None,
            approved_for_patient: false,
            care_contact_id: None,
        }
    }

    /// The event time (when the referral reached the status).
    fn filter_time(item: &RequestActivity) -> &str {
        &item.event_time
    }

    fn view(item: &RequestActivity) -> ItemView {
        let status = status_name(&item.status_code)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Status {}", item.status_code));
        let kind = request_type_name(&item.type_of_request).unwrap_or("Remiss");
        let receiver = item
            .receiving_unit_description
            .as_deref()
            .or(item.receiving_unit_id.as_deref());
        let title = match receiver {
            Some(r) => format!("{kind} till {r}: {}", status.to_lowercase()),
            None => format!("{kind}: {}", status.to_lowercase()),
        };
        let mut fields = vec![("Status", status)];
        fields.push((
            "Remisstyp",
            request_type_name(&item.type_of_request)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("Kod {}", item.type_of_request)),
        ));
        if let Some(m) = &item.request_medium {
            fields.push((
                "Form",
                medium_name(m)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("Kod {m}")),
            ));
        }
        if let Some(s) = party(
            item.issued_by_person_name.as_deref(),
            item.issued_by_unit_description.as_deref(),
            item.issued_by_unit_id.as_deref(),
        ) {
            fields.push(("Remittent", s));
        }
        if let Some(s) = party(
            item.receiving_person_name.as_deref(),
            item.receiving_unit_description.as_deref(),
            item.receiving_unit_id.as_deref(),
        ) {
            fields.push(("Mottagare", s));
        }
        if let Some(id) = item.request_id() {
            fields.push(("Remiss-id", id.to_owned()));
        }
        ItemView {
            title,
            time: item.event_time.clone(),
            fields,
            text: None,
            // A rejected referral needs the referring clinician's action.
            attention: item.status_code == "80",
        }
    }
}

/// "Name, unit" from what is known of a person and their unit.
pub(crate) fn party(
    person: Option<&str>,
    unit: Option<&str>,
    unit_id: Option<&str>,
) -> Option<String> {
    let unit = unit.or(unit_id);
    match (person, unit) {
        (Some(p), Some(u)) => Some(format!("{p}, {u}")),
        (Some(p), None) => Some(p.to_owned()),
        (None, Some(u)) => Some(u.to_owned()),
        (None, None) => None,
    }
}
