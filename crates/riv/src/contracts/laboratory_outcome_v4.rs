//! GetLaboratoryOrderOutcome 4.0
//! (`urn:riv:clinicalprocess:healthcond:actoutcome:GetLaboratoryOrderOutcomeResponder:4`):
//! multidisciplinary laboratory results, clinical chemistry as well as microbiology, one item per
//! answer. Categorization `und-kkm-ure`. Second generation: the record carries the JoL
//! [`Header`] (access-control header, source system, record, author, signature).
//!
//! An answer holds groups of analyses; an analysis has its specimens and results; a result has a
//! value (a quantity, an interval, a code or a text), interpretations (SNOMED CT: above or below
//! the reference range, abnormal), a reference interval, and related analyses. Microbiology uses
//! the same shape: the culture is an analysis whose result is the organism found (SNOMED CT), and
//! each antibiotic tested on it is a related analysis whose result is S, I or R (SNOMED CT).
//!
//! Not modelled (ignored when read): the referral's version, requested care services and the
//! requester's org unit telecom; specimen activities and containers; devices; the per-result
//! recipient and performer signatures; elements of other namespaces (`xs:any`).
//!
//! Schema quirks: the response has no `result` element at all ([`Response::result`] is not
//! written and reads as `None`). The access-control header has no `patientId`, only an optional
//! `originalPatientId`, which npo always writes (see [`AccessControlHeader`]). Every `IIType`
//! requires `extension`. `datePeriod` may lack start or end: an open start reads as `19000101`,
//! an open end as `20991231`.
//!
//! [`AccessControlHeader`]: crate::contracts::access_control_header::AccessControlHeader

use crate::common::{
    ContractError, Cv, DatePeriod, ItemMeta, Query, check_timestamp, is_date, opt, opt_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::contracts::access_control_header::{
    Flavor, Header, Ii, Signature, parse_hsa_id, parse_person, write_hsa_id, write_person,
};
use crate::contracts::laboratory_outcome_v3::swedish_number;
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:actoutcome:GetLaboratoryOrderOutcomeResponder:4";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:actoutcome:4";
/// OID of NPU, the analysis code system.
pub const NPU: &str = "1.2.752.108.1";
/// OID of SNOMED CT SE (organisms, materials, interpretations).
pub const SNOMED_CT: &str = "1.2.752.116.2.1.1";
/// OID of the FHIR value set Diagnostic Report Status (`final`, `partial`, `preliminary`), used
/// for the answer's `type`.
pub const REPORT_STATUS: &str = "2.16.840.1.113883.4.642.3.235";

/// SNOMED CT interpretations and S/I/R values npo knows, with their Swedish display.
pub const INTERPRETATIONS: &[(&str, &str)] = &[
    ("281302008", "Över referensintervallet"),
    ("281300000", "Under referensintervallet"),
    ("263654008", "Avvikande"),
    ("17621005", "Normal"),
    ("131196009", "S"),
    ("11896004", "I"),
    ("30714006", "R"),
];
/// The codes that call for attention: above, below, abnormal, resistant.
const ATTENTION: &[&str] = &["281302008", "281300000", "263654008", "30714006"];

const FLAVOR: Flavor = Flavor::Actoutcome4;
const OPEN_START: &str = "19000101";
const OPEN_END: &str = "20991231";

/// The request: the shared filters plus the Lab 4 ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaboratoryOrderOutcomeRequest {
    /// `careUnitHSAId` → `care_unit_ids`, `patientId`, `datePeriod` → `period` (on the sampling
    /// time), `sourceSystemHSAId` → `source_system_id`. No care contacts.
    pub query: Query,
    /// `careGiverHSAId`: HSA-ids of care givers (accountable care giver).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub care_giver_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specimen_ids: Vec<Ii>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referral_ids: Vec<Ii>,
}

impl From<Query> for LaboratoryOrderOutcomeRequest {
    fn from(query: Query) -> Self {
        LaboratoryOrderOutcomeRequest {
            query,
            care_giver_ids: Vec::new(),
            specimen_ids: Vec::new(),
            referral_ids: Vec::new(),
        }
    }
}

impl LaboratoryOrderOutcomeRequest {
    pub fn for_patient(patient: crate::common::PersonId) -> Self {
        LaboratoryOrderOutcomeRequest {
            query: Query::for_patient(patient),
            care_giver_ids: Vec::new(),
            specimen_ids: Vec::new(),
            referral_ids: Vec::new(),
        }
    }
}

/// One laboratory answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaboratoryOrderOutcome {
    pub header: Header,
    pub body: LaboratoryOrderOutcomeBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaboratoryOrderOutcomeBody {
    /// The answer's id.
    pub identifier: Ii,
    /// The laboratory's work order (LID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub laboratory_identifier: Option<Ii>,
    /// `type`: the answer's status, `final`, `partial` or `preliminary` ([`REPORT_STATUS`]).
    pub report_type: Cv,
    /// Statement or comment on the whole answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub referral: Referral,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<AnalysisGroup>,
    /// The unit that receives the answer.
    pub recipient_unit: OrgUnit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_signature: Option<Signature>,
    /// Whom to ask about the answer (text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_information: Option<String>,
}

/// The referral (remiss) the answer answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// root = the logical address, extension = the referral id (RID).
    pub identifier: Ii,
    pub timestamp: String,
    /// The question asked (frågeställning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    pub requester: Actor,
}

/// `ActorType`: a member of staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_role: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<OrgUnit>,
}

/// `OrgUnitType` of actoutcome 4.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    pub name: String,
}

/// `GroupOfAnalysesType`: analyses the laboratory presents together (at least one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Cv>,
    pub analyses: Vec<Analysis>,
}

/// One analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Ii>,
    /// When the analysis was performed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// NPU code, or the analysis' name in `original_text` when there is none.
    pub code: Cv,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Cv>,
    /// Omitted means completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accredited: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specimens: Vec<Specimen>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<AnalysisResult>,
}

/// `SpecimenType`: a sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Specimen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Ii>,
    /// Material (SNOMED CT), e.g. `122575003` urine specimen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material: Option<Cv>,
    /// When the sample was taken.
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anatomical_location: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `LaboratoryAnalysisResultType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<Cv>,
    pub value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// SNOMED CT interpretations (see [`INTERPRETATIONS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interpretations: Vec<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// Related analyses, e.g. the susceptibility tests of an organism found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Analysis>,
}

/// `AnyValueType`: exactly one of a code, a quantity, an interval or a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Cv(Cv),
    Pq(Pq),
    IntervalPq(PqInterval),
    St(String),
}

/// `PQType`: a decimal (kept as written) and a unit (empty when there is none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pq {
    pub value: String,
    pub unit: String,
}

/// `PQIntervalType`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PqInterval {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_closed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_closed: Option<bool>,
    pub unit: String,
}

/// `ReferenceType`: a reference interval or its description.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<PqInterval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The schema's `DecimalPrimitiveType`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
pub fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let int_ok = int == "0" || (digits(int) && !int.starts_with('0'));
    let frac_ok = frac.is_none_or(digits);
    let exp_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    int_ok && frac_ok && exp_ok
}

fn decimal(el: &Element, name: &'static str) -> Result<Option<String>, ContractError> {
    match opt(el, CORE_NS, name) {
        Some(v) if !is_decimal(&v) => Err(ContractError::Invalid(name, "not a decimal")),
        v => Ok(v),
    }
}

fn child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

fn opt_ii(el: &Element, name: &str) -> Result<Option<Ii>, ContractError> {
    el.child(CORE_NS, name)
        .map(|i| Ii::parse_strict(i, CORE_NS))
        .transpose()
}

fn opt_cv(el: &Element, name: &str) -> Option<Cv> {
    el.child(CORE_NS, name).map(|c| Cv::parse(c, CORE_NS))
}

fn write_opt_ii(w: &mut XmlWriter, tag: &str, ii: Option<&Ii>) {
    if let Some(i) = ii {
        i.write_strict(w, tag);
    }
}

fn write_opt_cv(w: &mut XmlWriter, tag: &str, cv: Option<&Cv>) {
    if let Some(c) = cv {
        c.write(w, tag);
    }
}

impl OrgUnit {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        Ok(OrgUnit {
            id: opt_ii(el, "id")?,
            name: el
                .child_text(CORE_NS, "name")
                .ok_or(ContractError::Missing("name"))?
                .to_owned(),
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag);
        write_opt_ii(w, "core:id", self.id.as_ref());
        w.text("core:name", &self.name).close(tag);
    }
}

impl PqInterval {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        Ok(PqInterval {
            low: decimal(el, "low")?,
            low_closed: opt_bool(el, CORE_NS, "lowClosed")?,
            high: decimal(el, "high")?,
            high_closed: opt_bool(el, CORE_NS, "highClosed")?,
            unit: el
                .child_text(CORE_NS, "unit")
                .ok_or(ContractError::Missing("unit"))?
                .to_owned(),
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .opt_text("core:low", self.low.as_deref())
            .opt_bool("core:lowClosed", self.low_closed)
            .opt_text("core:high", self.high.as_deref())
            .opt_bool("core:highClosed", self.high_closed)
            .text("core:unit", &self.unit)
            .close(tag);
    }

    /// `60–105`, `<5`, `>7`.
    pub fn display(&self) -> String {
        match (&self.low, &self.high) {
            (Some(l), Some(h)) => format!("{}–{}", swedish_number(l), swedish_number(h)),
            (None, Some(h)) => format!("<{}", swedish_number(h)),
            (Some(l), None) => format!(">{}", swedish_number(l)),
            (None, None) => String::new(),
        }
    }
}

impl Value {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        // AnyValueType: exactly one alternative (rule002); the first present one is read.
        if let Some(c) = el.child(CORE_NS, "cv") {
            return Ok(Value::Cv(Cv::parse(c, CORE_NS)));
        }
        if let Some(p) = el.child(CORE_NS, "pq") {
            let value = decimal(p, "value")?.ok_or(ContractError::Missing("value"))?;
            let unit = p
                .child_text(CORE_NS, "unit")
                .ok_or(ContractError::Missing("unit"))?
                .to_owned();
            return Ok(Value::Pq(Pq { value, unit }));
        }
        if let Some(i) = el.child(CORE_NS, "intervalPQ") {
            return Ok(Value::IntervalPq(PqInterval::parse(i)?));
        }
        if let Some(s) = el.child_text(CORE_NS, "st") {
            return Ok(Value::St(s.to_owned()));
        }
        Err(ContractError::Missing("value"))
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:value");
        match self {
            Value::Cv(c) => c.write(w, "core:cv"),
            Value::Pq(p) => {
                w.open("core:pq")
                    .text("core:value", &p.value)
                    .text("core:unit", &p.unit)
                    .close("core:pq");
            }
            Value::IntervalPq(i) => i.write(w, "core:intervalPQ"),
            Value::St(s) => {
                w.text("core:st", s);
            }
        }
        w.close("core:value");
    }

    /// How the value is shown: `7,8 mmol/L`, `Escherichia coli`, `60–105 µmol/L`.
    pub fn display(&self) -> String {
        match self {
            Value::Cv(c) => cv_name(c).to_owned(),
            Value::Pq(p) if p.unit.is_empty() => swedish_number(&p.value),
            Value::Pq(p) => format!("{} {}", swedish_number(&p.value), p.unit),
            Value::IntervalPq(i) => format!("{} {}", i.display(), i.unit),
            Value::St(s) => s.clone(),
        }
    }
}

/// A code's display name, else its original text, else the code.
fn cv_name(c: &Cv) -> &str {
    c.display_name
        .as_deref()
        .or(c.original_text.as_deref())
        .or(c.code.as_deref())
        .unwrap_or("")
}

impl AnalysisResult {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        Ok(AnalysisResult {
            result_type: opt_cv(el, "type"),
            value: Value::parse(child(el, "value")?)?,
            comment: opt(el, CORE_NS, "comment"),
            interpretations: el
                .children_named(CORE_NS, "interpretation")
                .map(|c| Cv::parse(c, CORE_NS))
                .collect(),
            reference: el
                .child(CORE_NS, "reference")
                .map(|r| {
                    Ok::<_, ContractError>(Reference {
                        interval: r
                            .child(CORE_NS, "interval")
                            .map(PqInterval::parse)
                            .transpose()?,
                        description: opt(r, CORE_NS, "description"),
                        population: opt(r, CORE_NS, "population"),
                        comment: opt(r, CORE_NS, "comment"),
                    })
                })
                .transpose()?,
            related: el
                .children_named(CORE_NS, "related")
                .map(Analysis::parse)
                .collect::<Result<_, _>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:result");
        write_opt_cv(w, "core:type", self.result_type.as_ref());
        self.value.write(w);
        w.opt_text("core:comment", self.comment.as_deref());
        for i in &self.interpretations {
            i.write(w, "core:interpretation");
        }
        if let Some(r) = &self.reference {
            w.open("core:reference");
            if let Some(i) = &r.interval {
                i.write(w, "core:interval");
            }
            w.opt_text("core:description", r.description.as_deref())
                .opt_text("core:population", r.population.as_deref())
                .opt_text("core:comment", r.comment.as_deref())
                .close("core:reference");
        }
        for a in &self.related {
            a.write(w, "core:related");
        }
        w.close("core:result");
    }

    /// True if an interpretation or the value (S/I/R) calls for attention, here or in a related
    /// analysis.
    pub fn attention(&self) -> bool {
        let flagged = |c: &Cv| c.code.as_deref().is_some_and(|k| ATTENTION.contains(&k));
        self.interpretations.iter().any(flagged)
            || matches!(&self.value, Value::Cv(c) if flagged(c))
            || self
                .related
                .iter()
                .any(|a| a.results.iter().any(AnalysisResult::attention))
    }

    /// `↑` / `↓` / ` (avvikande)` after a value, from the interpretations.
    fn flag(&self) -> &'static str {
        let has = |code: &str| {
            self.interpretations
                .iter()
                .any(|c| c.code.as_deref() == Some(code))
        };
        if has("281302008") {
            " ↑"
        } else if has("281300000") {
            " ↓"
        } else if has("263654008") {
            " (avvikande)"
        } else {
            ""
        }
    }
}

impl Analysis {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        Ok(Analysis {
            identifier: opt_ii(el, "identifier")?,
            timestamp: opt(el, CORE_NS, "timestamp")
                .map(|t| check_timestamp(t, "timestamp"))
                .transpose()?,
            code: Cv::parse(child(el, "code")?, CORE_NS),
            method: opt_cv(el, "method"),
            status: opt_cv(el, "status"),
            comment: opt(el, CORE_NS, "comment"),
            accredited: opt_bool(el, CORE_NS, "accredited")?,
            specimens: el
                .children_named(CORE_NS, "specimen")
                .map(|s| {
                    Ok(Specimen {
                        identifier: opt_ii(s, "identifier")?,
                        material: opt_cv(s, "material"),
                        timestamp: check_timestamp(
                            req(s, CORE_NS, "timestamp")?.to_owned(),
                            "timestamp",
                        )?,
                        anatomical_location: opt_cv(s, "anatomicalLocation"),
                        comment: opt(s, CORE_NS, "comment"),
                    })
                })
                .collect::<Result<_, ContractError>>()?,
            results: el
                .children_named(CORE_NS, "result")
                .map(AnalysisResult::parse)
                .collect::<Result<_, _>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag);
        write_opt_ii(w, "core:identifier", self.identifier.as_ref());
        w.opt_text("core:timestamp", self.timestamp.as_deref());
        self.code.write(w, "core:code");
        write_opt_cv(w, "core:method", self.method.as_ref());
        write_opt_cv(w, "core:status", self.status.as_ref());
        w.opt_text("core:comment", self.comment.as_deref())
            .opt_bool("core:accredited", self.accredited);
        for s in &self.specimens {
            w.open("core:specimen");
            write_opt_ii(w, "core:identifier", s.identifier.as_ref());
            write_opt_cv(w, "core:material", s.material.as_ref());
            w.text("core:timestamp", &s.timestamp);
            write_opt_cv(w, "core:anatomicalLocation", s.anatomical_location.as_ref());
            w.opt_text("core:comment", s.comment.as_deref())
                .close("core:specimen");
        }
        for r in &self.results {
            r.write(w);
        }
        w.close(tag);
    }

    /// The analysis' name (display name, else original text, else code).
    pub fn name(&self) -> &str {
        match cv_name(&self.code) {
            "" => "Analys",
            n => n,
        }
    }

    /// `P-Kreatinin 85 µmol/L ↑ (ref 60–105)`, `Urinodling: Escherichia coli`.
    pub fn summary(&self) -> String {
        let mut s = self.name().to_owned();
        for (i, r) in self.results.iter().enumerate() {
            s.push_str(match (&r.value, i) {
                (Value::Pq(_) | Value::IntervalPq(_), 0) => " ",
                (_, 0) => ": ",
                _ => "; ",
            });
            s.push_str(&r.value.display());
            s.push_str(r.flag());
            if let Some(i) = r.reference.as_ref().and_then(|x| x.interval.as_ref()) {
                s.push_str(" (ref ");
                s.push_str(&i.display());
                s.push(')');
            } else if let Some(d) = r.reference.as_ref().and_then(|x| x.description.as_ref()) {
                s.push_str(" (ref ");
                s.push_str(d);
                s.push(')');
            }
        }
        s
    }
}

impl LaboratoryOrderOutcomeBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let referral = child(el, "referral")?;
        let requester = child(referral, "requester")?;
        Ok(LaboratoryOrderOutcomeBody {
            identifier: Ii::parse_strict(child(el, "identifier")?, ns)?,
            laboratory_identifier: opt_ii(el, "laboratoryIdentifier")?,
            report_type: Cv::parse(child(el, "type")?, ns),
            text: opt(el, ns, "text"),
            referral: Referral {
                identifier: Ii::parse_strict(child(referral, "identifier")?, ns)?,
                timestamp: check_timestamp(
                    req(referral, ns, "timestamp")?.to_owned(),
                    "timestamp",
                )?,
                question: opt(referral, ns, "question"),
                requester: Actor {
                    id: opt_ii(requester, "id")?,
                    name: requester
                        .child_text(ns, "name")
                        .ok_or(ContractError::Missing("name"))?
                        .to_owned(),
                    by_role: opt_cv(requester, "byRole"),
                    org_unit: requester
                        .child(ns, "orgUnit")
                        .map(OrgUnit::parse)
                        .transpose()?,
                },
            },
            groups: el
                .children_named(ns, "groupOfAnalyses")
                .map(|g| {
                    let analyses = g
                        .children_named(ns, "analysis")
                        .map(Analysis::parse)
                        .collect::<Result<Vec<_>, _>>()?;
                    if analyses.is_empty() {
                        return Err(ContractError::Missing("analysis"));
                    }
                    Ok(AnalysisGroup {
                        name: opt(g, ns, "name"),
                        comment: opt(g, ns, "comment"),
                        code: opt_cv(g, "code"),
                        analyses,
                    })
                })
                .collect::<Result<_, _>>()?,
            recipient_unit: OrgUnit::parse(child(el, "recipientUnit")?)?,
            recipient_signature: el
                .child(ns, "recipientSignature")
                .map(|s| Signature::parse(s, ns, FLAVOR))
                .transpose()?,
            contact_information: el
                .child(ns, "contactInformation")
                .map(|c| req(c, ns, "text").map(str::to_owned))
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:body");
        self.identifier.write_strict(w, "core:identifier");
        write_opt_ii(
            w,
            "core:laboratoryIdentifier",
            self.laboratory_identifier.as_ref(),
        );
        self.report_type.write(w, "core:type");
        w.opt_text("core:text", self.text.as_deref());
        let r = &self.referral;
        w.open("core:referral");
        r.identifier.write_strict(w, "core:identifier");
        w.text("core:timestamp", &r.timestamp)
            .opt_text("core:question", r.question.as_deref());
        w.open("core:requester");
        write_opt_ii(w, "core:id", r.requester.id.as_ref());
        w.text("core:name", &r.requester.name);
        write_opt_cv(w, "core:byRole", r.requester.by_role.as_ref());
        if let Some(o) = &r.requester.org_unit {
            o.write(w, "core:orgUnit");
        }
        w.close("core:requester").close("core:referral");
        for g in &self.groups {
            w.open("core:groupOfAnalyses")
                .opt_text("core:name", g.name.as_deref())
                .opt_text("core:comment", g.comment.as_deref());
            write_opt_cv(w, "core:code", g.code.as_ref());
            for a in &g.analyses {
                a.write(w, "core:analysis");
            }
            w.close("core:groupOfAnalyses");
        }
        self.recipient_unit.write(w, "core:recipientUnit");
        if let Some(s) = &self.recipient_signature {
            s.write(w, "core:recipientSignature", FLAVOR);
        }
        if let Some(c) = &self.contact_information {
            w.open("core:contactInformation")
                .text("core:text", c)
                .close("core:contactInformation");
        }
        w.close("core:body");
    }

    /// Every analysis of every group.
    pub fn analyses(&self) -> impl Iterator<Item = &Analysis> {
        self.groups.iter().flat_map(|g| g.analyses.iter())
    }
}

/// Swedish name of a report status (`type`).
pub fn report_type_name(c: &Cv) -> String {
    match c.code.as_deref() {
        Some("final") => "Slutsvar".into(),
        Some("partial") => "Delsvar".into(),
        Some("preliminary") => "Preliminärt svar".into(),
        _ => cv_name(c).to_owned(),
    }
}

fn parse_period(el: &Element) -> Result<DatePeriod, ContractError> {
    let start = opt(el, CORE_NS, "start").unwrap_or_else(|| OPEN_START.into());
    let end = opt(el, CORE_NS, "end").unwrap_or_else(|| OPEN_END.into());
    if !is_date(&start) {
        return Err(ContractError::Invalid("start", "expected YYYYMMDD"));
    }
    if !is_date(&end) {
        return Err(ContractError::Invalid("end", "expected YYYYMMDD"));
    }
    if start > end {
        return Err(ContractError::Invalid("datePeriod", "start is after end"));
    }
    Ok(DatePeriod { start, end })
}

/// The GetLaboratoryOrderOutcome 4.0 contract.
pub struct GetLaboratoryOrderOutcomeV4;

impl Contract for GetLaboratoryOrderOutcomeV4 {
    const NAME: &'static str = "GetLaboratoryOrderOutcome";
    const VERSION: &'static str = "4.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:actoutcome";
    const CATEGORIZATION: &'static str = "und-kkm-ure";
    const HAS_RESULT: bool = false;

    type Request = LaboratoryOrderOutcomeRequest;
    type Item = LaboratoryOrderOutcome;

    fn parse_request(body: &Element) -> Result<LaboratoryOrderOutcomeRequest, ContractError> {
        if !body.is(NAMESPACE, "GetLaboratoryOrderOutcome") {
            return Err(ContractError::UnexpectedElement(
                "GetLaboratoryOrderOutcome",
            ));
        }
        let ids = |name: &str| -> Result<Vec<String>, ContractError> {
            body.children_named(NAMESPACE, name)
                .map(|e| parse_hsa_id(e, CORE_NS, FLAVOR))
                .collect()
        };
        let iis = |name: &str| -> Result<Vec<Ii>, ContractError> {
            body.children_named(NAMESPACE, name)
                .map(|e| Ii::parse_strict(e, CORE_NS))
                .collect()
        };
        Ok(LaboratoryOrderOutcomeRequest {
            query: Query {
                care_unit_ids: ids("careUnitHSAId")?,
                patient_id: parse_person(
                    body.child(NAMESPACE, "patientId")
                        .ok_or(ContractError::Missing("patientId"))?,
                    CORE_NS,
                    FLAVOR,
                )?,
                period: body
                    .child(NAMESPACE, "datePeriod")
                    .map(parse_period)
                    .transpose()?,
                source_system_id: body
                    .child(NAMESPACE, "sourceSystemHSAId")
                    .map(|e| parse_hsa_id(e, CORE_NS, FLAVOR))
                    .transpose()?,
                care_contact_ids: Vec::new(),
            },
            care_giver_ids: ids("careGiverHSAId")?,
            specimen_ids: iis("specimenIdentifier")?,
            referral_ids: iis("referralIdentifier")?,
        })
    }

    fn write_request(req: &LaboratoryOrderOutcomeRequest) -> String {
        let q = &req.query;
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetLaboratoryOrderOutcome",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for u in &q.care_unit_ids {
            write_hsa_id(&mut w, "tns:careUnitHSAId", u);
        }
        for g in &req.care_giver_ids {
            write_hsa_id(&mut w, "tns:careGiverHSAId", g);
        }
        write_person(&mut w, "tns:patientId", &q.patient_id);
        if let Some(p) = &q.period {
            p.write(&mut w, "tns:datePeriod");
        }
        if let Some(s) = &q.source_system_id {
            write_hsa_id(&mut w, "tns:sourceSystemHSAId", s);
        }
        for s in &req.specimen_ids {
            s.write_strict(&mut w, "tns:specimenIdentifier");
        }
        for r in &req.referral_ids {
            r.write_strict(&mut w, "tns:referralIdentifier");
        }
        w.close("tns:GetLaboratoryOrderOutcome");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<LaboratoryOrderOutcome>, ContractError> {
        if !body.is(NAMESPACE, "GetLaboratoryOrderOutcomeResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetLaboratoryOrderOutcomeResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "laboratoryOrderOutcome")
            .map(|o| {
                Ok(LaboratoryOrderOutcome {
                    header: Header::parse(child(o, "header")?, CORE_NS, FLAVOR)?,
                    body: LaboratoryOrderOutcomeBody::parse(child(o, "body")?)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        Ok(Response::new(items, None))
    }

    fn write_response(resp: &Response<LaboratoryOrderOutcome>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 3072);
        w.open_ns(
            "tns:GetLaboratoryOrderOutcomeResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:laboratoryOrderOutcome");
            item.header.write(&mut w, "core:header", FLAVOR);
            item.body.write(&mut w);
            w.close("tns:laboratoryOrderOutcome");
        }
        // The 4.0 response has no `result` element.
        w.close("tns:GetLaboratoryOrderOutcomeResponse");
        w.finish()
    }

    fn query(req: &LaboratoryOrderOutcomeRequest) -> &Query {
        &req.query
    }

    fn query_mut(req: &mut LaboratoryOrderOutcomeRequest) -> &mut Query {
        &mut req.query
    }

    fn meta(item: &LaboratoryOrderOutcome) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The sampling time: `blockComparisonTime`, which the contract defines as the time the
    /// (latest) sample was taken, the time `datePeriod` filters on.
    fn filter_time(item: &LaboratoryOrderOutcome) -> &str {
        &item.header.access_control.block_comparison_time
    }

    fn view(item: &LaboratoryOrderOutcome) -> ItemView {
        let b = &item.body;
        let analyses: Vec<&Analysis> = b.analyses().collect();
        let title = match analyses.as_slice() {
            [] => "Laboratoriesvar".into(),
            [one] => one.summary(),
            many => {
                let names: Vec<&str> = many.iter().take(4).map(|a| a.name()).collect();
                let more = if many.len() > 4 { ", …" } else { "" };
                match b.groups.as_slice() {
                    [AnalysisGroup { name: Some(n), .. }] => {
                        format!("{n}: {}{more}", names.join(", "))
                    }
                    _ => format!("{}{more}", names.join(", ")),
                }
            }
        };
        let mut fields = vec![("Svarsstatus", report_type_name(&b.report_type))];
        if let Some(q) = &b.referral.question {
            fields.push(("Frågeställning", q.clone()));
        }
        fields.push(("Remittent", b.referral.requester.name.clone()));
        fields.push(("Svarsmottagare", b.recipient_unit.name.clone()));
        if let Some(s) = analyses
            .iter()
            .flat_map(|a| a.specimens.iter())
            .map(|s| &s.timestamp)
            .max()
        {
            fields.push(("Provtagning", crate::common::display_time(s)));
        }
        for a in &analyses {
            fields.push(("Resultat", a.summary()));
            for r in &a.results {
                if let Some(c) = &r.comment {
                    fields.push(("Kommentar", c.clone()));
                }
                let tests: Vec<String> = r
                    .related
                    .iter()
                    .map(|t| {
                        let sir: Vec<String> =
                            t.results.iter().map(|x| x.value.display()).collect();
                        format!("{} {}", t.name(), sir.join("/"))
                    })
                    .collect();
                if !tests.is_empty() {
                    fields.push(("Resistensbestämning", tests.join(", ")));
                }
            }
        }
        if let Some(c) = &b.contact_information {
            fields.push(("Kontakt", c.clone()));
        }
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: b.text.clone(),
            attention: analyses
                .iter()
                .any(|a| a.results.iter().any(AnalysisResult::attention)),
        }
    }
}
