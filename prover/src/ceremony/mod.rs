//! A multi-party ceremony for the batch and exit circuits, with snarkjs's phase 2.
//!
//! A Groth16 setup is safe if any one of its contributors destroyed their secret. Causeway does
//! not run the ceremony itself: snarkjs does (`zkey new`, `zkey contribute`, `zkey beacon`,
//! `zkey verify`), from a public Powers of Tau file. This module gives snarkjs what it needs and
//! takes back what it makes:
//!
//! - [`r1cs`] writes a circuit's constraint system in iden3's `.r1cs` format, and a witness in
//!   the `.wtns` format (for `snarkjs wtns check`);
//! - [`zkey`] reads a final `.zkey`, refuses one for another circuit or other parameters, and
//!   turns it into a key directory whose metadata records the ceremony, once [`verify`] has
//!   checked it against the Powers of Tau file ([`ptau`]) and the circuit as `snarkjs zkey
//!   verify` does;
//! - [`local`] plays a whole ceremony on one machine from known secrets (a Powers of Tau file
//!   and a zkey in snarkjs's layout, with real contribution records): for tests and benchmarks
//!   only, since whoever runs it knows the secrets;
//! - [`qap`] is the R1CS-to-QAP reduction snarkjs's keys are made for, which the prover uses
//!   with those keys.
//!
//! docs/ceremony.md is the runbook.

pub mod local;
pub mod ptau;
pub mod qap;
pub mod r1cs;
mod rng;
pub mod verify;
pub mod zkey;

pub use ptau::Ptau;
pub use qap::SnarkjsReduction;
pub use r1cs::{Synthesized, synthesize, synthesize_blank, write_r1cs, write_wtns};
pub use zkey::{CeremonyRecord, Contribution, Progress, Zkey, import, load, verifying_key};
