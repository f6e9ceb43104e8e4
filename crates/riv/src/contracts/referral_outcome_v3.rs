//! GetReferralOutcome 3.1 (`urn:riv:clinicalprocess:healthcond:actoutcome:GetReferralOutcomeResponder:3`):
//! consultation referral outcomes — the consulted specialist's answer, with the referral it
//! answers, the clinical information (ICD-10-SE) and the actions taken. Categorization
//! `und-kon-ure`.
//!
//! Shares the actoutcome 3.1 core types and readers with GetImagingOutcome
//! ([`super::imaging_outcome_v1`]); the notes there on `result`, `OrgUnitType` and
//! `DatePeriodType` apply here too.
//!
//! Schema points worth knowing:
//! - The request spells the care-unit filter `careUnitHSAid` (lower-case d).
//! - `clinicalInformationCode/codeSystem` is an enumeration with the single value ICD-10-SE
//!   (`1.2.752.116.1.1.1.1.3`); the code system is therefore not stored.
//! - `attested` is the 3.1 extension element (namespace `...:actoutcome:3.1`, children there
//!   too) and its `attesterHSAId` is required by the schema.
//! - `ReferralOutcomeBodyType` has no extension point (`xs:any`).
//! - The TKB says `nullified`, `legalAuthenticatorRoleCode` and the referral author's care
//!   unit and care giver are not to be given; they are read and written if present.
//!
//! Not modelled (ignored when reading): `act/actResult` (attached images), extension elements.

use super::imaging_outcome_v1::{
    CORE_NS, EXT_NS, child, display_time, parse_header, parse_professional, parse_query,
    parse_result, professional_display, req_text, req_ts, write_query, write_result,
};
use crate::common::{
    ContractError, HeaderSpelling, HealthcareProfessional, ItemMeta, PatientSummaryHeader, Query,
    check_timestamp, opt, req,
};
use crate::contract::{Contract, ItemView, Response};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str =
    "urn:riv:clinicalprocess:healthcond:actoutcome:GetReferralOutcomeResponder:3";
/// OID of ICD-10-SE, the only code system `clinicalInformationCode` allows.
pub const ICD10_SE: &str = "1.2.752.116.1.1.1.1.3";
/// OID of KVÅ (Klassifikation av vårdåtgärder), the suggested code system of `actCode`.
pub const KVA: &str = "1.2.752.116.1.3.2.1.4";

/// One consultation referral outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralOutcome {
    pub header: PatientSummaryHeader,
    pub body: ReferralOutcomeBody,
}

/// `ReferralOutcomeTypeCodeEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReferralOutcomeType {
    /// `SR`, an answer (possibly one of several).
    #[serde(rename = "SR")]
    Answer,
    /// `SS`, the final answer.
    #[serde(rename = "SS")]
    FinalAnswer,
}

impl ReferralOutcomeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralOutcomeType::Answer => "SR",
            ReferralOutcomeType::FinalAnswer => "SS",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ContractError> {
        match s {
            "SR" => Ok(ReferralOutcomeType::Answer),
            "SS" => Ok(ReferralOutcomeType::FinalAnswer),
            _ => Err(ContractError::Invalid(
                "referralOutcomeTypeCode",
                "not SR or SS",
            )),
        }
    }

    /// As care staff say it.
    pub fn display(self) -> &'static str {
        match self {
            ReferralOutcomeType::Answer => "Svar på remiss",
            ReferralOutcomeType::FinalAnswer => "Slutsvar på remiss",
        }
    }
}

/// `ReferralOutcomeBodyType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralOutcomeBody {
    pub type_code: ReferralOutcomeType,
    /// The specialty consulted, e.g. `Kardiologi`.
    pub title: String,
    /// The consultant's statement.
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clinical_information: Vec<ClinicalInformation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acts: Vec<Act>,
    pub referral: Referral,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested: Option<Attested>,
}

/// `ClinicalInformationType`: an ICD-10-SE code and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicalInformation {
    pub code: String,
    pub text: String,
}

/// `ActType`: an action performed by the consultant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Act {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ActCode>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// `ActCodeType`: a code (e.g. KVÅ) and its code system OID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActCode {
    pub code: String,
    pub code_system: String,
}

/// `ReferralType`: the referral the outcome answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub id: String,
    /// The question asked.
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The referring professional.
    pub author: HealthcareProfessional,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_contact_id: Option<String>,
}

/// `attested` (3.1 extension): who acknowledged the outcome, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attested {
    pub time: String,
    pub hsa_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ReferralOutcomeBody {
    fn parse(el: &Element) -> Result<Self, ContractError> {
        let ns = CORE_NS;
        let r = child(el, ns, "referral")?;
        Ok(ReferralOutcomeBody {
            type_code: ReferralOutcomeType::parse(req(el, ns, "referralOutcomeTypeCode")?)?,
            title: req_text(el, ns, "referralOutcomeTitle")?,
            text: req_text(el, ns, "referralOutcomeText")?,
            clinical_information: el
                .children_named(ns, "clinicalInformation")
                .map(|c| {
                    let code = child(c, ns, "clinicalInformationCode")?;
                    if req(code, ns, "codeSystem")? != ICD10_SE {
                        return Err(ContractError::Invalid(
                            "codeSystem",
                            "not ICD-10-SE (1.2.752.116.1.1.1.1.3)",
                        ));
                    }
                    Ok(ClinicalInformation {
                        code: req_text(code, ns, "code")?,
                        text: req_text(c, ns, "clinicalInformationText")?,
                    })
                })
                .collect::<Result<_, ContractError>>()?,
            acts: el
                .children_named(ns, "act")
                .map(|a| {
                    Ok(Act {
                        id: opt(a, ns, "actId"),
                        code: a
                            .child(ns, "actCode")
                            .map(|c| {
                                Ok::<_, ContractError>(ActCode {
                                    code: req_text(c, ns, "code")?,
                                    code_system: req_text(c, ns, "codeSystem")?,
                                })
                            })
                            .transpose()?,
                        text: req_text(a, ns, "actText")?,
                        time: opt(a, ns, "actTime")
                            .map(|t| check_timestamp(t, "actTime"))
                            .transpose()?,
                    })
                })
                .collect::<Result<_, ContractError>>()?,
            referral: Referral {
                id: req_text(r, ns, "referralId")?,
                reason: req_text(r, ns, "referralReason")?,
                time: opt(r, ns, "referralTime")
                    .map(|t| check_timestamp(t, "referralTime"))
                    .transpose()?,
                author: parse_professional(child(r, ns, "referralAuthor")?)?,
                care_contact_id: opt(r, ns, "careContactId"),
            },
            attested: el
                .child(EXT_NS, "attested")
                .map(|a| {
                    Ok::<_, ContractError>(Attested {
                        time: req_ts(a, EXT_NS, "attestedTime")?,
                        hsa_id: req_text(a, EXT_NS, "attesterHSAId")?,
                        name: opt(a, EXT_NS, "attesterName"),
                    })
                })
                .transpose()?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("core:referralOutcomeBody")
            .text("core:referralOutcomeTypeCode", self.type_code.as_str())
            .text("core:referralOutcomeTitle", &self.title)
            .text("core:referralOutcomeText", &self.text);
        for c in &self.clinical_information {
            w.open("core:clinicalInformation")
                .open("core:clinicalInformationCode")
                .text("core:code", &c.code)
                .text("core:codeSystem", ICD10_SE)
                .close("core:clinicalInformationCode")
                .text("core:clinicalInformationText", &c.text)
                .close("core:clinicalInformation");
        }
        for a in &self.acts {
            w.open("core:act").opt_text("core:actId", a.id.as_deref());
            if let Some(c) = &a.code {
                w.open("core:actCode")
                    .text("core:code", &c.code)
                    .text("core:codeSystem", &c.code_system)
                    .close("core:actCode");
            }
            w.text("core:actText", &a.text)
                .opt_text("core:actTime", a.time.as_deref())
                .close("core:act");
        }
        let r = &self.referral;
        w.open("core:referral")
            .text("core:referralId", &r.id)
            .text("core:referralReason", &r.reason)
            .opt_text("core:referralTime", r.time.as_deref());
        r.author.write(w, "core:referralAuthor");
        w.opt_text("core:careContactId", r.care_contact_id.as_deref())
            .close("core:referral");
        if let Some(a) = &self.attested {
            w.open("m1:attested")
                .text("m1:attestedTime", &a.time)
                .text("m1:attesterHSAId", &a.hsa_id)
                .opt_text("m1:attesterName", a.name.as_deref())
                .close("m1:attested");
        }
        w.close("core:referralOutcomeBody");
    }
}

/// The GetReferralOutcome 3.1 contract.
pub struct GetReferralOutcomeV3;

impl Contract for GetReferralOutcomeV3 {
    const NAME: &'static str = "GetReferralOutcome";
    const VERSION: &'static str = "3.1";
    const NAMESPACE: &'static str = NAMESPACE;
    const SERVICE_DOMAIN: &'static str = "riv:clinicalprocess:healthcond:actoutcome";
    const CATEGORIZATION: &'static str = "und-kon-ure";

    type Request = Query;
    type Item = ReferralOutcome;

    fn parse_request(body: &Element) -> Result<Query, ContractError> {
        if !body.is(NAMESPACE, "GetReferralOutcome") {
            return Err(ContractError::UnexpectedElement("GetReferralOutcome"));
        }
        parse_query(body, NAMESPACE, "careUnitHSAid")
    }

    fn write_request(req: &Query) -> String {
        let mut w = XmlWriter::with_capacity(512);
        w.open_ns(
            "tns:GetReferralOutcome",
            &[("tns", NAMESPACE), ("core", CORE_NS)],
        );
        write_query(&mut w, req, "careUnitHSAid");
        w.close("tns:GetReferralOutcome");
        w.finish()
    }

    fn parse_response(body: &Element) -> Result<Response<ReferralOutcome>, ContractError> {
        if !body.is(NAMESPACE, "GetReferralOutcomeResponse") {
            return Err(ContractError::UnexpectedElement(
                "GetReferralOutcomeResponse",
            ));
        }
        let items = body
            .children_named(NAMESPACE, "referralOutcome")
            .map(|o| {
                Ok(ReferralOutcome {
                    header: parse_header(child(o, CORE_NS, "referralOutcomeHeader")?)?,
                    body: ReferralOutcomeBody::parse(child(o, CORE_NS, "referralOutcomeBody")?)?,
                })
            })
            .collect::<Result<Vec<_>, ContractError>>()?;
        Ok(Response::new(items, parse_result(body, NAMESPACE)?))
    }

    fn write_response(resp: &Response<ReferralOutcome>) -> String {
        let mut w = XmlWriter::with_capacity(512 + resp.items.len() * 2048);
        w.open_ns(
            "tns:GetReferralOutcomeResponse",
            &[("tns", NAMESPACE), ("core", CORE_NS), ("m1", EXT_NS)],
        );
        for item in &resp.items {
            w.open("tns:referralOutcome");
            item.header.write(
                &mut w,
                "core:referralOutcomeHeader",
                HeaderSpelling::Standard,
            );
            item.body.write(&mut w);
            w.close("tns:referralOutcome");
        }
        write_result(&mut w, resp.result.as_ref());
        w.close("tns:GetReferralOutcomeResponse");
        w.finish()
    }

    fn query(req: &Query) -> &Query {
        req
    }

    fn query_mut(req: &mut Query) -> &mut Query {
        req
    }

    fn meta(item: &ReferralOutcome) -> ItemMeta<'_> {
        item.header.meta()
    }

    /// The author time: when the answer was written or last updated (the TKB's period rule
    /// starts the item's interval there).
    fn filter_time(item: &ReferralOutcome) -> &str {
        &item.header.accountable.author_time
    }

    fn view(item: &ReferralOutcome) -> ItemView {
        let b = &item.body;
        let title = if b.title.is_empty() {
            "Remissvar".to_owned()
        } else {
            format!("Remissvar {}", b.title)
        };
        let mut fields = vec![("Svarstyp", b.type_code.display().to_owned())];
        if let Some(p) = professional_display(&item.header.accountable) {
            fields.push(("Besvarad av", p));
        }
        if let Some(l) = &item.header.legal_authenticator
            && let Some(n) = &l.name
        {
            fields.push((
                "Signerad",
                format!("{} av {n}", display_time(&l.signature_time)),
            ));
        }
        fields.push(("Frågeställning", b.referral.reason.clone()));
        if let Some(p) = professional_display(&b.referral.author) {
            fields.push(("Remittent", p));
        }
        let sent = b
            .referral
            .time
            .as_deref()
            .unwrap_or(&b.referral.author.author_time);
        fields.push(("Remiss utfärdad", display_time(sent)));
        if !b.clinical_information.is_empty() {
            let dx: Vec<String> = b
                .clinical_information
                .iter()
                .map(|c| format!("{} ({})", c.text, c.code))
                .collect();
            fields.push(("Diagnos", dx.join("; ")));
        }
        for a in &b.acts {
            let when = a.time.as_deref().map(display_time);
            let code = a.code.as_ref().map(|c| c.code.as_str()).unwrap_or("");
            let mut s = a.text.clone();
            if !code.is_empty() {
                s = format!("{s} ({code})");
            }
            if let Some(w) = when {
                s = format!("{s}, {w}");
            }
            fields.push(("Åtgärd", s));
        }
        if let Some(a) = &b.attested {
            let who = a.name.as_deref().unwrap_or(&a.hsa_id);
            fields.push(("Vidimerad", format!("{} av {who}", display_time(&a.time))));
        }
        ItemView {
            title,
            time: Self::filter_time(item).to_owned(),
            fields,
            text: Some(b.text.clone()),
            attention: false,
        }
    }
}
