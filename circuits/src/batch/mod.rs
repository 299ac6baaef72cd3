//! The batch circuit's native side: its parameters and the witness built from a native
//! [`BatchTransition`].

mod codec;
mod constraints;

pub use constraints::{BatchCircuit, Breakdown};

use causeway_protocol::{BatchHeader, BatchTransition, LeafUpdate, Operation, Signature};

/// The shape of a batch circuit, fixed at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CircuitParams {
    /// State tree depth in bits (even).
    pub depth: u32,
    /// Slots per batch.
    pub slots: usize,
}

/// What a slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// Padding.
    Noop,
    /// The first slot of a deposit.
    Deposit,
    /// A transfer.
    Transfer,
    /// The first slot of a withdrawal.
    Withdraw,
    /// The first slot of a full exit.
    FullExit,
    /// A further chunk of the operation that started in an earlier slot.
    Continuation,
}

/// One slot's private inputs.
#[derive(Clone, Debug)]
pub struct SlotWitness {
    /// What the slot holds.
    pub kind: SlotKind,
    /// The signature of a transfer or withdrawal.
    pub signature: Option<Signature>,
    /// The two leaf updates of the slot.
    pub updates: [LeafUpdate; 2],
}

/// All private inputs of one batch proof.
#[derive(Clone, Debug)]
pub struct BatchWitness {
    /// The header (the public input is its commitment with the pubdata).
    pub header: BatchHeader,
    /// The batch pubdata.
    pub pubdata: Vec<u8>,
    /// One entry per slot.
    pub slots: Vec<SlotWitness>,
    /// The fee credit to the operator after all slots.
    pub fee_update: LeafUpdate,
}

impl BatchWitness {
    /// The witness of a native batch transition.
    pub fn from_transition(t: &BatchTransition) -> Self {
        let mut kinds = Vec::with_capacity(t.slots);
        for a in &t.ops {
            let (kind, signature) = match a.op {
                Operation::Noop => (SlotKind::Noop, None),
                Operation::Deposit(_) => (SlotKind::Deposit, None),
                Operation::Transfer(x) => (SlotKind::Transfer, Some(x.signature)),
                Operation::Withdraw(x) => (SlotKind::Withdraw, Some(x.signature)),
                Operation::FullExit(_) => (SlotKind::FullExit, None),
            };
            kinds.push((kind, signature));
            kinds.extend(std::iter::repeat_n((SlotKind::Continuation, None), a.op.slots() - 1));
        }
        let slots = kinds
            .into_iter()
            .zip(&t.slot_updates)
            .map(|((kind, signature), updates)| SlotWitness { kind, signature, updates: updates.clone() })
            .collect();
        Self { header: t.header, pubdata: t.pubdata.clone(), slots, fee_update: t.fee_update.clone() }
    }

    /// The public input.
    pub fn commitment(&self) -> causeway_protocol::Fr {
        causeway_protocol::commitment(&self.header, &self.pubdata)
    }
}
