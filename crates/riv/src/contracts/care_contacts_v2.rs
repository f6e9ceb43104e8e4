//! GetCareContacts 2.0 (`urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:2`):
//! care contacts – visits, telephone contacts, inpatient stays, day care. Categorization `vko`.
//!
//! Schema quirks (the schema wins):
//! - The header is the logistics domain's own, reduced `PatientSummaryHeaderType`: `documentId`
//!   (the contact's id, which the request's `careContactId` filter matches), `sourceSystemHSAId`,
//!   `patientId`, an optional `accountableHealthcareProfessional` (whose HSA-id, name and org unit
//!   are then required), `approvedForPatient`, `nullified`, `nullifiedReason`. There is no
//!   documentTitle, documentTime, legalAuthenticator or careContactId, hence [`CareContactHeader`]
//!   instead of the shared header.
//! - `careContactCode` and `careContactStatus` are `xs:int` enumerations (1–5), modelled as
//!   [`CareContactCode`] and [`CareContactStatus`].
//! - `careContactOrgUnit` and `careContactTimePeriod` (start required, end optional: a visit has
//!   end = start, a planned contact or an ongoing stay has no end) are required.
//! - The response has no `result` element: a response's `result` is not written and reads as
//!   `None`.
//!
//! Elements not modelled (`xs:any` extensions) are ignored when reading.

pub use crate::common::display_time;
use crate::common::{
    ContractError, Cv, ItemMeta, OrgUnit, PersonId, Query, QuerySpelling, check_timestamp, opt,
    opt_bool, parse_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:2";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:logistics:logistics:2";

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAId",
    time_period: "timePeriod",
    source_system: "sourceSystemHSAId",
};

/// `CareContactCodeEnum`: the kind of contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CareContactCode {
    /// 1 – Besök.
    Besok,
    /// 2 – Telefon.
    Telefon,
    /// 3 – Vårdtillfälle (inpatient stay).
    Vardtillfalle,
    /// 4 – Dagsjukvård.
    Dagsjukvard,
    /// 5 – Annan.
    Annan,
}

impl CareContactCode {
    pub const ALL: [CareContactCode; 5] = [
        CareContactCode::Besok,
        CareContactCode::Telefon,
        CareContactCode::Vardtillfalle,
        CareContactCode::Dagsjukvard,
        CareContactCode::Annan,
    ];

    /// The wire value (1–5).
    pub fn code(self) -> u8 {
        match self {
            CareContactCode::Besok => 1,
            CareContactCode::Telefon => 2,
            CareContactCode::Vardtillfalle => 3,
            CareContactCode::Dagsjukvard => 4,
            CareContactCode::Annan => 5,
        }
    }

    /// Swedish display name.
    pub fn name(self) -> &'static str {
        match self {
            CareContactCode::Besok => "Besök",
            CareContactCode::Telefon => "Telefon",
            CareContactCode::Vardtillfalle => "Vårdtillfälle",
            CareContactCode::Dagsjukvard => "Dagsjukvård",
            CareContactCode::Annan => "Annan",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ContractError> {
        let n = parse_int(s, "careContactCode")?;
        Self::ALL
            .into_iter()
            .find(|c| i64::from(c.code()) == n)
            .ok_or(ContractError::Invalid("careContactCode", "not 1–5"))
    }
}

/// `CareContactStatusEnum`: where the contact stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CareContactStatus {
    /// 1 – Ej påbörjad (booked, planned).
    EjPaborjad,
    /// 2 – Inställd (cancelled).
    Installd,
    /// 3 – Pågående (ongoing).
    Pagaende,
    /// 4 – Avbruten (interrupted).
    Avbruten,
    /// 5 – Avslutad (completed).
    Avslutad,
}

impl CareContactStatus {
    pub const ALL: [CareContactStatus; 5] = [
        CareContactStatus::EjPaborjad,
        CareContactStatus::Installd,
        CareContactStatus::Pagaende,
        CareContactStatus::Avbruten,
        CareContactStatus::Avslutad,
    ];

    /// The wire value (1–5).
    pub fn code(self) -> u8 {
        match self {
            CareContactStatus::EjPaborjad => 1,
            CareContactStatus::Installd => 2,
            CareContactStatus::Pagaende => 3,
            CareContactStatus::Avbruten => 4,
            CareContactStatus::Avslutad => 5,
        }
    }

    /// Swedish display name.
    pub fn name(self) -> &'static str {
        match self {
            CareContactStatus::EjPaborjad => "Ej påbörjad",
            CareContactStatus::Installd => "Inställd",
            CareContactStatus::Pagaende => "Pågående",
            CareContactStatus::Avbruten => "Avbruten",
            CareContactStatus::Avslutad => "Avslutad",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ContractError> {
        let n = parse_int(s, "careContactStatus")?;
        Self::ALL
            .into_iter()
            .find(|c| i64::from(c.code()) == n)
            .ok_or(ContractError::Invalid("careContactStatus", "not 1–5"))
    }
}

/// `xs:int` lexical form: optional sign, digits (leading zeros allowed).
fn parse_int(s: &str, name: &'static str) -> Result<i64, ContractError> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || digits.len() > 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ContractError::Invalid(name, "not an integer"));
    }
    s.trim_start_matches('+')
        .parse()
        .map_err(|_| ContractError::Invalid(name, "not an integer"))
}

/// `TimePeriodType` of the logistics domain: a required start and an optional end
/// (`YYYYMMDDhhmmss`). Shared with GetCareContacts 3.0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimePeriod {
    pub start: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

impl TimePeriod {
    pub fn parse(el: &Element, ns: &str) -> Result<Self, ContractError> {
        Ok(TimePeriod {
            start: check_timestamp(req(el, ns, "start")?.to_owned(), "start")?,
            end: opt(el, ns, "end")
                .map(|t| check_timestamp(t, "end"))
                .transpose()?,
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:start", &self.start)
            .opt_text("core:end", self.end.as_deref())
            .close(tag);
    }

    /// `2024-03-01 10:15 – 2024-03-05 12:00` (the end only when it differs from the start).
    pub fn display(&self) -> String {
        match self.end.as_deref() {
            Some(end) if end != self.start => {
                format!("{} – {}", display_time(&self.start), display_time(end))
            }
            _ => display_time(&self.start),
        }
    }
}

/// `HealthcareProfessionalType` of GetCareContacts 2.0: HSA-id, name and org unit are required.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accountable {
    pub author_time: String,
    pub hsa_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_code: Option<Cv>,
    pub org_unit: OrgUnit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_unit_hsa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_giver_hsa_id: Option<String>,
}

impl Accountable {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(Accountable {
            author_time: check_timestamp(req(el, ns, "authorTime")?.to_owned(), "authorTime")?,
            hsa_id: req(el, ns, "healthcareProfessionalHSAId")?.to_owned(),
            name: req(el, ns, "healthcareProfessionalName")?.to_owned(),
            role_code: el
                .child(ns, "healthcareProfessionalRoleCode")
                .map(|c| Cv::parse(c, ns)),
            org_unit: OrgUnit::parse(
                el.child(ns, "healthcareProfessionalOrgUnit")
                    .ok_or(ContractError::Missing("healthcareProfessionalOrgUnit"))?,
                ns,
            )?,
            care_unit_hsa_id: opt(el, ns, "healthcareProfessionalCareUnitHSAId"),
            care_giver_hsa_id: opt(el, ns, "healthcareProfessionalCareGiverHSAId"),
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:authorTime", &self.author_time)
            .text("core:healthcareProfessionalHSAId", &self.hsa_id)
            .text("core:healthcareProfessionalName", &self.name);
        if let Some(c) = &self.role_code {
            c.write(w, "core:healthcareProfessionalRoleCode");
        }
        self.org_unit.write(w, "core:healthcareProfessionalOrgUnit");
        w.opt_text(
            "core:healthcareProfessionalCareUnitHSAId",
            self.care_unit_hsa_id.as_deref(),
        )
        .opt_text(
            "core:healthcareProfessionalCareGiverHSAId",
            self.care_giver_hsa_id.as_deref(),
        )
        .close(tag);
    }
}

/// `careContactHeader`: the reduced `PatientSummaryHeaderType` of GetCareContacts 2.0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareContactHeader {
    /// The contact's id, unique within the source system.
    pub document_id: String,
    pub source_system_hsa_id: String,
    pub patient_id: PersonId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountable: Option<Accountable>,
    pub approved_for_patient: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullified_reason: Option<String>,
}

impl CareContactHeader {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(CareContactHeader {
            document_id: req(el, ns, "documentId")?.to_owned(),
            source_system_hsa_id: req(el, ns, "sourceSystemHSAId")?.to_owned(),
            patient_id: PersonId::parse(
                el.child(ns, "patientId")
                    .ok_or(ContractError::Missing("patientId"))?,
                ns,
            )?,
            accountable: el
                .child(ns, "accountableHealthcareProfessional")
                .map(Accountable::parse)
                .transpose()?,
            approved_for_patient: parse_bool(
                req(el, ns, "approvedForPatient")?,
                "approvedForPatient",
            )?,
            nullified: opt_bool(el, ns, "nullified")?,
            nullified_reason: opt(el, ns, "nullifiedReason"),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:careContactHeader")
            .text("core:documentId", &self.document_id)
            .text("core:sourceSystemHSAId", &self.source_system_hsa_id);
        self.patient_id.write(w, "core:patientId");
        if let Some(a) = &self.accountable {
            a.write(w, "core:accountableHealthcareProfessional");
        }
        w.bool("core:approvedForPatient", self.approved_for_patient)
            .opt_bool("core:nullified", self.nullified)
            .opt_text("core:nullifiedReason", self.nullified_reason.as_deref())
            .close("core:careContactHeader");
    }
}

/// `careContactBody`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareContactBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CareContactCode>,
    /// The reason as the patient (or a representative) states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The unit where the contact took place.
    pub org_unit: OrgUnit,
    pub time_period: TimePeriod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CareContactStatus>,
}

impl CareContactBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(CareContactBody {
            code: opt(el, ns, "careContactCode")
                .map(|c| CareContactCode::parse(&c))
                .transpose()?,
            reason: opt(el, ns, "careContactReason"),
            org_unit: OrgUnit::parse(
                el.child(ns, "careContactOrgUnit")
                    .ok_or(ContractError::Missing("careContactOrgUnit"))?,
                ns,
            )?,
            time_period: TimePeriod::parse(
                el.child(ns, "careContactTimePeriod")
                    .ok_or(ContractError::Missing("careContactTimePeriod"))?,
                ns,
            )?,
            status: opt(el, ns, "careContactStatus")
                .map(|c| CareContactStatus::parse(&c))
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:careContactBody");
        if let Some(c) = self.code {
            w.text("core:careContactCode", &c.code().to_string());
        }
        w.opt_text("core:careContactReason", self.reason.as_deref());
        self.org_unit.write(w, "core:careContactOrgUnit");
        self.time_period.write(w, "core:careContactTimePeriod");
        if let Some(s) = self.status {
            w.text("core:careContactStatus", &s.code().to_string());
        }
        w.close("core:careContactBody");
    }
}

/// One care contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareContact {
    pub header: CareContactHeader,
    pub body: CareContactBody,
}

/// The GetCareContacts 2.0 contract.
pub struct GetCareContactsV2;

impl Contract for GetCareContactsV2 {
    const NAME: &'static str = "GetCareContacts";
    const VERSION: &'static str = "2.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:logistics:logistics";
    const CATEGORIZATION: &'static str = "vko";
    const HAS_RESULT: bool = false;

    type Request = Query;
    type Item = CareContact;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetCareContacts") {
            return Err(ContractError::UnexpectedElement("GetCareContacts"));
        }
        Query::parse(body, NAMESPACE, CORE_NS, SPELLING)
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetCareContacts",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        req.write_fields(&mut w, SPELLING);
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
                    header: CareContactHeader::parse(
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
        Ok(Response::new(items, None))
    }

    fn write_response(resp: &Response<CareContact>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 1024);
        w.open_ns(
            "tns:GetCareContactsResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:careContact");
            item.header.write(&mut w);
            item.body.write(&mut w);
            w.close("tns:careContact");
        }
        // GetCareContacts 2.0 has no result element.
        w.close("tns:GetCareContactsResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    /// Registration time is the author time, else (no accountable professional) the start.
    /// The contact's id is its documentId.
    fn meta(item: &CareContact) -> ItemMeta<'_> {
        let h = &item.header;
        let a = h.accountable.as_ref();
        ItemMeta {
            document_id: &h.document_id,
            source_system: &h.source_system_hsa_id,
            patient_id: &h.patient_id,
            registration_time: a
                .map(|a| a.author_time.as_str())
                .unwrap_or(&item.body.time_period.start),
            care_unit: a.and_then(|a| a.care_unit_hsa_id.as_deref()),
            care_giver: a.and_then(|a| a.care_giver_hsa_id.as_deref()),
            approved_for_patient: h.approved_for_patient,
            care_contact_id: Some(&h.document_id),
        }
    }

    /// The contact's start.
    fn filter_time(item: &CareContact) -> &str {
        &item.body.time_period.start
    }

    fn view(item: &CareContact) -> ItemView {
        let b = &item.body;
        let kind = b.code.map_or("Vårdkontakt", CareContactCode::name);
        let mut fields = vec![("Kontakttyp", kind.to_owned())];
        if let Some(s) = b.status {
            fields.push(("Status", s.name().to_owned()));
        }
        fields.push(("Vårdenhet", b.org_unit.name.clone()));
        fields.push(("Tid", b.time_period.display()));
        if let Some(a) = &item.header.accountable {
            fields.push(("Ansvarig", a.name.clone()));
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
            title: format!("{kind} – {}", b.org_unit.name),
            time: Self::filter_time(item).to_owned(),
            fields,
            text: b.reason.clone(),
            attention: false,
        }
    }
}
