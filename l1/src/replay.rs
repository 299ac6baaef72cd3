//! Rebuilding and checking a rollup's whole history from the base chain alone, trusting
//! neither the operator, its API nor its database: what `causeway verify` prints, and what an
//! exit tool or a database rebuilder starts from.
//!
//! [`replay`] checks the contract itself (its runtime code against the committed artifact with
//! the immutables masked, its verifying key and parameters), reads every `BatchSubmitted` event
//! (which carries the batch's header and pubdata: nothing depends on how the operator sent its
//! transaction) and the priority requests the contract queued, in block ranges of at most
//! [`LOG_RANGE`] (RPC providers cap `eth_getLogs`), replays each batch's pubdata on the state
//! rebuilt from the genesis file (signatures are not in pubdata: the proof attests to them), and
//! checks that the replay gives the header's roots and exactly the submitted pubdata, that the
//! public input matches, that every priority operation is the request the chain queued, and that
//! each proof verifies off-chain where the transaction is a direct `submitBatch` call (a batch
//! sent through another contract has its proof checked by the contract only, whose code and key
//! are checked).

use crate::{L1Error, Rollup, encode};
use alloy::{
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
    sol_types::SolCall,
};
use causeway_protocol::{
    Domain, Fr, FullExit, Operation, Signatures, Transfer, Withdraw,
    batch::{BatchHeader, commitment},
    eddsa::{Point, Signature},
    field::fr_to_be_bytes,
    pubdata::{self, PubdataOp},
    state::State,
    wire::Genesis,
};
use std::collections::BTreeMap;

/// What [`replay`] is checking against.
pub struct ReplayInput<'a> {
    /// The genesis file (its root must be the first batch's previous root).
    pub genesis: &'a Genesis,
    /// The verifying key every proof must verify with; `None` skips the off-chain proof check
    /// (the contract checked every accepted proof: what an exit needs is the state).
    pub vk: Option<&'a ark_groth16::VerifyingKey<ark_bn254::Bn254>>,
    /// The exit circuit's verifying key, checked against the contract's when given.
    pub exit_vk: Option<&'a ark_groth16::VerifyingKey<ark_bn254::Bn254>>,
    /// Slots per batch (the keys').
    pub slots: usize,
    /// The first block to read events from (the deployment's block).
    pub from_block: u64,
}

/// The contract, as found on chain.
#[derive(Debug)]
pub struct ContractCheck {
    /// Its address.
    pub address: Address,
    /// Batches it accepted.
    pub batch_count: u64,
    /// Its current state root.
    pub state_root: B256,
    /// Whether its verifying key is the one given (true when none was given).
    pub vk_matches: bool,
    /// Whether its exit verifying key is the one given (true when none was given).
    pub exit_vk_matches: bool,
    /// Whether it is in exodus mode.
    pub exodus_mode: bool,
    /// `Err` with what differs when its runtime code is not the committed Rollup's.
    pub code: Result<(), String>,
    /// Parameters that do not fit the keys and the genesis file (empty: all fit).
    pub parameter_problems: Vec<String>,
    /// Its operator.
    pub operator: Address,
    /// Blocks a priority request may wait.
    pub expiry_blocks: u64,
    /// The capacity its deadlines assume: a full batch every this many blocks.
    pub blocks_per_batch: u64,
    /// The priority fee, wei per slot.
    pub priority_fee: U256,
    /// The smallest deposit, wei.
    pub min_deposit: U256,
}

/// One replayed batch.
#[derive(Debug)]
pub struct BatchReport {
    /// Its number.
    pub number: u64,
    /// Operations other than Noops (0 when it could not be replayed).
    pub operations: usize,
    /// Priority operations, as its header says.
    pub priority: u32,
    /// Its new root, as submitted.
    pub new_root: B256,
    /// What is wrong with it (empty: the batch checks out, proof included).
    pub problems: Vec<String>,
    /// Whether its proof was checked here too (the transaction was a direct `submitBatch`
    /// call); otherwise only the contract checked it.
    pub proof_rechecked: bool,
}

/// Blocks per `eth_getLogs` request: within what common RPC providers allow (the watcher reads
/// the same ranges).
pub const LOG_RANGE: u64 = 2_000;

/// Runs `query` over `from..=latest` in ranges of [`LOG_RANGE`] blocks and concatenates the
/// results.
pub async fn in_ranges<T, F, Fut>(provider: &DynProvider, from: u64, mut query: F) -> Result<Vec<T>, L1Error>
where
    F: FnMut(u64, u64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, L1Error>>,
{
    let latest = provider.get_block_number().await?;
    let mut out = Vec::new();
    let mut start = from;
    while start <= latest {
        let end = latest.min(start + LOG_RANGE - 1);
        out.extend(query(start, end).await?);
        start = end + 1;
    }
    Ok(out)
}

/// Everything [`replay`] found.
pub struct Replay {
    /// The deployment's domain: signatures and public inputs were checked for it.
    pub domain: Domain,
    /// The contract.
    pub contract: ContractCheck,
    /// The batches, in order; the replay stops after the first that cannot be applied.
    pub batches: Vec<BatchReport>,
    /// Whether every accepted batch was replayed (none stopped the replay).
    pub complete: bool,
    /// The state after the last replayed batch.
    pub state: State,
    /// The contract's ether against what it owes (meaningful when `complete`).
    pub solvency: Solvency,
}

/// The contract's ether against everything it owes, after a complete replay: every balance of
/// the replayed state (less the accounts that exited in exodus mode, whose balance moved to
/// `pendingWithdrawals`), every credited and unclaimed withdrawal (priority fees credited to the
/// operator and refunded in exodus mode included), and every queued deposit and priority fee no
/// batch executed and no refund returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Solvency {
    /// The contract's ether (`eth_getBalance`).
    pub contract_balance: U256,
    /// Σ balances of the replayed state's accounts that have not exited.
    pub balances: U256,
    /// Σ `pendingWithdrawals` of every address a batch, an exit or a refund credited.
    pub unclaimed: U256,
    /// Σ amounts of the queued deposits still waiting (or, in exodus mode, not yet refunded).
    pub queued_deposits: U256,
    /// Σ priority fees of the requests still waiting (or not yet refunded).
    pub queued_fees: U256,
}

impl Solvency {
    /// What the contract owes.
    pub fn owed(&self) -> U256 {
        self.balances + self.unclaimed + self.queued_deposits + self.queued_fees
    }

    /// Whether its ether covers what it owes.
    pub fn is_solvent(&self) -> bool {
        self.contract_balance >= self.owed()
    }
}

/// The sum of a genesis file's balances, in wei: what a deployment must be funded with.
pub fn genesis_total(genesis: &Genesis) -> U256 {
    genesis.accounts.iter().fold(U256::ZERO, |sum, a| sum + U256::from(a.balance.0))
}

impl Replay {
    /// Problems found: a mismatched key, code or parameters, each bad batch, and a final root
    /// that is not the contract's.
    pub fn failures(&self) -> usize {
        let c = &self.contract;
        usize::from(!c.vk_matches)
            + usize::from(!c.exit_vk_matches)
            + usize::from(c.code.is_err())
            + usize::from(!c.parameter_problems.is_empty())
            + self.batches.iter().filter(|b| !b.problems.is_empty()).count()
            + usize::from(self.complete && !self.root_matches())
            + usize::from(self.complete && !self.solvency.is_solvent())
    }

    /// Whether the replayed state's root is the contract's (only meaningful when every batch
    /// replayed; an incomplete replay counts as not matching).
    pub fn root_matches(&self) -> bool {
        self.complete && self.contract.state_root.as_slice() == fr_to_be_bytes(&self.state.root()).as_slice()
    }
}

/// A priority request as the chain queued it (from its event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// A deposit of `amount` wei into `account`, owned by `owner`, with key `pk`.
    Deposit {
        /// The account.
        account: u32,
        /// Its owner.
        owner: Address,
        /// Wei.
        amount: u128,
        /// The account's key (x, y).
        pk: (U256, U256),
    },
    /// A request to empty `account` to `owner`.
    FullExit {
        /// The account.
        account: u32,
        /// Its owner.
        owner: Address,
    },
}

impl Request {
    /// The bytes the contract hashed when it queued the request (what `refundDeposits` takes):
    /// a deposit's 112-byte pubdata, a full exit's first 25 bytes (docs/protocol.md).
    pub fn queued_bytes(&self) -> Vec<u8> {
        match self {
            Self::Deposit { account, owner, amount, pk } => [
                &[1u8][..],
                &account.to_be_bytes(),
                &amount.to_be_bytes(),
                owner.as_slice(),
                &pk.0.to_be_bytes::<32>(),
                &pk.1.to_be_bytes::<32>(),
                &[0u8; 7],
            ]
            .concat(),
            Self::FullExit { account, owner } => [&[4u8][..], &account.to_be_bytes(), owner.as_slice()].concat(),
        }
    }
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn check(problems: &mut Vec<String>, ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        problems.push(what());
    }
}

/// Reads the Rollup at `contract` through `provider` and replays its history from genesis.
/// `Err` only when the chain cannot be read (or there is no contract); everything found wrong is
/// in the [`Replay`].
pub async fn replay(provider: &DynProvider, contract: Address, input: &ReplayInput<'_>) -> Result<Replay, L1Error> {
    let code = provider.get_code_at(contract).await?;
    if code.is_empty() {
        return Err(L1Error::Invalid(format!("no contract at {contract}")));
    }
    let chain_id = provider.get_chain_id().await?;
    let domain = Domain::new(chain_id, contract.into_array());
    let mut state = input.genesis.state(domain).map_err(|e| L1Error::Invalid(format!("genesis: {e}")))?;
    let rollup = Rollup::new(contract, provider.clone());
    let contract_check = check_contract(&rollup, contract, &code, input, &state).await?;

    let requests = priority_requests(&rollup, input.from_block).await?;
    let mut submitted = BTreeMap::new();
    let events = in_ranges(provider, input.from_block, |from, to| {
        let filter = rollup.BatchSubmitted_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    for (event, log) in events {
        let tx =
            log.transaction_hash.ok_or_else(|| L1Error::Rpc("a BatchSubmitted log without its transaction".into()))?;
        let number = event.number;
        if submitted.insert(number, (event, tx)).is_some() {
            return Err(L1Error::Invalid(format!(
                "batch {number} was accepted twice: the contract is not a Causeway Rollup"
            )));
        }
    }

    let mut batches = Vec::new();
    let mut complete = true;
    let mut head = 0u64;
    let mut credited = std::collections::BTreeSet::new();
    for n in 1..=contract_check.batch_count {
        let stop = |problem: String, batches: &mut Vec<BatchReport>| {
            batches.push(BatchReport {
                number: n,
                operations: 0,
                priority: 0,
                new_root: B256::ZERO,
                problems: vec![problem],
                proof_rechecked: false,
            })
        };
        let Some((event, tx_hash)) = submitted.get(&n) else {
            stop("no BatchSubmitted event".into(), &mut batches);
            complete = false;
            break;
        };
        let (event_commitment, event_header, event_pubdata) = (event.commitment, &event.header, &event.pubdata);
        let Some(header) = BatchHeader::from_bytes(event_header) else {
            stop("malformed header".into(), &mut batches);
            complete = false;
            break;
        };
        let mut problems = Vec::new();
        check(&mut problems, header.number == n, || format!("header says batch {}", header.number));
        check(&mut problems, header.priority_start == head, || {
            format!("starts at priority request {} not {head}", header.priority_start)
        });
        check(&mut problems, event.newRoot.as_slice() == &event_header[32..64], || {
            "the event's new root is not its header's".into()
        });
        if header.old_root != state.root() {
            problems.push(format!(
                "previous root {} is not the replayed {}",
                hex0x(&event_header[0..32]),
                hex0x(&fr_to_be_bytes(&state.root()))
            ));
            stop(problems.join("; "), &mut batches);
            complete = false;
            break;
        }
        let ops = match replay_ops(&state, event_pubdata, head, &requests) {
            Ok(ops) => ops,
            Err(e) => {
                stop(e, &mut batches);
                complete = false;
                break;
            }
        };
        let applied = state.apply_batch_with(
            n,
            header.priority_start,
            input.slots,
            header.fee_account,
            &ops,
            Signatures::Verified,
        );
        let t = match applied {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("its operations do not apply: {e}"));
                stop(problems.join("; "), &mut batches);
                complete = false;
                break;
            }
        };
        check(&mut problems, t.pubdata == event_pubdata.as_ref(), || {
            "the replayed pubdata differs from the submitted".into()
        });
        check(&mut problems, t.header.new_root == header.new_root, || {
            format!(
                "new root {} is not the replayed {}",
                hex0x(&event_header[32..64]),
                hex0x(&fr_to_be_bytes(&t.header.new_root))
            )
        });
        check(&mut problems, t.header.priority_count == header.priority_count, || "priority count differs".into());
        let c: Fr = commitment(&header, &domain, event_pubdata);
        check(&mut problems, U256::from_be_bytes(fr_to_be_bytes(&c)) == event_commitment, || {
            "the event's public input differs".into()
        });
        // The proof is not in the event: it is read from the transaction when that is a direct
        // submitBatch call of this very batch (the contract verified it either way).
        let mut proof_rechecked = false;
        if let Some(vk) = input.vk {
            let tx = provider.get_transaction_by_hash(*tx_hash).await?;
            let calldata = tx.map(|t| alloy::consensus::Transaction::input(&t).clone()).unwrap_or_default();
            let direct = Rollup::submitBatchCall::abi_decode(&calldata)
                .ok()
                .filter(|call| call.header == *event_header && call.pubdata == *event_pubdata);
            if let Some(call) = direct {
                let proof_bytes: Vec<u8> = call.proof.iter().flat_map(|w| w.to_be_bytes::<32>()).collect();
                let proof_ok = match causeway_prover::export::proof_from_eth(&proof_bytes) {
                    Some(proof) => causeway_prover::verify(vk, c, &proof).unwrap_or(false),
                    None => false,
                };
                check(&mut problems, proof_ok, || "the proof does not verify with this verifying key".into());
                proof_rechecked = true;
            }
        }
        head += u64::from(header.priority_count);
        for op in &ops {
            match op {
                Operation::Withdraw(w) => credited.insert(Address::from(w.to)),
                Operation::FullExit(e) => credited.insert(Address::from(e.owner)),
                _ => false,
            };
        }
        batches.push(BatchReport {
            number: n,
            operations: ops.iter().filter(|o| !matches!(o, Operation::Noop)).count(),
            priority: header.priority_count,
            new_root: B256::from_slice(&event_header[32..64]),
            problems,
            proof_rechecked,
        });
    }
    let solvency = solvency(provider, &rollup, input.from_block, &state, &requests, credited).await?;
    Ok(Replay { domain, contract: contract_check, batches, complete, state, solvency })
}

/// The contract's ether against what it owes after the replay (see [`Solvency`]).
async fn solvency(
    provider: &DynProvider,
    rollup: &Rollup::RollupInstance<DynProvider>,
    from_block: u64,
    state: &State,
    requests: &BTreeMap<u64, Request>,
    mut credited: std::collections::BTreeSet<Address>,
) -> Result<Solvency, L1Error> {
    let exited = in_ranges(provider, from_block, |from, to| {
        let filter = rollup.Exited_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    let refunded = in_ranges(provider, from_block, |from, to| {
        let filter = rollup.DepositRefunded_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    let dropped = in_ranges(provider, from_block, |from, to| {
        let filter = rollup.FullExitDropped_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    let gone: std::collections::BTreeSet<u32> = exited.iter().map(|(e, _)| e.account).collect();
    credited.extend(exited.iter().map(|(e, _)| e.owner));
    credited.extend(refunded.iter().map(|(e, _)| e.owner));
    credited.extend(dropped.iter().map(|(e, _)| e.owner));
    // Executed requests' fees go to the operator.
    credited.insert(rollup.operator().call().await?);
    let balances =
        state.accounts().filter(|(i, _)| !gone.contains(i)).fold(U256::ZERO, |sum, (_, a)| sum + U256::from(a.balance));
    let mut unclaimed = U256::ZERO;
    for address in credited {
        unclaimed += rollup.pendingWithdrawals(address).call().await?;
    }
    let waiting_from = if rollup.exodusMode().call().await? {
        rollup.refundHead().call().await?
    } else {
        rollup.priorityHead().call().await?
    };
    let queued_deposits = requests
        .range(waiting_from..)
        .filter_map(|(_, r)| match r {
            Request::Deposit { amount, .. } => Some(U256::from(*amount)),
            Request::FullExit { .. } => None,
        })
        .fold(U256::ZERO, |sum, a| sum + a);
    let (deposit_fee, exit_fee) = (rollup.depositFee().call().await?, rollup.fullExitFee().call().await?);
    let queued_fees = requests
        .range(waiting_from..)
        .map(|(_, r)| match r {
            Request::Deposit { .. } => deposit_fee,
            Request::FullExit { .. } => exit_fee,
        })
        .fold(U256::ZERO, |sum, a| sum + a);
    let contract_balance = provider.get_balance(*rollup.address()).await?;
    Ok(Solvency { contract_balance, balances, unclaimed, queued_deposits, queued_fees })
}

/// The contract's code, key and parameters against the committed artifact, the keys and the
/// genesis file.
async fn check_contract(
    rollup: &Rollup::RollupInstance<DynProvider>,
    address: Address,
    code: &[u8],
    input: &ReplayInput<'_>,
    genesis_state: &State,
) -> Result<ContractCheck, L1Error> {
    let batch_count = rollup.batchCount().call().await?;
    let state_root = rollup.stateRoot().call().await?;
    let vk_matches = match input.vk {
        Some(vk) => rollup.verifyingKey().call().await? == encode::vk_of(vk)?,
        None => true,
    };
    let exit_vk_matches = match input.exit_vk {
        Some(vk) => rollup.exitVerifyingKey().call().await? == encode::exit_vk_of(vk)?,
        None => true,
    };
    let pubdata_bytes = rollup.pubdataBytes().call().await?;
    let capacity = rollup.accountCapacity().call().await?;
    let depth = input.genesis.depth;
    let mut parameter_problems = Vec::new();
    check(&mut parameter_problems, pubdata_bytes == U256::from(input.slots * 16), || {
        format!("{pubdata_bytes} pubdata bytes per batch, the keys' {} slots take {}", input.slots, input.slots * 16)
    });
    check(&mut parameter_problems, capacity == U256::from(1u64) << depth as usize, || {
        format!("capacity {capacity}, the genesis depth {depth} holds 2^{depth}")
    });
    let funds = rollup.genesisFunds().call().await?;
    let total = genesis_total(input.genesis);
    check(&mut parameter_problems, funds == total, || {
        format!(
            "the genesis file's balances sum to {total} wei but the deployment was funded with {funds}: those balances \
             are not backed"
        )
    });
    if batch_count == 0 {
        check(
            &mut parameter_problems,
            state_root.as_slice() == fr_to_be_bytes(&genesis_state.root()).as_slice(),
            || "no batch yet, and the root is not the genesis file's".into(),
        );
    }
    Ok(ContractCheck {
        address,
        batch_count,
        state_root,
        vk_matches,
        exit_vk_matches,
        exodus_mode: rollup.exodusMode().call().await?,
        code: crate::check_runtime_code(code),
        parameter_problems,
        operator: rollup.operator().call().await?,
        expiry_blocks: rollup.priorityExpiryBlocks().call().await?,
        blocks_per_batch: rollup.blocksPerBatch().call().await?,
        priority_fee: rollup.priorityFee().call().await?,
        min_deposit: rollup.minDeposit().call().await?,
    })
}

/// Every priority request the Rollup queued from `from_block` on, by serial.
pub async fn priority_requests(
    rollup: &Rollup::RollupInstance<DynProvider>,
    from_block: u64,
) -> Result<BTreeMap<u64, Request>, L1Error> {
    let mut out = BTreeMap::new();
    let provider = rollup.provider().clone();
    let deposits = in_ranges(&provider, from_block, |from, to| {
        let filter = rollup.DepositRequested_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    for (e, _) in deposits {
        out.insert(
            e.serial,
            Request::Deposit { account: e.account, owner: e.owner, amount: e.amount, pk: (e.pkX, e.pkY) },
        );
    }
    let exits = in_ranges(&provider, from_block, |from, to| {
        let filter = rollup.FullExitRequested_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await?;
    for (e, _) in exits {
        out.insert(e.serial, Request::FullExit { account: e.account, owner: e.owner });
    }
    Ok(out)
}

/// The batch's operations from its pubdata, checking each priority operation against the
/// request the chain queued at its position. Signed operations get the payer's current nonce
/// and no signature (the proof attests to both).
fn replay_ops(
    state: &State,
    data: &[u8],
    mut serial: u64,
    requests: &BTreeMap<u64, Request>,
) -> Result<Vec<Operation>, String> {
    let decoded = pubdata::decode(data).map_err(|e| format!("malformed pubdata: {e}"))?;
    let unsigned = Signature { r8: Point::IDENTITY, s: Default::default() };
    let mut nonces: BTreeMap<u32, u32> = BTreeMap::new();
    let mut next_nonce = |from: u32| {
        let n = nonces.entry(from).or_insert_with(|| state.account(from).nonce);
        let current = *n;
        *n = n.wrapping_add(1);
        current
    };
    let mut ops = Vec::with_capacity(decoded.len());
    for op in decoded {
        ops.push(match op {
            PubdataOp::Noop => Operation::Noop,
            PubdataOp::Transfer { from, to, amount, fee } => {
                Operation::Transfer(Transfer { from, to, amount, fee, nonce: next_nonce(from), signature: unsigned })
            }
            PubdataOp::Withdraw { from, to, amount, fee } => {
                Operation::Withdraw(Withdraw { from, to, amount, fee, nonce: next_nonce(from), signature: unsigned })
            }
            PubdataOp::Deposit(d) => {
                let ok = match requests.get(&serial) {
                    Some(Request::Deposit { account, owner, amount, pk }) => {
                        let (x, y) = encode::key_words(&d.pubkey);
                        *account == d.account && owner.0 == d.owner && *amount == d.amount && *pk == (x, y)
                    }
                    _ => false,
                };
                if !ok {
                    return Err(format!("deposit at queue position {serial} is not the request the chain queued there"));
                }
                serial += 1;
                Operation::Deposit(d)
            }
            PubdataOp::FullExit { account, owner, .. } => {
                let ok = matches!(requests.get(&serial), Some(Request::FullExit { account: a, owner: o }) if *a == account && o.0 == owner);
                if !ok {
                    return Err(format!("full exit at queue position {serial} is not the request the chain queued there"));
                }
                serial += 1;
                Operation::FullExit(FullExit { account, owner })
            }
        });
    }
    Ok(ops)
}
