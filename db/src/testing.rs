//! Throwaway databases for tests: each test gets its own, created from the server that
//! `DATABASE_URL` points at (its role needs CREATEDB; `scripts/postgres` sets that up).

use crate::{Db, DbError};
use sqlx::{Connection, PgConnection};
use std::sync::atomic::{AtomicU32, Ordering};

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    /// Its URL.
    pub url: String,
    name: String,
    admin: String,
}

fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!("tests need PostgreSQL: set DATABASE_URL (./scripts/test starts the server and sets it)")
    })
}

impl TestDb {
    /// Creates a fresh, migrated database.
    pub async fn create() -> Result<Self, DbError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name =
            format!("causeway_test_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut conn = PgConnection::connect(&admin).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Db::connect(&url).await?;
        Ok(Self { url, name, admin })
    }

    /// A pool on it.
    pub async fn db(&self) -> Result<Db, DbError> {
        Db::connect(&self.url).await
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs SQL as the admin connection (to simulate outages, for example).
    pub async fn admin_sql(&self, sql: &str) -> Result<(), DbError> {
        let mut conn = PgConnection::connect(&self.admin).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await?;
        Ok(())
    }

    /// Drops the database, disconnecting whoever still uses it.
    pub async fn drop_db(self) -> Result<(), DbError> {
        self.admin_sql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await
    }
}
