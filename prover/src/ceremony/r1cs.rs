//! The constraint system in iden3's `.r1cs` format, and witnesses in its `.wtns` format: what
//! circom writes and snarkjs reads.
//!
//! Wire numbering is arkworks' own, which is circom's layout too: wire 0 is the constant 1, wires
//! 1..=k the k public inputs (as the circuit allocates them), then the private wires in
//! allocation order. Both files hold field elements as 32-byte little-endian integers, not in
//! Montgomery form.

use crate::{error::ProverError, keys::Circuit};
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal, R1CS_PREDICATE_LABEL,
    SynthesisError, SynthesisMode,
};
use causeway_circuits::{BatchCircuit, CircuitParams, ConstraintF, ExitCircuit};
use std::io::{self, Write};

/// A synthesised circuit: its three matrices, and its full assignment when it was given a
/// witness.
pub struct Synthesized {
    /// The constraint system (for `which_is_unsatisfied` and the counts).
    pub cs: ConstraintSystemRef<ConstraintF>,
    /// A, B and C, one row per constraint, each a list of (coefficient, wire).
    pub matrices: Vec<Matrix<ConstraintF>>,
    /// 1, the public inputs, then the private wires; `None` for a blank circuit.
    pub assignment: Option<Vec<ConstraintF>>,
}

impl Synthesized {
    /// Wires in all: 1 + public inputs + private wires.
    pub fn wires(&self) -> usize {
        self.cs.num_instance_variables() + self.cs.num_witness_variables()
    }

    /// Public inputs (the constant 1 not counted).
    pub fn public_inputs(&self) -> usize {
        self.cs.num_instance_variables() - 1
    }

    /// Constraints.
    pub fn constraints(&self) -> usize {
        self.cs.num_constraints()
    }

    /// The evaluation domain's size: the smallest power of two above constraints + public
    /// inputs (snarkjs's rule, and arkworks'). A Powers of Tau file needs at least this many
    /// points.
    pub fn domain_size(&self) -> usize {
        (self.constraints() + self.public_inputs() + 1).next_power_of_two()
    }
}

/// Synthesises `circuit` the way setup and the prover do (constraints inlined, matrices built);
/// with `witness`, the assignment too.
pub fn synthesize(circuit: impl ConstraintSynthesizer<ConstraintF>, witness: bool) -> Result<Synthesized, ProverError> {
    let cs = ConstraintSystem::<ConstraintF>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(if witness {
        SynthesisMode::Prove { construct_matrices: true, generate_lc_assignments: false }
    } else {
        SynthesisMode::Setup
    });
    circuit.generate_constraints(cs.clone())?;
    cs.finalize();
    let mut all = cs.to_matrices()?;
    let matrices = all.remove(R1CS_PREDICATE_LABEL).ok_or(SynthesisError::PredicateNotFound)?;
    if !all.is_empty() || matrices.len() != 3 {
        return Err(SynthesisError::ArityMismatch.into());
    }
    let assignment = if witness {
        Some(cs.instance_assignment()?.into_iter().chain(cs.witness_assignment()?).collect())
    } else {
        None
    };
    Ok(Synthesized { cs, matrices, assignment })
}

/// Synthesises `circuit` with no witness, at `params` (for the exit circuit only the depth
/// counts).
pub fn synthesize_blank(circuit: Circuit, params: CircuitParams) -> Result<Synthesized, ProverError> {
    let params = circuit.params(params.depth, params.slots);
    match circuit {
        Circuit::Batch => synthesize(BatchCircuit { params, witness: None }, false),
        Circuit::Exit => synthesize(ExitCircuit { depth: params.depth, witness: None }, false),
    }
}

const N8: usize = 32;

fn fr_le(x: &ConstraintF) -> Vec<u8> {
    x.into_bigint().to_bytes_le()
}

fn prime_le() -> Vec<u8> {
    <ConstraintF as PrimeField>::MODULUS.to_bytes_le()
}

fn section(out: &mut impl Write, kind: u32, size: u64) -> io::Result<()> {
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&size.to_le_bytes())
}

fn u32_of(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "more than 2^32 wires or constraints"))
}

/// Writes the `.r1cs` file of a synthesised circuit: a header, the constraints and the
/// wire-to-label map (label i for wire i). snarkjs counts the public inputs as `nPubIn`, no
/// outputs and no private inputs (every private wire is an intermediate one).
pub fn write_r1cs(s: &Synthesized, out: &mut impl Write) -> io::Result<()> {
    let wires = u32_of(s.wires())?;
    let constraints = u32_of(s.constraints())?;
    out.write_all(b"r1cs")?;
    out.write_all(&1u32.to_le_bytes())?;
    out.write_all(&3u32.to_le_bytes())?;

    section(out, 1, (4 + N8 + 4 * 4 + 8 + 4) as u64)?;
    out.write_all(&(N8 as u32).to_le_bytes())?;
    out.write_all(&prime_le())?;
    out.write_all(&wires.to_le_bytes())?;
    out.write_all(&0u32.to_le_bytes())?; // public outputs
    out.write_all(&u32_of(s.public_inputs())?.to_le_bytes())?;
    out.write_all(&0u32.to_le_bytes())?; // private inputs
    out.write_all(&u64::from(wires).to_le_bytes())?; // labels
    out.write_all(&constraints.to_le_bytes())?;

    let rows = s.constraints();
    let [a, b, c] = &s.matrices[..] else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not three matrices"));
    };
    let terms: usize = [a, b, c].iter().map(|m| m[..rows].iter().map(Vec::len).sum::<usize>()).sum();
    section(out, 2, (rows * 3 * 4 + terms * (4 + N8)) as u64)?;
    for i in 0..rows {
        for m in [a, b, c] {
            out.write_all(&u32_of(m[i].len())?.to_le_bytes())?;
            for (coeff, wire) in &m[i] {
                out.write_all(&u32_of(*wire)?.to_le_bytes())?;
                out.write_all(&fr_le(coeff))?;
            }
        }
    }

    section(out, 3, u64::from(wires) * 8)?;
    for label in 0..u64::from(wires) {
        out.write_all(&label.to_le_bytes())?;
    }
    Ok(())
}

/// Writes a `.wtns` file (version 2): the field, then every wire's value in wire order.
pub fn write_wtns(assignment: &[ConstraintF], out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"wtns")?;
    out.write_all(&2u32.to_le_bytes())?;
    out.write_all(&2u32.to_le_bytes())?;
    section(out, 1, (4 + N8 + 4) as u64)?;
    out.write_all(&(N8 as u32).to_le_bytes())?;
    out.write_all(&prime_le())?;
    out.write_all(&u32_of(assignment.len())?.to_le_bytes())?;
    section(out, 2, (assignment.len() * N8) as u64)?;
    for x in assignment {
        out.write_all(&fr_le(x))?;
    }
    Ok(())
}
