//! `causeway ceremony`: the circuits out to a snarkjs phase-2 ceremony (`.r1cs`, `.wtns`) and
//! its final zkey back in as a key directory. The work is [`causeway_prover::ceremony`];
//! docs/ceremony.md is the runbook.

use crate::{CircuitArg, Shape};
use causeway_circuits::{BatchCircuit, BatchWitness, ExitCircuit, ExitWitness};
use causeway_protocol::Domain;
use causeway_prover::{
    Circuit,
    ceremony::{self, Synthesized},
    sample,
};
use clap::{Args, Subcommand};
use std::{io::Write, path::PathBuf};

/// `causeway ceremony` subcommands.
#[derive(Subcommand)]
pub(crate) enum CeremonyCommand {
    /// Writes a circuit's constraint system as an iden3 `.r1cs` file (for `snarkjs zkey new`).
    Export {
        #[command(flatten)]
        target: Target,
        /// The `.r1cs` file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Writes the full witness of a batch (or an exit) as a `.wtns` file, for `snarkjs wtns
    /// check` against the exported `.r1cs`.
    Witness {
        #[command(flatten)]
        target: Target,
        /// Batch circuit: the sealed batch with this number, read from the sequencer's database.
        #[arg(long, conflicts_with = "sample")]
        batch: Option<i64>,
        /// PostgreSQL URL (with --batch).
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        /// A sample instead: the every-operation sample batch (at least 14 slots), or for the exit
        /// circuit the exit of account 1 of the sample genesis.
        #[arg(long)]
        sample: bool,
        /// The `.wtns` file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Checks a ceremony's final zkey as `snarkjs zkey verify` does (every contribution, δ, and
    /// every point against the Powers of Tau and this build's circuit) and turns it into a key
    /// directory (proving.key, verifying.key, metadata.json) that the prover, deploy, verify and
    /// exodus use; refuses a forged zkey, or one for another circuit, other parameters or another
    /// Powers of Tau, naming what is wrong.
    Import {
        /// The final zkey (after `snarkjs zkey beacon`).
        #[arg(long)]
        zkey: PathBuf,
        /// The Powers of Tau file (prepared for phase 2) the ceremony started from; its BLAKE2b
        /// hash is printed to compare with the published one.
        #[arg(long)]
        ptau: PathBuf,
        #[command(flatten)]
        target: Target,
        /// The key directory to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Which circuit, at which shape.
#[derive(Args, Clone, Copy)]
pub(crate) struct Target {
    /// The batch circuit or the exit circuit (for which only --depth counts).
    #[arg(long, value_enum)]
    circuit: CircuitArg,
    #[command(flatten)]
    shape: Shape,
}

/// `causeway ceremony` flags.
#[derive(Args)]
pub(crate) struct CeremonyArgs {
    #[command(subcommand)]
    command: CeremonyCommand,
}

fn create(path: &PathBuf) -> Result<std::io::BufWriter<std::fs::File>, String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(std::io::BufWriter::new(file))
}

fn describe(circuit: Circuit, s: &Synthesized) -> String {
    format!(
        "{circuit} circuit: {} constraints, {} wires, {} public input{}",
        s.constraints(),
        s.wires(),
        s.public_inputs(),
        if s.public_inputs() == 1 { "" } else { "s" }
    )
}

/// Prints a long check's steps to stderr, with the time since it started.
pub(crate) fn progress() -> impl Fn(&str) {
    let start = std::time::Instant::now();
    move |line: &str| eprintln!("[{:6.1} s] {line}", start.elapsed().as_secs_f64())
}

pub(crate) fn ceremony(args: CeremonyArgs) -> Result<(), String> {
    match args.command {
        CeremonyCommand::Export { target, out } => {
            let circuit = Circuit::from(target.circuit);
            let s = ceremony::synthesize_blank(circuit, target.shape.params()?).map_err(|e| e.to_string())?;
            let mut w = create(&out)?;
            ceremony::write_r1cs(&s, &mut w).and_then(|()| w.flush()).map_err(|e| format!("{}: {e}", out.display()))?;
            let power = s.domain_size().trailing_zeros();
            println!(
                "wrote {} to {}; it needs a Powers of Tau file of at least 2^{power} points",
                describe(circuit, &s),
                out.display()
            );
            Ok(())
        }
        CeremonyCommand::Witness { target, batch, database_url, sample, out } => {
            let circuit = Circuit::from(target.circuit);
            let params = circuit.params(target.shape.depth, target.shape.slots);
            let s = match (circuit, batch, sample) {
                (Circuit::Batch, Some(number), _) => {
                    let url = database_url.ok_or("--batch needs --database-url (or DATABASE_URL)")?;
                    let bytes = crate::chain::runtime()?.block_on(async {
                        let db = causeway_db::Db::connect_with(&url, 1).await.map_err(|e| e.to_string())?;
                        db.batch_witness(number).await.map_err(|e| e.to_string())
                    })?;
                    let bytes = bytes.ok_or_else(|| format!("no sealed batch {number} in the database"))?;
                    let witness = BatchWitness::from_bytes(&bytes)
                        .ok_or_else(|| format!("the stored witness of batch {number} does not decode"))?;
                    ceremony::synthesize(BatchCircuit { params, witness: Some(witness) }, true)
                }
                (Circuit::Batch, None, true) => {
                    let batch = sample::sample_batch(params, Domain::default()).map_err(|e| e.to_string())?;
                    let witness = BatchWitness::from_transition(&batch);
                    ceremony::synthesize(BatchCircuit { params, witness: Some(witness) }, true)
                }
                (Circuit::Exit, None, true) => {
                    let state =
                        sample::sample_genesis(params.depth, 4, Domain::default()).map_err(|e| e.to_string())?;
                    let witness = ExitWitness::from_state(&state, 1).map_err(|e| e.to_string())?;
                    ceremony::synthesize(ExitCircuit { depth: params.depth, witness: Some(witness) }, true)
                }
                (Circuit::Exit, Some(_), _) => return Err("--batch is for the batch circuit".into()),
                (_, None, false) => return Err("say which witness: --batch N or --sample".into()),
            }
            .map_err(|e| format!("synthesis: {e}"))?;
            let assignment = s.assignment.as_deref().ok_or("no assignment")?;
            let mut w = create(&out)?;
            ceremony::write_wtns(assignment, &mut w)
                .and_then(|()| w.flush())
                .map_err(|e| format!("{}: {e}", out.display()))?;
            match s.cs.which_is_unsatisfied() {
                Ok(None) => println!("wrote a witness of the {} to {}", describe(circuit, &s), out.display()),
                Ok(Some(rule)) => {
                    println!("wrote a witness of the {} to {}; it breaks {rule}", describe(circuit, &s), out.display())
                }
                Err(e) => return Err(format!("satisfiability check: {e}")),
            }
            Ok(())
        }
        CeremonyCommand::Import { zkey, ptau, target, out } => {
            let circuit = Circuit::from(target.circuit);
            let keys = ceremony::import(&zkey, &ptau, circuit, target.shape.params()?, &progress())
                .map_err(|e| e.to_string())?;
            keys.save(&out).map_err(|e| e.to_string())?;
            let record = keys.meta.ceremony.as_ref().ok_or("no ceremony record")?;
            println!(
                "imported {circuit}-circuit keys for {} constraints (circuit {}) from {} (sha256 {}) to {}",
                keys.meta.constraints,
                keys.meta.circuit_id,
                zkey.display(),
                record.zkey_sha256,
                out.display()
            );
            println!(
                "checked against the Powers of Tau {} (blake2b {})",
                ptau.display(),
                record.ptau_blake2b.as_deref().unwrap_or("?")
            );
            for (i, c) in record.contributions.iter().enumerate() {
                let kind = if c.beacon.is_some() { "beacon" } else { "contribution" };
                println!("{kind} #{} {}: {}", i + 1, c.name.as_deref().unwrap_or(""), c.hash);
            }
            Ok(())
        }
    }
}

/// `causeway bench ceremony`: see its help.
pub(crate) fn bench(params: causeway_circuits::CircuitParams, dir: Option<PathBuf>) -> Result<(), String> {
    use causeway_prover::ceremony::local::{self, Contributor, Phase1};
    use rand_core::SeedableRng;
    use std::time::Instant;
    let temporary = dir.is_none();
    let dir =
        dir.unwrap_or_else(|| std::env::temp_dir().join(format!("causeway-bench-ceremony-{}", std::process::id())));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let say = progress();
    let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
    say("synthesising the batch circuit");
    let s = ceremony::synthesize_blank(Circuit::Batch, params).map_err(|e| e.to_string())?;
    let power = s.domain_size().trailing_zeros();
    let p1 = Phase1::random(&mut rng);
    let ptau = dir.join(format!("pot{power}.ptau"));
    let t = Instant::now();
    let mut w = create(&ptau)?;
    local::write_ptau(&p1, power, &mut w, &|l| say(&format!("Powers of Tau: {l}")))
        .and_then(|()| w.flush())
        .map_err(|e| format!("{}: {e}", ptau.display()))?;
    drop(w);
    let ptau_s = t.elapsed().as_secs_f64();
    say("zkey: two contributions and a beacon");
    let t = Instant::now();
    let contributors = [
        Contributor::random("first", &mut rng),
        Contributor::random("second", &mut rng),
        Contributor::Beacon { name: "beacon".into(), hash: vec![0x42; 32], exp: 10 },
    ];
    let zkey = dir.join("batch_final.zkey");
    let bytes = local::zkey(&p1, power, &s, &contributors, &mut rng);
    std::fs::write(&zkey, &bytes).map_err(|e| format!("{}: {e}", zkey.display()))?;
    let zkey_s = t.elapsed().as_secs_f64();
    let (zkey_bytes, ptau_bytes) = (bytes.len(), std::fs::metadata(&ptau).map(|m| m.len()).unwrap_or(0));
    drop((bytes, s));

    // Each check from a fresh peak-RSS mark: what the command uses by itself.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let keys = ceremony::import(&zkey, &ptau, Circuit::Batch, params, &say).map_err(|e| e.to_string())?;
    let import_s = t.elapsed().as_secs_f64();
    let import_rss = crate::peak_rss_mb();
    keys.save(&dir.join("keys")).map_err(|e| e.to_string())?;
    let constraints = keys.meta.constraints;
    drop(keys);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    ceremony::verifying_key(&zkey, &ptau, Circuit::Batch, params, &say).map_err(|e| e.to_string())?;
    let verify_s = t.elapsed().as_secs_f64();
    let verify_rss = crate::peak_rss_mb();
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let line = serde_json::json!({
        "bench": "ceremony",
        "depth": params.depth,
        "slots": params.slots,
        "constraints": constraints,
        "domain_power": power,
        "ptau_bytes": ptau_bytes,
        "zkey_bytes": zkey_bytes,
        "play_ptau_s": ptau_s,
        "play_zkey_s": zkey_s,
        "import_s": import_s,
        "import_peak_rss_mb": import_rss,
        "verify_zkey_s": verify_s,
        "verify_zkey_peak_rss_mb": verify_rss,
        "threads": std::thread::available_parallelism().map_or(1, usize::from),
    });
    println!("{line}");
    Ok(())
}
