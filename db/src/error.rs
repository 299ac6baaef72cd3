//! Database errors.

/// A failed database call.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The query or the connection failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value does not decode (a bug or a tampered database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database URL cannot be used as written.
    #[error("database URL: {0}")]
    BadUrl(String),
    /// None of a multi-host URL's servers answers as asked (`target_session_attrs`).
    #[error("no usable database server: {0}")]
    NoUsableHost(String),
}

impl DbError {
    /// Whether the database is unreachable or overloaded, so that retrying later may succeed
    /// (as opposed to a query or data error).
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Sqlx(e) => {
                matches!(
                    e,
                    sqlx::Error::Io(_)
                        | sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::Tls(_)
                        | sqlx::Error::WorkerCrashed
                ) || e
                    .as_database_error()
                    .and_then(|d| d.code())
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("53") || c.starts_with("57"))
            }
            DbError::NoUsableHost(_) => true,
            _ => false,
        }
    }
}
