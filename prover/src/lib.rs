//! Groth16 over BN254 for Causeway's batch and exit circuits.
//!
//! [`keys`] makes (insecure, local) or loads proving and verifying keys and refuses keys that
//! were made for another circuit; [`prove`] proves a batch witness and checks the proof;
//! [`ceremony`] exports the circuits for a snarkjs phase-2 ceremony and imports its keys;
//! [`export`] writes proofs and keys in the Ethereum precompile encoding and as snarkjs JSON;
//! [`sample`] builds a batch with every operation type for demos and benchmarks; [`worker`] is
//! the prover process that takes proof jobs from the database.

pub mod ceremony;
mod error;
pub mod export;
pub mod groth16;
pub mod keys;
pub mod msm;
pub mod prove;
pub mod sample;
pub mod worker;

pub use error::ProverError;
pub use keys::{Circuit, INSECURE_WARNING, KeyMetadata, Keys};
pub use prove::{prove, prove_exit, verify, verify_exit};
