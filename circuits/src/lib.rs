//! Causeway's batch and exit circuits and the R1CS gadgets it is built from.
//!
//! [`BatchCircuit`] proves that a batch of `slots` operations moved the state tree (depth
//! `depth`) from the header's old root to its new root by the rules of
//! [`causeway_protocol::State`], and that its single public input is the commitment
//! SHA-256(header ‖ domain ‖ pubdata) the base-chain contract recomputes. [`ExitCircuit`] proves
//! that one account's leaf is in a state root, for exits in exodus mode. Each gadget in [`gadgets`] is
//! the twin of a native function, and the tests hold the two to agreement.

pub mod batch;
pub mod exit;
pub mod gadgets;
pub mod tamper;

pub use batch::{BatchCircuit, BatchWitness, Breakdown, CircuitParams, SlotFlags, SlotKind, SlotWitness};
pub use exit::{ExitCircuit, ExitWitness};
pub use gadgets::ConstraintF;
