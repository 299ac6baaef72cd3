//! Groth16 keys: local (insecure) setup, files, and the check that keys match the circuit.

use crate::error::ProverError;
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::CircuitSpecificSetupSNARK;
use ark_std::rand::{CryptoRng, RngCore};
use causeway_circuits::{BatchCircuit, CircuitParams, ConstraintF};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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

/// What a key directory says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMetadata {
    /// Circuit shape.
    pub params: CircuitParams,
    /// Constraints in the circuit.
    pub constraints: usize,
    /// SHA-256 of the circuit's constraint matrices: identifies the exact circuit.
    pub circuit_id: String,
    /// How the keys were made.
    pub origin: String,
}

/// A loaded key pair with its metadata.
pub struct Keys {
    /// Proving key.
    pub pk: ProvingKey<Bn254>,
    /// Verifying key.
    pub vk: VerifyingKey<Bn254>,
    /// Metadata.
    pub meta: KeyMetadata,
}

/// The circuit with no witness, for setup and identification.
pub fn blank_circuit(params: CircuitParams) -> BatchCircuit {
    BatchCircuit { params, witness: None }
}

/// Synthesises the circuit's matrices and hashes them: (constraints, circuit id).
pub fn circuit_id(params: CircuitParams) -> Result<(usize, String), ProverError> {
    let cs = ConstraintSystem::<ConstraintF>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    blank_circuit(params).generate_constraints(cs.clone())?;
    cs.finalize();
    let mut h = Sha256::new();
    h.update(b"causeway-batch-circuit");
    h.update(serde_json::to_vec(&params).unwrap_or_default());
    h.update((cs.num_instance_variables() as u64).to_be_bytes());
    h.update((cs.num_witness_variables() as u64).to_be_bytes());
    for (label, matrices) in cs.to_matrices()? {
        h.update(label.as_bytes());
        for matrix in matrices {
            for row in matrix {
                h.update((row.len() as u64).to_be_bytes());
                for (coeff, var) in row {
                    let mut bytes = Vec::with_capacity(32);
                    coeff.serialize_uncompressed(&mut bytes).unwrap_or_default();
                    h.update(&bytes);
                    h.update((var as u64).to_be_bytes());
                }
            }
        }
    }
    Ok((cs.num_constraints(), hex::encode(h.finalize())))
}

/// Generates keys locally. Insecure: see [`INSECURE_WARNING`].
pub fn setup<R: RngCore + CryptoRng>(params: CircuitParams, rng: &mut R) -> Result<Keys, ProverError> {
    let (constraints, circuit_id) = circuit_id(params)?;
    let (pk, vk) = Groth16::<Bn254>::setup(blank_circuit(params), rng)?;
    let meta = KeyMetadata { params, constraints, circuit_id, origin: "local development setup (insecure)".into() };
    Ok(Keys { pk, vk, meta })
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

    /// Loads keys from `dir` and refuses them unless they were made for exactly this circuit:
    /// the same parameters (when given), the same constraint matrices, and key sizes that fit.
    pub fn load(dir: &Path, expected: Option<CircuitParams>) -> Result<Self, ProverError> {
        let meta = load_metadata(dir)?;
        let mismatch = |reason: String| ProverError::KeyMismatch { dir: dir.to_path_buf(), reason };
        if let Some(p) = expected
            && p != meta.params
        {
            return Err(mismatch(format!(
                "keys are for depth {} with {} slots, wanted depth {} with {} slots",
                meta.params.depth, meta.params.slots, p.depth, p.slots
            )));
        }
        let (constraints, id) = circuit_id(meta.params)?;
        if id != meta.circuit_id {
            return Err(mismatch(format!(
                "circuit id {} in {METADATA_FILE}, but this build's circuit is {id} ({constraints} constraints); \
                 run `causeway setup` again",
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
        if vk.gamma_abc_g1.len() != 2 || pk.h_query.len() + 2 < constraints {
            return Err(mismatch("key sizes do not fit a circuit with one public input".into()));
        }
        Ok(Self { pk, vk, meta })
    }
}

/// Reads only the verifying key and metadata of a key directory (what a verifier or a contract
/// deployment needs; the proving key can be gigabytes).
pub fn load_verifying_key(dir: &Path) -> Result<(VerifyingKey<Bn254>, KeyMetadata), ProverError> {
    let meta = load_metadata(dir)?;
    let vk_path = dir.join(VERIFYING_KEY_FILE);
    let bytes = std::fs::read(&vk_path).map_err(io(&vk_path))?;
    let vk = VerifyingKey::<Bn254>::deserialize_compressed(bytes.as_slice()).map_err(|e| corrupt(vk_path, e))?;
    if vk.gamma_abc_g1.len() != 2 {
        return Err(ProverError::KeyMismatch {
            dir: dir.to_path_buf(),
            reason: "the verifying key does not have exactly one public input".into(),
        });
    }
    Ok((vk, meta))
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
