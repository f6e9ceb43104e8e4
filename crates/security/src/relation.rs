//! Patient relations (patientrelation): the user attests a current care relation with the
//! patient, valid for a period, before reading anything about them.

use crate::model::Actor;
use npo_riv::common::is_timestamp;
use npo_store::{Db, sqlx};
use serde::{Deserialize, Serialize};

/// Longest a relation may be attested for: 90 days.
pub const MAX_RELATION_DAYS: i64 = 90;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Relation {
    pub id: String,
    pub patient_id: String,
    pub person_hsa_id: String,
    pub care_unit_hsa_id: String,
    pub care_giver_hsa_id: String,
    pub valid_from: String,
    pub valid_to: String,
    pub registered_at: String,
    pub cancelled_at: Option<String>,
    pub cancelled_by: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RelationError {
    #[error("the patient id must be a valid personnummer or samordningsnummer (12 digits)")]
    PatientId,
    #[error(
        "valid_to must be YYYYMMDDhhmmss, in the future and at most {MAX_RELATION_DAYS} days ahead"
    )]
    ValidTo,
    #[error("no active relation with that id")]
    NotFound,
    #[error("relation store unavailable")]
    Store(#[from] sqlx::Error),
}

#[derive(Clone, Debug)]
pub struct RelationStore {
    db: Db,
}

const COLUMNS: &str = "id, patient_id, person_hsa_id, care_unit_hsa_id, care_giver_hsa_id, valid_from, valid_to, \
                       registered_at, cancelled_at, cancelled_by";

impl RelationStore {
    pub fn new(db: Db) -> Self {
        RelationStore { db }
    }

    /// The actor attests a care relation with the patient, from now until `valid_to`.
    pub async fn register(
        &self,
        patient_id: &str,
        actor: &Actor,
        valid_to: &str,
    ) -> Result<Relation, RelationError> {
        if !npo_riv::ids::is_valid_personal_identity(patient_id) {
            return Err(RelationError::PatientId);
        }
        let now = npo_riv::time::now_timestamp();
        let latest = npo_riv::time::shifted(&now, chrono::Duration::days(MAX_RELATION_DAYS))
            .unwrap_or_default();
        if !is_timestamp(valid_to) || valid_to <= now.as_str() || valid_to > latest.as_str() {
            return Err(RelationError::ValidTo);
        }
        let r = Relation {
            id: uuid::Uuid::new_v4().to_string(),
            patient_id: patient_id.into(),
            person_hsa_id: actor.person_hsa_id.clone(),
            care_unit_hsa_id: actor.assignment.care_unit_hsa_id.clone(),
            care_giver_hsa_id: actor.assignment.care_giver_hsa_id.clone(),
            valid_from: now.clone(),
            valid_to: valid_to.into(),
            registered_at: now,
            cancelled_at: None,
            cancelled_by: None,
        };
        sqlx::query(
            "INSERT INTO sec_relations (id, patient_id, person_hsa_id, care_unit_hsa_id, care_giver_hsa_id, valid_from, \
             valid_to, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&r.id)
        .bind(&r.patient_id)
        .bind(&r.person_hsa_id)
        .bind(&r.care_unit_hsa_id)
        .bind(&r.care_giver_hsa_id)
        .bind(&r.valid_from)
        .bind(&r.valid_to)
        .bind(&r.registered_at)
        .execute(&self.db.pool)
        .await?;
        Ok(r)
    }

    /// The actor's current relation with the patient at their present unit, if any.
    pub async fn check(
        &self,
        patient_id: &str,
        actor: &Actor,
        now: &str,
    ) -> Result<Option<Relation>, RelationError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_relations WHERE patient_id = $1 AND person_hsa_id = $2 AND care_unit_hsa_id = $3 \
             AND cancelled_at IS NULL AND valid_from <= $4 AND valid_to >= $4 ORDER BY valid_to DESC LIMIT 1"
        )))
        .bind(patient_id)
        .bind(&actor.person_hsa_id)
        .bind(&actor.assignment.care_unit_hsa_id)
        .bind(now)
        .fetch_optional(&self.db.pool)
        .await?)
    }

    /// One relation by id, ended or not.
    pub async fn get(&self, id: &str) -> Result<Relation, RelationError> {
        let row: Option<Relation> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sec_relations WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.ok_or(RelationError::NotFound)
    }

    /// Ends a relation early (kept as history).
    pub async fn cancel(&self, id: &str, by: &str) -> Result<(), RelationError> {
        let done = sqlx::query("UPDATE sec_relations SET cancelled_at = $1, cancelled_by = $2 WHERE id = $3 AND cancelled_at IS NULL")
            .bind(npo_riv::time::now_timestamp())
            .bind(by)
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(RelationError::NotFound)
        }
    }
}
