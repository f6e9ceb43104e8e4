//! Storage: one connection pool over SQLite (the embedded default) or PostgreSQL (production),
//! and the schema migrations. Every query in npo is written once, in portable SQL with `$n`
//! placeholders, and runs on both through sqlx's `Any` driver.

pub mod testing;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

pub use sqlx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Which server a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl FromStr for Backend {
    type Err = StoreError;
    fn from_str(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// A migrated connection pool.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// The SQLite URL of a database file, created if missing.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

impl Db {
    /// Connects and runs pending migrations. Pools are small: each part has its own, and an
    /// in-process federation of many parts must stay under PostgreSQL's `max_connections` (100 by
    /// default). SQLite gets 4: each SQLite connection is
    /// an OS thread in sqlx, SQLite serialises writers anyway, and more threads than cores only
    /// add hand-offs (measured with `npo-bench`).
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        let max = match url.parse::<Backend>()? {
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        };
        Self::connect_with(url, max).await
    }

    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        install_default_drivers();
        let backend: Backend = url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; the busy timeout makes a
                        // writer wait for another instead of failing; foreign keys are off by
                        // default in SQLite.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Db { pool, backend })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
