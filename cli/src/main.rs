//! The `causeway` binary: a thin shell over the library crates.

use causeway_circuits::{BatchCircuit, BatchWitness, Breakdown, CircuitParams, ConstraintF};
use causeway_protocol::Domain;
use causeway_prover::{Circuit, INSECURE_WARNING, Keys, export, prove, sample, verify};
use clap::{Args, Parser, Subcommand};

mod ceremony;
mod chain;
mod devnet;
mod exodus;
mod load;
mod node;
mod open;
mod restore;
mod takeover;
mod verify;
mod wallet;
use std::{path::PathBuf, process::ExitCode, time::Instant};

/// Causeway: a validity rollup for value transfers.
#[derive(Parser)]
#[command(name = "causeway", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Copy)]
struct Shape {
    /// State tree depth in bits (even): the tree holds 2^depth accounts.
    #[arg(long, default_value_t = 24)]
    depth: u32,
    /// Slots per batch.
    #[arg(long, default_value_t = 32)]
    slots: usize,
}

impl Shape {
    fn params(self) -> Result<CircuitParams, String> {
        causeway_protocol::tree::check_depth(self.depth).map_err(|e| format!("--depth: {e}"))?;
        if self.slots == 0 {
            return Err("--slots must be at least 1".into());
        }
        Ok(CircuitParams { depth: self.depth, slots: self.slots })
    }
}

/// `--circuit` values.
#[derive(Clone, Copy, clap::ValueEnum)]
enum CircuitArg {
    /// The batch circuit.
    Batch,
    /// The exit circuit.
    Exit,
}

impl From<CircuitArg> for Circuit {
    fn from(c: CircuitArg) -> Self {
        match c {
            CircuitArg::Batch => Circuit::Batch,
            CircuitArg::Exit => Circuit::Exit,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Generates development Groth16 keys for a circuit shape (insecure: development only).
    Setup {
        /// Which circuit: the batch circuit (provers, `submitBatch`) or the exit circuit (exodus
        /// mode's exits; only --depth counts).
        #[arg(long, value_enum, default_value_t = CircuitArg::Batch)]
        circuit: CircuitArg,
        #[command(flatten)]
        shape: Shape,
        /// Directory for proving.key, verifying.key and metadata.json.
        #[arg(long)]
        out: PathBuf,
    },
    /// Proves a sample batch with every operation type and writes snarkjs and Ethereum files.
    ProveSample {
        /// Key directory made by `causeway setup`.
        #[arg(long)]
        keys: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Runs the whole system on this machine (PostgreSQL, anvil, contract, sequencer, prover,
    /// settler) with funded demo users, until Ctrl-C.
    Devnet(devnet::DevnetArgs),
    /// Runs the sequencer: the HTTP API, the mempool and batch sealing, against PostgreSQL.
    Sequencer(node::SequencerArgs),
    /// Runs a prover worker: claims proof jobs from PostgreSQL and stores verified proofs.
    Prover(node::ProverArgs),
    /// Runs the settler: submits proved batches to the Rollup contract, in order, and marks them final.
    Settler(node::SettlerArgs),
    /// Writes a development genesis file of sample accounts (public keys: never for real funds).
    Genesis(node::GenesisArgs),
    /// Deploys the Rollup contract with a verifying key and a genesis; the deployer is the operator.
    Deploy(chain::DeployArgs),
    /// Rebuilds and checks the whole history from the base chain: every batch's roots, pubdata,
    /// priority operations and proof; exits non-zero on any mismatch.
    Verify(verify::VerifyArgs),
    /// Rebuilds a lost operator database from the base chain, the deployment and the genesis
    /// file: state, batches with proofs and submissions, priority queue, transaction history.
    /// The sequencer, provers and settler then carry on from it.
    Restore(restore::RestoreArgs),
    /// A user's wallet: keys, deposits, transfers, withdrawals, balances.
    Wallet(wallet::WalletArgs),
    /// Exodus mode, from the base chain alone: activates it once a priority request is overdue,
    /// proves and submits an account's exit, refunds queued deposits.
    Exodus(exodus::ExodusArgs),
    /// Turns the Rollup's open mode on (anyone may then submit proved batches) once the
    /// operator has let the oldest waiting priority request wait the deployment's open delay.
    OpenMode(open::OpenModeArgs),
    /// Takes a rollup over when its operator has stopped: with your own base-chain key and
    /// database, turns open mode on (--open-mode), rebuilds the database from the chain and runs
    /// a sequencer, prover and settler; prints the takeover time; rebuilds and carries on when
    /// another party's batch is accepted in place of its own.
    Takeover(takeover::TakeoverArgs),
    /// A multi-party trusted setup with snarkjs: exports the circuits (`.r1cs`, `.wtns`) and
    /// imports the ceremony's final zkey as keys.
    Ceremony(ceremony::CeremonyArgs),
    /// Prints the sequencer API's OpenAPI 3.1 document (what `GET /v1/openapi.json` serves).
    Openapi,
    /// Benchmarks; each prints one JSON line.
    Bench {
        #[command(subcommand)]
        bench: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Constraint counts of the batch circuit, in total and per part.
    Circuit {
        #[command(flatten)]
        shape: Shape,
    },
    /// Setup, proving and verification of a sample batch (or, with `--circuit exit`, of one
    /// account's exit).
    Prove {
        /// Which circuit.
        #[arg(long, value_enum, default_value_t = CircuitArg::Batch)]
        circuit: CircuitArg,
        #[command(flatten)]
        shape: Shape,
    },
    /// Native throughput on one core: Poseidon, EdDSA signing and verification, and
    /// applying signed transfers to a state tree.
    Native {
        /// State tree depth in bits.
        #[arg(long, default_value_t = 24)]
        depth: u32,
        /// Transfers to apply.
        #[arg(long, default_value_t = 2000)]
        txs: u32,
    },
    /// One multi-scalar multiplication in G1 (2^log-points) and one in G2 (a quarter of
    /// that), with arkworks' and Causeway's.
    Msm {
        /// 2^this many points.
        #[arg(long, default_value_t = 20)]
        log_points: u32,
        /// Fraction of the scalars that are 0 or 1 (the rest are random).
        #[arg(long, default_value_t = 0.0)]
        bits: f64,
    },
    /// Submits pre-signed transfers to a running sequencer and reports throughput and latency.
    Load(load::LoadArgs),
    /// Latency of `GET /v1/rollup` on a running sequencer, alone and while clients flood it
    /// with lists of transfers whose signatures are bad.
    Abuse(load::AbuseArgs),
    /// Gas of a full batch of transfers on the Rollup contract (on a fresh anvil).
    L1(chain::L1Args),
    /// `causeway restore`'s work per batch after the chain is read (replay, checks, rows; and
    /// storing them with --database-url), against `bench native`'s state updates.
    Restore {
        /// State tree depth in bits.
        #[arg(long, default_value_t = 24)]
        depth: u32,
        /// Slots (transfers) per batch.
        #[arg(long, default_value_t = 32)]
        slots: usize,
        /// Batches to restore.
        #[arg(long, default_value_t = 20)]
        batches: u64,
        /// A PostgreSQL URL: the rows are also stored, in a database `causeway_bench_restore` it
        /// drops and creates on that server.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// `ceremony import` of a batch-circuit zkey (and `verify --zkey`'s check) at a given shape:
    /// plays a ceremony from known secrets (a Powers of Tau file of the circuit's domain and a
    /// zkey with two contributions and a beacon, in snarkjs's layout), then times the checks.
    Ceremony {
        #[command(flatten)]
        shape: Shape,
        /// Where to write the Powers of Tau file, the zkey and the keys [default: a temporary
        /// folder, removed afterwards].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn rng() -> rand_chacha::ChaCha20Rng {
    use rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_entropy()
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Setup { circuit, shape, out } => {
            let circuit = Circuit::from(circuit);
            let params = shape.params()?;
            eprintln!("{INSECURE_WARNING}");
            match circuit {
                Circuit::Batch => eprintln!(
                    "generating batch-circuit keys for depth {} with {} slots ...",
                    params.depth, params.slots
                ),
                Circuit::Exit => eprintln!("generating exit-circuit keys for depth {} ...", params.depth),
            }
            let keys = causeway_prover::keys::setup_for(circuit, params, &mut rng()).map_err(|e| e.to_string())?;
            keys.save(&out).map_err(|e| e.to_string())?;
            eprintln!("{INSECURE_WARNING}");
            println!(
                "wrote {circuit}-circuit keys for {} constraints (circuit {}) to {}",
                keys.meta.constraints,
                keys.meta.circuit_id,
                out.display()
            );
            Ok(())
        }
        Command::ProveSample { keys, out } => prove_sample(&keys, &out),
        Command::Bench { bench: Bench::Circuit { shape } } => bench_circuit(shape.params()?),
        Command::Bench { bench: Bench::Prove { circuit: CircuitArg::Batch, shape } } => bench_prove(shape.params()?),
        Command::Bench { bench: Bench::Prove { circuit: CircuitArg::Exit, shape } } => {
            bench_prove_exit(shape.params()?.depth)
        }
        Command::Bench { bench: Bench::Native { depth, txs } } => bench_native(depth, txs),
        Command::Bench { bench: Bench::Msm { log_points, bits } } => bench_msm(log_points, bits),
        Command::Bench { bench: Bench::Load(args) } => load::bench_load(args),
        Command::Bench { bench: Bench::Abuse(args) } => load::bench_abuse(args),
        Command::Bench { bench: Bench::L1(args) } => chain::bench_l1(args),
        Command::Bench { bench: Bench::Restore { depth, slots, batches, database_url } } => {
            restore::bench(depth, slots, batches, database_url)
        }
        Command::Bench { bench: Bench::Ceremony { shape, dir } } => ceremony::bench(shape.params()?, dir),
        Command::Deploy(args) => chain::deploy(args),
        Command::Sequencer(args) => node::sequencer(args),
        Command::Prover(args) => node::prover(args),
        Command::Settler(args) => node::settler(args),
        Command::Verify(args) => verify::verify(args),
        Command::Restore(args) => restore::run(args),
        Command::Devnet(args) => devnet::devnet(args),
        Command::Wallet(args) => wallet::wallet(args),
        Command::Exodus(args) => exodus::exodus(args),
        Command::OpenMode(args) => open::open_mode(args),
        Command::Takeover(args) => takeover::run(args),
        Command::Genesis(args) => node::genesis(args),
        Command::Ceremony(args) => ceremony::ceremony(args),
        Command::Openapi => serde_json::to_string_pretty(&causeway_sequencer::openapi::document())
            .map(|doc| println!("{doc}"))
            .map_err(|e| e.to_string()),
    }
}

fn write(path: PathBuf, bytes: impl AsRef<[u8]>) -> Result<(), String> {
    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn prove_sample(keys_dir: &std::path::Path, out: &std::path::Path) -> Result<(), String> {
    let keys = Keys::load(keys_dir, None).map_err(|e| e.to_string())?;
    let batch = sample::sample_batch(keys.meta.params, Domain::default()).map_err(|e| format!("sample batch: {e}"))?;
    let witness = BatchWitness::from_transition(&batch);
    let commitment = witness.commitment();
    let proof = prove(&keys, witness, &mut rng()).map_err(|e| e.to_string())?;
    let ok = verify(&keys.vk, commitment, &proof).map_err(|e| e.to_string())?;
    if !ok {
        return Err("the sample proof does not verify".into());
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    write(out.join("vk.json"), pretty(&export::vk_snarkjs(&keys.vk)))?;
    write(out.join("proof.json"), pretty(&export::proof_snarkjs(&proof)))?;
    write(out.join("public.json"), pretty(&export::public_snarkjs(&commitment)))?;
    write(out.join("proof.eth.hex"), format!("0x{}\n", hex::encode(export::proof_eth(&proof))))?;
    write(out.join("vk.eth.hex"), format!("0x{}\n", hex::encode(export::vk_eth(&keys.vk))))?;
    write(out.join("pubdata.hex"), format!("0x{}\n", hex::encode(&batch.pubdata)))?;
    write(out.join("header.hex"), format!("0x{}\n", hex::encode(batch.header.to_bytes())))?;
    println!("proved and verified a sample batch of {} slots; files in {}", keys.meta.params.slots, out.display());
    Ok(())
}

fn bench_circuit(params: CircuitParams) -> Result<(), String> {
    use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode};
    let cs = ConstraintSystem::<ConstraintF>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    let mut parts = Breakdown::new();
    BatchCircuit { params, witness: None }.synthesize(cs.clone(), &mut parts).map_err(|e| e.to_string())?;
    let constraints = cs.num_constraints();
    let line = serde_json::json!({
        "bench": "circuit",
        "depth": params.depth,
        "slots": params.slots,
        "constraints": constraints,
        "constraints_per_slot": constraints as f64 / params.slots as f64,
        "breakdown": parts,
        "breakdown_per_slot": parts.iter().map(|(k, v)| (*k, *v as f64 / params.slots as f64)).collect::<std::collections::BTreeMap<_, _>>(),
    });
    println!("{line}");
    Ok(())
}

pub(crate) fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn bench_prove(params: CircuitParams) -> Result<(), String> {
    let batch = sample::sample_batch(params, Domain::default()).map_err(|e| format!("sample batch: {e}"))?;
    let witness = BatchWitness::from_transition(&batch);
    let commitment = witness.commitment();
    let t = Instant::now();
    let keys = causeway_prover::keys::setup(params, &mut rng()).map_err(|e| e.to_string())?;
    let setup_s = t.elapsed().as_secs_f64();
    // Reset the peak-RSS mark so that peak_rss_mb is proving's own (keys included).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let mut timings = causeway_prover::groth16::Timings::default();
    let t = Instant::now();
    let proof = causeway_prover::prove::prove_timed(&keys, witness.clone(), &mut rng(), &mut timings)
        .map_err(|e| e.to_string())?;
    let prove_s = t.elapsed().as_secs_f64();
    let peak_rss = peak_rss_mb();
    let t = Instant::now();
    let ok = verify(&keys.vk, commitment, &proof).map_err(|e| e.to_string())?;
    let verify_ms = t.elapsed().as_secs_f64() * 1000.0;
    if !ok {
        return Err("proof does not verify".into());
    }
    // Plain ark-groth16 on the same circuit, witness and keys, in the same run.
    let t = Instant::now();
    let baseline = causeway_prover::prove::prove_baseline(&keys, witness, &mut rng()).map_err(|e| e.to_string())?;
    let baseline_prove_s = t.elapsed().as_secs_f64();
    if !verify(&keys.vk, commitment, &baseline).map_err(|e| e.to_string())? {
        return Err("ark-groth16's proof does not verify".into());
    }
    let mut pk_bytes = Vec::new();
    ark_serialize::CanonicalSerialize::serialize_uncompressed(&keys.pk, &mut pk_bytes).map_err(|e| e.to_string())?;
    let line = serde_json::json!({
        "bench": "prove",
        "depth": params.depth,
        "slots": params.slots,
        "constraints": keys.meta.constraints,
        "setup_s": setup_s,
        "prove_s": prove_s,
        "prove_s_per_million_constraints": prove_s * 1e6 / keys.meta.constraints as f64,
        "baseline_prove_s": baseline_prove_s,
        "baseline_s_per_million_constraints": baseline_prove_s * 1e6 / keys.meta.constraints as f64,
        "speedup_vs_baseline": baseline_prove_s / prove_s,
        "breakdown": timings,
        "verify_ms": verify_ms,
        "peak_rss_mb": peak_rss,
        "pk_bytes": pk_bytes.len(),
        "threads": std::thread::available_parallelism().map_or(1, usize::from),
    });
    println!("{line}");
    Ok(())
}

/// Setup, proving and verification of one exit at `depth` (a sample genesis of 4 accounts).
fn bench_prove_exit(depth: u32) -> Result<(), String> {
    let state = sample::sample_genesis(depth, 4, Domain::default()).map_err(|e| e.to_string())?;
    let witness = causeway_circuits::ExitWitness::from_state(&state, 1).map_err(|e| e.to_string())?;
    let inputs = witness.public_inputs();
    let t = Instant::now();
    let params = Circuit::Exit.params(depth, 0);
    let keys = causeway_prover::keys::setup_for(Circuit::Exit, params, &mut rng()).map_err(|e| e.to_string())?;
    let setup_s = t.elapsed().as_secs_f64();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let proof = causeway_prover::prove_exit(&keys, witness, &mut rng()).map_err(|e| e.to_string())?;
    let prove_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let ok = causeway_prover::verify_exit(&keys.vk, &inputs, &proof).map_err(|e| e.to_string())?;
    let verify_ms = t.elapsed().as_secs_f64() * 1000.0;
    if !ok {
        return Err("exit proof does not verify".into());
    }
    let line = serde_json::json!({
        "bench": "prove",
        "circuit": "exit",
        "depth": depth,
        "constraints": keys.meta.constraints,
        "setup_s": setup_s,
        "prove_s": prove_s,
        "verify_ms": verify_ms,
        "peak_rss_mb": peak_rss_mb(),
        "threads": std::thread::available_parallelism().map_or(1, usize::from),
    });
    println!("{line}");
    Ok(())
}

fn bench_msm(log_points: u32, bits: f64) -> Result<(), String> {
    use causeway_prover::msm::{measure_g1, measure_g2};
    let g1 = measure_g1(log_points, bits)?;
    let g2 = measure_g2(log_points.saturating_sub(2), bits)?;
    let line = serde_json::json!({
        "bench": "msm",
        "bits_fraction": bits,
        "g1": g1,
        "g2": g2,
        "threads": std::thread::available_parallelism().map_or(1, usize::from),
    });
    println!("{line}");
    Ok(())
}

fn bench_native(depth: u32, txs: u32) -> Result<(), String> {
    use causeway_protocol::{Operation, Transfer, poseidon::poseidon};
    let per_s = |n: u32, t: Instant| f64::from(n) / t.elapsed().as_secs_f64();
    let accounts = 64;
    let domain = Domain::default();
    let mut state = sample::sample_genesis(depth, accounts, domain).map_err(|e| e.to_string())?;
    let keys: Vec<_> = (0..accounts).map(sample::sample_key).collect();

    let t = Instant::now();
    let mut x = ConstraintF::from(1u64);
    for _ in 0..txs {
        x = poseidon(&[x, x, x, x]);
    }
    let poseidon4_per_s = per_s(txs, t);

    let t = Instant::now();
    let ops: Vec<Operation> = (0..txs)
        .map(|i| {
            let from = i % accounts;
            Operation::Transfer(Transfer::signed(
                &keys[from as usize],
                &domain,
                from,
                (from + 1) % accounts,
                1_000,
                10,
                i / accounts,
            ))
        })
        .collect();
    let sign_per_s = per_s(txs, t);

    let t = Instant::now();
    for op in &ops {
        if let Operation::Transfer(tr) = op {
            let pk = state.account(tr.from).pubkey;
            if !causeway_protocol::eddsa::verify(&pk, tr.message(&domain), &tr.signature) {
                return Err("a sample signature does not verify".into());
            }
        }
    }
    let verify_per_s = per_s(txs, t);

    // What a sequencer does per submission: all rules checked, no tree hashing.
    let t = Instant::now();
    for op in ops.iter().take(accounts as usize) {
        state.check(op).map_err(|e| e.to_string())?;
    }
    let check_per_s = per_s(accounts, t);

    let t = Instant::now();
    for op in &ops {
        state.apply(op).map_err(|e| e.to_string())?;
    }
    let apply_per_s = per_s(txs, t);
    let line = serde_json::json!({
        "bench": "native",
        "depth": depth,
        "txs": txs,
        "poseidon4_per_s": poseidon4_per_s,
        "sign_per_s": sign_per_s,
        "verify_per_s": verify_per_s,
        "check_transfer_per_s": check_per_s,
        "apply_transfer_per_s": apply_per_s,
    });
    println!("{line}");
    Ok(())
}
