//! `accounts`: the state as of the latest sealed batch.

use crate::{Db, DbError};

impl Db {
    /// Every non-empty account as of the latest sealed batch: (index, 104-byte encoding).
    pub async fn sealed_accounts(&self) -> Result<Vec<(i64, Vec<u8>)>, DbError> {
        let rows = sqlx::query!(
            r#"
            SELECT account_index, account
            FROM accounts
            ORDER BY account_index
            "#
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.account_index, r.account)).collect())
    }
}
