//! All of Causeway's SQL.
//!
//! PostgreSQL is the pipeline's single source of truth: the sequencer writes accepted
//! transactions ([`txs`]) and sealed batches with their witnesses ([`batches`]), prover workers
//! claim [`proof_jobs`] with a lease and store proofs, and every stage can be killed and
//! restarted because its state lives here. Queries are checked at compile time against the
//! schema in `migrations/` (offline data in `.sqlx/`); `db/README.md` documents every table.

pub mod accounts;
pub mod batches;
mod error;
pub mod priority;
pub mod proof_jobs;
pub mod restore;
pub mod rollup;
pub mod settlement;
pub mod testing;
pub mod txs;

pub use error::DbError;
pub use sqlx::{Connection, PgConnection, PgPool};

use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// The schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Default connections per pool.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;
/// How long to wait for a pooled connection before reporting the database unavailable.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A handle on Causeway's database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
}

/// Drops database `name` (disconnecting its users) on the server of `admin_url` and creates it
/// empty; returns its URL. The role of `admin_url` needs CREATEDB.
pub async fn recreate_database(admin_url: &str, name: &str) -> Result<String, DbError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(DbError::Corrupt(format!("{name:?} is not a plain database name")));
    }
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut conn)
        .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    let (path, query) = admin_url.split_once('?').map_or((admin_url, String::new()), |(p, q)| (p, format!("?{q}")));
    let base = path.rsplit_once('/').map_or(path, |(b, _)| b);
    Ok(format!("{base}/{name}{query}"))
}

impl Db {
    /// Connects with the default pool size and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::connect_with(url, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Connects with at most `max_connections` and applies pending migrations.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(DEFAULT_ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query!("SELECT 1 AS one").fetch_one(&self.pool).await?;
        Ok(())
    }
}

/// The environment variable naming the fail point at which a process aborts (tests only).
pub const FAIL_POINT_ENV: &str = "CAUSEWAY_FAIL_POINT";

/// A named point where a test may kill the process: when `CAUSEWAY_FAIL_POINT` names it, the
/// process aborts there at once (no cleanup, no flush: as `kill -9` would leave it), so a
/// fault test interrupts work at a known step instead of racing a signal against it.
pub fn fail_point(name: &str) {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if AT.get_or_init(|| std::env::var(FAIL_POINT_ENV).ok()).as_deref() == Some(name) {
        eprintln!("fail point {name}: aborting");
        std::process::abort();
    }
}
