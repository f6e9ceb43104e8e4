//! The catalogue's tables. Every change runs in one transaction, is validated as a whole
//! catalogue first, and bumps `tak_version` so running platforms reload.

use crate::model::*;
use npo_store::sqlx::{self, Any, Transaction};
use npo_store::{Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum TakError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid catalogue: {0}")]
    Invalid(#[from] InvalidCatalogue),
    #[error("no {0} '{1}'")]
    NotFound(&'static str, String),
    #[error("the catalogue was changed by someone else at the same time; try again")]
    Conflict,
}

impl From<sqlx::Error> for TakError {
    fn from(e: sqlx::Error) -> Self {
        TakError::Store(StoreError::Db(e))
    }
}

/// Reads and writes the catalogue in the database.
#[derive(Clone, Debug)]
pub struct TakStore {
    db: Db,
}

impl TakStore {
    pub fn new(db: Db) -> Self {
        TakStore { db }
    }

    /// The change counter.
    pub async fn version(&self) -> Result<i64, TakError> {
        let (v,): (i64,) = sqlx::query_as("SELECT version FROM tak_version WHERE id = 1")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(v)
    }

    /// The whole catalogue with its version, read in one transaction.
    pub async fn load(&self) -> Result<(i64, Catalogue), TakError> {
        let mut tx = self.db.pool.begin().await?;
        let (version,): (i64,) = sqlx::query_as("SELECT version FROM tak_version WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let contracts = sqlx::query_as::<_, (String, String, i64, i64)>(
            "SELECT namespace, name, major, minor FROM tak_service_contracts ORDER BY namespace",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(namespace, name, major, minor)| ServiceContract {
            namespace,
            name,
            major,
            minor,
        })
        .collect();
        let components = sqlx::query_as::<_, (String, String)>(
            "SELECT hsa_id, description FROM tak_service_components ORDER BY hsa_id",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(hsa_id, description)| ServiceComponent {
            hsa_id,
            description,
        })
        .collect();
        let logical_addresses = sqlx::query_as::<_, (String, String)>(
            "SELECT hsa_id, description FROM tak_logical_addresses ORDER BY hsa_id",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(hsa_id, description)| LogicalAddress {
            hsa_id,
            description,
        })
        .collect();
        let routings = sqlx::query_as::<_, (String, String, String, String, String, String, String)>(
            "SELECT id, logical_address, contract_namespace, component_hsa_id, url, from_date, to_date \
             FROM tak_routings ORDER BY logical_address, contract_namespace, id",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(
            |(id, logical_address, contract_namespace, component_hsa_id, url, from_date, to_date)| Routing {
                id,
                logical_address,
                contract_namespace,
                component_hsa_id,
                url,
                from_date,
                to_date,
            },
        )
        .collect();
        let authorizations = sqlx::query_as::<_, (String, String, String, String, String, String)>(
            "SELECT id, consumer_hsa_id, logical_address, contract_namespace, from_date, to_date \
             FROM tak_authorizations ORDER BY consumer_hsa_id, logical_address, contract_namespace, id",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(
            |(id, consumer_hsa_id, logical_address, contract_namespace, from_date, to_date)| Authorization {
                id,
                consumer_hsa_id,
                logical_address,
                contract_namespace,
                from_date,
                to_date,
            },
        )
        .collect();
        let hsa_tree = sqlx::query_as::<_, (String, String)>(
            "SELECT hsa_id, parent_hsa_id FROM tak_hsa_tree ORDER BY hsa_id",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(hsa_id, parent_hsa_id)| HsaNode {
            hsa_id,
            parent_hsa_id,
        })
        .collect();
        tx.commit().await?;
        Ok((
            version,
            Catalogue {
                contracts,
                components,
                logical_addresses,
                routings,
                authorizations,
                hsa_tree,
            },
        ))
    }

    /// Replaces the whole catalogue (import). Nothing changes if it is invalid.
    pub async fn replace(&self, catalogue: &Catalogue) -> Result<(), TakError> {
        self.replace_at(catalogue, None).await
    }

    /// Replaces the catalogue if its version is still `expected` (when given).
    async fn replace_at(
        &self,
        catalogue: &Catalogue,
        expected: Option<i64>,
    ) -> Result<(), TakError> {
        catalogue.validate()?;
        let mut tx = self.db.pool.begin().await?;
        for table in [
            "tak_authorizations",
            "tak_routings",
            "tak_hsa_tree",
            "tak_logical_addresses",
            "tak_service_components",
            "tak_service_contracts",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        write_all(&mut tx, catalogue).await?;
        if !bump(&mut tx, expected).await? {
            return Err(TakError::Conflict);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Applies `change` to the current catalogue and stores the result if it is valid.
    /// Optimistic: if another writer changed the catalogue in between, nothing is written and
    /// the change is retried on the new catalogue (a few times, then [`TakError::Conflict`]).
    pub async fn modify(
        &self,
        change: impl Fn(&mut Catalogue) -> Result<(), TakError>,
    ) -> Result<(), TakError> {
        for _ in 0..5 {
            let (version, mut catalogue) = self.load().await?;
            change(&mut catalogue)?;
            match self.replace_at(&catalogue, Some(version)).await {
                Err(TakError::Conflict) => continue,
                other => return other,
            }
        }
        Err(TakError::Conflict)
    }
}

/// Bumps the version; with `expected`, only if it still is that. False if it was not.
async fn bump(tx: &mut Transaction<'_, Any>, expected: Option<i64>) -> Result<bool, sqlx::Error> {
    let done = match expected {
        Some(v) => {
            sqlx::query(
                "UPDATE tak_version SET version = version + 1 WHERE id = 1 AND version = $1",
            )
            .bind(v)
            .execute(&mut **tx)
            .await?
        }
        None => {
            sqlx::query("UPDATE tak_version SET version = version + 1 WHERE id = 1")
                .execute(&mut **tx)
                .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

async fn write_all(tx: &mut Transaction<'_, Any>, c: &Catalogue) -> Result<(), sqlx::Error> {
    for x in &c.contracts {
        sqlx::query("INSERT INTO tak_service_contracts (namespace, name, major, minor) VALUES ($1, $2, $3, $4)")
            .bind(&x.namespace)
            .bind(&x.name)
            .bind(x.major)
            .bind(x.minor)
            .execute(&mut **tx)
            .await?;
    }
    for x in &c.components {
        sqlx::query("INSERT INTO tak_service_components (hsa_id, description) VALUES ($1, $2)")
            .bind(&x.hsa_id)
            .bind(&x.description)
            .execute(&mut **tx)
            .await?;
    }
    for x in &c.logical_addresses {
        sqlx::query("INSERT INTO tak_logical_addresses (hsa_id, description) VALUES ($1, $2)")
            .bind(&x.hsa_id)
            .bind(&x.description)
            .execute(&mut **tx)
            .await?;
    }
    for x in &c.routings {
        sqlx::query(
            "INSERT INTO tak_routings (id, logical_address, contract_namespace, component_hsa_id, url, from_date, to_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&x.id)
        .bind(&x.logical_address)
        .bind(&x.contract_namespace)
        .bind(&x.component_hsa_id)
        .bind(&x.url)
        .bind(&x.from_date)
        .bind(&x.to_date)
        .execute(&mut **tx)
        .await?;
    }
    for x in &c.authorizations {
        sqlx::query(
            "INSERT INTO tak_authorizations (id, consumer_hsa_id, logical_address, contract_namespace, from_date, to_date) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&x.id)
        .bind(&x.consumer_hsa_id)
        .bind(&x.logical_address)
        .bind(&x.contract_namespace)
        .bind(&x.from_date)
        .bind(&x.to_date)
        .execute(&mut **tx)
        .await?;
    }
    for x in &c.hsa_tree {
        sqlx::query("INSERT INTO tak_hsa_tree (hsa_id, parent_hsa_id) VALUES ($1, $2)")
            .bind(&x.hsa_id)
            .bind(&x.parent_hsa_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
