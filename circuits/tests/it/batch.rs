//! The batch circuit: a valid batch is accepted, and a witness breaking any rule is rejected.
//! Slots of the fixture batch: 0-6 deposit (account 3), 7 transfer 1→2, 8-9 withdraw from 2,
//! 10-12 full exit of 1, 13 transfer 3→2, 14-15 noops.

use super::fixtures::{DOMAIN, PARAMS, every_op_witness, genesis, key};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use causeway_circuits::{BatchCircuit, BatchWitness, ConstraintF, SlotKind};
use causeway_protocol::{
    Account, Deposit, Fr, LeafUpdate, MerkleTree, Operation, State, Transfer,
    account::address_to_field,
    field::fr_to_be_bytes,
    float::AMOUNT,
    poseidon::poseidon,
    pubdata::{CHUNK_BYTES, layout},
};

const TRANSFER_SLOT: usize = 7;
const EXIT_SLOT: usize = 10;
const NOOP_SLOT: usize = 14;

fn satisfied(w: BatchWitness) -> bool {
    let params = causeway_circuits::CircuitParams { slots: w.slots.len(), ..PARAMS };
    let cs = ConstraintSystem::<ConstraintF>::new_ref();
    BatchCircuit { params, witness: Some(w) }.generate_constraints(cs.clone()).expect("synthesis");
    cs.is_satisfied().expect("satisfiability check")
}

fn assert_rejected(rule: &str, w: BatchWitness) {
    assert!(!satisfied(w), "a witness breaking \"{rule}\" satisfied the circuit");
}

#[test]
fn a_valid_batch_with_every_operation_satisfies_the_circuit() {
    assert!(satisfied(every_op_witness()));
}

#[test]
fn rule_signature_by_the_payers_key() {
    let mut w = every_op_witness();
    let forged = Transfer::signed(&key(9), &DOMAIN, 1, 2, 25_000_000, 1_000, 0);
    w.slots[TRANSFER_SLOT].signature = forged.signature.into();
    assert_rejected("a transfer is signed by the payer's key", w);
}

#[test]
fn rule_signature_covers_the_operation() {
    let mut w = every_op_witness();
    let other = Transfer::signed(&key(2), &DOMAIN, 1, 2, 25_000_001, 1_000, 0);
    w.slots[TRANSFER_SLOT].signature = other.signature.into();
    assert_rejected("the signature covers the operation's fields", w);
}

#[test]
fn rule_signature_required_for_withdrawals() {
    let mut w = every_op_witness();
    w.slots[8].signature = None;
    assert_rejected("a withdrawal is signed", w);
}

#[test]
fn rule_nonce_is_the_accounts_next_replay_rejected() {
    // Batch 1 spends Alice's nonce 0; batch 2 replays that signature where her nonce is 1.
    let mut s = genesis();
    let t0 = Transfer::signed(&key(2), &DOMAIN, 1, 2, 1_000, 0, 0);
    s.apply_batch(1, 0, PARAMS.slots, 0, &[Operation::Transfer(t0)]).expect("batch 1");
    let t1 = Transfer::signed(&key(2), &DOMAIN, 1, 2, 1_000, 0, 1);
    let b2 = s.apply_batch(2, 0, PARAMS.slots, 0, &[Operation::Transfer(t1)]).expect("batch 2");
    let mut w = BatchWitness::from_transition(&b2);
    assert!(satisfied(w.clone()));
    w.slots[0].signature = Some(t0.signature);
    assert_rejected("the nonce is the account's next (replay)", w);
}

#[test]
fn rule_merkle_path_matches_the_root() {
    let mut w = every_op_witness();
    w.slots[TRANSFER_SLOT].updates[0].proof.siblings[0][1] += ConstraintF::from(1u64);
    assert_rejected("each old leaf is proved against the current root", w);
}

#[test]
fn rule_old_leaf_is_the_real_account() {
    let mut w = every_op_witness();
    w.slots[TRANSFER_SLOT].updates[0].before.balance += 10u128.pow(20);
    assert_rejected("the old account is the one in the tree", w);
}

#[test]
fn rule_old_root_is_the_headers() {
    let mut w = every_op_witness();
    w.header.old_root += ConstraintF::from(1u64);
    assert_rejected("the batch starts from the header's old root", w);
}

#[test]
fn rule_new_root_is_the_computed_one() {
    // A prover claiming a root where a Noop credited Bob must fail.
    let mut w = every_op_witness();
    let (mut s, _) = super::fixtures::every_op_batch();
    let bob = s.account(2);
    s.insert(2, Account { balance: bob.balance + 1, ..bob }).expect("insert");
    w.header.new_root = s.root();
    assert_rejected("a Noop changes nothing: the new root is the computed one", w);
}

#[test]
fn rule_pubdata_matches_the_operations() {
    let mut w = every_op_witness();
    let at = TRANSFER_SLOT * CHUNK_BYTES + layout::TRANSFER_TO + 3;
    w.pubdata[at] = 3; // says "to account 3" while the slot paid account 2
    assert_rejected("pubdata records the operation executed", w);
}

#[test]
fn rule_pubdata_amount_matches() {
    let mut w = every_op_witness();
    let at = TRANSFER_SLOT * CHUNK_BYTES + layout::TRANSFER_AMOUNT;
    let bytes = AMOUNT.to_bytes(AMOUNT.encode(24_000_000).expect("representable"));
    w.pubdata[at..at + AMOUNT.bytes()].copy_from_slice(&bytes);
    assert_rejected("pubdata records the amount moved", w);
}

#[test]
fn rule_padding_is_zero() {
    let mut w = every_op_witness();
    w.pubdata[NOOP_SLOT * CHUNK_BYTES + 5] = 1;
    assert_rejected("noop pubdata is zero", w);
}

#[test]
fn rule_slot_type_matches_the_type_byte() {
    let mut w = every_op_witness();
    w.slots[TRANSFER_SLOT].flags = SlotKind::Noop.into();
    assert_rejected("the slot's operation is the one its type byte names", w);
}

#[test]
fn rule_multi_chunk_operations_own_their_chunks() {
    let mut w = every_op_witness();
    w.slots[1].flags = SlotKind::Noop.into(); // slot 1 is the deposit's second chunk
    assert_rejected("chunks of a deposit are not slots of their own", w);
}

#[test]
fn rule_full_exit_pays_only_the_owner() {
    let mut w = every_op_witness();
    let at = EXIT_SLOT * CHUNK_BYTES + layout::EXIT_OWNER;
    w.pubdata[at..at + 20].copy_from_slice(&[9; 20]);
    assert_rejected("a full exit pays out only to the account's owner", w);
}

#[test]
fn rule_deposit_into_another_keys_account() {
    let mut w = every_op_witness();
    // The deposit created account 3 for key 4; claim it went to key 5's identical slot instead.
    let pk = key(5).public_key();
    let at = layout::DEPOSIT_PK_X;
    w.pubdata[at..at + 32].copy_from_slice(&causeway_protocol::field::fr_to_be_bytes(&pk.x));
    w.pubdata[at + 32..at + 64].copy_from_slice(&causeway_protocol::field::fr_to_be_bytes(&pk.y));
    assert_rejected("a deposit sets the key its pubdata names", w);
}

#[test]
fn rule_fees_go_to_the_header_fee_account() {
    let mut w = every_op_witness();
    w.header.fee_account = 2;
    assert_rejected("fees are credited to the header's fee account", w);
}

#[test]
fn rule_priority_count_matches() {
    let mut w = every_op_witness();
    w.header.priority_count = 1;
    assert_rejected("the header counts the priority operations executed", w);
}

#[test]
fn random_valid_batches_satisfy_the_circuit_and_match_the_native_root() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let mut rng = StdRng::seed_from_u64(42);
    let mut s = genesis();
    let mut nonces = [0u32; 3];
    for number in 1..=2u64 {
        // Keep only what the native rules accept, as a sequencer would.
        let mut pending = s.clone();
        let mut ops = Vec::new();
        while ops.len() < PARAMS.slots {
            let from = rng.gen_range(1..3u32);
            let to = rng.gen_range(0..3u32);
            let amount = causeway_protocol::float::AMOUNT.round_down(rng.gen_range(0..10u128.pow(14)));
            let fee = causeway_protocol::float::FEE.round_down(rng.gen_range(0..10_000u128));
            let t = Operation::Transfer(Transfer::signed(
                &key(from as u8 + 1),
                &DOMAIN,
                from,
                to,
                amount,
                fee,
                nonces[from as usize],
            ));
            if pending.apply(&t).is_ok() {
                ops.push(t);
                nonces[from as usize] += 1;
            }
        }
        let t = s.apply_batch(number, 0, PARAMS.slots, 0, &ops).expect("valid batch");
        let w = BatchWitness::from_transition(&t);
        assert_eq!(w.header.new_root, s.root());
        assert!(satisfied(w), "random batch {number}");
    }
}

/// Re-proves a tampered witness as a cheating prover would: starts from the root of `before`,
/// replays every leaf update over a tree of `before`, taking each proof from that tree and writing the leaf hash `forged` gives
/// for (slot, update) — `usize::MAX` for the fee update — or else the update's own `after`.
fn reprove(w: &mut BatchWitness, before: &State, forged: impl Fn(usize, usize) -> Option<Fr>) {
    let mut tree = MerkleTree::new(PARAMS.depth, Account::EMPTY.leaf_hash()).expect("tree");
    for (i, a) in before.accounts() {
        tree.set(i, a.leaf_hash()).expect("set");
    }
    w.header.old_root = tree.root();
    let mut step = |u: &mut LeafUpdate, leaf: Option<Fr>| {
        u.proof = tree.proof(u.index).expect("proof");
        tree.set(u.index, leaf.unwrap_or_else(|| u.after.leaf_hash())).expect("set");
    };
    for (j, slot) in w.slots.iter_mut().enumerate() {
        for (k, u) in slot.updates.iter_mut().enumerate() {
            step(u, forged(j, k));
        }
    }
    step(&mut w.fee_update, forged(usize::MAX, 0));
    w.header.new_root = tree.root();
}

/// Poseidon leaf of `a` with a balance and nonce given as field elements.
fn leaf_with(a: &Account, balance: Fr, nonce: u64) -> Fr {
    poseidon(&[a.pubkey.x, a.pubkey.y, balance, Fr::from(nonce), address_to_field(&a.owner)])
}

/// A one-slot batch with a transfer from Alice (1, holding 10^18) to `to` of `amount` with `fee`,
/// proved by a cheating prover: Alice re-signs it, and the witness is re-proved with the leaves
/// the circuit's field arithmetic computes, so an overdraft or overflow meets only the 128-bit
/// range checks and a missing payee only the existence check.
fn forged_transfer(to: u32, bob: u128, operator: u128, amount: u128, fee: u128) -> BatchWitness {
    let mut s = genesis();
    for (i, balance) in [(2u32, bob), (0, operator)] {
        let a = s.account(i);
        s.insert(i, Account { balance, ..a }).expect("insert");
    }
    let before = s.clone();
    let t = Transfer::signed(&key(2), &DOMAIN, 1, 2, 0, 0, 0);
    let mut w = BatchWitness::from_transition(&s.apply_batch(1, 0, 1, 0, &[Operation::Transfer(t)]).expect("valid"));
    let t = Transfer::signed(&key(2), &DOMAIN, 1, to, amount, fee, 0);
    let bytes = causeway_protocol::PubdataOp::Transfer { from: 1, to, amount, fee }.encode().expect("encodable");
    w.pubdata[..CHUNK_BYTES].copy_from_slice(&bytes);
    w.slots[0].signature = Some(t.signature);
    let payee = before.account(to);
    w.slots[0].updates[1].index = to;
    w.slots[0].updates[1].before = payee;
    let balance = |i: u32| Fr::from(before.account(i).balance);
    reprove(&mut w, &before, |j, k| match (j, k) {
        (0, 0) => Some(leaf_with(&before.account(1), balance(1) - Fr::from(amount) - Fr::from(fee), 1)),
        (0, 1) => Some(leaf_with(&payee, balance(to) + Fr::from(amount), 0)),
        _ => Some(leaf_with(&before.account(0), balance(0) + Fr::from(fee), 0)),
    });
    w
}

#[test]
fn forged_transfers_within_the_rules_satisfy_the_circuit() {
    // The control for the range-check tests below: the forging itself is sound.
    assert!(satisfied(forged_transfer(2, 5, 5, 10u128.pow(17), 1_000)));
    assert!(satisfied(forged_transfer(2, u128::MAX - 10, u128::MAX - 500, 10, 500)));
}

#[test]
fn rule_no_overspend() {
    let w = forged_transfer(2, 5, 5, 10u128.pow(19), 1_000); // Alice holds 10^18
    assert_rejected("amount plus fee must not exceed the balance", w);
}

#[test]
fn rule_fee_counts_against_the_balance() {
    let w = forged_transfer(2, 5, 5, 10u128.pow(18), 1_000); // the amount alone would fit
    assert_rejected("the fee is paid from the balance too", w);
}

#[test]
fn rule_payee_balance_cannot_overflow() {
    let w = forged_transfer(2, u128::MAX - 10, 0, 1_000, 0);
    assert_rejected("the payee's balance stays below 2^128", w);
}

#[test]
fn rule_fee_credit_cannot_overflow_the_operator() {
    let w = forged_transfer(2, 0, u128::MAX - 500, 10, 1_000);
    assert_rejected("the operator's balance stays below 2^128 after fees", w);
}

#[test]
fn rule_payee_must_exist() {
    let w = forged_transfer(5, 5, 5, 1_000, 0); // account 5 is empty
    assert_rejected("a transfer pays an existing account", w);
}

#[test]
fn rule_deposit_key_is_a_curve_point() {
    // A deposit creating account 5 with key (1, 1), re-proved with the leaf that key gives.
    let before = genesis();
    let mut s = before.clone();
    let d = Deposit { account: 5, pubkey: key(6).public_key(), owner: [6; 20], amount: 50 };
    let t = s.apply_batch(1, 0, PARAMS.slots, 0, &[Operation::Deposit(d)]).expect("valid");
    let mut w = BatchWitness::from_transition(&t);
    let bad = Account { pubkey: causeway_protocol::Point { x: Fr::from(1u64), y: Fr::from(1u64) }, ..s.account(5) };
    w.pubdata[layout::DEPOSIT_PK_X..layout::DEPOSIT_PK_X + 32].copy_from_slice(&fr_to_be_bytes(&bad.pubkey.x));
    w.pubdata[layout::DEPOSIT_PK_Y..layout::DEPOSIT_PK_Y + 32].copy_from_slice(&fr_to_be_bytes(&bad.pubkey.y));
    w.slots[0].updates[1].before = bad;
    w.slots[0].updates[1].after = bad;
    w.slots[0].updates[0].after = bad;
    let mut control = BatchWitness::from_transition(&t);
    reprove(&mut control, &before, |_, _| None);
    assert!(satisfied(control), "re-proving an honest witness changes nothing");
    reprove(&mut w, &before, |_, _| None);
    assert_rejected("a deposit's key is a Baby Jubjub point", w);
}

#[test]
fn rule_nonce_stays_below_two_to_the_32() {
    let amount = 1_000;
    let mut s = genesis();
    let alice = s.account(1);
    s.insert(1, Account { nonce: u32::MAX - 1, ..alice }).expect("insert");
    let t = Transfer::signed(&key(2), &DOMAIN, 1, 2, amount, 0, u32::MAX - 1);
    let w = BatchWitness::from_transition(&s.apply_batch(1, 0, 1, 0, &[Operation::Transfer(t)]).expect("valid"));
    assert!(satisfied(w.clone()), "nonce 2^32 - 1 is the last one");

    // One more: natively a nonce overflow; the cheating prover writes nonce 2^32 into the leaf.
    let mut before = genesis();
    let alice = before.account(1);
    before.insert(1, Account { nonce: u32::MAX, ..alice }).expect("insert");
    assert_eq!(
        before.clone().apply(&Operation::Transfer(Transfer::signed(&key(2), &DOMAIN, 1, 2, amount, 0, u32::MAX))).err(),
        Some(causeway_protocol::ProtocolError::NonceOverflow)
    );
    let mut w = w;
    w.slots[0].updates[0].before = before.account(1);
    w.slots[0].signature = Some(Transfer::signed(&key(2), &DOMAIN, 1, 2, amount, 0, u32::MAX).signature);
    let alice = before.account(1);
    reprove(&mut w, &before, |j, k| {
        (j, k).eq(&(0, 0)).then(|| leaf_with(&alice, Fr::from(alice.balance - amount), u64::from(u32::MAX) + 1))
    });
    assert_rejected("the nonce stays below 2^32", w);
}

#[test]
fn witness_bytes_round_trip_and_still_satisfy() {
    let w = every_op_witness();
    let bytes = w.to_bytes();
    let back = BatchWitness::from_bytes(&bytes).expect("decodes");
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.commitment(), w.commitment());
    assert!(satisfied(back));
    assert!(BatchWitness::from_bytes(&bytes[..bytes.len() - 1]).is_none(), "truncated");
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(BatchWitness::from_bytes(&trailing).is_none(), "trailing bytes");
    let mut version = bytes;
    version[0] = 9;
    assert!(BatchWitness::from_bytes(&version).is_none(), "unknown version");
}
