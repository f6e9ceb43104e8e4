//! The second-generation ("JoL", Journal och Läkemedel) record header, shared by
//! GetCareDocumentation 3.0 (`urn:riv:clinicalprocess:healthcond:description:3`) and
//! GetLaboratoryOrderOutcome 4.0 (`urn:riv:clinicalprocess:healthcond:actoutcome:4`): an
//! `accessControlHeader` (accountable care giver and unit, patient, `blockComparisonTime`,
//! `approvedForPatient`), the source system, the record id and time, the author and the signature.
//!
//! Each domain declares these types in its own namespace and in a slightly different shape, so
//! every reader and writer takes the namespace (`ns`, written with the prefix `core:`) and a
//! [`Flavor`]:
//!
//! | | [`Flavor::Description3`] (CareDoc 3, header rules 2.2) | [`Flavor::Actoutcome4`] (Lab 4, header rules 1.2) |
//! |---|---|---|
//! | care giver | `accountableHealthcareProvider`, optional | `accountableCareGiver`, required |
//! | patient | `patientId`, required | `originalPatientId`, optional (there is no `patientId`) |
//! | `IIType.extension` | optional | required |
//! | `author.orgUnit` | yes | no such element |
//!
//! Not modelled (ignored when reading): `careProcessId`, `lockTime` (its use is forbidden by the
//! Lab 4 rules), and the author's org-unit telecom, e-mail, address and location.

use crate::common::{ContractError, Cv, ItemMeta, PatientSummaryHeader, PersonId, opt, req};
use crate::common::{check_timestamp, parse_bool};
use crate::xml::{Element, XmlWriter};
use serde::{Deserialize, Serialize};

/// OID of the HSA catalogue: the `root` of every HSA-id written as an `IIType`.
pub const OID_HSA: &str = "1.2.752.129.2.1.4.1";

type Result<T> = std::result::Result<T, ContractError>;

/// Which domain's shape of the header (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `clinicalprocess:healthcond:description:3` (GetCareDocumentation 3.0).
    Description3,
    /// `clinicalprocess:healthcond:actoutcome:4` (GetLaboratoryOrderOutcome 4.0).
    Actoutcome4,
}

/// An instance identifier (`IIType`): `root` is an OID (or UUID), `extension` the id within it.
///
/// Where the schema requires `extension` (actoutcome 4), [`Ii::write_strict`] writes an empty one
/// for `None` and [`Ii::parse_strict`] reads an empty one as `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ii {
    pub root: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

impl Ii {
    pub fn new(root: &str, extension: &str) -> Self {
        Ii {
            root: root.into(),
            extension: Some(extension.into()),
        }
    }

    /// An HSA-id (`root` = the HSA OID).
    pub fn hsa(id: &str) -> Self {
        Ii::new(OID_HSA, id)
    }

    /// The identifier as one string: the extension, else the root.
    pub fn id(&self) -> &str {
        self.extension.as_deref().unwrap_or(&self.root)
    }

    /// `IIType` whose `extension` is optional.
    pub fn parse(el: &Element, ns: &str) -> Result<Self> {
        Ok(Ii {
            root: req(el, ns, "root")?.to_owned(),
            extension: opt(el, ns, "extension"),
        })
    }

    /// `IIType` whose `extension` must be present (it may be empty: then `None`).
    pub fn parse_strict(el: &Element, ns: &str) -> Result<Self> {
        if el.child(ns, "extension").is_none() {
            return Err(ContractError::Missing("extension"));
        }
        Self::parse(el, ns)
    }

    /// Reads with the extension rule of `flavor`.
    pub fn parse_as(el: &Element, ns: &str, flavor: Flavor) -> Result<Self> {
        match flavor {
            Flavor::Description3 => Self::parse(el, ns),
            Flavor::Actoutcome4 => Self::parse_strict(el, ns),
        }
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:root", &self.root)
            .opt_text("core:extension", self.extension.as_deref())
            .close(tag);
    }

    /// Always writes `extension` (empty for `None`).
    pub fn write_strict(&self, w: &mut XmlWriter, tag: &str) {
        w.open(tag)
            .text("core:root", &self.root)
            .text("core:extension", self.extension.as_deref().unwrap_or(""))
            .close(tag);
    }

    /// Writes with the extension rule of `flavor`.
    pub fn write_as(&self, w: &mut XmlWriter, tag: &str, flavor: Flavor) {
        match flavor {
            Flavor::Description3 => self.write(w, tag),
            Flavor::Actoutcome4 => self.write_strict(w, tag),
        }
    }
}

/// A person identity written as an `IIType` (root = the identity's OID, extension = the 12
/// digits). The extension is required: without it there is no patient.
pub fn parse_person(el: &Element, ns: &str, flavor: Flavor) -> Result<PersonId> {
    let ii = Ii::parse_as(el, ns, flavor)?;
    Ok(PersonId {
        id: ii.extension.ok_or(ContractError::Missing("extension"))?,
        type_: ii.root,
    })
}

pub fn write_person(w: &mut XmlWriter, tag: &str, p: &PersonId) {
    w.open(tag)
        .text("core:root", &p.type_)
        .text("core:extension", &p.id)
        .close(tag);
}

/// An HSA-id written as an `IIType`; the extension is required (it is the HSA-id).
pub fn parse_hsa_id(el: &Element, ns: &str, flavor: Flavor) -> Result<String> {
    Ii::parse_as(el, ns, flavor)?
        .extension
        .ok_or(ContractError::Missing("extension"))
}

pub fn write_hsa_id(w: &mut XmlWriter, tag: &str, id: &str) {
    w.open(tag)
        .text("core:root", OID_HSA)
        .text("core:extension", id)
        .close(tag);
}

/// `AccessControlHeaderType`: what access control, blocks and the citizen view need before
/// anything else of the record is read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessControlHeader {
    /// `accountableHealthcareProvider` (CareDoc 3, optional) / `accountableCareGiver` (Lab 4,
    /// required: `None` is written as an HSA id with an empty extension, which reads back as
    /// `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountable_care_giver: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountable_care_unit: Option<Ii>,
    /// `patientId` (CareDoc 3, required) / `originalPatientId` (Lab 4, optional: an empty `id`
    /// means absent, and such a record belongs to no patient as far as npo is concerned).
    pub patient_id: PersonId,
    /// The registration time blocks compare against, `YYYYMMDDhhmmss`.
    pub block_comparison_time: String,
    pub approved_for_patient: bool,
}

impl AccessControlHeader {
    pub fn parse(el: &Element, ns: &str, flavor: Flavor) -> Result<Self> {
        let (giver_name, patient_name) = match flavor {
            Flavor::Description3 => ("accountableHealthcareProvider", "patientId"),
            Flavor::Actoutcome4 => ("accountableCareGiver", "originalPatientId"),
        };
        let accountable_care_giver = match el.child(ns, giver_name) {
            Some(g) => Some(Ii::parse_as(g, ns, flavor)?),
            None if flavor == Flavor::Actoutcome4 => {
                return Err(ContractError::Missing("accountableCareGiver"));
            }
            None => None,
        };
        // Lab 4 writes a missing care giver as an HSA id without extension.
        let accountable_care_giver = accountable_care_giver.filter(|g| {
            !(flavor == Flavor::Actoutcome4 && g.extension.is_none() && g.root == OID_HSA)
        });
        let patient_id = match el.child(ns, patient_name) {
            Some(p) => parse_person(p, ns, flavor)?,
            None if flavor == Flavor::Description3 => {
                return Err(ContractError::Missing("patientId"));
            }
            None => PersonId {
                id: String::new(),
                type_: String::new(),
            },
        };
        Ok(AccessControlHeader {
            accountable_care_giver,
            accountable_care_unit: el
                .child(ns, "accountableCareUnit")
                .map(|u| Ii::parse_as(u, ns, flavor))
                .transpose()?,
            patient_id,
            block_comparison_time: check_timestamp(
                req(el, ns, "blockComparisonTime")?.to_owned(),
                "blockComparisonTime",
            )?,
            approved_for_patient: parse_bool(
                req(el, ns, "approvedForPatient")?,
                "approvedForPatient",
            )?,
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str, flavor: Flavor) {
        w.open(tag);
        match flavor {
            Flavor::Description3 => {
                if let Some(g) = &self.accountable_care_giver {
                    g.write(w, "core:accountableHealthcareProvider");
                }
                if let Some(u) = &self.accountable_care_unit {
                    u.write(w, "core:accountableCareUnit");
                }
                write_person(w, "core:patientId", &self.patient_id);
            }
            Flavor::Actoutcome4 => {
                match &self.accountable_care_giver {
                    Some(g) => g.write_strict(w, "core:accountableCareGiver"),
                    None => Ii {
                        root: OID_HSA.into(),
                        extension: None,
                    }
                    .write_strict(w, "core:accountableCareGiver"),
                }
                if let Some(u) = &self.accountable_care_unit {
                    u.write_strict(w, "core:accountableCareUnit");
                }
                if !self.patient_id.id.is_empty() {
                    write_person(w, "core:originalPatientId", &self.patient_id);
                }
            }
        }
        w.text("core:blockComparisonTime", &self.block_comparison_time)
            .bool("core:approvedForPatient", self.approved_for_patient)
            .close(tag);
    }

    /// The facts every part of npo needs, for a record with `document_id` from `source_system`:
    /// registration time = `blockComparisonTime`, care unit and giver = the accountable ones.
    pub fn meta<'a>(&'a self, document_id: &'a str, source_system: &'a str) -> ItemMeta<'a> {
        ItemMeta {
            document_id,
            source_system,
            patient_id: &self.patient_id,
            registration_time: &self.block_comparison_time,
            care_unit: self
                .accountable_care_unit
                .as_ref()
                .and_then(|u| u.extension.as_deref()),
            care_giver: self
                .accountable_care_giver
                .as_ref()
                .and_then(|g| g.extension.as_deref()),
            approved_for_patient: self.approved_for_patient,
            care_contact_id: None,
        }
    }
}

/// `RecordType`: the record's id (stable across major versions of a contract) and when it was
/// created in the source system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub id: Ii,
    pub timestamp: String,
}

/// The org unit of an author (`OrgUnitType` of description 3; only id and name are modelled).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorOrgUnit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `AuthorType`: who documented the record, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_role: Option<Cv>,
    /// Description 3 only (not written for Lab 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<AuthorOrgUnit>,
}

/// `SignatureType` (and Lab 4's `AuthorType` used as a signature): who signed, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Ii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_role: Option<Cv>,
}

impl Signature {
    pub fn parse(el: &Element, ns: &str, flavor: Flavor) -> Result<Self> {
        Ok(Signature {
            id: el
                .child(ns, "id")
                .map(|i| Ii::parse_as(i, ns, flavor))
                .transpose()?,
            name: opt(el, ns, "name"),
            timestamp: check_timestamp(req(el, ns, "timestamp")?.to_owned(), "timestamp")?,
            by_role: el.child(ns, "byRole").map(|c| Cv::parse(c, ns)),
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str, flavor: Flavor) {
        w.open(tag);
        if let Some(i) = &self.id {
            i.write_as(w, "core:id", flavor);
        }
        w.opt_text("core:name", self.name.as_deref())
            .text("core:timestamp", &self.timestamp);
        if let Some(r) = &self.by_role {
            r.write(w, "core:byRole");
        }
        w.close(tag);
    }
}

impl Author {
    pub fn parse(el: &Element, ns: &str, flavor: Flavor) -> Result<Self> {
        let s = Signature::parse(el, ns, flavor)?;
        let org_unit = match flavor {
            Flavor::Description3 => el.child(ns, "orgUnit").map(|o| AuthorOrgUnit {
                hsa_id: opt(o, ns, "orgUnitHSAId"),
                name: opt(o, ns, "orgUnitName"),
            }),
            Flavor::Actoutcome4 => None,
        };
        Ok(Author {
            id: s.id,
            name: s.name,
            timestamp: s.timestamp,
            by_role: s.by_role,
            org_unit,
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str, flavor: Flavor) {
        w.open(tag);
        if let Some(i) = &self.id {
            i.write_as(w, "core:id", flavor);
        }
        w.opt_text("core:name", self.name.as_deref())
            .text("core:timestamp", &self.timestamp);
        if let Some(r) = &self.by_role {
            r.write(w, "core:byRole");
        }
        if let (Flavor::Description3, Some(o)) = (flavor, &self.org_unit) {
            w.open("core:orgUnit")
                .opt_text("core:orgUnitHSAId", o.hsa_id.as_deref())
                .opt_text("core:orgUnitName", o.name.as_deref())
                .close("core:orgUnit");
        }
        w.close(tag);
    }
}

/// `HeaderType`: the whole second-generation header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub access_control: AccessControlHeader,
    /// The source system (root = the HSA OID, extension = its HSA-id).
    pub source_system_id: Ii,
    pub record: Record,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

impl Header {
    pub fn parse(el: &Element, ns: &str, flavor: Flavor) -> Result<Self> {
        let child = |name: &'static str| el.child(ns, name).ok_or(ContractError::Missing(name));
        let record = child("record")?;
        Ok(Header {
            access_control: AccessControlHeader::parse(child("accessControlHeader")?, ns, flavor)?,
            source_system_id: Ii::parse_as(child("sourceSystemId")?, ns, flavor)?,
            record: Record {
                id: Ii::parse_as(
                    record.child(ns, "id").ok_or(ContractError::Missing("id"))?,
                    ns,
                    flavor,
                )?,
                timestamp: check_timestamp(req(record, ns, "timestamp")?.to_owned(), "timestamp")?,
            },
            author: el
                .child(ns, "author")
                .map(|a| Author::parse(a, ns, flavor))
                .transpose()?,
            signature: el
                .child(ns, "signature")
                .map(|s| Signature::parse(s, ns, flavor))
                .transpose()?,
        })
    }

    pub fn write(&self, w: &mut XmlWriter, tag: &str, flavor: Flavor) {
        w.open(tag);
        self.access_control
            .write(w, "core:accessControlHeader", flavor);
        self.source_system_id
            .write_as(w, "core:sourceSystemId", flavor);
        w.open("core:record");
        self.record.id.write_as(w, "core:id", flavor);
        w.text("core:timestamp", &self.record.timestamp)
            .close("core:record");
        if let Some(a) = &self.author {
            a.write(w, "core:author", flavor);
        }
        if let Some(s) = &self.signature {
            s.write(w, "core:signature", flavor);
        }
        w.close(tag);
    }

    /// The record id as one string (the extension, else the root).
    pub fn document_id(&self) -> &str {
        self.record.id.id()
    }

    /// The source system's HSA-id.
    pub fn source_system(&self) -> &str {
        self.source_system_id.id()
    }

    /// The facts every part of npo needs (see [`AccessControlHeader::meta`]).
    pub fn meta(&self) -> ItemMeta<'_> {
        self.access_control
            .meta(self.document_id(), self.source_system())
    }

    /// The same facts as a first-generation header: for a source system that serves both
    /// generations of a contract from one record. The record id is `root` = the source
    /// system's HSA-id, `extension` = the document id, so both generations share the id.
    pub fn from_first_generation(h: &PatientSummaryHeader) -> Self {
        let a = &h.accountable;
        Header {
            access_control: AccessControlHeader {
                accountable_care_giver: a.care_giver_hsa_id.as_deref().map(Ii::hsa),
                accountable_care_unit: a.care_unit_hsa_id.as_deref().map(Ii::hsa),
                patient_id: h.patient_id.clone(),
                block_comparison_time: a.author_time.clone(),
                approved_for_patient: h.approved_for_patient,
            },
            source_system_id: Ii::hsa(&h.source_system_hsa_id),
            record: Record {
                id: Ii::new(&h.source_system_hsa_id, &h.document_id),
                timestamp: a.author_time.clone(),
            },
            author: Some(Author {
                id: a.hsa_id.as_deref().map(Ii::hsa),
                name: a.name.clone(),
                timestamp: a.author_time.clone(),
                by_role: a.role_code.clone(),
                org_unit: a.org_unit.as_ref().map(|o| AuthorOrgUnit {
                    hsa_id: Some(o.hsa_id.clone()),
                    name: Some(o.name.clone()),
                }),
            }),
            signature: h.legal_authenticator.as_ref().map(|l| Signature {
                id: l.hsa_id.as_deref().map(Ii::hsa),
                name: l.name.clone(),
                timestamp: l.signature_time.clone(),
                by_role: None,
            }),
        }
    }
}
