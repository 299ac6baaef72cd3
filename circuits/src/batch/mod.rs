//! The batch circuit's native side: its parameters and the witness built from a native
//! [`BatchTransition`].

mod codec;
mod constraints;

pub use constraints::{BatchCircuit, Breakdown};

use causeway_protocol::{BatchHeader, BatchTransition, Domain, LeafUpdate, Operation, Signature};

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
    /// The first slot of a forced transfer.
    ForcedTransfer,
    /// The first slot of a forced withdrawal.
    ForcedWithdraw,
    /// A further chunk of the operation that started in an earlier slot.
    Continuation,
}

/// The eight operation flags the circuit allocates for a slot; an honest slot has exactly one
/// set (see [`SlotKind`]). Kept apart from the kind so that tests can write the flag patterns a
/// cheating prover would.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotFlags {
    /// Padding.
    pub noop: bool,
    /// The first slot of a deposit.
    pub deposit: bool,
    /// A transfer.
    pub transfer: bool,
    /// The first slot of a withdrawal.
    pub withdraw: bool,
    /// The first slot of a full exit.
    pub full_exit: bool,
    /// A further chunk of an earlier operation.
    pub continuation: bool,
    /// The first slot of a forced transfer.
    pub forced_transfer: bool,
    /// The first slot of a forced withdrawal.
    pub forced_withdraw: bool,
}

impl From<SlotKind> for SlotFlags {
    fn from(kind: SlotKind) -> Self {
        Self {
            noop: kind == SlotKind::Noop,
            deposit: kind == SlotKind::Deposit,
            transfer: kind == SlotKind::Transfer,
            withdraw: kind == SlotKind::Withdraw,
            full_exit: kind == SlotKind::FullExit,
            continuation: kind == SlotKind::Continuation,
            forced_transfer: kind == SlotKind::ForcedTransfer,
            forced_withdraw: kind == SlotKind::ForcedWithdraw,
        }
    }
}

impl SlotFlags {
    /// The flags as an 8-bit mask (noop = bit 0, deposit, transfer, withdraw, full exit,
    /// continuation, forced transfer, forced withdrawal = bit 7).
    pub fn mask(&self) -> u8 {
        [
            self.noop,
            self.deposit,
            self.transfer,
            self.withdraw,
            self.full_exit,
            self.continuation,
            self.forced_transfer,
            self.forced_withdraw,
        ]
        .iter()
        .enumerate()
        .fold(0, |m, (i, f)| m | (u8::from(*f) << i))
    }

    /// Reads [`SlotFlags::mask`].
    pub fn from_mask(mask: u8) -> Self {
        let f = |i: u8| mask & (1 << i) != 0;
        Self {
            noop: f(0),
            deposit: f(1),
            transfer: f(2),
            withdraw: f(3),
            full_exit: f(4),
            continuation: f(5),
            forced_transfer: f(6),
            forced_withdraw: f(7),
        }
    }
}

/// One slot's private inputs.
#[derive(Clone, Debug)]
pub struct SlotWitness {
    /// What the slot holds, as the circuit's flags.
    pub flags: SlotFlags,
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
    /// The deployment the batch is for: its signatures and the commitment include it.
    pub domain: Domain,
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
                Operation::Forced(f) if f.to.is_some() => (SlotKind::ForcedTransfer, None),
                Operation::Forced(_) => (SlotKind::ForcedWithdraw, None),
            };
            kinds.push((kind, signature));
            kinds.extend(std::iter::repeat_n((SlotKind::Continuation, None), a.op.slots() - 1));
        }
        let slots = kinds
            .into_iter()
            .zip(&t.slot_updates)
            .map(|((kind, signature), updates)| SlotWitness { flags: kind.into(), signature, updates: updates.clone() })
            .collect();
        Self { header: t.header, domain: t.domain, pubdata: t.pubdata.clone(), slots, fee_update: t.fee_update.clone() }
    }

    /// The public input.
    pub fn commitment(&self) -> causeway_protocol::Fr {
        causeway_protocol::commitment(&self.header, &self.domain, &self.pubdata)
    }
}
