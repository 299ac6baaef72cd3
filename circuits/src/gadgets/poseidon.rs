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
    let cs = inputs.cs();
    if cs.is_none() {
        let values = inputs.iter().map(|x| x.value()).collect::<Result<Vec<_>, _>>()?;
        return Ok(FrVar::constant(native(&values)));
    }
    let p = params(inputs.len());
    let mut basis = Basis { cs, vars: Vec::new(), values: Some(Vec::new()) };
    let mut state = vec![Lin { coeffs: Vec::new(), constant: ConstraintF::ZERO }];
    for x in inputs {
        state.push(match x {
            FrVar::Constant(c) => Lin { coeffs: Vec::new(), constant: *c },
            FrVar::Var(v) => basis.push(v),
        });
    }
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * p.t..]) {
            s.constant += c;
        }
        let sboxed = if p.is_full_round(r) { p.t } else { 1 };
        if sboxed == p.t {
            // Everything before a full round's S-boxes is dead afterwards: start a new basis.
            let outputs = state.iter().map(|s| pow5(&basis, s)).collect::<Result<Vec<_>, _>>()?;
            basis.vars.clear();
            basis.values = Some(Vec::new());
            state = outputs.into_iter().map(|x| sbox_output(&mut basis, x)).collect::<Result<_, _>>()?;
        } else {
            let x = pow5(&basis, &state[0])?;
            state[0] = sbox_output(&mut basis, x)?;
        }
        let width = basis.vars.len();
        state = p
            .mds
            .iter()
            .map(|row| {
                let mut out = Lin { coeffs: vec![ConstraintF::ZERO; width], constant: ConstraintF::ZERO };
                for (m, s) in row.iter().zip(&state) {
                    for (o, c) in out.coeffs.iter_mut().zip(&s.coeffs) {
                        *o += *m * c;
                    }
                    out.constant += *m * s.constant;
                }
                out
            })
            .collect();
    }
    basis.materialize(&state[0])
}

fn pow5(basis: &Basis, x: &Lin) -> Result<FrVar, SynthesisError> {
    if x.coeffs.iter().all(|c| c.is_zero()) {
        let c = x.constant;
        return Ok(FrVar::constant(c.square().square() * c));
    }
    let x = basis.materialize(x)?;
    let x4 = x.square()?.square()?;
    Ok(x4 * x)
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
