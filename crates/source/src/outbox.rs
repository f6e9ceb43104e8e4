//! Delivering queued engagement-index updates through the router.

use crate::SourceSystem;
use npo_riv::ei::{
    Engagement, EngagementTransaction, MAX_TRANSACTIONS, UpdateRequest, UpdateResponse,
    is_resident_id,
};
use npo_router::CallError;
use npo_store::sqlx;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("store unavailable: {0}")]
    Store(#[from] sqlx::Error),
    #[error("engagement index unreachable: {0}")]
    Call(#[from] CallError),
}

/// How many outbox rows one round reads.
const BATCH: i64 = 5000;

impl SourceSystem {
    /// Sends every queued engagement change; returns how many are still queued (0 when all
    /// were delivered). Safe to run again: the index's upsert and delete are idempotent.
    pub async fn sync_engagements(&self) -> Result<usize, SyncError> {
        let Some(vp) = &self.vp else {
            return Ok(0);
        };
        loop {
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT id, contract_namespace, patient_id FROM source_ei_outbox WHERE source_hsa_id = $1 \
                 ORDER BY created_at, id LIMIT $2",
            )
            .bind(&self.cfg.hsa_id)
            .bind(BATCH)
            .fetch_all(&self.db.pool)
            .await?;
            if rows.is_empty() {
                return Ok(0);
            }
            // (service domain, categorization, patient) → outbox ids: two versions of a
            // contract share one engagement. Rows of unknown contracts are only cleared.
            let mut pending: BTreeMap<(&'static str, &'static str, String), Vec<String>> =
                BTreeMap::new();
            let mut unknown = Vec::new();
            for (id, ns, patient) in rows {
                match self.services.get(ns.as_str()) {
                    Some(s) => pending
                        .entry((s.service_domain(), s.categorization(), patient))
                        .or_default()
                        .push(id),
                    None => unknown.push(id),
                }
            }
            if !unknown.is_empty() {
                let mut tx = self.db.pool.begin().await?;
                for id in &unknown {
                    sqlx::query("DELETE FROM source_ei_outbox WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            let keys: Vec<_> = pending.keys().cloned().collect();
            for chunk in keys.chunks(MAX_TRANSACTIONS) {
                let mut transactions = Vec::with_capacity(chunk.len());
                for (domain, categorization, patient) in chunk {
                    if let Some(t) = self
                        .engagement_transaction(domain, categorization, patient)
                        .await?
                    {
                        transactions.push(t);
                    }
                }
                if !transactions.is_empty() {
                    let env = vp
                        .call(
                            &self.cfg.ei_logical_address,
                            &UpdateRequest { transactions }.write(),
                            &[],
                        )
                        .await?;
                    match UpdateResponse::parse(&env.body) {
                        Ok(r) if r.result_code != "ERROR" => {}
                        Ok(r) => tracing::error!(
                            source = %self.cfg.hsa_id,
                            comment = r.comment.as_deref().unwrap_or(""),
                            "engagement index refused an update; dropped"
                        ),
                        Err(e) => return Err(CallError::Malformed(e.to_string()).into()),
                    }
                }
                let done: BTreeSet<&String> = chunk.iter().flat_map(|k| &pending[k]).collect();
                let mut tx = self.db.pool.begin().await?;
                for id in done {
                    sqlx::query("DELETE FROM source_ei_outbox WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
    }

    /// The engagement that says whether this system holds records of a service domain and
    /// categorization (every contract version of it) for `patient` now: an upsert with the
    /// latest registration time, or a delete when none are left. `None` for ids the index does
    /// not hold (reservnummer).
    async fn engagement_transaction(
        &self,
        service_domain: &str,
        categorization: &str,
        patient: &str,
    ) -> Result<Option<EngagementTransaction>, sqlx::Error> {
        if !is_resident_id(patient) {
            return Ok(None);
        }
        let namespaces: Vec<&'static str> = self
            .services
            .values()
            .filter(|s| {
                s.service_domain() == service_domain && s.categorization() == categorization
            })
            .map(|s| s.namespace())
            .collect();
        let placeholders: Vec<String> = (0..namespaces.len())
            .map(|i| format!("${}", i + 3))
            .collect();
        let sql = format!(
            "SELECT MAX(registration_time) FROM source_records WHERE source_hsa_id = $1 AND patient_id = $2 \
             AND contract_namespace IN ({})",
            placeholders.join(", ")
        );
        // The statement text holds only placeholders; every value is bound.
        let mut q = sqlx::query_as::<_, (Option<String>,)>(sqlx::AssertSqlSafe(sql))
            .bind(&self.cfg.hsa_id)
            .bind(patient);
        for ns in &namespaces {
            q = q.bind(*ns);
        }
        let (latest,) = q.fetch_one(&self.db.pool).await?;
        Ok(Some(EngagementTransaction {
            delete_flag: latest.is_none(),
            engagement: Engagement {
                registered_resident_identification: patient.to_owned(),
                service_domain: service_domain.to_owned(),
                categorization: categorization.to_owned(),
                logical_address: self.cfg.hsa_id.clone(),
                business_object_instance_identifier: "NA".into(),
                clinical_process_interest_id: "NA".into(),
                most_recent_content: latest,
                source_system: self.cfg.hsa_id.clone(),
                creation_time: None,
                update_time: None,
                data_controller: self.cfg.data_controller.clone(),
                owner: None,
            },
        }))
    }
}
