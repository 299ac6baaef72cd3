//! `causeway verify`: rebuilds the rollup's whole history from the base chain alone and checks
//! it, trusting neither the operator, its API nor its database.
//!
//! It reads every `BatchSubmitted` event of the Rollup, the calldata of the transaction that
//! submitted it and the priority requests the contract queued, replays each batch's pubdata on
//! the state rebuilt from the genesis file (signatures are not in pubdata: the proof attests to
//! them), and checks that the replay gives the header's roots and exactly the submitted pubdata,
//! that the public input matches, that every priority operation is the request the chain queued,
//! and that each proof verifies off-chain with the verifying key of `--keys`.

use alloy::{
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    sol_types::SolCall,
};
use causeway_l1::{Rollup, encode};
use causeway_protocol::{
    Domain, FullExit, Operation, Signatures, Transfer, Withdraw,
    batch::{BatchHeader, commitment},
    eddsa::{Point, Signature},
    field::fr_to_be_bytes,
    pubdata::{self, PubdataOp},
    state::State,
    wire::Genesis,
};
use clap::Args;
use serde_json::json;
use std::{collections::BTreeMap, path::PathBuf};

/// `causeway verify` flags.
#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    #[command(flatten)]
    rollup: crate::chain::ContractArgs,
    /// The genesis file (its root must be the first batch's previous root).
    #[arg(long, env = "CAUSEWAY_GENESIS")]
    genesis: PathBuf,
    /// Key directory whose verifying key checks the proofs.
    #[arg(long, env = "CAUSEWAY_KEYS")]
    keys: PathBuf,
    /// Also print this account and its Merkle proof against the latest verified root.
    #[arg(long)]
    account: Option<u32>,
    /// First block to read events from [default: the deployment file's `deployed_at_block`,
    /// else 0].
    #[arg(long)]
    from_block: Option<u64>,
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A problem found in one batch.
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }
}

/// A priority request as the chain queued it.
enum Request {
    Deposit { account: u32, owner: Address, amount: u128, pk: (U256, U256) },
    FullExit { account: u32, owner: Address },
}

pub(crate) fn verify(args: VerifyArgs) -> Result<(), String> {
    let contract = args.rollup.address()?;
    let from_block = args.from_block.unwrap_or_else(|| args.rollup.deployed_at_block());
    let text = std::fs::read_to_string(&args.genesis).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let genesis: Genesis = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let (vk, meta) = causeway_prover::keys::load_verifying_key(&args.keys).map_err(|e| e.to_string())?;
    if meta.params.depth != genesis.depth {
        return Err(format!(
            "the keys are for depth {} but the genesis has depth {}",
            meta.params.depth, genesis.depth
        ));
    }
    let slots = meta.params.slots;
    let url = args.rpc.parse().map_err(|e| format!("--rpc {}: {e}", args.rpc))?;
    let provider: DynProvider = ProviderBuilder::new().disable_recommended_fillers().connect_http(url).erased();
    crate::chain::runtime()?.block_on(async {
        let rpc = |e: &dyn std::fmt::Display| format!("{}: {e}", args.rpc);
        if provider.get_code_at(contract).await.map_err(|e| rpc(&e))?.is_empty() {
            return Err(format!("no contract at {contract} on {}", args.rpc));
        }
        // Signatures and commitments are checked for this deployment's domain.
        let chain_id = provider.get_chain_id().await.map_err(|e| rpc(&e))?;
        let domain = Domain::new(chain_id, contract.into_array());
        let mut state = genesis.state(domain).map_err(|e| format!("genesis: {e}"))?;
        let rollup = Rollup::new(contract, provider.clone());
        let count = rollup.batchCount().call().await.map_err(|e| rpc(&e))?;
        let chain_root = rollup.stateRoot().call().await.map_err(|e| rpc(&e))?;
        let mut failures = 0usize;
        let vk_words = encode::vk_of(&vk).map_err(|e| e.to_string())?;
        if rollup.verifyingKey().call().await.map_err(|e| rpc(&e))? != vk_words {
            println!("verifying key: MISMATCH: the contract's is not the one in {}", args.keys.display());
            failures += 1;
        }
        // The contract itself: the committed Rollup's code (immutables masked), with the
        // parameters the keys and the genesis file say.
        let code = provider.get_code_at(contract).await.map_err(|e| rpc(&e))?;
        match causeway_l1::check_runtime_code(&code) {
            Ok(()) => println!("contract code: matches contracts/artifacts/Rollup.json (immutables masked)"),
            Err(e) => {
                println!("contract code: MISMATCH: {e}");
                failures += 1;
            }
        }
        let pubdata_bytes = rollup.pubdataBytes().call().await.map_err(|e| rpc(&e))?;
        let capacity = rollup.accountCapacity().call().await.map_err(|e| rpc(&e))?;
        let expiry = rollup.priorityExpiryBlocks().call().await.map_err(|e| rpc(&e))?;
        let min_deposit = rollup.minDeposit().call().await.map_err(|e| rpc(&e))?;
        let operator = rollup.operator().call().await.map_err(|e| rpc(&e))?;
        let mut params = Problems(Vec::new());
        params.check(pubdata_bytes == U256::from(slots * 16), || {
            format!("{pubdata_bytes} pubdata bytes per batch, the keys' {slots} slots take {}", slots * 16)
        });
        params.check(capacity == U256::from(1u64) << genesis.depth as usize, || {
            format!("capacity {capacity}, the genesis depth {} holds 2^{}", genesis.depth, genesis.depth)
        });
        if count == 0 {
            params.check(chain_root.as_slice() == fr_to_be_bytes(&state.root()).as_slice(), || {
                "no batch yet, and the root is not the genesis file's".into()
            });
        }
        if params.0.is_empty() {
            println!(
                "contract parameters: {slots} slots, 2^{} accounts, operator {operator}, priority deadline {expiry} blocks, minimum deposit {min_deposit} wei",
                genesis.depth
            );
        } else {
            println!("contract parameters: MISMATCH: {}", params.0.join("; "));
            failures += 1;
        }

        let requests = priority_requests(&rollup, from_block).await.map_err(|e| rpc(&e))?;
        let mut submitted = BTreeMap::new();
        for (event, log) in rollup
            .BatchSubmitted_filter()
            .from_block(from_block)
            .query()
            .await
            .map_err(|e| rpc(&e))?
        {
            let tx = log.transaction_hash.ok_or("a BatchSubmitted log without its transaction")?;
            let number = event.number;
            if submitted.insert(number, (event, tx)).is_some() {
                return Err(format!("batch {number} was accepted twice: the contract is not a Causeway Rollup"));
            }
        }
        println!("rollup {contract}: {count} batches on chain, genesis {}", hex0x(&fr_to_be_bytes(&state.root())));
        let mut head = 0u64;
        for n in 1..=count {
            let mut p = Problems(Vec::new());
            let Some((event, tx_hash)) = submitted.get(&n) else {
                println!("batch {n}: FAILED: no BatchSubmitted event");
                failures += 1;
                break;
            };
            let tx = provider.get_transaction_by_hash(*tx_hash).await.map_err(|e| rpc(&e))?;
            let input = tx.map(|t| alloy::consensus::Transaction::input(&t).clone()).unwrap_or_default();
            let Ok(call) = Rollup::submitBatchCall::abi_decode(&input) else {
                println!("batch {n}: FAILED: transaction {tx_hash} is not a direct submitBatch call");
                failures += 1;
                break;
            };
            let Some(header) = BatchHeader::from_bytes(&call.header) else {
                println!("batch {n}: FAILED: malformed header");
                failures += 1;
                break;
            };
            p.check(header.number == n, || format!("header says batch {}", header.number));
            p.check(header.priority_start == head, || format!("starts at priority request {} not {head}", header.priority_start));
            if header.old_root != state.root() {
                p.0.push(format!(
                    "previous root {} is not the replayed {}",
                    hex0x(&call.header[0..32]),
                    hex0x(&fr_to_be_bytes(&state.root()))
                ));
                println!("batch {n}: FAILED: {}", p.0.join("; "));
                failures += 1;
                break;
            }
            let ops = match replay_ops(&state, &call.pubdata, head, &requests) {
                Ok(ops) => ops,
                Err(e) => {
                    println!("batch {n}: FAILED: {e}");
                    failures += 1;
                    break;
                }
            };
            let applied = state.apply_batch_with(n, header.priority_start, slots, header.fee_account, &ops, Signatures::Verified);
            let t = match applied {
                Ok(t) => t,
                Err(e) => {
                    p.0.push(format!("its operations do not apply: {e}"));
                    println!("batch {n}: FAILED: {}", p.0.join("; "));
                    failures += 1;
                    break;
                }
            };
            p.check(t.pubdata == call.pubdata.as_ref(), || "the replayed pubdata differs from the submitted".into());
            p.check(t.header.new_root == header.new_root, || {
                format!("new root {} is not the replayed {}", hex0x(&call.header[32..64]), hex0x(&fr_to_be_bytes(&t.header.new_root)))
            });
            p.check(t.header.priority_count == header.priority_count, || "priority count differs".into());
            let c = commitment(&header, &domain, &call.pubdata);
            p.check(U256::from_be_bytes(fr_to_be_bytes(&c)) == event.commitment, || "the event's public input differs".into());
            let proof_bytes: Vec<u8> = call.proof.iter().flat_map(|w| w.to_be_bytes::<32>()).collect();
            let proof_ok = match causeway_prover::export::proof_from_eth(&proof_bytes) {
                Some(proof) => causeway_prover::verify(&vk, c, &proof).unwrap_or(false),
                None => false,
            };
            p.check(proof_ok, || "the proof does not verify with this verifying key".into());
            head += u64::from(header.priority_count);
            let ops_n = ops.iter().filter(|o| !matches!(o, Operation::Noop)).count();
            if p.0.is_empty() {
                println!(
                    "batch {n}: ok  {ops_n} operations, {} priority, root {}, proof valid",
                    header.priority_count,
                    hex0x(&call.header[32..64])
                );
            } else {
                println!("batch {n}: FAILED: {}", p.0.join("; "));
                failures += 1;
            }
        }
        let root = state.root();
        if failures == 0 && chain_root.as_slice() != fr_to_be_bytes(&root) {
            println!("state root: FAILED: the contract's {chain_root} is not the replayed {}", hex0x(&fr_to_be_bytes(&root)));
            failures += 1;
        }
        if let Some(index) = args.account {
            let account = state.account(index);
            let proof = state.proof(index).map_err(|e| format!("--account {index}: {e}"))?;
            let out = json!({
                "account": index,
                "root": hex0x(&fr_to_be_bytes(&root)),
                "balance": account.balance.to_string(),
                "nonce": account.nonce,
                "owner": hex0x(&account.owner),
                "public_key": { "x": hex0x(&fr_to_be_bytes(&account.pubkey.x)), "y": hex0x(&fr_to_be_bytes(&account.pubkey.y)) },
                "leaf": hex0x(&fr_to_be_bytes(&account.leaf_hash())),
                "siblings": proof.siblings.iter().map(|s| s.iter().map(|x| hex0x(&fr_to_be_bytes(x))).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "verified": proof.root(index, account.leaf_hash()) == root,
            });
            println!("{out}");
        }
        if failures > 0 {
            return Err(format!("verification FAILED: {failures} problem(s)"));
        }
        println!("verified {count} batches: state root {} matches the contract", hex0x(&fr_to_be_bytes(&root)));
        Ok(())
    })
}

async fn priority_requests(
    rollup: &Rollup::RollupInstance<DynProvider>,
    from_block: u64,
) -> Result<BTreeMap<u64, Request>, alloy::contract::Error> {
    let mut out = BTreeMap::new();
    for (e, _) in rollup.DepositRequested_filter().from_block(from_block).query().await? {
        out.insert(
            e.serial,
            Request::Deposit { account: e.account, owner: e.owner, amount: e.amount, pk: (e.pkX, e.pkY) },
        );
    }
    for (e, _) in rollup.FullExitRequested_filter().from_block(from_block).query().await? {
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
