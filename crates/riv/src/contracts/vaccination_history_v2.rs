//! GetVaccinationHistory 2.0
//! (`urn:riv:clinicalprocess:activityprescription:actoutcome:GetVaccinationHistoryResponder:2`):
//! given vaccinations. Categorization `caa-gvh`.
//!
//! Modelled: the header and the whole body: the registration record (care giver, contacts,
//! source system, date of the vaccination, postal code, note, risk categories, adverse effects),
//! the administration records (programme, prescriber and performer, site, route, dose, dose
//! number, comments, adverse effects, vaccine type (ATC), vaccine name, batch, manufacturer,
//! target diseases, unique reference) and the additional patient information. Ignored when
//! reading: everything in `xs:any` slots.
//!
//! Schema quirks worth knowing:
//! - The request spells `careUnitHSAid` and `sourceSystemHSAid` (lower-case `d`), and has no
//!   care-giver filter.
//! - `result` is required in the response (see
//!   [`parse_required_result`]: no result is written as an empty `OK`).
//! - The domain's `DatePeriodType` has optional `start` and `end` (see [`parse_open_period`]).
//! - The vaccination's own date is `registrationRecord/date` (`YYYYMMDD`); the TKB lets the
//!   period filter apply to it and to the header's times. [`Contract::filter_time`] must be a
//!   timestamp, so it is `documentTime` (which npo's generator sets to the moment of the
//!   vaccination), else `authorTime`.

use super::medication_history_v2::{
    Actor, AdditionalPatientInformation, Ii, OrgUnitInfo, Pq, check_date, cv_text, fmt_day,
    opt_int, parse_open_period, parse_required_result, write_required_result,
};
use crate::common::{
    ContractError, Cv, HeaderSpelling, ItemMeta, PatientSummaryHeader, PersonId, Query,
    QuerySpelling, ResultType, many, opt, opt_bool, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:activityprescription:actoutcome:GetVaccinationHistoryResponder:2";
pub use super::medication_history_v2::{ATC, CORE_NS, EDQM, KV_KON};

const SPELLING: QuerySpelling = QuerySpelling {
    care_unit: "careUnitHSAid",
    time_period: "timePeriod",
    source_system: "sourceSystemHSAid",
};

/// One vaccination record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaccinationMedicalRecord {
    pub header: PatientSummaryHeader,
    pub body: VaccinationMedicalRecordBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaccinationMedicalRecordBody {
    pub registration: RegistrationRecord,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub administrations: Vec<AdministrationRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_patient_information: Option<AdditionalPatientInformation>,
}

/// `RegistrationRecordType`: who registered the vaccination, where, and when it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationRecord {
    pub care_giver_org: OrgUnitInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_giver_contact: Option<Actor>,
    pub source_system_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_system_product_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_system_product_version: Option<String>,
    pub source_system_contact: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_unit_smi_id: Option<String>,
    /// The day of the vaccination, `YYYYMMDD`.
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unstructured_note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk_categories: Vec<Cv>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adverse_effects: Vec<Cv>,
}

/// `DoseType`: the amount given (`quantity`) and how it is written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dose {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Pq>,
    pub display_name: String,
}

/// `AdministrationRecordType`: one vaccine given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdministrationRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescriber_org: Option<OrgUnitInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescriber: Option<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performer_org: Option<OrgUnitInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performer: Option<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anatomical_site: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose: Option<Dose>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_dose_complete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_ordinal_number: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_prescribed_doses: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_prescription: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_administration: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adverse_effects: Vec<Cv>,
    /// The vaccine's ATC code (J07…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_of_vaccine: Option<Cv>,
    /// The product, e.g. `Infanrix hexa`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vaccine_name: Option<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_diseases: Vec<Cv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_reference: Option<Ii>,
}

fn child<'a>(el: &'a Element, name: &'static str) -> Result<&'a Element, ContractError> {
    el.child(CORE_NS, name).ok_or(ContractError::Missing(name))
}

fn cvs(el: &Element, name: &str) -> Vec<Cv> {
    el.children_named(CORE_NS, name)
        .map(|c| Cv::parse(c, CORE_NS))
        .collect()
}

fn write_cvs(w: &mut XmlWriter, tag: &str, list: &[Cv]) {
    for c in list {
        c.write(w, tag);
    }
}

impl RegistrationRecord {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        Ok(RegistrationRecord {
            care_giver_org: OrgUnitInfo::parse(child(el, "careGiverOrg")?, ns),
            care_giver_contact: el
                .child(ns, "careGiverContact")
                .map(|a| Actor::parse(a, ns)),
            source_system_name: req(el, ns, "sourceSystemName")?.to_owned(),
            source_system_product_name: opt(el, ns, "sourceSystemProductName"),
            source_system_product_version: opt(el, ns, "sourceSystemProductVersion"),
            source_system_contact: Actor::parse(child(el, "sourceSystemContact")?, ns),
            care_unit_smi_id: opt(el, ns, "careUnitSmiId"),
            date: check_date(req(el, ns, "date")?, "date")?,
            patient_postal_code: opt(el, ns, "patientPostalCode"),
            unstructured_note: opt(el, ns, "vaccinationUnstructuredNote"),
            risk_categories: cvs(el, "riskCategory"),
            adverse_effects: cvs(el, "patientAdverseEffect"),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:registrationRecord");
        self.care_giver_org.write(w, "core:careGiverOrg");
        if let Some(c) = &self.care_giver_contact {
            c.write(w, "core:careGiverContact");
        }
        w.text("core:sourceSystemName", &self.source_system_name)
            .opt_text(
                "core:sourceSystemProductName",
                self.source_system_product_name.as_deref(),
            )
            .opt_text(
                "core:sourceSystemProductVersion",
                self.source_system_product_version.as_deref(),
            );
        self.source_system_contact
            .write(w, "core:sourceSystemContact");
        w.opt_text("core:careUnitSmiId", self.care_unit_smi_id.as_deref())
            .text("core:date", &self.date)
            .opt_text(
                "core:patientPostalCode",
                self.patient_postal_code.as_deref(),
            )
            .opt_text(
                "core:vaccinationUnstructuredNote",
                self.unstructured_note.as_deref(),
            );
        write_cvs(w, "core:riskCategory", &self.risk_categories);
        write_cvs(w, "core:patientAdverseEffect", &self.adverse_effects);
        w.close("core:registrationRecord");
    }
}

impl AdministrationRecord {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let cv = |name: &str| el.child(ns, name).map(|c| Cv::parse(c, ns));
        let org = |name: &str| el.child(ns, name).map(|c| OrgUnitInfo::parse(c, ns));
        let actor = |name: &str| el.child(ns, name).map(|c| Actor::parse(c, ns));
        Ok(AdministrationRecord {
            program: cv("vaccinationProgramName"),
            prescriber_org: org("prescriberOrg"),
            prescriber: actor("prescriberPerson"),
            performer_org: org("performerOrg"),
            performer: actor("performer"),
            anatomical_site: cv("anatomicalSite"),
            route: cv("route"),
            dose: el
                .child(ns, "dose")
                .map(|d| {
                    Ok::<_, ContractError>(Dose {
                        quantity: d
                            .child(ns, "quantity")
                            .map(|q| Pq::parse(q, ns))
                            .transpose()?,
                        display_name: req(d, ns, "displayName")?.to_owned(),
                    })
                })
                .transpose()?,
            is_dose_complete: opt_bool(el, ns, "isDoseComplete")?,
            dose_ordinal_number: opt_int(el, ns, "doseOrdinalNumber")?,
            number_of_prescribed_doses: opt_int(el, ns, "numberOfPrescribedDoses")?,
            source_description: opt(el, ns, "sourceDescription"),
            comment_prescription: opt(el, ns, "commentPrescription"),
            comment_administration: opt(el, ns, "commentAdministration"),
            adverse_effects: cvs(el, "patientAdverseEffect"),
            type_of_vaccine: cv("typeOfVaccine"),
            vaccine_name: cv("vaccineName"),
            batch_id: opt(el, ns, "vaccineBatchId"),
            manufacturer: opt(el, ns, "vaccineManufacturer"),
            target_diseases: cvs(el, "vaccineTargetDisease"),
            unique_reference: el
                .child(ns, "vaccinationUniqueReference")
                .map(|i| Ii::parse(i, ns))
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:administrationRecord");
        if let Some(c) = &self.program {
            c.write(w, "core:vaccinationProgramName");
        }
        if let Some(o) = &self.prescriber_org {
            o.write(w, "core:prescriberOrg");
        }
        if let Some(a) = &self.prescriber {
            a.write(w, "core:prescriberPerson");
        }
        if let Some(o) = &self.performer_org {
            o.write(w, "core:performerOrg");
        }
        if let Some(a) = &self.performer {
            a.write(w, "core:performer");
        }
        if let Some(c) = &self.anatomical_site {
            c.write(w, "core:anatomicalSite");
        }
        if let Some(c) = &self.route {
            c.write(w, "core:route");
        }
        if let Some(d) = &self.dose {
            w.open("core:dose");
            if let Some(q) = &d.quantity {
                q.write(w, "core:quantity");
            }
            w.text("core:displayName", &d.display_name)
                .close("core:dose");
        }
        w.opt_bool("core:isDoseComplete", self.is_dose_complete)
            .opt_text(
                "core:doseOrdinalNumber",
                self.dose_ordinal_number.map(|n| n.to_string()).as_deref(),
            )
            .opt_text(
                "core:numberOfPrescribedDoses",
                self.number_of_prescribed_doses
                    .map(|n| n.to_string())
                    .as_deref(),
            )
            .opt_text("core:sourceDescription", self.source_description.as_deref())
            .opt_text(
                "core:commentPrescription",
                self.comment_prescription.as_deref(),
            )
            .opt_text(
                "core:commentAdministration",
                self.comment_administration.as_deref(),
            );
        write_cvs(w, "core:patientAdverseEffect", &self.adverse_effects);
        if let Some(c) = &self.type_of_vaccine {
            c.write(w, "core:typeOfVaccine");
        }
        if let Some(c) = &self.vaccine_name {
            c.write(w, "core:vaccineName");
        }
        w.opt_text("core:vaccineBatchId", self.batch_id.as_deref())
            .opt_text("core:vaccineManufacturer", self.manufacturer.as_deref());
        write_cvs(w, "core:vaccineTargetDisease", &self.target_diseases);
        if let Some(i) = &self.unique_reference {
            i.write(w, "core:vaccinationUniqueReference");
        }
        w.close("core:administrationRecord");
    }

    /// The vaccine's name for display: product, else ATC text, else target diseases.
    pub fn name(&self) -> Option<String> {
        if let Some(n) = self.vaccine_name.as_ref().and_then(cv_text) {
            return Some(n.to_owned());
        }
        if let Some(n) = self.type_of_vaccine.as_ref().and_then(cv_text) {
            return Some(n.to_owned());
        }
        let diseases: Vec<&str> = self.target_diseases.iter().filter_map(cv_text).collect();
        (!diseases.is_empty()).then(|| format!("Vaccin mot {}", diseases.join(", ").to_lowercase()))
    }
}

impl VaccinationMedicalRecord {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let body = child(el, "vaccinationMedicalRecordBody")?;
        Ok(VaccinationMedicalRecord {
            header: PatientSummaryHeader::parse(
                child(el, "vaccinationMedicalRecordHeader")?,
                ns,
                HeaderSpelling::Standard,
            )?,
            body: VaccinationMedicalRecordBody {
                registration: RegistrationRecord::parse(child(body, "registrationRecord")?)?,
                administrations: body
                    .children_named(ns, "administrationRecord")
                    .map(AdministrationRecord::parse)
                    .collect::<Result<_, _>>()?,
                additional_patient_information: body
                    .child(ns, "additionalPatientInformation")
                    .map(|a| AdditionalPatientInformation::parse(a, ns))
                    .transpose()?,
            },
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("tns:vaccinationMedicalRecord");
        self.header.write(
            w,
            "core:vaccinationMedicalRecordHeader",
            HeaderSpelling::Standard,
        );
        w.open("core:vaccinationMedicalRecordBody");
        self.body.registration.write(w);
        for a in &self.body.administrations {
            a.write(w);
        }
        if let Some(a) = &self.body.additional_patient_information {
            a.write(w, "core:additionalPatientInformation");
        }
        w.close("core:vaccinationMedicalRecordBody")
            .close("tns:vaccinationMedicalRecord");
    }
}

/// The GetVaccinationHistory 2.0 contract.
pub struct GetVaccinationHistoryV2;

impl Contract for GetVaccinationHistoryV2 {
    const NAME: &'static str = "GetVaccinationHistory";
    const VERSION: &'static str = "2.0";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:activityprescription:actoutcome";
    const CATEGORIZATION: &'static str = "caa-gvh";

    type Request = Query;
    type Item = VaccinationMedicalRecord;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetVaccinationHistory") {
            return Err(ContractError::UnexpectedElement("GetVaccinationHistory"));
        }
        let tns = NAMESPACE;
        Ok(Query {
            care_unit_ids: many(body, tns, SPELLING.care_unit),
            patient_id: PersonId::parse(
                body.child(tns, "patientId")
                    .ok_or(ContractError::Missing("patientId"))?,
                CORE_NS,
            )?,
            period: body
                .child(tns, SPELLING.time_period)
                .map(|p| parse_open_period(p, CORE_NS))
                .transpose()?
                .flatten(),
            source_system_id: opt(body, tns, SPELLING.source_system),
            care_contact_ids: many(body, tns, "careContactId"),
        })
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetVaccinationHistory",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        req.write_fields(&mut w, SPELLING);
        w.close("tns:GetVaccinationHistory");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<VaccinationMedicalRecord>, ContractError> {
        if !body.is(NAMESPACE, "GetVaccinationHistoryResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetVaccinationHistoryResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "vaccinationMedicalRecord")
            .map(VaccinationMedicalRecord::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let result: Option<ResultType> = parse_required_result(body, NAMESPACE, CORE_NS)?;
        Ok(Response::new(items, result))
    }

    fn write_response(resp: &Response<VaccinationMedicalRecord>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 2048);
        w.open_ns(
            "tns:GetVaccinationHistoryResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        for item in &resp.items {
            item.write(&mut w);
        }
        write_required_result(&mut w, resp.result.as_ref());
        w.close("tns:GetVaccinationHistoryResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &VaccinationMedicalRecord) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// `documentTime` (the moment of the vaccination), else the author time.
    fn filter_time(item: &VaccinationMedicalRecord) -> &str {
        item.header
            .document_time
            .as_deref()
            .unwrap_or(&item.header.accountable.author_time)
    }

    fn view(item: &VaccinationMedicalRecord) -> ItemView {
        let b = &item.body;
        let names: Vec<String> = b
            .administrations
            .iter()
            .filter_map(AdministrationRecord::name)
            .collect();
        let title = if names.is_empty() {
            "Vaccination".to_owned()
        } else {
            names.join(" + ")
        };
        let mut fields = vec![("Vaccinationsdatum", fmt_day(&b.registration.date))];
        let mut adverse: Vec<&str> = b
            .registration
            .adverse_effects
            .iter()
            .filter_map(cv_text)
            .collect();
        for a in &b.administrations {
            if let Some(t) = &a.type_of_vaccine {
                let text = match (t.code.as_deref(), cv_text(t)) {
                    (Some(c), Some(n)) if c != n => format!("{c} {n}"),
                    (Some(c), _) => c.to_owned(),
                    (None, Some(n)) => n.to_owned(),
                    (None, None) => String::new(),
                };
                if !text.is_empty() {
                    fields.push(("Vaccin (ATC)", text));
                }
            }
            let diseases: Vec<&str> = a.target_diseases.iter().filter_map(cv_text).collect();
            if !diseases.is_empty() {
                fields.push(("Skydd mot", diseases.join(", ")));
            }
            match (a.dose_ordinal_number, a.number_of_prescribed_doses) {
                (Some(n), Some(of)) => fields.push(("Dos", format!("{n} av {of}"))),
                (Some(n), None) => fields.push(("Dos", format!("Dos {n}"))),
                _ => {}
            }
            if let Some(d) = &a.dose {
                fields.push(("Mängd", d.display_name.clone()));
            }
            if let Some(p) = a.program.as_ref().and_then(cv_text) {
                fields.push(("Program", p.to_owned()));
            }
            if let Some(r) = a.route.as_ref().and_then(cv_text) {
                fields.push(("Administrationssätt", r.to_owned()));
            }
            if let Some(s) = a.anatomical_site.as_ref().and_then(cv_text) {
                fields.push(("Injektionsställe", s.to_owned()));
            }
            if let Some(n) = a.performer.as_ref().and_then(|p| p.name.clone()) {
                fields.push(("Vaccinatör", n));
            }
            if let Some(n) = a.performer_org.as_ref().and_then(|o| o.name.clone()) {
                fields.push(("Vaccinationsenhet", n));
            }
            if let Some(m) = &a.manufacturer {
                fields.push(("Tillverkare", m.clone()));
            }
            if let Some(bid) = &a.batch_id {
                fields.push(("Batchnummer", bid.clone()));
            }
            adverse.extend(a.adverse_effects.iter().filter_map(cv_text));
        }
        let risks: Vec<&str> = b
            .registration
            .risk_categories
            .iter()
            .filter_map(cv_text)
            .collect();
        if !risks.is_empty() {
            fields.push(("Riskgrupp", risks.join(", ")));
        }
        if let Some(n) = &b.registration.care_giver_org.name {
            fields.push(("Vårdgivare", n.clone()));
        }
        let attention = !adverse.is_empty();
        if attention {
            fields.push(("Biverkningar", adverse.join(", ")));
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
        let comments: Vec<&str> = std::iter::once(b.registration.unstructured_note.as_deref())
            .chain(b.administrations.iter().flat_map(|a| {
                [
                    a.comment_prescription.as_deref(),
                    a.comment_administration.as_deref(),
                ]
            }))
            .flatten()
            .collect();
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: (!comments.is_empty()).then(|| comments.join("\n")),
            attention,
        }
    }
}
