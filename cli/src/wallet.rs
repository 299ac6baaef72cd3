//! `causeway wallet`: a user's key and the commands a user needs — deposit on the base chain,
//! transfer and withdraw on the rollup, balances, following a transaction to `finalized`,
//! claiming withdrawn funds and requesting a full exit.
//!
//! The wallet file (JSON, mode 0600) holds two private keys: the rollup key (Baby Jubjub EdDSA,
//! signs transfers and withdrawals) and the base-chain key (secp256k1, pays for deposits and is
//! the account's owner). Amounts on the command line are in ether (up to 18 decimals).

use alloy::{
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
};
use causeway_l1::{Rollup, encode, send_and_wait, wallet_provider};
use causeway_protocol::account::ETHER;
use causeway_protocol::{Domain, Operation, PrivateKey, Transfer, Withdraw, wire::SignedTx};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::{path::PathBuf, time::Duration};

/// `causeway wallet` flags.
#[derive(Args)]
pub(crate) struct WalletArgs {
    /// The wallet file [default: ~/.causeway/wallet.json].
    #[arg(long, env = "CAUSEWAY_WALLET", global = true)]
    wallet: Option<PathBuf>,
    /// The sequencer's API.
    #[arg(long, env = "CAUSEWAY_API", default_value = "http://127.0.0.1:3000", global = true)]
    api: String,
    /// Base-chain JSON-RPC URL.
    #[arg(long, env = "CAUSEWAY_RPC", default_value = "http://127.0.0.1:8545", global = true)]
    rpc: String,
    #[command(flatten)]
    rollup: crate::chain::ContractArgs,
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Subcommand)]
enum WalletCommand {
    /// Creates a wallet file with a new rollup key.
    New {
        /// The base-chain private key to use (hex) [default: a new random one].
        #[arg(long)]
        l1_key: Option<String>,
        /// Replace an existing wallet file.
        #[arg(long)]
        force: bool,
    },
    /// Shows the keys' public parts and the rollup account.
    Show,
    /// Deposits ether from the base-chain key into the rollup account (creating it the first time).
    Deposit {
        /// Ether.
        #[arg(long)]
        amount: String,
        /// Wait until the rollup credits it.
        #[arg(long)]
        wait: bool,
    },
    /// Transfers to another rollup account.
    Transfer {
        /// The payee's account index.
        #[arg(long)]
        to: u32,
        /// Ether.
        #[arg(long)]
        amount: String,
        /// Fee in ether (2-byte float: few significant digits).
        #[arg(long, default_value = "0.000001")]
        fee: String,
        /// Follow it until it is finalized.
        #[arg(long)]
        wait: bool,
        /// Queue it on the base chain instead (`forceTransfer`), signed by this wallet's
        /// base-chain key as the account's owner: the operator must execute it in queue order,
        /// as a deposit. It pays the contract's `forcedFee()` instead of `--fee`; any amount of
        /// wei (no float rounding).
        #[arg(long)]
        via_l1: bool,
        /// With `--via-l1`: the paying account's index, when the sequencer's API cannot be
        /// asked [default: this wallet's account, from the API].
        #[arg(long, requires = "via_l1")]
        account: Option<u32>,
    },
    /// Withdraws from the rollup to a base-chain address (claim it there once finalized).
    Withdraw {
        /// The base-chain recipient [default: this wallet's base-chain address].
        #[arg(long)]
        to: Option<String>,
        /// Ether.
        #[arg(long)]
        amount: String,
        /// Fee in ether.
        #[arg(long, default_value = "0.000001")]
        fee: String,
        /// Follow it until it is finalized.
        #[arg(long)]
        wait: bool,
        /// Queue it on the base chain instead (`forceWithdraw`), as `transfer --via-l1` does:
        /// paid to this wallet's base-chain address (the account's owner) only.
        #[arg(long)]
        via_l1: bool,
        /// With `--via-l1`: the paying account's index, when the sequencer's API cannot be
        /// asked [default: this wallet's account, from the API].
        #[arg(long, requires = "via_l1")]
        account: Option<u32>,
    },
    /// Balances and nonce: on the rollup (accepted and proved) and on the base chain.
    Balance,
    /// Follows a transaction until it is finalized (or rejected), submitting it again while the
    /// sequencer does not know it (it lost its database); without a hash, every transaction
    /// this wallet signed that is not final yet.
    Follow {
        /// The transaction hash `transfer` or `withdraw` printed.
        hash: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 600)]
        timeout_secs: u64,
    },
    /// Pays out on the base chain what finalized withdrawals credited to this wallet's address.
    Claim,
    /// Asks the contract to empty the account to its owner (a priority request the operator
    /// must process, or exodus mode starts once it is overdue).
    Exit {
        /// The account's index, when the sequencer's API cannot be asked (it is down or
        /// censoring) [default: this wallet's account, from the API].
        #[arg(long)]
        account: Option<u32>,
    },
}

/// The wallet file.
#[derive(Serialize, Deserialize)]
struct WalletFile {
    rollup_key: String,
    l1_key: String,
}

struct Wallet {
    key: PrivateKey,
    l1_key: String,
}

pub(crate) use causeway_protocol::wire::{format_ether, parse_ether};

/// The wallet file's default place: ~/.causeway/wallet.json.
pub(crate) fn default_path() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".causeway").join("wallet.json")
}

fn random32() -> [u8; 32] {
    use rand_core::RngCore;
    let mut k = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut k);
    k
}

fn load(path: &std::path::Path) -> Result<Wallet, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e} (create one with `causeway wallet new`)", path.display()))?;
    let f: WalletFile = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = hex::decode(f.rollup_key.trim_start_matches("0x"))
        .map_err(|e| format!("{}: rollup_key: {e}", path.display()))?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| format!("{}: rollup_key must be 32 bytes", path.display()))?;
    causeway_l1::address_of(&f.l1_key).map_err(|e| format!("{}: l1_key: {e}", path.display()))?;
    Ok(Wallet { key: PrivateKey(key), l1_key: f.l1_key })
}

/// A wallet file's rollup key and base-chain key.
pub(crate) fn load_keys(path: &std::path::Path) -> Result<(PrivateKey, String), String> {
    load(path).map(|w| (w.key, w.l1_key))
}

fn save(path: &std::path::Path, f: &WalletFile) -> Result<(), String> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(f).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::{io::Write, os::unix::fs::OpenOptionsExt};
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        file.write_all(text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
    }
    #[cfg(not(unix))]
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

struct Ctx {
    args: WalletArgs,
    path: PathBuf,
    http: reqwest::Client,
}

impl Ctx {
    async fn get(&self, route: &str) -> Result<(u16, Value), String> {
        let url = format!("{}{route}", self.args.api.trim_end_matches('/'));
        let r = self.http.get(&url).send().await.map_err(|e| format!("{}: {e}", self.args.api))?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    /// This wallet's rollup account: the one holding its key whose owner is its base-chain
    /// address (`None` before its first deposit). Anyone can deposit with any key, so accounts
    /// holding this key that someone else owns are never acted on.
    async fn account(&self, w: &Wallet) -> Result<Option<Value>, String> {
        let packed = format!("0x{}", hex::encode(w.key.public_key().pack()));
        let me = causeway_l1::address_of(&w.l1_key).map_err(|e| e.to_string())?;
        // Page by page: anyone may deposit many accounts with this key.
        let mut after = String::new();
        let mut last = -1;
        loop {
            let list = match self.get(&format!("/v1/accounts/by-key/{packed}{after}")).await? {
                (200, v) => v,
                (404, _) => return Ok(None),
                (s, e) => return Err(api_error(s, &e)),
            };
            let accounts = list["accounts"].as_array().ok_or("the API answered without an account list")?;
            let mine = accounts.iter().find(|a| {
                a["owner"].as_str().and_then(|o| o.parse::<Address>().ok()) == Some(me)
                    && a["token"].as_u64() == Some(u64::from(ETHER))
            });
            match (mine, list["next_after"].as_i64()) {
                (Some(a), _) => return Ok(Some(a.clone())),
                (None, Some(next)) if next > last => {
                    last = next;
                    after = format!("?after={next}");
                }
                (None, Some(_)) => return Err("the API's pages of accounts by key do not advance".into()),
                (None, None) => return Ok(None),
            }
        }
    }

    /// The deployment to sign for. With a base chain configured (`--deployment` or
    /// `--contract`), the chain's id and the contract's address, which the sequencer must
    /// agree with; otherwise the sequencer's own.
    async fn domain(&self) -> Result<Domain, String> {
        let (status, v) = self.get("/v1/rollup").await?;
        if status != 200 {
            return Err(api_error(status, &v));
        }
        let api_rollup: Address =
            v["rollup"].as_str().and_then(|a| a.parse().ok()).ok_or("the API gave no rollup address")?;
        let api = Domain::new(
            v["chain_id"].as_str().and_then(|c| c.parse().ok()).ok_or("the API gave no chain id")?,
            api_rollup.into_array(),
        );
        if !self.args.rollup.is_given() {
            return Ok(api);
        }
        let contract = self.args.rollup.address()?;
        let provider = alloy::providers::ProviderBuilder::new()
            .connect_http(self.args.rpc.parse().map_err(|e| format!("--rpc {}: {e}", self.args.rpc))?);
        let chain_id = provider.get_chain_id().await.map_err(|e| format!("{}: {e}", self.args.rpc))?;
        let ours = Domain::new(chain_id, contract.into_array());
        if ours != api {
            return Err(format!(
                "the sequencer at {} serves {api}, but this wallet is set up for {ours}: refusing to sign",
                self.args.api
            ));
        }
        Ok(ours)
    }

    async fn index_and_nonce(&self, w: &Wallet) -> Result<(u32, u32), String> {
        let a = self.account(w).await?.ok_or("this key has no rollup account yet: deposit first")?;
        let index = a["index"].as_u64().ok_or("the API answered without an index")? as u32;
        let nonce = a["accepted"]["nonce"].as_u64().ok_or("the API answered without a nonce")? as u32;
        Ok((index, nonce))
    }

    /// Submits a signed transaction, first keeping it in the wallet's unfinished list (a 200
    /// means only "in the operator's database"), which [`follow`] empties when it is final.
    async fn submit(&self, op: Operation, domain: &Domain) -> Result<Value, String> {
        let signed = SignedTx::of(&op).ok_or("not a signed operation")?;
        let hash = signed.hash(domain);
        let mut unfinished = Unfinished::load(&self.path)?;
        unfinished.0.retain(|(h, _)| *h != hash);
        unfinished.0.push((hash.clone(), signed));
        unfinished.save(&self.path)?;
        let answer = self.post(&signed).await;
        if answer.as_ref().is_ok_and(|v| v["hash"].as_str() != Some(hash.as_str())) {
            return Err(format!("the sequencer answered another hash than {hash}: {answer:?}"));
        }
        match answer {
            Err(e) if e.starts_with(UNREACHABLE) => {
                Err(format!("{e}; {hash} is kept: `causeway wallet follow {hash}` submits it again"))
            }
            Err(e) => {
                // Refused: nothing to keep.
                unfinished.0.retain(|(h, _)| *h != hash);
                unfinished.save(&self.path)?;
                Err(e)
            }
            ok => ok,
        }
    }

    async fn post(&self, signed: &SignedTx) -> Result<Value, String> {
        let body = serde_json::to_string(signed).map_err(|e| e.to_string())?;
        let url = format!("{}/v1/txs", self.args.api.trim_end_matches('/'));
        let r = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{UNREACHABLE} {}: {e}", self.args.api))?;
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        match status {
            200 => Ok(v),
            // The outcome is unknown (or the server asks for time): the transaction is kept.
            429 | 502..=504 => Err(format!("{UNREACHABLE} {}", api_error(status, &v))),
            _ => Err(api_error(status, &v)),
        }
    }

    fn chain(&self, w: &Wallet) -> Result<(DynProvider, Rollup::RollupInstance<DynProvider>), String> {
        let contract = self.args.rollup.address().map_err(|e| format!("{e} (the base chain is needed for this)"))?;
        let provider = wallet_provider(&self.args.rpc, &w.l1_key).map_err(|e| e.to_string())?;
        let rollup = Rollup::new(contract, provider.clone());
        Ok((provider, rollup))
    }
}

fn api_error(status: u16, v: &Value) -> String {
    match (v["code"].as_str(), v["message"].as_str()) {
        (Some(code), Some(message)) => format!("the sequencer answered {status} {code}: {message}"),
        _ => format!("the sequencer answered {status}: {v}"),
    }
}

pub(crate) fn wallet(args: WalletArgs) -> Result<(), String> {
    let path = args.wallet.clone().unwrap_or_else(default_path);
    let ctx = Ctx { args, path, http: reqwest::Client::new() };
    crate::chain::runtime()?.block_on(run(ctx))
}

async fn run(ctx: Ctx) -> Result<(), String> {
    if let WalletCommand::New { l1_key, force } = &ctx.args.command {
        if ctx.path.exists() && !force {
            return Err(format!("{} exists (--force replaces it)", ctx.path.display()));
        }
        let l1_key = l1_key.clone().unwrap_or_else(|| format!("0x{}", hex::encode(random32())));
        causeway_l1::address_of(&l1_key).map_err(|e| format!("--l1-key: {e}"))?;
        save(&ctx.path, &WalletFile { rollup_key: format!("0x{}", hex::encode(random32())), l1_key })?;
        eprintln!("wrote {} (keep it secret: it holds both private keys)", ctx.path.display());
        return show(&ctx, &load(&ctx.path)?).await;
    }
    let w = load(&ctx.path)?;
    match &ctx.args.command {
        WalletCommand::New { .. } => unreachable!("handled above"),
        WalletCommand::Show => show(&ctx, &w).await,
        WalletCommand::Deposit { amount, wait } => deposit(&ctx, &w, parse_ether(amount)?, *wait).await,
        WalletCommand::Transfer { to, amount, wait, via_l1: true, account, .. } => {
            forced(&ctx, &w, *account, Some(*to), parse_ether(amount)?, *wait).await
        }
        WalletCommand::Withdraw { to, amount, wait, via_l1: true, account, .. } => {
            let me = causeway_l1::address_of(&w.l1_key).map_err(|e| e.to_string())?;
            if let Some(to) = to
                && to.parse::<Address>().map_err(|e| format!("--to {to}: {e}"))? != me
            {
                return Err(format!(
                    "a withdrawal --via-l1 pays the account's owner only ({me}, this wallet's base-chain address): \
                     leave --to out"
                ));
            }
            forced(&ctx, &w, *account, None, parse_ether(amount)?, *wait).await
        }
        WalletCommand::Transfer { to, amount, fee, wait, .. } => {
            let (from, nonce) = ctx.index_and_nonce(&w).await?;
            let domain = ctx.domain().await?;
            let op = Operation::Transfer(Transfer::signed(
                &w.key,
                &domain,
                from,
                *to,
                parse_ether(amount)?,
                parse_ether(fee)?,
                nonce,
            ));
            submitted(&ctx, ctx.submit(op, &domain).await?, *wait, false).await
        }
        WalletCommand::Withdraw { to, amount, fee, wait, .. } => {
            let to: Address = match to {
                Some(a) => a.parse().map_err(|e| format!("--to {a}: {e}"))?,
                None => causeway_l1::address_of(&w.l1_key).map_err(|e| e.to_string())?,
            };
            let (from, nonce) = ctx.index_and_nonce(&w).await?;
            let domain = ctx.domain().await?;
            let op = Operation::Withdraw(Withdraw::signed(
                &w.key,
                &domain,
                from,
                to.0.0,
                parse_ether(amount)?,
                parse_ether(fee)?,
                nonce,
            ));
            submitted(&ctx, ctx.submit(op, &domain).await?, *wait, false).await
        }
        WalletCommand::Balance => balance(&ctx, &w).await,
        WalletCommand::Follow { hash: Some(hash), timeout_secs } => follow(&ctx, hash, *timeout_secs, false).await,
        WalletCommand::Follow { hash: None, timeout_secs } => {
            let unfinished = Unfinished::load(&ctx.path)?;
            if unfinished.0.is_empty() {
                println!("no transaction of this wallet is waiting to be finalized");
            }
            for (hash, _) in unfinished.0 {
                println!("{hash}");
                follow(&ctx, &hash, *timeout_secs, false).await?;
            }
            Ok(())
        }
        WalletCommand::Claim => {
            let (provider, rollup) = ctx.chain(&w)?;
            let me = causeway_l1::address_of(&w.l1_key).map_err(|e| e.to_string())?;
            let before = provider.get_balance(me).await.map_err(|e| format!("{}: {e}", ctx.args.rpc))?;
            let receipt = send_and_wait(rollup.withdraw(me, ETHER)).await.map_err(|e| e.to_string())?;
            let after = provider.get_balance(me).await.map_err(|e| format!("{}: {e}", ctx.args.rpc))?;
            let paid = receipt
                .inner
                .logs()
                .iter()
                .find_map(|l| l.log_decode::<Rollup::Withdrawn>().ok())
                .map_or(U256::ZERO, |l| l.inner.data.amount);
            println!(
                "{}",
                json!({ "claimed": paid.to_string(), "l1_tx": receipt.transaction_hash.to_string(),
                        "l1_balance_before": before.to_string(), "l1_balance": after.to_string() })
            );
            Ok(())
        }
        WalletCommand::Exit { account } => {
            let index = match account {
                Some(index) => *index,
                None => ctx.index_and_nonce(&w).await?.0,
            };
            let (_, rollup) = ctx.chain(&w)?;
            let (x, y) = encode::key_words(&w.key.public_key());
            let fee = rollup.fullExitFee().call().await.map_err(|e| format!("fullExitFee: {e}"))?;
            let receipt = send_and_wait(rollup.requestFullExit(index, x, y, ETHER).value(fee))
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                json!({ "full_exit_requested": index, "fee": fee.to_string(),
                                    "l1_tx": receipt.transaction_hash.to_string() })
            );
            Ok(())
        }
    }
}

/// Queues a forced transfer (to `Some(payee)`) or withdrawal of `amount` wei from `account`
/// (default: this wallet's) on the base chain, and with `wait` follows it by its priority hash.
async fn forced(
    ctx: &Ctx,
    w: &Wallet,
    account: Option<u32>,
    to: Option<u32>,
    amount: u128,
    wait: bool,
) -> Result<(), String> {
    let index = match account {
        Some(index) => index,
        None => ctx.index_and_nonce(w).await?.0,
    };
    let (_, rollup) = ctx.chain(w)?;
    let (x, y) = encode::key_words(&w.key.public_key());
    let fee = rollup.forcedFee().call().await.map_err(|e| format!("forcedFee: {e}"))?;
    let receipt = match to {
        Some(to) => send_and_wait(rollup.forceTransfer(index, x, y, ETHER, to, amount).value(fee)).await,
        None => send_and_wait(rollup.forceWithdraw(index, x, y, ETHER, amount).value(fee)).await,
    }
    .map_err(|e| e.to_string())?;
    let logs = receipt.inner.logs();
    let serial = logs
        .iter()
        .find_map(|l| l.log_decode::<Rollup::ForcedTransferRequested>().ok().map(|e| e.inner.data.serial))
        .or_else(|| {
            logs.iter()
                .find_map(|l| l.log_decode::<Rollup::ForcedWithdrawRequested>().ok().map(|e| e.inner.data.serial))
        })
        .ok_or("the contract emitted no forced request")?;
    let hash = format!("0x{}", hex::encode(causeway_protocol::wire::priority_request_hash(serial)));
    let v = json!({
        "type": if to.is_some() { "forced_transfer" } else { "forced_withdraw" },
        "serial": serial,
        "account": index,
        "to": to,
        "amount": amount.to_string(),
        "fee": fee.to_string(),
        "hash": hash,
        "l1_tx": receipt.transaction_hash.to_string(),
    });
    submitted(ctx, v, wait, true).await
}

/// Prints what was submitted (or queued on the base chain: `queued`) and with `wait` follows it.
async fn submitted(ctx: &Ctx, v: Value, wait: bool, queued: bool) -> Result<(), String> {
    println!("{v}");
    match v["hash"].as_str() {
        Some(hash) if wait => follow(ctx, hash, 600, queued).await,
        Some(hash) => {
            eprintln!("follow it with: causeway wallet follow {hash}");
            Ok(())
        }
        None => Ok(()),
    }
}

/// Writes a wallet file (replacing one there) with a new rollup key and base-chain key
/// `l1_key`; returns the rollup key.
pub(crate) fn new_wallet(path: &std::path::Path, l1_key: &str) -> Result<PrivateKey, String> {
    let key = random32();
    save(path, &WalletFile { rollup_key: format!("0x{}", hex::encode(key)), l1_key: l1_key.to_owned() })?;
    Ok(PrivateKey(key))
}

/// Waits until the sequencer's accepted state has account `index`.
pub(crate) async fn wait_for_account(
    http: &reqwest::Client,
    api: &str,
    index: u32,
    timeout: Duration,
) -> Result<Value, String> {
    let started = std::time::Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{api}/v1/accounts/{index}")).send().await
            && r.status().is_success()
        {
            return r.json().await.map_err(|e| e.to_string());
        }
        if started.elapsed() > timeout {
            return Err(format!("account {index} not on the rollup after {} s", timeout.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn show(ctx: &Ctx, w: &Wallet) -> Result<(), String> {
    let pk = w.key.public_key();
    let account = ctx.account(w).await.ok().flatten();
    println!(
        "{}",
        json!({
            "wallet": ctx.path.display().to_string(),
            "public_key": format!("0x{}", hex::encode(pk.pack())),
            "l1_address": causeway_l1::address_of(&w.l1_key).map_err(|e| e.to_string())?.to_string(),
            "account": account.as_ref().and_then(|a| a["index"].as_u64()),
        })
    );
    Ok(())
}

/// The account a deposit created for `key` owned by `owner`, from the Rollup's
/// `DepositRequested` events (`None`: no deposit made one; genesis accounts are not found).
async fn account_on_chain(
    rollup: &Rollup::RollupInstance<alloy::providers::DynProvider>,
    from_block: u64,
    key: &causeway_protocol::PublicKey,
    owner: Address,
) -> Result<Option<u64>, String> {
    let (x, y) = encode::key_words(key);
    let events = causeway_l1::replay::in_ranges(rollup.provider(), from_block, |from, to| {
        let filter = rollup.DepositRequested_filter().from_block(from).to_block(to);
        async move { Ok(filter.query().await?) }
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(events
        .iter()
        .find(|(e, _)| e.pkX == x && e.pkY == y && e.owner == owner && e.token == ETHER)
        .map(|(e, _)| u64::from(e.account)))
}

async fn deposit(ctx: &Ctx, w: &Wallet, amount: u128, wait: bool) -> Result<(), String> {
    if amount == 0 {
        return Err("--amount must be more than 0".into());
    }
    let (_, rollup) = ctx.chain(w)?;
    let (x, y) = encode::key_words(&w.key.public_key());
    let owner = causeway_l1::address_of(&w.l1_key).map_err(|e| e.to_string())?;
    let existing = match ctx.account(w).await {
        Ok(a) => a.and_then(|a| a["index"].as_u64()),
        // The sequencer may be down (or gone: exodus). The chain knows every account a deposit
        // created: find this key's and owner's there.
        Err(e) => {
            eprintln!("the sequencer's API did not answer ({e}): looking the account up on the base chain");
            account_on_chain(&rollup, ctx.args.rollup.deployed_at_block(), &w.key.public_key(), owner).await?
        }
    };
    // The priority fee comes on top of the amount (docs/protocol.md).
    let fee = rollup.depositFee().call().await.map_err(|e| format!("depositFee: {e}"))?;
    let value = U256::from(amount) + fee;
    let receipt = match existing {
        Some(index) => send_and_wait(rollup.depositTo(index as u32, x, y, owner).value(value)).await,
        None => send_and_wait(rollup.deposit(x, y).value(value)).await,
    }
    .map_err(|e| e.to_string())?;
    let event = receipt.inner.logs().iter().find_map(|l| l.log_decode::<Rollup::DepositRequested>().ok());
    let (serial, account) = event.map_or((None, None), |e| (Some(e.inner.data.serial), Some(e.inner.data.account)));
    println!(
        "{}",
        json!({ "deposited": amount.to_string(), "fee": fee.to_string(), "account": account, "serial": serial,
                "l1_tx": receipt.transaction_hash.to_string() })
    );
    if !wait {
        eprintln!("the sequencer credits it once the block has its confirmations: causeway wallet balance");
        return Ok(());
    }
    // Follow the request itself: comparing balances races with the watcher, which may credit
    // the deposit before a balance read after the receipt.
    let serial = serial.ok_or("the deposit's receipt has no DepositRequested event")?;
    let hash = format!("0x{}", hex::encode(causeway_sequencer::watcher::priority_request_hash(serial)));
    let started = std::time::Instant::now();
    loop {
        let (status, v) = ctx.get(&format!("/v1/txs/{hash}")).await?;
        match (status, v["status"].as_str()) {
            (404, _) => {}
            (200, Some("rejected")) => return Err(format!("deposit {serial} was rejected: {}", v["rejection"])),
            (200, Some(_)) => {
                let now = ctx.account(w).await?.and_then(|a| a["accepted"]["balance"].as_str().map(str::to_owned));
                let now = now.and_then(|b| b.parse::<u128>().ok()).ok_or("the credited account is not listed")?;
                println!("credited: balance {} ether", format_ether(now));
                return Ok(());
            }
            _ => return Err(api_error(status, &v)),
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err(format!("deposit {serial} ({hash}) was not credited within 300 s"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn balance(ctx: &Ctx, w: &Wallet) -> Result<(), String> {
    let account = ctx.account(w).await?;
    let mut out = json!({
        "account": account.as_ref().and_then(|a| a["index"].as_u64()),
        "accepted": account.as_ref().map(|a| a["accepted"].clone()),
        "proved": account.as_ref().map(|a| json!({ "batch": a["proved"]["batch"], "balance": a["proved"]["balance"], "nonce": a["proved"]["nonce"] })),
    });
    if let Ok((provider, rollup)) = ctx.chain(w) {
        let me = causeway_l1::address_of(&w.l1_key).map_err(|e| e.to_string())?;
        let l1 = provider.get_balance(me).await.map_err(|e| format!("{}: {e}", ctx.args.rpc))?;
        let claimable =
            rollup.pendingWithdrawals(me, ETHER).call().await.map_err(|e| format!("{}: {e}", ctx.args.rpc))?;
        out["l1"] = json!({ "address": me.to_string(), "balance": l1.to_string(), "claimable": claimable.to_string() });
    }
    let ether = |v: &Value| v.as_str().and_then(|s| s.parse::<u128>().ok()).map(format_ether);
    out["in_ether"] = json!({
        "accepted": ether(&out["accepted"]["balance"]),
        "proved": ether(&out["proved"]["balance"]),
        "l1": ether(&out["l1"]["balance"]),
        "claimable": ether(&out["l1"]["claimable"]),
    });
    println!("{out}");
    Ok(())
}

/// Follows `hash` to `finalized`. While the sequencer answers 404 for it and the wallet holds
/// it unfinished, the wallet's unfinished transactions the sequencer does not know are
/// submitted again, in the order they were signed (their nonces follow each other).
/// Follows transaction `hash` until it is finalized (or rejected). A 404 is waited out for a
/// request `queued` on the base chain (the sequencer reads it after its confirmations) and
/// answered by submitting again for one in this wallet's unfinished list.
async fn follow(ctx: &Ctx, hash: &str, timeout_secs: u64, queued: bool) -> Result<(), String> {
    let hash = &hash.to_lowercase();
    let started = std::time::Instant::now();
    let mut last = String::new();
    loop {
        // No answer is waited out like a 503: the sequencer may be restarting or failing over.
        let (status, v) = ctx.get(&format!("/v1/txs/{hash}")).await.unwrap_or((503, Value::Null));
        let s = if status == 404 && Unfinished::load(&ctx.path)?.0.iter().any(|(h, _)| h == hash) {
            resubmit(ctx, hash).await?;
            "submitted again".to_owned()
        } else if status == 404 && queued {
            "queued on the base chain".to_owned()
        } else if matches!(status, 429 | 502..=504) {
            "unavailable".to_owned() // the sequencer or its database is down: wait
        } else if status != 200 {
            return Err(api_error(status, &v));
        } else {
            v["status"].as_str().unwrap_or("unknown").to_owned()
        };
        if s != last {
            let batch = v["batch"].as_i64().map(|b| format!(" (batch {b})")).unwrap_or_default();
            println!("{s}{batch}");
            last = s.clone();
        }
        match s.as_str() {
            "finalized" => return Unfinished::finished(&ctx.path, hash),
            "rejected" => {
                Unfinished::finished(&ctx.path, hash)?;
                return Err(format!("rejected: {}", v["rejection"]));
            }
            _ => {}
        }
        if started.elapsed() > Duration::from_secs(timeout_secs) {
            return Err(format!("still {s} after {timeout_secs} s"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What [`Ctx::post`]'s error starts with when the outcome is unknown (no answer, 429, 502–504):
/// the transaction is kept for resubmission.
const UNREACHABLE: &str = "no answer from";

/// The transactions this wallet signed and submitted that it has not seen `finalized` (or
/// `rejected`), in the order they were signed: `<wallet>.unfinished.json`, `[[hash, signed
/// transaction], …]`.
#[derive(Default, Serialize, Deserialize)]
struct Unfinished(Vec<(String, SignedTx)>);

impl Unfinished {
    fn path(wallet: &std::path::Path) -> PathBuf {
        let mut name = wallet.file_name().unwrap_or_default().to_owned();
        name.push(".unfinished.json");
        wallet.with_file_name(name)
    }

    fn load(wallet: &std::path::Path) -> Result<Self, String> {
        let path = Self::path(wallet);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    fn save(&self, wallet: &std::path::Path) -> Result<(), String> {
        let path = Self::path(wallet);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Forgets `hash`: it is final (or rejected).
    fn finished(wallet: &std::path::Path, hash: &str) -> Result<(), String> {
        let mut all = Self::load(wallet)?;
        let before = all.0.len();
        all.0.retain(|(h, _)| h != hash);
        if all.0.len() != before { all.save(wallet) } else { Ok(()) }
    }
}

/// Submits again, in signing order, every unfinished transaction of the wallet up to and
/// including `hash` that the sequencer does not know. A refused one is forgotten; if it is
/// `hash`, the refusal is the caller's error.
async fn resubmit(ctx: &Ctx, hash: &str) -> Result<(), String> {
    let unfinished = Unfinished::load(&ctx.path)?;
    for (h, signed) in &unfinished.0 {
        let Ok((status, _)) = ctx.get(&format!("/v1/txs/{h}")).await else {
            return Ok(()); // no answer: the next poll tries again
        };
        if status == 404 {
            eprintln!("the sequencer does not know {h} (it may have lost its database): submitting it again");
            match ctx.post(signed).await {
                Ok(_) => {}
                Err(e) if e.starts_with(UNREACHABLE) => return Ok(()),
                Err(e) => {
                    Unfinished::finished(&ctx.path, h)?;
                    if h == hash {
                        return Err(format!("submitted again, {h} was refused: {e}"));
                    }
                    eprintln!("submitted again, {h} was refused: {e}");
                }
            }
        }
        if h == hash {
            break;
        }
    }
    Ok(())
}
