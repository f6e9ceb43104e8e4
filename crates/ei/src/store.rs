use npo_riv::ei::{Engagement, FindContentRequest};
use npo_store::sqlx::{self, Any, Transaction};
use npo_store::{Db, sqlx::AnyPool};
use sha2::{Digest, Sha256};

/// The engagement's identity: SHA-256 over its business fields (each length-prefixed, so no
/// two different field lists hash the same input).
pub fn engagement_key(e: &Engagement, owner: &str) -> String {
    let mut h = Sha256::new();
    for field in [
        &e.registered_resident_identification,
        &e.service_domain,
        &e.categorization,
        &e.logical_address,
        &e.business_object_instance_identifier,
        &e.clinical_process_interest_id,
        &e.source_system,
        &e.data_controller,
        owner,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Inserts, or updates if the incoming `mostRecentContent` is newer. True if a row changed.
pub async fn upsert(
    tx: &mut Transaction<'_, Any>,
    key: &str,
    e: &Engagement,
    owner: &str,
    now: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO ei_engagements (id, registered_resident_identification, service_domain, categorization, \
         logical_address, business_object_instance_identifier, clinical_process_interest_id, most_recent_content, \
         source_system, creation_time, update_time, data_controller, owner) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12) \
         ON CONFLICT (id) DO UPDATE SET most_recent_content = excluded.most_recent_content, \
         update_time = excluded.update_time \
         WHERE excluded.most_recent_content IS NOT NULL AND (ei_engagements.most_recent_content IS NULL \
         OR excluded.most_recent_content > ei_engagements.most_recent_content)",
    )
    .bind(key)
    .bind(&e.registered_resident_identification)
    .bind(&e.service_domain)
    .bind(&e.categorization)
    .bind(&e.logical_address)
    .bind(&e.business_object_instance_identifier)
    .bind(&e.clinical_process_interest_id)
    .bind(e.most_recent_content.as_deref())
    .bind(&e.source_system)
    .bind(now)
    .bind(&e.data_controller)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Deletes by key. True if a row was deleted.
pub async fn delete(tx: &mut Transaction<'_, Any>, key: &str) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("DELETE FROM ei_engagements WHERE id = $1")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() > 0)
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
);

/// FindContent: resident and domain exact, optional filters exact, `mostRecentContent` as
/// "at least this recent".
pub async fn find(db: &Db, q: &FindContentRequest) -> Result<Vec<Engagement>, sqlx::Error> {
    find_in(&db.pool, q).await
}

async fn find_in(pool: &AnyPool, q: &FindContentRequest) -> Result<Vec<Engagement>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT registered_resident_identification, service_domain, categorization, logical_address, \
         business_object_instance_identifier, clinical_process_interest_id, most_recent_content, source_system, \
         creation_time, update_time, data_controller, owner FROM ei_engagements \
         WHERE registered_resident_identification = $1 AND service_domain = $2 \
         AND ($3 IS NULL OR categorization = $3) AND ($4 IS NULL OR logical_address = $4) \
         AND ($5 IS NULL OR business_object_instance_identifier = $5) \
         AND ($6 IS NULL OR clinical_process_interest_id = $6) \
         AND ($7 IS NULL OR most_recent_content >= $7) AND ($8 IS NULL OR source_system = $8) \
         AND ($9 IS NULL OR data_controller = $9) AND ($10 IS NULL OR owner = $10) \
         ORDER BY logical_address, categorization, business_object_instance_identifier",
    )
    .bind(&q.registered_resident_identification)
    .bind(&q.service_domain)
    .bind(q.categorization.as_deref())
    .bind(q.logical_address.as_deref())
    .bind(q.business_object_instance_identifier.as_deref())
    .bind(q.clinical_process_interest_id.as_deref())
    .bind(q.most_recent_content.as_deref())
    .bind(q.source_system.as_deref())
    .bind(q.data_controller.as_deref())
    .bind(q.owner.as_deref())
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Engagement {
            registered_resident_identification: r.0,
            service_domain: r.1,
            categorization: r.2,
            logical_address: r.3,
            business_object_instance_identifier: r.4,
            clinical_process_interest_id: r.5,
            most_recent_content: r.6,
            source_system: r.7,
            creation_time: Some(r.8),
            update_time: Some(r.9),
            data_controller: r.10,
            owner: Some(r.11),
        })
        .collect())
}
