//! What must hold at the end of every system test, whatever was killed, cut or wiped on the
//! way:
//! 1. **The chain checks out**: the history replayed from the base chain alone
//!    ([`causeway_l1::replay::replay`]) is complete, every batch's roots, pubdata, public input
//!    and priority operations are right, the contract's root is the replayed state's, and the
//!    contract is solvent (its ether covers every balance, unclaimed withdrawal and queued
//!    deposit).
//! 2. **Each priority request executed or refunded exactly once**: the batches' priority
//!    operations, each checked against the request the chain queued in order, number exactly
//!    the contract's `priorityHead`; in exodus mode every request after it was refunded once
//!    (`DepositRefunded`, `FullExitDropped` or `ForcedRequestDropped`, one event per serial, up
//!    to `refundHead`), and none before it; outside exodus mode none was refunded. The database executed the same
//!    requests.
//! 3. **Replay = database = API**: the database's state after its last batch is the replayed
//!    state (when the chain holds every sealed batch), and each earlier batch's root is the
//!    chain's; the API's accepted state is the database's for every account.

use crate::{api::Api, wait_for};
use alloy::primitives::Address;
use causeway_db::Db;
use causeway_l1::replay::{self, ReplayInput};
use causeway_protocol::{Account, wire::Genesis};
use serde_json::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// A deployment on a base chain.
#[derive(Clone, Debug)]
pub struct Chain {
    /// The RPC endpoint.
    pub rpc: String,
    /// The deployment file (`causeway deploy --out`).
    pub deployment: PathBuf,
    /// The genesis file.
    pub genesis: PathBuf,
}

/// What to check: any of the three, and how they are compared where more than one is given.
#[derive(Clone, Copy, Debug, Default)]
pub struct Target<'a> {
    /// The chain (checks 1 and 2).
    pub chain: Option<&'a Chain>,
    /// The operator's database URL.
    pub database: Option<&'a str>,
    /// The sequencer's API (first waited on until every accepted transaction is sealed).
    pub api: Option<&'a Api>,
    /// Wait until the chain holds every batch the database sealed (a prover and a settler run).
    pub settled: bool,
}

/// What was checked.
#[derive(Debug, Default)]
pub struct Report {
    /// Batches on chain.
    pub chain_batches: u64,
    /// Batches in the database.
    pub database_batches: i64,
    /// Priority requests executed.
    pub executed: u64,
    /// Priority requests refunded.
    pub refunded: u64,
    /// Accounts compared.
    pub accounts: usize,
}

/// Checks every invariant `target` allows; panics with what fails (and the services' `log`).
pub async fn check(target: &Target<'_>, log: &Path) -> Report {
    match try_check(target, log).await {
        Ok(report) => report,
        Err(e) => {
            panic!("invariant broken: {e}\n--- services' log:\n{}", std::fs::read_to_string(log).unwrap_or_default())
        }
    }
}

/// [`check`], answering what fails instead of panicking (waits that time out still panic).
///
/// The services may still be working while it looks (a deposit read, a batch sealed or
/// settled): what it compares is read again afterwards, and when anything moved the check is
/// made again, up to ten times. A difference is answered only when a second pass, after the
/// services sealed what they accepted meanwhile, finds it again: a request sequenced between
/// two reads of one pass (shown by the API, not yet sealed) can leave every moving figure as
/// it was, and is sealed by the next pass.
pub async fn try_check(target: &Target<'_>, log: &Path) -> Result<Report, String> {
    let db = match target.database {
        Some(url) => Some(Db::connect(url).await.map_err(|e| format!("database: {e}"))?),
        None => None,
    };
    let mut differed = false;
    for _ in 0..10 {
        if let Some(api) = target.api {
            wait_for("every accepted transaction sealed", 120, log, async || {
                let (s, h) = api.try_get("/health").await?;
                (s == 200 && h["mempool_slots"] == 0).then_some(())
            })
            .await;
        }
        let before = moment(target, db.as_ref()).await?;
        let outcome = once(target, db.as_ref(), log).await;
        if moment(target, db.as_ref()).await? == before {
            if outcome.is_ok() || differed {
                return outcome;
            }
            differed = true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err("the system never held still long enough to be compared".into())
}

/// What moves while the services work: the database's last batch and sequence number, the
/// API's sealed batches and waiting slots, the chain's batch count and priority queue.
async fn moment(target: &Target<'_>, db: Option<&Db>) -> Result<Vec<String>, String> {
    let mut m = Vec::new();
    if let Some(db) = db {
        m.push(format!("{:?}", db.last_batch().await.map_err(|e| e.to_string())?.map(|b| b.0)));
        m.push(db.max_seq().await.map_err(|e| e.to_string())?.to_string());
    }
    if let Some(api) = target.api {
        let (_, h) = api.try_get("/health").await.ok_or("the API does not answer")?;
        m.push(format!("{} {}", h["sealed"], h["mempool_slots"]));
    }
    if let Some(chain) = target.chain {
        let deployment: Value =
            serde_json::from_str(&std::fs::read_to_string(&chain.deployment).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let contract: Address =
            deployment["rollup"].as_str().and_then(|a| a.parse().ok()).ok_or("deployment: rollup")?;
        let provider = causeway_l1::reading_provider(&chain.rpc).map_err(|e| e.to_string())?;
        let rollup = causeway_l1::rollup(&provider, contract);
        m.push(rollup.batchCount().call().await.map_err(|e| e.to_string())?.to_string());
        m.push(rollup.priorityTail().call().await.map_err(|e| e.to_string())?.to_string());
    }
    Ok(m)
}

/// One pass of every check.
async fn once(target: &Target<'_>, db: Option<&Db>, log: &Path) -> Result<Report, String> {
    let mut report = Report::default();
    let mut database_state = None;
    if let Some(db) = db {
        let accounts = db.sealed_accounts().await.map_err(|e| format!("database: {e}"))?;
        let mut state = BTreeMap::new();
        for (i, bytes) in accounts {
            let a = Account::from_bytes(&bytes).ok_or_else(|| format!("account {i}: not an account's encoding"))?;
            if !a.is_empty() {
                state.insert(u32::try_from(i).map_err(|e| e.to_string())?, a);
            }
        }
        database_state = Some(state);
        report.database_batches = db.last_batch().await.map_err(|e| e.to_string())?.map_or(0, |b| b.0);
    }

    if let Some(chain) = target.chain {
        let deployment: Value =
            serde_json::from_str(&std::fs::read_to_string(&chain.deployment).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let contract: Address =
            deployment["rollup"].as_str().and_then(|a| a.parse().ok()).ok_or("deployment: rollup")?;
        let slots = deployment["slots"].as_u64().ok_or("deployment: slots")? as usize;
        let from_block = deployment["deployed_at_block"].as_u64().ok_or("deployment: deployed_at_block")?;
        let genesis: Genesis =
            serde_json::from_str(&std::fs::read_to_string(&chain.genesis).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let provider = causeway_l1::reading_provider(&chain.rpc).map_err(|e| e.to_string())?;
        let rollup = causeway_l1::rollup(&provider, contract);
        if target.settled && db.is_some() {
            let sealed = report.database_batches;
            wait_for("every sealed batch on chain", 240, log, async || {
                let on_chain = rollup.batchCount().call().await.ok()?;
                (on_chain as i64 >= sealed).then_some(())
            })
            .await;
        }
        let input = ReplayInput { genesis: &genesis, vk: None, exit_vk: None, slots, from_block };
        let r = replay::replay(&provider, contract, &input).await.map_err(|e| format!("replay: {e}"))?;
        report.chain_batches = r.contract.batch_count;
        // 1. The chain checks out.
        if !r.complete || r.failures() > 0 {
            let problems: Vec<String> = r
                .batches
                .iter()
                .flat_map(|b| b.problems.iter().map(move |p| format!("batch {}: {p}", b.number)))
                .chain(r.contract.parameter_problems.iter().cloned())
                .collect();
            return Err(format!(
                "the replay from the chain fails: complete {}, root matches {}, solvency {:?}, code {:?}, problems {problems:?}",
                r.complete,
                r.root_matches(),
                r.solvency,
                r.contract.code
            ));
        }
        // 2. Each priority request executed or refunded exactly once.
        let head = rollup.priorityHead().call().await.map_err(|e| e.to_string())?;
        let executed: u64 = r.batches.iter().map(|b| u64::from(b.priority)).sum();
        if executed != head {
            return Err(format!("the batches executed {executed} priority requests, the contract's head is {head}"));
        }
        report.executed = executed;
        let refunds = replay::in_ranges(&provider, from_block, |from, to| {
            let deposits = rollup.DepositRefunded_filter().from_block(from).to_block(to);
            let exits = rollup.FullExitDropped_filter().from_block(from).to_block(to);
            let forced = rollup.ForcedRequestDropped_filter().from_block(from).to_block(to);
            async move {
                let mut serials: Vec<u64> = deposits.query().await?.into_iter().map(|(e, _)| e.serial).collect();
                serials.extend(exits.query().await?.into_iter().map(|(e, _)| e.serial));
                serials.extend(forced.query().await?.into_iter().map(|(e, _)| e.serial));
                Ok(serials)
            }
        })
        .await
        .map_err(|e| format!("refunds: {e}"))?;
        let distinct: BTreeSet<u64> = refunds.iter().copied().collect();
        let expected: BTreeSet<u64> = if r.contract.exodus_mode {
            let refund_head = rollup.refundHead().call().await.map_err(|e| e.to_string())?;
            (head..refund_head).collect()
        } else {
            BTreeSet::new()
        };
        if distinct.len() != refunds.len() || distinct != expected {
            return Err(format!("priority requests refunded {refunds:?}, expected each of {expected:?} once"));
        }
        report.refunded = refunds.len() as u64;
        // 3. Replay = database.
        if let (Some(db), Some(state)) = (db, &database_state) {
            if report.database_batches < r.contract.batch_count as i64 {
                return Err(format!(
                    "the database holds {} batches, the chain {}",
                    report.database_batches, r.contract.batch_count
                ));
            }
            for b in &r.batches {
                let row = db.batch(b.number as i64).await.map_err(|e| e.to_string())?.ok_or("batch row")?;
                if row.new_root.as_slice() != b.new_root.as_slice() {
                    return Err(format!("batch {}: the database's root is not the chain's", b.number));
                }
            }
            if report.database_batches == r.contract.batch_count as i64 {
                let replayed: BTreeMap<u32, Account> =
                    r.state.accounts().filter(|(_, a)| !a.is_empty()).map(|(i, a)| (i, *a)).collect();
                if &replayed != state {
                    return Err(format!(
                        "the replayed state is not the database's:\nreplayed {replayed:?}\ndatabase {state:?}"
                    ));
                }
                let sealed_head = db.sealed_priority_head().await.map_err(|e| e.to_string())?;
                if sealed_head as u64 != head {
                    return Err(format!("the database executed {sealed_head} priority requests, the chain {head}"));
                }
            }
        }
    }

    // 3. Database = API.
    if let (Some(api), Some(state)) = (target.api, &database_state) {
        let next = state.keys().last().map_or(0, |i| i + 1);
        for (&i, a) in state {
            let (s, v) = api.get(&format!("/v1/accounts/{i}")).await;
            let accepted = (v["accepted"]["balance"].as_str(), v["accepted"]["nonce"].as_u64());
            if s != 200 || accepted != (Some(a.balance.to_string().as_str()), Some(u64::from(a.nonce))) {
                return Err(format!("account {i}: the API answers {s} {v}, the database holds {a:?}"));
            }
        }
        let (s, v) = api.get(&format!("/v1/accounts/{next}")).await;
        if s != 404 && s != 400 {
            return Err(format!("account {next}: empty in the database, the API answers {s} {v}"));
        }
        report.accounts = state.len();
    }
    Ok(report)
}
