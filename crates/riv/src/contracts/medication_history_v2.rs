//! GetMedicationHistory 2.1
//! (`urn:riv:clinicalprocess:activityprescription:actoutcome:GetMedicationHistoryResponder:2`):
//! medication prescriptions (ordinationer) with their chains, drugs, dosages and prescriptions to
//! the pharmacy (förskrivningar). Categorization `caa-gmh`.
//!
//! Modelled: the header, and of the body the prescription (id, type, status, note, principal and
//! additional reasons, evaluation time, treatment purpose, chain id, preceding and succeeding
//! prescription, prescriber, evaluator, start of first treatment, start and end of treatment, end
//! reason, self medication, the drug choice, the dispensation authorization) and the additional
//! patient information. Of a drug choice: comment, unstructured drug information, merchandise
//! article number, NPL pack id, the drug (NPL id, ATC code, route, form, strength), generics and
//! dosages; of a dosage: length of treatment, instruction, unit dose, short notation, and the set,
//! maximum and conditional dosages with their frequency, period, single-dose and unstructured
//! parts. Ignored when reading (and so not written back): `administration` records, the 2.1
//! `relation` extension, occasion and ramped dosages, and everything in `xs:any` slots.
//!
//! Schema quirks worth knowing:
//! - `result` is required in the response. A [`Response`] without a result is written with an
//!   `OK` result with an empty `logId`, and such a result reads back as no result.
//! - The domain's `DatePeriodType` has optional `start` and `end`. A request period with only one
//!   end reads as open on the other (`19000101` / `20991231`); an empty period as none.
//! - The domain's `OrgUnitType` has every child optional, but the shared header reader
//!   ([`HealthcareProfessional`]) insists on `orgUnitHSAId` and `orgUnitName` in a professional's
//!   org unit.
//! - The request also filters on care givers, a prescription chain and a prescription status:
//!   [`MedicationHistoryRequest::matches`] applies them on top of the shared [`Query`].

use crate::common::{
    ContractError, Cv, DatePeriod, HeaderSpelling, HealthcareProfessional, ItemMeta,
    PatientSummaryHeader, PersonId, Query, ResultCode, ResultType, is_date, many, opt, parse_bool,
    req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub use crate::common::opt_timestamp;
/// `IIType`: an identifier (`root`, usually an OID or a system's HSA-id, and a local
/// `extension`); the same type as the access-control header's.
pub use crate::contracts::access_control_header::Ii;

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:activityprescription:actoutcome:GetMedicationHistoryResponder:2";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:activityprescription:actoutcome:2";
/// Namespace of the 2.1 extension (`relation`).
pub const EXT_NS: &str = "urn:riv:clinicalprocess:activityprescription:actoutcome:2.1";
/// OID of the ATC classification as used in Sweden.
pub const ATC: &str = "1.2.752.129.2.2.3.1.1";
/// OID of NPL-id (Läkemedelsverkets produktregister).
pub const NPL_ID: &str = "1.2.752.129.2.1.5.1";
/// OID of ICD-10-SE.
pub const ICD10_SE: &str = "1.2.752.116.1.1.1.1.3";
/// OID of EDQM Standard Terms (routes of administration, dose forms).
pub const EDQM: &str = "0.4.0.127.0.16.1.1.2.1";
/// OID of KV Kön (1 man, 2 kvinna).
pub const KV_KON: &str = "1.2.752.129.2.2.1.1";

// ---------------------------------------------------------------------------------------------
// Types of the activityprescription:actoutcome domain shared with GetVaccinationHistory

/// `PQType`: a physical quantity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pq {
    pub value: f64,
    pub unit: String,
}

impl Pq {
    pub fn new(value: f64, unit: &str) -> Self {
        Pq {
            value,
            unit: unit.into(),
        }
    }

    pub fn parse(el: &Element, ns: &str) -> Result<Self, ContractError> {
        Ok(Pq {
            value: parse_double(req(el, ns, "value")?, "value")?,
            unit: req(el, ns, "unit")?.to_owned(),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:value", &fmt_double(self.value))
            .text("core:unit", &self.unit)
            .close(tag);
    }
}

/// `PQIntervalType`: a quantity range (`low`–`high`, either optional) in one unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PqInterval {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    pub unit: String,
}

impl PqInterval {
    /// An exact amount (`low` = `high`).
    pub fn exact(value: f64, unit: &str) -> Self {
        PqInterval {
            low: Some(value),
            high: Some(value),
            unit: unit.into(),
        }
    }

    pub fn parse(el: &Element, ns: &str) -> Result<Self, ContractError> {
        Ok(PqInterval {
            low: opt_double(el, ns, "low")?,
            high: opt_double(el, ns, "high")?,
            unit: req(el, ns, "unit")?.to_owned(),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .opt_text("core:low", self.low.map(fmt_double).as_deref())
            .opt_text("core:high", self.high.map(fmt_double).as_deref())
            .text("core:unit", &self.unit)
            .close(tag);
    }

    /// Swedish display, e.g. `1–2 tablett` or `20 E`.
    pub fn display(&self) -> String {
        match (self.low, self.high) {
            (Some(l), Some(h)) if l == h => format!("{} {}", sv_num(l), self.unit),
            (Some(l), Some(h)) => format!("{}–{} {}", sv_num(l), sv_num(h), self.unit),
            (Some(l), None) => format!("minst {} {}", sv_num(l), self.unit),
            (None, Some(h)) => format!("högst {} {}", sv_num(h), self.unit),
            (None, None) => self.unit.clone(),
        }
    }
}

/// `OrgUnitType` of this domain: every child optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnitInfo {
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

impl OrgUnitInfo {
    pub fn named(hsa_id: &str, name: &str) -> Self {
        OrgUnitInfo {
            hsa_id: Some(hsa_id.into()),
            name: Some(name.into()),
            ..OrgUnitInfo::default()
        }
    }

    pub fn parse(el: &Element, ns: &str) -> Self {
        OrgUnitInfo {
            hsa_id: opt(el, ns, "orgUnitHSAId"),
            name: opt(el, ns, "orgUnitName"),
            telecom: opt(el, ns, "orgUnitTelecom"),
            email: opt(el, ns, "orgUnitEmail"),
            address: opt(el, ns, "orgUnitAddress"),
            location: opt(el, ns, "orgUnitLocation"),
        }
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
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

/// `ActorType`: a person (every child optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telecom: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Actor {
    pub fn parse(el: &Element, ns: &str) -> Self {
        Actor {
            hsa_id: opt(el, ns, "hsaid"),
            name: opt(el, ns, "personName"),
            email: opt(el, ns, "personEmail"),
            telecom: opt(el, ns, "personTelecom"),
            address: opt(el, ns, "personAddress"),
        }
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .opt_text("core:hsaid", self.hsa_id.as_deref())
            .opt_text("core:personName", self.name.as_deref())
            .opt_text("core:personEmail", self.email.as_deref())
            .opt_text("core:personTelecom", self.telecom.as_deref())
            .opt_text("core:personAddress", self.address.as_deref())
            .close(tag);
    }
}

/// `AdditionalPatientInformationType`: birth date and sex (KV Kön).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalPatientInformation {
    pub date_of_birth: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Cv>,
}

impl AdditionalPatientInformation {
    pub fn parse(el: &Element, ns: &str) -> Result<Self, ContractError> {
        Ok(AdditionalPatientInformation {
            date_of_birth: check_date(req(el, ns, "dateOfBirth")?, "dateOfBirth")?,
            gender: el.child(ns, "gender").map(|c| Cv::parse(c, ns)),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag).text("core:dateOfBirth", &self.date_of_birth);
        if let Some(g) = &self.gender {
            g.write(w, "core:gender");
        }
        w.close(tag);
    }
}

/// Reads an `xs:double`.
pub fn parse_double(s: &str, name: &'static str) -> Result<f64, ContractError> {
    match s {
        "INF" => Ok(f64::INFINITY),
        "-INF" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ if s
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) =>
        {
            Err(ContractError::Invalid(name, "not a number"))
        }
        _ => s
            .parse::<f64>()
            .map_err(|_| ContractError::Invalid(name, "not a number")),
    }
}

fn opt_double(el: &Element, ns: &str, name: &'static str) -> Result<Option<f64>, ContractError> {
    opt(el, ns, name)
        .map(|s| parse_double(&s, name))
        .transpose()
}

/// Writes an `xs:double` (Rust's shortest round-trip form; never exponent notation).
pub fn fmt_double(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "INF" } else { "-INF" }.into()
    } else {
        format!("{v}")
    }
}

/// A number as Swedish staff write it (`2,5`).
pub fn sv_num(v: f64) -> String {
    fmt_double(v).replace('.', ",")
}

/// Reads an optional `xs:integer` (as `i64`; larger values are refused).
pub fn opt_int(el: &Element, ns: &str, name: &'static str) -> Result<Option<i64>, ContractError> {
    opt(el, ns, name)
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ContractError::Invalid(name, "not an integer"))
        })
        .transpose()
}

pub fn check_date(s: &str, name: &'static str) -> Result<String, ContractError> {
    if is_date(s) {
        Ok(s.to_owned())
    } else {
        Err(ContractError::Invalid(name, "expected YYYYMMDD"))
    }
}

pub fn opt_date(
    el: &Element,
    ns: &str,
    name: &'static str,
) -> Result<Option<String>, ContractError> {
    opt(el, ns, name).map(|d| check_date(&d, name)).transpose()
}

/// Reads this domain's `DatePeriodType`, whose `start` and `end` are both optional: a missing end
/// is open (`19000101` / `20991231`); a period without either is no period.
pub fn parse_open_period(el: &Element, ns: &str) -> Result<Option<DatePeriod>, ContractError> {
    let start = opt(el, ns, "start");
    let end = opt(el, ns, "end");
    if start.is_none() && end.is_none() {
        return Ok(None);
    }
    let start = start.unwrap_or_else(|| "19000101".into());
    let end = end.unwrap_or_else(|| "20991231".into());
    if !is_date(&start) {
        return Err(ContractError::Invalid("start", "expected YYYYMMDD"));
    }
    if !is_date(&end) {
        return Err(ContractError::Invalid("end", "expected YYYYMMDD"));
    }
    if start > end {
        return Err(ContractError::Invalid("timePeriod", "start is after end"));
    }
    Ok(Some(DatePeriod { start, end }))
}

/// Reads the required `result` of this domain's responses; an `OK` result with an empty `logId`
/// and nothing else is what [`write_required_result`] writes for "no result" and reads as `None`.
pub fn parse_required_result(
    body: &Element,
    tns: &str,
    ns: &str,
) -> Result<Option<ResultType>, ContractError> {
    let r = body
        .child(tns, "result")
        .ok_or(ContractError::Missing("result"))?;
    let r = ResultType::parse(r, ns)?;
    let empty = r.result_code == ResultCode::Ok
        && r.log_id.is_empty()
        && r.error_code.is_none()
        && r.sub_code.is_none()
        && r.message.is_none();
    Ok(if empty { None } else { Some(r) })
}

/// Writes the required `result` (`tns:result` with `core:` children); `None` as an empty `OK`.
pub fn write_required_result(w: &mut XmlWriter, result: Option<&ResultType>) {
    match result {
        Some(r) => r.write(w, "tns:result", "core"),
        None => ResultType::ok("").write(w, "tns:result", "core"),
    }
}

/// `YYYYMMDD…` as `YYYY-MM-DD` for display.
pub fn fmt_day(t: &str) -> String {
    match (t.get(0..4), t.get(4..6), t.get(6..8)) {
        (Some(y), Some(m), Some(d)) => format!("{y}-{m}-{d}"),
        _ => t.to_owned(),
    }
}

/// A coded value's text for display: `displayName`, else `originalText`, else `code`.
pub fn cv_text(cv: &Cv) -> Option<&str> {
    cv.display_name
        .as_deref()
        .or(cv.original_text.as_deref())
        .or(cv.code.as_deref())
}

// ---------------------------------------------------------------------------------------------
// Request

/// The GetMedicationHistory request: the shared filters (`careUnitHSAId`, `patientId`,
/// `datePeriod`, `sourceSystemHSAId`, `careContactId`) plus care givers, a prescription chain
/// and a status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicationHistoryRequest {
    pub query: Query,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub care_giver_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription_chain_id: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription_status: Option<PrescriptionStatus>,
}

impl From<Query> for MedicationHistoryRequest {
    fn from(query: Query) -> Self {
        MedicationHistoryRequest {
            query,
            care_giver_ids: Vec::new(),
            prescription_chain_id: None,
            prescription_status: None,
        }
    }
}

impl MedicationHistoryRequest {
    pub fn for_patient(patient: PersonId) -> Self {
        MedicationHistoryRequest {
            query: Query::for_patient(patient),
            care_giver_ids: Vec::new(),
            prescription_chain_id: None,
            prescription_status: None,
        }
    }

    /// True if a source system should answer with `item`: the shared filters (the period on
    /// [`Contract::filter_time`]) and care giver, chain and status.
    pub fn matches(&self, item: &MedicationMedicalRecord) -> bool {
        let meta = item.header.meta();
        let p = &item.body.prescription;
        self.query
            .matches(&meta, GetMedicationHistoryV2::filter_time(item))
            && (self.care_giver_ids.is_empty()
                || meta
                    .care_giver
                    .is_some_and(|g| self.care_giver_ids.iter().any(|c| c == g)))
            && self
                .prescription_chain_id
                .as_ref()
                .is_none_or(|c| p.chain_id.as_ref() == Some(c))
            && self.prescription_status.is_none_or(|s| s == p.status)
    }
}

// ---------------------------------------------------------------------------------------------
// Response items

/// One medication record: a prescription (ordination).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MedicationMedicalRecord {
    pub header: PatientSummaryHeader,
    pub body: MedicationMedicalRecordBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MedicationMedicalRecordBody {
    pub prescription: MedicationPrescription,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_patient_information: Option<AdditionalPatientInformation>,
}

/// `TypeOfPrescriptionEnum`: `I` insättning (also a changed or renewed prescription), `U`
/// utsättning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeOfPrescription {
    #[serde(rename = "I")]
    Insattning,
    #[serde(rename = "U")]
    Utsattning,
}

impl TypeOfPrescription {
    pub fn as_str(self) -> &'static str {
        match self {
            TypeOfPrescription::Insattning => "I",
            TypeOfPrescription::Utsattning => "U",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ContractError> {
        match s {
            "I" => Ok(TypeOfPrescription::Insattning),
            "U" => Ok(TypeOfPrescription::Utsattning),
            _ => Err(ContractError::Invalid("typeOfPrescription", "not I or U")),
        }
    }

    pub fn display(self) -> &'static str {
        match self {
            TypeOfPrescription::Insattning => "Insättning",
            TypeOfPrescription::Utsattning => "Utsättning",
        }
    }
}

/// `PrescriptionStatusEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrescriptionStatus {
    Active,
    Inactive,
}

impl PrescriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PrescriptionStatus::Active => "Active",
            PrescriptionStatus::Inactive => "Inactive",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ContractError> {
        match s {
            "Active" => Ok(PrescriptionStatus::Active),
            "Inactive" => Ok(PrescriptionStatus::Inactive),
            _ => Err(ContractError::Invalid(
                "prescriptionStatus",
                "not Active or Inactive",
            )),
        }
    }

    pub fn display(self) -> &'static str {
        match self {
            PrescriptionStatus::Active => "Aktiv",
            PrescriptionStatus::Inactive => "Inaktiv",
        }
    }
}

/// `NonReplaceableEnum`: who refused generic substitution (utbyte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NonReplaceable {
    Prescriber,
    Patient,
}

impl NonReplaceable {
    pub fn as_str(self) -> &'static str {
        match self {
            NonReplaceable::Prescriber => "Prescriber",
            NonReplaceable::Patient => "Patient",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ContractError> {
        match s {
            "Prescriber" => Ok(NonReplaceable::Prescriber),
            "Patient" => Ok(NonReplaceable::Patient),
            _ => Err(ContractError::Invalid(
                "nonReplaceable",
                "not Prescriber or Patient",
            )),
        }
    }

    pub fn display(self) -> &'static str {
        match self {
            NonReplaceable::Prescriber => "Får ej bytas ut (förskrivaren)",
            NonReplaceable::Patient => "Får ej bytas ut (patienten)",
        }
    }
}

/// `MedicationPrescriptionType`: one prescription (ordination) in a chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MedicationPrescription {
    pub prescription_id: Ii,
    pub type_of_prescription: TypeOfPrescription,
    pub status: PrescriptionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub principal_reasons: Vec<PrescriptionReason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_reasons: Vec<PrescriptionReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment_purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preceding_id: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub succeeding_id: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescriber: Option<HealthcareProfessional>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator: Option<HealthcareProfessional>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_of_first_treatment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_of_treatment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_treatment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_treatment_reason: Option<Cv>,
    pub self_medication: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug: Option<DrugChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispensation_authorization: Option<DispensationAuthorization>,
}

/// `PrescriptionReasonType`: a coded reason (ICD-10-SE) and free text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrescriptionReason {
    pub reason: Cv,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_reason: Option<String>,
}

impl PrescriptionReason {
    fn parse(el: &Element, ns: &str) -> Result<Self, ContractError> {
        Ok(PrescriptionReason {
            reason: Cv::parse(
                el.child(ns, "reason")
                    .ok_or(ContractError::Missing("reason"))?,
                ns,
            ),
            other_reason: opt(el, ns, "otherReason"),
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag);
        self.reason.write(w, "core:reason");
        w.opt_text("core:otherReason", self.other_reason.as_deref())
            .close(tag);
    }

    /// `Essentiell hypertoni (I10)`.
    pub fn display(&self) -> String {
        let text = cv_text(&self.reason)
            .or(self.other_reason.as_deref())
            .unwrap_or("Okänd orsak");
        match self.reason.code.as_deref() {
            Some(code) if Some(code) != self.reason.display_name.as_deref() => {
                format!("{text} ({code})")
            }
            _ => text.to_owned(),
        }
    }
}

/// `DrugChoiceType`: what is prescribed, and how it is to be taken.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DrugChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `unstructuredDrugInformation/unstructuredInformation` (e.g. an extempore preparation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unstructured: Option<String>,
    /// `merchandise/articleNumber`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchandise: Option<Cv>,
    /// `drugArticle/nplPackId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub npl_pack_id: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug: Option<Drug>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generics: Option<Generics>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dosage: Vec<Dosage>,
}

/// `DrugType`: a product (NPL id) with its ATC code, route, form and strength.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Drug {
    pub npl_id: Cv,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atc_code: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pharmaceutical_form: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength_unit: Option<String>,
}

/// `GenericsType`: substance, strength and form, without a product.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Generics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
}

/// `DosageType`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dosage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_of_treatment: Option<LengthOfTreatment>,
    /// The dosage as written for the patient, e.g. `1 tablett 2 gånger dagligen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_dose: Option<Cv>,
    /// Short notation, e.g. `1x2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_notation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_dosage: Option<DosageParts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_dosage: Option<DosageParts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_dosage: Option<ConditionalDosage>,
}

/// `LengthOfTreatmentType`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LengthOfTreatment {
    pub interval: PqInterval,
    pub is_maximum: bool,
}

/// The modelled parts of `SetDosageType` / `MaximumDosageType` (same content).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DosageParts {
    /// `frequencyDosage`: a dose so many times per unit of time (`frequency`, e.g. 2 `1/d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<DoseRate>,
    /// `periodDosage`: a dose once per period (e.g. 1 `wk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<DoseRate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_dose: Option<SingleDose>,
    /// `unstructuredDosageInformation/text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unstructured: Option<String>,
}

/// `FrequencyDosageType` (`dose`, `frequency`) and `PeriodDosageType` (`dose`, `period`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DoseRate {
    pub dose: PqInterval,
    /// The frequency (per unit of time) or the period.
    pub rate: Pq,
}

/// `SingleDoseType`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SingleDose {
    pub dose: PqInterval,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// `ConditionalDosageType`: a dosage that applies on a condition (e.g. `vid smärta`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionalDosage {
    pub condition: String,
    pub dosage: DosageParts,
}

/// `DispensationAuthorizationType`: the prescription to the pharmacy (förskrivning, recept).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispensationAuthorization {
    pub id: Ii,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_pharmacy: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_dispensation_interval: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_method: Option<String>,
    pub authorizer: HealthcareProfessional,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer_comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_dispensation_before: Option<String>,
    /// `prescriptionSignatura`: the dosage text on the label.
    pub signatura: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_replaceable: Option<NonReplaceable>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug: Option<DrugChoice>,
}

// ---------------------------------------------------------------------------------------------
// Reading and writing

fn child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

impl DrugChoice {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(DrugChoice {
            comment: opt(el, ns, "comment"),
            unstructured: el
                .child(ns, "unstructuredDrugInformation")
                .map(|u| req(u, ns, "unstructuredInformation").map(str::to_owned))
                .transpose()?,
            merchandise: el
                .child(ns, "merchandise")
                .map(|m| child(m, "articleNumber").map(|c| Cv::parse(c, ns)))
                .transpose()?,
            npl_pack_id: el
                .child(ns, "drugArticle")
                .map(|a| child(a, "nplPackId").map(|c| Cv::parse(c, ns)))
                .transpose()?,
            drug: el.child(ns, "drug").map(Drug::parse).transpose()?,
            generics: el.child(ns, "generics").map(Generics::parse).transpose()?,
            dosage: el
                .children_named(ns, "dosage")
                .map(Dosage::parse)
                .collect::<Result<_, _>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .opt_text("core:comment", self.comment.as_deref());
        if let Some(u) = &self.unstructured {
            w.open("core:unstructuredDrugInformation")
                .text("core:unstructuredInformation", u)
                .close("core:unstructuredDrugInformation");
        }
        if let Some(m) = &self.merchandise {
            w.open("core:merchandise");
            m.write(w, "core:articleNumber");
            w.close("core:merchandise");
        }
        if let Some(p) = &self.npl_pack_id {
            w.open("core:drugArticle");
            p.write(w, "core:nplPackId");
            w.close("core:drugArticle");
        }
        if let Some(d) = &self.drug {
            d.write(w);
        }
        if let Some(g) = &self.generics {
            g.write(w);
        }
        for d in &self.dosage {
            d.write(w);
        }
        w.close(tag);
    }

    /// A name for display, e.g. `Metformin Sandoz 500 mg filmdragerad tablett`.
    pub fn name(&self) -> Option<String> {
        if let Some(d) = &self.drug
            && let Some(n) = cv_text(&d.npl_id)
        {
            return Some(n.to_owned());
        }
        if let Some(g) = &self.generics
            && let Some(s) = &g.substance
        {
            let mut n = s.clone();
            if let Some(st) = &g.strength {
                n.push_str(&format!(" {} {}", sv_num(st.value), st.unit));
            }
            if let Some(f) = &g.form {
                n.push(' ');
                n.push_str(&f.to_lowercase());
            }
            return Some(n);
        }
        if let Some(u) = &self.unstructured {
            return Some(u.clone());
        }
        self.drug
            .as_ref()
            .and_then(|d| d.atc_code.as_ref())
            .and_then(cv_text)
            .map(str::to_owned)
    }

    /// The dosage as one line: the instructions, else the short notations, else the structure.
    pub fn dosage_text(&self) -> Option<String> {
        let parts: Vec<String> = self.dosage.iter().filter_map(Dosage::text).collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

impl Drug {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(Drug {
            npl_id: Cv::parse(child(el, "nplId")?, ns),
            atc_code: el.child(ns, "atcCode").map(|c| Cv::parse(c, ns)),
            route: el
                .child(ns, "routeOfAdministration")
                .map(|c| Cv::parse(c, ns)),
            pharmaceutical_form: opt(el, ns, "pharmaceuticalForm"),
            strength: opt_double(el, ns, "strength")?,
            strength_unit: opt(el, ns, "strengthUnit"),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:drug");
        self.npl_id.write(w, "core:nplId");
        if let Some(a) = &self.atc_code {
            a.write(w, "core:atcCode");
        }
        if let Some(r) = &self.route {
            r.write(w, "core:routeOfAdministration");
        }
        w.opt_text(
            "core:pharmaceuticalForm",
            self.pharmaceutical_form.as_deref(),
        )
        .opt_text("core:strength", self.strength.map(fmt_double).as_deref())
        .opt_text("core:strengthUnit", self.strength_unit.as_deref())
        .close("core:drug");
    }
}

impl Generics {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(Generics {
            substance: opt(el, ns, "substance"),
            strength: el
                .child(ns, "strength")
                .map(|s| Pq::parse(s, ns))
                .transpose()?,
            form: opt(el, ns, "form"),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:generics")
            .opt_text("core:substance", self.substance.as_deref());
        if let Some(s) = &self.strength {
            s.write(w, "core:strength");
        }
        w.opt_text("core:form", self.form.as_deref())
            .close("core:generics");
    }
}

impl Dosage {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(Dosage {
            length_of_treatment: el
                .child(ns, "lengthOfTreatment")
                .map(|l| {
                    Ok::<_, ContractError>(LengthOfTreatment {
                        interval: PqInterval::parse(child(l, "treatmentInterval")?, ns)?,
                        is_maximum: parse_bool(
                            req(l, ns, "isMaximumTreatmentTime")?,
                            "isMaximumTreatmentTime",
                        )?,
                    })
                })
                .transpose()?,
            instruction: opt(el, ns, "dosageInstruction"),
            unit_dose: el.child(ns, "unitDose").map(|c| Cv::parse(c, ns)),
            short_notation: opt(el, ns, "shortNotation"),
            set_dosage: el
                .child(ns, "setDosage")
                .map(DosageParts::parse)
                .transpose()?,
            maximum_dosage: el
                .child(ns, "maximumDosage")
                .map(DosageParts::parse)
                .transpose()?,
            conditional_dosage: el
                .child(ns, "conditionalDosage")
                .map(|c| {
                    Ok::<_, ContractError>(ConditionalDosage {
                        condition: req(c, ns, "conditionDescription")?.to_owned(),
                        dosage: DosageParts::parse(c)?,
                    })
                })
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:dosage");
        if let Some(l) = &self.length_of_treatment {
            w.open("core:lengthOfTreatment");
            l.interval.write(w, "core:treatmentInterval");
            w.bool("core:isMaximumTreatmentTime", l.is_maximum)
                .close("core:lengthOfTreatment");
        }
        w.opt_text("core:dosageInstruction", self.instruction.as_deref());
        if let Some(u) = &self.unit_dose {
            u.write(w, "core:unitDose");
        }
        w.opt_text("core:shortNotation", self.short_notation.as_deref());
        if let Some(s) = &self.set_dosage {
            w.open("core:setDosage");
            s.write_parts(w);
            w.close("core:setDosage");
        }
        if let Some(m) = &self.maximum_dosage {
            w.open("core:maximumDosage");
            m.write_parts(w);
            w.close("core:maximumDosage");
        }
        if let Some(c) = &self.conditional_dosage {
            w.open("core:conditionalDosage")
                .text("core:conditionDescription", &c.condition);
            c.dosage.write_parts(w);
            w.close("core:conditionalDosage");
        }
        w.close("core:dosage");
    }

    /// One line for display.
    pub fn text(&self) -> Option<String> {
        if let Some(i) = &self.instruction {
            return Some(i.clone());
        }
        if let Some(s) = &self.short_notation {
            return Some(s.clone());
        }
        let mut parts = Vec::new();
        if let Some(s) = self.set_dosage.as_ref().and_then(DosageParts::text) {
            parts.push(s);
        }
        if let Some(c) = &self.conditional_dosage {
            match c.dosage.text() {
                Some(t) => parts.push(format!("{}: {t}", c.condition)),
                None => parts.push(c.condition.clone()),
            }
        }
        if let Some(m) = self.maximum_dosage.as_ref().and_then(DosageParts::text) {
            parts.push(format!("högst {m}"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl DosageParts {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let rate = |name: &'static str, rate: &'static str| {
            el.child(ns, name)
                .map(|f| {
                    Ok::<_, ContractError>(DoseRate {
                        dose: PqInterval::parse(child(f, "dose")?, ns)?,
                        rate: Pq::parse(child(f, rate)?, ns)?,
                    })
                })
                .transpose()
        };
        Ok(DosageParts {
            frequency: rate("frequencyDosage", "frequency")?,
            period: rate("periodDosage", "period")?,
            single_dose: el
                .child(ns, "singleDose")
                .map(|s| {
                    Ok::<_, ContractError>(SingleDose {
                        dose: PqInterval::parse(child(s, "dose")?, ns)?,
                        time: opt_timestamp(s, ns, "time")?,
                    })
                })
                .transpose()?,
            unstructured: el
                .child(ns, "unstructuredDosageInformation")
                .map(|u| req(u, ns, "text").map(str::to_owned))
                .transpose()?,
        })
    }

    /// The children in schema order (the caller writes the enclosing element).
    fn write_parts(&self, w: &mut XmlWriter) {
        if let Some(f) = &self.frequency {
            w.open("core:frequencyDosage");
            f.dose.write(w, "core:dose");
            f.rate.write(w, "core:frequency");
            w.close("core:frequencyDosage");
        }
        if let Some(p) = &self.period {
            w.open("core:periodDosage");
            p.dose.write(w, "core:dose");
            p.rate.write(w, "core:period");
            w.close("core:periodDosage");
        }
        if let Some(s) = &self.single_dose {
            w.open("core:singleDose");
            s.dose.write(w, "core:dose");
            w.opt_text("core:time", s.time.as_deref())
                .close("core:singleDose");
        }
        if let Some(u) = &self.unstructured {
            w.open("core:unstructuredDosageInformation")
                .text("core:text", u)
                .close("core:unstructuredDosageInformation");
        }
    }

    /// E.g. `1 tablett 2 gånger per d` from the structure.
    pub fn text(&self) -> Option<String> {
        if let Some(f) = &self.frequency {
            return Some(format!(
                "{} {} gånger per {}",
                f.dose.display(),
                sv_num(f.rate.value),
                f.rate.unit.trim_start_matches("1/").trim_start_matches('/')
            ));
        }
        if let Some(p) = &self.period {
            return Some(format!(
                "{} var {} {}",
                p.dose.display(),
                sv_num(p.rate.value),
                p.rate.unit
            ));
        }
        if let Some(s) = &self.single_dose {
            return Some(format!("{} som engångsdos", s.dose.display()));
        }
        self.unstructured.clone()
    }
}

impl DispensationAuthorization {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(DispensationAuthorization {
            id: Ii::parse(child(el, "dispensationAuthorizationId")?, ns)?,
            valid_until: opt_date(el, ns, "validUntil")?,
            receiving_pharmacy: el
                .child(ns, "receivingPharmacy")
                .map(|p| Ii::parse(p, ns))
                .transpose()?,
            minimum_dispensation_interval: el
                .child(ns, "minimumDispensationInterval")
                .map(|p| Pq::parse(p, ns))
                .transpose()?,
            total_amount: opt_double(el, ns, "totalAmount")?,
            package_unit: opt(el, ns, "packageUnit"),
            distribution_method: opt(el, ns, "distributionMethod"),
            authorizer: HealthcareProfessional::parse(child(el, "dispensationAuthorizer")?, ns)?,
            authorizer_comment: opt(el, ns, "dispensationAuthorizerComment"),
            first_dispensation_before: opt_date(el, ns, "firstDispensationBefore")?,
            signatura: req(el, ns, "prescriptionSignatura")?.to_owned(),
            non_replaceable: opt(el, ns, "nonReplaceable")
                .map(|s| NonReplaceable::parse(&s))
                .transpose()?,
            drug: el.child(ns, "drug").map(DrugChoice::parse).transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:dispensationAuthorization");
        self.id.write(w, "core:dispensationAuthorizationId");
        w.opt_text("core:validUntil", self.valid_until.as_deref());
        if let Some(p) = &self.receiving_pharmacy {
            p.write(w, "core:receivingPharmacy");
        }
        if let Some(i) = &self.minimum_dispensation_interval {
            i.write(w, "core:minimumDispensationInterval");
        }
        w.opt_text(
            "core:totalAmount",
            self.total_amount.map(fmt_double).as_deref(),
        )
        .opt_text("core:packageUnit", self.package_unit.as_deref())
        .opt_text(
            "core:distributionMethod",
            self.distribution_method.as_deref(),
        );
        self.authorizer.write(w, "core:dispensationAuthorizer");
        w.opt_text(
            "core:dispensationAuthorizerComment",
            self.authorizer_comment.as_deref(),
        )
        .opt_text(
            "core:firstDispensationBefore",
            self.first_dispensation_before.as_deref(),
        )
        .text("core:prescriptionSignatura", &self.signatura)
        .opt_text(
            "core:nonReplaceable",
            self.non_replaceable.map(NonReplaceable::as_str),
        );
        if let Some(d) = &self.drug {
            d.write(w, "core:drug");
        }
        w.close("core:dispensationAuthorization");
    }
}

impl MedicationPrescription {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let professional = |name: &'static str| {
            el.child(ns, name)
                .map(|p| HealthcareProfessional::parse(p, ns))
                .transpose()
        };
        let id = |name: &'static str| el.child(ns, name).map(|i| Ii::parse(i, ns)).transpose();
        let reasons = |name: &'static str| {
            el.children_named(ns, name)
                .map(|r| PrescriptionReason::parse(r, ns))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(MedicationPrescription {
            prescription_id: Ii::parse(child(el, "prescriptionId")?, ns)?,
            type_of_prescription: TypeOfPrescription::parse(req(el, ns, "typeOfPrescription")?)?,
            status: PrescriptionStatus::parse(req(el, ns, "prescriptionStatus")?)?,
            note: opt(el, ns, "prescriptionNote"),
            principal_reasons: reasons("principalPrescriptionReason")?,
            additional_reasons: reasons("additionalPrescriptionReason")?,
            evaluation_time: opt_timestamp(el, ns, "evaluationTime")?,
            treatment_purpose: opt(el, ns, "treatmentPurpose"),
            chain_id: id("prescriptionChainId")?,
            preceding_id: id("precedingPrescriptionId")?,
            succeeding_id: id("succeedingPrescriptionId")?,
            prescriber: professional("prescriber")?,
            evaluator: professional("evaluator")?,
            start_of_first_treatment: opt_timestamp(el, ns, "startOfFirstTreatment")?,
            start_of_treatment: opt_timestamp(el, ns, "startOfTreatment")?,
            end_of_treatment: opt_timestamp(el, ns, "endOfTreatment")?,
            end_of_treatment_reason: el
                .child(ns, "endOfTreatmentReason")
                .map(|c| Cv::parse(c, ns)),
            self_medication: parse_bool(req(el, ns, "selfMedication")?, "selfMedication")?,
            drug: el.child(ns, "drug").map(DrugChoice::parse).transpose()?,
            dispensation_authorization: el
                .child(ns, "dispensationAuthorization")
                .map(DispensationAuthorization::parse)
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:medicationPrescription");
        self.prescription_id.write(w, "core:prescriptionId");
        w.text(
            "core:typeOfPrescription",
            self.type_of_prescription.as_str(),
        )
        .text("core:prescriptionStatus", self.status.as_str())
        .opt_text("core:prescriptionNote", self.note.as_deref());
        for r in &self.principal_reasons {
            r.write(w, "core:principalPrescriptionReason");
        }
        for r in &self.additional_reasons {
            r.write(w, "core:additionalPrescriptionReason");
        }
        w.opt_text("core:evaluationTime", self.evaluation_time.as_deref())
            .opt_text("core:treatmentPurpose", self.treatment_purpose.as_deref());
        for (tag, id) in [
            ("core:prescriptionChainId", &self.chain_id),
            ("core:precedingPrescriptionId", &self.preceding_id),
            ("core:succeedingPrescriptionId", &self.succeeding_id),
        ] {
            if let Some(id) = id {
                id.write(w, tag);
            }
        }
        if let Some(p) = &self.prescriber {
            p.write(w, "core:prescriber");
        }
        if let Some(e) = &self.evaluator {
            e.write(w, "core:evaluator");
        }
        w.opt_text(
            "core:startOfFirstTreatment",
            self.start_of_first_treatment.as_deref(),
        )
        .opt_text("core:startOfTreatment", self.start_of_treatment.as_deref())
        .opt_text("core:endOfTreatment", self.end_of_treatment.as_deref());
        if let Some(r) = &self.end_of_treatment_reason {
            r.write(w, "core:endOfTreatmentReason");
        }
        w.bool("core:selfMedication", self.self_medication);
        if let Some(d) = &self.drug {
            d.write(w, "core:drug");
        }
        if let Some(d) = &self.dispensation_authorization {
            d.write(w);
        }
        w.close("core:medicationPrescription");
    }
}

impl MedicationMedicalRecord {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let body = child(el, "medicationMedicalRecordBody")?;
        Ok(MedicationMedicalRecord {
            header: PatientSummaryHeader::parse(
                child(el, "medicationMedicalRecordHeader")?,
                ns,
                HeaderSpelling::Standard,
            )?,
            body: MedicationMedicalRecordBody {
                prescription: MedicationPrescription::parse(child(
                    body,
                    "medicationPrescription",
                )?)?,
                additional_patient_information: body
                    .child(ns, "additionalPatientInformation")
                    .map(|a| AdditionalPatientInformation::parse(a, ns))
                    .transpose()?,
            },
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("tns:medicationMedicalRecord");
        self.header.write(
            w,
            "core:medicationMedicalRecordHeader",
            HeaderSpelling::Standard,
        );
        w.open("core:medicationMedicalRecordBody");
        self.body.prescription.write(w);
        if let Some(a) = &self.body.additional_patient_information {
            a.write(w, "core:additionalPatientInformation");
        }
        w.close("core:medicationMedicalRecordBody")
            .close("tns:medicationMedicalRecord");
    }
}

/// The GetMedicationHistory 2.1 contract.
pub struct GetMedicationHistoryV2;

impl Contract for GetMedicationHistoryV2 {
    const NAME: &'static str = "GetMedicationHistory";
    const VERSION: &'static str = "2.1";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:activityprescription:actoutcome";
    const CATEGORIZATION: &'static str = "caa-gmh";

    type Request = MedicationHistoryRequest;
    type Item = MedicationMedicalRecord;

    fn parse_request(body: &Element) -> Result<MedicationHistoryRequest, ContractError> {
        if !body.is(NAMESPACE, "GetMedicationHistory") {
            return Err(ContractError::UnexpectedElement("GetMedicationHistory"));
        }
        let tns = NAMESPACE;
        Ok(MedicationHistoryRequest {
            query: Query {
                care_unit_ids: many(body, tns, "careUnitHSAId"),
                patient_id: PersonId::parse(
                    body.child(tns, "patientId")
                        .ok_or(ContractError::Missing("patientId"))?,
                    CORE_NS,
                )?,
                period: body
                    .child(tns, "datePeriod")
                    .map(|p| parse_open_period(p, CORE_NS))
                    .transpose()?
                    .flatten(),
                source_system_id: opt(body, tns, "sourceSystemHSAId"),
                care_contact_ids: many(body, tns, "careContactId"),
            },
            care_giver_ids: many(body, tns, "careGiverHSAId"),
            prescription_chain_id: body
                .child(tns, "prescriptionChainId")
                .map(|c| Ii::parse(c, CORE_NS))
                .transpose()?,
            prescription_status: opt(body, tns, "prescriptionStatus")
                .map(|s| PrescriptionStatus::parse(&s))
                .transpose()?,
        })
    }

    fn write_request(req: &MedicationHistoryRequest) -> String {
        let q = &req.query;
        let mut w = XmlWriter::with_capacity(768);
        w.open_ns(
            "tns:GetMedicationHistory",
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
        if let Some(c) = &req.prescription_chain_id {
            c.write(&mut w, "tns:prescriptionChainId");
        }
        w.opt_text(
            "tns:prescriptionStatus",
            req.prescription_status.map(PrescriptionStatus::as_str),
        );
        w.close("tns:GetMedicationHistory");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<MedicationMedicalRecord>, ContractError> {
        if !body.is(NAMESPACE, "GetMedicationHistoryResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetMedicationHistoryResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "medicationMedicalRecord")
            .map(MedicationMedicalRecord::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let result = parse_required_result(body, NAMESPACE, CORE_NS)?;
        Ok(Response::new(items, result))
    }

    fn write_response(resp: &Response<MedicationMedicalRecord>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 3072);
        w.open_ns(
            "tns:GetMedicationHistoryResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            item.write(&mut w);
        }
        write_required_result(&mut w, resp.result.as_ref());
        w.close("tns:GetMedicationHistoryResponse");
        w.finish()
    }

    fn query(req: &MedicationHistoryRequest) -> &Query {
        &req.query
    }

    fn query_mut(req: &mut MedicationHistoryRequest) -> &mut Query {
        &mut req.query
    }

    fn meta(item: &MedicationMedicalRecord) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The shared filters and the care-giver, chain and status filters.
    fn matches(req: &MedicationHistoryRequest, item: &MedicationMedicalRecord) -> bool {
        req.matches(item)
    }

    /// The start of the treatment this prescription orders, else the author time.
    fn filter_time(item: &MedicationMedicalRecord) -> &str {
        item.body
            .prescription
            .start_of_treatment
            .as_deref()
            .unwrap_or(&item.header.accountable.author_time)
    }

    fn view(item: &MedicationMedicalRecord) -> ItemView {
        let p = &item.body.prescription;
        let title = p
            .drug
            .as_ref()
            .and_then(DrugChoice::name)
            .unwrap_or_else(|| "Läkemedel utan benämning".into());
        let mut fields = vec![
            (
                "Ordinationstyp",
                p.type_of_prescription.display().to_owned(),
            ),
            ("Status", p.status.display().to_owned()),
        ];
        if let Some(d) = p.drug.as_ref().and_then(DrugChoice::dosage_text) {
            fields.push(("Dosering", d));
        }
        if let Some(atc) = p
            .drug
            .as_ref()
            .and_then(|d| d.drug.as_ref()?.atc_code.as_ref())
        {
            let text = match (atc.code.as_deref(), cv_text(atc)) {
                (Some(c), Some(t)) if t != c => format!("{c} {t}"),
                (Some(c), _) => c.to_owned(),
                (None, Some(t)) => t.to_owned(),
                (None, None) => String::new(),
            };
            if !text.is_empty() {
                fields.push(("ATC-kod", text));
            }
        }
        if let Some(r) = p
            .drug
            .as_ref()
            .and_then(|d| d.drug.as_ref()?.route.as_ref())
            .and_then(cv_text)
        {
            fields.push(("Administrationssätt", r.to_owned()));
        }
        if !p.principal_reasons.is_empty() {
            let reasons: Vec<String> = p
                .principal_reasons
                .iter()
                .map(PrescriptionReason::display)
                .collect();
            fields.push(("Ordinationsorsak", reasons.join(", ")));
        }
        if let Some(t) = &p.treatment_purpose {
            fields.push(("Behandlingsändamål", t.clone()));
        }
        if let Some(s) = &p.start_of_first_treatment
            && p.start_of_treatment.as_deref() != Some(s.as_str())
        {
            fields.push(("Första behandlingsstart", fmt_day(s)));
        }
        if let Some(s) = &p.start_of_treatment {
            fields.push(("Behandlingsstart", fmt_day(s)));
        }
        if let Some(e) = &p.end_of_treatment {
            fields.push(("Behandlingsslut", fmt_day(e)));
        }
        if let Some(r) = p.end_of_treatment_reason.as_ref().and_then(cv_text) {
            fields.push(("Utsättningsorsak", r.to_owned()));
        }
        if let Some(e) = &p.evaluation_time {
            fields.push(("Utvärderas", fmt_day(e)));
        }
        if let Some(n) = p.prescriber.as_ref().and_then(|p| p.name.clone()) {
            fields.push(("Ordinatör", n));
        }
        if p.self_medication {
            fields.push(("Egenvård", "Ja".into()));
        }
        if let Some(d) = &p.dispensation_authorization {
            if let Some(v) = &d.valid_until {
                fields.push(("Recept giltigt t.o.m.", fmt_day(v)));
            }
            if let (Some(a), Some(u)) = (d.total_amount, &d.package_unit) {
                fields.push(("Förskriven mängd", format!("{} {u}", sv_num(a))));
            }
            if let Some(n) = d.non_replaceable {
                fields.push(("Utbyte", n.display().into()));
            }
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
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: p.note.clone(),
            attention: false,
        }
    }
}
