//! Exodus mode from the users' side: whether it may start, starting it, exits proved against the
//! last accepted root, and refunds of the deposits no batch executed.
//!
//! Everything here reads the base chain only. An exit's witness comes from
//! [`crate::replay::replay`]'s rebuilt state, its proof from the exit circuit's keys; the
//! contract checks both against its own `stateRoot` and domain.

use crate::{L1Error, Rollup, encode, replay::Request, send_and_wait};
use alloy::{
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionReceipt,
};
use causeway_circuits::ExitWitness;
use std::collections::BTreeMap;

/// Where a Rollup stands with respect to exodus mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExodusStatus {
    /// Whether exodus mode is on.
    pub active: bool,
    /// The chain's latest block.
    pub block: u64,
    /// The oldest priority request no accepted batch executed, with its deadline block (`None`:
    /// the queue is empty).
    pub oldest_waiting: Option<(u64, u64)>,
    /// Requests queued so far (the queue's tail).
    pub priority_tail: u64,
    /// In exodus mode, the next queued request to refund or drop.
    pub refund_head: u64,
}

impl ExodusStatus {
    /// Why `activateExodus` would be refused now (`None`: it would succeed).
    pub fn activation_refused(&self) -> Option<String> {
        if self.active {
            return Some("exodus mode is already active".into());
        }
        match self.oldest_waiting {
            None => Some(
                "no priority request is waiting, so none is overdue: exodus needs one past its deadline \
                 (a full-exit request, `causeway wallet exit`, starts the clock)"
                    .into(),
            ),
            // The activation lands in the next block at the earliest.
            Some((serial, deadline)) if self.block < deadline => Some(format!(
                "the oldest waiting priority request (serial {serial}) is due by block {deadline}; the chain is at \
                 block {}: exodus may be activated in block {} or later ({} more blocks) if no batch executes it by then",
                self.block,
                deadline + 1,
                deadline - self.block
            )),
            Some(_) => None,
        }
    }
}

/// Reads the Rollup's exodus status.
pub async fn status(rollup: &Rollup::RollupInstance<DynProvider>) -> Result<ExodusStatus, L1Error> {
    let active = rollup.exodusMode().call().await?;
    let head = rollup.priorityHead().call().await?;
    let tail = rollup.priorityTail().call().await?;
    let oldest_waiting = if head < tail {
        let request = rollup.priorityRequests(head).call().await?;
        Some((head, request.deadline))
    } else {
        None
    };
    Ok(ExodusStatus {
        active,
        block: rollup.provider().get_block_number().await?,
        oldest_waiting,
        priority_tail: tail,
        refund_head: rollup.refundHead().call().await?,
    })
}

/// Calls `activateExodus`, first explaining why it would be refused when it would.
pub async fn activate(rollup: &Rollup::RollupInstance<DynProvider>) -> Result<TransactionReceipt, L1Error> {
    activate_with(rollup, &status(rollup).await?).await
}

/// [`activate`] with a status the caller has just read.
pub async fn activate_with(
    rollup: &Rollup::RollupInstance<DynProvider>,
    status: &ExodusStatus,
) -> Result<TransactionReceipt, L1Error> {
    if let Some(why) = status.activation_refused() {
        return Err(L1Error::Invalid(why));
    }
    send_and_wait(rollup.activateExodus()).await
}

/// An exit as `exit` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitCall {
    /// The account.
    pub account: u32,
    /// Its owner, who is paid.
    pub owner: Address,
    /// The token it holds (0: ether), in which it is paid.
    pub token: u16,
    /// Its balance at the proved root, in the token's smallest unit.
    pub balance: u128,
    /// The exit proof, 8 words.
    pub proof: [U256; 8],
}

impl ExitCall {
    /// The exit of `witness`'s account with its proof.
    pub fn new(witness: &ExitWitness, proof: &ark_groth16::Proof<ark_bn254::Bn254>) -> Result<Self, L1Error> {
        Ok(Self {
            account: witness.index,
            owner: Address::from(witness.account.owner),
            token: witness.account.token,
            balance: witness.account.balance,
            proof: encode::proof_words(&causeway_prover::export::proof_eth(proof))?,
        })
    }
}

/// Sends `exit`; a refusal is [`L1Error::Reverted`] with the contract's reason.
pub async fn exit(
    rollup: &Rollup::RollupInstance<DynProvider>,
    call: &ExitCall,
) -> Result<TransactionReceipt, L1Error> {
    send_and_wait(rollup.exit(call.account, call.owner, call.token, call.balance, call.proof)).await
}

/// One request `refundDeposits` processed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refunded {
    /// Its serial.
    pub serial: u64,
    /// The request (a deposit was refunded to its owner; a full exit dropped).
    pub request: Request,
}

/// Refunds (deposits) or drops (full exits) every request still queued, `page` per
/// transaction, from the contract's refund head on; `requests` is
/// [`crate::replay::priority_requests`]. Returns what was processed, in order.
pub async fn refund_all(
    rollup: &Rollup::RollupInstance<DynProvider>,
    requests: &BTreeMap<u64, Request>,
    page: usize,
) -> Result<Vec<Refunded>, L1Error> {
    let s = status(rollup).await?;
    if !s.active {
        return Err(L1Error::Invalid("not in exodus mode: refunds open once exodus mode is activated".into()));
    }
    let mut done = Vec::new();
    let mut serial = s.refund_head;
    while serial < s.priority_tail {
        let end = (serial + page.max(1) as u64).min(s.priority_tail);
        let mut bytes = Vec::new();
        let mut batch = Vec::new();
        for n in serial..end {
            let request = requests.get(&n).ok_or_else(|| {
                L1Error::Invalid(format!("priority request {n} has no event from the block searched"))
            })?;
            bytes.extend(request.queued_bytes());
            batch.push(Refunded { serial: n, request: request.clone() });
        }
        send_and_wait(rollup.refundDeposits(bytes.into())).await?;
        done.extend(batch);
        serial = end;
    }
    Ok(done)
}
