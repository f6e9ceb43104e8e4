//! Consent (samtycke) and emergency access (nödöppning) for coherent record keeping.
//!
//! A consent is given by the patient to a care unit (all its staff) or to one person at the
//! unit, for a period. An emergency access is registered by the user, with a reason, when the
//! patient cannot consent; it is short-lived and every record read under it is logged as
//! `Nödöppning`. Cancelling (the patient's wish) and deleting (wrong registration) are permanent
//! and kept as history.

use crate::model::{Actor, MAX_TEXT_CHARS, is_readable_text};
use npo_riv::time::is_real_timestamp;
use npo_store::{Db, sqlx};
use serde::{Deserialize, Serialize};

/// How far in the past a consent may start (clock skew between the calling system and npo):
/// five minutes. A consent is registered when given, never backdated.
pub const MAX_BACKDATE_SECONDS: i64 = 300;

/// Longest an emergency access may be registered for: 24 hours.
pub const MAX_EMERGENCY_HOURS: i64 = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentKind {
    Consent,
    Emergency,
}

/// Whom a consent covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentScope {
    /// Every member of staff at the care unit.
    CareUnit,
    /// One person at the care unit.
    Person,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub id: String,
    pub patient_id: String,
    pub kind: ConsentKind,
    pub scope: ConsentScope,
    pub care_giver_hsa_id: String,
    pub care_unit_hsa_id: String,
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

impl Consent {
    pub fn is_active(&self, now: &str) -> bool {
        self.cancelled_at.is_none()
            && self.deleted_at.is_none()
            && self.valid_from.as_str() <= now
            && now <= self.valid_to.as_str()
    }

    /// Whether it covers `actor`: same care unit and care giver, and for a personal consent the
    /// same person.
    pub fn covers(&self, actor: &Actor) -> bool {
        self.care_unit_hsa_id == actor.assignment.care_unit_hsa_id
            && self.care_giver_hsa_id == actor.assignment.care_giver_hsa_id
            && match self.scope {
                ConsentScope::CareUnit => true,
                ConsentScope::Person => self.person_hsa_id.as_deref() == Some(&actor.person_hsa_id),
            }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("the patient id must be a valid personnummer or samordningsnummer (12 digits)")]
    PatientId,
    #[error("{0} must be YYYYMMDDhhmmss")]
    Time(&'static str),
    #[error("the validity period ends before it starts or has already ended")]
    Period,
    #[error("a consent starts when it is registered: valid_from may not be in the past")]
    Backdated,
    #[error("an emergency access needs a reason")]
    NoReason,
    #[error(
        "{0} must be readable text of at most {MAX_TEXT_CHARS} characters (letters or digits, no invisible characters)"
    )]
    Text(&'static str),
    #[error("an emergency access may last at most {MAX_EMERGENCY_HOURS} hours")]
    TooLong,
    #[error("no consent with that id")]
    NotFound,
    #[error("the consent was already cancelled or deleted")]
    AlreadyEnded,
    #[error("consent store unavailable")]
    Store(#[from] sqlx::Error),
}

const COLUMNS: &str = "id, patient_id, kind, scope, care_giver_hsa_id, care_unit_hsa_id, person_hsa_id, reason, \
     represented_by, valid_from, valid_to, registered_at, registered_by, cancelled_at, cancelled_by, deleted_at, \
     deleted_by, deleted_reason";

#[derive(sqlx::FromRow)]
struct ConsentRow {
    id: String,
    patient_id: String,
    kind: String,
    scope: String,
    care_giver_hsa_id: String,
    care_unit_hsa_id: String,
    person_hsa_id: Option<String>,
    reason: Option<String>,
    represented_by: Option<String>,
    valid_from: String,
    valid_to: String,
    registered_at: String,
    registered_by: String,
    cancelled_at: Option<String>,
    cancelled_by: Option<String>,
    deleted_at: Option<String>,
    deleted_by: Option<String>,
    deleted_reason: Option<String>,
}

impl From<ConsentRow> for Consent {
    fn from(r: ConsentRow) -> Self {
        Consent {
            id: r.id,
            patient_id: r.patient_id,
            kind: if r.kind == "Emergency" {
                ConsentKind::Emergency
            } else {
                ConsentKind::Consent
            },
            scope: if r.scope == "Person" {
                ConsentScope::Person
            } else {
                ConsentScope::CareUnit
            },
            care_giver_hsa_id: r.care_giver_hsa_id,
            care_unit_hsa_id: r.care_unit_hsa_id,
            person_hsa_id: r.person_hsa_id,
            reason: r.reason,
            represented_by: r.represented_by,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            registered_at: r.registered_at,
            registered_by: r.registered_by,
            cancelled_at: r.cancelled_at,
            cancelled_by: r.cancelled_by,
            deleted_at: r.deleted_at,
            deleted_by: r.deleted_by,
            deleted_reason: r.deleted_reason,
        }
    }
}

/// What to register.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewConsent {
    pub patient_id: String,
    pub scope: ConsentScope,
    pub valid_from: String,
    pub valid_to: String,
    #[serde(default)]
    pub represented_by: Option<String>,
}

/// The consent and emergency-access register.
#[derive(Clone, Debug)]
pub struct ConsentStore {
    db: Db,
}

fn check_patient(p: &str) -> Result<(), ConsentError> {
    if npo_riv::ids::is_valid_personal_identity(p) {
        Ok(())
    } else {
        Err(ConsentError::PatientId)
    }
}

impl ConsentStore {
    pub fn new(db: Db) -> Self {
        ConsentStore { db }
    }

    /// Registers the patient's consent for the actor's unit (or the actor personally).
    pub async fn register(&self, c: &NewConsent, actor: &Actor) -> Result<Consent, ConsentError> {
        check_patient(&c.patient_id)?;
        for (name, t) in [("valid_from", &c.valid_from), ("valid_to", &c.valid_to)] {
            if !is_real_timestamp(t) {
                return Err(ConsentError::Time(name));
            }
        }
        if let Some(by) = &c.represented_by
            && !is_readable_text(by, MAX_TEXT_CHARS)
        {
            return Err(ConsentError::Text("represented_by"));
        }
        let now = npo_riv::time::now_timestamp();
        if c.valid_to < c.valid_from || c.valid_to.as_str() < now.as_str() {
            return Err(ConsentError::Period);
        }
        let earliest =
            npo_riv::time::shifted(&now, chrono::Duration::seconds(-MAX_BACKDATE_SECONDS))
                .ok_or(ConsentError::Time("valid_from"))?;
        if c.valid_from.as_str() < earliest.as_str() {
            return Err(ConsentError::Backdated);
        }
        self.insert(
            ConsentKind::Consent,
            c.scope,
            &c.patient_id,
            actor,
            None,
            c.represented_by.clone(),
            &c.valid_from,
            &c.valid_to,
            &now,
        )
        .await
    }

    /// Registers an emergency access for the actor personally, from now for `hours` (at most
    /// [`MAX_EMERGENCY_HOURS`]).
    pub async fn register_emergency(
        &self,
        patient_id: &str,
        actor: &Actor,
        reason: &str,
        hours: i64,
    ) -> Result<Consent, ConsentError> {
        check_patient(patient_id)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ConsentError::NoReason);
        }
        if !is_readable_text(reason, MAX_TEXT_CHARS) {
            return Err(ConsentError::Text("the reason"));
        }
        if !(1..=MAX_EMERGENCY_HOURS).contains(&hours) {
            return Err(ConsentError::TooLong);
        }
        let now = npo_riv::time::now_timestamp();
        let to = npo_riv::time::shifted(&now, chrono::Duration::hours(hours))
            .ok_or(ConsentError::Time("valid_to"))?;
        self.insert(
            ConsentKind::Emergency,
            ConsentScope::Person,
            patient_id,
            actor,
            Some(reason.to_owned()),
            None,
            &now,
            &to,
            &now,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert(
        &self,
        kind: ConsentKind,
        scope: ConsentScope,
        patient_id: &str,
        actor: &Actor,
        reason: Option<String>,
        represented_by: Option<String>,
        from: &str,
        to: &str,
        now: &str,
    ) -> Result<Consent, ConsentError> {
        let consent = Consent {
            id: uuid::Uuid::new_v4().to_string(),
            patient_id: patient_id.to_owned(),
            kind,
            scope,
            care_giver_hsa_id: actor.assignment.care_giver_hsa_id.clone(),
            care_unit_hsa_id: actor.assignment.care_unit_hsa_id.clone(),
            person_hsa_id: (scope == ConsentScope::Person).then(|| actor.person_hsa_id.clone()),
            reason,
            represented_by,
            valid_from: from.to_owned(),
            valid_to: to.to_owned(),
            registered_at: now.to_owned(),
            registered_by: actor.person_hsa_id.clone(),
            cancelled_at: None,
            cancelled_by: None,
            deleted_at: None,
            deleted_by: None,
            deleted_reason: None,
        };
        sqlx::query(
            "INSERT INTO sec_consents (id, patient_id, kind, scope, care_giver_hsa_id, care_unit_hsa_id, person_hsa_id, \
             reason, represented_by, valid_from, valid_to, registered_at, registered_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&consent.id)
        .bind(&consent.patient_id)
        .bind(format!("{:?}", consent.kind))
        .bind(format!("{:?}", consent.scope))
        .bind(&consent.care_giver_hsa_id)
        .bind(&consent.care_unit_hsa_id)
        .bind(consent.person_hsa_id.as_deref())
        .bind(consent.reason.as_deref())
        .bind(consent.represented_by.as_deref())
        .bind(&consent.valid_from)
        .bind(&consent.valid_to)
        .bind(&consent.registered_at)
        .bind(&consent.registered_by)
        .execute(&self.db.pool)
        .await?;
        Ok(consent)
    }

    /// The consent or emergency access that lets `actor` see other care givers' records of the
    /// patient now, if any (a consent is preferred over an emergency access).
    pub async fn check(
        &self,
        patient_id: &str,
        actor: &Actor,
        now: &str,
    ) -> Result<Option<Consent>, ConsentError> {
        let rows: Vec<ConsentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_consents WHERE patient_id = $1 AND care_unit_hsa_id = $2 \
             AND cancelled_at IS NULL AND deleted_at IS NULL AND valid_from <= $3 AND valid_to >= $3"
        )))
        .bind(patient_id)
        .bind(&actor.assignment.care_unit_hsa_id)
        .bind(now)
        .fetch_all(&self.db.pool)
        .await?;
        let mut found: Vec<Consent> = rows
            .into_iter()
            .map(Consent::from)
            .filter(|c| c.covers(actor) && c.is_active(now))
            .collect();
        found.sort_by_key(|c| {
            (
                c.kind == ConsentKind::Emergency,
                std::cmp::Reverse(c.valid_to.clone()),
            )
        });
        Ok(found.into_iter().next())
    }

    /// One consent or emergency access by id, ended or not.
    pub async fn get(&self, id: &str) -> Result<Consent, ConsentError> {
        let row: Option<ConsentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_consents WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(Consent::from).ok_or(ConsentError::NotFound)
    }

    /// Every consent and emergency access of the patient, history included, newest first.
    pub async fn history(&self, patient_id: &str) -> Result<Vec<Consent>, ConsentError> {
        let rows: Vec<ConsentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_consents WHERE patient_id = $1 ORDER BY registered_at DESC, id"
        )))
        .bind(patient_id)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.into_iter().map(Consent::from).collect())
    }

    /// Cancels a consent at the patient's wish (permanent; kept as history).
    pub async fn cancel(&self, id: &str, by: &str) -> Result<(), ConsentError> {
        let now = npo_riv::time::now_timestamp();
        self.end(
            sqlx::query(
                "UPDATE sec_consents SET cancelled_at = $1, cancelled_by = $2 \
                 WHERE id = $3 AND cancelled_at IS NULL AND deleted_at IS NULL",
            )
            .bind(now)
            .bind(by)
            .bind(id),
            id,
        )
        .await
    }

    /// Deletes a wrongly registered consent (permanent; kept as history with the reason).
    pub async fn delete(&self, id: &str, by: &str, reason: &str) -> Result<(), ConsentError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ConsentError::NoReason);
        }
        if !is_readable_text(reason, MAX_TEXT_CHARS) {
            return Err(ConsentError::Text("the reason"));
        }
        let now = npo_riv::time::now_timestamp();
        self.end(
            sqlx::query(
                "UPDATE sec_consents SET deleted_at = $1, deleted_by = $2, deleted_reason = $3 \
                 WHERE id = $4 AND cancelled_at IS NULL AND deleted_at IS NULL",
            )
            .bind(now)
            .bind(by)
            .bind(reason)
            .bind(id),
            id,
        )
        .await
    }

    async fn end<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        id: &str,
    ) -> Result<(), ConsentError> {
        if q.execute(&self.db.pool).await?.rows_affected() == 1 {
            return Ok(());
        }
        let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM sec_consents WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        Err(if exists.is_some() {
            ConsentError::AlreadyEnded
        } else {
            ConsentError::NotFound
        })
    }
}
