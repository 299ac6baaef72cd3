//! The exit circuit: an honest leaf opening satisfies it, and every change to the public
//! statement (root, index, owner, balance) or to the private opening (key, nonce, path) is
//! rejected by the named rule; the domain is bound by Groth16 itself (see the prover's tests).

use super::{
    fixtures::{DOMAIN, PARAMS, every_op_batch, genesis},
    rules::first_broken,
};
use ark_ff::Field;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisError};
use causeway_circuits::{ConstraintF, ExitCircuit, ExitWitness};
use causeway_protocol::{Domain, Fr, account::address_to_field};

fn broken(w: ExitWitness) -> Option<String> {
    first_broken(|cs| {
        ExitCircuit { depth: PARAMS.depth, witness: Some(w) }.generate_constraints(cs).expect("synthesis")
    })
}

#[track_caller]
fn assert_breaks(rule: &str, w: ExitWitness) {
    assert_eq!(broken(w).as_deref(), Some(rule), "the exit should break exactly the rule {rule:?} first");
}

fn alice() -> ExitWitness {
    ExitWitness::from_state(&genesis(), 1).expect("exit")
}

#[test]
fn every_account_of_a_state_after_a_batch_can_exit_with_its_own_statement() {
    let (state, _) = every_op_batch();
    for index in 0..4 {
        let w = ExitWitness::from_state(&state, index).expect("exit");
        let a = state.account(index);
        assert_eq!(
            w.public_inputs(),
            [state.root(), DOMAIN.to_field(), Fr::from(index), address_to_field(&a.owner), Fr::from(a.balance)],
            "an ether account's owner input is its address"
        );
        assert_eq!(broken(w), None, "account {index}");
    }
}

#[test]
fn a_token_account_exits_with_its_token_above_the_owners_160_bits() {
    let mut s = genesis();
    let bob = s.account(2);
    s.insert(2, causeway_protocol::Account { token: 513, ..bob }).expect("insert");
    let w = ExitWitness::from_state(&s, 2).expect("exit");
    let two_160 = Fr::from(2u64).pow([160u64]);
    assert_eq!(w.public_inputs()[3], address_to_field(&bob.owner) + Fr::from(513u64) * two_160);
    assert_eq!(broken(w.clone()), None);
    // Claimed as another token (or as ether): not the leaf.
    let mut other = w.clone();
    other.account.token = 1;
    assert_breaks("leaf_in_root", other);
    let mut ether = w;
    ether.account.token = 0;
    assert_breaks("leaf_in_root", ether);
}

#[test]
fn rule_owner_token_bits() {
    // The owner input plus 2^176: the same owner and token bits below, so only the split's
    // range fails (without it, the bits above would be free).
    let w = alice();
    let rule = super::rules::first_broken_with(
        |cs| ExitCircuit { depth: PARAMS.depth, witness: Some(w) }.generate_constraints(cs).expect("synthesis"),
        |cs| {
            let mut inner = cs.borrow_mut().expect("a constraint system");
            inner.assignments.instance_assignment[4] += Fr::from(2u64).pow([176u64]);
        },
    );
    assert_eq!(rule.as_deref(), Some("owner_token_bits"));
}

#[test]
fn the_domain_is_no_constraint_of_the_circuit() {
    // Any domain satisfies the constraints: Groth16's input rows bind it (prover tests).
    let mut w = alice();
    w.domain = Domain::new(1, [0x11; 20]);
    assert_eq!(broken(w), None);
}

#[test]
fn rule_leaf_in_root_binds_the_public_statement() {
    // Another root (the state after a batch), owner, balance or index than the leaf's.
    let mut w = alice();
    w.root = every_op_batch().0.root();
    assert_breaks("leaf_in_root", w);
    let mut w = alice();
    w.account.owner = [0x99; 20];
    assert_breaks("leaf_in_root", w);
    let mut w = alice();
    w.account.balance += 1;
    assert_breaks("leaf_in_root", w);
    // Bob's index with Alice's leaf and path.
    let mut w = alice();
    w.index = 2;
    assert_breaks("leaf_in_root", w);
}

#[test]
fn rule_leaf_in_root_binds_the_private_opening() {
    let mut w = alice();
    w.account.nonce += 1;
    assert_breaks("leaf_in_root", w);
    let mut w = alice();
    w.account.pubkey = genesis().account(2).pubkey;
    assert_breaks("leaf_in_root", w);
    let mut w = alice();
    w.proof.siblings[0][1] += Fr::from(1u64);
    assert_breaks("leaf_in_root", w);
}

#[test]
fn rule_index_in_tree() {
    // Alice's index plus 2^depth: its low bits (the path) are Alice's, so only the range fails.
    let mut w = alice();
    w.index += 1 << PARAMS.depth;
    assert_breaks("index_in_tree", w);
}

#[test]
fn a_path_of_the_wrong_length_is_refused_before_synthesis() {
    let mut w = alice();
    w.proof.siblings.pop();
    let cs = ConstraintSystem::<ConstraintF>::new_ref();
    let r = ExitCircuit { depth: PARAMS.depth, witness: Some(w) }.generate_constraints(cs);
    assert!(matches!(r, Err(SynthesisError::Unsatisfiable)), "{r:?}");
}

#[test]
fn exit_circuit_pinned_cost() {
    let cs = ConstraintSystem::<ConstraintF>::new_ref();
    ExitCircuit { depth: PARAMS.depth, witness: Some(alice()) }.generate_constraints(cs.clone()).expect("synthesis");
    assert_eq!(cs.num_instance_variables(), 6, "one, root, domain, index, owner, balance");
    assert_eq!(
        cs.num_constraints(),
        1141,
        "depth 4: index bits, owner and token bits, leaf Poseidon(6), two Poseidon(4) levels"
    );
}
