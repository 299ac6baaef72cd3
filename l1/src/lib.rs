//! Causeway on the base chain: bindings to the Rollup contract (`contracts/src/Rollup.sol`,
//! compiled into `contracts/artifacts/Rollup.json`), its deployment, the encodings its calls
//! take, the settler, the chain replay, exodus mode, and a harness that runs `anvil` for tests and
//! the devnet.

pub mod anvil;
pub mod encode;
pub mod exodus;
pub mod replay;
pub mod restore;
pub mod settler;
pub mod tokens;

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};

/// Generated from the committed artifact; the constructor's arity is the contract's.
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        Rollup,
        "../contracts/artifacts/Rollup.json"
    );
}
pub use bindings::Rollup;

/// The well-known first development account of anvil (and hardhat): never for real funds.
pub const DEV_OPERATOR_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// Further anvil development keys (its accounts 1 to 3, from its default mnemonic), for demo
/// users and tests.
pub const DEV_USER_KEYS: [&str; 3] = [
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

/// Why a base-chain step failed.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The RPC endpoint or transport failed.
    #[error("base chain RPC: {0}")]
    Rpc(String),
    /// The contract reverted (with its decoded reason where it gave one).
    #[error("the contract reverted: {0}")]
    Reverted(String),
    /// A key or address did not parse.
    #[error("{0}")]
    Invalid(String),
    /// The anvil process could not be started.
    #[error("anvil: {0}")]
    Anvil(String),
}

/// Retries of one call by a [`reading_provider`] before it reports the failure.
pub const RPC_RETRIES: u32 = 8;

/// A provider for reading a long history (a replay, a restore): calls that fail as busy
/// providers fail (HTTP 429 or 503, rate-limit errors, empty answers) are retried at the
/// transport with growing pauses, from 100 ms, at most [`RPC_RETRIES`] times.
pub fn reading_provider(rpc: &str) -> Result<DynProvider, L1Error> {
    let url = rpc.parse().map_err(|e| L1Error::Invalid(format!("RPC URL {rpc}: {e}")))?;
    let client = alloy::rpc::client::ClientBuilder::default()
        .layer(alloy::transports::layers::RetryBackoffLayer::new(RPC_RETRIES, 100, u64::MAX))
        .http(url);
    Ok(ProviderBuilder::new().disable_recommended_fillers().connect_client(client).erased())
}

/// A contract's revert data as text: its `Error(string)` reason, a decoded panic, or the hex.
pub fn revert_reason(data: &[u8]) -> String {
    match alloy::sol_types::decode_revert_reason(data) {
        Some(r) => r.strip_prefix("revert: ").map(str::to_owned).unwrap_or(r),
        None => format!("0x{}", hex::encode(data)),
    }
}

impl From<alloy::contract::Error> for L1Error {
    fn from(e: alloy::contract::Error) -> Self {
        match e.as_revert_data() {
            Some(data) => Self::Reverted(revert_reason(&data)),
            None => Self::Rpc(e.to_string()),
        }
    }
}

impl From<alloy::transports::TransportError> for L1Error {
    fn from(e: alloy::transports::TransportError) -> Self {
        Self::Rpc(e.to_string())
    }
}

impl From<alloy::providers::PendingTransactionError> for L1Error {
    fn from(e: alloy::providers::PendingTransactionError) -> Self {
        Self::Rpc(e.to_string())
    }
}

/// A provider that signs with `key` (hex private key) and talks to `rpc` over HTTP.
pub fn wallet_provider(rpc: &str, key: &str) -> Result<DynProvider, L1Error> {
    let signer: PrivateKeySigner = key.parse().map_err(|e| L1Error::Invalid(format!("private key: {e}")))?;
    let url = rpc.parse().map_err(|e| L1Error::Invalid(format!("RPC URL {rpc}: {e}")))?;
    // Nonces come from the node for every transaction: alloy's default cached nonce manager
    // hands out a nonce even to a transaction whose gas estimation then fails (a revert),
    // leaving a gap that keeps every later transaction of the account out of a block.
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
        .erased())
}

/// The address of a hex private key.
pub fn address_of(key: &str) -> Result<Address, L1Error> {
    let signer: PrivateKeySigner = key.parse().map_err(|e| L1Error::Invalid(format!("private key: {e}")))?;
    Ok(signer.address())
}

/// What a Rollup is deployed with.
#[derive(Clone, Debug)]
pub struct RollupParams {
    /// The batch circuit's verifying key, `vk.eth.hex` as 18 words.
    pub vk: [U256; 18],
    /// The exit circuit's verifying key, 26 words.
    pub exit_vk: [U256; 26],
    /// The root before batch 1.
    pub genesis_root: B256,
    /// Tree depth in bits.
    pub depth: u8,
    /// Slots per batch.
    pub slots: u32,
    /// Blocks a priority request may wait once the requests ahead of it have had the time full
    /// batches need (at least 2 × `blocks_per_batch`).
    pub expiry_blocks: u64,
    /// The deployment's capacity: a full batch every this many blocks. Priority deadlines grow
    /// with the queue at this pace.
    pub blocks_per_batch: u64,
    /// Blocks a priority request may wait (counted as `expiry_blocks` is) before anyone may turn
    /// open mode on: at least 1, below `expiry_blocks`.
    pub open_delay_blocks: u64,
    /// The priority fee, wei per slot: a deposit pays 7 slots on top of its amount, a full exit 3.
    pub priority_fee: u128,
    /// The smallest deposit, in wei.
    pub min_deposit: u128,
    /// Genesis accounts that deposits may top up, with `encode::account_key_hash`.
    pub genesis_accounts: Vec<(u32, B256)>,
    /// The first index no genesis account uses.
    pub first_free_index: u32,
    /// The sum of the genesis balances, in wei: sent with the deployment, which the contract
    /// refuses otherwise.
    pub genesis_balance: U256,
}

/// Default number of blocks a priority request may wait before anyone may turn exodus mode on:
/// 14 days of 12-second blocks (zkSync Lite's figure), time enough for an operator to recover
/// from an outage and for users to notice one.
pub const DEFAULT_EXPIRY_BLOCKS: u64 = 100_800;

/// Default capacity a deployment commits to: a full batch every 10 blocks (two minutes of
/// 12-second blocks; a 32-slot batch proves in about 20 s on two cores).
pub const DEFAULT_BLOCKS_PER_BATCH: u64 = 10;

/// Default priority fee: 2·10^13 wei per slot, what a slot of a full 32-slot batch costs to
/// settle (about 7,900 of its 252,848 gas) at 2.5 gwei. A deposit pays 1.4·10^14 wei, a full
/// exit 6·10^13.
pub const DEFAULT_PRIORITY_FEE: u128 = 20_000_000_000_000;

/// Default smallest deposit: 10^12 wei (a millionth of an ether). Each deposit takes seven
/// slots of a batch and a leaf of the tree, so a free one would let anyone fill the queue.
pub const DEFAULT_MIN_DEPOSIT: u128 = 1_000_000_000_000;

/// Slots a deposit takes: a Rollup needs at least this many per batch.
pub const MIN_SLOTS: u32 = 7;

/// Where a Rollup was deployed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// The contract's address.
    pub address: Address,
    /// The block that holds the deployment: nothing of the Rollup's is older, and everything
    /// from it on (a deposit in the same block included) must be read.
    pub block: u64,
    /// The chain's id.
    pub chain_id: u64,
}

impl Deployed {
    /// The deployment's domain: what its signatures and batch commitments name.
    pub fn domain(&self) -> causeway_protocol::Domain {
        causeway_protocol::Domain::new(self.chain_id, self.address.into_array())
    }
}

/// Deploys a Rollup from `provider`'s account, which becomes its operator. Refuses, before
/// sending anything, parameters the contract would refuse.
pub async fn deploy(provider: &DynProvider, p: &RollupParams) -> Result<Deployed, L1Error> {
    if p.slots < MIN_SLOTS {
        return Err(L1Error::Invalid(format!(
            "a Rollup needs at least {MIN_SLOTS} slots per batch (a deposit takes {MIN_SLOTS}), not {}",
            p.slots
        )));
    }
    if p.min_deposit == 0 {
        return Err(L1Error::Invalid("the minimum deposit must be at least 1 wei".into()));
    }
    if p.blocks_per_batch == 0 || p.expiry_blocks < p.blocks_per_batch.saturating_mul(2) {
        return Err(L1Error::Invalid(format!(
            "the expiry ({} blocks) must be at least two batches' blocks (2 × {}), and a batch at least 1 block",
            p.expiry_blocks, p.blocks_per_batch
        )));
    }
    if p.open_delay_blocks == 0 || p.open_delay_blocks >= p.expiry_blocks {
        return Err(L1Error::Invalid(format!(
            "the open-mode delay ({} blocks) must be at least 1 block and below the expiry ({} blocks)",
            p.open_delay_blocks, p.expiry_blocks
        )));
    }
    let chain_id = provider.get_chain_id().await?;
    let call = provider.transaction_request().with_deploy_code(deploy_code(provider, p)).with_value(p.genesis_balance);
    let call = provider.send_transaction(call).await?;
    let hash = *call.tx_hash();
    let receipt = wait_receipt(provider, hash, RECEIPT_WAIT).await?;
    if !receipt.status() {
        return Err(L1Error::Reverted(format!("deployment {hash} reverted in its block")));
    }
    let address = receipt
        .contract_address
        .ok_or_else(|| L1Error::Rpc(format!("deployment {hash}: the receipt names no contract")))?;
    let block =
        receipt.block_number.ok_or_else(|| L1Error::Rpc(format!("deployment {hash}: the receipt names no block")))?;
    Ok(Deployed { address, block, chain_id })
}

/// The Rollup's init code with its constructor arguments for `p`: what a deployment sends (from
/// any account or contract, which becomes the operator).
pub fn deploy_code(provider: &DynProvider, p: &RollupParams) -> alloy::primitives::Bytes {
    let (indices, keys): (Vec<u32>, Vec<B256>) = p.genesis_accounts.iter().copied().unzip();
    Rollup::deploy_builder(provider.clone(), p.vk, p.exit_vk, p.genesis_root, constructor_params(p), indices, keys)
        .calldata()
        .clone()
}

/// The constructor's `Params` struct for `p`.
pub fn constructor_params(p: &RollupParams) -> Rollup::Params {
    Rollup::Params {
        depth: p.depth,
        slots: p.slots,
        expiryBlocks: p.expiry_blocks,
        blocksPerBatch: p.blocks_per_batch,
        openDelayBlocks: p.open_delay_blocks,
        priorityFee: U256::from(p.priority_fee),
        minimumDeposit: U256::from(p.min_deposit),
        firstFreeIndex: p.first_free_index,
        genesisBalance: p.genesis_balance,
    }
}

/// The committed artifact (`contracts/artifacts/Rollup.json`), compiled in.
const ARTIFACT: &str = include_str!("../../contracts/artifacts/Rollup.json");

/// Compares a deployment's runtime code with the committed artifact's, the immutables (the
/// verifying key and the deployment parameters, which differ by deployment) masked: `Ok` when
/// it is the Rollup this repository compiles, else what differs.
pub fn check_runtime_code(deployed: &[u8]) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Artifact {
        deployed_bytecode: String,
        immutable_references: Vec<Immutable>,
    }
    #[derive(serde::Deserialize)]
    struct Immutable {
        start: usize,
        length: usize,
    }
    let artifact: Artifact = serde_json::from_str(ARTIFACT).map_err(|e| format!("the committed artifact: {e}"))?;
    let expected = hex::decode(artifact.deployed_bytecode.trim_start_matches("0x"))
        .map_err(|e| format!("the committed artifact's code: {e}"))?;
    if deployed.len() != expected.len() {
        return Err(format!(
            "the deployed code is {} bytes, the committed Rollup's {}: another contract",
            deployed.len(),
            expected.len()
        ));
    }
    let mut masked = deployed.to_vec();
    for r in &artifact.immutable_references {
        let slot = masked.get_mut(r.start..r.start + r.length).ok_or("an immutable past the code's end")?;
        slot.fill(0);
    }
    match masked.iter().zip(&expected).position(|(a, b)| a != b) {
        None => Ok(()),
        Some(at) => Err(format!("the deployed code differs from the committed Rollup at byte {at}: another contract")),
    }
}

/// The Rollup at `address`.
pub fn rollup(provider: &DynProvider, address: Address) -> Rollup::RollupInstance<DynProvider> {
    Rollup::new(address, provider.clone())
}

/// How long [`wait_receipt`] waits by default.
pub const RECEIPT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Polls for the receipt of transaction `hash` until it is mined or `wait` passes.
pub async fn wait_receipt(
    provider: &DynProvider,
    hash: B256,
    wait: std::time::Duration,
) -> Result<alloy::rpc::types::TransactionReceipt, L1Error> {
    let started = std::time::Instant::now();
    loop {
        if let Some(receipt) = provider.get_transaction_receipt(hash).await? {
            return Ok(receipt);
        }
        if started.elapsed() > wait {
            return Err(L1Error::Rpc(format!("transaction {hash} not mined after {wait:?}")));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Sends a contract call and waits for its receipt, refusing a reverted one.
pub async fn send_and_wait<D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<&DynProvider, D>,
) -> Result<alloy::rpc::types::TransactionReceipt, L1Error> {
    let hash = *call.send().await?.tx_hash();
    let receipt = wait_receipt(call.provider, hash, RECEIPT_WAIT).await?;
    if !receipt.status() {
        return Err(L1Error::Reverted(format!("transaction {hash} reverted in its block")));
    }
    Ok(receipt)
}

/// A batch as `submitBatch` takes it.
#[derive(Clone, Debug)]
pub struct BatchCall {
    /// The 88-byte header.
    pub header: Vec<u8>,
    /// `slots × 16` bytes.
    pub pubdata: Vec<u8>,
    /// The proof, 8 words.
    pub proof: [U256; 8],
}

impl BatchCall {
    /// A native transition and its proof (arkworks form).
    pub fn new(
        t: &causeway_protocol::BatchTransition,
        proof: &ark_groth16::Proof<ark_bn254::Bn254>,
    ) -> Result<Self, L1Error> {
        Ok(Self {
            header: t.header.to_bytes().to_vec(),
            pubdata: t.pubdata.clone(),
            proof: encode::proof_words(&causeway_prover::export::proof_eth(proof))?,
        })
    }
}

/// Sends `submitBatch` and waits for its receipt; a revert (at estimation or in the block) is
/// [`L1Error::Reverted`] with the contract's reason.
pub async fn submit_batch(
    rollup: &Rollup::RollupInstance<DynProvider>,
    batch: &BatchCall,
) -> Result<alloy::rpc::types::TransactionReceipt, L1Error> {
    let call = rollup.submitBatch(batch.header.clone().into(), batch.pubdata.clone().into(), batch.proof);
    let hash = *call.send().await?.tx_hash();
    let receipt = wait_receipt(rollup.provider(), hash, RECEIPT_WAIT).await?;
    if !receipt.status() {
        return Err(L1Error::Reverted(format!(
            "submitBatch reverted in block (transaction {})",
            receipt.transaction_hash
        )));
    }
    Ok(receipt)
}

/// The verifying keys a deployed Rollup checks proofs with, read from the contract
/// (`verifyingKey()`, `exitVerifyingKey()`): (batch circuit's, exit circuit's).
pub async fn verifying_keys(
    provider: &DynProvider,
    address: Address,
) -> Result<(ark_groth16::VerifyingKey<ark_bn254::Bn254>, ark_groth16::VerifyingKey<ark_bn254::Bn254>), L1Error> {
    let r = rollup(provider, address);
    let batch = r.verifyingKey().call().await?;
    let exit = r.exitVerifyingKey().call().await?;
    let decode = |words: &[U256], what: &str| {
        causeway_prover::export::vk_from_eth(&encode::words_bytes(words))
            .ok_or_else(|| L1Error::Invalid(format!("the contract's {what} verifying key does not decode")))
    };
    Ok((decode(&batch, "batch")?, decode(&exit, "exit")?))
}
