//! The 4-ary Merkle path gadget.

use super::{
    Bit, ConstraintF, FrVar,
    poseidon::{first_round_constant, first_sboxes, poseidon, poseidon_from_first_sboxes, sbox},
};
use ark_r1cs_std::{GR1CSVar, alloc::AllocVar, fields::FieldVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use causeway_protocol::tree::place;

/// A path: per level, the four children with the path's own child left free, and the two
/// position bits.
pub struct PathVar {
    levels: Vec<LevelVar>,
}

struct LevelVar {
    children: [FrVar; 4],
    /// One-hot position indicators.
    at: [FrVar; 4],
}

impl PathVar {
    /// Allocates the siblings of a native proof (levels from the leaves up) for the leaf whose
    /// index bits (little-endian, two per level) are given.
    pub fn new(
        cs: ConstraintSystemRef<ConstraintF>,
        index_bits: &[Bit],
        siblings: Option<&[[ConstraintF; 3]]>,
    ) -> Result<Self, SynthesisError> {
        let levels = index_bits
            .chunks(2)
            .enumerate()
            .map(|(l, b)| {
                let position =
                    b.iter().rev().fold(0usize, |acc, bit| 2 * acc + usize::from(bit.value().unwrap_or(false)));
                let values = siblings.map(|s| place(ConstraintF::from(0u64), &s[l], position));
                let children = [0, 1, 2, 3].map(|i| {
                    FrVar::new_witness(cs.clone(), || values.map(|v| v[i]).ok_or(SynthesisError::AssignmentMissing))
                });
                let [c0, c1, c2, c3] = children;
                let (b0, b1) = (FrVar::from(b[0].clone()), FrVar::from(b[1].clone()));
                let both = &b0 * &b1;
                let at = [FrVar::one() - &b0 - &b1 + &both, &b0 - &both, &b1 - &both, both];
                Ok(LevelVar { children: [c0?, c1?, c2?, c3?], at })
            })
            .collect::<Result<_, SynthesisError>>()?;
        Ok(Self { levels })
    }

    /// The root above `leaf`: 4 constraints of placement and one Poseidon(4) per level.
    pub fn root(&self, leaf: &FrVar) -> Result<FrVar, SynthesisError> {
        let mut node = leaf.clone();
        for level in &self.levels {
            let placed = level
                .children
                .iter()
                .zip(&level.at)
                .map(|(child, at)| Ok(child + at * &(&node - child)))
                .collect::<Result<Vec<_>, SynthesisError>>()?;
            node = poseidon(&placed)?;
        }
        Ok(node)
    }

    /// The roots above `old` and above `new` in the same place (a leaf before and after an
    /// update). The siblings' first-round S-boxes are shared: per level 12 constraints for the
    /// four children once, then per root the S-box of its node (with its position's round
    /// constant) and 4 placements of S-box outputs, 26 in all where two calls of [`Self::root`]
    /// spend 32 (4 placements and 4 S-boxes each), before the rest of each Poseidon(4).
    pub fn roots(&self, old: &FrVar, new: &FrVar) -> Result<(FrVar, FrVar), SynthesisError> {
        let (mut old, mut new) = (old.clone(), new.clone());
        for level in &self.levels {
            let shared = first_sboxes(&level.children)?;
            let constant = level
                .at
                .iter()
                .enumerate()
                .fold(FrVar::zero(), |acc, (i, at)| acc + at * first_round_constant(level.children.len(), i));
            let hash = |node: &FrVar| -> Result<FrVar, SynthesisError> {
                let z = sbox(&(node + &constant))?;
                let placed: Vec<FrVar> = shared.iter().zip(&level.at).map(|(s, at)| s + at * &(&z - s)).collect();
                poseidon_from_first_sboxes(&placed)
            };
            old = hash(&old)?;
            new = hash(&new)?;
        }
        Ok((old, new))
    }
}
