//! The exit circuit's constraints: the leaf hash of the account's fields and its Merkle path
//! to the public root.

use super::ExitWitness;
use crate::gadgets::{
    ConstraintF, FrVar,
    bits::{pack_le, range_check},
    eddsa::PointVar,
    merkle::PathVar,
    poseidon::poseidon,
};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget};
use ark_relations::{
    gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
    ns,
};

/// The exit circuit for a tree of `depth` bits; `witness` is `None` for setup.
#[derive(Clone)]
pub struct ExitCircuit {
    /// State tree depth in bits (even), fixed at setup.
    pub depth: u32,
    /// Private and public inputs.
    pub witness: Option<ExitWitness>,
}

fn input(
    cs: &ConstraintSystemRef<ConstraintF>,
    inputs: Option<&[ConstraintF; 5]>,
    k: usize,
) -> Result<FrVar, SynthesisError> {
    FrVar::new_input(cs.clone(), || inputs.map(|i| i[k]).ok_or(SynthesisError::AssignmentMissing))
}

impl ConstraintSynthesizer<ConstraintF> for ExitCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<ConstraintF>) -> Result<(), SynthesisError> {
        let w = self.witness.as_ref();
        if w.is_some_and(|w| w.proof.siblings.len() != self.depth as usize / 2) {
            return Err(SynthesisError::Unsatisfiable);
        }
        // Public inputs first, in the order of `ExitWitness::public_inputs`. The domain enters no
        // constraint of ours: Groth16 binds every public input by itself (the reduction to a QAP
        // adds one row per input, in arkworks and snarkjs alike), so a proof made for one
        // deployment verifies on no other.
        let inputs = w.map(ExitWitness::public_inputs);
        let root = input(&cs, inputs.as_ref(), 0)?;
        let _domain = input(&cs, inputs.as_ref(), 1)?;
        let index = input(&cs, inputs.as_ref(), 2)?;
        let owner_token = input(&cs, inputs.as_ref(), 3)?;
        let balance = input(&cs, inputs.as_ref(), 4)?;
        // owner + token · 2^160, split into its 160 and 16 bits (176 < 254: one way only).
        let (owner, token) = {
            let _rule = ns!(cs, "owner_token_bits");
            let bits = range_check(&owner_token, 176)?;
            (pack_le(&bits[..160]), pack_le(&bits[160..]))
        };

        let account = w.map(|w| w.account);
        let pk = PointVar::new_witness(cs.clone(), account.map(|a| a.pubkey))?;
        let nonce = FrVar::new_witness(cs.clone(), || {
            account.map(|a| ConstraintF::from(a.nonce)).ok_or(SynthesisError::AssignmentMissing)
        })?;
        // The index's bits choose the path; below 2^depth, so an index names one leaf only.
        let bits = {
            let _rule = ns!(cs, "index_in_tree");
            range_check(&index, self.depth as usize)?
        };
        let path = PathVar::new(cs.clone(), &bits, w.map(|w| w.proof.siblings.as_slice()))?;
        let leaf = poseidon(&[pk.x, pk.y, balance, nonce, owner, token])?;
        let computed = path.root(&leaf)?;
        {
            let _rule = ns!(cs, "leaf_in_root");
            computed.enforce_equal(&root)?;
        }
        Ok(())
    }
}
