//! The `rollup` row (the parameters this database serves) and the sequencer's lock.

use crate::{Db, DbError};
use sqlx::PgConnection;

/// The rollup's fixed parameters, written once from the genesis file.
#[derive(Clone, Debug, PartialEq)]
pub struct RollupRow {
    /// State tree depth in bits.
    pub depth: i32,
    /// Slots per batch.
    pub slots: i32,
    /// The operator's fee account.
    pub fee_account: i64,
    /// The genesis state root (32 bytes, big-endian).
    pub genesis_root: Vec<u8>,
    /// The genesis file as JSON.
    pub genesis: serde_json::Value,
    /// The base chain's id (0 for a rollup without one).
    pub chain_id: i64,
    /// The Rollup contract's address (20 bytes; zero for a rollup without a base chain).
    pub rollup_address: Vec<u8>,
}

/// The key of the advisory lock a running sequencer holds, so that a second one refuses to
/// start against the same database.
pub const SEQUENCER_LOCK: i64 = 0x6361_7573_6577_6179; // "causeway"

impl Db {
    /// The rollup row, if the database was initialised.
    pub async fn rollup(&self) -> Result<Option<RollupRow>, DbError> {
        Ok(sqlx::query_as!(
            RollupRow,
            r#"
            SELECT depth, slots, fee_account, genesis_root, genesis, chain_id, rollup_address
            FROM rollup
            "#
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Initialises the database from genesis: the rollup row and the genesis accounts (as of
    /// batch 0), in one transaction. Returns false, writing nothing, if it was initialised.
    pub async fn init_rollup(&self, row: &RollupRow, accounts: &[(i64, Vec<u8>)]) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        if !insert_rollup_on(&mut tx, row, accounts).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// [`Db::init_rollup`] within a transaction: false, writing nothing, if the row exists.
pub(crate) async fn insert_rollup_on(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    row: &RollupRow,
    accounts: &[(i64, Vec<u8>)],
) -> Result<bool, DbError> {
    let inserted = sqlx::query!(
        r#"
        INSERT INTO rollup (depth, slots, fee_account, genesis_root, genesis, chain_id, rollup_address)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (id) DO NOTHING
        "#,
        row.depth,
        row.slots,
        row.fee_account,
        row.genesis_root,
        row.genesis,
        row.chain_id,
        row.rollup_address,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    let (indices, bytes): (Vec<i64>, Vec<Vec<u8>>) = accounts.iter().cloned().unzip();
    sqlx::query!(
        r#"
        INSERT INTO accounts (account_index, account, batch_number)
        SELECT account_index, account, 0
        FROM UNNEST($1::BIGINT[], $2::BYTEA[]) AS a (account_index, account)
        "#,
        &indices,
        &bytes,
    )
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// The key of the advisory lock a running settler holds: two settlers against one database
/// would sign competing transactions for the same batches.
pub const SETTLER_LOCK: i64 = 0x6361_7573_6574_746c; // "causettl"

/// Takes the settler's advisory lock on `conn` (held until that connection closes); false if
/// another session holds it.
pub async fn try_lock_settler(conn: &mut PgConnection) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar!(r#"SELECT pg_try_advisory_lock($1) AS "locked!""#, SETTLER_LOCK).fetch_one(conn).await?)
}

/// Whether the session of `conn` holds the settler's advisory lock (false, or an error, once
/// the connection was cut or PostgreSQL restarted: the lock went with it).
pub async fn holds_settler_lock(conn: &mut PgConnection) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT EXISTS (
            SELECT 1
            FROM pg_locks
            WHERE locktype = 'advisory'
                AND granted
                AND pid = pg_backend_pid()
                AND classid = ($1::BIGINT >> 32)::OID
                AND objid = ($1::BIGINT & 4294967295)::OID
                AND objsubid = 1
        ) AS "held!"
        "#,
        SETTLER_LOCK
    )
    .fetch_one(conn)
    .await?)
}

/// Takes the sequencer's advisory lock on `conn` (held until that connection closes); false if
/// another session holds it.
pub async fn try_lock_sequencer(conn: &mut PgConnection) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar!(r#"SELECT pg_try_advisory_lock($1) AS "locked!""#, SEQUENCER_LOCK).fetch_one(conn).await?)
}

/// Takes the sequencer's single-writer lock on `conn` and starts a new writer epoch, which
/// fences off every connection of the previous holder (migration `writer_fence`): the epoch,
/// or `None` if another session holds the lock. The epoch starts only once the previous
/// holder's writing transactions have ended.
pub async fn lock_sequencer(conn: &mut PgConnection) -> Result<Option<i64>, DbError> {
    if !try_lock_sequencer(&mut *conn).await? {
        return Ok(None);
    }
    let epoch = sqlx::query_scalar!(
        r#"
        UPDATE writer_epochs
        SET epoch = epoch + 1
        WHERE role = 'sequencer'
        RETURNING epoch
        "#
    )
    .fetch_one(conn)
    .await?;
    Ok(Some(epoch))
}

/// The sequencer's current writer epoch.
pub async fn sequencer_epoch(conn: &mut PgConnection) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar!("SELECT epoch FROM writer_epochs WHERE role = 'sequencer'").fetch_one(conn).await?)
}
