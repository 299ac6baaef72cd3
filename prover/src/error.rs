//! Errors of key handling and proving.

use std::path::PathBuf;

/// Why a key, a proof or an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// Reading or writing a key or proof file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key file does not decode.
    #[error("{path}: corrupt key file: {reason}")]
    CorruptKey {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The keys were made for another circuit (other parameters or other constraints).
    #[error("keys in {dir} do not match this circuit: {reason}")]
    KeyMismatch {
        /// The key directory.
        dir: PathBuf,
        /// What differs.
        reason: String,
    },
    /// The circuit could not be synthesised (a witness of the wrong shape, or an invalid one).
    #[error("synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// The witness breaks a rule of the circuit: no proof exists.
    #[error("the witness breaks the circuit's rules (first unsatisfied constraint: {0})")]
    Unsatisfied(String),
    /// A zkey cannot be imported: malformed, or for another circuit or other parameters.
    #[error("{path}: {reason}")]
    Zkey {
        /// The zkey file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A freshly made proof failed verification: the witness broke a rule.
    #[error("a freshly made proof does not verify")]
    InvalidProof,
    /// The native batch could not be built.
    #[error(transparent)]
    Protocol(#[from] causeway_protocol::ProtocolError),
}

impl ProverError {
    /// Whether retrying the same work could succeed (I/O only).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Io { .. })
    }
}
