//! Types shared by the first-generation clinical-process contracts (`PatientSummaryHeaderType`
//! and its helpers). Each domain declares these types in its own namespace, so every reader and
//! writer here takes the namespace (`ns`) and writes with the prefix `core:`.

use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

/// Why a message body was refused. Messages name elements, never values.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ContractError {
    #[error("unexpected element: expected {0}")]
    UnexpectedElement(&'static str),
    #[error("required element {0} is missing")]
    Missing(&'static str),
    #[error("element {0} has an invalid value: {1}")]
    Invalid(&'static str, &'static str),
}

pub type Result<T> = std::result::Result<T, ContractError>;

/// OID for Swedish personnummer.
pub const OID_PERSONNUMMER: &str = "1.2.752.129.2.1.3.1";
/// OID for samordningsnummer.
pub const OID_SAMORDNINGSNUMMER: &str = "1.2.752.129.2.1.3.3";

/// A required child's trimmed text.
pub fn req<'a>(el: &'a Element, ns: &str, name: &'static str) -> Result<&'a str> {
    match el.child_text(ns, name) {
        Some(t) if !t.is_empty() => Ok(t),
        _ => Err(ContractError::Missing(name)),
    }
}

/// An optional child's trimmed text (an empty element counts as absent).
pub fn opt(el: &Element, ns: &str, name: &str) -> Option<String> {
    el.child_text(ns, name)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// All children `ns:name` as trimmed strings.
pub fn many(el: &Element, ns: &str, name: &str) -> Vec<String> {
    el.children_named(ns, name)
        .map(|c| c.text().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

pub fn parse_bool(s: &str, name: &'static str) -> Result<bool> {
    match s {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ContractError::Invalid(name, "not a boolean")),
    }
}

pub fn opt_bool(el: &Element, ns: &str, name: &'static str) -> Result<Option<bool>> {
    opt(el, ns, name).map(|s| parse_bool(&s, name)).transpose()
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYYMMDD` as in the RIV `DateType` pattern (years 1900–2099).
pub fn is_date(s: &str) -> bool {
    if s.len() != 8 || !all_digits(s) {
        return false;
    }
    let (y, m, d) = (&s[0..2], &s[4..6], &s[6..8]);
    matches!(y, "19" | "20") && ("01"..="12").contains(&m) && ("01"..="31").contains(&d)
}

/// `YYYYMMDDhhmmss` as in the RIV `TimeStampType` pattern.
pub fn is_timestamp(s: &str) -> bool {
    s.len() == 14
        && is_date(&s[..8])
        && all_digits(&s[8..])
        && ("00"..="23").contains(&&s[8..10])
        && ("00"..="59").contains(&&s[10..12])
        && ("00"..="59").contains(&&s[12..14])
}

pub fn check_timestamp(s: String, name: &'static str) -> Result<String> {
    if is_timestamp(&s) {
        Ok(s)
    } else {
        Err(ContractError::Invalid(name, "expected YYYYMMDDhhmmss"))
    }
}

/// An optional `TimeStampType` child (an empty element counts as absent).
pub fn opt_timestamp(el: &Element, ns: &str, name: &'static str) -> Result<Option<String>> {
    opt(el, ns, name)
        .map(|t| check_timestamp(t, name))
        .transpose()
}

/// `TimePeriodType` where both ends are optional `YYYYMMDDhhmmss` (alert information 2,
/// laboratory outcome 3, imaging and ECG outcome 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimePeriod {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

impl TimePeriod {
    pub fn parse(el: &Element, ns: &str) -> Result<Self> {
        Ok(TimePeriod {
            start: opt_timestamp(el, ns, "start")?,
            end: opt_timestamp(el, ns, "end")?,
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .opt_text("core:start", self.start.as_deref())
            .opt_text("core:end", self.end.as_deref())
            .close(tag);
    }
}

/// A time `YYYY[MM[DD[hh[mm[ss]]]]]` as people read it: `YYYY-MM-DD hh:mm`, as much of it as
/// there is (seconds are not shown). Anything else is returned unchanged; never panics.
pub fn display_time(t: &str) -> String {
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return t.to_owned();
    }
    let p = |a: usize, b: usize| &t[a..b];
    match t.len() {
        6 => format!("{}-{}", p(0, 4), p(4, 6)),
        8 => format!("{}-{}-{}", p(0, 4), p(4, 6), p(6, 8)),
        10 => format!("{}-{}-{} {}", p(0, 4), p(4, 6), p(6, 8), p(8, 10)),
        12 | 14 => format!(
            "{}-{}-{} {}:{}",
            p(0, 4),
            p(4, 6),
            p(6, 8),
            p(8, 10),
            p(10, 12)
        ),
        _ => t.to_owned(),
    }
}

/// Patient identity: id (12 digits for personnummer and samordningsnummer) and OID type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonId {
    pub id: String,
    #[serde(rename = "type")]
    pub type_: String,
}

impl PersonId {
    pub fn personnummer(id: &str) -> Self {
        PersonId {
            id: id.into(),
            type_: OID_PERSONNUMMER.into(),
        }
    }

    /// A personnummer or, when the day is 61–91, a samordningsnummer, with its OID.
    pub fn for_patient_id(id: &str) -> Self {
        let day: u32 = id.get(6..8).and_then(|d| d.parse().ok()).unwrap_or(0);
        PersonId {
            id: id.into(),
            type_: if day > 60 {
                OID_SAMORDNINGSNUMMER
            } else {
                OID_PERSONNUMMER
            }
            .into(),
        }
    }

    pub fn parse(el: &Element, ns: &str) -> Result<Self> {
        Ok(PersonId {
            id: req(el, ns, "id")?.to_owned(),
            type_: req(el, ns, "type")?.to_owned(),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:id", &self.id)
            .text("core:type", &self.type_)
            .close(tag);
    }
}

/// Coded value (`CVType`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cv {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_text: Option<String>,
}

impl Cv {
    pub fn coded(code: &str, system: &str, display: &str) -> Self {
        Cv {
            code: Some(code.into()),
            code_system: Some(system.into()),
            display_name: Some(display.into()),
            ..Cv::default()
        }
    }

    pub fn parse(el: &Element, ns: &str) -> Self {
        Cv {
            code: opt(el, ns, "code"),
            code_system: opt(el, ns, "codeSystem"),
            code_system_name: opt(el, ns, "codeSystemName"),
            code_system_version: opt(el, ns, "codeSystemVersion"),
            display_name: opt(el, ns, "displayName"),
            original_text: opt(el, ns, "originalText"),
        }
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .opt_text("core:code", self.code.as_deref())
            .opt_text("core:codeSystem", self.code_system.as_deref())
            .opt_text("core:codeSystemName", self.code_system_name.as_deref())
            .opt_text(
                "core:codeSystemVersion",
                self.code_system_version.as_deref(),
            )
            .opt_text("core:displayName", self.display_name.as_deref())
            .opt_text("core:originalText", self.original_text.as_deref())
            .close(tag);
    }
}

/// `DatePeriodType`: inclusive start and end dates, `YYYYMMDD`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatePeriod {
    pub start: String,
    pub end: String,
}

impl DatePeriod {
    pub fn parse(el: &Element, ns: &str) -> Result<Self> {
        let start = req(el, ns, "start")?.to_owned();
        let end = req(el, ns, "end")?.to_owned();
        if !is_date(&start) {
            return Err(ContractError::Invalid("start", "expected YYYYMMDD"));
        }
        if !is_date(&end) {
            return Err(ContractError::Invalid("end", "expected YYYYMMDD"));
        }
        if start > end {
            return Err(ContractError::Invalid("timePeriod", "start is after end"));
        }
        Ok(DatePeriod { start, end })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:start", &self.start)
            .text("core:end", &self.end)
            .close(tag);
    }

    /// True if the timestamp (`YYYYMMDDhhmmss`) or date falls on a day inside the period.
    pub fn contains(&self, time: &str) -> bool {
        let day = time.get(..8).unwrap_or(time);
        self.start.as_str() <= day && day <= self.end.as_str()
    }
}

/// `OrgUnitType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub hsa_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telecom: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl OrgUnit {
    pub fn parse(el: &Element, ns: &str) -> Result<Self> {
        Ok(OrgUnit {
            hsa_id: req(el, ns, "orgUnitHSAId")?.to_owned(),
            name: req(el, ns, "orgUnitName")?.to_owned(),
            telecom: opt(el, ns, "orgUnitTelecom"),
            email: opt(el, ns, "orgUnitEmail"),
            address: opt(el, ns, "orgUnitAddress"),
            location: opt(el, ns, "orgUnitLocation"),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:orgUnitHSAId", &self.hsa_id)
            .text("core:orgUnitName", &self.name)
            .opt_text("core:orgUnitTelecom", self.telecom.as_deref())
            .opt_text("core:orgUnitEmail", self.email.as_deref())
            .opt_text("core:orgUnitAddress", self.address.as_deref())
            .opt_text("core:orgUnitLocation", self.location.as_deref())
            .close(tag);
    }
}

/// `HealthcareProfessionalType`: who is accountable, when, and for which unit and care giver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthcareProfessional {
    pub author_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_code: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<OrgUnit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_unit_hsa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_giver_hsa_id: Option<String>,
}

impl HealthcareProfessional {
    pub fn parse(el: &Element, ns: &str) -> Result<Self> {
        Ok(HealthcareProfessional {
            author_time: check_timestamp(req(el, ns, "authorTime")?.to_owned(), "authorTime")?,
            hsa_id: opt(el, ns, "healthcareProfessionalHSAId"),
            name: opt(el, ns, "healthcareProfessionalName"),
            role_code: el
                .child(ns, "healthcareProfessionalRoleCode")
                .map(|c| Cv::parse(c, ns)),
            org_unit: el
                .child(ns, "healthcareProfessionalOrgUnit")
                .map(|c| OrgUnit::parse(c, ns))
                .transpose()?,
            care_unit_hsa_id: opt(el, ns, "healthcareProfessionalCareUnitHSAId"),
            care_giver_hsa_id: opt(el, ns, "healthcareProfessionalCareGiverHSAId"),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:authorTime", &self.author_time)
            .opt_text("core:healthcareProfessionalHSAId", self.hsa_id.as_deref());
        w.opt_text("core:healthcareProfessionalName", self.name.as_deref());
        if let Some(c) = &self.role_code {
            c.write(w, "core:healthcareProfessionalRoleCode");
        }
        if let Some(o) = &self.org_unit {
            o.write(w, "core:healthcareProfessionalOrgUnit");
        }
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

/// `LegalAuthenticatorType`: who signed, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalAuthenticator {
    pub signature_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl LegalAuthenticator {
    pub fn parse(el: &Element, ns: &str) -> Result<Self> {
        Ok(LegalAuthenticator {
            signature_time: check_timestamp(
                req(el, ns, "signatureTime")?.to_owned(),
                "signatureTime",
            )?,
            hsa_id: opt(el, ns, "legalAuthenticatorHSAId"),
            name: opt(el, ns, "legalAuthenticatorName"),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:signatureTime", &self.signature_time)
            .opt_text("core:legalAuthenticatorHSAId", self.hsa_id.as_deref())
            .opt_text("core:legalAuthenticatorName", self.name.as_deref())
            .close(tag);
    }
}

/// `PatientSummaryHeaderType` (and its twin `CPatientSummaryHeaderType`, which spells the
/// source-system element `sourceSystemHSAid`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientSummaryHeader {
    pub document_id: String,
    pub source_system_hsa_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_time: Option<String>,
    pub patient_id: PersonId,
    pub accountable: HealthcareProfessional,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_authenticator: Option<LegalAuthenticator>,
    pub approved_for_patient: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_contact_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullified_reason: Option<String>,
}

/// How the source-system element of a header is spelled.
#[derive(Clone, Copy, Debug)]
pub enum HeaderSpelling {
    /// `sourceSystemHSAId` (`PatientSummaryHeaderType`).
    Standard,
    /// `sourceSystemHSAid` (`CPatientSummaryHeaderType`, GetCareDocumentation 2).
    CareDocumentation,
}

impl HeaderSpelling {
    fn source_system(self) -> &'static str {
        match self {
            HeaderSpelling::Standard => "sourceSystemHSAId",
            HeaderSpelling::CareDocumentation => "sourceSystemHSAid",
        }
    }
}

impl PatientSummaryHeader {
    pub fn parse(el: &Element, ns: &str, spelling: HeaderSpelling) -> Result<Self> {
        let source = spelling.source_system();
        Ok(PatientSummaryHeader {
            document_id: req(el, ns, "documentId")?.to_owned(),
            source_system_hsa_id: el
                .child_text(ns, source)
                .filter(|s| !s.is_empty())
                .ok_or(ContractError::Missing("sourceSystemHSAId"))?
                .to_owned(),
            document_title: opt(el, ns, "documentTitle"),
            document_time: opt(el, ns, "documentTime")
                .map(|t| check_timestamp(t, "documentTime"))
                .transpose()?,
            patient_id: PersonId::parse(
                el.child(ns, "patientId")
                    .ok_or(ContractError::Missing("patientId"))?,
                ns,
            )?,
            accountable: HealthcareProfessional::parse(
                el.child(ns, "accountableHealthcareProfessional")
                    .ok_or(ContractError::Missing("accountableHealthcareProfessional"))?,
                ns,
            )?,
            legal_authenticator: el
                .child(ns, "legalAuthenticator")
                .map(|c| LegalAuthenticator::parse(c, ns))
                .transpose()?,
            approved_for_patient: parse_bool(
                req(el, ns, "approvedForPatient")?,
                "approvedForPatient",
            )?,
            care_contact_id: opt(el, ns, "careContactId"),
            nullified: opt_bool(el, ns, "nullified")?,
            nullified_reason: opt(el, ns, "nullifiedReason"),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str, spelling: HeaderSpelling) {
        let source = match spelling {
            HeaderSpelling::Standard => "core:sourceSystemHSAId",
            HeaderSpelling::CareDocumentation => "core:sourceSystemHSAid",
        };
        w.open(tag)
            .text("core:documentId", &self.document_id)
            .text(source, &self.source_system_hsa_id)
            .opt_text("core:documentTitle", self.document_title.as_deref())
            .opt_text("core:documentTime", self.document_time.as_deref());
        self.patient_id.write(w, "core:patientId");
        self.accountable
            .write(w, "core:accountableHealthcareProfessional");
        if let Some(l) = &self.legal_authenticator {
            l.write(w, "core:legalAuthenticator");
        }
        w.bool("core:approvedForPatient", self.approved_for_patient)
            .opt_text("core:careContactId", self.care_contact_id.as_deref())
            .opt_bool("core:nullified", self.nullified)
            .opt_text("core:nullifiedReason", self.nullified_reason.as_deref())
            .close(tag);
    }

    /// The facts about an item every part of npo needs (filters, blocks, logging, merge).
    pub fn meta(&self) -> ItemMeta<'_> {
        ItemMeta {
            document_id: &self.document_id,
            source_system: &self.source_system_hsa_id,
            patient_id: &self.patient_id,
            registration_time: &self.accountable.author_time,
            care_unit: self.accountable.care_unit_hsa_id.as_deref(),
            care_giver: self.accountable.care_giver_hsa_id.as_deref(),
            approved_for_patient: self.approved_for_patient,
            care_contact_id: self.care_contact_id.as_deref(),
        }
    }
}

/// The contract-independent facts about one information item.
#[derive(Clone, Copy, Debug)]
pub struct ItemMeta<'a> {
    pub document_id: &'a str,
    pub source_system: &'a str,
    pub patient_id: &'a PersonId,
    /// Registration time (`authorTime` / `blockComparisonTime`), `YYYYMMDDhhmmss`: what blocks
    /// compare against.
    pub registration_time: &'a str,
    pub care_unit: Option<&'a str>,
    pub care_giver: Option<&'a str>,
    pub approved_for_patient: bool,
    pub care_contact_id: Option<&'a str>,
}

/// `resultCode` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResultCode {
    #[serde(rename = "OK")]
    Ok,
    #[serde(rename = "INFO")]
    Info,
    #[serde(rename = "ERROR")]
    Error,
}

impl ResultCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultCode::Ok => "OK",
            ResultCode::Info => "INFO",
            ResultCode::Error => "ERROR",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "OK" => Ok(ResultCode::Ok),
            "INFO" => Ok(ResultCode::Info),
            "ERROR" => Ok(ResultCode::Error),
            _ => Err(ContractError::Invalid(
                "resultCode",
                "not OK, INFO or ERROR",
            )),
        }
    }
}

/// `ResultType`: the logical outcome of a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultType {
    pub result_code: ResultCode,
    /// Only `INVALID_REQUEST` is defined by the first-generation enums.
    pub error_code: Option<String>,
    pub log_id: String,
    pub sub_code: Option<String>,
    pub message: Option<String>,
}

impl ResultType {
    pub fn ok(log_id: impl Into<String>) -> Self {
        ResultType {
            result_code: ResultCode::Ok,
            error_code: None,
            log_id: log_id.into(),
            sub_code: None,
            message: None,
        }
    }

    pub fn invalid_request(log_id: impl Into<String>, message: impl Into<String>) -> Self {
        ResultType {
            result_code: ResultCode::Error,
            error_code: Some("INVALID_REQUEST".into()),
            log_id: log_id.into(),
            sub_code: None,
            message: Some(message.into()),
        }
    }

    pub fn parse(el: &Element, ns: &str) -> Result<Self> {
        let error_code = opt(el, ns, "errorCode");
        if error_code
            .as_deref()
            .is_some_and(|c| c != "INVALID_REQUEST")
        {
            return Err(ContractError::Invalid("errorCode", "not INVALID_REQUEST"));
        }
        Ok(ResultType {
            result_code: ResultCode::parse(req(el, ns, "resultCode")?)?,
            error_code,
            log_id: el.child_text(ns, "logId").unwrap_or("").to_owned(),
            sub_code: opt(el, ns, "subCode"),
            message: opt(el, ns, "message"),
        })
    }

    /// Writes the result with children prefixed `prefix` (the result's own namespace differs
    /// between contracts).
    pub fn write(&self, w: &mut XmlWriter, tag: &str, prefix: &str) {
        let t = |name: &str| format!("{prefix}:{name}");
        w.open(tag)
            .text(&t("resultCode"), self.result_code.as_str())
            .opt_text(&t("errorCode"), self.error_code.as_deref())
            .text(&t("logId"), &self.log_id)
            .opt_text(&t("subCode"), self.sub_code.as_deref())
            .opt_text(&t("message"), self.message.as_deref())
            .close(tag);
    }
}

/// The request filters every first-generation "Get" contract shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    pub care_unit_ids: Vec<String>,
    pub patient_id: PersonId,
    pub period: Option<DatePeriod>,
    pub source_system_id: Option<String>,
    pub care_contact_ids: Vec<String>,
}

impl Query {
    pub fn for_patient(patient: PersonId) -> Self {
        Query {
            care_unit_ids: Vec::new(),
            patient_id: patient,
            period: None,
            source_system_id: None,
            care_contact_ids: Vec::new(),
        }
    }

    /// True if an item matches the filters a source system applies (patient, care units,
    /// source system, care contacts, and the period on `time`).
    pub fn matches(&self, meta: &ItemMeta<'_>, time: &str) -> bool {
        self.matches_all_but_period(meta) && self.period.as_ref().is_none_or(|p| p.contains(time))
    }

    /// The filters but the period: for contracts whose period rule is not a single time
    /// (overlaps).
    pub fn matches_all_but_period(&self, meta: &ItemMeta<'_>) -> bool {
        meta.patient_id.id == self.patient_id.id
            && (self.care_unit_ids.is_empty()
                || meta
                    .care_unit
                    .is_some_and(|u| self.care_unit_ids.iter().any(|c| c == u)))
            && self
                .source_system_id
                .as_deref()
                .is_none_or(|s| s == meta.source_system)
            && (self.care_contact_ids.is_empty()
                || meta
                    .care_contact_id
                    .is_some_and(|c| self.care_contact_ids.iter().any(|x| x == c)))
    }
}

/// How one contract spells the request's filter elements.
#[derive(Clone, Copy, Debug)]
pub struct QuerySpelling {
    pub care_unit: &'static str,
    pub time_period: &'static str,
    pub source_system: &'static str,
}

impl Query {
    /// Reads the shared filter elements of a request in namespace `tns` whose types are in `ns`.
    pub fn parse(body: &Element, tns: &str, ns: &str, sp: QuerySpelling) -> Result<Self> {
        Ok(Query {
            care_unit_ids: many(body, tns, sp.care_unit),
            patient_id: PersonId::parse(
                body.child(tns, "patientId")
                    .ok_or(ContractError::Missing("patientId"))?,
                ns,
            )?,
            period: body
                .child(tns, sp.time_period)
                .map(|p| DatePeriod::parse(p, ns))
                .transpose()?,
            source_system_id: opt(body, tns, sp.source_system),
            care_contact_ids: many(body, tns, "careContactId"),
        })
    }

    /// Writes the filter elements, in schema order, with prefix `tns:` for request elements.
    pub fn write_fields(&self, w: &mut XmlWriter, sp: QuerySpelling) {
        let care_unit = format!("tns:{}", sp.care_unit);
        for u in &self.care_unit_ids {
            w.text(&care_unit, u);
        }
        self.patient_id.write(w, "tns:patientId");
        if let Some(p) = &self.period {
            p.write(w, &format!("tns:{}", sp.time_period));
        }
        w.opt_text(
            &format!("tns:{}", sp.source_system),
            self.source_system_id.as_deref(),
        );
        for c in &self.care_contact_ids {
            w.text("tns:careContactId", c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_and_timestamp_patterns() {
        assert!(is_date("20240229"));
        assert!(!is_date("21240101"));
        assert!(!is_date("20241301"));
        assert!(!is_date("2024010"));
        assert!(is_timestamp("20240101235959"));
        assert!(!is_timestamp("20240101245959"));
        assert!(!is_timestamp("2024010123595a"));
    }

    #[test]
    fn display_time_shows_what_there_is_and_never_panics() {
        assert_eq!(display_time("20240115103012"), "2024-01-15 10:30");
        assert_eq!(display_time("20240115"), "2024-01-15");
        assert_eq!(display_time("202401"), "2024-01");
        assert_eq!(display_time("2024"), "2024");
        assert_eq!(display_time("åäö12345"), "åäö12345");
        assert_eq!(display_time(""), "");
    }

    #[test]
    fn period_contains_is_inclusive_by_day() {
        let p = DatePeriod {
            start: "20240101".into(),
            end: "20240131".into(),
        };
        assert!(p.contains("20240101000000"));
        assert!(p.contains("20240131235959"));
        assert!(!p.contains("20240201000000"));
        assert!(!p.contains("20231231235959"));
    }
}
