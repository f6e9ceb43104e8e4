//! GetDiagnosis 2.0 (`urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2`):
//! ICD-10-SE diagnoses. Categorization `dia`.

use crate::common::{
    ContractError, Cv, HeaderSpelling, ItemMeta, PatientSummaryHeader, Query, QuerySpelling,
    ResultType, check_timestamp, opt, opt_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2";
pub const CORE_NS: &str = "urn:riv:clinicalprocess:healthcond:description:2";
/// OID of ICD-10-SE.
pub const ICD10_SE: &str = "1.2.752.116.1.1.1.1.3";

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAId",
    time_period: "timePeriod",
    source_system: "sourceSystemHSAId",
};

/// One diagnosis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub header: PatientSummaryHeader,
    pub body: DiagnosisBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosisBody {
    /// `Huvuddiagnos` or `Bidiagnos`.
    pub type_of_diagnosis: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chronic: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Cv>,
    /// documentIds of related diagnoses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
}

impl DiagnosisBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let type_of_diagnosis = req(el, ns, "typeOfDiagnosis")?.to_owned();
        if !matches!(type_of_diagnosis.as_str(), "Huvuddiagnos" | "Bidiagnos") {
            return Err(ContractError::Invalid(
                "typeOfDiagnosis",
                "not Huvuddiagnos or Bidiagnos",
            ));
        }
        Ok(DiagnosisBody {
            type_of_diagnosis,
            chronic: opt_bool(el, ns, "chronicDiagnosis")?,
            diagnosis_time: opt(el, ns, "diagnosisTime")
                .map(|t| check_timestamp(t, "diagnosisTime"))
                .transpose()?,
            code: el.child(ns, "diagnosisCode").map(|c| Cv::parse(c, ns)),
            related: el
                .children_named(ns, "relatedDiagnosis")
                .map(|r| req(r, ns, "documentId").map(str::to_owned))
                .collect::<Result<_, _>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:diagnosisBody")
            .text("core:typeOfDiagnosis", &self.type_of_diagnosis)
            .opt_bool("core:chronicDiagnosis", self.chronic)
            .opt_text("core:diagnosisTime", self.diagnosis_time.as_deref());
        if let Some(c) = &self.code {
            c.write(w, "core:diagnosisCode");
        }
        for r in &self.related {
            w.open("core:relatedDiagnosis")
                .text("core:documentId", r)
                .close("core:relatedDiagnosis");
        }
        w.close("core:diagnosisBody");
    }
}

/// The GetDiagnosis 2.0 contract.
pub struct GetDiagnosisV2;

impl Contract for GetDiagnosisV2 {
    const NAME: &'static str = "GetDiagnosis";
    const VERSION: &'static str = "2.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:description";
    const CATEGORIZATION: &'static str = "dia";

    type Request = Query;
    type Item = Diagnosis;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetDiagnosis") {
            return Err(ContractError::UnexpectedElement("GetDiagnosis"));
        }
        Query::parse(body, NAMESPACE, CORE_NS, SPELLING)
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns("tns:GetDiagnosis", &[("tns", NAMESPACE), ("core", CORE_NS)]);
        req.write_fields(&mut w, SPELLING);
        w.close("tns:GetDiagnosis");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<Diagnosis>, ContractError> {
        if !body.is(NAMESPACE, "GetDiagnosisResponse") {
            return Err(ContractError::UnexpectedElement("GetDiagnosisResponse"));
        }
        let items = body
            .children_named(NAMESPACE, "diagnosis")
            .map(|d| {
                Ok(Diagnosis {
                    header: PatientSummaryHeader::parse(
                        d.child(CORE_NS, "diagnosisHeader")
                            .ok_or(ContractError::Missing("diagnosisHeader"))?,
                        CORE_NS,
                        HeaderSpelling::Standard,
                    )?,
                    body: DiagnosisBody::parse(
                        d.child(CORE_NS, "diagnosisBody")
                            .ok_or(ContractError::Missing("diagnosisBody"))?,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        let result = body
            .child(NAMESPACE, "result")
            .map(|r| ResultType::parse(r, CORE_NS))
            .transpose()?;
        Ok(Response::new(items, result))
    }

    fn write_response(resp: &Response<Diagnosis>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 1024);
        w.open_ns(
            "tns:GetDiagnosisResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:diagnosis");
            item.header
                .write(&mut w, "core:diagnosisHeader", HeaderSpelling::Standard);
            item.body.write(&mut w);
            w.close("tns:diagnosis");
        }
        if let Some(r) = &resp.result {
            // `result` is a local element of the responder type (tns), its children are core.
            r.write(&mut w, "tns:result", "core");
        }
        w.close("tns:GetDiagnosisResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &Diagnosis) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The diagnosis time, else the author time.
    fn filter_time(item: &Diagnosis) -> &str {
        item.body
            .diagnosis_time
            .as_deref()
            .unwrap_or(&item.header.accountable.author_time)
    }

    fn view(item: &Diagnosis) -> ItemView {
        let b = &item.body;
        let name = b
            .code
            .as_ref()
            .and_then(|c| c.display_name.clone().or_else(|| c.original_text.clone()))
            .unwrap_or_else(|| "Diagnos utan benämning".into());
        let title = match b.code.as_ref().and_then(|c| c.code.as_deref()) {
            Some(code) => format!("{name} ({code})"),
            None => name,
        };
        let mut fields = vec![("Typ", b.type_of_diagnosis.clone())];
        if let Some(c) = b.chronic {
            fields.push(("Kronisk", if c { "Ja" } else { "Nej" }.into()));
        }
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: None,
            attention: false,
        }
    }
}
