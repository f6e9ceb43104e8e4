//! GetMaternityMedicalHistory 2.0
//! (`urn:riv:clinicalprocess:healthcond:actoutcome:GetMaternityMedicalHistoryResponder:2`):
//! maternity care (mödrahälsovård and förlossning). Categorization `utr-mtr`.
//!
//! One item (`maternityMedicalRecord`) is one record of a pregnancy: the registration
//! (inskrivning: last menstrual period, expected day of delivery, length, weight, BMI, earlier
//! pregnancies and parity, diseases, medication), a check-up (graviditetskontroll: weeks of
//! gestation, weight, symphysis–fundal height, Hb, blood pressure, urine, fetal position and
//! heart rate, leave) or the record after the delivery (mother and child: Apgar, weight,
//! breastfeeding). Every element of `MaternityMedicalRecordType` is modelled; extension elements
//! (`xs:any`) are ignored when reading.
//!
//! Schema quirks:
//! - The response has no `result` element: [`Response::result`] is never written and always
//!   reads back as `None` (an INFO or ERROR result cannot be carried by this contract).
//! - The domain's `PatientSummaryHeaderType` puts `careContactId` after `nullified` and
//!   `nullifiedReason` (other domains put it before), and its `LegalAuthenticatorType` has no
//!   name: `legal_authenticator.name` is never written and reads back as `None`.
//! - Its `HealthcareProfessionalType` requires `healthcareProfessionalHSAId`,
//!   `healthcareProfessionalOrgUnit`, `healthcareProfessionalCareUnitHSAId` and
//!   `healthcareProfessionalCareGiverHSAId`: reading refuses a header without them.
//! - The request spells the care-unit filter `careUnitHSAid` (lower-case d).
//! - The enumerations (delivery outcome, sex, fetal position, type of leave) are integers with
//!   their meaning only in schema annotations; [`DeliveryOutcome`] and friends carry them.

use crate::common::{
    ContractError, HeaderSpelling, ItemMeta, PatientSummaryHeader, Query, QuerySpelling,
    display_time, is_date, opt, opt_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:actoutcome:GetMaternityMedicalHistoryResponder:2";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:actoutcome:2";
/// Namespace of the domain's enumeration types (no elements live in it).
pub const ENUM_NS: &str = "urn:riv:clinicalprocess:healthcond:actoutcome:enums:2";

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAid",
    time_period: "timePeriod",
    source_system: "sourceSystemHSAId",
};

type Result<T> = std::result::Result<T, ContractError>;

/// One maternity record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaternityMedicalRecord {
    pub header: PatientSummaryHeader,
    pub body: MaternityMedicalRecordBody,
}

/// `MaternityMedicalRecordBodyType`: usually exactly one of the three parts is present.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MaternityMedicalRecordBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<RegistrationRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkup: Option<PregnancyCheckupRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_delivery: Option<PostDeliveryRecord>,
}

/// `PQType`: a measured value and its unit (UCUM, e.g. `kg`, `cm`, `g/L`, `mm[Hg]`, `/min`).
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

    fn parse(el: &Element, name: &'static str) -> Result<Self> {
        Ok(Pq {
            value: parse_double(req(el, CORE_NS, "value")?, name)?,
            unit: el
                .child_text(CORE_NS, "unit")
                .ok_or(ContractError::Missing("unit"))?
                .to_owned(),
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:value", &fmt_double(self.value))
            .text("core:unit", &self.unit)
            .close(tag);
    }
}

/// `RegistrationRecordType`: the registration (inskrivning) in maternity care.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRecord {
    /// Last menstrual period, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_menstrual_period: Option<String>,
    /// Day of the positive pregnancy test, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indication_pregnancy: Option<String>,
    /// Day contraception was stopped, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contraceptive_discontinued: Option<String>,
    /// Expected day of delivery from the last menstrual period, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edd_from_last_menstrual_period: Option<String>,
    /// Expected day of delivery from the ultrasound scan, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edd_from_ultrasound: Option<String>,
    /// Expected day of delivery from the embryo transfer (IVF), `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edd_from_embryo_transfer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_mass_index: Option<Pq>,
    /// Years of involuntary childlessness (`infertility`, `xs:decimal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infertility_years: Option<f64>,
    /// Earlier pregnancies (gravididet och paritet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_pregnancies: Vec<PreviousPregnancy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thrombosis: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endocrine_disease: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrent_urinary_tract_infections: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diabetes_mellitus: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medication: Vec<Medication>,
    /// Assessed at the first contact as fit for the standard programme (basprogram).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_care: Option<bool>,
}

/// `PreviousGravidityAndParityType`: one earlier pregnancy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviousPregnancy {
    pub year: i32,
    pub month: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcare_facility: Option<String>,
    /// Free text about the course (förlopp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_of_child: Option<Pq>,
    /// Length of gestation in completed weeks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gestation_weeks: Option<i32>,
}

/// `MedicationType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Medication {
    pub medicament: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dosage: Option<String>,
}

impl Medication {
    fn parse(el: &Element) -> Result<Self> {
        Ok(Medication {
            medicament: req(el, CORE_NS, "medicament")?.to_owned(),
            dosage: opt(el, CORE_NS, "dosage"),
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:medicament", &self.medicament)
            .opt_text("core:dosage", self.dosage.as_deref())
            .close(tag);
    }
}

/// `PregnancyCheckupRecordType`: one check-up visit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PregnancyCheckupRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_weeks_of_gestation: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symphysis_fundal_height: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub haemoglobin: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_pressure_systolic: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_pressure_diastolic: Option<Pq>,
    /// Urine dipstick, protein (value 0–4, unit `1`: 0 = negative, 1 = 1+ …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proteinuria: Option<Pq>,
    /// Urine dipstick, glucose (as proteinuria).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glycosuria: Option<Pq>,
    /// Fetal position (läge), one per fetus.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetal_position: Vec<FetalPosition>,
    /// Fetal presentation (bjudning), one per fetus.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetal_presentation: Vec<FetalPosition>,
    /// Fetal heart rate (fosterljud), one per fetus.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetal_heart_rate: Vec<Pq>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub type_of_leave: Vec<TypeOfLeave>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medication_since_registration: Vec<Medication>,
}

/// `PostDeliveryRecordType`: the mother and each child after the delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostDeliveryRecord {
    pub mother: MotherPostDelivery,
    /// At least one child (the schema requires one).
    pub children: Vec<ChildPostDelivery>,
}

/// `MotherPostDeliveryRecordType`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MotherPostDelivery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_pressure_systolic: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_pressure_diastolic: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub haemoglobin: Option<Pq>,
    /// Degrees Celsius (`bodyTemperature`, `xs:decimal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scars_ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suture_removed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perineum_comfortable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulva_vagina_portio_ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uterus_contracted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uterus_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breastfeeding: Option<bool>,
}

/// `ChildPostDeliveryRecordType`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChildPostDelivery {
    /// 1 for the first-born (twins: 1 and 2).
    pub ordinal_number: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apgar_1: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apgar_5: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apgar_10: Option<i32>,
}

/// `DeliveryCodeEnum`: how an earlier pregnancy ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryOutcome {
    /// 0 Ej angivet.
    NotStated,
    /// 1 X-gravid (extrauterine pregnancy).
    Extrauterine,
    /// 2 Spontan abort.
    Miscarriage,
    /// 4 Dödfött.
    Stillborn,
    /// 5 Levande fött.
    LiveBorn,
}

impl DeliveryOutcome {
    pub fn code(self) -> i64 {
        match self {
            DeliveryOutcome::NotStated => 0,
            DeliveryOutcome::Extrauterine => 1,
            DeliveryOutcome::Miscarriage => 2,
            DeliveryOutcome::Stillborn => 4,
            DeliveryOutcome::LiveBorn => 5,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => DeliveryOutcome::NotStated,
            1 => DeliveryOutcome::Extrauterine,
            2 => DeliveryOutcome::Miscarriage,
            4 => DeliveryOutcome::Stillborn,
            5 => DeliveryOutcome::LiveBorn,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DeliveryOutcome::NotStated => "Utfall ej angivet",
            DeliveryOutcome::Extrauterine => "X (utomkvedshavandeskap)",
            DeliveryOutcome::Miscarriage => "Missfall",
            DeliveryOutcome::Stillborn => "Dödfött barn",
            DeliveryOutcome::LiveBorn => "Levande fött barn",
        }
    }

    /// True if the pregnancy ended in a delivery (counts towards parity).
    pub fn is_delivery(self) -> bool {
        matches!(self, DeliveryOutcome::Stillborn | DeliveryOutcome::LiveBorn)
    }
}

/// `SexCodeEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// 0 okänt.
    Unknown,
    /// 1 man.
    Male,
    /// 2 kvinna.
    Female,
    /// 9 ej tillämpligt.
    NotApplicable,
}

impl Sex {
    pub fn code(self) -> i64 {
        match self {
            Sex::Unknown => 0,
            Sex::Male => 1,
            Sex::Female => 2,
            Sex::NotApplicable => 9,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Sex::Unknown,
            1 => Sex::Male,
            2 => Sex::Female,
            9 => Sex::NotApplicable,
            _ => return None,
        })
    }

    /// The child's sex as said of a newborn.
    pub fn name(self) -> &'static str {
        match self {
            Sex::Unknown => "kön okänt",
            Sex::Male => "pojke",
            Sex::Female => "flicka",
            Sex::NotApplicable => "kön ej tillämpligt",
        }
    }
}

/// `FetalPositionCodeEnum` and `FetalPresentationCodeEnum` (the same four values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FetalPosition {
    /// 0 huvud.
    Cephalic,
    /// 1 säte.
    Breech,
    /// 2 snedläge.
    Oblique,
    /// 3 tvärläge.
    Transverse,
}

impl FetalPosition {
    pub fn code(self) -> i64 {
        match self {
            FetalPosition::Cephalic => 0,
            FetalPosition::Breech => 1,
            FetalPosition::Oblique => 2,
            FetalPosition::Transverse => 3,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => FetalPosition::Cephalic,
            1 => FetalPosition::Breech,
            2 => FetalPosition::Oblique,
            3 => FetalPosition::Transverse,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FetalPosition::Cephalic => "Huvud",
            FetalPosition::Breech => "Säte",
            FetalPosition::Oblique => "Snedläge",
            FetalPosition::Transverse => "Tvärläge",
        }
    }
}

/// `TypeOfLeaveCodeEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeOfLeave {
    /// 0 Sjukskrivning.
    SickLeave,
    /// 1 Havandeskapsledighet (havandeskapspenning).
    PregnancyLeave,
    /// 2 Föräldraledighet.
    ParentalLeave,
}

impl TypeOfLeave {
    pub fn code(self) -> i64 {
        match self {
            TypeOfLeave::SickLeave => 0,
            TypeOfLeave::PregnancyLeave => 1,
            TypeOfLeave::ParentalLeave => 2,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => TypeOfLeave::SickLeave,
            1 => TypeOfLeave::PregnancyLeave,
            2 => TypeOfLeave::ParentalLeave,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TypeOfLeave::SickLeave => "Sjukskrivning",
            TypeOfLeave::PregnancyLeave => "Havandeskapsledighet",
            TypeOfLeave::ParentalLeave => "Föräldraledighet",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// value helpers

/// `xs:double` (finite values, `INF`, `-INF`, `NaN`).
fn parse_double(s: &str, name: &'static str) -> Result<f64> {
    match s {
        "INF" => return Ok(f64::INFINITY),
        "-INF" => return Ok(f64::NEG_INFINITY),
        "NaN" => return Ok(f64::NAN),
        _ => {}
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return Err(ContractError::Invalid(name, "not a number"));
    }
    s.parse::<f64>()
        .map_err(|_| ContractError::Invalid(name, "not a number"))
}

fn fmt_double(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "INF" } else { "-INF" }.into()
    } else {
        v.to_string()
    }
}

/// `xs:decimal`: optional sign, digits, at most one decimal point.
fn parse_decimal(s: &str, name: &'static str) -> Result<f64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok = !digits.is_empty()
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    if !ok {
        return Err(ContractError::Invalid(name, "not a decimal number"));
    }
    s.parse::<f64>()
        .map_err(|_| ContractError::Invalid(name, "not a decimal number"))
}

fn fmt_decimal(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        "0".into()
    }
}

fn parse_int(s: &str, name: &'static str) -> Result<i64> {
    s.parse::<i64>()
        .map_err(|_| ContractError::Invalid(name, "not an integer"))
}

fn parse_i32(s: &str, name: &'static str) -> Result<i32> {
    s.parse::<i32>()
        .map_err(|_| ContractError::Invalid(name, "not an int"))
}

fn opt_i32(el: &Element, name: &'static str) -> Result<Option<i32>> {
    opt(el, CORE_NS, name)
        .map(|s| parse_i32(&s, name))
        .transpose()
}

fn opt_date(el: &Element, name: &'static str) -> Result<Option<String>> {
    match opt(el, CORE_NS, name) {
        Some(d) if !is_date(&d) => Err(ContractError::Invalid(name, "expected YYYYMMDD")),
        d => Ok(d),
    }
}

fn opt_pq(el: &Element, name: &'static str) -> Result<Option<Pq>> {
    el.child(CORE_NS, name)
        .map(|c| Pq::parse(c, name))
        .transpose()
}

fn many_pq(el: &Element, name: &'static str) -> Result<Vec<Pq>> {
    el.children_named(CORE_NS, name)
        .map(|c| Pq::parse(c, name))
        .collect()
}

fn enum_values<T>(el: &Element, name: &'static str, from: fn(i64) -> Option<T>) -> Result<Vec<T>> {
    el.children_named(CORE_NS, name)
        .map(|c| {
            from(parse_int(c.text(), name)?)
                .ok_or(ContractError::Invalid(name, "not an allowed code"))
        })
        .collect()
}

fn opt_enum<T>(el: &Element, name: &'static str, from: fn(i64) -> Option<T>) -> Result<Option<T>> {
    opt(el, CORE_NS, name)
        .map(|s| {
            from(parse_int(&s, name)?).ok_or(ContractError::Invalid(name, "not an allowed code"))
        })
        .transpose()
}

fn medications(el: &Element, name: &'static str) -> Result<Vec<Medication>> {
    el.children_named(CORE_NS, name)
        .map(Medication::parse)
        .collect()
}

fn opt_pq_w(w: &mut XmlWriter, tag: &str, v: &Option<Pq>) {
    if let Some(p) = v {
        p.write(w, tag);
    }
}

fn opt_int_w(w: &mut XmlWriter, tag: &str, v: Option<i32>) {
    if let Some(v) = v {
        w.text(tag, &v.to_string());
    }
}

// ---------------------------------------------------------------------------------------------
// body parts

impl RegistrationRecord {
    fn parse(el: &Element) -> Result<Self> {
        let ns = CORE_NS;
        Ok(RegistrationRecord {
            last_menstrual_period: opt_date(el, "lastMenstrualPeriod")?,
            indication_pregnancy: opt_date(el, "indicationPregnancy")?,
            contraceptive_discontinued: opt_date(el, "contraceptiveDiscontinued")?,
            edd_from_last_menstrual_period: opt_date(
                el,
                "expectedDayOfDeliveryFromLastMenstrualPeriod",
            )?,
            edd_from_ultrasound: opt_date(el, "expectedDayOfDeliveryFromUltrasoundScan")?,
            edd_from_embryo_transfer: opt_date(el, "expectedDayOfDeliveryFromEmbryonicTransfer")?,
            length: opt_pq(el, "length")?,
            weight: opt_pq(el, "weight")?,
            body_mass_index: opt_pq(el, "bodyMassIndex")?,
            infertility_years: opt(el, ns, "infertility")
                .map(|s| parse_decimal(&s, "infertility"))
                .transpose()?,
            previous_pregnancies: el
                .children_named(ns, "previousGravidityAndParity")
                .map(PreviousPregnancy::parse)
                .collect::<Result<_>>()?,
            thrombosis: opt_bool(el, ns, "diseasesThrombosis")?,
            endocrine_disease: opt_bool(el, ns, "diseasesEndocineDiseases")?,
            recurrent_urinary_tract_infections: opt_bool(
                el,
                ns,
                "diseasesRecurrentUrinaryTractInfections",
            )?,
            diabetes_mellitus: opt_bool(el, ns, "diseasesDiabetesMellitus")?,
            medication: medications(el, "medicationDuringPregnacy")?,
            standard_care: opt_bool(el, ns, "assessmentAtFirstContactStandardCare")?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:registrationRecord")
            .opt_text(
                "core:lastMenstrualPeriod",
                self.last_menstrual_period.as_deref(),
            )
            .opt_text(
                "core:indicationPregnancy",
                self.indication_pregnancy.as_deref(),
            )
            .opt_text(
                "core:contraceptiveDiscontinued",
                self.contraceptive_discontinued.as_deref(),
            )
            .opt_text(
                "core:expectedDayOfDeliveryFromLastMenstrualPeriod",
                self.edd_from_last_menstrual_period.as_deref(),
            )
            .opt_text(
                "core:expectedDayOfDeliveryFromUltrasoundScan",
                self.edd_from_ultrasound.as_deref(),
            )
            .opt_text(
                "core:expectedDayOfDeliveryFromEmbryonicTransfer",
                self.edd_from_embryo_transfer.as_deref(),
            );
        opt_pq_w(w, "core:length", &self.length);
        opt_pq_w(w, "core:weight", &self.weight);
        opt_pq_w(w, "core:bodyMassIndex", &self.body_mass_index);
        if let Some(v) = self.infertility_years {
            w.text("core:infertility", &fmt_decimal(v));
        }
        for p in &self.previous_pregnancies {
            p.write(w);
        }
        w.opt_bool("core:diseasesThrombosis", self.thrombosis)
            .opt_bool("core:diseasesEndocineDiseases", self.endocrine_disease)
            .opt_bool(
                "core:diseasesRecurrentUrinaryTractInfections",
                self.recurrent_urinary_tract_infections,
            )
            .opt_bool("core:diseasesDiabetesMellitus", self.diabetes_mellitus);
        for m in &self.medication {
            m.write(w, "core:medicationDuringPregnacy");
        }
        w.opt_bool(
            "core:assessmentAtFirstContactStandardCare",
            self.standard_care,
        )
        .close("core:registrationRecord");
    }
}

impl PreviousPregnancy {
    fn parse(el: &Element) -> Result<Self> {
        let ns = CORE_NS;
        Ok(PreviousPregnancy {
            year: parse_i32(req(el, ns, "year")?, "year")?,
            month: parse_i32(req(el, ns, "month")?, "month")?,
            delivery: opt_enum(el, "delivery", DeliveryOutcome::from_code)?,
            healthcare_facility: opt(el, ns, "healthcareFacility"),
            progress: opt(el, ns, "progress"),
            sex: opt_enum(el, "sex", Sex::from_code)?,
            weight_of_child: opt_pq(el, "weightOfChild")?,
            gestation_weeks: opt_i32(el, "gestation")?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:previousGravidityAndParity")
            .text("core:year", &self.year.to_string())
            .text("core:month", &self.month.to_string());
        if let Some(d) = self.delivery {
            w.text("core:delivery", &d.code().to_string());
        }
        w.opt_text(
            "core:healthcareFacility",
            self.healthcare_facility.as_deref(),
        )
        .opt_text("core:progress", self.progress.as_deref());
        if let Some(s) = self.sex {
            w.text("core:sex", &s.code().to_string());
        }
        opt_pq_w(w, "core:weightOfChild", &self.weight_of_child);
        opt_int_w(w, "core:gestation", self.gestation_weeks);
        w.close("core:previousGravidityAndParity");
    }
}

impl PregnancyCheckupRecord {
    fn parse(el: &Element) -> Result<Self> {
        Ok(PregnancyCheckupRecord {
            complete_weeks_of_gestation: opt_i32(el, "completeWeeksOfGestation")?,
            weight: opt_pq(el, "weight")?,
            symphysis_fundal_height: opt_pq(el, "symphysisFundalHeight")?,
            haemoglobin: opt_pq(el, "haemoglobin")?,
            blood_pressure_systolic: opt_pq(el, "bloodPressureSystolic")?,
            blood_pressure_diastolic: opt_pq(el, "bloodPressureDiastolic")?,
            proteinuria: opt_pq(el, "proteinuria")?,
            glycosuria: opt_pq(el, "glycosuria")?,
            fetal_position: enum_values(el, "fetalPosition", FetalPosition::from_code)?,
            fetal_presentation: enum_values(el, "fetalPresentation", FetalPosition::from_code)?,
            fetal_heart_rate: many_pq(el, "fetalHeartRate")?,
            type_of_leave: enum_values(el, "typeOfLeave", TypeOfLeave::from_code)?,
            medication_since_registration: medications(el, "medicationSinceRegistration")?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:pregnancyCheckupRecord");
        opt_int_w(
            w,
            "core:completeWeeksOfGestation",
            self.complete_weeks_of_gestation,
        );
        opt_pq_w(w, "core:weight", &self.weight);
        opt_pq_w(
            w,
            "core:symphysisFundalHeight",
            &self.symphysis_fundal_height,
        );
        opt_pq_w(w, "core:haemoglobin", &self.haemoglobin);
        opt_pq_w(
            w,
            "core:bloodPressureSystolic",
            &self.blood_pressure_systolic,
        );
        opt_pq_w(
            w,
            "core:bloodPressureDiastolic",
            &self.blood_pressure_diastolic,
        );
        opt_pq_w(w, "core:proteinuria", &self.proteinuria);
        opt_pq_w(w, "core:glycosuria", &self.glycosuria);
        for p in &self.fetal_position {
            w.text("core:fetalPosition", &p.code().to_string());
        }
        for p in &self.fetal_presentation {
            w.text("core:fetalPresentation", &p.code().to_string());
        }
        for h in &self.fetal_heart_rate {
            h.write(w, "core:fetalHeartRate");
        }
        for l in &self.type_of_leave {
            w.text("core:typeOfLeave", &l.code().to_string());
        }
        for m in &self.medication_since_registration {
            m.write(w, "core:medicationSinceRegistration");
        }
        w.close("core:pregnancyCheckupRecord");
    }
}

impl PostDeliveryRecord {
    fn parse(el: &Element) -> Result<Self> {
        let ns = CORE_NS;
        let m = el
            .child(ns, "motherPostDeliveryRecord")
            .ok_or(ContractError::Missing("motherPostDeliveryRecord"))?;
        let mother = MotherPostDelivery {
            blood_pressure_systolic: opt_pq(m, "bloodPressureSystolic")?,
            blood_pressure_diastolic: opt_pq(m, "bloodPressureDiastolic")?,
            haemoglobin: opt_pq(m, "haemoglobin")?,
            body_temperature: opt(m, ns, "bodyTemperature")
                .map(|s| parse_decimal(&s, "bodyTemperature"))
                .transpose()?,
            scars_ok: opt_bool(m, ns, "scarsOK")?,
            suture_removed: opt_bool(m, ns, "sutureRemoved")?,
            perineum_comfortable: opt_bool(m, ns, "perineumComfortable")?,
            vulva_vagina_portio_ok: opt_bool(m, ns, "vulvaVaginaPortioOK")?,
            uterus_contracted: opt_bool(m, ns, "uterusContracted")?,
            uterus_note: opt(m, ns, "uterusNote"),
            breastfeeding: opt_bool(m, ns, "breastfeeding")?,
        };
        let children = el
            .children_named(ns, "childPostDeliveryRecord")
            .map(|c| {
                Ok(ChildPostDelivery {
                    ordinal_number: parse_i32(req(c, ns, "ordinalNumber")?, "ordinalNumber")?,
                    weight: opt_pq(c, "weight")?,
                    apgar_1: opt_apgar(c, "apgarScore1")?,
                    apgar_5: opt_apgar(c, "apgarScore5")?,
                    apgar_10: opt_apgar(c, "apgarScore10")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if children.is_empty() {
            return Err(ContractError::Missing("childPostDeliveryRecord"));
        }
        Ok(PostDeliveryRecord { mother, children })
    }

    fn write(&self, w: &mut XmlWriter) {
        let m = &self.mother;
        w.open("core:postDeliveryRecord")
            .open("core:motherPostDeliveryRecord");
        opt_pq_w(w, "core:bloodPressureSystolic", &m.blood_pressure_systolic);
        opt_pq_w(
            w,
            "core:bloodPressureDiastolic",
            &m.blood_pressure_diastolic,
        );
        opt_pq_w(w, "core:haemoglobin", &m.haemoglobin);
        if let Some(t) = m.body_temperature {
            w.text("core:bodyTemperature", &fmt_decimal(t));
        }
        w.opt_bool("core:scarsOK", m.scars_ok)
            .opt_bool("core:sutureRemoved", m.suture_removed)
            .opt_bool("core:perineumComfortable", m.perineum_comfortable)
            .opt_bool("core:vulvaVaginaPortioOK", m.vulva_vagina_portio_ok)
            .opt_bool("core:uterusContracted", m.uterus_contracted)
            .opt_text("core:uterusNote", m.uterus_note.as_deref())
            .opt_bool("core:breastfeeding", m.breastfeeding)
            .close("core:motherPostDeliveryRecord");
        for c in &self.children {
            w.open("core:childPostDeliveryRecord")
                .text("core:ordinalNumber", &c.ordinal_number.to_string());
            opt_pq_w(w, "core:weight", &c.weight);
            opt_int_w(w, "core:apgarScore1", c.apgar_1);
            opt_int_w(w, "core:apgarScore5", c.apgar_5);
            opt_int_w(w, "core:apgarScore10", c.apgar_10);
            w.close("core:childPostDeliveryRecord");
        }
        w.close("core:postDeliveryRecord");
    }
}

fn opt_apgar(el: &Element, name: &'static str) -> Result<Option<i32>> {
    match opt_i32(el, name)? {
        Some(v) if !(0..=10).contains(&v) => Err(ContractError::Invalid(name, "not 0–10")),
        v => Ok(v),
    }
}

impl MaternityMedicalRecordBody {
    fn parse(el: &Element) -> Result<Self> {
        Ok(MaternityMedicalRecordBody {
            registration: el
                .child(CORE_NS, "registrationRecord")
                .map(RegistrationRecord::parse)
                .transpose()?,
            checkup: el
                .child(CORE_NS, "pregnancyCheckupRecord")
                .map(PregnancyCheckupRecord::parse)
                .transpose()?,
            post_delivery: el
                .child(CORE_NS, "postDeliveryRecord")
                .map(PostDeliveryRecord::parse)
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:maternityMedicalRecordBody");
        if let Some(r) = &self.registration {
            r.write(w);
        }
        if let Some(c) = &self.checkup {
            c.write(w);
        }
        if let Some(p) = &self.post_delivery {
            p.write(w);
        }
        w.close("core:maternityMedicalRecordBody");
    }
}

// ---------------------------------------------------------------------------------------------
// header (this domain's order and required elements)

fn parse_header(el: &Element) -> Result<PatientSummaryHeader> {
    let mut h = PatientSummaryHeader::parse(el, CORE_NS, HeaderSpelling::Standard)?;
    let a = &h.accountable;
    if a.hsa_id.is_none() {
        return Err(ContractError::Missing("healthcareProfessionalHSAId"));
    }
    if a.org_unit.is_none() {
        return Err(ContractError::Missing("healthcareProfessionalOrgUnit"));
    }
    if a.care_unit_hsa_id.is_none() {
        return Err(ContractError::Missing(
            "healthcareProfessionalCareUnitHSAId",
        ));
    }
    if a.care_giver_hsa_id.is_none() {
        return Err(ContractError::Missing(
            "healthcareProfessionalCareGiverHSAId",
        ));
    }
    // This domain's LegalAuthenticatorType has no name element.
    if let Some(l) = &mut h.legal_authenticator {
        l.name = None;
    }
    Ok(h)
}

fn write_header(h: &PatientSummaryHeader, w: &mut XmlWriter) {
    let tag = "core:maternityMedicalRecordHeader";
    w.open(tag)
        .text("core:documentId", &h.document_id)
        .text("core:sourceSystemHSAId", &h.source_system_hsa_id)
        .opt_text("core:documentTitle", h.document_title.as_deref())
        .opt_text("core:documentTime", h.document_time.as_deref());
    h.patient_id.write(w, "core:patientId");
    h.accountable
        .write(w, "core:accountableHealthcareProfessional");
    if let Some(l) = &h.legal_authenticator {
        w.open("core:legalAuthenticator")
            .text("core:signatureTime", &l.signature_time)
            .opt_text("core:legalAuthenticatorHSAId", l.hsa_id.as_deref())
            .close("core:legalAuthenticator");
    }
    w.bool("core:approvedForPatient", h.approved_for_patient)
        .opt_bool("core:nullified", h.nullified)
        .opt_text("core:nullifiedReason", h.nullified_reason.as_deref())
        .opt_text("core:careContactId", h.care_contact_id.as_deref())
        .close(tag);
}

/// The GetMaternityMedicalHistory 2.0 contract.
pub struct GetMaternityMedicalHistoryV2;

impl Contract for GetMaternityMedicalHistoryV2 {
    const NAME: &'static str = "GetMaternityMedicalHistory";
    const VERSION: &'static str = "2.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:actoutcome";
    const CATEGORIZATION: &'static str = "utr-mtr";
    const HAS_RESULT: bool = false;

    type Request = Query;
    type Item = MaternityMedicalRecord;

    fn parse_request(body: &Element) -> Result<Query> {
        if !body.is(NAMESPACE, "GetMaternityMedicalHistory") {
            return Err(ContractError::UnexpectedElement(
                "GetMaternityMedicalHistory",
            ));
        }
        Query::parse(body, NAMESPACE, CORE_NS, SPELLING)
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetMaternityMedicalHistory",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        req.write_fields(&mut w, SPELLING);
        w.close("tns:GetMaternityMedicalHistory");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<MaternityMedicalRecord>> {
        if !body.is(NAMESPACE, "GetMaternityMedicalHistoryResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetMaternityMedicalHistoryResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "maternityMedicalRecord")
            .map(|r| {
                Ok(MaternityMedicalRecord {
                    header: parse_header(
                        r.child(CORE_NS, "maternityMedicalRecordHeader")
                            .ok_or(ContractError::Missing("maternityMedicalRecordHeader"))?,
                    )?,
                    body: MaternityMedicalRecordBody::parse(
                        r.child(CORE_NS, "maternityMedicalRecordBody")
                            .ok_or(ContractError::Missing("maternityMedicalRecordBody"))?,
                    )?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Response::new(items, None))
    }

    /// Writes the items; the contract has no `result` element, so `resp.result` is dropped.
    fn write_response(resp: &Response<MaternityMedicalRecord>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 1536);
        w.open_ns(
            "tns:GetMaternityMedicalHistoryResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:maternityMedicalRecord");
            write_header(&item.header, &mut w);
            item.body.write(&mut w);
            w.close("tns:maternityMedicalRecord");
        }
        w.close("tns:GetMaternityMedicalHistoryResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &MaternityMedicalRecord) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The record's document time (the visit), else its author time.
    fn filter_time(item: &MaternityMedicalRecord) -> &str {
        item.header
            .document_time
            .as_deref()
            .unwrap_or(&item.header.accountable.author_time)
    }

    fn view(item: &MaternityMedicalRecord) -> ItemView {
        let b = &item.body;
        let mut v = View::default();
        let kind = if let Some(r) = &b.registration {
            v.registration(r);
            "Inskrivning i mödrahälsovården".to_owned()
        } else if let Some(c) = &b.checkup {
            v.checkup(c);
            match c.complete_weeks_of_gestation {
                Some(w) => format!("Graviditetskontroll, vecka {w}"),
                None => "Graviditetskontroll".to_owned(),
            }
        } else if let Some(p) = &b.post_delivery {
            v.post_delivery(p);
            "Efter förlossningen".to_owned()
        } else {
            "Mödrahälsovård".to_owned()
        };
        let title = kind;
        if let Some(t) = &item.header.document_title {
            v.fields.push(("Dokument", t.clone()));
        }
        if let Some(unit) = item
            .header
            .accountable
            .org_unit
            .as_ref()
            .map(|o| o.name.clone())
        {
            v.fields.push(("Enhet", unit));
        }
        if let Some(name) = &item.header.accountable.name {
            v.fields.push(("Ansvarig", name.clone()));
        }
        if item.header.nullified == Some(true) {
            v.fields.push((
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
            fields: v.fields,
            text: None,
            attention: v.attention,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// view helpers (Swedish)

#[derive(Default)]
struct View {
    fields: Vec<(&'static str, String)>,
    attention: bool,
}

/// A number as written in Swedish (decimal comma, at most one or two decimals).
fn sv_num(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    s.replace('.', ",")
}

fn unit_sv(unit: &str) -> &str {
    match unit {
        "mm[Hg]" => "mmHg",
        "/min" => "slag/min",
        "kg/m2" => "kg/m²",
        "Cel" => "°C",
        u => u,
    }
}

fn pq_sv(p: &Pq) -> String {
    if p.unit == "1" || p.unit.is_empty() {
        return sv_num(p.value, 1);
    }
    format!("{} {}", sv_num(p.value, 1), unit_sv(&p.unit))
}

fn yes_no(b: bool) -> String {
    if b { "Ja" } else { "Nej" }.into()
}

/// Urine dipstick value: 0 = negativ, n = n+.
fn dipstick(p: &Pq) -> String {
    if p.unit == "1" || p.unit.is_empty() {
        if p.value <= 0.0 {
            "Negativ".into()
        } else {
            format!("{}+", sv_num(p.value, 0))
        }
    } else {
        pq_sv(p)
    }
}

fn join<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}

impl View {
    fn push(&mut self, label: &'static str, value: String) {
        self.fields.push((label, value));
    }

    fn blood_pressure(&mut self, sys: &Option<Pq>, dia: &Option<Pq>) {
        match (sys, dia) {
            (Some(s), Some(d)) => {
                self.push(
                    "Blodtryck",
                    format!("{}/{} mmHg", sv_num(s.value, 0), sv_num(d.value, 0)),
                );
            }
            (Some(p), None) => self.push("Systoliskt blodtryck", pq_sv(p)),
            (None, Some(p)) => self.push("Diastoliskt blodtryck", pq_sv(p)),
            (None, None) => {}
        }
        // Hypertension in pregnancy / after delivery (preeclampsia threshold).
        if sys.as_ref().is_some_and(|s| s.value >= 140.0)
            || dia.as_ref().is_some_and(|d| d.value >= 90.0)
        {
            self.attention = true;
        }
    }

    fn haemoglobin(&mut self, hb: &Option<Pq>) {
        if let Some(hb) = hb {
            self.push("Hb", pq_sv(hb));
            let g_per_l = match hb.unit.as_str() {
                "g/dL" => hb.value * 10.0,
                _ => hb.value,
            };
            if g_per_l < 100.0 {
                self.attention = true;
            }
        }
    }

    fn registration(&mut self, r: &RegistrationRecord) {
        if let Some(d) = &r.edd_from_ultrasound {
            self.push("Beräknad förlossning (ultraljud)", display_time(d));
        }
        if let Some(d) = &r.edd_from_last_menstrual_period {
            self.push("Beräknad förlossning (mens)", display_time(d));
        }
        if let Some(d) = &r.edd_from_embryo_transfer {
            self.push("Beräknad förlossning (embryoåterföring)", display_time(d));
        }
        if let Some(d) = &r.last_menstrual_period {
            self.push("Senaste mens", display_time(d));
        }
        if let Some(d) = &r.indication_pregnancy {
            self.push("Positivt graviditetstest", display_time(d));
        }
        if let Some(d) = &r.contraceptive_discontinued {
            self.push("Preventivmedel avslutat", display_time(d));
        }
        let gravidity = r.previous_pregnancies.len() + 1;
        let parity = r
            .previous_pregnancies
            .iter()
            .filter(|p| p.delivery.is_some_and(DeliveryOutcome::is_delivery))
            .count();
        self.push(
            "Graviditet och paritet",
            format!("Gravida {gravidity}, para {parity}"),
        );
        for p in &r.previous_pregnancies {
            self.push("Tidigare graviditet", previous_sv(p));
        }
        if let Some(p) = &r.length {
            self.push("Längd", pq_sv(p));
        }
        if let Some(p) = &r.weight {
            self.push("Vikt", pq_sv(p));
        }
        if let Some(p) = &r.body_mass_index {
            self.push("BMI", sv_num(p.value, 1));
            if p.value >= 35.0 {
                self.attention = true;
            }
        }
        if let Some(y) = r.infertility_years {
            self.push("Ofrivillig barnlöshet", format!("{} år", sv_num(y, 1)));
        }
        for (label, v) in [
            ("Tidigare trombos", r.thrombosis),
            ("Endokrin sjukdom", r.endocrine_disease),
            (
                "Återkommande urinvägsinfektioner",
                r.recurrent_urinary_tract_infections,
            ),
            ("Diabetes", r.diabetes_mellitus),
        ] {
            if let Some(v) = v {
                self.push(label, yes_no(v));
            }
        }
        if r.thrombosis == Some(true) || r.diabetes_mellitus == Some(true) {
            self.attention = true;
        }
        for m in &r.medication {
            self.push("Läkemedel", medication_sv(m));
        }
        if let Some(s) = r.standard_care {
            self.push(
                "Bedömning vid inskrivning",
                if s {
                    "Basprogram"
                } else {
                    "Utökad övervakning"
                }
                .into(),
            );
        }
    }

    fn checkup(&mut self, c: &PregnancyCheckupRecord) {
        if let Some(w) = c.complete_weeks_of_gestation {
            self.push("Graviditetsvecka", w.to_string());
        }
        self.blood_pressure(&c.blood_pressure_systolic, &c.blood_pressure_diastolic);
        if let Some(p) = &c.weight {
            self.push("Vikt", pq_sv(p));
        }
        if let Some(p) = &c.symphysis_fundal_height {
            self.push("SF-mått", pq_sv(p));
        }
        self.haemoglobin(&c.haemoglobin);
        if let Some(p) = &c.proteinuria {
            self.push("U-albumin", dipstick(p));
            if p.value >= 2.0 {
                self.attention = true;
            }
        }
        if let Some(p) = &c.glycosuria {
            self.push("U-glukos", dipstick(p));
        }
        if !c.fetal_position.is_empty() {
            self.push("Fosterläge", join(&c.fetal_position, |p| p.name().into()));
        }
        if !c.fetal_presentation.is_empty() {
            self.push(
                "Fosterbjudning",
                join(&c.fetal_presentation, |p| p.name().into()),
            );
        }
        if !c.fetal_heart_rate.is_empty() {
            self.push("Fosterljud", join(&c.fetal_heart_rate, pq_sv));
        }
        if !c.type_of_leave.is_empty() {
            self.push("Ledighet", join(&c.type_of_leave, |l| l.name().into()));
        }
        for m in &c.medication_since_registration {
            self.push("Läkemedel sedan inskrivning", medication_sv(m));
        }
    }

    fn post_delivery(&mut self, p: &PostDeliveryRecord) {
        let m = &p.mother;
        self.blood_pressure(&m.blood_pressure_systolic, &m.blood_pressure_diastolic);
        self.haemoglobin(&m.haemoglobin);
        if let Some(t) = m.body_temperature {
            self.push("Temperatur", format!("{} °C", sv_num(t, 1)));
            if t >= 38.0 {
                self.attention = true;
            }
        }
        for (label, v) in [
            ("Ärr u.a.", m.scars_ok),
            ("Suturer borttagna", m.suture_removed),
            ("Perineum utan besvär", m.perineum_comfortable),
            ("Vulva, vagina, portio u.a.", m.vulva_vagina_portio_ok),
            ("Uterus väl kontraherad", m.uterus_contracted),
            ("Amning", m.breastfeeding),
        ] {
            if let Some(v) = v {
                self.push(label, yes_no(v));
            }
        }
        if let Some(n) = &m.uterus_note {
            self.push("Uterus", n.clone());
        }
        for c in &p.children {
            let mut parts = Vec::new();
            if let Some(w) = &c.weight {
                parts.push(pq_sv(w));
            }
            let apgar: Vec<String> = [c.apgar_1, c.apgar_5, c.apgar_10]
                .iter()
                .map(|a| a.map_or("–".to_owned(), |v| v.to_string()))
                .collect();
            if c.apgar_1.is_some() || c.apgar_5.is_some() || c.apgar_10.is_some() {
                parts.push(format!("Apgar {}", apgar.join("-")));
            }
            if c.apgar_5.is_some_and(|a| a < 7) {
                self.attention = true;
            }
            let value = if parts.is_empty() {
                "Uppgifter saknas".to_owned()
            } else {
                parts.join(", ")
            };
            self.push("Barn", format!("{}: {value}", c.ordinal_number));
        }
    }
}

fn medication_sv(m: &Medication) -> String {
    match &m.dosage {
        Some(d) => format!("{} – {d}", m.medicament),
        None => m.medicament.clone(),
    }
}

fn previous_sv(p: &PreviousPregnancy) -> String {
    let mut parts = vec![format!("{}-{:02}", p.year, p.month)];
    if let Some(d) = p.delivery {
        parts.push(d.name().to_owned());
    }
    if let Some(s) = p.sex {
        parts.push(s.name().to_owned());
    }
    if let Some(w) = &p.weight_of_child {
        parts.push(pq_sv(w));
    }
    if let Some(g) = p.gestation_weeks {
        parts.push(format!("vecka {g}"));
    }
    if let Some(f) = &p.healthcare_facility {
        parts.push(f.clone());
    }
    if let Some(t) = &p.progress {
        parts.push(t.clone());
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_schema_lexical_spaces() {
        assert_eq!(parse_double("72.5", "v"), Ok(72.5));
        assert_eq!(parse_double("1e3", "v"), Ok(1000.0));
        assert!(parse_double("inf", "v").is_err());
        assert!(parse_double("7,5", "v").is_err());
        assert_eq!(parse_decimal("-1.50", "v"), Ok(-1.5));
        assert!(parse_decimal("1e3", "v").is_err());
        assert!(parse_decimal(".", "v").is_err());
        assert!(parse_decimal("1.2.3", "v").is_err());
        assert_eq!(fmt_double(3540.0), "3540");
        assert_eq!(sv_num(37.95, 1), "38");
        assert_eq!(sv_num(3.26, 1), "3,3");
        assert_eq!(sv_num(118.0, 1), "118");
    }
}
