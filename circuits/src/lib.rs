//! Causeway's batch circuit and the R1CS gadgets it is built from.
//!
//! [`BatchCircuit`] proves that a batch of `slots` operations moved the state tree (depth
//! `depth`) from the header's old root to its new root by the rules of
//! [`causeway_protocol::State`], and that its single public input is the commitment
//! SHA-256(header ‖ pubdata) the base-chain contract recomputes. Each gadget in [`gadgets`] is
//! the twin of a native function, and the tests hold the two to agreement.

pub mod batch;
pub mod gadgets;

pub use batch::{BatchCircuit, BatchWitness, Breakdown, CircuitParams, SlotFlags, SlotKind, SlotWitness};
pub use gadgets::ConstraintF;
