//! Base-chain commands: `causeway deploy` and `causeway bench l1`.

use alloy::providers::Provider;
use causeway_circuits::{BatchWitness, CircuitParams};
use causeway_l1::{
    BatchCall, DEFAULT_BLOCKS_PER_BATCH, DEFAULT_EXPIRY_BLOCKS, DEFAULT_MIN_DEPOSIT, DEFAULT_PRIORITY_FEE,
    DEV_OPERATOR_KEY, RollupParams, anvil::Anvil, encode,
};
use causeway_protocol::{Domain, Operation, Transfer, wire::Genesis};
use causeway_prover::{Circuit, sample::sample_key};
use clap::Args;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::json;
use std::path::PathBuf;

/// `causeway deploy` flags.
#[derive(Args)]
pub(crate) struct DeployArgs {
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    /// Batch-circuit key directory: its verifying key is fixed in the contract, its slot count
    /// sets the batch size.
    #[arg(long, env = "CAUSEWAY_KEYS")]
    keys: PathBuf,
    /// Exit-circuit key directory (`causeway setup --circuit exit`): its verifying key is fixed in
    /// the contract and checks exits in exodus mode.
    #[arg(long, env = "CAUSEWAY_EXIT_KEYS")]
    exit_keys: PathBuf,
    /// Genesis file: its root is the contract's first root, its accounts may receive deposits.
    #[arg(long, env = "CAUSEWAY_GENESIS")]
    genesis: PathBuf,
    /// Private key (hex) of the deployer, who becomes the operator [default: anvil's first
    /// development key].
    #[arg(long, env = "CAUSEWAY_OPERATOR_KEY", default_value = DEV_OPERATOR_KEY, hide_default_value = true)]
    operator_key: String,
    #[command(flatten)]
    queue: QueueArgs,
    /// Also write the deployment as JSON to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// How long to wait for a base chain that is still starting, in seconds.
    #[arg(long, default_value_t = 30)]
    wait_secs: u64,
}

/// The priority queue's parameters of a deployment.
#[derive(Args, Clone, Copy, Debug)]
pub(crate) struct QueueArgs {
    /// Blocks a priority request (deposit, full exit) may wait, once the requests ahead of it
    /// have had the time full batches need, before it is overdue and anyone may turn exodus
    /// mode on [default: 14 days of 12-second blocks].
    #[arg(long, default_value_t = DEFAULT_EXPIRY_BLOCKS)]
    pub(crate) expiry_blocks: u64,
    /// The capacity the operator commits to: a full batch every this many blocks. Deadlines
    /// grow with the queue at this pace, so a flood of requests cannot make an operator that
    /// keeps it overdue.
    #[arg(long, default_value_t = DEFAULT_BLOCKS_PER_BATCH)]
    pub(crate) blocks_per_batch: u64,
    /// Blocks a priority request may wait (counted as --expiry-blocks is) before anyone may turn
    /// open mode on, after which any party may submit proved batches [default: half of
    /// --expiry-blocks].
    #[arg(long)]
    pub(crate) open_delay_blocks: Option<u64>,
    /// The priority fee in wei per slot, paid with each request and credited to the operator
    /// when a batch executes it: a deposit pays 7 slots on top of its amount, a full exit 3.
    #[arg(long, default_value_t = DEFAULT_PRIORITY_FEE)]
    pub(crate) priority_fee: u128,
    /// The smallest deposit, in wei (the fee not included).
    #[arg(long, default_value_t = DEFAULT_MIN_DEPOSIT)]
    pub(crate) min_deposit: u128,
}

impl QueueArgs {
    /// `--open-delay-blocks`, or half the expiry.
    pub(crate) fn open_delay(&self) -> u64 {
        self.open_delay_blocks.unwrap_or(self.expiry_blocks / 2)
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("tokio runtime: {e}"))
}

/// The contract's constructor arguments for a genesis file and the two circuits' key directories.
pub(crate) fn rollup_params(
    genesis: &Genesis,
    keys: &std::path::Path,
    exit_keys: &std::path::Path,
    queue: QueueArgs,
) -> Result<RollupParams, String> {
    let (vk, meta) = causeway_prover::keys::load_verifying_key(keys).map_err(|e| e.to_string())?;
    if meta.params.depth != genesis.depth {
        return Err(format!(
            "the keys are for depth {} but the genesis has depth {}",
            meta.params.depth, genesis.depth
        ));
    }
    if meta.params.slots < causeway_l1::MIN_SLOTS as usize {
        return Err(format!(
            "the keys are for {} slots per batch, but a rollup on a base chain needs at least {} (a deposit takes {})",
            meta.params.slots,
            causeway_l1::MIN_SLOTS,
            causeway_l1::MIN_SLOTS
        ));
    }
    let (exit_vk, exit_meta) =
        causeway_prover::keys::load_verifying_key_for(exit_keys, Circuit::Exit).map_err(|e| e.to_string())?;
    if exit_meta.params.depth != genesis.depth {
        return Err(format!(
            "the exit keys are for depth {} but the genesis has depth {}",
            exit_meta.params.depth, genesis.depth
        ));
    }
    for (what, dir, meta) in [("batch", keys, &meta), ("exit", exit_keys, &exit_meta)] {
        if !meta.is_from_ceremony() {
            eprintln!(
                "WARNING: the {what}-circuit keys in {} are not from a ceremony ({}). {}",
                dir.display(),
                meta.origin,
                causeway_prover::INSECURE_WARNING
            );
        }
    }
    // The root does not depend on the domain.
    let state = genesis.state(Domain::default()).map_err(|e| format!("genesis: {e}"))?;
    Ok(RollupParams {
        vk: encode::vk_of(&vk).map_err(|e| e.to_string())?,
        exit_vk: encode::exit_vk_of(&exit_vk).map_err(|e| e.to_string())?,
        genesis_root: encode::root_word(&state.root()),
        depth: genesis.depth as u8,
        slots: meta.params.slots as u32,
        expiry_blocks: queue.expiry_blocks,
        blocks_per_batch: queue.blocks_per_batch,
        open_delay_blocks: queue.open_delay(),
        priority_fee: queue.priority_fee,
        min_deposit: queue.min_deposit,
        genesis_balance: causeway_l1::replay::genesis_total(genesis),
        genesis_accounts: genesis
            .accounts
            .iter()
            .map(|a| {
                (a.index, encode::account_key_hash(&a.public_key.0, &a.owner.0, causeway_protocol::account::ETHER))
            })
            .collect(),
        first_free_index: genesis.accounts.iter().map(|a| a.index + 1).max().unwrap_or(0),
    })
}

/// Where the Rollup is: `--contract ADDRESS` or `--deployment FILE`.
#[derive(Args, Clone, Default)]
pub(crate) struct ContractArgs {
    /// The Rollup contract's address (`causeway deploy` prints it).
    #[arg(long, env = "CAUSEWAY_CONTRACT", global = true)]
    contract: Option<String>,
    /// The deployment file `causeway deploy --out` wrote (instead of --contract).
    #[arg(long, env = "CAUSEWAY_DEPLOYMENT", conflicts_with = "contract", global = true)]
    deployment: Option<PathBuf>,
}

impl ContractArgs {
    /// Whether either was given.
    pub(crate) fn is_given(&self) -> bool {
        self.contract.is_some() || self.deployment.is_some()
    }

    /// The Rollup's address.
    pub(crate) fn address(&self) -> Result<alloy::primitives::Address, String> {
        contract_address(self.contract.as_deref(), self.deployment.as_deref())
    }

    /// The deployment's domain: the contract's address and the chain's id (from the RPC
    /// endpoint, waiting up to 30 s for it to answer; a deployment file that names another
    /// chain is refused).
    pub(crate) async fn domain(&self, rpc: &str) -> Result<Domain, String> {
        let address = self.address()?;
        let url = rpc.parse().map_err(|e| format!("--rpc {rpc}: {e}"))?;
        let provider = alloy::providers::ProviderBuilder::new().connect_http(url).erased();
        let chain_id = wait_for_chain(&provider, rpc, std::time::Duration::from_secs(30)).await?;
        let recorded = self
            .deployment
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["chain_id"].as_u64());
        if let Some(recorded) = recorded
            && recorded != chain_id
        {
            return Err(format!("the deployment file is for chain {recorded}, but {rpc} is chain {chain_id}"));
        }
        Ok(Domain::new(chain_id, address.into_array()))
    }

    /// The block the deployment file says the Rollup was deployed at (0 when unknown): nothing
    /// before it needs reading.
    pub(crate) fn deployed_at_block(&self) -> u64 {
        self.deployment
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["deployed_at_block"].as_u64())
            .unwrap_or(0)
    }
}

/// The Rollup's address, from `--contract` or from the file `causeway deploy --out` wrote.
fn contract_address(
    contract: Option<&str>,
    deployment: Option<&std::path::Path>,
) -> Result<alloy::primitives::Address, String> {
    match (contract, deployment) {
        (Some(c), _) => c.parse().map_err(|e| format!("--contract {c}: {e}")),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let c = v["rollup"].as_str().ok_or_else(|| format!("{}: no \"rollup\" address", path.display()))?;
            c.parse().map_err(|e| format!("{}: rollup {c}: {e}", path.display()))
        }
        (None, None) => Err("give --contract ADDRESS or --deployment FILE".into()),
    }
}

/// The chain id, once the RPC endpoint answers (at most `wait`).
async fn wait_for_chain(
    provider: &alloy::providers::DynProvider,
    rpc: &str,
    wait: std::time::Duration,
) -> Result<u64, String> {
    let started = std::time::Instant::now();
    let mut told = false;
    loop {
        match provider.get_chain_id().await {
            Ok(id) => return Ok(id),
            Err(e) if started.elapsed() >= wait => {
                return Err(format!("{rpc}: not answering after {} s: {e}", wait.as_secs()));
            }
            Err(_) => {
                if !told {
                    eprintln!("waiting for the base chain at {rpc} ...");
                    told = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
}

pub(crate) fn deploy(args: DeployArgs) -> Result<(), String> {
    let text = std::fs::read_to_string(&args.genesis).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let genesis: Genesis = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.genesis.display()))?;
    let params = rollup_params(&genesis, &args.keys, &args.exit_keys, args.queue)?;
    runtime()?.block_on(async {
        let provider = causeway_l1::wallet_provider(&args.rpc, &args.operator_key).map_err(|e| e.to_string())?;
        wait_for_chain(&provider, &args.rpc, std::time::Duration::from_secs(args.wait_secs)).await?;
        let deployed = causeway_l1::deploy(&provider, &params).await.map_err(|e| e.to_string())?;
        let operator = causeway_l1::address_of(&args.operator_key).map_err(|e| e.to_string())?;
        let out = deployment_json(&deployed, operator, &params);
        if let Some(path) = &args.out {
            std::fs::write(path, serde_json::to_string_pretty(&out).unwrap_or_default())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        println!("{out}");
        Ok(())
    })
}

/// The deployment file: where the Rollup is, the block that holds its deployment (the watcher
/// and `verify` start there) and its parameters.
pub(crate) fn deployment_json(
    deployed: &causeway_l1::Deployed,
    operator: alloy::primitives::Address,
    params: &RollupParams,
) -> serde_json::Value {
    json!({
        "rollup": deployed.address.to_string(),
        "operator": operator.to_string(),
        "chain_id": deployed.chain_id,
        "deployed_at_block": deployed.block,
        "genesis_root": params.genesis_root.to_string(),
        "depth": params.depth,
        "slots": params.slots,
        "expiry_blocks": params.expiry_blocks,
        "blocks_per_batch": params.blocks_per_batch,
        "open_delay_blocks": params.open_delay_blocks,
        "priority_fee": params.priority_fee.to_string(),
        "min_deposit": params.min_deposit.to_string(),
        "first_free_index": params.first_free_index,
    })
}

/// `causeway bench l1` flags.
#[derive(Args)]
pub(crate) struct L1Args {
    /// Slots per batch (all filled with transfers).
    #[arg(long, default_value_t = 32)]
    slots: usize,
    /// State tree depth in bits (gas does not depend on it; small is quick to prove).
    #[arg(long, default_value_t = 4)]
    depth: u32,
}

/// Priority requests in `bench l1` wait this many blocks (past the queue ahead, a batch a
/// block) before exodus may start.
const BENCH_QUEUE: QueueArgs = QueueArgs {
    expiry_blocks: 10,
    blocks_per_batch: 1,
    open_delay_blocks: None,
    priority_fee: DEFAULT_PRIORITY_FEE,
    min_deposit: DEFAULT_MIN_DEPOSIT,
};
/// Deposits `bench l1` refunds in one `refundDeposits` call.
const BENCH_REFUNDS: usize = 8;

/// After the batch: deposits no batch executes, exodus past their deadline, the exit of account
/// 1 from `state` (the last accepted root) and one refund call for all the deposits. Returns
/// (the exit's gas, the refund call's gas per deposit, the first deposit's gas: a new account
/// with its fee); all include the transaction's
/// intrinsic cost.
async fn bench_exodus(
    anvil: &Anvil,
    rollup: &causeway_l1::Rollup::RollupInstance<alloy::providers::DynProvider>,
    from_block: u64,
    state: &causeway_protocol::State,
    exit_keys: &causeway_prover::Keys,
    rng: &mut ChaCha20Rng,
) -> Result<(u64, f64, u64), String> {
    use causeway_l1::{exodus, send_and_wait};
    let user = causeway_l1::wallet_provider(&anvil.url(), causeway_l1::DEV_USER_KEYS[0]).map_err(|e| e.to_string())?;
    let queue = causeway_l1::rollup(&user, *rollup.address());
    let mut deposit_gas = 0;
    for i in 0..BENCH_REFUNDS as u32 {
        let (x, y) = encode::key_words(&sample_key(100 + i).public_key());
        let fee = queue.depositFee().call().await.map_err(|e| format!("depositFee: {e}"))?;
        let receipt =
            send_and_wait(queue.deposit(x, y).value(alloy::primitives::U256::from(DEFAULT_MIN_DEPOSIT) + fee))
                .await
                .map_err(|e| format!("deposit: {e}"))?;
        if i == 0 {
            deposit_gas = receipt.gas_used;
        }
    }
    let head = rollup.priorityHead().call().await.map_err(|e| e.to_string())?;
    let deadline = rollup.priorityRequests(head).call().await.map_err(|e| e.to_string())?.deadline;
    let now = rollup.provider().get_block_number().await.map_err(|e| e.to_string())?;
    let _: serde_json::Value = rollup
        .provider()
        .raw_request("anvil_mine".into(), [format!("{:#x}", deadline.saturating_sub(now) + 1)])
        .await
        .map_err(|e| format!("anvil_mine: {e}"))?;
    exodus::activate(rollup).await.map_err(|e| format!("activateExodus: {e}"))?;
    let witness = causeway_circuits::ExitWitness::from_state(state, 1).map_err(|e| e.to_string())?;
    let proof = tokio::task::block_in_place(|| causeway_prover::prove_exit(exit_keys, witness.clone(), rng))
        .map_err(|e| e.to_string())?;
    let call = exodus::ExitCall::new(&witness, &proof).map_err(|e| e.to_string())?;
    let exit_gas = exodus::exit(rollup, &call).await.map_err(|e| format!("exit: {e}"))?.gas_used;
    let requests = causeway_l1::replay::priority_requests(rollup, from_block).await.map_err(|e| e.to_string())?;
    let bytes: Vec<u8> = requests.values().flat_map(|r| r.queued_bytes()).collect();
    let refund = send_and_wait(rollup.refundDeposits(bytes.into())).await.map_err(|e| format!("refund: {e}"))?;
    Ok((exit_gas, refund.gas_used as f64 / BENCH_REFUNDS as f64, deposit_gas))
}

/// Gas of open mode on a second deployment: the operator's batches 1 and 2 of transfers, then
/// a deposit by a user (its account, `first_free`), that account's forced transfer and full exit
/// queued and never executed, open mode turned on by a stranger once allowed, and batch 3 of
/// transfers submitted by that stranger. Returns (forced transfer, full exit, activateOpenMode,
/// the operator's batch 2, the stranger's batch 3).
#[allow(clippy::too_many_arguments)]
async fn bench_open(
    anvil: &Anvil,
    provider: &alloy::providers::DynProvider,
    rollup_params: &RollupParams,
    genesis: &Genesis,
    first_free: u32,
    params: CircuitParams,
    keys: &causeway_prover::Keys,
    rng: &mut ChaCha20Rng,
) -> Result<(u64, u64, u64, u64, u64), String> {
    use causeway_l1::{DEV_USER_KEYS, send_and_wait};
    let deployed = causeway_l1::deploy(provider, rollup_params).await.map_err(|e| e.to_string())?;
    let domain = deployed.domain();
    let mut state = genesis.state(domain).map_err(|e| e.to_string())?;
    let rollup = causeway_l1::rollup(provider, deployed.address);
    let stranger = causeway_l1::rollup(
        &causeway_l1::wallet_provider(&anvil.url(), DEV_USER_KEYS[1]).map_err(|e| e.to_string())?,
        deployed.address,
    );
    let mut nonce = 0;
    let mut batch = |state: &mut causeway_protocol::State, number: u64| {
        let ops: Vec<Operation> = (0..params.slots as u32)
            .map(|n| Operation::Transfer(Transfer::signed(&sample_key(1), &domain, 1, 2, 1_000, 10, nonce + n)))
            .collect();
        nonce += params.slots as u32;
        let t = state.apply_batch(number, 0, params.slots, 0, &ops).map_err(|e| e.to_string())?;
        eprintln!("proving batch {number} of the open-mode deployment ...");
        let proof = tokio::task::block_in_place(|| {
            causeway_prover::prove(keys, BatchWitness::from_transition(&t), rng).map_err(|e| e.to_string())
        })?;
        BatchCall::new(&t, &proof).map_err(|e| e.to_string())
    };
    for number in 1..=2 {
        let call = batch(&mut state, number)?;
        let receipt = causeway_l1::submit_batch(&rollup, &call).await.map_err(|e| e.to_string())?;
        if number == 2 {
            // The user's requests, then the stranger's batch once open mode is on.
            let user = causeway_l1::rollup(
                &causeway_l1::wallet_provider(&anvil.url(), DEV_USER_KEYS[0]).map_err(|e| e.to_string())?,
                deployed.address,
            );
            let (x, y) = encode::key_words(&sample_key(first_free).public_key());
            let fee = user.depositFee().call().await.map_err(|e| format!("depositFee: {e}"))?;
            let value = alloy::primitives::U256::from(DEFAULT_MIN_DEPOSIT * 1_000) + fee;
            send_and_wait(user.deposit(x, y).value(value)).await.map_err(|e| format!("deposit: {e}"))?;
            let fee = user.forcedFee().call().await.map_err(|e| format!("forcedFee: {e}"))?;
            let forced = send_and_wait(user.forceTransfer(first_free, x, y, 0, 1, DEFAULT_MIN_DEPOSIT).value(fee))
                .await
                .map_err(|e| format!("forceTransfer: {e}"))?;
            let fee = user.fullExitFee().call().await.map_err(|e| format!("fullExitFee: {e}"))?;
            let exit = send_and_wait(user.requestFullExit(first_free, x, y, 0).value(fee))
                .await
                .map_err(|e| format!("requestFullExit: {e}"))?;
            let from = rollup.openModeAllowedFrom().call().await.map_err(|e| e.to_string())?;
            let now = rollup.provider().get_block_number().await.map_err(|e| e.to_string())?;
            let _: serde_json::Value = rollup
                .provider()
                .raw_request("anvil_mine".into(), [format!("{:#x}", from.saturating_sub(now + 1))])
                .await
                .map_err(|e| format!("anvil_mine: {e}"))?;
            let open = send_and_wait(stranger.activateOpenMode()).await.map_err(|e| format!("open mode: {e}"))?;
            let call = batch(&mut state, 3)?;
            let third = causeway_l1::submit_batch(&stranger, &call).await.map_err(|e| e.to_string())?;
            return Ok((forced.gas_used, exit.gas_used, open.gas_used, receipt.gas_used, third.gas_used));
        }
    }
    unreachable!("returns after batch 2")
}

/// Deploys on a fresh anvil, proves a full batch of transfers and submits it; reports the gas.
pub(crate) fn bench_l1(args: L1Args) -> Result<(), String> {
    causeway_protocol::tree::check_depth(args.depth).map_err(|e| format!("--depth: {e}"))?;
    if args.slots == 0 {
        return Err("--slots must be at least 1".into());
    }
    let params = CircuitParams { depth: args.depth, slots: args.slots };
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    eprintln!("setting up keys for depth {} with {} slots ...", params.depth, params.slots);
    let keys = causeway_prover::keys::setup(params, &mut rng).map_err(|e| e.to_string())?;
    let genesis = causeway_prover::sample::sample_genesis_file(params.depth, 3).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("causeway-bench-l1-{}", std::process::id()));
    keys.save(&dir).map_err(|e| e.to_string())?;
    let exit_keys = causeway_prover::keys::setup_for(Circuit::Exit, params, &mut rng).map_err(|e| e.to_string())?;
    let exit_dir = dir.join("exit");
    exit_keys.save(&exit_dir).map_err(|e| e.to_string())?;
    let rollup_params = rollup_params(&genesis, &dir, &exit_dir, BENCH_QUEUE);
    let _ = std::fs::remove_dir_all(&dir);
    let rollup_params = rollup_params?;
    runtime()?.block_on(async {
        let anvil = Anvil::start(&[]).await.map_err(|e| e.to_string())?;
        let provider = causeway_l1::wallet_provider(&anvil.url(), DEV_OPERATOR_KEY).map_err(|e| e.to_string())?;
        let deployed = causeway_l1::deploy(&provider, &rollup_params).await.map_err(|e| e.to_string())?;
        // The batch is signed and proved for this deployment's domain.
        let domain = deployed.domain();
        let mut state = genesis.state(domain).map_err(|e| e.to_string())?;
        let ops: Vec<Operation> = (0..params.slots as u32)
            .map(|n| Operation::Transfer(Transfer::signed(&sample_key(1), &domain, 1, 2, 1_000, 10, n)))
            .collect();
        let t = state.apply_batch(1, 0, params.slots, 0, &ops).map_err(|e| e.to_string())?;
        eprintln!("proving a batch of {} transfers ...", params.slots);
        let proof = tokio::task::block_in_place(|| {
            causeway_prover::prove(&keys, BatchWitness::from_transition(&t), &mut rng).map_err(|e| e.to_string())
        })?;
        let batch = BatchCall::new(&t, &proof).map_err(|e| e.to_string())?;
        let rollup = causeway_l1::rollup(&provider, deployed.address);
        let receipt = causeway_l1::submit_batch(&rollup, &batch).await.map_err(|e| e.to_string())?;
        // The proof check alone: a `verifyProof` call's gas less its intrinsic cost (21,000 and
        // 4 or 16 per calldata byte).
        let commitment =
            alloy::primitives::U256::from_be_bytes(causeway_protocol::field::fr_to_be_bytes(&t.commitment()));
        let call = rollup.verifyProof(batch.proof, commitment);
        let intrinsic: u64 = 21_000 + call.calldata().iter().map(|b| if *b == 0 { 4 } else { 16 }).sum::<u64>();
        let verify_gas = call.estimate_gas().await.map_err(|e| e.to_string())?.saturating_sub(intrinsic);
        let first_free = genesis.accounts.iter().map(|a| a.index + 1).max().unwrap_or(0);
        let (forced_gas, full_exit_gas, open_gas, operator_batch_gas, open_batch_gas) =
            bench_open(&anvil, &provider, &rollup_params, &genesis, first_free, params, &keys, &mut rng).await?;
        let (exit_gas, refund_gas_per_deposit, deposit_gas) =
            bench_exodus(&anvil, &rollup, deployed.block, &state, &exit_keys, &mut rng).await?;
        let submit = receipt.gas_used;
        let transfers = params.slots as u64;
        println!(
            "{}",
            json!({
                "bench": "l1",
                "slots": params.slots,
                "transfers": transfers,
                "submit_batch_gas": submit,
                "verify_gas": verify_gas,
                "pubdata_bytes": batch.pubdata.len(),
                "pubdata_bytes_per_transfer": batch.pubdata.len() as f64 / transfers as f64,
                "gas_per_transfer": submit as f64 / transfers as f64,
                "exit_gas": exit_gas,
                "deposit_gas": deposit_gas,
                "refund_deposits": BENCH_REFUNDS,
                "refund_gas_per_deposit": refund_gas_per_deposit,
                "forced_transfer_gas": forced_gas,
                "full_exit_request_gas": full_exit_gas,
                "activate_open_mode_gas": open_gas,
                "operator_batch_gas": operator_batch_gas,
                "open_mode_batch_gas": open_batch_gas,
                "open_mode_batch_vs_operator": open_batch_gas as f64 / operator_batch_gas as f64,
            })
        );
        Ok(())
    })
}
