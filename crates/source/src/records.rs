//! The source system's record table.

use npo_store::Db;
use npo_store::sqlx::{self, Any, Transaction};

pub struct RecordRow<'a> {
    pub namespace: &'a str,
    pub document_id: &'a str,
    pub patient_id: &'a str,
    pub care_unit: Option<&'a str>,
    pub care_giver: Option<&'a str>,
    pub filter_time: &'a str,
    pub registration_time: &'a str,
    pub payload: &'a str,
}

pub async fn upsert(
    tx: &mut Transaction<'_, Any>,
    source: &str,
    r: &RecordRow<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO source_records (source_hsa_id, contract_namespace, document_id, patient_id, care_unit_hsa_id, \
         care_giver_hsa_id, filter_time, registration_time, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (source_hsa_id, contract_namespace, document_id) DO UPDATE SET patient_id = excluded.patient_id, \
         care_unit_hsa_id = excluded.care_unit_hsa_id, care_giver_hsa_id = excluded.care_giver_hsa_id, \
         filter_time = excluded.filter_time, registration_time = excluded.registration_time, payload = excluded.payload",
    )
    .bind(source)
    .bind(r.namespace)
    .bind(r.document_id)
    .bind(r.patient_id)
    .bind(r.care_unit)
    .bind(r.care_giver)
    .bind(r.filter_time)
    .bind(r.registration_time)
    .bind(r.payload)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An owned record row, for bulk writes.
#[derive(Clone, Debug)]
pub struct OwnedRow {
    pub namespace: &'static str,
    pub document_id: String,
    pub patient_id: String,
    pub care_unit: Option<String>,
    pub care_giver: Option<String>,
    pub filter_time: String,
    pub registration_time: String,
    pub payload: String,
}

/// Rows per multi-row statement: 9 parameters each stays far below SQLite's limit.
const ROWS_PER_STATEMENT: usize = 400;

/// Creates or replaces many rows, a few hundred per statement.
pub async fn upsert_many(
    tx: &mut Transaction<'_, Any>,
    source: &str,
    rows: &[OwnedRow],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO source_records (source_hsa_id, contract_namespace, document_id, patient_id, care_unit_hsa_id, \
             care_giver_hsa_id, filter_time, registration_time, payload) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        sql.push_str(
            " ON CONFLICT (source_hsa_id, contract_namespace, document_id) DO UPDATE SET patient_id = excluded.patient_id, \
             care_unit_hsa_id = excluded.care_unit_hsa_id, care_giver_hsa_id = excluded.care_giver_hsa_id, \
             filter_time = excluded.filter_time, registration_time = excluded.registration_time, payload = excluded.payload",
        );
        // The statement text holds only placeholders; every value is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(source)
                .bind(r.namespace)
                .bind(&r.document_id)
                .bind(&r.patient_id)
                .bind(&r.care_unit)
                .bind(&r.care_giver)
                .bind(&r.filter_time)
                .bind(&r.registration_time)
                .bind(&r.payload);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Deletes a record; returns its patient if it existed.
pub async fn delete(
    tx: &mut Transaction<'_, Any>,
    source: &str,
    namespace: &str,
    document_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "DELETE FROM source_records WHERE source_hsa_id = $1 AND contract_namespace = $2 AND document_id = $3 \
         RETURNING patient_id",
    )
    .bind(source)
    .bind(namespace)
    .bind(document_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| r.0))
}

/// The payloads of one patient's records of one contract, within the period if given
/// (`YYYYMMDD` bounds, inclusive).
pub async fn for_patient(
    db: &Db,
    source: &str,
    namespace: &str,
    patient: &str,
    period: Option<(&str, &str)>,
) -> Result<Vec<String>, sqlx::Error> {
    let (from, to) = match period {
        Some((s, e)) => (format!("{s}000000"), format!("{e}235959")),
        None => ("0".to_owned(), "9".to_owned()),
    };
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT payload FROM source_records WHERE source_hsa_id = $1 AND contract_namespace = $2 AND patient_id = $3 \
         AND filter_time >= $4 AND filter_time <= $5 ORDER BY filter_time DESC, document_id",
    )
    .bind(source)
    .bind(namespace)
    .bind(patient)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn queue_engagement(
    tx: &mut Transaction<'_, Any>,
    source: &str,
    namespace: &str,
    patient: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO source_ei_outbox (id, source_hsa_id, contract_namespace, patient_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(source)
    .bind(namespace)
    .bind(patient)
    .bind(npo_riv::time::now_timestamp())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
