//! GetFunctionalStatus 2.0
//! (`urn:riv:clinicalprocess:healthcond:description:GetFunctionalStatusResponder:2`):
//! functional status assessments — PADL (personal activities of daily living) and disabilities
//! (ICF).
//!
//! The engagement index knows two categorizations: `pad-pad` (PADL assessments) and `fun-fun`
//! (disability assessments). Each item says which in `assessmentCategory`, and the producer's EI
//! record must use the same value; [`categorization`] gives it for an item. The contract's
//! `CATEGORIZATION` is `fun-fun`.
//!
//! The schema requires `result` in a response. [`Response::result`] `None` is written as an `OK`
//! result with an empty `logId`, and such a result reads back as `None` (it says nothing).
//! Elements of the `##other` extension points are ignored when reading.

use crate::common::{
    ContractError, Cv, HeaderSpelling, ItemMeta, PatientSummaryHeader, Query, QuerySpelling,
    ResultCode, ResultType, opt,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:description:GetFunctionalStatusResponder:2";
/// Namespace of the domain's core types.
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:description:2";
/// OID of ICF, the International Classification of Functioning, Disability and Health.
pub const ICF: &str = "1.2.752.116.1.1.3";

/// The EI categorization of PADL assessments.
pub const CATEGORIZATION_PADL: &str = "pad-pad";
/// The EI categorization of disability assessments.
pub const CATEGORIZATION_DISABILITY: &str = "fun-fun";

/// The five personal activities the contract allows for `typeOfAssessment` (at most one of each),
/// as (ICF activity code, name).
pub const PADL_ACTIVITIES: &[(&str, &str)] = &[
    ("d510", "Personlig hygien"),
    ("d540", "På/avklädning"),
    ("d420", "Förflyttning"),
    ("d530", "Toalettbesök"),
    ("d550", "Födointag"),
];

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAId",
    time_period: "datePeriod",
    source_system: "sourceSystemHSAId",
};

/// `AssessmentCategoryEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssessmentCategory {
    /// `pad-pad`: PADL assessment.
    #[serde(rename = "pad-pad")]
    Padl,
    /// `fun-fun`: disability assessment.
    #[serde(rename = "fun-fun")]
    Disability,
}

impl AssessmentCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentCategory::Padl => CATEGORIZATION_PADL,
            AssessmentCategory::Disability => CATEGORIZATION_DISABILITY,
        }
    }

    pub fn parse(s: &str) -> Result<Self, ContractError> {
        match s {
            CATEGORIZATION_PADL => Ok(AssessmentCategory::Padl),
            CATEGORIZATION_DISABILITY => Ok(AssessmentCategory::Disability),
            _ => Err(ContractError::Invalid(
                "assessmentCategory",
                "not pad-pad or fun-fun",
            )),
        }
    }

    /// Swedish name.
    pub fn name(self) -> &'static str {
        match self {
            AssessmentCategory::Padl => "PADL-bedömning",
            AssessmentCategory::Disability => "Funktionsnedsättning",
        }
    }
}

/// One functional status assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionalStatusAssessment {
    pub header: PatientSummaryHeader,
    pub body: AssessmentBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentBody {
    pub category: AssessmentCategory,
    /// A comment on the assessments as a whole (PADL only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// PADL assessments (PADL only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub padl: Vec<Padl>,
    /// The disability assessed (disability assessments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disability: Option<Disability>,
}

/// `PADLType`: one activity and how the patient manages it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Padl {
    pub type_of_assessment: Cv,
    pub assessment: String,
}

/// `DisabilityType`: the reduced function (ICF code) and a comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disability {
    pub assessment: Cv,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The EI categorization an item belongs to: `pad-pad` or `fun-fun`.
pub fn categorization(item: &FunctionalStatusAssessment) -> &'static str {
    item.body.category.as_str()
}

fn req_child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

impl AssessmentBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let category = el
            .child_text(ns, "assessmentCategory")
            .ok_or(ContractError::Missing("assessmentCategory"))?;
        Ok(AssessmentBody {
            category: AssessmentCategory::parse(category)?,
            comment: opt(el, ns, "comment"),
            padl: el
                .children_named(ns, "padl")
                .map(|p| {
                    Ok(Padl {
                        type_of_assessment: Cv::parse(req_child(p, "typeOfAssessment")?, ns),
                        assessment: p
                            .child_text(ns, "assessment")
                            .ok_or(ContractError::Missing("assessment"))?
                            .to_owned(),
                    })
                })
                .collect::<Result<_, ContractError>>()?,
            disability: el
                .child(ns, "disability")
                .map(|d| {
                    Ok::<_, ContractError>(Disability {
                        assessment: Cv::parse(req_child(d, "disabilityAssessment")?, ns),
                        comment: opt(d, ns, "comment"),
                    })
                })
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:functionalStatusAssessmentBody")
            .text("core:assessmentCategory", self.category.as_str())
            .opt_text("core:comment", self.comment.as_deref());
        for p in &self.padl {
            w.open("core:padl");
            p.type_of_assessment.write(w, "core:typeOfAssessment");
            w.text("core:assessment", &p.assessment).close("core:padl");
        }
        if let Some(d) = &self.disability {
            w.open("core:disability");
            d.assessment.write(w, "core:disabilityAssessment");
            w.opt_text("core:comment", d.comment.as_deref())
                .close("core:disability");
        }
        w.close("core:functionalStatusAssessmentBody");
    }
}

/// The static label of a PADL activity, by ICF code or by name; `None` for others.
fn padl_label(cv: &Cv) -> Option<&'static str> {
    let by_code = cv
        .code
        .as_deref()
        .and_then(|c| PADL_ACTIVITIES.iter().find(|(code, _)| *code == c));
    let name = cv.display_name.as_deref().or(cv.original_text.as_deref());
    let by_name = name.and_then(|n| {
        PADL_ACTIVITIES
            .iter()
            .find(|(_, label)| label.to_lowercase() == n.trim().to_lowercase())
    });
    by_code.or(by_name).map(|(_, label)| *label)
}

fn cv_name(cv: &Cv) -> Option<String> {
    cv.display_name
        .clone()
        .or_else(|| cv.original_text.clone())
        .or_else(|| cv.code.clone())
}

/// The GetFunctionalStatus 2.0 contract.
pub struct GetFunctionalStatusV2;

impl Contract for GetFunctionalStatusV2 {
    const NAME: &'static str = "GetFunctionalStatus";
    const VERSION: &'static str = "2.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:description";
    /// Disability assessments; PADL assessments are `pad-pad` (see [`categorization`]).
    const CATEGORIZATION: &'static str = CATEGORIZATION_DISABILITY;

    type Request = Query;
    type Item = FunctionalStatusAssessment;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetFunctionalStatus") {
            return Err(ContractError::UnexpectedElement("GetFunctionalStatus"));
        }
        Query::parse(body, NAMESPACE, CORE_NS, SPELLING)
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetFunctionalStatus",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        req.write_fields(&mut w, SPELLING);
        w.close("tns:GetFunctionalStatus");
        w.finish()
    }

    fn parse_response(
        body: &Element,
    ) -> Result<Response<FunctionalStatusAssessment>, ContractError> {
        if !body.is(NAMESPACE, "GetFunctionalStatusResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetFunctionalStatusResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "functionalStatusAssessment")
            .map(|a| {
                Ok(FunctionalStatusAssessment {
                    header: PatientSummaryHeader::parse(
                        req_child(a, "functionalStatusAssessmentHeader")?,
                        CORE_NS,
                        HeaderSpelling::Standard,
                    )?,
                    body: AssessmentBody::parse(req_child(a, "functionalStatusAssessmentBody")?)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        let result = ResultType::parse(
            body.child(NAMESPACE, "result")
                .ok_or(ContractError::Missing("result"))?,
            CORE_NS,
        )?;
        Ok(Response::new(items, result_or_none(result)))
    }

    fn write_response(resp: &Response<FunctionalStatusAssessment>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 1280);
        w.open_ns(
            "tns:GetFunctionalStatusResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:functionalStatusAssessment");
            item.header.write(
                &mut w,
                "core:functionalStatusAssessmentHeader",
                HeaderSpelling::Standard,
            );
            item.body.write(&mut w);
            w.close("tns:functionalStatusAssessment");
        }
        // `result` is required; a local element of the responder type (tns) with core children.
        match &resp.result {
            Some(r) => r.write(&mut w, "tns:result", "core"),
            None => ResultType::ok("").write(&mut w, "tns:result", "core"),
        }
        w.close("tns:GetFunctionalStatusResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &FunctionalStatusAssessment) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The assessment time (`documentTime`, which the contract's `datePeriod` filters on), else
    /// the author time.
    fn filter_time(item: &FunctionalStatusAssessment) -> &str {
        item.header
            .document_time
            .as_deref()
            .unwrap_or(&item.header.accountable.author_time)
    }

    fn view(item: &FunctionalStatusAssessment) -> ItemView {
        let b = &item.body;
        let mut fields: Vec<(&'static str, String)> = Vec::new();
        let mut text = b.comment.clone();
        let title = match b.category {
            AssessmentCategory::Padl => {
                for p in &b.padl {
                    match padl_label(&p.type_of_assessment) {
                        Some(label) => fields.push((label, p.assessment.clone())),
                        None => fields.push((
                            "Bedömning",
                            match cv_name(&p.type_of_assessment) {
                                Some(n) => format!("{n}: {}", p.assessment),
                                None => p.assessment.clone(),
                            },
                        )),
                    }
                }
                item.header
                    .document_title
                    .clone()
                    .unwrap_or_else(|| "Bedömning av personlig ADL".into())
            }
            AssessmentCategory::Disability => {
                let d = b.disability.as_ref();
                if let Some(c) = d.and_then(|d| d.comment.clone()) {
                    text = Some(match text {
                        Some(t) => format!("{c}\n{t}"),
                        None => c,
                    });
                }
                let function = d.and_then(|d| {
                    let name = cv_name(&d.assessment)?;
                    Some(match d.assessment.code.as_deref() {
                        Some(code) if d.assessment.display_name.is_some() => {
                            format!("{name} ({code})")
                        }
                        _ => name,
                    })
                });
                match function {
                    Some(f) => format!("Nedsatt funktion: {f}"),
                    None => item
                        .header
                        .document_title
                        .clone()
                        .unwrap_or_else(|| "Funktionsnedsättning".into()),
                }
            }
        };
        fields.insert(0, ("Kategori", b.category.name().to_owned()));
        if let Some(name) = &item.header.accountable.name {
            fields.push(("Bedömd av", name.clone()));
        }
        if let Some(unit) = &item.header.accountable.org_unit {
            fields.push(("Enhet", unit.name.clone()));
        }
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text,
            attention: false,
        }
    }
}

/// A required result that says nothing (`OK`, empty `logId`, nothing else) is `None`.
fn result_or_none(r: ResultType) -> Option<ResultType> {
    let empty = r.result_code == ResultCode::Ok
        && r.log_id.is_empty()
        && r.error_code.is_none()
        && r.sub_code.is_none()
        && r.message.is_none();
    (!empty).then_some(r)
}
