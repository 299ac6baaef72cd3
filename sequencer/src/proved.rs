//! The proved state: the state tree as of the newest batch that is proved together with every
//! batch before it, for account queries with Merkle proofs against a proved root.

use crate::Shared;
use causeway_db::{Db, DbError};
use causeway_protocol::{Account, AccountIndex, Fr, State, field::fr_to_be_bytes};
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

/// How often the follower looks for newly proved batches.
pub const POLL: Duration = Duration::from_millis(500);

/// The state as of batch `through` (0: genesis).
#[derive(Clone, Debug)]
pub struct ProvedState {
    /// The newest batch proved with all before it.
    pub through: i64,
    /// The state after it.
    pub state: State,
}

fn account(bytes: &[u8]) -> Result<Account, DbError> {
    Account::from_bytes(bytes).ok_or_else(|| DbError::Corrupt("account encoding".into()))
}

fn index(i: i64) -> Result<AccountIndex, DbError> {
    AccountIndex::try_from(i).map_err(|_| DbError::Corrupt(format!("account index {i}")))
}

impl ProvedState {
    /// Rebuilds the proved state from the sealed one by undoing the batches not yet proved
    /// (work proportional to the proving backlog, not to history).
    pub async fn recover(db: &Db, sealed: &State) -> Result<Self, DbError> {
        let through = db.proved_through().await?;
        let mut state = sealed.clone();
        for (_, i, before, _) in db.batch_accounts_after(through).await? {
            state.insert(index(i)?, account(&before)?).map_err(|e| DbError::Corrupt(e.to_string()))?;
        }
        Ok(Self { through, state })
    }

    /// Applies batches proved since, checking each root.
    async fn advance(&mut self, db: &Db) -> Result<(), DbError> {
        let target = db.proved_through().await?;
        while self.through < target {
            let n = self.through + 1;
            let mut next = self.state.clone();
            for (i, _, after) in db.batch_accounts(n).await? {
                next.insert(index(i)?, account(&after)?).map_err(|e| DbError::Corrupt(e.to_string()))?;
            }
            let batch = db.batch(n).await?.ok_or_else(|| DbError::Corrupt(format!("batch {n} missing")))?;
            if fr_to_be_bytes(&next.root()).as_slice() != batch.new_root.as_slice() {
                return Err(DbError::Corrupt(format!("batch {n}: replayed root differs from the stored one")));
            }
            self.state = next;
            self.through = n;
        }
        Ok(())
    }

    /// The proved root.
    pub fn root(&self) -> Fr {
        self.state.root()
    }
}

pub(crate) async fn follow(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> Result<(), String> {
    loop {
        let mut copy = shared.proved.read().unwrap_or_else(|e| e.into_inner()).clone();
        let before = copy.through;
        match copy.advance(&shared.db).await {
            Ok(()) if copy.through != before => {
                *shared.proved.write().unwrap_or_else(|e| e.into_inner()) = copy;
                shared.beats.beat("proved");
            }
            Ok(()) => shared.beats.beat("proved"),
            Err(e) => tracing::warn!(error = %e, "following proved batches"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}
