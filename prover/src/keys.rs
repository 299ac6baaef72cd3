//! Groth16 keys: local (insecure) setup, files, and the check that keys match the circuit.
//!
//! A key directory is for one [`Circuit`]: the batch circuit (what provers and the contract's
//! `submitBatch` use) or the exit circuit (what `causeway exodus` and the contract's `exit`
//! use). Its metadata names the circuit, and loading refuses keys made for another one.

use crate::{
    ceremony::{CeremonyRecord, Synthesized, synthesize_blank},
    error::ProverError,
    groth16::{Prepared, Reduction},
};
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::R1CS_PREDICATE_LABEL;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::CircuitSpecificSetupSNARK;
use ark_std::rand::{CryptoRng, RngCore};
use causeway_circuits::{BatchCircuit, CircuitParams, ExitCircuit};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

/// File names inside a key directory.
pub const PROVING_KEY_FILE: &str = "proving.key";
/// The verifying key (arkworks compressed).
pub const VERIFYING_KEY_FILE: &str = "verifying.key";
/// Metadata: parameters and circuit id.
pub const METADATA_FILE: &str = "metadata.json";

/// Printed whenever keys are generated locally.
pub const INSECURE_WARNING: &str = "WARNING: these Groth16 keys were generated locally from one machine's randomness. \
Whoever ran the setup can forge proofs. Use them for development and tests only; production keys come from a \
multi-party ceremony.";

/// Which circuit a key directory is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Circuit {
    /// The batch circuit: one public input, the batch commitment.
    Batch,
    /// The exit circuit: five public inputs (root, domain, index, owner, balance).
    Exit,
}

impl Circuit {
    /// Public inputs of the circuit.
    pub fn public_inputs(self) -> usize {
        match self {
            Self::Batch => 1,
            Self::Exit => 5,
        }
    }

    /// The circuit's shape as its keys record it: the exit circuit has no slots (0).
    pub fn params(self, depth: u32, slots: usize) -> CircuitParams {
        match self {
            Self::Batch => CircuitParams { depth, slots },
            Self::Exit => CircuitParams { depth, slots: 0 },
        }
    }
}

impl std::fmt::Display for Circuit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Batch => "batch",
            Self::Exit => "exit",
        })
    }
}

/// What a key directory says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMetadata {
    /// The circuit the keys are for.
    pub circuit: Circuit,
    /// Circuit shape (for the exit circuit, slots is 0).
    pub params: CircuitParams,
    /// Constraints in the circuit.
    pub constraints: usize,
    /// SHA-256 of the circuit's constraint matrices: identifies the exact circuit.
    pub circuit_id: String,
    /// How the keys were made.
    pub origin: String,
    /// For keys imported from a snarkjs ceremony (`causeway ceremony import`): the zkey's hash
    /// and the contributions. Such keys prove with snarkjs's QAP reduction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<CeremonyRecord>,
}

impl KeyMetadata {
    /// Whether the keys came from a ceremony rather than one machine's setup.
    pub fn is_from_ceremony(&self) -> bool {
        self.ceremony.is_some()
    }
}

/// A loaded key pair with its metadata.
pub struct Keys {
    /// Proving key.
    pub pk: ProvingKey<Bn254>,
    /// Verifying key.
    pub vk: VerifyingKey<Bn254>,
    /// Metadata.
    pub meta: KeyMetadata,
    /// The circuit's matrices, built once for every proof made with these keys.
    pub prepared: Arc<Prepared>,
}

/// The batch circuit with no witness, for setup and identification.
pub fn blank_circuit(params: CircuitParams) -> BatchCircuit {
    BatchCircuit { params, witness: None }
}

/// Synthesises the circuit's matrices and hashes them: (constraints, circuit id).
pub fn circuit_id(circuit: Circuit, params: CircuitParams) -> Result<(usize, String), ProverError> {
    let params = circuit.params(params.depth, params.slots);
    Ok(circuit_id_of(circuit, params, &synthesize_blank(circuit, params)?))
}

/// Synthesises the blank circuit once: its (constraints, circuit id) and its matrices prepared
/// for proving with keys of `reduction`.
fn identify(
    circuit: Circuit,
    params: CircuitParams,
    reduction: Reduction,
) -> Result<(usize, String, Prepared), ProverError> {
    let s = synthesize_blank(circuit, params)?;
    let (constraints, id) = circuit_id_of(circuit, params, &s);
    Ok((constraints, id, Prepared::new(s, reduction)?))
}

/// The circuit id of an already synthesised circuit: SHA-256 of its name, parameters, sizes
/// and matrices.
pub fn circuit_id_of(circuit: Circuit, params: CircuitParams, s: &Synthesized) -> (usize, String) {
    let mut h = Sha256::new();
    h.update(format!("causeway-{circuit}-circuit").as_bytes());
    h.update(serde_json::to_vec(&params).unwrap_or_default());
    h.update((s.cs.num_instance_variables() as u64).to_be_bytes());
    h.update((s.cs.num_witness_variables() as u64).to_be_bytes());
    // The only predicate is R1CS's (`synthesize` refuses others).
    h.update(R1CS_PREDICATE_LABEL.as_bytes());
    for matrix in &s.matrices {
        for row in matrix {
            h.update((row.len() as u64).to_be_bytes());
            for (coeff, var) in row {
                let mut bytes = Vec::with_capacity(32);
                coeff.serialize_uncompressed(&mut bytes).unwrap_or_default();
                h.update(&bytes);
                h.update((*var as u64).to_be_bytes());
            }
        }
    }
    (s.constraints(), hex::encode(h.finalize()))
}

/// Generates batch-circuit keys locally. Insecure: see [`INSECURE_WARNING`].
pub fn setup<R: RngCore + CryptoRng>(params: CircuitParams, rng: &mut R) -> Result<Keys, ProverError> {
    setup_for(Circuit::Batch, params, rng)
}

/// Generates keys for `circuit` locally (for the exit circuit only `params.depth` counts).
/// Insecure: see [`INSECURE_WARNING`].
pub fn setup_for<R: RngCore + CryptoRng>(
    circuit: Circuit,
    params: CircuitParams,
    rng: &mut R,
) -> Result<Keys, ProverError> {
    let params = circuit.params(params.depth, params.slots);
    let (constraints, circuit_id, prepared) = identify(circuit, params, Reduction::Arkworks)?;
    let (pk, vk) = match circuit {
        Circuit::Batch => Groth16::<Bn254>::setup(blank_circuit(params), rng)?,
        Circuit::Exit => Groth16::<Bn254>::setup(ExitCircuit { depth: params.depth, witness: None }, rng)?,
    };
    let meta = KeyMetadata {
        circuit,
        params,
        constraints,
        circuit_id,
        origin: "local development setup (insecure)".into(),
        ceremony: None,
    };
    Ok(Keys { pk, vk, meta, prepared: Arc::new(prepared) })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProverError + '_ {
    move |source| ProverError::Io { path: path.to_path_buf(), source }
}

impl Keys {
    /// Writes the three key files into `dir` (created if missing).
    pub fn save(&self, dir: &Path) -> Result<(), ProverError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let write = |name: &str, bytes: Vec<u8>| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(io(&path))
        };
        let mut pk = Vec::new();
        self.pk.serialize_uncompressed(&mut pk).map_err(|e| corrupt(dir.join(PROVING_KEY_FILE), e))?;
        let mut vk = Vec::new();
        self.vk.serialize_compressed(&mut vk).map_err(|e| corrupt(dir.join(VERIFYING_KEY_FILE), e))?;
        write(PROVING_KEY_FILE, pk)?;
        write(VERIFYING_KEY_FILE, vk)?;
        write(METADATA_FILE, serde_json::to_vec_pretty(&self.meta).unwrap_or_default())
    }

    /// Loads batch-circuit keys from `dir`: see [`Keys::load_for`].
    pub fn load(dir: &Path, expected: Option<CircuitParams>) -> Result<Self, ProverError> {
        Self::load_for(dir, Circuit::Batch, expected)
    }

    /// Loads keys from `dir` and refuses them unless they were made for exactly this circuit:
    /// the circuit named, the same parameters (when given), the same constraint matrices, and
    /// key sizes that fit.
    pub fn load_for(dir: &Path, circuit: Circuit, expected: Option<CircuitParams>) -> Result<Self, ProverError> {
        let meta = load_metadata_for(dir, circuit)?;
        let mismatch = |reason: String| ProverError::KeyMismatch { dir: dir.to_path_buf(), reason };
        if let Some(p) = expected.map(|p| circuit.params(p.depth, p.slots))
            && p != meta.params
        {
            return Err(mismatch(format!(
                "keys are for depth {} with {} slots, wanted depth {} with {} slots",
                meta.params.depth, meta.params.slots, p.depth, p.slots
            )));
        }
        let reduction = if meta.is_from_ceremony() { Reduction::Snarkjs } else { Reduction::Arkworks };
        let (constraints, id, prepared) = identify(circuit, meta.params, reduction)?;
        if id != meta.circuit_id {
            return Err(mismatch(format!(
                "circuit id {} in {METADATA_FILE}, but this build's circuit is {id} ({constraints} constraints); \
                 run `causeway setup --circuit {circuit}` again",
                meta.circuit_id
            )));
        }
        let pk_path = dir.join(PROVING_KEY_FILE);
        let bytes = std::fs::read(&pk_path).map_err(io(&pk_path))?;
        let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(bytes.as_slice())
            .map_err(|e| corrupt(pk_path.clone(), e))?;
        let vk_path = dir.join(VERIFYING_KEY_FILE);
        let bytes = std::fs::read(&vk_path).map_err(io(&vk_path))?;
        let vk = VerifyingKey::<Bn254>::deserialize_compressed(bytes.as_slice()).map_err(|e| corrupt(vk_path, e))?;
        if pk.vk != vk {
            return Err(mismatch("the proving key and the verifying key are from different setups".into()));
        }
        let inputs = circuit.public_inputs();
        if vk.gamma_abc_g1.len() != inputs + 1 || pk.h_query.len() + 2 < constraints {
            return Err(mismatch(format!("key sizes do not fit a circuit with {inputs} public inputs")));
        }
        Ok(Self { pk, vk, meta, prepared: Arc::new(prepared) })
    }
}

/// Reads only the verifying key and metadata of a batch-circuit key directory (what a verifier
/// or a contract deployment needs; the proving key can be gigabytes).
pub fn load_verifying_key(dir: &Path) -> Result<(VerifyingKey<Bn254>, KeyMetadata), ProverError> {
    load_verifying_key_for(dir, Circuit::Batch)
}

/// Reads only the verifying key and metadata of a key directory for `circuit`.
pub fn load_verifying_key_for(dir: &Path, circuit: Circuit) -> Result<(VerifyingKey<Bn254>, KeyMetadata), ProverError> {
    let meta = load_metadata_for(dir, circuit)?;
    let vk_path = dir.join(VERIFYING_KEY_FILE);
    let bytes = std::fs::read(&vk_path).map_err(io(&vk_path))?;
    let vk = VerifyingKey::<Bn254>::deserialize_compressed(bytes.as_slice()).map_err(|e| corrupt(vk_path, e))?;
    let inputs = circuit.public_inputs();
    if vk.gamma_abc_g1.len() != inputs + 1 {
        return Err(ProverError::KeyMismatch {
            dir: dir.to_path_buf(),
            reason: format!("the verifying key does not have exactly {inputs} public inputs"),
        });
    }
    Ok((vk, meta))
}

/// Reads the metadata of a key directory and refuses it unless it names `circuit`.
pub fn load_metadata_for(dir: &Path, circuit: Circuit) -> Result<KeyMetadata, ProverError> {
    let meta = load_metadata(dir)?;
    if meta.circuit != circuit {
        return Err(ProverError::KeyMismatch {
            dir: dir.to_path_buf(),
            reason: format!("the keys are for the {} circuit, not the {circuit} circuit", meta.circuit),
        });
    }
    Ok(meta)
}

/// Reads only the metadata of a key directory.
pub fn load_metadata(dir: &Path) -> Result<KeyMetadata, ProverError> {
    let path = dir.join(METADATA_FILE);
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    serde_json::from_slice(&bytes).map_err(|e| corrupt(path, e))
}

fn corrupt(path: PathBuf, e: impl std::fmt::Display) -> ProverError {
    ProverError::CorruptKey { path, reason: e.to_string() }
}
