//! The Poseidon gadget: circomlib's permutation, 3 constraints per S-box.
//!
//! The linear layers cost no constraints, but built naively (one symbolic linear combination
//! per addition) the partial rounds nest combinations sixty deep, and inlining them dominates
//! proving time. Here the state is kept as flat coefficient vectors over the variables that
//! actually exist (inputs and S-box outputs), and each S-box input becomes a single linear
//! combination.

use super::{ConstraintF, FrVar};
use ark_ff::{AdditiveGroup, Field, Zero};
use ark_r1cs_std::{
    GR1CSVar,
    fields::{FieldVar, fp::AllocatedFp},
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};
use causeway_protocol::poseidon::{params, poseidon as native};

/// A state element: `constant + sum(coeffs[k] * basis[k])`.
#[derive(Clone)]
struct Lin {
    coeffs: Vec<ConstraintF>,
    constant: ConstraintF,
}

struct Basis {
    cs: ConstraintSystemRef<ConstraintF>,
    vars: Vec<Variable>,
    values: Option<Vec<ConstraintF>>,
}

impl Basis {
    fn push(&mut self, x: &AllocatedFp<ConstraintF>) -> Lin {
        self.vars.push(x.variable);
        match (&mut self.values, x.value()) {
            (Some(v), Ok(x)) => v.push(x),
            _ => self.values = None,
        }
        let mut coeffs = vec![ConstraintF::ZERO; self.vars.len()];
        coeffs[self.vars.len() - 1] = ConstraintF::ONE;
        Lin { coeffs, constant: ConstraintF::ZERO }
    }

    /// One linear-combination variable for `x`.
    fn materialize(&self, x: &Lin) -> Result<FrVar, SynthesisError> {
        if x.coeffs.iter().all(|c| c.is_zero()) {
            return Ok(FrVar::constant(x.constant));
        }
        let mut lc = LinearCombination::zero();
        for (c, v) in x.coeffs.iter().zip(&self.vars) {
            if !c.is_zero() {
                lc += (*c, *v);
            }
        }
        if !x.constant.is_zero() {
            lc += (x.constant, Variable::One);
        }
        let value =
            self.values.as_ref().map(|vals| x.coeffs.iter().zip(vals).fold(x.constant, |acc, (c, v)| acc + *c * v));
        let var = self.cs.new_lc(|| lc)?;
        Ok(FrVar::Var(AllocatedFp::new(value, var, self.cs.clone())))
    }
}

/// Gadget twin of [`causeway_protocol::poseidon::poseidon`].
pub fn poseidon(inputs: &[FrVar]) -> Result<FrVar, SynthesisError> {
    if inputs.cs().is_none() {
        let values = inputs.iter().map(|x| x.value()).collect::<Result<Vec<_>, _>>()?;
        return Ok(FrVar::constant(native(&values)));
    }
    poseidon_from_first_sboxes(&first_sboxes(inputs)?)
}

/// The first round's S-boxes of Poseidon(n)'s inputs, `(x_i + c_i)^5` with `c_i` from
/// [`first_round_constant`]: 3 constraints each (none for a constant). A caller hashing inputs
/// that share some elements (a Merkle path's siblings before and after an update) computes
/// these once and finishes each hash with [`poseidon_from_first_sboxes`].
pub fn first_sboxes(inputs: &[FrVar]) -> Result<Vec<FrVar>, SynthesisError> {
    inputs.iter().enumerate().map(|(i, x)| sbox(&(x + first_round_constant(inputs.len(), i)))).collect()
}

/// The first round's constant of input `i` of Poseidon(`inputs`) (state element `i + 1`; the
/// state's first element is the zero capacity).
pub fn first_round_constant(inputs: usize, i: usize) -> ConstraintF {
    params(inputs).round_constants[i + 1]
}

/// `x^5`: 3 constraints (none for a constant).
pub fn sbox(x: &FrVar) -> Result<FrVar, SynthesisError> {
    Ok(x.square()?.square()? * x)
}

/// Poseidon(n) of inputs whose first-round S-box outputs are `sboxed` (n of them).
pub fn poseidon_from_first_sboxes(sboxed: &[FrVar]) -> Result<FrVar, SynthesisError> {
    let p = params(sboxed.len());
    let mut basis = Basis { cs: sboxed.cs(), vars: Vec::new(), values: Some(Vec::new()) };
    let capacity = p.round_constants[0];
    let mut state = vec![Lin { coeffs: Vec::new(), constant: capacity.square().square() * capacity }];
    for x in sboxed {
        state.push(match x {
            FrVar::Constant(c) => Lin { coeffs: Vec::new(), constant: *c },
            FrVar::Var(v) => basis.push(v),
        });
    }
    state = mds(&p.mds, &state, basis.vars.len());
    for r in 1..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * p.t..]) {
            s.constant += c;
        }
        if p.is_full_round(r) {
            // Everything before a full round's S-boxes is dead afterwards: start a new basis.
            let outputs = state.iter().map(|s| pow5(&basis, s)).collect::<Result<Vec<_>, _>>()?;
            basis.vars.clear();
            basis.values = Some(Vec::new());
            state = outputs.into_iter().map(|x| sbox_output(&mut basis, x)).collect::<Result<_, _>>()?;
        } else {
            let x = pow5(&basis, &state[0])?;
            state[0] = sbox_output(&mut basis, x)?;
        }
        state = mds(&p.mds, &state, basis.vars.len());
    }
    basis.materialize(&state[0])
}

/// The linear layer over state elements written in a basis of `width` variables.
fn mds(matrix: &[Vec<ConstraintF>], state: &[Lin], width: usize) -> Vec<Lin> {
    matrix
        .iter()
        .map(|row| {
            let mut out = Lin { coeffs: vec![ConstraintF::ZERO; width], constant: ConstraintF::ZERO };
            for (m, s) in row.iter().zip(state) {
                for (o, c) in out.coeffs.iter_mut().zip(&s.coeffs) {
                    *o += *m * c;
                }
                out.constant += *m * s.constant;
            }
            out
        })
        .collect()
}

fn pow5(basis: &Basis, x: &Lin) -> Result<FrVar, SynthesisError> {
    sbox(&basis.materialize(x)?)
}

fn sbox_output(basis: &mut Basis, x: FrVar) -> Result<Lin, SynthesisError> {
    Ok(match x {
        FrVar::Constant(c) => {
            let width = basis.vars.len();
            Lin { coeffs: vec![ConstraintF::ZERO; width], constant: c }
        }
        FrVar::Var(v) => basis.push(&v),
    })
}
