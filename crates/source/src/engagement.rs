//! Available patient (AssertCareEngagement): the care giver's own bookings and enrolments.
//! A patient is available to the care giver's staff while an engagement at any of its units is
//! current or ended less than [`GRACE_DAYS`] days ago.

use crate::{SourceError, SourceSystem};
use npo_riv::accesscontrol::{AssertCareEngagement, AssertCareEngagementResponse};
use npo_riv::common::is_date;
use npo_store::sqlx;

/// How long after an engagement ends the patient stays available.
pub const GRACE_DAYS: i64 = 14;

/// A booking or an enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngagementKind {
    Booking,
    Enrolment,
}

impl SourceSystem {
    /// Records a booking or enrolment at one of this care giver's units (`YYYYMMDD` dates; no
    /// end date while current).
    pub async fn add_care_engagement(
        &self,
        patient_id: &str,
        care_unit_hsa_id: &str,
        kind: EngagementKind,
        start_date: &str,
        end_date: Option<&str>,
    ) -> Result<(), SourceError> {
        if !npo_riv::ei::is_resident_id(patient_id) {
            return Err(SourceError::Invalid("patient id must be 12 digits".into()));
        }
        if !self
            .cfg
            .care_units
            .iter()
            .any(|u| u.hsa_id == care_unit_hsa_id)
        {
            return Err(SourceError::Invalid("not a unit of this care giver".into()));
        }
        if !is_date(start_date) || end_date.is_some_and(|e| !is_date(e) || e < start_date) {
            return Err(SourceError::Invalid(
                "dates must be YYYYMMDD, the end not before the start".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO source_care_engagements (id, source_hsa_id, patient_id, care_unit_hsa_id, kind, start_date, end_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&self.cfg.hsa_id)
        .bind(patient_id)
        .bind(care_unit_hsa_id)
        .bind(format!("{kind:?}"))
        .bind(start_date)
        .bind(end_date)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Enrols many patients at one unit from `start_date`, in one transaction (seeding); a
    /// patient already enrolled there from that date is not enrolled twice.
    pub async fn add_enrolments(
        &self,
        patient_ids: &[&str],
        care_unit_hsa_id: &str,
        start_date: &str,
    ) -> Result<(), SourceError> {
        if !self
            .cfg
            .care_units
            .iter()
            .any(|u| u.hsa_id == care_unit_hsa_id)
        {
            return Err(SourceError::Invalid("not a unit of this care giver".into()));
        }
        if !is_date(start_date) {
            return Err(SourceError::Invalid("dates must be YYYYMMDD".into()));
        }
        if patient_ids.iter().any(|p| !npo_riv::ei::is_resident_id(p)) {
            return Err(SourceError::Invalid("patient id must be 12 digits".into()));
        }
        let mut tx = self.db.pool.begin().await?;
        for p in patient_ids {
            sqlx::query(
                "INSERT INTO source_care_engagements (id, source_hsa_id, patient_id, care_unit_hsa_id, kind, start_date, end_date) \
                 SELECT $1, $2, $3, $4, 'Enrolment', $5, NULL WHERE NOT EXISTS (SELECT 1 FROM source_care_engagements \
                 WHERE source_hsa_id = $2 AND patient_id = $3 AND care_unit_hsa_id = $4 AND kind = 'Enrolment' AND start_date = $5)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&self.cfg.hsa_id)
            .bind(*p)
            .bind(care_unit_hsa_id)
            .bind(start_date)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The answer to AssertCareEngagement, as of `today` (`YYYYMMDD`).
    pub async fn assert_care_engagement(
        &self,
        q: &AssertCareEngagement,
        today: &str,
    ) -> Result<AssertCareEngagementResponse, SourceError> {
        if q.care_giver_hsa_id != self.cfg.care_giver_hsa_id {
            return Ok(AssertCareEngagementResponse {
                has_care_engagement: false,
            });
        }
        let earliest_end = chrono::NaiveDate::parse_from_str(today, "%Y%m%d")
            .map(|d| {
                (d - chrono::Duration::days(GRACE_DAYS))
                    .format("%Y%m%d")
                    .to_string()
            })
            .map_err(|_| SourceError::Invalid("today must be YYYYMMDD".into()))?;
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM source_care_engagements WHERE source_hsa_id = $1 AND patient_id = $2 \
             AND start_date <= $3 AND (end_date IS NULL OR end_date > $4)",
        )
        .bind(&self.cfg.hsa_id)
        .bind(&q.subject_of_care_id)
        .bind(today)
        .bind(earliest_end)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(AssertCareEngagementResponse {
            has_care_engagement: n > 0,
        })
    }
}
