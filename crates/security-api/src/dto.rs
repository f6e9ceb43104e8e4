//! The API's JSON types. They mirror the security crate's types field for field (the
//! conversions destructure every field, so a change there fails to compile here) and carry the
//! OpenAPI schemas. Request bodies reject unknown fields, so a misspelt optional field is an
//! error rather than silently ignored.
//!
//! Where the API differs from the security crate's own serde form, it is to make the JSON
//! plainer: a block period is `{from, to}` (not a two-element array), and whom a temporary
//! revoke is for is `{"care_unit": id}` or `{"employee": id}` in a field named `for`.

use npo_security as sec;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An error. The message never holds a patient's personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// What was wrong, in English.
    #[schema(example = "the patient id must be 12 digits")]
    pub error: String,
}

// ---------------------------------------------------------------------------------------------
// Directory

/// What kind of organisation a care giver is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CareGiverKind {
    Region,
    Municipality,
    Private,
}

/// A care giver (vårdgivare).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareGiver {
    #[schema(example = "SE2321000016-7P5T")]
    pub hsa_id: String,
    #[schema(example = "Region Stockholm")]
    pub name: String,
    /// The organisation number (10 digits).
    #[schema(example = "2321000016")]
    pub org_no: String,
    pub kind: CareGiverKind,
}

/// A care unit (vårdenhet) of a care giver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareUnit {
    #[schema(example = "SE2321000016-A1B2")]
    pub hsa_id: String,
    #[schema(example = "Vårdcentralen Salem")]
    pub name: String,
    #[schema(example = "SE2321000016-7P5T")]
    pub care_giver_hsa_id: String,
}

/// A person in the directory (a member of staff).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    #[schema(example = "SE2321000016-P001")]
    pub hsa_id: String,
    pub given_name: String,
    pub family_name: String,
    /// Profession, e.g. `Läkare`, `Sjuksköterska`.
    #[schema(example = "Läkare")]
    pub title: String,
}

/// An employee assignment (medarbetaruppdrag) as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmployeeAssignment {
    #[schema(example = "SE2321000016-U001")]
    pub hsa_id: String,
    #[schema(example = "SE2321000016-P001")]
    pub person_hsa_id: String,
    #[schema(example = "Distriktsläkare")]
    pub name: String,
    #[schema(example = "SE2321000016-A1B2")]
    pub care_unit_hsa_id: String,
    /// Only `Vård och behandling` gives access to patient information.
    #[schema(example = "Vård och behandling")]
    pub purpose: String,
    /// Rights as `activity;informationType;scope`, scope `VE`, `VG` or `SJF`.
    #[schema(example = json!(["Läsa;alla;SJF", "Läsa;alla;VG"]))]
    pub rights: Vec<String>,
}

/// A system (function certificate holder).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct System {
    #[schema(example = "SE2321000016-S001")]
    pub hsa_id: String,
    pub name: String,
    /// The care giver whose system it is; absent for national services.
    pub care_giver_hsa_id: Option<String>,
    /// The care givers the system serves besides its own: as a consumer of this API it acts
    /// only for users of its own care giver and these.
    #[serde(default)]
    #[schema(example = json!(["SE2120003140-K001"]))]
    pub serves: Vec<String>,
}

/// How many of each the directory holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DirectoryCounts {
    pub care_givers: i64,
    pub care_units: i64,
    pub persons: i64,
    pub assignments: i64,
    pub systems: i64,
}

impl From<sec::directory::DirectoryCounts> for DirectoryCounts {
    fn from(c: sec::directory::DirectoryCounts) -> Self {
        DirectoryCounts {
            care_givers: c.care_givers,
            care_units: c.care_units,
            persons: c.persons,
            assignments: c.assignments,
            systems: c.systems,
        }
    }
}

/// One replacement of the directory: who (the administrator's certificate HSA-id, or the CLI's
/// operator), when, how (`api` or `cli`), and what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DirectoryAudit {
    pub id: String,
    #[schema(example = "20250101120000")]
    pub changed_at: String,
    pub changed_by: String,
    pub via: String,
    /// The replacement dropped more than the configured share and was forced (CLI only).
    pub forced: bool,
    pub before: DirectoryCounts,
    pub after: DirectoryCounts,
    /// SHA-256 (hex) of the directory before and after, in its export form.
    pub digest_before: String,
    pub digest_after: String,
}

impl From<sec::directory::DirectoryAudit> for DirectoryAudit {
    fn from(a: sec::directory::DirectoryAudit) -> Self {
        DirectoryAudit {
            id: a.id,
            changed_at: a.changed_at,
            changed_by: a.changed_by,
            via: a.via,
            forced: a.forced,
            before: a.before.into(),
            after: a.after.into(),
            digest_before: a.digest_before,
            digest_after: a.digest_after,
        }
    }
}

/// The whole HSA directory, as exported and imported. An import replaces everything and is
/// validated as a whole (HSA-ids, uniqueness, references, rights): if it is invalid nothing
/// changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    #[serde(default)]
    pub care_givers: Vec<CareGiver>,
    #[serde(default)]
    pub care_units: Vec<CareUnit>,
    #[serde(default)]
    pub persons: Vec<Person>,
    #[serde(default)]
    pub assignments: Vec<EmployeeAssignment>,
    #[serde(default)]
    pub systems: Vec<System>,
}

impl From<sec::directory::CareGiverKind> for CareGiverKind {
    fn from(k: sec::directory::CareGiverKind) -> Self {
        use sec::directory::CareGiverKind as K;
        match k {
            K::Region => CareGiverKind::Region,
            K::Municipality => CareGiverKind::Municipality,
            K::Private => CareGiverKind::Private,
        }
    }
}

impl From<CareGiverKind> for sec::directory::CareGiverKind {
    fn from(k: CareGiverKind) -> Self {
        use sec::directory::CareGiverKind as K;
        match k {
            CareGiverKind::Region => K::Region,
            CareGiverKind::Municipality => K::Municipality,
            CareGiverKind::Private => K::Private,
        }
    }
}

impl From<sec::directory::Directory> for Directory {
    fn from(d: sec::directory::Directory) -> Self {
        let sec::directory::Directory {
            care_givers,
            care_units,
            persons,
            assignments,
            systems,
        } = d;
        Directory {
            care_givers: care_givers
                .into_iter()
                .map(|g| {
                    let sec::directory::CareGiver {
                        hsa_id,
                        name,
                        org_no,
                        kind,
                    } = g;
                    CareGiver {
                        hsa_id,
                        name,
                        org_no,
                        kind: kind.into(),
                    }
                })
                .collect(),
            care_units: care_units
                .into_iter()
                .map(|u| {
                    let sec::directory::CareUnit {
                        hsa_id,
                        name,
                        care_giver_hsa_id,
                    } = u;
                    CareUnit {
                        hsa_id,
                        name,
                        care_giver_hsa_id,
                    }
                })
                .collect(),
            persons: persons
                .into_iter()
                .map(|p| {
                    let sec::directory::Person {
                        hsa_id,
                        given_name,
                        family_name,
                        title,
                    } = p;
                    Person {
                        hsa_id,
                        given_name,
                        family_name,
                        title,
                    }
                })
                .collect(),
            assignments: assignments
                .into_iter()
                .map(|a| {
                    let sec::directory::EmployeeAssignment {
                        hsa_id,
                        person_hsa_id,
                        name,
                        care_unit_hsa_id,
                        purpose,
                        rights,
                    } = a;
                    EmployeeAssignment {
                        hsa_id,
                        person_hsa_id,
                        name,
                        care_unit_hsa_id,
                        purpose,
                        rights,
                    }
                })
                .collect(),
            systems: systems
                .into_iter()
                .map(|s| {
                    let sec::directory::System {
                        hsa_id,
                        name,
                        care_giver_hsa_id,
                        serves,
                    } = s;
                    System {
                        hsa_id,
                        name,
                        care_giver_hsa_id,
                        serves,
                    }
                })
                .collect(),
        }
    }
}

impl From<Directory> for sec::directory::Directory {
    fn from(d: Directory) -> Self {
        let Directory {
            care_givers,
            care_units,
            persons,
            assignments,
            systems,
        } = d;
        sec::directory::Directory {
            care_givers: care_givers
                .into_iter()
                .map(|g| {
                    let CareGiver {
                        hsa_id,
                        name,
                        org_no,
                        kind,
                    } = g;
                    sec::directory::CareGiver {
                        hsa_id,
                        name,
                        org_no,
                        kind: kind.into(),
                    }
                })
                .collect(),
            care_units: care_units
                .into_iter()
                .map(|u| {
                    let CareUnit {
                        hsa_id,
                        name,
                        care_giver_hsa_id,
                    } = u;
                    sec::directory::CareUnit {
                        hsa_id,
                        name,
                        care_giver_hsa_id,
                    }
                })
                .collect(),
            persons: persons
                .into_iter()
                .map(|p| {
                    let Person {
                        hsa_id,
                        given_name,
                        family_name,
                        title,
                    } = p;
                    sec::directory::Person {
                        hsa_id,
                        given_name,
                        family_name,
                        title,
                    }
                })
                .collect(),
            assignments: assignments
                .into_iter()
                .map(|a| {
                    let EmployeeAssignment {
                        hsa_id,
                        person_hsa_id,
                        name,
                        care_unit_hsa_id,
                        purpose,
                        rights,
                    } = a;
                    sec::directory::EmployeeAssignment {
                        hsa_id,
                        person_hsa_id,
                        name,
                        care_unit_hsa_id,
                        purpose,
                        rights,
                    }
                })
                .collect(),
            systems: systems
                .into_iter()
                .map(|s| {
                    let System {
                        hsa_id,
                        name,
                        care_giver_hsa_id,
                        serves,
                    } = s;
                    sec::directory::System {
                        hsa_id,
                        name,
                        care_giver_hsa_id,
                        serves,
                    }
                })
                .collect(),
        }
    }
}

/// How far a right reaches: `VE` own care unit, `VG` other units of the own care giver, `SJF`
/// other care givers (coherent record keeping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    #[serde(rename = "VE")]
    CareUnit,
    #[serde(rename = "VG")]
    CareGiver,
    #[serde(rename = "SJF")]
    Coherent,
}

impl From<sec::Scope> for Scope {
    fn from(s: sec::Scope) -> Self {
        match s {
            sec::Scope::CareUnit => Scope::CareUnit,
            sec::Scope::CareGiver => Scope::CareGiver,
            sec::Scope::Coherent => Scope::Coherent,
        }
    }
}

/// One right of an assignment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Right {
    #[schema(example = "Läsa")]
    pub activity: String,
    /// An information type (`dia`, `voo`, …) or `alla` for every type.
    #[schema(example = "alla")]
    pub information_type: String,
    pub scope: Scope,
}

/// An employee assignment resolved with its care unit and care giver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    #[schema(example = "SE2321000016-U001")]
    pub hsa_id: String,
    pub name: String,
    #[schema(example = "Vård och behandling")]
    pub purpose: String,
    pub care_unit_hsa_id: String,
    pub care_unit_name: String,
    pub care_giver_hsa_id: String,
    pub care_giver_name: String,
    pub rights: Vec<Right>,
}

impl From<sec::Assignment> for Assignment {
    fn from(a: sec::Assignment) -> Self {
        let sec::Assignment {
            hsa_id,
            name,
            purpose,
            care_unit_hsa_id,
            care_unit_name,
            care_giver_hsa_id,
            care_giver_name,
            rights,
        } = a;
        Assignment {
            hsa_id,
            name,
            purpose,
            care_unit_hsa_id,
            care_unit_name,
            care_giver_hsa_id,
            care_giver_name,
            rights: rights
                .into_iter()
                .map(|r| {
                    let sec::Right {
                        activity,
                        information_type,
                        scope,
                    } = r;
                    Right {
                        activity,
                        information_type,
                        scope: scope.into(),
                    }
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Relations

/// A patient relation (patientrelation) the user attested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Relation {
    pub id: String,
    #[schema(example = "191212121212")]
    pub patient_id: String,
    pub person_hsa_id: String,
    pub care_unit_hsa_id: String,
    pub care_giver_hsa_id: String,
    /// `YYYYMMDDhhmmss`, Swedish local time.
    pub valid_from: String,
    /// `YYYYMMDDhhmmss`, Swedish local time.
    pub valid_to: String,
    pub registered_at: String,
    pub cancelled_at: Option<String>,
    pub cancelled_by: Option<String>,
}

impl From<sec::relation::Relation> for Relation {
    fn from(r: sec::relation::Relation) -> Self {
        let sec::relation::Relation {
            id,
            patient_id,
            person_hsa_id,
            care_unit_hsa_id,
            care_giver_hsa_id,
            valid_from,
            valid_to,
            registered_at,
            cancelled_at,
            cancelled_by,
        } = r;
        Relation {
            id,
            patient_id,
            person_hsa_id,
            care_unit_hsa_id,
            care_giver_hsa_id,
            valid_from,
            valid_to,
            registered_at,
            cancelled_at,
            cancelled_by,
        }
    }
}

/// A relation to attest, for the acting user at their assignment's care unit, from now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelation {
    /// `YYYYMMDDhhmmss`, in the future and at most 90 days ahead.
    #[schema(example = "20300101120000")]
    pub valid_to: String,
}

// ---------------------------------------------------------------------------------------------
// Consents

/// A consent (samtycke) or an emergency access (nödöppning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ConsentKind {
    Consent,
    Emergency,
}

/// Whom a consent covers: all staff of the care unit, or one person at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ConsentScope {
    CareUnit,
    Person,
}

impl From<sec::consent::ConsentKind> for ConsentKind {
    fn from(k: sec::consent::ConsentKind) -> Self {
        match k {
            sec::consent::ConsentKind::Consent => ConsentKind::Consent,
            sec::consent::ConsentKind::Emergency => ConsentKind::Emergency,
        }
    }
}

impl From<sec::consent::ConsentScope> for ConsentScope {
    fn from(s: sec::consent::ConsentScope) -> Self {
        match s {
            sec::consent::ConsentScope::CareUnit => ConsentScope::CareUnit,
            sec::consent::ConsentScope::Person => ConsentScope::Person,
        }
    }
}

impl From<ConsentScope> for sec::consent::ConsentScope {
    fn from(s: ConsentScope) -> Self {
        match s {
            ConsentScope::CareUnit => sec::consent::ConsentScope::CareUnit,
            ConsentScope::Person => sec::consent::ConsentScope::Person,
        }
    }
}

/// A registered consent or emergency access, with its history (cancelled, deleted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    pub id: String,
    #[schema(example = "191212121212")]
    pub patient_id: String,
    pub kind: ConsentKind,
    pub scope: ConsentScope,
    pub care_giver_hsa_id: String,
    pub care_unit_hsa_id: String,
    /// The person a personal consent or an emergency access is for.
    pub person_hsa_id: Option<String>,
    /// Why an emergency access was needed.
    pub reason: Option<String>,
    /// Who consented on the patient's behalf, if not the patient.
    pub represented_by: Option<String>,
    pub valid_from: String,
    pub valid_to: String,
    pub registered_at: String,
    pub registered_by: String,
    pub cancelled_at: Option<String>,
    pub cancelled_by: Option<String>,
    pub deleted_at: Option<String>,
    pub deleted_by: Option<String>,
    pub deleted_reason: Option<String>,
}

impl From<sec::consent::Consent> for Consent {
    fn from(c: sec::consent::Consent) -> Self {
        let sec::consent::Consent {
            id,
            patient_id,
            kind,
            scope,
            care_giver_hsa_id,
            care_unit_hsa_id,
            person_hsa_id,
            reason,
            represented_by,
            valid_from,
            valid_to,
            registered_at,
            registered_by,
            cancelled_at,
            cancelled_by,
            deleted_at,
            deleted_by,
            deleted_reason,
        } = c;
        Consent {
            id,
            patient_id,
            kind: kind.into(),
            scope: scope.into(),
            care_giver_hsa_id,
            care_unit_hsa_id,
            person_hsa_id,
            reason,
            represented_by,
            valid_from,
            valid_to,
            registered_at,
            registered_by,
            cancelled_at,
            cancelled_by,
            deleted_at,
            deleted_by,
            deleted_reason,
        }
    }
}

/// The patient's consent, for the acting user's care unit (`CareUnit`) or the acting user
/// personally (`Person`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    pub scope: ConsentScope,
    /// `YYYYMMDDhhmmss`.
    #[schema(example = "20250101000000")]
    pub valid_from: String,
    /// `YYYYMMDDhhmmss`, not before `valid_from` and not in the past.
    #[schema(example = "20300101000000")]
    pub valid_to: String,
    /// Who consented on the patient's behalf, if not the patient.
    #[serde(default)]
    pub represented_by: Option<String>,
}

impl NewConsent {
    pub(crate) fn into_service(self, patient_id: String) -> sec::consent::NewConsent {
        let NewConsent {
            scope,
            valid_from,
            valid_to,
            represented_by,
        } = self;
        sec::consent::NewConsent {
            patient_id,
            scope: scope.into(),
            valid_from,
            valid_to,
            represented_by,
        }
    }
}

/// An emergency access for the acting user personally, from now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEmergencyAccess {
    /// Why the patient's records are needed without consent. Required.
    #[schema(example = "Medvetslös patient, akut omhändertagande")]
    pub reason: String,
    /// How long, from now: 1 to 24 hours.
    #[schema(example = 4, minimum = 1, maximum = 24)]
    pub hours: i64,
}

/// Why a consent is deleted (a wrong registration).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentDeletion {
    /// Required.
    #[schema(example = "Registrerat på fel patient")]
    pub reason: String,
}

// ---------------------------------------------------------------------------------------------
// Blocks

/// `Outer` (yttre spärr): the care giver's records, hidden from everyone outside it. `Inner`
/// (inre spärr): one care unit's records, hidden from everyone outside that unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum BlockKind {
    Outer,
    Inner,
}

impl From<sec::blocks::BlockKind> for BlockKind {
    fn from(k: sec::blocks::BlockKind) -> Self {
        match k {
            sec::blocks::BlockKind::Outer => BlockKind::Outer,
            sec::blocks::BlockKind::Inner => BlockKind::Inner,
        }
    }
}

impl From<BlockKind> for sec::blocks::BlockKind {
    fn from(k: BlockKind) -> Self {
        match k {
            BlockKind::Outer => sec::blocks::BlockKind::Outer,
            BlockKind::Inner => sec::blocks::BlockKind::Inner,
        }
    }
}

/// A period of registration time, both ends included, `YYYYMMDDhhmmss`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    #[schema(example = "20200101000000")]
    pub from: String,
    #[schema(example = "20231231235959")]
    pub to: String,
}

/// Whom a temporary revoke lets see the blocked records: every member of staff acting for a
/// care unit, or one employee while acting for one care unit (the unit is always part of a
/// revoke). Through this API, only the acting user's own unit, or the acting user at it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RevokeFor {
    /// The care unit's HSA-id.
    CareUnit(String),
    /// The employee's person HSA-id and the care unit they act for.
    Employee {
        person_hsa_id: String,
        care_unit_hsa_id: String,
    },
}

impl From<sec::blocks::RevokeFor> for RevokeFor {
    fn from(f: sec::blocks::RevokeFor) -> Self {
        match f {
            sec::blocks::RevokeFor::CareUnit(id) => RevokeFor::CareUnit(id),
            sec::blocks::RevokeFor::Employee {
                person_hsa_id,
                care_unit_hsa_id,
            } => RevokeFor::Employee {
                person_hsa_id,
                care_unit_hsa_id,
            },
        }
    }
}

impl From<RevokeFor> for sec::blocks::RevokeFor {
    fn from(f: RevokeFor) -> Self {
        match f {
            RevokeFor::CareUnit(id) => sec::blocks::RevokeFor::CareUnit(id),
            RevokeFor::Employee {
                person_hsa_id,
                care_unit_hsa_id,
            } => sec::blocks::RevokeFor::Employee {
                person_hsa_id,
                care_unit_hsa_id,
            },
        }
    }
}

/// Why a block is temporarily revoked: the patient consented, or an emergency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum RevokeReason {
    PatientConsent,
    Emergency,
}

impl From<sec::blocks::RevokeReason> for RevokeReason {
    fn from(r: sec::blocks::RevokeReason) -> Self {
        match r {
            sec::blocks::RevokeReason::PatientConsent => RevokeReason::PatientConsent,
            sec::blocks::RevokeReason::Emergency => RevokeReason::Emergency,
        }
    }
}

impl From<RevokeReason> for sec::blocks::RevokeReason {
    fn from(r: RevokeReason) -> Self {
        match r {
            RevokeReason::PatientConsent => sec::blocks::RevokeReason::PatientConsent,
            RevokeReason::Emergency => sec::blocks::RevokeReason::Emergency,
        }
    }
}

/// A temporary revoke (tillfälligt hävande) of one block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TemporaryRevoke {
    pub id: String,
    pub block_id: String,
    #[serde(rename = "for")]
    pub for_: RevokeFor,
    pub reason: RevokeReason,
    /// `YYYYMMDDhhmmss`: the revoke lifts the block until then.
    pub valid_until: String,
    pub registered_at: String,
    pub registered_by: String,
}

impl From<sec::blocks::TemporaryRevoke> for TemporaryRevoke {
    fn from(r: sec::blocks::TemporaryRevoke) -> Self {
        let sec::blocks::TemporaryRevoke {
            id,
            block_id,
            revoke_for,
            reason,
            valid_until,
            registered_at,
            registered_by,
        } = r;
        TemporaryRevoke {
            id,
            block_id,
            for_: revoke_for.into(),
            reason: reason.into(),
            valid_until,
            registered_at,
            registered_by,
        }
    }
}

/// A temporary revoke to register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemporaryRevoke {
    #[serde(rename = "for")]
    pub for_: RevokeFor,
    pub reason: RevokeReason,
    /// `YYYYMMDDhhmmss`, in the future and at most 30 days ahead.
    #[schema(example = "20300101120000")]
    pub valid_until: String,
}

/// A block (spärr) with its temporary revokes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Block {
    pub id: String,
    #[schema(example = "191212121212")]
    pub patient_id: String,
    pub kind: BlockKind,
    pub care_giver_hsa_id: String,
    /// The blocked unit (inner blocks only).
    pub care_unit_hsa_id: Option<String>,
    /// The registration time the block covers; absent for all records.
    pub period: Option<Period>,
    /// Information types the block does not cover (`lak`, `upp`).
    pub excluded_types: Vec<String>,
    pub registered_at: String,
    pub registered_by: String,
    /// Set when the patient revoked the block (permanent).
    pub revoked_at: Option<String>,
    /// Set when the block was deleted as a wrong registration (permanent).
    pub deleted_at: Option<String>,
    pub temporary_revokes: Vec<TemporaryRevoke>,
}

impl From<sec::blocks::Block> for Block {
    fn from(b: sec::blocks::Block) -> Self {
        let sec::blocks::Block {
            id,
            patient_id,
            kind,
            care_giver_hsa_id,
            care_unit_hsa_id,
            period,
            excluded_types,
            registered_at,
            registered_by,
            revoked_at,
            deleted_at,
            temporary_revokes,
        } = b;
        Block {
            id,
            patient_id,
            kind: kind.into(),
            care_giver_hsa_id,
            care_unit_hsa_id,
            period: period.map(|(from, to)| Period { from, to }),
            excluded_types,
            registered_at,
            registered_by,
            revoked_at,
            deleted_at,
            temporary_revokes: temporary_revokes.into_iter().map(Into::into).collect(),
        }
    }
}

/// A block to register; the acting user is recorded as who registered it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBlock {
    pub kind: BlockKind,
    #[schema(example = "SE2321000016-7P5T")]
    pub care_giver_hsa_id: String,
    /// Required for inner blocks, absent for outer ones.
    #[serde(default)]
    pub care_unit_hsa_id: Option<String>,
    /// Limits the block to records registered in this period.
    #[serde(default)]
    pub period: Option<Period>,
    /// Information types the block leaves uncovered: only `lak` and `upp` may be.
    #[serde(default)]
    #[schema(example = json!(["lak"]))]
    pub excluded_types: Vec<String>,
}

impl NewBlock {
    pub(crate) fn into_service(self, patient_id: String) -> sec::blocks::NewBlock {
        let NewBlock {
            kind,
            care_giver_hsa_id,
            care_unit_hsa_id,
            period,
            excluded_types,
        } = self;
        sec::blocks::NewBlock {
            patient_id,
            kind: kind.into(),
            care_giver_hsa_id,
            care_unit_hsa_id,
            period: period.map(|Period { from, to }| (from, to)),
            excluded_types,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Access log

/// What the user did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Activity {
    #[serde(rename = "Läsa")]
    Read,
    #[serde(rename = "Nödöppning")]
    Emergency,
    #[serde(rename = "Utskrift")]
    Print,
    #[serde(rename = "Hävd spärr")]
    BlockRevoked,
    /// A block lifted under emergency access: both.
    #[serde(rename = "Nödöppning, hävd spärr")]
    EmergencyBlockRevoked,
}

impl From<sec::access_log::Activity> for Activity {
    fn from(a: sec::access_log::Activity) -> Self {
        use sec::access_log::Activity as A;
        match a {
            A::Read => Activity::Read,
            A::Emergency => Activity::Emergency,
            A::Print => Activity::Print,
            A::BlockRevoked => Activity::BlockRevoked,
            A::EmergencyBlockRevoked => Activity::EmergencyBlockRevoked,
        }
    }
}

/// One delivered record: its source system and `documentId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordRef {
    pub source_system_hsa_id: String,
    pub document_id: String,
}

/// One logged look: one information type of one care unit, in one read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LogEntry {
    /// The log id.
    pub id: String,
    /// `YYYYMMDDhhmmss`, Swedish local time.
    pub time: String,
    /// The consuming system.
    pub system_hsa_id: String,
    pub activity: Activity,
    #[schema(example = "Vård och behandling")]
    pub purpose: String,
    pub user_hsa_id: String,
    pub user_name: String,
    pub user_assignment_hsa_id: String,
    pub user_assignment_name: String,
    pub user_care_unit_hsa_id: String,
    pub user_care_unit_name: String,
    pub user_care_giver_hsa_id: String,
    pub user_care_giver_name: String,
    pub information_type: String,
    pub patient_id: String,
    /// The care giver that holds the information.
    pub resource_care_giver_hsa_id: String,
    /// The care unit that holds the information.
    pub resource_care_unit_hsa_id: String,
    /// The records delivered to the user.
    pub records: Vec<RecordRef>,
}

impl From<sec::access_log::Entry> for LogEntry {
    fn from(e: sec::access_log::Entry) -> Self {
        let sec::access_log::Entry {
            id,
            time,
            system_hsa_id,
            activity,
            purpose,
            user_hsa_id,
            user_name,
            user_assignment_hsa_id,
            user_assignment_name,
            user_care_unit_hsa_id,
            user_care_unit_name,
            user_care_giver_hsa_id,
            user_care_giver_name,
            information_type,
            patient_id,
            resource_care_giver_hsa_id,
            resource_care_unit_hsa_id,
            records,
        } = e;
        LogEntry {
            id,
            time,
            system_hsa_id,
            activity: activity.into(),
            purpose,
            user_hsa_id,
            user_name,
            user_assignment_hsa_id,
            user_assignment_name,
            user_care_unit_hsa_id,
            user_care_unit_name,
            user_care_giver_hsa_id,
            user_care_giver_name,
            information_type,
            patient_id,
            resource_care_giver_hsa_id,
            resource_care_unit_hsa_id,
            records: records
                .0
                .into_iter()
                .map(|r| {
                    let sec::access_log::RecordRef {
                        source_system_hsa_id,
                        document_id,
                    } = r;
                    RecordRef {
                        source_system_hsa_id,
                        document_id,
                    }
                })
                .collect(),
        }
    }
}

/// A page of log entries, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LogPage {
    /// Entries skipped.
    pub offset: u32,
    /// Most entries asked for (after capping at 500).
    pub limit: u32,
    pub entries: Vec<LogEntry>,
}

/// A user who opened many patients' records in a follow-up window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeavyUser {
    pub user_hsa_id: String,
    pub user_name: String,
    pub distinct_patients: u64,
    pub entries: u64,
}

/// The follow-up (uppföljning) of a time window, for auditors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpReport {
    /// `YYYYMMDDhhmmss`.
    pub from: String,
    /// `YYYYMMDDhhmmss`.
    pub to: String,
    pub threshold: u64,
    /// Emergency accesses (`Nödöppning`, `Nödöppning, hävd spärr`), newest first.
    pub emergency: Vec<LogEntry>,
    /// More emergency accesses matched than the report lists (10,000).
    pub emergency_truncated: bool,
    /// Accesses to another care giver's information, newest first.
    pub coherent: Vec<LogEntry>,
    pub coherent_truncated: bool,
    /// Users who opened more than `threshold` distinct patients, most first.
    pub heavy_users: Vec<HeavyUser>,
}

impl From<sec::access_log::FollowUpReport> for FollowUpReport {
    fn from(r: sec::access_log::FollowUpReport) -> Self {
        let sec::access_log::FollowUpReport {
            from,
            to,
            threshold,
            emergency,
            emergency_truncated,
            coherent,
            coherent_truncated,
            heavy_users,
        } = r;
        FollowUpReport {
            from,
            to,
            threshold: u64::try_from(threshold).unwrap_or(u64::MAX),
            emergency: emergency.into_iter().map(Into::into).collect(),
            emergency_truncated,
            coherent: coherent.into_iter().map(Into::into).collect(),
            coherent_truncated,
            heavy_users: heavy_users
                .into_iter()
                .map(|h| {
                    let sec::access_log::HeavyUser {
                        user_hsa_id,
                        user_name,
                        distinct_patients,
                        entries,
                    } = h;
                    HeavyUser {
                        user_hsa_id,
                        user_name,
                        distinct_patients,
                        entries,
                    }
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Query strings

/// The access-log query: exactly one of `patient`, `user` and `care_giver`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// The accesses to one patient's information (12 digits) by the auditor's care giver's
    /// users.
    #[param(nullable = false)]
    pub patient: Option<String>,
    /// The entries of one user (person HSA-id).
    #[param(nullable = false)]
    pub user: Option<String>,
    /// The entries of users acting for one care giver (HSA-id): the auditor's own.
    #[param(nullable = false)]
    pub care_giver: Option<String>,
    /// Entries to skip (default 0).
    #[param(nullable = false)]
    pub offset: Option<u32>,
    /// Most entries to return (default 100, at most 500).
    #[param(nullable = false)]
    pub limit: Option<u32>,
}

/// The follow-up window.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    /// Start, `YYYYMMDDhhmmss` or `YYYYMMDD` (from the start of that day).
    #[param(example = "20250101")]
    pub from: String,
    /// End, `YYYYMMDDhhmmss` or `YYYYMMDD` (to the end of that day).
    #[param(example = "20250131")]
    pub to: String,
    /// Users who opened more than this many distinct patients are listed (default 50).
    #[param(nullable = false)]
    pub threshold: Option<u32>,
}

/// Who acts: the user the calling system authenticated, in the assignment they chose.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct ActingUserHeaders {
    /// The acting user's person HSA-id. The calling system vouches for having authenticated
    /// the user (e.g. with SITHS).
    #[serde(rename = "x-npo-user-hsaid")]
    #[param(rename = "x-npo-user-hsaid", example = "SE2321000016-P001")]
    pub user: String,
    /// The HSA-id of the employee assignment the user acts in; it must be the user's.
    #[serde(rename = "x-npo-assignment-hsaid")]
    #[param(rename = "x-npo-assignment-hsaid", example = "SE2321000016-U001")]
    pub assignment: String,
}
