//! The Poseidon gadget: circomlib's permutation, 3 constraints per S-box.

use super::FrVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use causeway_protocol::poseidon::params;

/// Gadget twin of [`causeway_protocol::poseidon::poseidon`].
pub fn poseidon(inputs: &[FrVar]) -> Result<FrVar, SynthesisError> {
    let p = params(inputs.len());
    let mut state: Vec<FrVar> = std::iter::once(FrVar::zero()).chain(inputs.iter().cloned()).collect();
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * p.t..]) {
            *s += *c;
        }
        if p.is_full_round(r) {
            for s in state.iter_mut() {
                *s = pow5(s)?;
            }
        } else {
            state[0] = pow5(&state[0])?;
        }
        state = p
            .mds
            .iter()
            .map(|row| row.iter().zip(&state).map(|(m, s)| s * *m).fold(FrVar::zero(), |acc, x| acc + x))
            .collect();
    }
    Ok(state.swap_remove(0))
}

fn pow5(x: &FrVar) -> Result<FrVar, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}
