//! Fresh, real databases for tests.
//!
//! `NPO_TEST_DB=postgres` makes [`TestDb::new`] create a new PostgreSQL database on the server at
//! `NPO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and drop it
//! afterwards; anything else gives a new SQLite file in a temporary directory. The test suite is
//! run once for each (see `scripts/test.sh`).

use crate::{Backend, Db, StoreError, sqlite_url};
use sqlx::Connection;

/// The server URL tests use for PostgreSQL.
pub fn postgres_admin_url() -> String {
    std::env::var("NPO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The backend this test run uses.
pub fn backend() -> Backend {
    match std::env::var("NPO_TEST_DB").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Creates an empty database (not yet migrated) of the run's backend.
    pub async fn new() -> Result<TestDb, StoreError> {
        sqlx::any::install_default_drivers();
        match backend() {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
                Ok(TestDb {
                    url: sqlite_url(&dir.path().join("npo.sqlite")),
                    pg_name: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("npo_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::AnyConnection::connect(&admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Ok(TestDb {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                    _dir: None,
                })
            }
        }
    }

    /// Connects (and migrates).
    pub async fn connect(&self) -> Result<Db, StoreError> {
        Db::connect(&self.url).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop is synchronous; use a throwaway runtime on its own thread so this works from
        // inside and outside a Tokio runtime.
        let admin = postgres_admin_url();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut conn)
                        .await;
                        let _ = conn.close().await;
                    }
                });
            }
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connects_and_migrates_the_run_backend() {
        let t = TestDb::new().await.unwrap();
        let db = t.connect().await.unwrap();
        assert_eq!(db.backend, backend());
        let (v,): (i64,) = sqlx::query_as("SELECT version FROM tak_version WHERE id = $1")
            .bind(1_i64)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(v, 0);
        // Migrating twice is a no-op.
        let again = t.connect().await.unwrap();
        again.close().await;
        db.close().await;
    }
}
