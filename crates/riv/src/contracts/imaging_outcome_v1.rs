//! GetImagingOutcome 1.0 (`urn:riv:clinicalprocess:healthcond:actoutcome:GetImagingOutcomeResponder:1`):
//! imaging results (the radiologist's report) with the referral they answer. Categorization
//! `und-bdi-ure`.
//!
//! This module also holds the types of the actoutcome 3.1 core namespace that GetECGOutcome 1.0
//! and GetReferralOutcome 3.1 share with it ([`Pq`], [`Ii`], [`TimePeriod`], [`PatientData`],
//! [`ModalityData`], [`TypeOfResult`], [`ExaminationReferral`] and the header, request and
//! result readers), because the three contracts are built on the same core schema.
//!
//! Schema points worth knowing (the schema wins over the TKB):
//! - `result` is required in the response. A [`Response`] without a result is written with a
//!   bare `OK` result (empty `logId`), and a bare `OK` result without log id, error code,
//!   sub code or message reads back as `None`.
//! - In this domain `OrgUnitType` makes `orgUnitHSAId` and `orgUnitName` optional: a missing
//!   one reads as an empty string (and is written back as an empty element).
//! - `DatePeriodType` makes `start` and `end` optional: an open end reads as `19000101` or
//!   `20991231` (the extremes of the schema's date pattern), a period with neither as no period.
//! - There is no modality element in the body: the modality is
//!   `imageRecording/modalityData/typeOfModality` (a DICOM modality such as `DX`, `CT`, `MR`),
//!   the examination is `imageRecording/examinationActivity`.
//! - `examinationStatus` is an enumeration (`ExaminationStatusCodeEnum`) for imaging but a
//!   `CVType` for ECG; `dicomSOP` is a plain string (the TKB says IIType).
//!
//! Not modelled (ignored when reading): `imageStructuredData` (aperture, exposure, inline image
//! data), `dicomValue` (inline DICOM; the reference is kept), `legalAuthenticatorRoleCode`
//! and extension elements (`xs:any`).

pub use crate::common::display_time;
use crate::common::{
    ContractError, Cv, DatePeriod, HealthcareProfessional, ItemMeta, LegalAuthenticator, OrgUnit,
    PatientSummaryHeader, PersonId, Query, QuerySpelling, ResultCode, ResultType, check_timestamp,
    is_date, many, opt, opt_bool, parse_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub use crate::common::TimePeriod;
/// An optional `TimeStampType` child.
pub use crate::common::opt_timestamp as opt_ts;

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:actoutcome:GetImagingOutcomeResponder:1";
/// Namespace of the actoutcome domain's core types (all three contracts of this domain here).
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:actoutcome:3";
/// Namespace of the 3.1 extension element `attested`.
pub const EXT_NS: &str = "urn:riv:clinicalprocess:healthcond:actoutcome:3.1";
/// OID of SNOMED CT (Swedish edition).
pub const SNOMED_CT: &str = "1.2.752.116.2.1.1";
/// OID of KV Befattning (role codes).
pub const KV_BEFATTNING: &str = "1.2.752.129.2.2.1.4";
/// First and last day of the schema's date pattern, for open-ended request periods.
pub const OPEN_START: &str = "19000101";
pub const OPEN_END: &str = "20991231";

/// `ExaminationStatusCodeEnum` (KV åtgärdsstatus).
pub const EXAMINATION_STATUSES: &[&str] = &[
    "Initierad",
    "Planerad",
    "Tidbokad",
    "Uppskjuten",
    "Annullerad",
    "Pågående",
    "Avvakta",
    "Avbruten",
    "Avklarad",
    "Inaktuell",
    "Makulerad",
];

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAId",
    time_period: "datePeriod",
    source_system: "sourceSystemHSAId",
};

// ---------------------------------------------------------------------------------------------
// Shared types and readers of the actoutcome 3 core namespace

/// A required child element.
pub fn child<'a>(
    el: &'a Element,
    ns: &str,
    name: &'static str,
) -> Result<&'a Element, ContractError> {
    el.child(ns, name).ok_or(ContractError::Missing(name))
}

/// A required `xs:string` child: present, but (as the schema allows) possibly empty.
pub fn req_text(el: &Element, ns: &str, name: &'static str) -> Result<String, ContractError> {
    el.child_text(ns, name)
        .map(str::to_owned)
        .ok_or(ContractError::Missing(name))
}

/// A required `TimeStampType` child.
pub fn req_ts(el: &Element, ns: &str, name: &'static str) -> Result<String, ContractError> {
    check_timestamp(req(el, ns, name)?.to_owned(), name)
}

/// An `xs:double` value; only finite numbers are accepted (`INF` and `NaN` are refused).
pub fn parse_double(s: &str, name: &'static str) -> Result<f64, ContractError> {
    let lexical_ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    match s.parse::<f64>() {
        Ok(v) if lexical_ok && v.is_finite() => Ok(v),
        _ => Err(ContractError::Invalid(name, "not a finite number")),
    }
}

/// A physical quantity (`PQType`): value and unit, e.g. 72 `/min`, 0.02 `mSv`.
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
            unit: req_text(el, ns, "unit")?,
        })
    }

    pub fn opt(el: &Element, ns: &str, name: &str) -> Result<Option<Self>, ContractError> {
        el.child(ns, name).map(|c| Pq::parse(c, ns)).transpose()
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:value", &self.value.to_string())
            .text("core:unit", &self.unit)
            .close(tag);
    }

    pub fn write_opt(v: &Option<Self>, w: &mut XmlWriter, tag: &str) {
        if let Some(v) = v {
            v.write(w, tag);
        }
    }

    /// Swedish display: decimal comma, e.g. `0,02 mSv`, `45°`.
    pub fn display(&self) -> String {
        let v = self.value.to_string().replace('.', ",");
        match self.unit.as_str() {
            "" => v,
            "°" | "deg" => format!("{v}°"),
            u => format!("{v} {u}"),
        }
    }

    /// The value in milliseconds if the unit is a time (`ms` or `s`).
    pub fn millis(&self) -> Option<f64> {
        match self.unit.as_str() {
            "ms" => Some(self.value),
            "s" => Some(self.value * 1000.0),
            _ => None,
        }
    }
}

/// An instance identifier (`IIType`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ii {
    pub root: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

impl Ii {
    pub fn parse(el: &Element, ns: &str) -> Result<Self, ContractError> {
        Ok(Ii {
            root: req_text(el, ns, "root")?,
            extension: opt(el, ns, "extension"),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:root", &self.root)
            .opt_text("core:extension", self.extension.as_deref())
            .close(tag);
    }
}

/// `PatientDataType`: the patient's weight and length at the examination.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatientData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<Pq>,
}

impl PatientData {
    pub fn parse(el: &Element, ns: &str) -> Result<Self, ContractError> {
        Ok(PatientData {
            weight: Pq::opt(el, ns, "patientWeight")?,
            length: Pq::opt(el, ns, "patientLength")?,
        })
    }

    pub fn write(&self, w: &mut XmlWriter) {
        w.open("core:patientData");
        Pq::write_opt(&self.weight, w, "core:patientWeight");
        Pq::write_opt(&self.length, w, "core:patientLength");
        w.close("core:patientData");
    }
}

/// `ModalityDataType`: the equipment. `type_of_modality` is a DICOM modality (`DX`, `CT`, …).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModalityData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_of_modality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// Mains filter (ECG); the TKB says not to give it for imaging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_filter: Option<Pq>,
}

impl ModalityData {
    pub fn parse(el: &Element, ns: &str) -> Result<Self, ContractError> {
        Ok(ModalityData {
            type_of_modality: opt(el, ns, "typeOfModality"),
            manufacturer: opt(el, ns, "manufacturer"),
            model_name: opt(el, ns, "modelName"),
            equipment_id: opt(el, ns, "equipmentId"),
            software_version: opt(el, ns, "softwareVersion"),
            line_filter: Pq::opt(el, ns, "lineFilter")?,
        })
    }

    pub fn write(&self, w: &mut XmlWriter) {
        w.open("core:modalityData")
            .opt_text("core:typeOfModality", self.type_of_modality.as_deref())
            .opt_text("core:manufacturer", self.manufacturer.as_deref())
            .opt_text("core:modelName", self.model_name.as_deref())
            .opt_text("core:equipmentId", self.equipment_id.as_deref())
            .opt_text("core:softwareVersion", self.software_version.as_deref());
        Pq::write_opt(&self.line_filter, w, "core:lineFilter");
        w.close("core:modalityData");
    }
}

/// Swedish name of a DICOM modality.
pub fn modality_name(code: &str) -> &'static str {
    match code {
        "CR" | "DX" => "Slätröntgen",
        "CT" => "Datortomografi",
        "MR" => "Magnetkamera",
        "US" => "Ultraljud",
        "MG" => "Mammografi",
        "NM" => "Nuklearmedicin",
        "PT" => "PET",
        "XA" => "Angiografi",
        "RF" => "Genomlysning",
        "BMD" => "Bentäthetsmätning",
        "ECG" => "EKG",
        _ => "Annan modalitet",
    }
}

/// `TypeOfResultCodeEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeOfResult {
    /// `PREL`, preliminary report.
    #[serde(rename = "PREL")]
    Preliminary,
    /// `DEF`, final report.
    #[serde(rename = "DEF")]
    Final,
    /// `TILL`, supplementary or corrected report.
    #[serde(rename = "TILL")]
    Supplementary,
}

impl TypeOfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            TypeOfResult::Preliminary => "PREL",
            TypeOfResult::Final => "DEF",
            TypeOfResult::Supplementary => "TILL",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ContractError> {
        match s {
            "PREL" => Ok(TypeOfResult::Preliminary),
            "DEF" => Ok(TypeOfResult::Final),
            "TILL" => Ok(TypeOfResult::Supplementary),
            _ => Err(ContractError::Invalid(
                "typeOfResult",
                "not PREL, DEF or TILL",
            )),
        }
    }

    /// As care staff say it.
    pub fn display(self) -> &'static str {
        match self {
            TypeOfResult::Preliminary => "Preliminärsvar",
            TypeOfResult::Final => "Definitivsvar",
            TypeOfResult::Supplementary => "Tilläggssvar",
        }
    }
}

/// Reads a `HealthcareProfessionalType` of this domain (organisation unit id and name optional).
pub fn parse_professional(el: &Element) -> Result<HealthcareProfessional, ContractError> {
    let ns = CORE_NS;
    Ok(HealthcareProfessional {
        author_time: req_ts(el, ns, "authorTime")?,
        hsa_id: opt(el, ns, "healthcareProfessionalHSAId"),
        name: opt(el, ns, "healthcareProfessionalName"),
        role_code: el
            .child(ns, "healthcareProfessionalRoleCode")
            .map(|c| Cv::parse(c, ns)),
        org_unit: el
            .child(ns, "healthcareProfessionalOrgUnit")
            .map(|u| OrgUnit {
                hsa_id: u.child_text(ns, "orgUnitHSAId").unwrap_or("").to_owned(),
                name: u.child_text(ns, "orgUnitName").unwrap_or("").to_owned(),
                telecom: opt(u, ns, "orgUnitTelecom"),
                email: opt(u, ns, "orgUnitEmail"),
                address: opt(u, ns, "orgUnitAddress"),
                location: opt(u, ns, "orgUnitLocation"),
            }),
        care_unit_hsa_id: opt(el, ns, "healthcareProfessionalCareUnitHSAId"),
        care_giver_hsa_id: opt(el, ns, "healthcareProfessionalCareGiverHSAId"),
    })
}

/// Reads a `PatientSummaryHeaderType` of this domain.
pub fn parse_header(el: &Element) -> Result<PatientSummaryHeader, ContractError> {
    let ns = CORE_NS;
    Ok(PatientSummaryHeader {
        document_id: req(el, ns, "documentId")?.to_owned(),
        source_system_hsa_id: req(el, ns, "sourceSystemHSAId")?.to_owned(),
        document_title: opt(el, ns, "documentTitle"),
        document_time: opt_ts(el, ns, "documentTime")?,
        patient_id: PersonId::parse(child(el, ns, "patientId")?, ns)?,
        accountable: parse_professional(child(el, ns, "accountableHealthcareProfessional")?)?,
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

/// Reads the request filters of this domain's contracts; `care_unit` is the care-unit element's
/// spelling (`careUnitHSAId` or `careUnitHSAid`).
pub fn parse_query(body: &Element, tns: &str, care_unit: &str) -> Result<Query, ContractError> {
    Ok(Query {
        care_unit_ids: many(body, tns, care_unit),
        patient_id: PersonId::parse(child(body, tns, "patientId")?, CORE_NS)?,
        period: body
            .child(tns, "datePeriod")
            .map(parse_open_period)
            .transpose()?
            .flatten(),
        source_system_id: opt(body, tns, "sourceSystemHSAId"),
        care_contact_ids: many(body, tns, "careContactId"),
    })
}

/// A `DatePeriodType` whose start and end are optional here.
fn parse_open_period(el: &Element) -> Result<Option<DatePeriod>, ContractError> {
    let start = opt(el, CORE_NS, "start");
    let end = opt(el, CORE_NS, "end");
    if start.is_none() && end.is_none() {
        return Ok(None);
    }
    let start = start.unwrap_or_else(|| OPEN_START.to_owned());
    let end = end.unwrap_or_else(|| OPEN_END.to_owned());
    if !is_date(&start) {
        return Err(ContractError::Invalid("start", "expected YYYYMMDD"));
    }
    if !is_date(&end) {
        return Err(ContractError::Invalid("end", "expected YYYYMMDD"));
    }
    if start > end {
        return Err(ContractError::Invalid("datePeriod", "start is after end"));
    }
    Ok(Some(DatePeriod { start, end }))
}

/// Writes the request filters (prefix `tns:` for request elements, `core:` for their types).
pub fn write_query(w: &mut XmlWriter, q: &Query, care_unit: &'static str) {
    q.write_fields(
        w,
        QuerySpelling {
            care_unit,
            ..SPELLING
        },
    );
}

/// Reads the required `tns:result`; a bare `OK` (no log id, nothing else) is `None`.
pub fn parse_result(body: &Element, tns: &str) -> Result<Option<ResultType>, ContractError> {
    let r = ResultType::parse(child(body, tns, "result")?, CORE_NS)?;
    let bare = r.result_code == ResultCode::Ok
        && r.log_id.is_empty()
        && r.error_code.is_none()
        && r.sub_code.is_none()
        && r.message.is_none();
    Ok(if bare { None } else { Some(r) })
}

/// Writes the required `tns:result` (a bare `OK` when there is none).
pub fn write_result(w: &mut XmlWriter, result: Option<&ResultType>) {
    match result {
        Some(r) => r.write(w, "tns:result", "core"),
        None => ResultType::ok("").write(w, "tns:result", "core"),
    }
}

/// `ECGReferralType`: the referral an imaging or ECG examination answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExaminationReferral {
    pub referral_id: String,
    /// The question (`referralReason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anamnesis: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_contact_id: Option<String>,
    /// The referring professional (`accountableHealthcareProfessional`); `author_time` is when
    /// the referral was made.
    pub referrer: HealthcareProfessional,
    /// Who acknowledged the answer (`attested`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested: Option<LegalAuthenticator>,
}

impl ExaminationReferral {
    pub fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(ExaminationReferral {
            referral_id: req_text(el, ns, "referralId")?,
            reason: opt(el, ns, "referralReason"),
            anamnesis: opt(el, ns, "anamnesis"),
            care_contact_id: opt(el, ns, "careContactId"),
            referrer: parse_professional(child(el, ns, "accountableHealthcareProfessional")?)?,
            attested: el
                .child(ns, "attested")
                .map(|a| LegalAuthenticator::parse(a, ns))
                .transpose()?,
        })
    }

    pub fn write(&self, w: &mut XmlWriter) {
        w.open("core:referral")
            .text("core:referralId", &self.referral_id)
            .opt_text("core:referralReason", self.reason.as_deref())
            .opt_text("core:anamnesis", self.anamnesis.as_deref())
            .opt_text("core:careContactId", self.care_contact_id.as_deref());
        self.referrer
            .write(w, "core:accountableHealthcareProfessional");
        if let Some(a) = &self.attested {
            a.write(w, "core:attested");
        }
        w.close("core:referral");
    }

    /// View fields: question, anamnesis, referrer and referral time.
    pub fn view_fields(&self, fields: &mut Vec<(&'static str, String)>) {
        if let Some(r) = &self.reason {
            fields.push(("Frågeställning", r.clone()));
        }
        if let Some(a) = &self.anamnesis {
            fields.push(("Anamnes", a.clone()));
        }
        if let Some(p) = professional_display(&self.referrer) {
            fields.push(("Remittent", p));
        }
        fields.push(("Remiss utfärdad", display_time(&self.referrer.author_time)));
        if let Some(a) = &self.attested {
            let who = a.name.clone().or_else(|| a.hsa_id.clone());
            let when = display_time(&a.signature_time);
            fields.push((
                "Vidimerad",
                match who {
                    Some(w) => format!("{when} av {w}"),
                    None => when,
                },
            ));
        }
    }
}

/// `Namn, Enhet` of a professional, if either is known.
pub fn professional_display(p: &HealthcareProfessional) -> Option<String> {
    let unit = p
        .org_unit
        .as_ref()
        .map(|u| u.name.as_str())
        .filter(|n| !n.is_empty());
    match (p.name.as_deref(), unit) {
        (Some(n), Some(u)) => Some(format!("{n}, {u}")),
        (Some(n), None) => Some(n.to_owned()),
        (None, Some(u)) => Some(u.to_owned()),
        (None, None) => None,
    }
}

/// The text of a coded value as shown: display name, else original text, else the code.
pub fn cv_text(c: &Cv) -> Option<&str> {
    c.display_name
        .as_deref()
        .or(c.original_text.as_deref())
        .or(c.code.as_deref())
}

fn check_status(s: Option<String>) -> Result<Option<String>, ContractError> {
    match s {
        Some(v) if !EXAMINATION_STATUSES.contains(&v.as_str()) => Err(ContractError::Invalid(
            "examinationStatus",
            "not an ExaminationStatusCodeEnum value",
        )),
        v => Ok(v),
    }
}

// ---------------------------------------------------------------------------------------------
// GetImagingOutcome

/// One imaging result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImagingOutcome {
    pub header: PatientSummaryHeader,
    pub body: ImagingBody,
}

/// `ImagingBodyType`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImagingBody {
    /// The specialty the report belongs to (e.g. Radiologi), SNOMED CT or text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examination_speciality: Option<Cv>,
    pub type_of_result: TypeOfResult,
    /// When the report was sent to the referrer.
    pub result_time: String,
    /// The radiologist's report.
    pub result_report: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_comment: Option<String>,
    /// Dose values of the examination (e.g. effective dose in mSv); the total is their sum.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub radiation_dose: Vec<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_data: Option<PatientData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_recordings: Vec<ImageRecording>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<ExaminationReferral>,
}

/// `ImageRecordingType`: one acquisition (a series of images).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageRecording {
    pub recording_id: Ii,
    /// The examination performed (code and Swedish name, e.g. `Lungröntgen`).
    pub examination_activity: Cv,
    pub examination_time: TimePeriod,
    /// One of [`EXAMINATION_STATUSES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examination_status: Option<String>,
    /// The lab within imaging, e.g. `DT-lab`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examination_unit: Option<String>,
    /// Who performed the acquisition (e.g. the radiographer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performer: Option<HealthcareProfessional>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_images: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modality: Option<ModalityData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dicom: Vec<DicomData>,
}

/// `DicomDataType` by reference: the SOP class and a WADO link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DicomData {
    pub sop: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl ImageRecording {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(ImageRecording {
            recording_id: Ii::parse(child(el, ns, "recordingId")?, ns)?,
            examination_activity: Cv::parse(child(el, ns, "examinationActivity")?, ns),
            examination_time: TimePeriod::parse(child(el, ns, "examinationTimePeriod")?, ns)?,
            examination_status: check_status(opt(el, ns, "examinationStatus"))?,
            examination_unit: opt(el, ns, "examinationUnit"),
            performer: el
                .child(ns, "accountableHealthcareProfessional")
                .map(parse_professional)
                .transpose()?,
            number_of_images: opt(el, ns, "numberOfImages")
                .map(|n| {
                    n.parse::<i32>()
                        .map_err(|_| ContractError::Invalid("numberOfImages", "not an int"))
                })
                .transpose()?,
            modality: el
                .child(ns, "modalityData")
                .map(|m| ModalityData::parse(m, ns))
                .transpose()?,
            dicom: el
                .children_named(ns, "imageDicomData")
                .map(|d| {
                    Ok(DicomData {
                        sop: req_text(d, ns, "dicomSOP")?,
                        reference: opt(d, ns, "dicomReference"),
                    })
                })
                .collect::<Result<_, ContractError>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:imageRecording");
        self.recording_id.write(w, "core:recordingId");
        self.examination_activity
            .write(w, "core:examinationActivity");
        self.examination_time.write(w, "core:examinationTimePeriod");
        w.opt_text("core:examinationStatus", self.examination_status.as_deref())
            .opt_text("core:examinationUnit", self.examination_unit.as_deref());
        if let Some(p) = &self.performer {
            p.write(w, "core:accountableHealthcareProfessional");
        }
        w.opt_text(
            "core:numberOfImages",
            self.number_of_images.map(|n| n.to_string()).as_deref(),
        );
        if let Some(m) = &self.modality {
            m.write(w);
        }
        for d in &self.dicom {
            w.open("core:imageDicomData")
                .text("core:dicomSOP", &d.sop)
                .opt_text("core:dicomReference", d.reference.as_deref())
                .close("core:imageDicomData");
        }
        w.close("core:imageRecording");
    }
}

impl ImagingBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(ImagingBody {
            examination_speciality: el
                .child(ns, "examinationSpeciality")
                .map(|c| Cv::parse(c, ns)),
            type_of_result: TypeOfResult::parse(req(el, ns, "typeOfResult")?)?,
            result_time: req_ts(el, ns, "resultTime")?,
            result_report: req_text(el, ns, "resultReport")?,
            result_comment: opt(el, ns, "resultComment"),
            radiation_dose: el
                .children_named(ns, "radiationDose")
                .map(|d| Pq::parse(d, ns))
                .collect::<Result<_, _>>()?,
            patient_data: el
                .child(ns, "patientData")
                .map(|p| PatientData::parse(p, ns))
                .transpose()?,
            image_recordings: el
                .children_named(ns, "imageRecording")
                .map(ImageRecording::parse)
                .collect::<Result<_, _>>()?,
            referral: el
                .child(ns, "referral")
                .map(ExaminationReferral::parse)
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:imagingOutcomeBody");
        if let Some(c) = &self.examination_speciality {
            c.write(w, "core:examinationSpeciality");
        }
        w.text("core:typeOfResult", self.type_of_result.as_str())
            .text("core:resultTime", &self.result_time)
            .text("core:resultReport", &self.result_report)
            .opt_text("core:resultComment", self.result_comment.as_deref());
        for d in &self.radiation_dose {
            d.write(w, "core:radiationDose");
        }
        if let Some(p) = &self.patient_data {
            p.write(w);
        }
        for r in &self.image_recordings {
            r.write(w);
        }
        if let Some(r) = &self.referral {
            r.write(w);
        }
        w.close("core:imagingOutcomeBody");
    }
}

/// The GetImagingOutcome 1.0 contract.
pub struct GetImagingOutcomeV1;

impl Contract for GetImagingOutcomeV1 {
    const NAME: &'static str = "GetImagingOutcome";
    const VERSION: &'static str = "1.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:actoutcome";
    const CATEGORIZATION: &'static str = "und-bdi-ure";

    type Request = Query;
    type Item = ImagingOutcome;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetImagingOutcome") {
            return Err(ContractError::UnexpectedElement("GetImagingOutcome"));
        }
        parse_query(body, NAMESPACE, "careUnitHSAId")
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetImagingOutcome",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        write_query(&mut w, req, "careUnitHSAId");
        w.close("tns:GetImagingOutcome");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<ImagingOutcome>, ContractError> {
        if !body.is(NAMESPACE, "GetImagingOutcomeResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetImagingOutcomeResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "imagingOutcome")
            .map(|o| {
                Ok(ImagingOutcome {
                    header: parse_header(child(o, CORE_NS, "imagingOutcomeHeader")?)?,
                    body: ImagingBody::parse(child(o, CORE_NS, "imagingOutcomeBody")?)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        Ok(Response::new(items, parse_result(body, NAMESPACE)?))
    }

    fn write_response(resp: &Response<ImagingOutcome>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 2048);
        w.open_ns(
            "tns:GetImagingOutcomeResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:imagingOutcome");
            item.header.write(
                &mut w,
                "core:imagingOutcomeHeader",
                crate::common::HeaderSpelling::Standard,
            );
            item.body.write(&mut w);
            w.close("tns:imagingOutcome");
        }
        write_result(&mut w, resp.result.as_ref());
        w.close("tns:GetImagingOutcomeResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &ImagingOutcome) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The result time (required): when the report was sent to the referrer.
    fn filter_time(item: &ImagingOutcome) -> &str {
        &item.body.result_time
    }

    fn view(item: &ImagingOutcome) -> ItemView {
        let b = &item.body;
        let first = b.image_recordings.first();
        let title = first
            .and_then(|r| cv_text(&r.examination_activity))
            .map(str::to_owned)
            .or_else(|| item.header.document_title.clone())
            .unwrap_or_else(|| "Bilddiagnostisk undersökning".into());
        let mut fields = vec![("Svarstyp", b.type_of_result.display().to_owned())];
        if item.header.nullified == Some(true) {
            let why = item.header.nullified_reason.as_deref().unwrap_or("");
            fields.push(("Makulerad", format!("Ja {why}").trim_end().to_owned()));
        }
        for r in &b.image_recordings {
            if let Some(m) = r
                .modality
                .as_ref()
                .and_then(|m| m.type_of_modality.as_deref())
            {
                fields.push(("Modalitet", format!("{} ({m})", modality_name(m))));
            }
            if let Some(start) = &r.examination_time.start {
                fields.push(("Undersökningstid", display_time(start)));
            }
            if let Some(u) = &r.examination_unit {
                fields.push(("Undersökningslab", u.clone()));
            }
            if let Some(s) = &r.examination_status {
                fields.push(("Status", s.clone()));
            }
        }
        if let Some(p) = professional_display(&item.header.accountable) {
            fields.push(("Ansvarig", p));
        }
        if let Some(n) = item
            .header
            .legal_authenticator
            .as_ref()
            .and_then(|l| l.name.as_ref())
        {
            fields.push(("Signerad av", n.clone()));
        }
        fields.push(("Svarstid", display_time(&b.result_time)));
        if !b.radiation_dose.is_empty() {
            let doses: Vec<String> = b.radiation_dose.iter().map(Pq::display).collect();
            fields.push(("Stråldos", doses.join(", ")));
        }
        if let Some(r) = &b.referral {
            r.view_fields(&mut fields);
        }
        if let Some(c) = &b.result_comment {
            fields.push(("Kommentar", c.clone()));
        }
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: Some(b.result_report.clone()),
            attention: false,
        }
    }
}
