//! GetLaboratoryOrderOutcome 3.1
//! (`urn:riv:clinicalprocess:healthcond:actoutcome:GetLaboratoryOrderOutcomeResponder:3`):
//! laboratory results, one item per answered order (a "svar" with its analyses). Categorization
//! `und-kkm-ure`.
//!
//! Modelled: the header, the body (result type, registration time, discipline, report, comment,
//! the accountable laboratory, the order) and every analysis (id, time, NPU code, text, status,
//! comment, specimen, method, related analyses, outcome with value, unit, pathological flag,
//! reference interval and population, and the attestation). Not modelled (ignored when read):
//! elements of other namespaces (`xs:any`).
//!
//! Schema quirks: `result` is required in the response; [`Response::result`] `None` is written
//! as `resultCode OK` with an empty `logId`, which reads back as `None`. `outcomeValue` is a
//! string (npo writes decimals with a point; the view shows a comma).

use crate::common::{
    ContractError, Cv, HeaderSpelling, HealthcareProfessional, ItemMeta, PatientSummaryHeader,
    Query, QuerySpelling, ResultCode, ResultType, check_timestamp, opt, parse_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::contracts::access_control_header::Ii;
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub use crate::common::TimePeriod;
use crate::common::opt_timestamp as opt_ts;

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:actoutcome:GetLaboratoryOrderOutcomeResponder:3";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:actoutcome:3";
/// Namespace of the 3.1 extension element `attested`.
pub const EXT_NS: &str = "urn:riv:clinicalprocess:healthcond:actoutcome:3.1";
/// OID of NPU (Nomenclature for Properties and Units), the analysis code system.
pub const NPU: &str = "1.2.752.108.1";

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAId",
    time_period: "timePeriod",
    source_system: "sourceSystemHSAId",
};

/// One answered laboratory order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaboratoryOrderOutcome {
    pub header: PatientSummaryHeader,
    pub body: LaboratoryOrderOutcomeBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaboratoryOrderOutcomeBody {
    /// `DEF` (slutsvar), `PREL` (preliminärt svar) or `TILL` (tilläggssvar); free text in the
    /// schema.
    pub result_type: String,
    /// When the lab registered the sample, `YYYYMMDDhhmmss`.
    pub registration_time: String,
    /// The laboratory discipline, e.g. `Klinisk kemi`.
    pub discipline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_report: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_comment: Option<String>,
    /// The accountable laboratory (its unit in `org_unit`) and who answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountable: Option<HealthcareProfessional>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analyses: Vec<Analysis>,
    pub order: Order,
}

/// The order (remiss) the answer belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_reason: Option<String>,
}

/// One analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    pub id: Ii,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimePeriod>,
    /// NPU code (code system [`NPU`]) and Swedish name, e.g. `NPU04998` `P-Kreatinin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specimen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Ids of related analyses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AnalysisOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested: Option<Attested>,
}

/// `AnalysisOutcomeType`: the result of one analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisOutcome {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation_time: Option<String>,
    /// Outside the reference interval.
    pub pathological: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// E.g. `60–105` or `<5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_population: Option<String>,
}

/// The 3.1 extension `attested`: who attested the analysis, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attested {
    pub time: String,
    pub hsa_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

impl Analysis {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(Analysis {
            id: Ii::parse(child(el, "analysisId")?, ns)?,
            time: el
                .child(ns, "analysisTime")
                .map(|t| TimePeriod::parse(t, ns))
                .transpose()?,
            code: el.child(ns, "analysisCode").map(|c| Cv::parse(c, ns)),
            text: opt(el, ns, "analysisText"),
            status: opt(el, ns, "analysisStatus"),
            comment: opt(el, ns, "analysisComment"),
            specimen: opt(el, ns, "specimen"),
            method: opt(el, ns, "method"),
            related: el
                .children_named(ns, "relationToAnalysis")
                .map(|r| Ii::parse(child(r, "analysisId")?, ns))
                .collect::<Result<_, _>>()?,
            outcome: el
                .child(ns, "analysisOutcome")
                .map(|o| {
                    Ok::<_, ContractError>(AnalysisOutcome {
                        value: o
                            .child_text(ns, "outcomeValue")
                            .ok_or(ContractError::Missing("outcomeValue"))?
                            .to_owned(),
                        unit: opt(o, ns, "outcomeUnit"),
                        observation_time: opt_ts(o, ns, "observationTime")?,
                        pathological: parse_bool(
                            req(o, ns, "pathologicalFlag")?,
                            "pathologicalFlag",
                        )?,
                        description: opt(o, ns, "outcomeDescription"),
                        reference_interval: opt(o, ns, "referenceInterval"),
                        reference_population: opt(o, ns, "referencePopulation"),
                    })
                })
                .transpose()?,
            attested: el
                .child(EXT_NS, "attested")
                .map(|a| {
                    Ok::<_, ContractError>(Attested {
                        time: check_timestamp(
                            req(a, EXT_NS, "attestedTime")?.to_owned(),
                            "attestedTime",
                        )?,
                        hsa_id: req(a, EXT_NS, "attesterHSAId")?.to_owned(),
                        name: opt(a, EXT_NS, "attesterName"),
                    })
                })
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:analysis");
        self.id.write(w, "core:analysisId");
        if let Some(t) = &self.time {
            t.write(w, "core:analysisTime");
        }
        if let Some(c) = &self.code {
            c.write(w, "core:analysisCode");
        }
        w.opt_text("core:analysisText", self.text.as_deref())
            .opt_text("core:analysisStatus", self.status.as_deref())
            .opt_text("core:analysisComment", self.comment.as_deref())
            .opt_text("core:specimen", self.specimen.as_deref())
            .opt_text("core:method", self.method.as_deref());
        for r in &self.related {
            w.open("core:relationToAnalysis");
            r.write(w, "core:analysisId");
            w.close("core:relationToAnalysis");
        }
        if let Some(o) = &self.outcome {
            w.open("core:analysisOutcome")
                .text("core:outcomeValue", &o.value)
                .opt_text("core:outcomeUnit", o.unit.as_deref())
                .opt_text("core:observationTime", o.observation_time.as_deref())
                .bool("core:pathologicalFlag", o.pathological)
                .opt_text("core:outcomeDescription", o.description.as_deref())
                .opt_text("core:referenceInterval", o.reference_interval.as_deref())
                .opt_text(
                    "core:referencePopulation",
                    o.reference_population.as_deref(),
                )
                .close("core:analysisOutcome");
        }
        if let Some(a) = &self.attested {
            w.open("m1:attested")
                .text("m1:attestedTime", &a.time)
                .text("m1:attesterHSAId", &a.hsa_id)
                .opt_text("m1:attesterName", a.name.as_deref())
                .close("m1:attested");
        }
        w.close("core:analysis");
    }

    /// The analysis' name: the code's display name, else its text, else the code.
    pub fn name(&self) -> &str {
        self.code
            .as_ref()
            .and_then(|c| c.display_name.as_deref().or(c.original_text.as_deref()))
            .or(self.text.as_deref())
            .or_else(|| self.code.as_ref().and_then(|c| c.code.as_deref()))
            .unwrap_or("Analys")
    }

    /// `P-Kreatinin 85 µmol/L (ref 60–105)`, with ` – avvikande` when pathological.
    pub fn summary(&self) -> String {
        let mut s = self.name().to_owned();
        if let Some(o) = &self.outcome {
            s.push(' ');
            s.push_str(&swedish_number(&o.value));
            if let Some(u) = &o.unit {
                s.push(' ');
                s.push_str(u);
            }
            if let Some(r) = &o.reference_interval {
                s.push_str(" (ref ");
                s.push_str(&swedish_number(r));
                s.push(')');
            }
            if o.pathological {
                s.push_str(" – avvikande");
            }
        }
        s
    }
}

/// A decimal point becomes a comma, as Swedish care staff write numbers (`7.8` → `7,8`).
pub fn swedish_number(s: &str) -> String {
    let b = s.as_bytes();
    s.char_indices()
        .map(|(i, c)| {
            let digit_before = i > 0 && b[i - 1].is_ascii_digit();
            let digit_after = b.get(i + 1).is_some_and(u8::is_ascii_digit);
            if c == '.' && digit_before && digit_after {
                ','
            } else {
                c
            }
        })
        .collect()
}

/// Swedish name of a `resultType`.
pub fn result_type_name(code: &str) -> &str {
    match code {
        "DEF" => "Slutsvar",
        "PREL" => "Preliminärt svar",
        "TILL" => "Tilläggssvar",
        other => other,
    }
}

impl LaboratoryOrderOutcomeBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let order = child(el, "order")?;
        Ok(LaboratoryOrderOutcomeBody {
            result_type: req(el, ns, "resultType")?.to_owned(),
            registration_time: check_timestamp(
                req(el, ns, "registrationTime")?.to_owned(),
                "registrationTime",
            )?,
            discipline: req(el, ns, "discipline")?.to_owned(),
            result_report: opt(el, ns, "resultReport"),
            result_comment: opt(el, ns, "resultComment"),
            accountable: el
                .child(ns, "accountableHealthcareProfessional")
                .map(|a| HealthcareProfessional::parse(a, ns))
                .transpose()?,
            analyses: el
                .children_named(ns, "analysis")
                .map(Analysis::parse)
                .collect::<Result<_, _>>()?,
            order: Order {
                order_id: req(order, ns, "orderId")?.to_owned(),
                order_reason: opt(order, ns, "orderReason"),
            },
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:laboratoryOrderOutcomeBody")
            .text("core:resultType", &self.result_type)
            .text("core:registrationTime", &self.registration_time)
            .text("core:discipline", &self.discipline)
            .opt_text("core:resultReport", self.result_report.as_deref())
            .opt_text("core:resultComment", self.result_comment.as_deref());
        if let Some(a) = &self.accountable {
            a.write(w, "core:accountableHealthcareProfessional");
        }
        for a in &self.analyses {
            a.write(w);
        }
        w.open("core:order")
            .text("core:orderId", &self.order.order_id)
            .opt_text("core:orderReason", self.order.order_reason.as_deref())
            .close("core:order")
            .close("core:laboratoryOrderOutcomeBody");
    }
}

/// True for the result written for `None` (required `result`): `OK`, an empty `logId`, nothing
/// else.
fn is_placeholder(r: &ResultType) -> bool {
    r.result_code == ResultCode::Ok
        && r.log_id.is_empty()
        && r.error_code.is_none()
        && r.sub_code.is_none()
        && r.message.is_none()
}

/// The GetLaboratoryOrderOutcome 3.1 contract.
pub struct GetLaboratoryOrderOutcomeV3;

impl Contract for GetLaboratoryOrderOutcomeV3 {
    const NAME: &'static str = "GetLaboratoryOrderOutcome";
    const VERSION: &'static str = "3.1";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:actoutcome";
    const CATEGORIZATION: &'static str = "und-kkm-ure";

    type Request = Query;
    type Item = LaboratoryOrderOutcome;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetLaboratoryOrderOutcome") {
            return Err(ContractError::UnexpectedElement(
                "GetLaboratoryOrderOutcome",
            ));
        }
        Query::parse(body, NAMESPACE, CORE_NS, SPELLING)
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetLaboratoryOrderOutcome",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        req.write_fields(&mut w, SPELLING);
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
                    header: PatientSummaryHeader::parse(
                        child(o, "laboratoryOrderOutcomeHeader")?,
                        CORE_NS,
                        HeaderSpelling::Standard,
                    )?,
                    body: LaboratoryOrderOutcomeBody::parse(child(
                        o,
                        "laboratoryOrderOutcomeBody",
                    )?)?,
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
            Some(result).filter(|r| !is_placeholder(r)),
        ))
    }

    fn write_response(resp: &Response<LaboratoryOrderOutcome>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 2048);
        w.open_ns(
            "tns:GetLaboratoryOrderOutcomeResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS), ("m1", EXT_NS)],
        );
        for item in &resp.items {
            w.open("tns:laboratoryOrderOutcome");
            item.header.write(
                &mut w,
                "core:laboratoryOrderOutcomeHeader",
                HeaderSpelling::Standard,
            );
            item.body.write(&mut w);
            w.close("tns:laboratoryOrderOutcome");
        }
        let placeholder = ResultType::ok("");
        resp.result
            .as_ref()
            .unwrap_or(&placeholder)
            .write(&mut w, "tns:result", "core");
        w.close("tns:GetLaboratoryOrderOutcomeResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &LaboratoryOrderOutcome) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The registration time of the sample at the laboratory.
    fn filter_time(item: &LaboratoryOrderOutcome) -> &str {
        &item.body.registration_time
    }

    fn view(item: &LaboratoryOrderOutcome) -> ItemView {
        let b = &item.body;
        let title = match b.analyses.as_slice() {
            [] => b.discipline.clone(),
            [one] => one.summary(),
            many => {
                let names: Vec<&str> = many.iter().take(4).map(Analysis::name).collect();
                let more = if many.len() > 4 { ", …" } else { "" };
                format!("{}: {}{more}", b.discipline, names.join(", "))
            }
        };
        let mut fields = vec![
            ("Svarstyp", result_type_name(&b.result_type).to_owned()),
            ("Disciplin", b.discipline.clone()),
        ];
        if let Some(lab) = b
            .accountable
            .as_ref()
            .and_then(|a| a.org_unit.as_ref())
            .map(|o| o.name.clone())
        {
            fields.push(("Laboratorium", lab));
        }
        if let Some(r) = &b.order.order_reason {
            fields.push(("Frågeställning", r.clone()));
        }
        if let Some(u) = item
            .header
            .accountable
            .org_unit
            .as_ref()
            .map(|o| o.name.clone())
        {
            fields.push(("Beställare", u));
        }
        for a in &b.analyses {
            fields.push(("Resultat", a.summary()));
        }
        let text = match (&b.result_report, &b.result_comment) {
            (Some(r), Some(c)) => Some(format!("{r}\n\n{c}")),
            (r, c) => r.clone().or_else(|| c.clone()),
        };
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text,
            attention: b
                .analyses
                .iter()
                .any(|a| a.outcome.as_ref().is_some_and(|o| o.pathological)),
        }
    }
}
