//! Causeway's native rollup.
//!
//! Everything here is the reference the circuit, the sequencer and the verifier agree with:
//! [`poseidon`] hashing and [`eddsa`] signatures compatible with circomlibjs, [`Account`]s in a
//! sparse 4-ary Poseidon [`MerkleTree`], the [`Operation`]s a batch slot can hold, their compact
//! [`pubdata`] encoding, and the [`State`] transition that applies operations or batches and
//! refuses anything the rules forbid without changing a thing.

pub mod account;
pub mod batch;
pub mod domain;
pub mod eddsa;
mod error;
pub mod field;
pub mod float;
pub mod ops;
pub mod poseidon;
pub mod pubdata;
pub mod state;
pub mod tree;
pub mod wire;

pub use account::{ACCOUNT_BYTES, Account, AccountIndex, Address};
pub use batch::{BatchHeader, commitment};
pub use domain::Domain;
pub use eddsa::{Point, PrivateKey, PublicKey, Signature};
pub use error::ProtocolError;
pub use field::Fr;
pub use ops::{Deposit, Forced, FullExit, Operation, Transfer, Withdraw};
pub use pubdata::PubdataOp;
pub use state::{Applied, BatchTransition, Checked, LeafUpdate, Ledger, Signatures, State};
pub use tree::{MerkleProof, MerkleTree};
