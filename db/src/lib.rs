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
pub mod hosts;
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

    /// Connects with at most `max_connections` and applies pending migrations. `url` may name
    /// several hosts ([`hosts`]): the pool then follows the writable one.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self, DbError> {
        let pool = Self::open_pool(url, max_connections, None).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Connects like [`connect_with`](Self::connect_with), every connection carrying the
    /// sequencer's writer `epoch` (from [`rollup::lock_sequencer`]): its writes fail once
    /// another sequencer has taken the lock. Applies no migration: the lock connection that
    /// got the epoch already did (the lock's table is in the schema).
    pub async fn connect_fenced(url: &str, max_connections: u32, epoch: i64) -> Result<Self, DbError> {
        Ok(Self { pool: Self::open_pool(url, max_connections, Some(epoch)).await? })
    }

    /// A pool on `url`'s (first usable) host; every connection set to the writer `epoch` when
    /// given, and refused when the URL asks for a writable server and it is a replica.
    async fn open_pool(url: &str, max_connections: u32, epoch: Option<i64>) -> Result<PgPool, DbError> {
        let hosts = hosts::parse(url)?;
        let read_write = hosts.read_write;
        let options = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(DEFAULT_ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if read_write
                        && sqlx::query_scalar!(r#"SELECT pg_is_in_recovery() AS "r!""#).fetch_one(&mut *conn).await?
                    {
                        return Err(sqlx::Error::Protocol("the server is a replica in recovery".into()));
                    }
                    if let Some(epoch) = epoch {
                        sqlx::query_scalar!(
                            r#"SELECT set_config('causeway.sequencer_epoch', $1, false) AS "set!""#,
                            epoch.to_string()
                        )
                        .fetch_one(conn)
                        .await?;
                    }
                    Ok(())
                })
            });
        if hosts.is_plain() {
            return Ok(options.connect(url).await?);
        }
        let (first, monitor) = hosts::pick(&hosts).await?;
        let pool = options.connect_with(first).await?;
        tokio::spawn(hosts::follow(pool.clone(), hosts, monitor));
        Ok(pool)
    }

    /// Applies pending migrations on one connection.
    pub async fn migrate(conn: &mut PgConnection) -> Result<(), DbError> {
        MIGRATOR.run(conn).await?;
        Ok(())
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

/// What a test asked to happen at a fail point: `CAUSEWAY_FAIL_POINT=NAME` aborts,
/// `NAME:panic` panics (in the task that reached it), `NAME:hang` stops that task for good
/// (only where [`fail_point_async`] is used).
fn fail_point_action(name: &str) -> Option<&'static str> {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let at = AT.get_or_init(|| std::env::var(FAIL_POINT_ENV).ok()).as_deref()?;
    let (point, action) = at.split_once(':').unwrap_or((at, "abort"));
    (point == name).then_some(match action {
        "panic" => "panic",
        "hang" => "hang",
        _ => "abort",
    })
}

/// A named point where a test may kill the process: when `CAUSEWAY_FAIL_POINT` names it, the
/// process aborts there at once (no cleanup, no flush: as `kill -9` would leave it), so a
/// fault test interrupts work at a known step instead of racing a signal against it. With
/// `NAME:panic` the calling thread panics instead.
pub fn fail_point(name: &str) {
    match fail_point_action(name) {
        Some("panic") => panic!("fail point {name}: panicking"),
        Some(_) => {
            eprintln!("fail point {name}: aborting");
            std::process::abort();
        }
        None => {}
    }
}

/// [`fail_point`] in an async task, which `NAME:hang` also stops for ever (the task stays
/// alive and does nothing, as a task stuck on a lost connection would).
pub async fn fail_point_async(name: &str) {
    if fail_point_action(name) == Some("hang") {
        eprintln!("fail point {name}: hanging");
        std::future::pending::<()>().await;
    }
    fail_point(name);
}
