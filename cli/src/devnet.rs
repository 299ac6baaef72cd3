//! `causeway devnet`: the whole system on one machine, in one process — PostgreSQL (this
//! machine's, or `DATABASE_URL`'s server), anvil, the Rollup contract, the sequencer with its L1
//! watcher, a prover worker and the settler — with two funded demo users. Ctrl-C stops it all.
//!
//! Every run starts fresh: a new anvil chain and a recreated `causeway_devnet` database. Only
//! the development keys are kept (`keys/devnet-d{depth}-s{slots}`): generating them is the slow
//! part.

use crate::wallet;
use alloy::primitives::U256;
use causeway_l1::settler::{Settler, SettlerConfig};
use causeway_l1::{DEV_OPERATOR_KEY, DEV_USER_KEYS, anvil::Anvil, encode, send_and_wait, wallet_provider};
use causeway_prover::{
    Circuit,
    worker::{self, WorkerConfig},
};
use causeway_sequencer::{Sequencer, SequencerConfig, watcher::L1Config};
use clap::Args;
use serde_json::json;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};
use tokio::sync::watch;

/// `causeway devnet` flags.
#[derive(Args)]
pub(crate) struct DevnetArgs {
    /// Directory for this run's genesis, deployment and demo wallets (replaced on each run).
    #[arg(long, default_value = "out/devnet")]
    dir: PathBuf,
    /// Directory where development keys are cached between runs.
    #[arg(long, default_value = "keys")]
    keys_dir: PathBuf,
    /// The API's port.
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// anvil's port.
    #[arg(long, default_value_t = 8545)]
    rpc_port: u16,
    /// State tree depth (the tree holds 2^depth accounts).
    #[arg(long, default_value_t = 4)]
    depth: u32,
    /// Slots per batch (at least 7: a deposit's size).
    #[arg(long, default_value_t = 8)]
    slots: usize,
    /// Seconds between base-chain blocks.
    #[arg(long, default_value_t = 1)]
    block_time: u64,
    /// Confirmations the watcher and the settler wait for.
    #[arg(long, default_value_t = 2)]
    confirmations: u64,
    /// On the first Ctrl-C stop only the operator's services (sequencer, prover, settler) and
    /// keep the base chain running until a second Ctrl-C: the operator disappears, the chain
    /// and the contract stay (README: "If the operator disappears").
    #[arg(long)]
    keep_chain: bool,
}

const DEMO_USERS: [&str; 2] = ["alice", "bob"];
/// The devnet's priority deadline: an hour of its 1-second blocks.
const DEVNET_EXPIRY_BLOCKS: u64 = 3_600;
/// The devnet's open-mode delay: a minute of its 1-second blocks, so that the README's
/// takeover walkthrough does not wait long.
const DEVNET_OPEN_DELAY_BLOCKS: u64 = 60;
/// The devnet's capacity: a full batch every 5 of its 1-second blocks.
const DEVNET_BLOCKS_PER_BATCH: u64 = 5;

const DEMO_DEPOSIT_ETHER: &str = "10";
const DATABASE: &str = "causeway_devnet";

fn step(what: &str) {
    eprintln!("==> {what}");
}

/// This machine's PostgreSQL via `scripts/postgres`, unless `DATABASE_URL` names a server.
fn postgres() -> Result<String, String> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.is_empty()
    {
        return Ok(url);
    }
    let script = [PathBuf::from("scripts/postgres"), Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres")]
        .into_iter()
        .find(|p| p.exists())
        .ok_or(
            "DATABASE_URL is not set and scripts/postgres is not here: run from the repository or set DATABASE_URL",
        )?;
    let out = std::process::Command::new(&script)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed ({})", script.display(), out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The cached development keys of `circuit` for this shape, generated the first time with a
/// progress line. Batch keys live in `devnet-dD-sS`, exit keys in `devnet-dD-exit`.
fn cached_keys(args: &DevnetArgs, circuit: Circuit) -> Result<PathBuf, String> {
    let dir = match circuit {
        Circuit::Batch => args.keys_dir.join(format!("devnet-d{}-s{}", args.depth, args.slots)),
        Circuit::Exit => args.keys_dir.join(format!("devnet-d{}-exit", args.depth)),
    };
    let params = circuit.params(args.depth, args.slots);
    // Keys cached by an older build whose circuit differs (another circuit id) are made again:
    // the prover would refuse them.
    let (_, id) = causeway_prover::keys::circuit_id(circuit, params).map_err(|e| e.to_string())?;
    let meta = causeway_prover::keys::load_metadata_for(&dir, circuit).ok();
    let cached = meta.as_ref().is_some_and(|m| m.circuit == circuit && m.params == params && m.circuit_id == id)
        && dir.join("proving.key").exists()
        && dir.join("verifying.key").exists();
    if cached {
        step(&format!("development {circuit}-circuit keys: {} (cached)", dir.display()));
        return Ok(dir);
    }
    if meta.is_some_and(|m| m.circuit_id != id) {
        step(&format!("the cached {circuit}-circuit keys in {} are for an older circuit", dir.display()));
    }
    step(&format!(
        "generating development {circuit}-circuit keys for depth {} (once; cached in {})",
        args.depth,
        dir.display()
    ));
    let (done, done_rx) = std::sync::mpsc::channel::<()>();
    let started = std::time::Instant::now();
    let ticker = std::thread::spawn(move || {
        while done_rx.recv_timeout(Duration::from_secs(2)).is_err() {
            eprint!("\r    {} s ...", started.elapsed().as_secs());
        }
        eprintln!("\r    done in {} s", started.elapsed().as_secs());
    });
    use rand_core::SeedableRng;
    let result = causeway_prover::keys::setup_for(circuit, params, &mut rand_chacha::ChaCha20Rng::from_entropy())
        .and_then(|k| k.save(&dir));
    let _ = done.send(());
    let _ = ticker.join();
    result.map_err(|e| e.to_string())?;
    Ok(dir)
}

pub(crate) fn devnet(args: DevnetArgs) -> Result<(), String> {
    crate::node::init_tracing();
    if args.slots < causeway_protocol::pubdata::MAX_OP_CHUNKS {
        return Err(format!(
            "--slots must be at least {} (a deposit's size)",
            causeway_protocol::pubdata::MAX_OP_CHUNKS
        ));
    }
    causeway_protocol::tree::check_depth(args.depth).map_err(|e| format!("--depth: {e}"))?;
    let keys = cached_keys(&args, Circuit::Batch)?;
    let exit_keys = cached_keys(&args, Circuit::Exit)?;
    step("PostgreSQL");
    let admin = postgres()?;
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let genesis_path = args.dir.join("genesis.json");
    let genesis = causeway_prover::sample::sample_genesis_file(args.depth, 4).map_err(|e| e.to_string())?;
    std::fs::write(&genesis_path, serde_json::to_string_pretty(&genesis).map_err(|e| e.to_string())?)
        .map_err(|e| format!("{}: {e}", genesis_path.display()))?;
    crate::chain::runtime()?.block_on(async move {
        let url = causeway_db::recreate_database(&admin, DATABASE).await.map_err(|e| e.to_string())?;
        eprintln!("    {url}");

        step(&format!("anvil on port {} ({}-second blocks)", args.rpc_port, args.block_time));
        let block_time = args.block_time.to_string();
        let anvil_args = ["--block-time", block_time.as_str()];
        let anvil = if args.keep_chain {
            Anvil::start_on_in_own_group(args.rpc_port, &anvil_args).await
        } else {
            Anvil::start_on(args.rpc_port, &anvil_args).await
        };
        let anvil = anvil.map_err(|e| format!("{e} (is port {} taken? --rpc-port picks another)", args.rpc_port))?;
        let rpc = anvil.url();

        step("deploying the Rollup contract");
        let queue = crate::chain::QueueArgs {
            expiry_blocks: DEVNET_EXPIRY_BLOCKS,
            blocks_per_batch: DEVNET_BLOCKS_PER_BATCH,
            open_delay_blocks: Some(DEVNET_OPEN_DELAY_BLOCKS),
            priority_fee: causeway_l1::DEFAULT_PRIORITY_FEE,
            min_deposit: causeway_l1::DEFAULT_MIN_DEPOSIT,
        };
        let params = crate::chain::rollup_params(&genesis, &keys, &exit_keys, queue)?;
        let operator = wallet_provider(&rpc, DEV_OPERATOR_KEY).map_err(|e| e.to_string())?;
        let deployed = causeway_l1::deploy(&operator, &params).await.map_err(|e| e.to_string())?;
        let contract = deployed.address;
        let deployment = args.dir.join("deployment.json");
        let operator_address = causeway_l1::address_of(DEV_OPERATOR_KEY).map_err(|e| e.to_string())?;
        let mut report = crate::chain::deployment_json(&deployed, operator_address, &params);
        report["rpc"] = json!(rpc);
        std::fs::write(&deployment, serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?)
            .map_err(|e| format!("{}: {e}", deployment.display()))?;
        eprintln!("    {contract}");

        step(&format!("sequencer on port {}, prover, settler", args.port));
        let mut config = SequencerConfig::new(url.clone());
        config.listen = ([127, 0, 0, 1], args.port).into();
        config.genesis = Some(genesis_path.clone());
        config.slots = Some(args.slots);
        config.batch_timeout = Duration::from_secs(2);
        config.l1 = Some(L1Config {
            rpc: rpc.clone(),
            contract,
            confirmations: args.confirmations,
            poll: Duration::from_millis(500),
            from_block: deployed.block,
        });
        config.domain = deployed.domain();
        let mut seq = Sequencer::start(config).await.map_err(|e| format!("sequencer: {e}"))?;
        let api = format!("http://{}", seq.addr);
        let (stop, stop_rx) = watch::channel(false);
        let prover = tokio::spawn(worker::run(
            WorkerConfig {
                database_url: url.clone(),
                keys: keys.clone(),
                name: "devnet-prover".into(),
                lease: worker::DEFAULT_LEASE,
                poll: worker::DEFAULT_POLL,
                max_jobs: None,
                heartbeat: None,
            },
            stop_rx.clone(),
        ));
        let db = causeway_db::Db::connect_with(&url, 2).await.map_err(|e| e.to_string())?;
        let settler_config = SettlerConfig {
            confirmations: args.confirmations,
            resubmit_after: Duration::from_secs(15),
            poll: Duration::from_millis(500),
            ..SettlerConfig::new(rpc.clone(), contract, DEV_OPERATOR_KEY.to_owned())
        };
        let settler = Settler::connect(db, settler_config).await.map_err(|e| format!("settler: {e}"))?;
        let settler = tokio::spawn(settler.run(stop_rx.clone()));

        step(&format!("demo users {} deposit {DEMO_DEPOSIT_ETHER} ether each", DEMO_USERS.join(" and ")));
        let mut accounts = Vec::new();
        for (i, name) in DEMO_USERS.iter().enumerate() {
            let path = args.dir.join(format!("{name}.json"));
            let key = wallet::new_wallet(&path, DEV_USER_KEYS[i])?;
            let provider = wallet_provider(&rpc, DEV_USER_KEYS[i]).map_err(|e| e.to_string())?;
            let (x, y) = encode::key_words(&key.public_key());
            let queue = causeway_l1::rollup(&provider, contract);
            let fee = queue.depositFee().call().await.map_err(|e| format!("depositFee: {e}"))?;
            let amount = U256::from(wallet::parse_ether(DEMO_DEPOSIT_ETHER)?) + fee;
            let receipt =
                send_and_wait(queue.deposit(x, y).value(amount)).await.map_err(|e| format!("{name}'s deposit: {e}"))?;
            let account = receipt
                .inner
                .logs()
                .iter()
                .find_map(|l| l.log_decode::<causeway_l1::Rollup::DepositRequested>().ok())
                .map(|e| e.inner.data.account)
                .ok_or("no DepositRequested event")?;
            accounts.push((name, account, path));
        }
        let http = reqwest::Client::new();
        for (name, account, _) in &accounts {
            wallet::wait_for_account(&http, &api, *account, Duration::from_secs(60))
                .await
                .map_err(|e| format!("{name}'s deposit never reached the rollup: {e}"))?;
        }

        let (alice, bob) = (&accounts[0], &accounts[1]);
        let w = |p: &Path| p.display().to_string();
        println!();
        println!("Causeway devnet is up.");
        println!("  explorer    {api}/  (open it in a browser: batches, transactions, accounts, proof checks)");
        println!("  API         {api}  (OpenAPI at {api}/v1/openapi.json)");
        println!("  base chain  {rpc}  (anvil, {}-second blocks)", args.block_time);
        println!("  Rollup      {contract}  ({})", deployment.display());
        println!(
            "  demo users  alice = account {}, bob = account {} ({DEMO_DEPOSIT_ETHER} ether each)",
            alice.1, bob.1
        );
        println!();
        println!("In another terminal:");
        println!("  export CAUSEWAY_DEPLOYMENT={}", deployment.display());
        println!("  ./target/release/causeway wallet --wallet {} balance", w(&alice.2));
        println!(
            "  ./target/release/causeway wallet --wallet {} transfer --to {} --amount 1.5 --wait",
            w(&alice.2),
            bob.1
        );
        println!("  ./target/release/causeway wallet --wallet {} withdraw --amount 2 --wait", w(&bob.2));
        println!("  ./target/release/causeway wallet --wallet {} claim", w(&bob.2));
        println!(
            "  ./target/release/causeway verify --deployment {} --genesis {} --keys {}",
            deployment.display(),
            genesis_path.display(),
            keys.display()
        );
        println!();
        println!("Ctrl-C stops everything.");
        // Until a batch executing the demo deposits is accepted on the base chain, the last
        // accepted root does not hold alice's and bob's accounts: an exit (README, "If the
        // operator disappears") would find nothing, and only refunds would work.
        let deposits_accepted = {
            let reader = causeway_l1::reading_provider(&rpc).map_err(|e| e.to_string())?;
            let rollup = causeway_l1::rollup(&reader, contract);
            let demo = accounts.len() as u64;
            tokio::spawn(async move {
                loop {
                    if let Ok(head) = rollup.priorityHead().call().await
                        && head >= demo
                    {
                        println!(
                            "The demo deposits are in an accepted batch on the base chain: alice and bob can now leave \
                             without the operator."
                        );
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        };

        // Runs until Ctrl-C, until the settler stops on a refused batch, or until a core task
        // of the sequencer ends.
        let settled = async {
            match settler.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("settler: {e}")),
                Err(e) => Err(format!("settler task: {e}")),
            }
        };
        let (stop_settler, settler_stopped) = (stop.clone(), stop_rx.clone());
        let outcome = tokio::select! {
            _ = crate::node::shutdown_signal() => {
                let _ = stop_settler.send(true);
                Ok(())
            }
            r = settled => r,
            reason = seq.failed() => {
                let _ = stop_settler.send(true);
                Err(format!("sequencer: {reason}"))
            }
        };
        drop(settler_stopped);
        deposits_accepted.abort();
        step("stopping");
        let _ = stop.send(true);
        seq.shutdown(Duration::from_secs(5)).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), prover).await;
        if args.keep_chain && outcome.is_ok() {
            step(&format!(
                "the operator's services are stopped; the base chain stays up at {rpc} with the Rollup at {contract} \
                 (Ctrl-C again stops it)"
            ));
            crate::node::shutdown_signal().await;
        }
        drop(anvil);
        outcome
    })
}
