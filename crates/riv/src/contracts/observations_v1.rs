//! GetObservations 1.1 (`urn:riv:clinicalprocess:healthcond:basic:GetObservationsResponder:1`):
//! measured observations – growth (weight, length, head circumference, BMI), blood pressure,
//! pulse. Categorization `chb-o`.
//!
//! This contract is built differently from the first-generation ones (the schema wins):
//! - The item is an `observationGroup` ([`ObservationGroup`]): the patient, the performer (role
//!   code, person, care unit with its care giver), an optional legal authenticator, the source
//!   system and one or more observations. Identifiers are `IIType` (root + extension); the
//!   patient's id is read into a [`PersonId`] (root = type OID, extension = id) and HSA-ids use
//!   root [`HSA_ID_OID`].
//! - Each observation carries its own `approvedForPatient` and `registrationTime`; a group is
//!   approved for the patient only if every observation is. The group's document id is its first
//!   observation's id extension.
//! - Times are `PartialTimeStampType` (`format` + `value`), `CVType` requires code and
//!   codeSystem, values are `ValueANYType` (one of pq, ts, ivl_ts, cv).
//! - The request ([`GetObservationsRequest`]) has a patient `IIType`, a `time` period of
//!   timestamps (read into the shared date period: a missing start/end becomes 19000101/20991231;
//!   written as start 000000 to end 235959), observation type and id filters, one optional care
//!   giver and one optional care unit (`IIType`; only the first of `care_unit_ids` is written), the
//!   required `interactionAgreementId` (a UUID v4) and `sourceSystemHSAId`.
//! - The response has no `result`: it is never written and reads as `None`.
//!
//! Observation types are SNOMED CT codes (code system [`SNOMED_CT`], as in Inera's example;
//! known codes in [`OBSERVATION_TYPES`]). Not modelled (ignored when reading):
//! `additionalParticipant`, observation `relation`, the request's `relation` filters, and `xs:any`
//! extensions.

use crate::common::{
    ContractError, DatePeriod, ItemMeta, PersonId, Query, check_timestamp, display_time, is_date,
    is_timestamp, opt, parse_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str = "urn:riv:clinicalprocess:healthcond:basic:GetObservationsResponder:1";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:basic:1";
/// OID of SNOMED CT as Inera's GetObservations example uses it.
pub const SNOMED_CT: &str = "1.2.752.116.2.1.1.1";
/// OID of HSA-ids (root of `IIType` HSA-ids).
pub const HSA_ID_OID: &str = "1.2.752.129.2.1.4.1";
/// OID of KV Kön (patient gender).
pub const KV_KON: &str = "1.2.752.129.2.2.1.1";
/// HL7 RoleClass (performerRole code, e.g. `ASSIGNED`).
pub const HL7_ROLE_CLASS: &str = "2.16.840.1.113883.5.110";

/// Observation types npo knows: SNOMED CT code, Swedish name, short label.
pub const OBSERVATION_TYPES: &[(&str, &str, &str)] = &[
    ("27113001", "Kroppsvikt", "Vikt"),
    ("248334005", "Kroppslängd", "Längd"),
    ("363812007", "Huvudomfång", "Huvudomfång"),
    ("60621009", "Kroppsmasseindex", "BMI"),
    ("276361009", "Midjeomfång", "Midjeomfång"),
    ("271649006", "Systoliskt blodtryck", "Systoliskt blodtryck"),
    (
        "271650006",
        "Diastoliskt blodtryck",
        "Diastoliskt blodtryck",
    ),
    ("364075005", "Hjärtfrekvens", "Puls"),
];
/// SNOMED CT code of body weight.
pub const WEIGHT: &str = "27113001";
/// SNOMED CT code of body length / height.
pub const LENGTH: &str = "248334005";
/// SNOMED CT code of head circumference.
pub const HEAD_CIRCUMFERENCE: &str = "363812007";
/// SNOMED CT code of body mass index.
pub const BMI: &str = "60621009";
/// SNOMED CT code of systolic blood pressure.
pub const SYSTOLIC: &str = "271649006";
/// SNOMED CT code of diastolic blood pressure.
pub const DIASTOLIC: &str = "271650006";
/// SNOMED CT code of heart rate.
pub const HEART_RATE: &str = "364075005";

/// Allowed `TimeStampTypeFormatEnum` values.
pub const TIME_FORMATS: &[&str] = &[
    "YYYY",
    "YYYYMM",
    "YYYYMMDD",
    "YYYYMMDDhh",
    "YYYYMMDDhhmm",
    "YYYYMMDDhhmmss",
];

/// `IIType`: an identifier (root OID or UUID, and extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ii {
    pub root: String,
    pub extension: String,
}

impl Ii {
    /// An HSA-id as `IIType`.
    pub fn hsa(id: &str) -> Self {
        Ii {
            root: HSA_ID_OID.into(),
            extension: id.into(),
        }
    }

    pub fn parse(el: &Element) -> Result<Self, ContractError> {
        Ok(Ii {
            root: req(el, CORE_NS, "root")?.to_owned(),
            extension: req(el, CORE_NS, "extension")?.to_owned(),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:root", &self.root)
            .text("core:extension", &self.extension)
            .close(tag);
    }
}

/// `CVType` of this domain: code and codeSystem are required.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    pub code: String,
    pub code_system: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl Code {
    pub fn new(code: &str, system: &str, display: &str) -> Self {
        Code {
            code: code.into(),
            code_system: system.into(),
            display_name: Some(display.into()),
            ..Code::default()
        }
    }

    /// A SNOMED CT observation type with its Swedish name from [`OBSERVATION_TYPES`] (or
    /// `display` when the code is not known).
    pub fn snomed(code: &str, display: &str) -> Self {
        let name = OBSERVATION_TYPES
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or(display, |(_, n, _)| *n);
        Code::new(code, SNOMED_CT, name)
    }

    pub fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(Code {
            code: req(el, ns, "code")?.to_owned(),
            code_system: req(el, ns, "codeSystem")?.to_owned(),
            code_system_name: opt(el, ns, "codeSystemName"),
            code_system_version: opt(el, ns, "codeSystemVersion"),
            display_name: opt(el, ns, "displayName"),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:code", &self.code)
            .text("core:codeSystem", &self.code_system)
            .opt_text("core:codeSystemName", self.code_system_name.as_deref())
            .opt_text(
                "core:codeSystemVersion",
                self.code_system_version.as_deref(),
            )
            .opt_text("core:displayName", self.display_name.as_deref())
            .close(tag);
    }

    fn text(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.code)
    }
}

/// `PartialTimeStampType`: a time of the precision `format` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialTime {
    pub format: String,
    pub value: String,
}

impl PartialTime {
    /// A full timestamp (`YYYYMMDDhhmmss`).
    pub fn full(ts: &str) -> Self {
        PartialTime {
            format: "YYYYMMDDhhmmss".into(),
            value: ts.into(),
        }
    }

    pub fn parse(el: &Element) -> Result<Self, ContractError> {
        let format = req(el, CORE_NS, "format")?;
        if !TIME_FORMATS.contains(&format) {
            return Err(ContractError::Invalid(
                "format",
                "not a TimeStampTypeFormatEnum",
            ));
        }
        let value = req(el, CORE_NS, "value")?;
        if !partial_time_ok(value, format.len()) {
            return Err(ContractError::Invalid("value", "does not match its format"));
        }
        Ok(PartialTime {
            format: format.to_owned(),
            value: value.to_owned(),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:format", &self.format)
            .text("core:value", &self.value)
            .close(tag);
    }
}

/// `value` has exactly `len` digits that form a valid calendar time prefix.
fn partial_time_ok(value: &str, len: usize) -> bool {
    let b = value.as_bytes();
    if b.len() != len || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let part = |i: usize| value.get(i..i + 2).unwrap_or("00");
    (len < 6 || ("01"..="12").contains(&part(4)))
        && (len < 8 || ("01"..="31").contains(&part(6)))
        && (len < 10 || ("00"..="23").contains(&part(8)))
        && (len < 12 || ("00"..="59").contains(&part(10)))
        && (len < 14 || ("00"..="59").contains(&part(12)))
}

/// `PartialTimePeriodType`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialPeriod {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<PartialTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<PartialTime>,
}

impl PartialPeriod {
    /// A moment: start = end = the timestamp (as Inera's example writes a measurement).
    pub fn at(ts: &str) -> Self {
        PartialPeriod {
            start: Some(PartialTime::full(ts)),
            end: Some(PartialTime::full(ts)),
        }
    }

    pub fn parse(el: &Element) -> Result<Self, ContractError> {
        Ok(PartialPeriod {
            start: el
                .child(CORE_NS, "start")
                .map(PartialTime::parse)
                .transpose()?,
            end: el
                .child(CORE_NS, "end")
                .map(PartialTime::parse)
                .transpose()?,
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag);
        if let Some(s) = &self.start {
            s.write(w, "core:start");
        }
        if let Some(e) = &self.end {
            e.write(w, "core:end");
        }
        w.close(tag);
    }
}

/// `PQType`: a decimal value and its unit (UCUM, e.g. `kg`, `cm`, `kg/m2`, `mm[Hg]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pq {
    /// `xs:decimal` in its lexical form, e.g. `12.45`.
    pub value: String,
    pub unit: String,
}

impl Pq {
    pub fn new(value: f64, decimals: usize, unit: &str) -> Self {
        Pq {
            value: format!("{value:.decimals$}"),
            unit: unit.into(),
        }
    }

    /// The value as a number (NaN if it does not parse).
    pub fn number(&self) -> f64 {
        self.value.parse().unwrap_or(f64::NAN)
    }

    fn parse(el: &Element) -> Result<Self, ContractError> {
        let value = req(el, CORE_NS, "value")?;
        if !is_decimal(value) {
            return Err(ContractError::Invalid("value", "not a decimal"));
        }
        Ok(Pq {
            value: value.to_owned(),
            unit: el
                .child_text(CORE_NS, "unit")
                .ok_or(ContractError::Missing("unit"))?
                .to_owned(),
        })
    }

    /// `12,45 kg` (Swedish decimal comma, readable units).
    pub fn display(&self) -> String {
        let unit = match self.unit.as_str() {
            "mm[Hg]" => "mmHg",
            "kg/m2" => "kg/m²",
            u => u,
        };
        let value = self.value.replace('.', ",");
        if unit.is_empty() {
            value
        } else {
            format!("{value} {unit}")
        }
    }
}

/// `xs:decimal` lexical form: `[+-]?(\d+(\.\d*)?|\.\d+)`.
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    (!int.is_empty() || !frac.is_empty()) && digits(int) && digits(frac) && s != "."
}

/// `ValueANYType`: one of a physical quantity, a time, a period or a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservationValue {
    Pq(Pq),
    Ts(PartialTime),
    IvlTs(PartialPeriod),
    Cv(Code),
}

impl ObservationValue {
    /// The first of pq, ts, ivl_ts, cv present (the schema allows only one); `None` when the
    /// value element carries none of them.
    fn parse(el: &Element) -> Result<Option<Self>, ContractError> {
        let ns = CORE_NS;
        if let Some(p) = el.child(ns, "pq") {
            return Pq::parse(p).map(|v| Some(ObservationValue::Pq(v)));
        }
        if let Some(t) = el.child(ns, "ts") {
            return PartialTime::parse(t).map(|v| Some(ObservationValue::Ts(v)));
        }
        if let Some(t) = el.child(ns, "ivl_ts") {
            return PartialPeriod::parse(t).map(|v| Some(ObservationValue::IvlTs(v)));
        }
        if let Some(c) = el.child(ns, "cv") {
            return Code::parse(c).map(|v| Some(ObservationValue::Cv(v)));
        }
        Ok(None)
    }

    fn write(v: Option<&Self>, w: &mut XmlWriter) {
        w.open("core:value");
        match v {
            Some(ObservationValue::Pq(p)) => {
                w.open("core:pq")
                    .text("core:value", &p.value)
                    .text("core:unit", &p.unit)
                    .close("core:pq");
            }
            Some(ObservationValue::Ts(t)) => t.write(w, "core:ts"),
            Some(ObservationValue::IvlTs(p)) => p.write(w, "core:ivl_ts"),
            Some(ObservationValue::Cv(c)) => c.write(w, "core:cv"),
            None => {}
        }
        w.close("core:value");
    }

    pub fn display(&self) -> String {
        match self {
            ObservationValue::Pq(p) => p.display(),
            ObservationValue::Ts(t) => display_time(&t.value),
            ObservationValue::IvlTs(p) => format!(
                "{} – {}",
                p.start
                    .as_ref()
                    .map(|t| display_time(&t.value))
                    .unwrap_or_default(),
                p.end
                    .as_ref()
                    .map(|t| display_time(&t.value))
                    .unwrap_or_default()
            ),
            ObservationValue::Cv(c) => c.text().to_owned(),
        }
    }
}

/// One observation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub id: Ii,
    /// What was observed (SNOMED CT, e.g. body weight).
    #[serde(rename = "type")]
    pub type_: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Code>,
    pub time: PartialPeriod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Code>,
    /// `None` when the value element carries no value of a known kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ObservationValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_site: Option<Code>,
    /// True: the observation was made and found absent.
    pub value_negation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub approved_for_patient: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_time: Option<String>,
}

impl Observation {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let child = |name: &'static str| child(el, name);
        Ok(Observation {
            id: Ii::parse(child("id")?)?,
            type_: Code::parse(child("type")?)?,
            status: el.child(ns, "status").map(Code::parse).transpose()?,
            time: PartialPeriod::parse(child("time")?)?,
            method: el.child(ns, "method").map(Code::parse).transpose()?,
            value: ObservationValue::parse(child("value")?)?,
            target_site: el.child(ns, "targetSite").map(Code::parse).transpose()?,
            value_negation: parse_bool(req(el, ns, "valueNegation")?, "valueNegation")?,
            description: opt(el, ns, "description"),
            approved_for_patient: parse_bool(
                req(el, ns, "approvedForPatient")?,
                "approvedForPatient",
            )?,
            registration_time: opt(el, ns, "registrationTime")
                .map(|t| check_timestamp(t, "registrationTime"))
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:observation");
        self.id.write(w, "core:id");
        self.type_.write(w, "core:type");
        if let Some(s) = &self.status {
            s.write(w, "core:status");
        }
        self.time.write(w, "core:time");
        if let Some(m) = &self.method {
            m.write(w, "core:method");
        }
        ObservationValue::write(self.value.as_ref(), w);
        if let Some(t) = &self.target_site {
            t.write(w, "core:targetSite");
        }
        w.bool("core:valueNegation", self.value_negation)
            .opt_text("core:description", self.description.as_deref())
            .bool("core:approvedForPatient", self.approved_for_patient)
            .opt_text("core:registrationTime", self.registration_time.as_deref())
            .close("core:observation");
    }

    /// The short Swedish label of a known type (e.g. `Vikt`).
    pub fn label(&self) -> Option<&'static str> {
        if !self.type_.code_system.starts_with("1.2.752.116.2.1.1") {
            return None;
        }
        OBSERVATION_TYPES
            .iter()
            .find(|(c, _, _)| *c == self.type_.code)
            .map(|(_, _, l)| *l)
    }

    fn is(&self, code: &str) -> bool {
        self.label().is_some() && self.type_.code == code
    }

    fn value_text(&self) -> String {
        if self.value_negation {
            return "Ej påvisat".into();
        }
        self.value
            .as_ref()
            .map_or_else(|| "Värde saknas".into(), ObservationValue::display)
    }

    fn number(&self) -> Option<f64> {
        match &self.value {
            Some(ObservationValue::Pq(p)) if !self.value_negation => {
                Some(p.number()).filter(|n| n.is_finite())
            }
            _ => None,
        }
    }
}

/// `PatientType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservationPatient {
    /// From `IIType`: root → type (OID), extension → id.
    pub id: PersonId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `YYYYMMDD`.
    pub date_of_birth: String,
    /// KV Kön.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Code>,
}

/// `PersonType`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `CareGiverType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareGiver {
    pub id: Ii,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `CareUnitType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareUnit {
    pub id: Ii,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub care_giver: CareGiver,
}

/// `PerformerRoleType`: who performed the observations, for which unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformerRole {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    /// Role (HL7 RoleClass, e.g. `ASSIGNED`).
    pub code: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_unit: Option<CareUnit>,
}

/// `LegalAuthenticatorType` of this domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authenticator {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    pub time: PartialTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One `observationGroup`: observations made together (e.g. weight, length and head
/// circumference at one child-health visit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservationGroup {
    pub patient: ObservationPatient,
    pub performer: PerformerRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_authenticator: Option<Authenticator>,
    /// The source system (HSA-id in the extension).
    pub source_system: Ii,
    /// At least one (the schema requires it; reading refuses a group without).
    pub observations: Vec<Observation>,
}

/// A required child in the core namespace.
fn child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

fn opt_ii(el: &Element, name: &str) -> Result<Option<Ii>, ContractError> {
    el.child(CORE_NS, name).map(Ii::parse).transpose()
}

impl ObservationGroup {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let p = child(el, "patient")?;
        let pid = Ii::parse(child(p, "id")?)?;
        let date_of_birth = req(p, ns, "dateOfBirth")?;
        if !is_date(date_of_birth) {
            return Err(ContractError::Invalid("dateOfBirth", "expected YYYYMMDD"));
        }
        let patient = ObservationPatient {
            id: PersonId {
                id: pid.extension,
                type_: pid.root,
            },
            name: opt(p, ns, "name"),
            date_of_birth: date_of_birth.to_owned(),
            gender: p.child(ns, "gender").map(Code::parse).transpose()?,
        };
        let r = child(el, "performerRole")?;
        let performer = PerformerRole {
            id: opt_ii(r, "id")?,
            code: Code::parse(child(r, "code")?)?,
            person: r
                .child(ns, "person")
                .map(|p| {
                    Ok::<_, ContractError>(Person {
                        id: opt_ii(p, "id")?,
                        name: opt(p, ns, "name"),
                    })
                })
                .transpose()?,
            care_unit: r
                .child(ns, "careUnit")
                .map(|u| {
                    let g = child(u, "careGiver")?;
                    Ok::<_, ContractError>(CareUnit {
                        id: Ii::parse(child(u, "id")?)?,
                        name: opt(u, ns, "name"),
                        care_giver: CareGiver {
                            id: Ii::parse(child(g, "id")?)?,
                            name: opt(g, ns, "name"),
                        },
                    })
                })
                .transpose()?,
        };
        let legal_authenticator = el
            .child(ns, "legalAuthenticator")
            .map(|a| {
                Ok::<_, ContractError>(Authenticator {
                    id: opt_ii(a, "id")?,
                    time: PartialTime::parse(child(a, "time")?)?,
                    name: opt(a, ns, "name"),
                })
            })
            .transpose()?;
        let source_system = Ii::parse(child(child(el, "sourceSystem")?, "id")?)?;
        let observations = el
            .children_named(ns, "observation")
            .map(Observation::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if observations.is_empty() {
            return Err(ContractError::Missing("observation"));
        }
        Ok(ObservationGroup {
            patient,
            performer,
            legal_authenticator,
            source_system,
            observations,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("tns:observationGroup");
        let p = &self.patient;
        w.open("core:patient")
            .open("core:id")
            .text("core:root", &p.id.type_)
            .text("core:extension", &p.id.id)
            .close("core:id")
            .opt_text("core:name", p.name.as_deref())
            .text("core:dateOfBirth", &p.date_of_birth);
        if let Some(g) = &p.gender {
            g.write(w, "core:gender");
        }
        w.close("core:patient");

        let r = &self.performer;
        w.open("core:performerRole");
        if let Some(id) = &r.id {
            id.write(w, "core:id");
        }
        r.code.write(w, "core:code");
        if let Some(person) = &r.person {
            w.open("core:person");
            if let Some(id) = &person.id {
                id.write(w, "core:id");
            }
            w.opt_text("core:name", person.name.as_deref())
                .close("core:person");
        }
        if let Some(u) = &r.care_unit {
            w.open("core:careUnit");
            u.id.write(w, "core:id");
            w.opt_text("core:name", u.name.as_deref())
                .open("core:careGiver");
            u.care_giver.id.write(w, "core:id");
            w.opt_text("core:name", u.care_giver.name.as_deref())
                .close("core:careGiver")
                .close("core:careUnit");
        }
        w.close("core:performerRole");

        if let Some(a) = &self.legal_authenticator {
            w.open("core:legalAuthenticator");
            if let Some(id) = &a.id {
                id.write(w, "core:id");
            }
            a.time.write(w, "core:time");
            w.opt_text("core:name", a.name.as_deref())
                .close("core:legalAuthenticator");
        }
        w.open("core:sourceSystem");
        self.source_system.write(w, "core:id");
        w.close("core:sourceSystem");
        for o in &self.observations {
            o.write(w);
        }
        w.close("tns:observationGroup");
    }

    /// The care unit's name.
    fn performed_at(&self) -> Option<&str> {
        self.performer
            .care_unit
            .as_ref()
            .and_then(|u| u.name.as_deref())
    }
}

/// The GetObservations 1.1 request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetObservationsRequest {
    /// Patient, period (`time`), care unit (`careUnitId`, at most one), source system. No
    /// care-contact filter in this contract.
    pub query: Query,
    /// `observationType`: only observations of these types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observation_types: Vec<Code>,
    /// `observationId`: only these observations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observation_ids: Vec<Ii>,
    /// `careGiverId` (HSA-id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_giver_id: Option<String>,
    /// `interactionAgreementId`: a UUID (v4) naming the agreement the call is made under.
    pub interaction_agreement_id: String,
}

/// The interaction agreement npo's consumer uses when a request is made from the shared filters
/// (a UUID v4, as the schema requires).
pub const NPO_INTERACTION_AGREEMENT: &str = "5a0d7c3e-1f2b-4c6d-9e8f-7a6b5c4d3e21";

impl From<Query> for GetObservationsRequest {
    fn from(query: Query) -> Self {
        GetObservationsRequest {
            query,
            observation_types: Vec::new(),
            observation_ids: Vec::new(),
            care_giver_id: None,
            interaction_agreement_id: NPO_INTERACTION_AGREEMENT.into(),
        }
    }
}

impl GetObservationsRequest {
    pub fn for_patient(patient: PersonId, interaction_agreement_id: &str) -> Self {
        GetObservationsRequest {
            query: Query::for_patient(patient),
            observation_types: Vec::new(),
            observation_ids: Vec::new(),
            care_giver_id: None,
            interaction_agreement_id: interaction_agreement_id.into(),
        }
    }

    /// True if an observation passes the type and id filters.
    pub fn wants(&self, o: &Observation) -> bool {
        (self.observation_types.is_empty()
            || self
                .observation_types
                .iter()
                .any(|t| t.code == o.type_.code && t.code_system == o.type_.code_system))
            && (self.observation_ids.is_empty() || self.observation_ids.contains(&o.id))
    }

    /// The group as the request asks for it: the shared filters, the care giver, and only the
    /// observations the type and id filters want (`None` if nothing is left).
    pub fn select(&self, group: &ObservationGroup) -> Option<ObservationGroup> {
        let meta = GetObservationsV1::meta(group);
        let time = GetObservationsV1::filter_time(group);
        if !self.query.matches(&meta, time)
            || self
                .care_giver_id
                .as_deref()
                .is_some_and(|g| meta.care_giver != Some(g))
        {
            return None;
        }
        let observations: Vec<Observation> = group
            .observations
            .iter()
            .filter(|o| self.wants(o))
            .cloned()
            .collect();
        (!observations.is_empty()).then(|| ObservationGroup {
            observations,
            ..group.clone()
        })
    }
}

/// `UUIDType`: `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx` (hex, either case).
pub fn is_uuid4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            14 => *c == b'4',
            19 => matches!(c, b'8' | b'9' | b'a' | b'b' | b'A' | b'B'),
            _ => c.is_ascii_hexdigit(),
        })
}

/// The GetObservations 1.1 contract.
pub struct GetObservationsV1;

impl Contract for GetObservationsV1 {
    const NAME: &'static str = "GetObservations";
    const VERSION: &'static str = "1.1";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:basic";
    const CATEGORIZATION: &'static str = "chb-o";
    const HAS_RESULT: bool = false;

    type Request = GetObservationsRequest;
    type Item = ObservationGroup;

    fn parse_request(body: &Element) -> Result<GetObservationsRequest, ContractError> {
        if !body.is(NAMESPACE, "GetObservations") {
            return Err(ContractError::UnexpectedElement("GetObservations"));
        }
        let tns = NAMESPACE;
        let pid = Ii::parse(
            body.child(tns, "patientId")
                .ok_or(ContractError::Missing("patientId"))?,
        )?;
        let period = body
            .child(tns, "time")
            .map(|t| {
                let start = opt(t, CORE_NS, "start")
                    .map(|s| check_timestamp(s, "start"))
                    .transpose()?;
                let end = opt(t, CORE_NS, "end")
                    .map(|s| check_timestamp(s, "end"))
                    .transpose()?;
                if start.is_none() && end.is_none() {
                    return Ok(None);
                }
                let day = |t: Option<String>, default: &str| {
                    t.map_or_else(|| default.to_owned(), |t| t[..8].to_owned())
                };
                let p = DatePeriod {
                    start: day(start, "19000101"),
                    end: day(end, "20991231"),
                };
                if p.start > p.end {
                    return Err(ContractError::Invalid("time", "start is after end"));
                }
                Ok(Some(p))
            })
            .transpose()?
            .flatten();
        let interaction_agreement_id = req(body, tns, "interactionAgreementId")?;
        if !is_uuid4(interaction_agreement_id) {
            return Err(ContractError::Invalid(
                "interactionAgreementId",
                "not a UUID",
            ));
        }
        Ok(GetObservationsRequest {
            query: Query {
                care_unit_ids: body
                    .child(tns, "careUnitId")
                    .map(Ii::parse)
                    .transpose()?
                    .map(|i| i.extension)
                    .into_iter()
                    .collect(),
                patient_id: PersonId {
                    id: pid.extension,
                    type_: pid.root,
                },
                period,
                source_system_id: opt(body, tns, "sourceSystemHSAId"),
                care_contact_ids: Vec::new(),
            },
            observation_types: body
                .children_named(tns, "observationType")
                .map(Code::parse)
                .collect::<Result<_, _>>()?,
            observation_ids: body
                .children_named(tns, "observationId")
                .map(Ii::parse)
                .collect::<Result<_, _>>()?,
            care_giver_id: body
                .child(tns, "careGiverId")
                .map(Ii::parse)
                .transpose()?
                .map(|i| i.extension),
            interaction_agreement_id: interaction_agreement_id.to_owned(),
        })
    }

    fn write_request(req: &GetObservationsRequest) -> String {
        let q = &req.query;
        let mut w = XmlWriter::with_capacity(768);
        w.open_ns(
            "tns:GetObservations",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        w.open("tns:patientId")
            .text("core:root", &q.patient_id.type_)
            .text("core:extension", &q.patient_id.id)
            .close("tns:patientId");
        if let Some(p) = &q.period {
            w.open("tns:time")
                .text("core:start", &format!("{}000000", p.start))
                .text("core:end", &format!("{}235959", p.end))
                .close("tns:time");
        }
        for t in &req.observation_types {
            t.write(&mut w, "tns:observationType");
        }
        for i in &req.observation_ids {
            i.write(&mut w, "tns:observationId");
        }
        if let Some(g) = &req.care_giver_id {
            Ii::hsa(g).write(&mut w, "tns:careGiverId");
        }
        if let Some(u) = q.care_unit_ids.first() {
            Ii::hsa(u).write(&mut w, "tns:careUnitId");
        }
        w.text("tns:interactionAgreementId", &req.interaction_agreement_id)
            .opt_text("tns:sourceSystemHSAId", q.source_system_id.as_deref())
            .close("tns:GetObservations");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<ObservationGroup>, ContractError> {
        if !body.is(NAMESPACE, "GetObservationsResponse") {
            return Err(ContractError::UnexpectedElement("GetObservationsResponse"));
        }
        let items = body
            .children_named(NAMESPACE, "observationGroup")
            .map(ObservationGroup::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Response::new(items, None))
    }

    fn write_response(resp: &Response<ObservationGroup>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 2048);
        w.open_ns(
            "tns:GetObservationsResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for g in &resp.items {
            g.write(&mut w);
        }
        // GetObservations 1.1 has no result element.
        w.close("tns:GetObservationsResponse");
        w.finish()
    }

    fn query(req: &GetObservationsRequest) -> &Query {
        &req.query
    }

    fn query_mut(req: &mut GetObservationsRequest) -> &mut Query {
        &mut req.query
    }

    /// Document id and registration time of the first observation; approved only if every
    /// observation is.
    fn meta(item: &ObservationGroup) -> ItemMeta<'_> {
        let first = item.observations.first();
        let unit = item.performer.care_unit.as_ref();
        ItemMeta {
            document_id: first.map_or("", |o| o.id.extension.as_str()),
            source_system: &item.source_system.extension,
            patient_id: &item.patient.id,
            registration_time: first
                .and_then(|o| o.registration_time.as_deref())
                .unwrap_or_else(|| Self::filter_time(item)),
            care_unit: unit.map(|u| u.id.extension.as_str()),
            care_giver: unit.map(|u| u.care_giver.id.extension.as_str()),
            approved_for_patient: item.observations.iter().all(|o| o.approved_for_patient),
            care_contact_id: None,
        }
    }

    /// When the first observation was made (its start, else end), else its registration time;
    /// a full timestamp is preferred over a partial one.
    /// The shared filters, the care giver, and groups with at least one wanted observation.
    fn matches(req: &GetObservationsRequest, item: &ObservationGroup) -> bool {
        req.select(item).is_some()
    }

    fn filter_time(item: &ObservationGroup) -> &str {
        let Some(o) = item.observations.first() else {
            return "";
        };
        let candidates = [
            o.time.start.as_ref().map(|t| t.value.as_str()),
            o.time.end.as_ref().map(|t| t.value.as_str()),
            o.registration_time.as_deref(),
        ];
        candidates
            .iter()
            .flatten()
            .find(|t| is_timestamp(t))
            .or_else(|| candidates.iter().flatten().next())
            .copied()
            .unwrap_or("")
    }

    fn view(item: &ObservationGroup) -> ItemView {
        let obs = &item.observations;
        let find = |code: &str| obs.iter().find(|o| o.is(code));
        let blood_pressure = match (find(SYSTOLIC), find(DIASTOLIC)) {
            (Some(s), Some(d)) => match (&s.value, &d.value) {
                (Some(ObservationValue::Pq(sp)), Some(ObservationValue::Pq(dp))) => {
                    Some(format!("{}/{} mmHg", sp.value, dp.value).replace('.', ","))
                }
                _ => None,
            },
            _ => None,
        };
        let mut parts = Vec::new();
        let mut fields = Vec::new();
        if let Some(bp) = &blood_pressure {
            parts.push(format!("Blodtryck {bp}"));
            fields.push(("Blodtryck", bp.clone()));
        }
        for o in obs {
            if blood_pressure.is_some() && (o.is(SYSTOLIC) || o.is(DIASTOLIC)) {
                continue;
            }
            let value = o.value_text();
            match o.label() {
                Some(label) => {
                    parts.push(format!("{label} {value}"));
                    fields.push((label, value));
                }
                None => {
                    let name = o.type_.text();
                    parts.push(format!("{name} {value}"));
                    fields.push(("Observation", format!("{name}: {value}")));
                }
            }
        }
        if let Some(u) = item.performed_at() {
            fields.push(("Vårdenhet", u.to_owned()));
        }
        if let Some(n) = item
            .performer
            .person
            .as_ref()
            .and_then(|p| p.name.as_deref())
        {
            fields.push(("Utförd av", n.to_owned()));
        }
        let text: Vec<&str> = obs
            .iter()
            .filter_map(|o| o.description.as_deref())
            .collect();
        let num = |code: &str| find(code).and_then(Observation::number);
        let attention = num(SYSTOLIC).is_some_and(|v| v >= 180.0)
            || num(DIASTOLIC).is_some_and(|v| v >= 110.0)
            || num(BMI).is_some_and(|v| v >= 40.0);
        ItemView {
            title: parts.join(", "),
            time: Self::filter_time(item).to_owned(),
            fields,
            text: (!text.is_empty()).then(|| text.join("\n")),
            attention,
        }
    }
}
