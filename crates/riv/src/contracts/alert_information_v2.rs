//! GetAlertInformation 2.0
//! (`urn:riv:clinicalprocess:healthcond:description:GetAlertInformationResponder:2`):
//! alert information (uppmärksamhetsinformation) — hypersensitivity, serious disease, treatment,
//! communicable disease, restriction of care and unstructured (historical) alerts.
//! Categorization `upp`.
//!
//! Every element of `AlertInformationBodyType` is modelled. Elements of the `##other` extension
//! points are ignored when reading. The schema makes each of the six kinds optional; the contract
//! description says exactly one is present, and `AlertInformationBody::kind` reports the first.
//!
//! The contract's period filter is an overlap: the interval from `validityTimePeriod/start` to
//! `obsoleteTime` (or `validityTimePeriod/end`, or open) must overlap the requested dates. The
//! `Contract` trait filters on one time, so [`GetAlertInformationV2::filter_time`] is the start of
//! validity; [`overlaps`] implements the contract's exact rule for callers that want it.

use crate::common::{
    ContractError, Cv, DatePeriod, HeaderSpelling, ItemMeta, PatientSummaryHeader, Query,
    QuerySpelling, ResultType, display_time, is_date, opt,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub use crate::common::TimePeriod;
use crate::common::opt_timestamp;

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:description:GetAlertInformationResponder:2";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:description:2";

/// OID of KV Informationstyp, used for `typeOfAlertInformation` (KV Uppmärksamhetstyp has no OID).
pub const KV_INFORMATIONSTYP: &str = "1.2.752.129.2.2.2.1";
/// OID of KV Allvarlighetsgrad (`degreeOfSeverity`).
pub const KV_ALLVARLIGHETSGRAD: &str = "1.2.752.129.2.2.3.3";
/// OID of KV Visshetsgrad (`degreeOfCertainty`).
pub const KV_VISSHETSGRAD: &str = "1.2.752.129.2.2.3.11";
/// OID of the ATC classification (`atcSubstance`, `pharmaceuticalTreatment`).
pub const ATC: &str = "1.2.752.129.2.2.3.1.1";
/// OID of ICD-10-SE (`disease`, `communicableDiseaseCode`).
pub const ICD10_SE: &str = "1.2.752.116.1.1.1.1.3";
/// OID of KVÅ, Klassifikation av vårdåtgärder (`treatmentCode`).
pub const KVA: &str = "1.2.752.116.1.3.2.1.4";
/// OID of NPL-id (`pharmaceuticalProductId`).
pub const NPL_ID: &str = "1.2.752.129.2.1.5.1";
/// OID of KV Samband (`typeOfAlertInformationRelationship`).
pub const KV_SAMBAND: &str = "1.2.752.129.2.2.2.4";

/// `typeOfAlertInformation` codes of KV Informationstyp that NPÖ accepts, with their names.
pub const ALERT_TYPES: &[(&str, &str)] = &[
    ("upp-okh", "Överkänslighet"),
    ("upp-uas", "Allvarlig sjukdom"),
    ("upp-ube", "Allvarlig behandling"),
    ("upp-arb", "Smittsam sjukdom"),
    ("upp-vbe", "Vårdbegränsning"),
    ("upp-est", "Historisk varningsinformation"),
];

/// KV Allvarlighetsgrad: code and name.
pub const SEVERITIES: &[(&str, &str)] =
    &[("1", "Livshotande"), ("2", "Skadlig"), ("3", "Besvärande")];

/// KV Visshetsgrad: code and name.
pub const CERTAINTIES: &[(&str, &str)] = &[("1", "Misstänkt"), ("2", "Konstaterad")];

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAId",
    time_period: "timePeriod",
    source_system: "sourceSystemHSAId",
};

/// One alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertInformation {
    pub header: PatientSummaryHeader,
    pub body: AlertInformationBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertInformationBody {
    /// KV Informationstyp (`upp-okh`, …) or KV Uppmärksamhetstyp.
    pub type_of_alert: Cv,
    /// `ascertainedDate`, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ascertained_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_time: Option<String>,
    pub validity: TimePeriod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When the alert was declared no longer current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obsolete_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obsolete_comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hypersensitivity: Option<Hypersensitivity>,
    /// `seriousDisease/disease`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serious_disease: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment: Option<Treatment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communicable_disease: Option<CommunicableDisease>,
    /// `restrictionOfCare/restrictionOfCareComment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction_of_care: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unstructured: Option<UnstructuredAlert>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedAlert>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hypersensitivity {
    /// e.g. Läkemedelsöverkänslighet, överkänslighet mot födoämne.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_of_hypersensitivity: Option<Cv>,
    /// KV Allvarlighetsgrad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Cv>,
    /// KV Visshetsgrad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certainty: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pharmaceutical: Option<PharmaceuticalHypersensitivity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<OtherHypersensitivity>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PharmaceuticalHypersensitivity {
    /// ATC code (at least three levels) and substance name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atc_substance: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_atc_substance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_atc_substance_comment: Option<String>,
    /// NPL-ids of the products.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<Cv>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherHypersensitivity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_code: Option<Cv>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Treatment {
    pub description: String,
    /// KVÅ code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Cv>,
    /// ATC code of the drug (one: the schema allows at most one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pharmaceutical: Option<Cv>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunicableDisease {
    /// ICD-10-SE code.
    pub code: Cv,
    /// KV Smittväg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_of_transmission: Option<Cv>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnstructuredAlert {
    pub heading: String,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedAlert {
    /// KV Samband.
    pub relationship: Cv,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// documentIds of the related alerts (at least one).
    pub document_ids: Vec<String>,
}

/// Which of the six kinds an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    Hypersensitivity,
    SeriousDisease,
    Treatment,
    CommunicableDisease,
    RestrictionOfCare,
    Unstructured,
    /// None of the six is present.
    Unspecified,
}

impl AlertKind {
    /// Swedish name, as KV Uppmärksamhetstyp says it.
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::Hypersensitivity => "Överkänslighet",
            AlertKind::SeriousDisease => "Allvarlig sjukdom",
            AlertKind::Treatment => "Allvarlig behandling",
            AlertKind::CommunicableDisease => "Smittsam sjukdom",
            AlertKind::RestrictionOfCare => "Vårdbegränsning",
            AlertKind::Unstructured => "Historisk varningsinformation",
            AlertKind::Unspecified => "Uppmärksamhetsinformation",
        }
    }
}

fn req_child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

fn opt_cv(el: &Element, name: &str) -> Option<Cv> {
    el.child(CORE_NS, name).map(|c| Cv::parse(c, CORE_NS))
}

fn write_opt_cv(w: &mut XmlWriter, cv: Option<&Cv>, tag: &str) {
    if let Some(c) = cv {
        c.write(w, tag);
    }
}

impl AlertInformationBody {
    /// The kind of alert: the first of the six optional parts present.
    pub fn kind(&self) -> AlertKind {
        if self.hypersensitivity.is_some() {
            AlertKind::Hypersensitivity
        } else if self.serious_disease.is_some() {
            AlertKind::SeriousDisease
        } else if self.treatment.is_some() {
            AlertKind::Treatment
        } else if self.communicable_disease.is_some() {
            AlertKind::CommunicableDisease
        } else if self.restriction_of_care.is_some() {
            AlertKind::RestrictionOfCare
        } else if self.unstructured.is_some() {
            AlertKind::Unstructured
        } else {
            AlertKind::Unspecified
        }
    }

    /// True if the alert is current at `now` (`YYYYMMDDhhmmss`): validity has started and not
    /// ended, and it has not been made obsolete.
    pub fn is_valid_at(&self, now: &str) -> bool {
        self.validity.start.as_deref().is_none_or(|s| s <= now)
            && self.validity.end.as_deref().is_none_or(|e| now <= e)
            && self.obsolete_time.as_deref().is_none_or(|o| now < o)
    }

    /// True if the alert has been made obsolete at or before `now`.
    pub fn is_obsolete_at(&self, now: &str) -> bool {
        self.obsolete_time.as_deref().is_some_and(|o| o <= now)
    }

    /// True for a life-threatening hypersensitivity (KV Allvarlighetsgrad `1`, "Livshotande"):
    /// it stays worth calling out after its validity period, since the allergy does not end.
    pub fn is_severe(&self) -> bool {
        self.hypersensitivity
            .as_ref()
            .and_then(|h| h.severity.as_ref())
            .is_some_and(|s| {
                s.code.as_deref() == Some("1")
                    || s.display_name
                        .as_deref()
                        .or(s.original_text.as_deref())
                        .is_some_and(|d| d.eq_ignore_ascii_case("livshotande"))
            })
    }

    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let ascertained_date = opt(el, ns, "ascertainedDate");
        if ascertained_date.as_deref().is_some_and(|d| !is_date(d)) {
            return Err(ContractError::Invalid(
                "ascertainedDate",
                "expected YYYYMMDD",
            ));
        }
        Ok(AlertInformationBody {
            type_of_alert: Cv::parse(req_child(el, "typeOfAlertInformation")?, ns),
            ascertained_date,
            verified_time: opt_timestamp(el, ns, "verifiedTime")?,
            validity: TimePeriod::parse(req_child(el, "validityTimePeriod")?, ns)?,
            comment: opt(el, ns, "alertInformationComment"),
            obsolete_time: opt_timestamp(el, ns, "obsoleteTime")?,
            obsolete_comment: opt(el, ns, "obsoleteComment"),
            hypersensitivity: el
                .child(ns, "hypersensitivity")
                .map(Hypersensitivity::parse),
            serious_disease: el
                .child(ns, "seriousDisease")
                .map(|s| req_child(s, "disease").map(|d| Cv::parse(d, ns)))
                .transpose()?,
            treatment: el
                .child(ns, "treatment")
                .map(|t| {
                    Ok::<_, ContractError>(Treatment {
                        description: t
                            .child_text(ns, "treatmentDescription")
                            .ok_or(ContractError::Missing("treatmentDescription"))?
                            .to_owned(),
                        code: opt_cv(t, "treatmentCode"),
                        pharmaceutical: opt_cv(t, "pharmaceuticalTreatment"),
                    })
                })
                .transpose()?,
            communicable_disease: el
                .child(ns, "communicableDisease")
                .map(|c| {
                    Ok::<_, ContractError>(CommunicableDisease {
                        code: Cv::parse(req_child(c, "communicableDiseaseCode")?, ns),
                        route_of_transmission: opt_cv(c, "routeOfTransmission"),
                    })
                })
                .transpose()?,
            restriction_of_care: el
                .child(ns, "restrictionOfCare")
                .map(|r| {
                    r.child_text(ns, "restrictionOfCareComment")
                        .map(str::to_owned)
                        .ok_or(ContractError::Missing("restrictionOfCareComment"))
                })
                .transpose()?,
            unstructured: el
                .child(ns, "unstructuredAlertInformation")
                .map(|u| {
                    Ok::<_, ContractError>(UnstructuredAlert {
                        heading: u
                            .child_text(ns, "unstructuredAlertInformationHeading")
                            .ok_or(ContractError::Missing(
                                "unstructuredAlertInformationHeading",
                            ))?
                            .to_owned(),
                        content: u
                            .child_text(ns, "unstructuredAlertInformationContent")
                            .ok_or(ContractError::Missing(
                                "unstructuredAlertInformationContent",
                            ))?
                            .to_owned(),
                    })
                })
                .transpose()?,
            related: el
                .children_named(ns, "relatedAlertInformation")
                .map(|r| {
                    let document_ids: Vec<String> = r
                        .children_named(ns, "documentId")
                        .map(|d| d.text().to_owned())
                        .collect();
                    if document_ids.is_empty() {
                        return Err(ContractError::Missing("documentId"));
                    }
                    Ok(RelatedAlert {
                        relationship: Cv::parse(
                            req_child(r, "typeOfAlertInformationRelationship")?,
                            ns,
                        ),
                        comment: opt(r, ns, "relationComment"),
                        document_ids,
                    })
                })
                .collect::<Result<_, _>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:alertInformationBody");
        self.type_of_alert.write(w, "core:typeOfAlertInformation");
        w.opt_text("core:ascertainedDate", self.ascertained_date.as_deref())
            .opt_text("core:verifiedTime", self.verified_time.as_deref());
        self.validity.write(w, "core:validityTimePeriod");
        w.opt_text("core:alertInformationComment", self.comment.as_deref())
            .opt_text("core:obsoleteTime", self.obsolete_time.as_deref())
            .opt_text("core:obsoleteComment", self.obsolete_comment.as_deref());
        if let Some(h) = &self.hypersensitivity {
            h.write(w);
        }
        if let Some(d) = &self.serious_disease {
            w.open("core:seriousDisease");
            d.write(w, "core:disease");
            w.close("core:seriousDisease");
        }
        if let Some(t) = &self.treatment {
            w.open("core:treatment")
                .text("core:treatmentDescription", &t.description);
            write_opt_cv(w, t.code.as_ref(), "core:treatmentCode");
            write_opt_cv(w, t.pharmaceutical.as_ref(), "core:pharmaceuticalTreatment");
            w.close("core:treatment");
        }
        if let Some(c) = &self.communicable_disease {
            w.open("core:communicableDisease");
            c.code.write(w, "core:communicableDiseaseCode");
            write_opt_cv(
                w,
                c.route_of_transmission.as_ref(),
                "core:routeOfTransmission",
            );
            w.close("core:communicableDisease");
        }
        if let Some(r) = &self.restriction_of_care {
            w.open("core:restrictionOfCare")
                .text("core:restrictionOfCareComment", r)
                .close("core:restrictionOfCare");
        }
        if let Some(u) = &self.unstructured {
            w.open("core:unstructuredAlertInformation")
                .text("core:unstructuredAlertInformationHeading", &u.heading)
                .text("core:unstructuredAlertInformationContent", &u.content)
                .close("core:unstructuredAlertInformation");
        }
        for r in &self.related {
            w.open("core:relatedAlertInformation");
            r.relationship
                .write(w, "core:typeOfAlertInformationRelationship");
            w.opt_text("core:relationComment", r.comment.as_deref());
            for d in &r.document_ids {
                w.text("core:documentId", d);
            }
            w.close("core:relatedAlertInformation");
        }
        w.close("core:alertInformationBody");
    }
}

impl Hypersensitivity {
    fn parse(el: &Element) -> Self {
        let ns = CORE_NS;
        Hypersensitivity {
            type_of_hypersensitivity: opt_cv(el, "typeOfHypersensitivity"),
            severity: opt_cv(el, "degreeOfSeverity"),
            certainty: opt_cv(el, "degreeOfCertainty"),
            pharmaceutical: el.child(ns, "pharmaceuticalHypersensitivity").map(|p| {
                PharmaceuticalHypersensitivity {
                    atc_substance: opt_cv(p, "atcSubstance"),
                    non_atc_substance: opt(p, ns, "nonATCSubstance"),
                    non_atc_substance_comment: opt(p, ns, "nonATCSubstanceComment"),
                    product_ids: p
                        .children_named(ns, "pharmaceuticalProductId")
                        .map(|c| Cv::parse(c, ns))
                        .collect(),
                }
            }),
            other: el
                .child(ns, "otherHypersensitivity")
                .map(|o| OtherHypersensitivity {
                    agent: opt(o, ns, "hypersensitivityAgent"),
                    agent_code: opt_cv(o, "hypersensitivityAgentCode"),
                }),
        }
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:hypersensitivity");
        write_opt_cv(
            w,
            self.type_of_hypersensitivity.as_ref(),
            "core:typeOfHypersensitivity",
        );
        write_opt_cv(w, self.severity.as_ref(), "core:degreeOfSeverity");
        write_opt_cv(w, self.certainty.as_ref(), "core:degreeOfCertainty");
        if let Some(p) = &self.pharmaceutical {
            w.open("core:pharmaceuticalHypersensitivity");
            write_opt_cv(w, p.atc_substance.as_ref(), "core:atcSubstance");
            w.opt_text("core:nonATCSubstance", p.non_atc_substance.as_deref())
                .opt_text(
                    "core:nonATCSubstanceComment",
                    p.non_atc_substance_comment.as_deref(),
                );
            for id in &p.product_ids {
                id.write(w, "core:pharmaceuticalProductId");
            }
            w.close("core:pharmaceuticalHypersensitivity");
        }
        if let Some(o) = &self.other {
            w.open("core:otherHypersensitivity")
                .opt_text("core:hypersensitivityAgent", o.agent.as_deref());
            write_opt_cv(w, o.agent_code.as_ref(), "core:hypersensitivityAgentCode");
            w.close("core:otherHypersensitivity");
        }
        w.close("core:hypersensitivity");
    }

    /// What the patient is hypersensitive to, in words.
    pub fn agent(&self) -> Option<String> {
        let p = self.pharmaceutical.as_ref();
        let o = self.other.as_ref();
        p.and_then(|p| p.atc_substance.as_ref())
            .and_then(cv_name)
            .or_else(|| p.and_then(|p| p.non_atc_substance.clone()))
            .or_else(|| o.and_then(|o| o.agent.clone()))
            .or_else(|| o.and_then(|o| o.agent_code.as_ref()).and_then(cv_name))
    }
}

/// The words of a coded value: display name, else original text, else the bare code.
fn cv_name(cv: &Cv) -> Option<String> {
    cv.display_name
        .clone()
        .or_else(|| cv.original_text.clone())
        .or_else(|| cv.code.clone())
}

/// `Name (code)`, or just the name.
fn cv_with_code(cv: &Cv) -> Option<String> {
    let name = cv.display_name.clone().or_else(|| cv.original_text.clone());
    match (name, cv.code.as_deref()) {
        (Some(n), Some(c)) => Some(format!("{n} ({c})")),
        (Some(n), None) => Some(n),
        (None, Some(c)) => Some(c.to_owned()),
        (None, None) => None,
    }
}

/// The first sentence of the first line, without its full stop: a title.
fn headline(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default().trim();
    let first = line.find(". ").map_or(line, |i| &line[..i]);
    first.trim_end_matches('.').to_owned()
}

/// `full` (and `comment`) as the view's text when `full` says more than its headline.
fn longer_than_headline(full: &str, comment: Option<&str>) -> Option<String> {
    let full = (headline(full) != full.trim().trim_end_matches('.')).then_some(full);
    match (full, comment) {
        (Some(f), Some(c)) => Some(format!("{f}\n{c}")),
        (f, c) => f.or(c).map(str::to_owned),
    }
}

/// The contract's period rule: the interval from the start of validity to `obsoleteTime` (else the
/// end of validity, else open) overlaps `period`, compared as dates. An alert without a start of
/// validity counts from its author time.
pub fn overlaps(item: &AlertInformation, period: &DatePeriod) -> bool {
    let b = &item.body;
    let start = b
        .validity
        .start
        .as_deref()
        .unwrap_or(&item.header.accountable.author_time);
    let start = start.get(..8).unwrap_or(start);
    let end = b.obsolete_time.as_deref().or(b.validity.end.as_deref());
    let end_ok = end.is_none_or(|e| e.get(..8).unwrap_or(e) >= period.start.as_str());
    start <= period.end.as_str() && end_ok
}

/// The Swedish view of an alert as of `now` (`YYYYMMDDhhmmss`): `attention` is set for alerts
/// that are not nullified or obsolete and are either current or severe
/// ([`AlertInformationBody::is_severe`]).
pub fn view_at(item: &AlertInformation, now: &str) -> ItemView {
    let b = &item.body;
    let kind = b.kind();
    let type_name = match kind {
        AlertKind::Unspecified => cv_name(&b.type_of_alert).unwrap_or_else(|| kind.name().into()),
        _ => kind.name().to_owned(),
    };
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    let mut text = b.comment.clone();
    let subject = match kind {
        AlertKind::Hypersensitivity => {
            let h = b.hypersensitivity.as_ref();
            if let Some(t) = h
                .and_then(|h| h.type_of_hypersensitivity.as_ref())
                .and_then(cv_name)
            {
                fields.push(("Typ av överkänslighet", t));
            }
            if let Some(s) = h.and_then(|h| h.severity.as_ref()).and_then(cv_name) {
                fields.push(("Allvarlighetsgrad", s));
            }
            if let Some(c) = h.and_then(|h| h.certainty.as_ref()).and_then(cv_name) {
                fields.push(("Visshetsgrad", c));
            }
            if let Some(p) = h.and_then(|h| h.pharmaceutical.as_ref()) {
                if let Some(atc) = p.atc_substance.as_ref().and_then(|c| c.code.clone()) {
                    fields.push(("ATC-kod", atc));
                }
                if let Some(c) = &p.non_atc_substance_comment {
                    fields.push(("Kommentar till substans", c.clone()));
                }
                let products: Vec<String> = p.product_ids.iter().filter_map(cv_name).collect();
                if !products.is_empty() {
                    fields.push(("Läkemedelsprodukt", products.join(", ")));
                }
            }
            h.and_then(Hypersensitivity::agent)
        }
        AlertKind::SeriousDisease => b.serious_disease.as_ref().and_then(cv_with_code),
        AlertKind::Treatment => {
            let t = b.treatment.as_ref();
            if let Some(c) = t.and_then(|t| t.code.as_ref()).and_then(cv_with_code) {
                fields.push(("Åtgärdskod", c));
            }
            if let Some(p) = t
                .and_then(|t| t.pharmaceutical.as_ref())
                .and_then(cv_with_code)
            {
                fields.push(("Läkemedel", p));
            }
            if let Some(t) = t {
                text = longer_than_headline(&t.description, b.comment.as_deref());
            }
            t.map(|t| headline(&t.description))
        }
        AlertKind::CommunicableDisease => {
            let c = b.communicable_disease.as_ref();
            if let Some(r) = c
                .and_then(|c| c.route_of_transmission.as_ref())
                .and_then(cv_name)
            {
                fields.push(("Smittväg", r));
            }
            c.and_then(|c| cv_with_code(&c.code))
        }
        AlertKind::RestrictionOfCare => {
            let r = b.restriction_of_care.as_deref();
            if let Some(r) = r {
                text = longer_than_headline(r, b.comment.as_deref());
            }
            r.map(headline)
        }
        AlertKind::Unstructured => {
            let u = b.unstructured.as_ref();
            text = match (u.map(|u| u.content.clone()), b.comment.clone()) {
                (Some(u), Some(c)) => Some(format!("{u}\n{c}")),
                (u, c) => u.or(c),
            };
            u.map(|u| u.heading.clone())
        }
        AlertKind::Unspecified => None,
    };
    let title = match subject {
        Some(s) if !s.is_empty() && s != type_name => format!("{type_name}: {s}"),
        _ => type_name.clone(),
    };
    fields.insert(0, ("Typ", type_name));
    if let Some(s) = &b.validity.start {
        fields.push(("Giltig från", display_time(s)));
    }
    if let Some(e) = &b.validity.end {
        fields.push(("Giltig till", display_time(e)));
    }
    if let Some(d) = &b.ascertained_date {
        fields.push(("Konstaterad", display_time(d)));
    }
    if let Some(v) = &b.verified_time {
        fields.push(("Verifierad", display_time(v)));
    }
    if let Some(o) = &b.obsolete_time {
        fields.push(("Inaktuell sedan", display_time(o)));
    }
    if let Some(c) = &b.obsolete_comment {
        fields.push(("Orsak till inaktualisering", c.clone()));
    }
    if let Some(name) = &item.header.accountable.name {
        fields.push(("Registrerad av", name.clone()));
    }
    let nullified = item.header.nullified == Some(true);
    let attention = !nullified && !b.is_obsolete_at(now) && (b.is_valid_at(now) || b.is_severe());
    ItemView {
        title,
        time: GetAlertInformationV2::filter_time(item).to_owned(),
        fields,
        text,
        attention,
    }
}

/// The GetAlertInformation 2.0 contract.
pub struct GetAlertInformationV2;

impl Contract for GetAlertInformationV2 {
    const NAME: &'static str = "GetAlertInformation";
    const VERSION: &'static str = "2.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:description";
    const CATEGORIZATION: &'static str = "upp";

    type Request = Query;
    type Item = AlertInformation;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetAlertInformation") {
            return Err(ContractError::UnexpectedElement("GetAlertInformation"));
        }
        Query::parse(body, NAMESPACE, CORE_NS, SPELLING)
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetAlertInformation",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        req.write_fields(&mut w, SPELLING);
        w.close("tns:GetAlertInformation");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<AlertInformation>, ContractError> {
        if !body.is(NAMESPACE, "GetAlertInformationResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetAlertInformationResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "alertInformation")
            .map(|a| {
                Ok(AlertInformation {
                    header: PatientSummaryHeader::parse(
                        req_child(a, "alertInformationHeader")?,
                        CORE_NS,
                        HeaderSpelling::Standard,
                    )?,
                    body: AlertInformationBody::parse(req_child(a, "alertInformationBody")?)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        let result = body
            .child(NAMESPACE, "result")
            .map(|r| ResultType::parse(r, CORE_NS))
            .transpose()?;
        Ok(Response::new(items, result))
    }

    fn write_response(resp: &Response<AlertInformation>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 1536);
        w.open_ns(
            "tns:GetAlertInformationResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:alertInformation");
            item.header.write(
                &mut w,
                "core:alertInformationHeader",
                HeaderSpelling::Standard,
            );
            item.body.write(&mut w);
            w.close("tns:alertInformation");
        }
        if let Some(r) = &resp.result {
            // `result` is a local element of the responder type (tns), its children are core.
            r.write(&mut w, "tns:result", "core");
        }
        w.close("tns:GetAlertInformationResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &AlertInformation) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The start of validity, else the author time (see the module documentation for the
    /// contract's overlap rule, [`overlaps`]).
    const PERIOD_ON_FILTER_TIME: bool = false;

    /// Alerts match a period they overlap (validity start to obsolete time or validity end).
    fn matches(req: &Query, item: &AlertInformation) -> bool {
        req.matches_all_but_period(&item.header.meta())
            && req.period.as_ref().is_none_or(|p| overlaps(item, p))
    }

    fn filter_time(item: &AlertInformation) -> &str {
        item.body
            .validity
            .start
            .as_deref()
            .unwrap_or(&item.header.accountable.author_time)
    }

    /// The view as of now (Swedish local time); see [`view_at`].
    fn view(item: &AlertInformation) -> ItemView {
        view_at(item, &crate::time::now_timestamp())
    }
}
