//! GetECGOutcome 1.0 (`urn:riv:clinicalprocess:healthcond:actoutcome:GetECGOutcomeResponder:1`):
//! ECG results — the interpretation (report), the measurements (heart rate, PR, QT, QTc, axes,
//! ST levels) and the referral. Categorization `und-ekg-ure`.
//!
//! Shares the actoutcome 3.1 core types and readers with GetImagingOutcome
//! ([`super::imaging_outcome_v1`]); the notes there on `result`, `OrgUnitType` and
//! `DatePeriodType` apply here too.
//!
//! Schema points worth knowing:
//! - `typeOfResult`, `resultTime` and `resultReport` are required by the 1.0 schema (a later
//!   TKB made them optional; the schema wins).
//! - `ECGStructuredDataType` has no QRS duration: only the QRS axis. A QRS width belongs in the
//!   report text.
//! - `examinationStatus` is a `CVType` here (an enumeration in GetImagingOutcome).
//!
//! Not modelled (ignored when reading): `ecgDicomData` and `ecgData` (waveforms and images),
//! `legalAuthenticatorRoleCode` and extension elements.

use super::imaging_outcome_v1::{
    CORE_NS, ExaminationReferral, Ii, ModalityData, PatientData, Pq, TimePeriod, TypeOfResult,
    child, cv_text, display_time, parse_header, parse_professional, parse_query, parse_result,
    professional_display, req_text, req_ts, write_query, write_result,
};
use crate::common::{
    ContractError, Cv, HeaderSpelling, HealthcareProfessional, ItemMeta, PatientSummaryHeader,
    Query, opt, opt_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:actoutcome:GetECGOutcomeResponder:1";

/// One ECG result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EcgOutcome {
    pub header: PatientSummaryHeader,
    pub body: EcgBody,
}

/// `ECGOutcomeBodyType`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EcgBody {
    /// E.g. Klinisk fysiologi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examination_speciality: Option<Cv>,
    pub type_of_result: TypeOfResult,
    pub result_time: String,
    /// The interpretation as written by the physician.
    pub result_report: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_data: Option<PatientData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recordings: Vec<EcgRecording>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<ExaminationReferral>,
}

/// `ECGRecordingType`: one recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EcgRecording {
    pub recording_id: Ii,
    /// The kind of ECG (e.g. SNOMED CT 268400002, 12-lead ECG).
    pub examination_activity: Cv,
    pub examination_time: TimePeriod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examination_status: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examination_unit: Option<String>,
    /// Who took the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performer: Option<HealthcareProfessional>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modality: Option<ModalityData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pacemaker: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub structured: Vec<EcgStructuredData>,
}

/// `ECGStructuredDataType`: the measurements and the machine's statements.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EcgStructuredData {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used_filters: Vec<UsedFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heart_rate: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qt: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qt_corrected: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_axis: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qrs_axis: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_axis: Option<Pq>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub st: Vec<StLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretation_algorithm: Option<String>,
    /// Statements, e.g. `Sinusrytm`, `Förmaksflimmer med normal kammarfrekvens`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interpretation: Vec<String>,
}

/// `UsedFilterType`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsedFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<Pq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<Pq>,
}

/// `STType`: the ST level of one lead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StLevel {
    pub lead: String,
    pub level: Pq,
}

impl EcgStructuredData {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(EcgStructuredData {
            used_filters: el
                .children_named(ns, "usedFilter")
                .map(|f| {
                    Ok(UsedFilter {
                        name: opt(f, ns, "filterName"),
                        lower: Pq::opt(f, ns, "lowerFrequency")?,
                        upper: Pq::opt(f, ns, "upperFrequency")?,
                    })
                })
                .collect::<Result<_, ContractError>>()?,
            heart_rate: Pq::opt(el, ns, "heartRate")?,
            qt: Pq::opt(el, ns, "qt")?,
            qt_corrected: Pq::opt(el, ns, "qtCorrected")?,
            pr: Pq::opt(el, ns, "pr")?,
            p_axis: Pq::opt(el, ns, "pAxis")?,
            qrs_axis: Pq::opt(el, ns, "qrsAxis")?,
            t_axis: Pq::opt(el, ns, "tAxis")?,
            st: el
                .children_named(ns, "st")
                .map(|s| {
                    Ok(StLevel {
                        lead: req_text(s, ns, "leadName")?,
                        level: Pq::parse(child(s, ns, "stLevel")?, ns)?,
                    })
                })
                .collect::<Result<_, ContractError>>()?,
            interpretation_algorithm: opt(el, ns, "interpretationAlgorithmName"),
            interpretation: el
                .children_named(ns, "interpretation")
                .map(|i| i.text().to_owned())
                .collect(),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:ecgStructuredData");
        for f in &self.used_filters {
            w.open("core:usedFilter")
                .opt_text("core:filterName", f.name.as_deref());
            Pq::write_opt(&f.lower, w, "core:lowerFrequency");
            Pq::write_opt(&f.upper, w, "core:upperFrequency");
            w.close("core:usedFilter");
        }
        Pq::write_opt(&self.heart_rate, w, "core:heartRate");
        Pq::write_opt(&self.qt, w, "core:qt");
        Pq::write_opt(&self.qt_corrected, w, "core:qtCorrected");
        Pq::write_opt(&self.pr, w, "core:pr");
        Pq::write_opt(&self.p_axis, w, "core:pAxis");
        Pq::write_opt(&self.qrs_axis, w, "core:qrsAxis");
        Pq::write_opt(&self.t_axis, w, "core:tAxis");
        for s in &self.st {
            w.open("core:st").text("core:leadName", &s.lead);
            s.level.write(w, "core:stLevel");
            w.close("core:st");
        }
        w.opt_text(
            "core:interpretationAlgorithmName",
            self.interpretation_algorithm.as_deref(),
        );
        for i in &self.interpretation {
            w.text("core:interpretation", i);
        }
        w.close("core:ecgStructuredData");
    }

    /// True for values that must be called out: heart rate below 40 or above 130 /min, QTc of
    /// 500 ms or more, or an ST deviation of at least 0.2 mV in a lead.
    pub fn is_alarming(&self) -> bool {
        let hr = self
            .heart_rate
            .as_ref()
            .is_some_and(|h| h.value < 40.0 || h.value > 130.0);
        let qtc = self
            .qt_corrected
            .as_ref()
            .and_then(Pq::millis)
            .is_some_and(|q| q >= 500.0);
        let st = self.st.iter().any(|s| {
            let mv = match s.level.unit.as_str() {
                "mV" => Some(s.level.value),
                "µV" | "uV" => Some(s.level.value / 1000.0),
                "mm" => Some(s.level.value / 10.0),
                _ => None,
            };
            mv.is_some_and(|v| v.abs() >= 0.2)
        });
        hr || qtc || st
    }
}

impl EcgRecording {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(EcgRecording {
            recording_id: Ii::parse(child(el, ns, "recordingId")?, ns)?,
            examination_activity: Cv::parse(child(el, ns, "examinationActivity")?, ns),
            examination_time: TimePeriod::parse(child(el, ns, "examinationTimePeriod")?, ns)?,
            examination_status: el.child(ns, "examinationStatus").map(|c| Cv::parse(c, ns)),
            examination_unit: opt(el, ns, "examinationUnit"),
            performer: el
                .child(ns, "accountableHealthcareProfessional")
                .map(parse_professional)
                .transpose()?,
            modality: el
                .child(ns, "modalityData")
                .map(|m| ModalityData::parse(m, ns))
                .transpose()?,
            pacemaker: opt_bool(el, ns, "pacemaker")?,
            structured: el
                .children_named(ns, "ecgStructuredData")
                .map(EcgStructuredData::parse)
                .collect::<Result<_, _>>()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:ecgRecording");
        self.recording_id.write(w, "core:recordingId");
        self.examination_activity
            .write(w, "core:examinationActivity");
        self.examination_time.write(w, "core:examinationTimePeriod");
        if let Some(s) = &self.examination_status {
            s.write(w, "core:examinationStatus");
        }
        w.opt_text("core:examinationUnit", self.examination_unit.as_deref());
        if let Some(p) = &self.performer {
            p.write(w, "core:accountableHealthcareProfessional");
        }
        if let Some(m) = &self.modality {
            m.write(w);
        }
        w.opt_bool("core:pacemaker", self.pacemaker);
        for s in &self.structured {
            s.write(w);
        }
        w.close("core:ecgRecording");
    }
}

impl EcgBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(EcgBody {
            examination_speciality: el
                .child(ns, "examinationSpeciality")
                .map(|c| Cv::parse(c, ns)),
            type_of_result: TypeOfResult::parse(req(el, ns, "typeOfResult")?)?,
            result_time: req_ts(el, ns, "resultTime")?,
            result_report: req_text(el, ns, "resultReport")?,
            result_comment: opt(el, ns, "resultComment"),
            patient_data: el
                .child(ns, "patientData")
                .map(|p| PatientData::parse(p, ns))
                .transpose()?,
            recordings: el
                .children_named(ns, "ecgRecording")
                .map(EcgRecording::parse)
                .collect::<Result<_, _>>()?,
            referral: el
                .child(ns, "referral")
                .map(ExaminationReferral::parse)
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:ecgOutcomeBody");
        if let Some(c) = &self.examination_speciality {
            c.write(w, "core:examinationSpeciality");
        }
        w.text("core:typeOfResult", self.type_of_result.as_str())
            .text("core:resultTime", &self.result_time)
            .text("core:resultReport", &self.result_report)
            .opt_text("core:resultComment", self.result_comment.as_deref());
        if let Some(p) = &self.patient_data {
            p.write(w);
        }
        for r in &self.recordings {
            r.write(w);
        }
        if let Some(r) = &self.referral {
            r.write(w);
        }
        w.close("core:ecgOutcomeBody");
    }
}

/// The GetECGOutcome 1.0 contract.
pub struct GetECGOutcomeV1;

impl Contract for GetECGOutcomeV1 {
    const NAME: &'static str = "GetECGOutcome";
    const VERSION: &'static str = "1.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:actoutcome";
    const CATEGORIZATION: &'static str = "und-ekg-ure";

    type Request = Query;
    type Item = EcgOutcome;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetECGOutcome") {
            return Err(ContractError::UnexpectedElement("GetECGOutcome"));
        }
        parse_query(body, NAMESPACE, "careUnitHSAId")
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetECGOutcome",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        write_query(&mut w, req, "careUnitHSAId");
        w.close("tns:GetECGOutcome");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<EcgOutcome>, ContractError> {
        if !body.is(NAMESPACE, "GetECGOutcomeResponse") {
            return Err(ContractError::UnexpectedElement("GetECGOutcomeResponse"));
        }
        let items = body
            .children_named(NAMESPACE, "ecgOutcome")
            .map(|o| {
                Ok(EcgOutcome {
                    header: parse_header(child(o, CORE_NS, "ecgOutcomeHeader")?)?,
                    body: EcgBody::parse(child(o, CORE_NS, "ecgOutcomeBody")?)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        Ok(Response::new(items, parse_result(body, NAMESPACE)?))
    }

    fn write_response(resp: &Response<EcgOutcome>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 2048);
        w.open_ns(
            "tns:GetECGOutcomeResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            w.open("tns:ecgOutcome");
            item.header
                .write(&mut w, "core:ecgOutcomeHeader", HeaderSpelling::Standard);
            item.body.write(&mut w);
            w.close("tns:ecgOutcome");
        }
        write_result(&mut w, resp.result.as_ref());
        w.close("tns:GetECGOutcomeResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &EcgOutcome) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The result time (required): when the interpretation was sent.
    fn filter_time(item: &EcgOutcome) -> &str {
        &item.body.result_time
    }

    fn view(item: &EcgOutcome) -> ItemView {
        let b = &item.body;
        let title = b
            .recordings
            .first()
            .and_then(|r| cv_text(&r.examination_activity))
            .map(str::to_owned)
            .or_else(|| item.header.document_title.clone())
            .unwrap_or_else(|| "EKG".into());
        let mut fields = vec![("Svarstyp", b.type_of_result.display().to_owned())];
        if item.header.nullified == Some(true) {
            let why = item.header.nullified_reason.as_deref().unwrap_or("");
            fields.push(("Makulerad", format!("Ja {why}").trim_end().to_owned()));
        }
        let mut attention = false;
        for r in &b.recordings {
            if let Some(start) = &r.examination_time.start {
                fields.push(("Registrerat", display_time(start)));
            }
            if r.pacemaker == Some(true) {
                fields.push(("Pacemaker", "Ja".into()));
            }
            for s in &r.structured {
                attention |= s.is_alarming();
                let mut add = |label: &'static str, v: &Option<Pq>| {
                    if let Some(v) = v {
                        fields.push((label, v.display()));
                    }
                };
                add("Hjärtfrekvens", &s.heart_rate);
                add("PQ-tid", &s.pr);
                add("QT-tid", &s.qt);
                add("QTc", &s.qt_corrected);
                let axes: Vec<String> = [&s.p_axis, &s.qrs_axis, &s.t_axis]
                    .iter()
                    .map(|a| a.as_ref().map_or("–".to_owned(), Pq::display))
                    .collect();
                if s.p_axis.is_some() || s.qrs_axis.is_some() || s.t_axis.is_some() {
                    fields.push(("El-axel P/QRS/T", axes.join(" / ")));
                }
                if !s.st.is_empty() {
                    let st: Vec<String> =
                        s.st.iter()
                            .map(|l| format!("{} {}", l.lead, l.level.display()))
                            .collect();
                    fields.push(("ST-nivå", st.join(", ")));
                }
                if !s.interpretation.is_empty() {
                    fields.push(("Maskintolkning", s.interpretation.join("; ")));
                }
            }
        }
        if let Some(l) = &item.header.legal_authenticator {
            if let Some(n) = &l.name {
                fields.push(("Signerad av", n.clone()));
            }
        } else if let Some(p) = professional_display(&item.header.accountable) {
            fields.push(("Ansvarig", p));
        }
        fields.push(("Svarstid", display_time(&b.result_time)));
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
            attention,
        }
    }
}
