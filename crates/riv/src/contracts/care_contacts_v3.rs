//! GetCareContacts 3.0 (`urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:3`):
//! care contacts – visits, telephone contacts, inpatient stays, home-care contacts.
//! Categorization `vko`.
//!
//! Differences from 2.0 (the schema wins; TKB rules noted where the schema is looser):
//! - Request: `careUnitHSAId*`, then `careGiverHSAId*` (new, in [`GetCareContactsRequest`]),
//!   `patientId`, `datePeriod` (not `timePeriod`), `sourceSystemHSAId`, `careContactId*`.
//! - Response: `result` is required (a `tns` element with core children). A response whose
//!   `result` is `None` is written with `resultCode` OK and an empty `logId`, and such a bare OK
//!   result reads back as `None`.
//! - Header: the full `PatientSummaryHeaderType`, with the element order of this domain
//!   (`nullified`, `nullifiedReason`, then `careContactId`); `accountableHealthcareProfessional` is
//!   required, its HSA-id, name and org unit optional. TKB: documentTitle, documentTime,
//!   legalAuthenticator, nullified and careContactId "ska ej anges" (modelled, never required).
//!   An author org unit without `orgUnitHSAId` or `orgUnitName` (schema-valid, against TKB
//!   Regel 4) is ignored.
//! - Body: everything optional. `careContactCode` is a CV of KV Vårdkontakttyp
//!   ([`KV_VARDKONTAKTTYP`]), `careContactStatus` a CV of SNOMED CT-SE ([`SNOMED_CT_SE`],
//!   [`STATUS_CODES`]); `careContactOrgUnit` has optional id and name ([`ContactOrgUnit`]).
//!
//! Not modelled (ignored when reading): `additionalPatientInformation` and `xs:any` extensions.

use crate::common::{
    ContractError, Cv, DatePeriod, HealthcareProfessional, ItemMeta, LegalAuthenticator, OrgUnit,
    PatientSummaryHeader, PersonId, Query, QuerySpelling, ResultCode, ResultType, check_timestamp,
    many, opt, opt_bool, parse_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::contracts::care_contacts_v2::TimePeriod;
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:3";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:logistics:logistics:3";
/// OID of KV Vårdkontakttyp (`careContactCode`).
pub const KV_VARDKONTAKTTYP: &str = "1.2.752.129.2.2.2.25";
/// OID of SNOMED CT-SE (`careContactStatus`, value set SCTID 53761000052103).
pub const SNOMED_CT_SE: &str = "1.2.752.116.2.1.1";

/// KV Vårdkontakttyp codes used by npo (1.2.752.129.2.2.2.25).
pub const CONTACT_TYPE_CODES: &[(&str, &str)] = &[
    ("1", "Slutenvårdstillfälle"),
    ("2", "Öppenvårdskontakt"),
    ("4", "Hemsjukvårdskontakt"),
];

/// The care-contact status codes of the TKB (SNOMED CT-SE), with Swedish display names.
pub const STATUS_CODES: &[(&str, &str)] = &[
    ("53631000052103", "Tidbokad vårdkontakt"),
    ("53641000052109", "Inställd vårdkontakt"),
    ("53651000052107", "Pågående vårdkontakt"),
    ("53661000052105", "Avbruten vårdkontakt"),
    ("53671000052101", "Avslutad vårdkontakt"),
    ("53681000052104", "Permission från vårdkontakt"),
    ("53691000052102", "Makulerad vårdkontakt"),
    ("53701000052102", "Patient på väntelista"),
];

/// Statuses of a contact that does not go on (Inställd, Avbruten, Avslutad, Makulerad).
const ENDED_STATUS_CODES: &[&str] = &[
    "53641000052109",
    "53661000052105",
    "53671000052101",
    "53691000052102",
];

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAId",
    time_period: "datePeriod",
    source_system: "sourceSystemHSAId",
};

/// The GetCareContacts 3.0 request: the shared filters plus the care-giver filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetCareContactsRequest {
    pub query: Query,
    /// `careGiverHSAId`: only contacts whose accountable care giver is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub care_giver_ids: Vec<String>,
}

impl From<Query> for GetCareContactsRequest {
    fn from(query: Query) -> Self {
        GetCareContactsRequest {
            query,
            care_giver_ids: Vec::new(),
        }
    }
}

impl GetCareContactsRequest {
    pub fn for_patient(patient: PersonId) -> Self {
        GetCareContactsRequest {
            query: Query::for_patient(patient),
            care_giver_ids: Vec::new(),
        }
    }

    /// True if a contact matches every filter of the request; the period as the TKB says: the
    /// dates spanned by authorTime, start and end overlap the requested dates.
    pub fn matches(&self, item: &CareContact) -> bool {
        let meta = GetCareContactsV3::meta(item);
        self.query.matches_all_but_period(&meta)
            && self.query.period.as_ref().is_none_or(|p| overlaps(item, p))
            && (self.care_giver_ids.is_empty()
                || meta
                    .care_giver
                    .is_some_and(|g| self.care_giver_ids.iter().any(|c| c == g)))
    }
}

/// Whether the dates of authorTime, start and end overlap `p` (TKB rule for `datePeriod`).
fn overlaps(item: &CareContact, p: &DatePeriod) -> bool {
    fn day(t: &str) -> &str {
        t.get(..8).unwrap_or(t)
    }
    let author = day(&item.header.accountable.author_time);
    // A cancelled, aborted, finished or nullified contact without an end is not open: it
    // ended where it started.
    let ended = item.header.nullified == Some(true)
        || item
            .body
            .status
            .as_ref()
            .and_then(|s| s.code.as_deref())
            .is_some_and(|c| ENDED_STATUS_CODES.contains(&c));
    let (first, last) = match &item.body.time_period {
        Some(tp) => (
            day(&tp.start).min(author),
            tp.end
                .as_deref()
                .map(|e| day(e).max(author))
                .or_else(|| ended.then(|| day(&tp.start).max(author))),
        ),
        None => (author, Some(author)),
    };
    // An open contact (planned or ongoing) overlaps everything from its start on.
    first <= p.end.as_str() && last.is_none_or(|l| l >= p.start.as_str())
}

/// `OrgUnitType` of 3.0 for the contact's unit: every element optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactOrgUnit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telecom: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl ContactOrgUnit {
    fn parse(el: &Element) -> Self {
        let ns = CORE_NS;
        ContactOrgUnit {
            hsa_id: opt(el, ns, "orgUnitHSAId"),
            name: opt(el, ns, "orgUnitName"),
            telecom: opt(el, ns, "orgUnitTelecom"),
            email: opt(el, ns, "orgUnitEmail"),
            address: opt(el, ns, "orgUnitAddress"),
            location: opt(el, ns, "orgUnitLocation"),
        }
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .opt_text("core:orgUnitHSAId", self.hsa_id.as_deref())
            .opt_text("core:orgUnitName", self.name.as_deref())
            .opt_text("core:orgUnitTelecom", self.telecom.as_deref())
            .opt_text("core:orgUnitEmail", self.email.as_deref())
            .opt_text("core:orgUnitAddress", self.address.as_deref())
            .opt_text("core:orgUnitLocation", self.location.as_deref())
            .close(tag);
    }
}

impl From<OrgUnit> for ContactOrgUnit {
    fn from(u: OrgUnit) -> Self {
        ContactOrgUnit {
            hsa_id: Some(u.hsa_id),
            name: Some(u.name),
            telecom: u.telecom,
            email: u.email,
            address: u.address,
            location: u.location,
        }
    }
}

/// `careContactBody` of 3.0.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareContactBody {
    /// KV Vårdkontakttyp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Cv>,
    /// The reason as the patient (or a representative) states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<ContactOrgUnit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_period: Option<TimePeriod>,
    /// SNOMED CT-SE status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Cv>,
}

impl CareContactBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(CareContactBody {
            code: el.child(ns, "careContactCode").map(|c| Cv::parse(c, ns)),
            reason: opt(el, ns, "careContactReason"),
            org_unit: el
                .child(ns, "careContactOrgUnit")
                .map(ContactOrgUnit::parse),
            time_period: el
                .child(ns, "careContactTimePeriod")
                .map(|t| TimePeriod::parse(t, ns))
                .transpose()?,
            status: el.child(ns, "careContactStatus").map(|c| Cv::parse(c, ns)),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:careContactBody");
        if let Some(c) = &self.code {
            c.write(w, "core:careContactCode");
        }
        w.opt_text("core:careContactReason", self.reason.as_deref());
        if let Some(u) = &self.org_unit {
            u.write(w, "core:careContactOrgUnit");
        }
        if let Some(t) = &self.time_period {
            t.write(w, "core:careContactTimePeriod");
        }
        if let Some(s) = &self.status {
            s.write(w, "core:careContactStatus");
        }
        w.close("core:careContactBody");
    }
}

/// One care contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareContact {
    pub header: PatientSummaryHeader,
    pub body: CareContactBody,
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
            .filter(|u| opt(u, ns, "orgUnitHSAId").is_some() && opt(u, ns, "orgUnitName").is_some())
            .map(|u| OrgUnit::parse(u, ns))
            .transpose()?,
        care_unit_hsa_id: opt(el, ns, "healthcareProfessionalCareUnitHSAId"),
        care_giver_hsa_id: opt(el, ns, "healthcareProfessionalCareGiverHSAId"),
    })
}

fn parse_header(el: &Element) -> Result<PatientSummaryHeader, ContractError> {
    let ns = CORE_NS;
    Ok(PatientSummaryHeader {
        document_id: req(el, ns, "documentId")?.to_owned(),
        source_system_hsa_id: req(el, ns, "sourceSystemHSAId")?.to_owned(),
        document_title: opt(el, ns, "documentTitle"),
        document_time: opt(el, ns, "documentTime")
            .map(|t| check_timestamp(t, "documentTime"))
            .transpose()?,
        patient_id: PersonId::parse(
            el.child(ns, "patientId")
                .ok_or(ContractError::Missing("patientId"))?,
            ns,
        )?,
        accountable: parse_professional(
            el.child(ns, "accountableHealthcareProfessional")
                .ok_or(ContractError::Missing("accountableHealthcareProfessional"))?,
        )?,
        legal_authenticator: el
            .child(ns, "legalAuthenticator")
            .map(|c| LegalAuthenticator::parse(c, ns))
            .transpose()?,
        approved_for_patient: parse_bool(req(el, ns, "approvedForPatient")?, "approvedForPatient")?,
        nullified: opt_bool(el, ns, "nullified")?,
        nullified_reason: opt(el, ns, "nullifiedReason"),
        care_contact_id: opt(el, ns, "careContactId"),
    })
}

/// Writes the header in this domain's element order (careContactId last).
fn write_header(h: &PatientSummaryHeader, w: &mut XmlWriter) {
    let tag = "core:careContactHeader";
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

/// A result that only says OK (what a response without a result is written as).
fn is_bare_ok(r: &ResultType) -> bool {
    r.result_code == ResultCode::Ok
        && r.error_code.is_none()
        && r.log_id.is_empty()
        && r.sub_code.is_none()
        && r.message.is_none()
}

/// Swedish name of a KV Vårdkontakttyp code.
pub fn contact_type_name(code: &str) -> Option<&'static str> {
    CONTACT_TYPE_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// Swedish name of a status code (SNOMED CT-SE).
pub fn status_name(code: &str) -> Option<&'static str> {
    STATUS_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

fn cv_text(cv: &Cv, known: fn(&str) -> Option<&'static str>) -> Option<String> {
    cv.display_name
        .clone()
        .or_else(|| cv.code.as_deref().and_then(known).map(str::to_owned))
        .or_else(|| cv.original_text.clone())
        .or_else(|| cv.code.clone())
}

/// The GetCareContacts 3.0 contract.
pub struct GetCareContactsV3;

impl Contract for GetCareContactsV3 {
    const NAME: &'static str = "GetCareContacts";
    const VERSION: &'static str = "3.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:logistics:logistics";
    const CATEGORIZATION: &'static str = "vko";

    type Request = GetCareContactsRequest;
    type Item = CareContact;

    fn parse_request(body: &Element) -> Result<GetCareContactsRequest, ContractError> {
        if !body.is(NAMESPACE, "GetCareContacts") {
            return Err(ContractError::UnexpectedElement("GetCareContacts"));
        }
        Ok(GetCareContactsRequest {
            query: Query::parse(body, NAMESPACE, CORE_NS, SPELLING)?,
            care_giver_ids: many(body, NAMESPACE, "careGiverHSAId"),
        })
    }

    fn write_request(req: &GetCareContactsRequest) -> String {
        let q = &req.query;
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetCareContacts",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for u in &q.care_unit_ids {
            w.text("tns:careUnitHSAId", u);
        }
        for g in &req.care_giver_ids {
            w.text("tns:careGiverHSAId", g);
        }
        q.patient_id.write(&mut w, "tns:patientId");
        if let Some(p) = &q.period {
            p.write(&mut w, "tns:datePeriod");
        }
        w.opt_text("tns:sourceSystemHSAId", q.source_system_id.as_deref());
        for c in &q.care_contact_ids {
            w.text("tns:careContactId", c);
        }
        w.close("tns:GetCareContacts");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<CareContact>, ContractError> {
        if !body.is(NAMESPACE, "GetCareContactsResponse") {
            return Err(ContractError::UnexpectedElement("GetCareContactsResponse"));
        }
        let items = body
            .children_named(NAMESPACE, "careContact")
            .map(|c| {
                Ok(CareContact {
                    header: parse_header(
                        c.child(CORE_NS, "careContactHeader")
                            .ok_or(ContractError::Missing("careContactHeader"))?,
                    )?,
                    body: CareContactBody::parse(
                        c.child(CORE_NS, "careContactBody")
                            .ok_or(ContractError::Missing("careContactBody"))?,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        let result = ResultType::parse(
            body.child(NAMESPACE, "result")
                .ok_or(ContractError::Missing("result"))?,
            CORE_NS,
        )?;
        Ok(Response::new(
            items,
            Some(result).filter(|r| !is_bare_ok(r)),
        ))
    }

    fn write_response(resp: &Response<CareContact>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 1024);
        w.open_ns(
            "tns:GetCareContactsResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:careContact");
            write_header(&item.header, &mut w);
            item.body.write(&mut w);
            w.close("tns:careContact");
        }
        // `result` is required: a local element of the responder type (tns), children in core.
        match &resp.result {
            Some(r) => r.write(&mut w, "tns:result", "core"),
            None => ResultType::ok("").write(&mut w, "tns:result", "core"),
        }
        w.close("tns:GetCareContactsResponse");
        w.finish()
    }

    fn query(req: &GetCareContactsRequest) -> &Query {
        &req.query
    }

    fn query_mut(req: &mut GetCareContactsRequest) -> &mut Query {
        &mut req.query
    }

    /// The contact's id is its documentId (TKB: careContactId in the header is not used).
    fn meta(item: &CareContact) -> ItemMeta<'_> {
        let mut m = item.header.meta();
        m.care_contact_id = Some(&item.header.document_id);
        m
    }

    /// The contact's start, else (no time period) the author time.
    /// Contacts match a period they overlap (TKB), and the care-giver filter.
    const PERIOD_ON_FILTER_TIME: bool = false;

    fn matches(req: &GetCareContactsRequest, item: &CareContact) -> bool {
        req.matches(item)
    }

    fn filter_time(item: &CareContact) -> &str {
        match &item.body.time_period {
            Some(t) => &t.start,
            None => &item.header.accountable.author_time,
        }
    }

    fn view(item: &CareContact) -> ItemView {
        let b = &item.body;
        let kind = b
            .code
            .as_ref()
            .and_then(|c| cv_text(c, contact_type_name))
            .unwrap_or_else(|| "Vårdkontakt".into());
        let unit = b
            .org_unit
            .as_ref()
            .and_then(|u| u.name.clone().or_else(|| u.hsa_id.clone()));
        let mut fields = vec![("Kontakttyp", kind.clone())];
        if let Some(s) = b.status.as_ref().and_then(|s| cv_text(s, status_name)) {
            fields.push(("Status", s));
        }
        if let Some(u) = &unit {
            fields.push(("Vårdenhet", u.clone()));
        }
        if let Some(t) = &b.time_period {
            fields.push(("Tid", t.display()));
        }
        if let Some(n) = &item.header.accountable.name {
            fields.push(("Ansvarig", n.clone()));
        }
        if item.header.nullified == Some(true) {
            fields.push((
                "Makulerad",
                item.header
                    .nullified_reason
                    .clone()
                    .unwrap_or_else(|| "Ja".into()),
            ));
        }
        ItemView {
            title: match unit {
                Some(u) => format!("{kind} – {u}"),
                None => kind,
            },
            time: Self::filter_time(item).to_owned(),
            fields,
            text: b.reason.clone(),
            attention: false,
        }
    }
}
