//! One system for a test: a fresh anvil with a Rollup deployed on it (keys shared by the run,
//! see [`crate::keys`]), a fresh database, and the services as real `causeway` processes:
//! the sequencer with its base-chain watcher, a prover and a settler. A test kills and restarts
//! them ([`System::kill9`], [`System::restart`]), starts a second instance of one
//! ([`System::second`]), wipes the database ([`System::wipe_database`]), and ends with
//! [`System::check_invariants`].

use crate::{
    TempDir,
    api::Api,
    invariants::{self, Chain, Target},
    wait_for,
};
use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};
use causeway_db::testing::TestDb;
use causeway_l1::{DEV_OPERATOR_KEY, DEV_USER_KEYS, anvil::Anvil, encode, rollup, wallet_provider};
use causeway_protocol::Domain;
use serde_json::Value;
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Stdio,
};
use tokio::process::{Child, Command};

/// A service of the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// `causeway sequencer`, with the base-chain watcher.
    Sequencer,
    /// `causeway prover`.
    Prover,
    /// `causeway settler`.
    Settler,
}

/// The shape of a system.
#[derive(Clone, Debug)]
pub struct Options {
    /// The state tree's depth.
    pub depth: u32,
    /// Slots per batch (at least 7, a deposit's chunks).
    pub slots: usize,
    /// Sample accounts in the genesis (account 0, the operator's fee account, included).
    pub genesis_accounts: u32,
    /// Confirmations the watcher and the settler wait for.
    pub confirmations: u64,
    /// The sequencer's `--batch-timeout-ms`.
    pub batch_timeout_ms: u64,
    /// The services started with the system.
    pub start: Vec<Role>,
    /// More arguments for a role.
    pub extra: BTreeMap<Role, Vec<String>>,
    /// Deploy the contract with another setup's verifying key: it refuses every proof the
    /// prover makes.
    pub foreign_verifying_key: bool,
    /// More arguments for `causeway deploy` (`--expiry-blocks`, `--open-delay-blocks`, …).
    pub deploy: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            depth: 2,
            slots: 7,
            genesis_accounts: 1,
            confirmations: 1,
            batch_timeout_ms: 300,
            start: vec![Role::Sequencer, Role::Prover, Role::Settler],
            extra: BTreeMap::new(),
            foreign_verifying_key: false,
            deploy: Vec::new(),
        }
    }
}

/// A running system (see the module's documentation).
pub struct System {
    /// The `causeway` binary.
    pub bin: PathBuf,
    /// Its options.
    pub options: Options,
    /// Its directory (genesis, deployment, logs).
    pub dir: TempDir,
    /// The services' log (every process appends to it).
    pub log: PathBuf,
    /// The batch circuit's keys.
    pub keys: PathBuf,
    /// The exit circuit's keys.
    pub exit_keys: PathBuf,
    /// The genesis file.
    pub genesis: PathBuf,
    /// The deployment file (`causeway deploy --out`).
    pub deployment: PathBuf,
    /// The chain.
    pub anvil: Anvil,
    /// The Rollup contract.
    pub contract: Address,
    /// The deployment's domain.
    pub domain: Domain,
    /// The database.
    pub db: TestDb,
    /// The sequencer's API.
    pub api: Api,
    /// The database URL the services are given, when not [`db`](Self::db)'s own (a
    /// fault-injecting proxy in front of it, say); the invariants always read `db` directly.
    pub services_database_url: Option<String>,
    listen: String,
    running: BTreeMap<Role, Child>,
}

impl System {
    /// Deploys and starts the services `options.start` names, waiting until the sequencer (if
    /// started) answers `/health`.
    pub async fn start(bin: &str, options: Options) -> Self {
        let bin = PathBuf::from(bin);
        let dir = TempDir::new("system");
        let log = dir.0.join("services.log");
        let keys = crate::keys::batch(&bin, options.depth, options.slots);
        let exit_keys = crate::keys::exit(&bin, options.depth);
        let g = causeway_prover::sample::sample_genesis_file(options.depth, options.genesis_accounts).expect("genesis");
        let genesis = dir.0.join("genesis.json");
        std::fs::write(&genesis, serde_json::to_string(&g).expect("json")).expect("write genesis");
        let anvil = Anvil::start(&[]).await.expect("anvil");
        let deployment = dir.0.join("deployment.json");
        let deploy_keys = match options.foreign_verifying_key {
            true => crate::keys::batch_other(&bin, options.depth, options.slots),
            false => keys.clone(),
        };
        let out = std::process::Command::new(&bin)
            .args(["deploy", "--rpc", &anvil.url()])
            .arg("--keys")
            .arg(&deploy_keys)
            .arg("--exit-keys")
            .arg(&exit_keys)
            .arg("--genesis")
            .arg(&genesis)
            .arg("--out")
            .arg(&deployment)
            .args(&options.deploy)
            .output()
            .expect("run causeway deploy");
        assert!(out.status.success(), "deploy: {}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        let contract: Address = report["rollup"].as_str().expect("address").parse().expect("address");
        let domain = Domain::new(report["chain_id"].as_u64().expect("chain id"), contract.into_array());
        let db = TestDb::create().await.expect("test database");
        let listen = format!("127.0.0.1:{}", crate::free_port());
        let api = Api::new(format!("http://{listen}"));
        let mut system = Self {
            bin,
            options,
            dir,
            log,
            keys,
            exit_keys,
            genesis,
            deployment,
            anvil,
            contract,
            domain,
            db,
            api,
            services_database_url: None,
            listen,
            running: BTreeMap::new(),
        };
        for role in system.options.start.clone() {
            system.spawn(role).await;
        }
        system
    }

    /// The arguments a role runs with (its extra arguments last).
    pub fn args(&self, role: Role) -> Vec<String> {
        let s = |p: &Path| p.to_str().expect("utf8").to_owned();
        let o = &self.options;
        let db = self.services_database_url.clone().unwrap_or_else(|| self.db.url.clone());
        let mut args: Vec<String> = match role {
            Role::Sequencer => vec![
                "sequencer".into(),
                "--database-url".into(),
                db.clone(),
                "--listen".into(),
                self.listen.clone(),
                "--genesis".into(),
                s(&self.genesis),
                "--slots".into(),
                o.slots.to_string(),
                "--batch-timeout-ms".into(),
                o.batch_timeout_ms.to_string(),
                "--rpc".into(),
                self.anvil.url(),
                "--deployment".into(),
                s(&self.deployment),
                "--confirmations".into(),
                o.confirmations.to_string(),
                "--l1-poll-ms".into(),
                "100".into(),
            ],
            Role::Prover => {
                vec!["prover".into(), "--keys".into(), s(&self.keys), "--database-url".into(), db.clone()]
            }
            Role::Settler => vec![
                "settler".into(),
                "--database-url".into(),
                db.clone(),
                "--rpc".into(),
                self.anvil.url(),
                "--deployment".into(),
                s(&self.deployment),
                "--confirmations".into(),
                o.confirmations.to_string(),
                "--poll-ms".into(),
                "100".into(),
            ],
        };
        args.extend(o.extra.get(&role).into_iter().flatten().cloned());
        args
    }

    /// Starts `causeway <args>` with `env` set, its output appended to the services' log; killed
    /// when the handle is dropped.
    pub fn process(&self, args: &[String], env: &[(&str, &str)]) -> Child {
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("log file");
        let err = out.try_clone().expect("log file");
        Command::new(&self.bin)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn causeway")
    }

    /// Starts `role` (with `env`, a fail point for example) and, for the sequencer, waits until
    /// it answers `/health`. Panics if it already runs.
    pub async fn spawn_with(&mut self, role: Role, env: &[(&str, &str)]) {
        assert!(!self.running.contains_key(&role), "{role:?} already runs");
        let child = self.process(&self.args(role), env);
        self.running.insert(role, child);
        if role == Role::Sequencer {
            self.wait_healthy().await;
        }
    }

    /// [`spawn_with`](Self::spawn_with) without environment.
    pub async fn spawn(&mut self, role: Role) {
        self.spawn_with(role, &[]).await;
    }

    /// A second instance of `role` beside the first (a standby): the same arguments, except a
    /// sequencer's `--listen`, which is `listen`. The caller owns it.
    pub fn second(&self, role: Role, listen: &str) -> Child {
        let mut args = self.args(role);
        if let Some(i) = args.iter().position(|a| a == "--listen") {
            args[i + 1] = listen.to_owned();
        }
        self.process(&args, &[])
    }

    /// Whether `role` runs (it was started and has not exited).
    pub fn is_running(&mut self, role: Role) -> bool {
        self.running.get_mut(&role).is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The process of `role`, to wait on its exit.
    pub fn child(&mut self, role: Role) -> &mut Child {
        self.running.get_mut(&role).unwrap_or_else(|| panic!("{role:?} was not started"))
    }

    /// SIGKILL to `role`, and reaps it.
    pub async fn kill9(&mut self, role: Role) {
        let mut child = self.running.remove(&role).unwrap_or_else(|| panic!("{role:?} was not started"));
        let _ = child.start_kill();
        let _ = child.wait().await;
    }

    /// Kills `role` with SIGKILL if it runs, and starts it again.
    pub async fn restart(&mut self, role: Role) {
        if self.running.contains_key(&role) {
            self.kill9(role).await;
        }
        self.spawn(role).await;
    }

    /// Kills every service, drops the database and creates an empty one in its place (the
    /// services' arguments follow it); nothing is started.
    pub async fn wipe_database(&mut self) {
        for role in self.running.keys().copied().collect::<Vec<_>>() {
            self.kill9(role).await;
        }
        let fresh = TestDb::create().await.expect("test database");
        std::mem::replace(&mut self.db, fresh).drop_db().await.expect("drop the database");
    }

    /// Waits until the sequencer answers `GET /health` with 200 (30 s at most).
    pub async fn wait_healthy(&self) {
        let api = self.api.clone();
        wait_for("the sequencer healthy", 30, &self.log, async || {
            api.try_get("/health").await.and_then(|(s, _)| (s == 200).then_some(()))
        })
        .await;
    }

    /// Polls `probe` (see [`crate::wait_for`]) with this system's log on time-out.
    pub async fn wait_for<T>(&self, what: &str, secs: u64, probe: impl AsyncFnMut() -> Option<T>) -> T {
        wait_for(what, secs, &self.log, probe).await
    }

    /// Deposits `amount` wei (plus the deployment's priority fee) from base-chain account
    /// `user` (a development key) for a new rollup account keyed by `sample_key(key)`.
    pub async fn deposit(&self, user: usize, key: u32, amount: u128) {
        let provider = wallet_provider(&self.anvil.url(), DEV_USER_KEYS[user]).expect("provider");
        let (x, y) = encode::key_words(&causeway_prover::sample::sample_key(key).public_key());
        let c = rollup(&provider, self.contract);
        let fee = c.depositFee().call().await.expect("depositFee");
        causeway_l1::send_and_wait(c.deposit(x, y).value(U256::from(amount) + fee)).await.expect("deposit");
    }

    /// [`deposit`](Self::deposit) sent without waiting for it to be mined (with automine off,
    /// several deposits then share the next block).
    pub async fn deposit_unmined(&self, user: usize, key: u32, amount: u128) {
        let provider = wallet_provider(&self.anvil.url(), DEV_USER_KEYS[user]).expect("provider");
        let (x, y) = encode::key_words(&causeway_prover::sample::sample_key(key).public_key());
        let c = rollup(&provider, self.contract);
        let fee = c.depositFee().call().await.expect("depositFee");
        let _pending =
            c.deposit(x, y).value(U256::from(amount) + fee).gas(500_000).send().await.expect("send the deposit");
    }

    /// A JSON-RPC call to anvil (as the operator).
    pub async fn anvil_rpc(&self, method: &'static str, params: Value) -> Value {
        let provider = wallet_provider(&self.anvil.url(), DEV_OPERATOR_KEY).expect("provider");
        provider.raw_request(method.into(), params).await.expect(method)
    }

    /// A signed transfer from sample account `key` at `from` to `to`, for this deployment, as
    /// the JSON body of `POST /v1/txs`.
    pub fn transfer(&self, key: u32, from: u32, to: u32, amount: u128, fee: u128, nonce: u32) -> String {
        use causeway_protocol::{Operation, Transfer, wire::SignedTx};
        let k = causeway_prover::sample::sample_key(key);
        let op = Operation::Transfer(Transfer::signed(&k, &self.domain, from, to, amount, fee, nonce));
        serde_json::to_string(&SignedTx::of(&op).expect("signed")).expect("json")
    }

    /// Runs `causeway restore` into this system's (empty) database from its chain, genesis and
    /// keys; returns the finished process.
    pub fn restore(&self) -> std::process::Output {
        std::process::Command::new(&self.bin)
            .arg("restore")
            .args(["--database-url", &self.db.url, "--rpc", &self.anvil.url(), "--confirmations", "1"])
            .arg("--deployment")
            .arg(&self.deployment)
            .arg("--genesis")
            .arg(&self.genesis)
            .arg("--keys")
            .arg(&self.keys)
            .output()
            .expect("run causeway restore")
    }

    /// The chain part of the invariants' target.
    pub fn chain(&self) -> Chain {
        Chain { rpc: self.anvil.url(), deployment: self.deployment.clone(), genesis: self.genesis.clone() }
    }

    /// Checks the invariants ([`crate::invariants`]) on the chain, the database and the API.
    /// With a settler running, first waits until every sealed batch is on chain; with a
    /// sequencer running, until every accepted transaction is sealed. Panics with what differs.
    pub async fn check_invariants(&mut self) -> invariants::Report {
        match self.try_check_invariants().await {
            Ok(report) => report,
            Err(e) => panic!(
                "invariant broken: {e}\n--- services' log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            ),
        }
    }

    /// [`check_invariants`](Self::check_invariants), answering what fails instead of panicking.
    pub async fn try_check_invariants(&mut self) -> Result<invariants::Report, String> {
        let settled = self.is_running(Role::Settler) && self.is_running(Role::Prover);
        let api = self.is_running(Role::Sequencer).then(|| self.api.clone());
        let chain = self.chain();
        let target = Target { chain: Some(&chain), database: Some(&self.db.url), api: api.as_ref(), settled };
        invariants::try_check(&target, &self.log).await
    }
}
