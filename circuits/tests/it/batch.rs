//! The batch circuit: a valid batch is accepted, and for every rule a witness that breaks that
//! rule (everything else re-proved consistently: roots, paths, pubdata, commitment, as a
//! cheating prover would) is rejected **by that rule's named constraint**.
//!
//! Slots of the fixture batch: 0-6 deposit (account 3), 7 transfer 1→2, 8-10 withdraw from 2,
//! 11-13 full exit of 1, 14 transfer 3→2, 15-17 forced transfer 2→1, 18-20 forced withdrawal
//! from 2, 21-23 noops.

use super::{
    fixtures::{DOMAIN, PARAMS, every_op_witness, genesis, key},
    rules::{first_broken, first_broken_with},
};
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::ConstraintSynthesizer;
use causeway_circuits::{BatchCircuit, BatchWitness, CircuitParams, ConstraintF, SlotFlags, SlotKind};
use causeway_protocol::{
    Account, Deposit, Domain, Forced, Fr, FullExit, LeafUpdate, MerkleTree, Operation, Point, ProtocolError, PubdataOp,
    State, Transfer, Withdraw,
    account::address_to_field,
    field::fr_to_be_bytes,
    float::AMOUNT,
    poseidon::poseidon,
    pubdata::{CHUNK_BYTES, layout},
};

const TRANSFER_SLOT: usize = 7;
const WITHDRAW_SLOT: usize = 8;
const EXIT_SLOT: usize = 11;
const NOOP_SLOT: usize = 21;

/// The rule of the first unsatisfied constraint (`None`: the witness satisfies the circuit).
fn broken(w: BatchWitness) -> Option<String> {
    let params = CircuitParams { slots: w.slots.len(), ..PARAMS };
    first_broken(|cs| BatchCircuit { params, witness: Some(w) }.generate_constraints(cs).expect("synthesis"))
}

#[track_caller]
fn assert_breaks(rule: &str, w: BatchWitness) {
    assert_eq!(broken(w).as_deref(), Some(rule), "the witness should break exactly the rule {rule:?} first");
}

#[track_caller]
fn assert_holds(w: BatchWitness) {
    assert_eq!(broken(w), None, "an honest (or honestly re-proved) witness satisfies the circuit");
}

/// A native batch of `ops` over `before` in `slots` slots (fees to account 0).
fn native(before: &State, slots: usize, ops: &[Operation]) -> BatchWitness {
    BatchWitness::from_transition(&before.clone().apply_batch(1, 0, slots, 0, ops).expect("valid batch"))
}

/// Re-proves a tampered witness as a cheating prover would: starts from the root of `before`,
/// replays every leaf update over a tree of `before`, taking each proof from that tree and writing
/// the leaf hash `forged` gives for (slot, update) — `usize::MAX` for the fee update — or else the
/// update's own `after`.
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

/// A placeholder path that [`reprove`] replaces.
fn no_proof() -> causeway_protocol::MerkleProof {
    causeway_protocol::MerkleProof { siblings: Vec::new() }
}

/// An unchanged-leaf update of `index` holding `account`.
fn touch(index: u32, account: Account) -> LeafUpdate {
    LeafUpdate { index, before: account, after: account, proof: no_proof() }
}

/// Poseidon leaf of `a` with a balance and nonce given as field elements.
fn leaf_with(a: &Account, balance: Fr, nonce: u64) -> Fr {
    poseidon(&[a.pubkey.x, a.pubkey.y, balance, Fr::from(nonce), address_to_field(&a.owner), Fr::from(a.token)])
}

fn put(w: &mut BatchWitness, at: usize, bytes: &[u8]) {
    w.pubdata[at..at + bytes.len()].copy_from_slice(bytes);
}

// ------------------------------------------------------------------ valid batches

#[test]
fn a_valid_batch_with_every_operation_satisfies_the_circuit() {
    assert_holds(every_op_witness());
}

#[test]
fn random_valid_batches_satisfy_the_circuit_and_match_the_native_root() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let mut rng = StdRng::seed_from_u64(42);
    let mut s = genesis();
    let mut nonces = [0u32; 3];
    let slots = 6;
    for number in 1..=2u64 {
        // Keep only what the native rules accept, as a sequencer would.
        let mut pending = s.clone();
        let mut ops = Vec::new();
        while ops.len() < slots {
            let from = rng.gen_range(1..3u32);
            let to = rng.gen_range(0..3u32);
            let amount = AMOUNT.round_down(rng.gen_range(0..10u128.pow(14)));
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
        let t = s.apply_batch(number, 0, slots, 0, &ops).expect("valid batch");
        let w = BatchWitness::from_transition(&t);
        assert_eq!(w.header.new_root, s.root());
        assert_holds(w);
    }
}

#[test]
fn re_proving_an_honest_witness_changes_nothing() {
    // The control for every forged witness below: the forging itself is sound.
    let mut w = every_op_witness();
    reprove(&mut w, &genesis(), |_, _| None);
    assert_holds(w);
}

// ------------------------------------------------------------------ slot flags and chunks

#[test]
fn rule_one_hot_flags() {
    // A padding slot with no flag set: nothing else notices (its type byte is 0 and no
    // operation reads it), so without this rule its bytes would be free.
    let mut w = every_op_witness();
    w.slots[NOOP_SLOT].flags = SlotFlags::default();
    assert_breaks("one_hot_flags", w);
    // Two flags at once.
    let mut w = every_op_witness();
    w.slots[NOOP_SLOT].flags = SlotFlags { noop: true, transfer: true, ..SlotFlags::default() };
    assert_breaks("one_hot_flags", w);
}

#[test]
fn rule_continuation_flag() {
    // The last three (padding) slots claim to continue an operation that no slot started, and
    // carry the bytes of a withdrawal of 10^18 wei to 0x66…66 that the contract would pay out.
    let mut w = every_op_witness();
    let fake = PubdataOp::Withdraw { from: 1, to: [0x66; 20], token: 0, amount: 10u128.pow(18), fee: 0 }
        .encode()
        .expect("encode");
    put(&mut w, NOOP_SLOT * CHUNK_BYTES, &fake);
    w.slots[NOOP_SLOT].flags = SlotKind::Continuation.into();
    w.slots[NOOP_SLOT + 1].flags = SlotKind::Continuation.into();
    w.slots[NOOP_SLOT + 2].flags = SlotKind::Continuation.into();
    assert_breaks("continuation_flag", w);
}

#[test]
fn rule_type_byte() {
    // A transfer whose type byte says withdrawal (the contract would read a withdrawal).
    let mut w = every_op_witness();
    w.pubdata[TRANSFER_SLOT * CHUNK_BYTES] = 3;
    assert_breaks("type_byte", w);
}

#[test]
fn rule_chunks_complete() {
    // A withdrawal in the last slot: its second chunk (the rest of the address) is past the end
    // of the pubdata, which the contract refuses to read.
    let before = genesis();
    let mut w = native(&before, 2, &[]);
    let wd = Withdraw::signed(&key(2), &DOMAIN, 1, [0; 20], 1_000, 0, 0);
    let bytes = PubdataOp::Withdraw { from: 1, to: [0; 20], token: 0, amount: 1_000, fee: 0 }.encode().expect("encode");
    put(&mut w, CHUNK_BYTES, &bytes[..CHUNK_BYTES]);
    w.slots[1].flags = SlotKind::Withdraw.into();
    w.slots[1].signature = Some(wd.signature);
    let alice = before.account(1);
    w.slots[1].updates = [
        LeafUpdate {
            index: 1,
            before: alice,
            after: Account { balance: alice.balance - 1_000, nonce: 1, ..alice },
            proof: no_proof(),
        },
        touch(1, Account { balance: alice.balance - 1_000, nonce: 1, ..alice }),
    ];
    w.slots[0].updates = [touch(0, before.account(0)), touch(0, before.account(0))];
    w.fee_update = touch(0, before.account(0));
    reprove(&mut w, &before, |_, _| None);
    assert_breaks("chunks_complete", w);
}

// ------------------------------------------------------------------ padding

#[test]
fn rule_noop_padding() {
    let mut w = every_op_witness();
    w.pubdata[NOOP_SLOT * CHUNK_BYTES + 5] = 1;
    assert_breaks("noop_padding", w);
}

#[test]
fn rule_deposit_padding() {
    let mut w = every_op_witness();
    w.pubdata[layout::DEPOSIT_PK_Y + 32 + 2] = 1;
    assert_breaks("deposit_padding", w);
}

#[test]
fn rule_full_exit_padding() {
    let mut w = every_op_witness();
    w.pubdata[EXIT_SLOT * CHUNK_BYTES + layout::EXIT_AMOUNT + 16 + 3] = 1;
    assert_breaks("full_exit_padding", w);
}

// ------------------------------------------------------------------ indices bound to pubdata

#[test]
fn rule_account_index() {
    // Bob (2) signs and pays a transfer that the pubdata says Alice (1) made.
    let before = genesis();
    let mut w = native(&before, 1, &[Operation::Transfer(Transfer::signed(&key(3), &DOMAIN, 2, 1, 1_000, 0, 0))]);
    put(&mut w, layout::TRANSFER_FROM, &1u32.to_be_bytes());
    assert_breaks("account_index", w);
}

#[test]
fn rule_payee_index() {
    // A transfer 1→2, signed and recorded "to 2", that credits the operator's account 0.
    let before = genesis();
    let amount = 1_000;
    let mut w = native(&before, 1, &[Operation::Transfer(Transfer::signed(&key(2), &DOMAIN, 1, 2, amount, 0, 0))]);
    let operator = before.account(0);
    let credited = Account { balance: operator.balance + amount, ..operator };
    w.slots[0].updates[1] = LeafUpdate { index: 0, before: operator, after: credited, proof: no_proof() };
    w.fee_update = touch(0, credited);
    reprove(&mut w, &before, |_, _| None);
    assert_breaks("payee_index", w);
}

// ------------------------------------------------------------------ signed operations

#[test]
fn rule_payer_exists() {
    // A "transfer" of nothing from the empty leaf 5 to Bob, signed by some key. The signature
    // cannot hold for the empty leaf's key (0, 0) either, but this rule names it first.
    let before = genesis();
    let mut w = native(&before, 1, &[Operation::Transfer(Transfer::signed(&key(3), &DOMAIN, 2, 1, 0, 0, 0))]);
    let t = Transfer::signed(&key(9), &DOMAIN, 5, 2, 0, 0, 0);
    let bytes = PubdataOp::Transfer { from: 5, to: 2, amount: 0, fee: 0 }.encode().expect("encode");
    put(&mut w, 0, &bytes);
    w.slots[0].signature = Some(t.signature);
    let bob = before.account(2);
    w.slots[0].updates = [
        LeafUpdate {
            index: 5,
            before: Account::EMPTY,
            after: Account { nonce: 1, ..Account::EMPTY },
            proof: no_proof(),
        },
        touch(2, bob),
    ];
    reprove(&mut w, &before, |_, _| None);
    assert_breaks("payer_exists", w);
}

#[test]
fn rule_signature_by_the_payers_key() {
    let mut w = every_op_witness();
    let forged = Transfer::signed(&key(9), &DOMAIN, 1, 2, 25_000_000, 1_000, 0);
    w.slots[TRANSFER_SLOT].signature = forged.signature.into();
    assert_breaks("signature_equation_x", w);
}

#[test]
fn rule_signature_covers_the_operation() {
    let mut w = every_op_witness();
    let other = Transfer::signed(&key(2), &DOMAIN, 1, 2, 25_000_001, 1_000, 0);
    w.slots[TRANSFER_SLOT].signature = other.signature.into();
    assert_breaks("signature_equation_x", w);
}

#[test]
fn rule_signature_covers_the_deployment() {
    // Alice's transfer signed for another deployment (another Rollup on the same chain).
    let mut w = every_op_witness();
    let elsewhere = Domain::new(DOMAIN.chain_id, [0x77; 20]);
    let replayed = Transfer::signed(&key(2), &elsewhere, 1, 2, 25_000_000, 1_000, 0);
    w.slots[TRANSFER_SLOT].signature = replayed.signature.into();
    assert_breaks("signature_equation_x", w);
    // And the same batch for the other domain is valid there: only the domain differs.
    let t = |d: &Domain| Operation::Transfer(Transfer::signed(&key(2), d, 1, 2, 1_000, 0, 0));
    let here = native(&genesis(), 1, &[t(&DOMAIN)]);
    let mut there_state = State::new(PARAMS.depth, elsewhere).expect("state");
    for (i, a) in genesis().accounts() {
        there_state.insert(i, *a).expect("insert");
    }
    let there = native(&there_state, 1, &[t(&elsewhere)]);
    assert_eq!(here.header, there.header);
    assert_ne!(here.commitment(), there.commitment(), "the commitment names the deployment");
    assert_holds(there);
}

#[test]
fn rule_signature_required_for_withdrawals() {
    let mut w = every_op_witness();
    w.slots[WITHDRAW_SLOT].signature = None;
    assert_breaks("signature_equation_x", w);
}

#[test]
fn rule_nonce_is_the_accounts_next_replay_rejected() {
    // Batch 1 spends Alice's nonce 0; batch 2 replays that signature where her nonce is 1.
    let mut s = genesis();
    let t0 = Transfer::signed(&key(2), &DOMAIN, 1, 2, 1_000, 0, 0);
    s.apply_batch(1, 0, 1, 0, &[Operation::Transfer(t0)]).expect("batch 1");
    let t1 = Transfer::signed(&key(2), &DOMAIN, 1, 2, 1_000, 0, 1);
    let b2 = s.apply_batch(2, 0, 1, 0, &[Operation::Transfer(t1)]).expect("batch 2");
    let mut w = BatchWitness::from_transition(&b2);
    assert_holds(w.clone());
    w.slots[0].signature = Some(t0.signature);
    assert_breaks("signature_equation_x", w);
}

#[test]
fn rule_nonce_range() {
    let amount = 1_000;
    let mut s = genesis();
    let alice = s.account(1);
    s.insert(1, Account { nonce: u32::MAX - 1, ..alice }).expect("insert");
    let t = Transfer::signed(&key(2), &DOMAIN, 1, 2, amount, 0, u32::MAX - 1);
    let w = BatchWitness::from_transition(&s.apply_batch(1, 0, 1, 0, &[Operation::Transfer(t)]).expect("valid"));
    assert_holds(w.clone());

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
    assert_breaks("nonce_range", w);
}

// ------------------------------------------------------------------ balances

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
    let bytes = PubdataOp::Transfer { from: 1, to, amount, fee }.encode().expect("encodable");
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
    // The control for the range-check tests below.
    assert_holds(forged_transfer(2, 5, 5, 10u128.pow(17), 1_000));
    assert_holds(forged_transfer(2, u128::MAX - 10, u128::MAX - 500, 10, 500));
}

#[test]
fn rule_payer_balance_range() {
    // Overspending: Alice holds 10^18.
    assert_breaks("payer_balance_range", forged_transfer(2, 5, 5, 10u128.pow(19), 1_000));
    // The fee is paid from the balance too: the amount alone would fit.
    assert_breaks("payer_balance_range", forged_transfer(2, 5, 5, 10u128.pow(18), 1_000));
}

#[test]
fn rule_credit_balance_range() {
    // The payee's balance stays below 2^128.
    assert_breaks("credit_balance_range", forged_transfer(2, u128::MAX - 10, 0, 1_000, 0));
    // So does the operator's after the fees.
    assert_breaks("credit_balance_range", forged_transfer(2, 0, u128::MAX - 500, 10, 1_000));
}

#[test]
fn rule_payee_exists() {
    assert_breaks("payee_exists", forged_transfer(5, 5, 5, 1_000, 0)); // account 5 is empty
}

// ------------------------------------------------------------------ Merkle paths and roots

#[test]
fn rule_old_leaf_in_root() {
    // A sibling of the payer's path changed.
    let mut w = every_op_witness();
    w.slots[TRANSFER_SLOT].updates[0].proof.siblings[0][1] += ConstraintF::from(1u64);
    assert_breaks("old_leaf_in_root", w);
    // The payer's old account is not the one in the tree.
    let mut w = every_op_witness();
    w.slots[TRANSFER_SLOT].updates[0].before.balance += 10u128.pow(20);
    assert_breaks("old_leaf_in_root", w);
    // The batch does not start from the header's old root.
    let mut w = every_op_witness();
    w.header.old_root += ConstraintF::from(1u64);
    assert_breaks("old_leaf_in_root", w);
    // Fees credited to another account than the header's: its path is for account 0.
    let mut w = every_op_witness();
    w.header.fee_account = 2;
    assert_breaks("old_leaf_in_root", w);
}

#[test]
fn rule_commitment() {
    // A header claiming a root where a Noop credited Bob: the hashed root is the computed one.
    let mut w = every_op_witness();
    let (mut s, _) = super::fixtures::every_op_batch();
    let bob = s.account(2);
    s.insert(2, Account { balance: bob.balance + 1, ..bob }).expect("insert");
    w.header.new_root = s.root();
    assert_breaks("commitment", w);
    // Any other public input than SHA-256(header ‖ domain ‖ pubdata).
    let w = every_op_witness();
    let params = CircuitParams { slots: w.slots.len(), ..PARAMS };
    let rule = first_broken_with(
        |cs| BatchCircuit { params, witness: Some(w) }.generate_constraints(cs).expect("synthesis"),
        |cs| {
            let mut inner = cs.borrow_mut().expect("a constraint system");
            inner.assignments.instance_assignment[1] += ConstraintF::from(1u64);
        },
    );
    assert_eq!(rule.as_deref(), Some("commitment"));
}

// ------------------------------------------------------------------ deposits

/// A deposit of `amount` into Alice's account 1 naming `pubkey` and `owner`, re-proved with the
/// leaf the circuit writes (the key and owner the pubdata names).
fn forged_deposit_into_alice(pubkey: Point, owner: [u8; 20]) -> BatchWitness {
    let before = genesis();
    let alice = before.account(1);
    let amount = 500;
    let honest = Deposit { account: 1, pubkey: alice.pubkey, owner: alice.owner, token: 0, amount };
    let mut w = native(&before, 7, &[Operation::Deposit(honest)]);
    let bytes =
        PubdataOp::of(&Operation::Deposit(Deposit { pubkey, owner, ..honest }), 0, 0, false).encode().expect("encode");
    put(&mut w, 0, &bytes);
    let after = Account { pubkey, owner, balance: alice.balance + amount, ..alice };
    w.slots[0].updates = [LeafUpdate { index: 1, before: alice, after, proof: no_proof() }, touch(1, after)];
    reprove(&mut w, &before, |_, _| None);
    w
}

#[test]
fn rule_deposit_into_a_taken_leaf_keeps_its_key_and_owner() {
    let alice = genesis().account(1);
    assert_holds(forged_deposit_into_alice(alice.pubkey, alice.owner));
    // (−x, y) and (x, −y) are curve points outside the small-order subgroup.
    let neg_x = Point { x: -alice.pubkey.x, y: alice.pubkey.y };
    let neg_y = Point { x: alice.pubkey.x, y: -alice.pubkey.y };
    assert!(neg_x.is_valid_key() && neg_y.is_valid_key());
    assert_breaks("deposit_same_key_x", forged_deposit_into_alice(neg_x, alice.owner));
    assert_breaks("deposit_same_key_y", forged_deposit_into_alice(neg_y, alice.owner));
    assert_breaks("deposit_same_owner", forged_deposit_into_alice(alice.pubkey, [0x99; 20]));
}

/// The fixture's deposit (account 3, a new leaf) with its pubdata key replaced by `pubkey`'s
/// coordinates written as the given 32-byte big-endian integers, re-proved with the leaf the
/// circuit writes (the coordinates reduced modulo the field).
fn forged_new_account_deposit(x: [u8; 32], y: [u8; 32], pubkey: Point) -> BatchWitness {
    let before = genesis();
    let mut w = every_op_witness();
    put(&mut w, layout::DEPOSIT_PK_X, &x);
    put(&mut w, layout::DEPOSIT_PK_Y, &y);
    let created = Account { pubkey, ..w.slots[0].updates[0].after };
    w.slots[0].updates[0].after = created;
    w.slots[0].updates[1] = touch(3, created);
    // Account 3 pays a transfer later in the batch: its key is now `pubkey`, so that slot's
    // leaves follow (the signature check there is the transfer's business, not the deposit's).
    for slot in &mut w.slots[13..14] {
        for u in &mut slot.updates {
            if u.index == 3 {
                u.before.pubkey = pubkey;
                u.after.pubkey = pubkey;
            }
        }
    }
    reprove(&mut w, &before, |_, _| None);
    w
}

fn be(x: &Fr) -> [u8; 32] {
    fr_to_be_bytes(x)
}

/// `x + p` as 32 big-endian bytes (below 2^256 for any field element).
fn plus_modulus(x: &Fr) -> [u8; 32] {
    let sum = num_bigint::BigUint::from(x.into_bigint()) + num_bigint::BigUint::from(Fr::MODULUS);
    let bytes = sum.to_bytes_be();
    let mut out = [0u8; 32];
    out[32 - bytes.len()..].copy_from_slice(&bytes);
    out
}

#[test]
fn rule_deposit_key_canonical() {
    let pk = key(4).public_key();
    assert_holds(forged_new_account_deposit(be(&pk.x), be(&pk.y), pk));
    assert!(Fr::MODULUS.to_bytes_be().len() == 32);
    assert_breaks("deposit_key_x_canonical", forged_new_account_deposit(plus_modulus(&pk.x), be(&pk.y), pk));
    assert_breaks("deposit_key_y_canonical", forged_new_account_deposit(be(&pk.x), plus_modulus(&pk.y), pk));
}

/// A deposit creating account 5 with `pubkey`, re-proved with the leaf that key gives.
fn deposit_creating_5(pubkey: Point) -> BatchWitness {
    let before = genesis();
    let d = Deposit { account: 5, pubkey: key(6).public_key(), owner: [6; 20], token: 0, amount: 50 };
    let mut w = native(&before, 7, &[Operation::Deposit(d)]);
    put(&mut w, layout::DEPOSIT_PK_X, &be(&pubkey.x));
    put(&mut w, layout::DEPOSIT_PK_Y, &be(&pubkey.y));
    let created = Account { pubkey, ..w.slots[0].updates[0].after };
    w.slots[0].updates[0].after = created;
    w.slots[0].updates[1] = touch(5, created);
    reprove(&mut w, &before, |_, _| None);
    w
}

#[test]
fn rule_deposit_key_on_curve() {
    assert_holds(deposit_creating_5(key(6).public_key()));
    assert_breaks("deposit_key_on_curve", deposit_creating_5(Point { x: Fr::from(1u64), y: Fr::from(1u64) }));
}

#[test]
fn rule_deposit_key_not_of_small_order() {
    // Every point of the 8-torsion is on the curve and canonical: only this rule stops it (for
    // such a key one signature verifies for every message).
    for p in Point::small_order_points() {
        assert!(p.is_on_curve() && p.is_small_order());
        assert_eq!(
            State::new(PARAMS.depth, DOMAIN)
                .expect("state")
                .apply(&Operation::Deposit(Deposit { account: 5, pubkey: p, owner: [6; 20], token: 0, amount: 1 }))
                .err(),
            Some(causeway_protocol::ProtocolError::InvalidPublicKey),
            "natively refused: {p:?}"
        );
        assert_breaks("deposit_key_not_small_order", deposit_creating_5(p));
    }
}

// ------------------------------------------------------------------ full exits

/// The fixture's full exit of Alice with its pubdata owner and amount replaced, re-proved with
/// the balance the circuit computes (the old balance less the amount paid out).
fn forged_exit(owner: [u8; 20], amount: u128) -> BatchWitness {
    let mut w = every_op_witness();
    let at = EXIT_SLOT * CHUNK_BYTES;
    put(&mut w, at + layout::EXIT_OWNER, &owner);
    put(&mut w, at + layout::EXIT_AMOUNT, &amount.to_be_bytes());
    let u = &mut w.slots[EXIT_SLOT].updates;
    let after = Account { balance: u[0].before.balance - amount, ..u[0].before };
    u[0].after = after;
    u[1] = touch(1, after);
    reprove(&mut w, &genesis(), |_, _| None);
    w
}

#[test]
fn rule_full_exit_amount() {
    let w = every_op_witness();
    let (owner, balance) = {
        let u = &w.slots[EXIT_SLOT].updates[0];
        (u.before.owner, u.before.balance)
    };
    assert_holds(forged_exit(owner, balance));
    // Less than the whole balance.
    assert_breaks("full_exit_amount", forged_exit(owner, balance - 1));
    // To someone who does not own the account (whose request must pay nothing).
    assert_breaks("full_exit_amount", forged_exit([9; 20], balance));
    // A request by a stranger pays nothing: honoured as such.
    let mut s = genesis();
    let t = s
        .apply_batch(1, 0, 3, 0, &[Operation::FullExit(FullExit { account: 1, owner: [9; 20], token: 0 })])
        .expect("batch");
    assert_holds(BatchWitness::from_transition(&t));
}

// ------------------------------------------------------------------ forced requests

/// Bob's (account 2's) base-chain address: the owner a forced request must name.
const BOB: [u8; 20] = [3; 20];

/// A 3-slot batch executing one forced request from Bob's account over the genesis.
fn forced(owner: [u8; 20], to: Option<u32>, amount: u128) -> BatchWitness {
    native(&genesis(), 3, &[Operation::Forced(Forced { account: 2, owner, to, token: 0, amount })])
}

/// Bob's forced request whose pubdata records `executed` and whose leaf updates are
/// `a` (Bob's balance after, as a field element) and `b` (index, before, balance after),
/// re-proved as a cheating prover would.
fn forge_forced(w: BatchWitness, executed: u8, a: Fr, b: Option<(u32, Account, Fr)>) -> BatchWitness {
    forge_forced_over(&genesis(), w, executed, a, b)
}

/// [`forge_forced`] over the state `before` instead of the genesis.
fn forge_forced_over(
    before: &State,
    mut w: BatchWitness,
    executed: u8,
    a: Fr,
    b: Option<(u32, Account, Fr)>,
) -> BatchWitness {
    w.pubdata[layout::FORCED_EXECUTED] = executed;
    let bob = before.account(2);
    let b = b.map(|(index, account, balance)| {
        w.slots[0].updates[1] = touch(index, account);
        (account, balance)
    });
    reprove(&mut w, before, |j, k| match (j, k) {
        (0, 0) => Some(leaf_with(&bob, a, 0)),
        (0, 1) => b.map(|(account, balance)| leaf_with(&account, balance, account.nonce.into())),
        _ => None,
    });
    w
}

#[test]
fn forced_requests_execute_or_are_recorded_no_ops_and_satisfy_the_circuit() {
    let bob = genesis().account(2).balance;
    // (case, requester, payee, amount, executed)
    type Case = (&'static str, [u8; 20], Option<u32>, u128, bool);
    let cases: [Case; 8] = [
        ("transfer by the owner", BOB, Some(1), 1_000, true),
        ("withdrawal by the owner", BOB, None, 1_000, true),
        ("the whole balance", BOB, Some(1), bob, true),
        ("to the payer itself", BOB, Some(2), 1_000, true),
        ("one wei more than the balance", BOB, Some(1), bob + 1, false),
        ("withdrawal beyond the balance", BOB, None, u128::MAX, false),
        ("by a stranger", [9; 20], Some(1), 1_000, false),
        ("to an empty account", BOB, Some(5), 1_000, false),
    ];
    for (case, owner, to, amount, executed) in cases {
        let w = forced(owner, to, amount);
        assert_eq!(w.pubdata[layout::FORCED_EXECUTED], u8::from(executed), "{case}");
        let moved = if executed { amount } else { 0 };
        let payer = &w.slots[0].updates[0];
        assert_eq!(payer.after.balance, bob - moved, "{case}");
        assert_eq!(payer.after.nonce, 0, "{case}: a forced request leaves the nonce alone");
        assert_eq!(broken(w), None, "{case}");
    }
}

#[test]
fn rule_forced_executed() {
    let bob = genesis().account(2);
    let alice = genesis().account(1);
    let amount = 1_000;
    let moved = |w: BatchWitness| {
        forge_forced(
            w,
            1,
            Fr::from(bob.balance) - Fr::from(amount),
            Some((1, alice, Fr::from(alice.balance) + Fr::from(amount))),
        )
    };
    let unchanged = |w: BatchWitness, index: u32, account: Account| {
        forge_forced(w, 0, Fr::from(bob.balance), Some((index, account, Fr::from(account.balance))))
    };
    // Controls: the forging reproduces the honest witnesses.
    assert_holds(moved(forced(BOB, Some(1), amount)));
    assert_holds(unchanged(forced([9; 20], Some(1), amount), 1, alice));
    // The owner's covered request skipped: recorded as a no-op, nothing moved.
    assert_breaks("forced_executed", unchanged(forced(BOB, Some(1), amount), 1, alice));
    // A stranger's request carried out: Bob's money moved on someone else's word.
    assert_breaks("forced_executed", moved(forced([9; 20], Some(1), amount)));
    // A request to an empty payee carried out (value credited to a leaf no key controls).
    let empty = forge_forced(
        forced(BOB, Some(5), amount),
        1,
        Fr::from(bob.balance) - Fr::from(amount),
        Some((5, Account::EMPTY, Fr::from(amount))),
    );
    assert_breaks("forced_executed", empty);
    // The owner's withdrawal skipped by pointing its unused second update at an empty leaf:
    // only a transfer's payee may be missing.
    let skipped =
        forge_forced(forced(BOB, None, amount), 0, Fr::from(bob.balance), Some((5, Account::EMPTY, Fr::from(0u64))));
    assert_breaks("forced_executed", skipped);
    // The executed byte is 0 or 1, nothing else.
    let mut w = forced(BOB, Some(1), amount);
    w.pubdata[layout::FORCED_EXECUTED] = 3;
    assert_breaks("forced_executed", w);
}

#[test]
fn rule_forced_covers() {
    use causeway_circuits::tamper;
    let bob = genesis().account(2);
    let alice = genesis().account(1);
    let amount = 1_000;
    // The prover claims the balance does not cover a covered request, and records a no-op.
    let skipped =
        forge_forced(forced(BOB, Some(1), amount), 0, Fr::from(bob.balance), Some((1, alice, Fr::from(alice.balance))));
    tamper::forced_covers(0);
    let rule = broken(skipped);
    tamper::disarm();
    assert_eq!(rule.as_deref(), Some("forced_covers"));
    // And the other way: an uncovered request carried out, overdrawing the payer.
    let over = bob.balance + 1;
    let overdrawn = forge_forced(
        forced(BOB, Some(1), over),
        1,
        Fr::from(bob.balance) - Fr::from(over),
        Some((1, alice, Fr::from(alice.balance) + Fr::from(over))),
    );
    tamper::forced_covers(0);
    let rule = broken(overdrawn);
    tamper::disarm();
    assert_eq!(rule.as_deref(), Some("forced_covers"));
}

#[test]
fn rule_forced_payee_index() {
    // Bob's forced transfer to Alice credits the operator's account 0 instead.
    let before = genesis();
    let amount = 1_000;
    let mut w = forced(BOB, Some(1), amount);
    let operator = before.account(0);
    let credited = Account { balance: operator.balance + amount, ..operator };
    w.slots[0].updates[1] = LeafUpdate { index: 0, before: operator, after: credited, proof: no_proof() };
    w.fee_update = touch(0, credited);
    reprove(&mut w, &before, |_, _| None);
    assert_breaks("forced_payee_index", w);
}

#[test]
fn rule_forced_withdraw_to() {
    // A forced withdrawal names no payee: its `to` bytes are zero.
    let mut w = forced(BOB, None, 1_000);
    put(&mut w, layout::FORCED_TO, &1u32.to_be_bytes());
    assert_breaks("forced_withdraw_to", w);
}

#[test]
fn rule_account_index_binds_forced_requests() {
    // Bob's account pays a forced withdrawal the pubdata says Alice's account made.
    let mut w = forced(BOB, None, 1_000);
    put(&mut w, layout::FORCED_ACCOUNT, &1u32.to_be_bytes());
    assert_breaks("account_index", w);
}

// ------------------------------------------------------------------ tokens

/// `s` with account `index` holding `token` instead of ether.
fn with_token(mut s: State, index: u32, token: u16) -> State {
    let a = s.account(index);
    s.insert(index, Account { token, ..a }).expect("insert");
    s
}

#[test]
fn rule_deposit_same_token() {
    // A deposit the pubdata says is of token 1, credited to Alice's ether account (the
    // contract would not queue it, knowing her account's token; the circuit must not rely on
    // that), with the cheating prover writing token 1 into her leaf.
    let before = genesis();
    let alice = before.account(1);
    let amount = 500;
    let honest = Deposit { account: 1, pubkey: alice.pubkey, owner: alice.owner, token: 0, amount };
    let mut w = native(&before, 7, &[Operation::Deposit(honest)]);
    put(&mut w, layout::DEPOSIT_TOKEN, &1u16.to_be_bytes());
    let after = Account { balance: alice.balance + amount, token: 1, ..alice };
    w.slots[0].updates[0].after = after;
    w.slots[0].updates[1] = touch(1, after);
    reprove(&mut w, &before, |_, _| None);
    assert_breaks("deposit_same_token", w);
    // Natively refused too.
    let other = Deposit { token: 1, ..honest };
    assert_eq!(before.clone().apply(&Operation::Deposit(other)).err(), Some(ProtocolError::AccountTaken(1)));
    // Control: a new account's first deposit gives it the deposit's token.
    let d = Deposit { account: 5, pubkey: key(6).public_key(), owner: [6; 20], token: 7, amount: 50 };
    let w = native(&before, 7, &[Operation::Deposit(d)]);
    assert_eq!(w.slots[0].updates[0].after.token, 7);
    assert_eq!(&w.pubdata[layout::DEPOSIT_TOKEN..layout::DEPOSIT_TOKEN + 2], &7u16.to_be_bytes());
    assert_holds(w);
}

#[test]
fn rule_transfer_same_token() {
    // Alice's ether paid into Bob's token-1 account: natively refused...
    let amount = 1_000;
    let t = Transfer::signed(&key(2), &DOMAIN, 1, 2, amount, 0, 0);
    let before = with_token(genesis(), 2, 1);
    assert!(matches!(
        before.clone().apply(&Operation::Transfer(t)),
        Err(ProtocolError::TokenMismatch { from: 1, from_token: 0, to: 2, to_token: 1 })
    ));
    // ...and by the circuit, when a cheating prover credits him anyway.
    let mut w = native(&genesis(), 1, &[Operation::Transfer(t)]);
    let bob = before.account(2);
    let credited = Account { balance: bob.balance + amount, ..bob };
    w.slots[0].updates[1] = LeafUpdate { index: 2, before: bob, after: credited, proof: no_proof() };
    reprove(&mut w, &before, |_, _| None);
    assert_breaks("transfer_same_token", w);
    // Control: between two token-1 accounts it holds.
    let both = with_token(before, 1, 1);
    assert_holds(native(&both, 1, &[Operation::Transfer(t)]));
}

#[test]
fn rule_withdraw_token() {
    // Bob's ether withdrawal recorded as one of token 1: the contract would pay out token 1.
    let mut w = every_op_witness();
    put(&mut w, WITHDRAW_SLOT * CHUNK_BYTES + layout::WITHDRAW_TOKEN, &1u16.to_be_bytes());
    assert_breaks("withdraw_token", w);
    // Control: a token-1 account's withdrawal names token 1.
    let before = with_token(genesis(), 1, 1);
    let wd = Withdraw::signed(&key(2), &DOMAIN, 1, [0xee; 20], 5_000, 0, 0);
    let w = native(&before, 3, &[Operation::Withdraw(wd)]);
    assert_eq!(&w.pubdata[layout::WITHDRAW_TOKEN..layout::WITHDRAW_TOKEN + 2], &1u16.to_be_bytes());
    assert_holds(w);
}

#[test]
fn rule_withdraw_padding() {
    let mut w = every_op_witness();
    w.pubdata[WITHDRAW_SLOT * CHUNK_BYTES + layout::WITHDRAW_TOKEN + 2 + 5] = 1;
    assert_breaks("withdraw_padding", w);
}

#[test]
fn rule_fee_token() {
    // Alice and Bob hold token 1; Alice pays Bob with a fee that the batch's fee account
    // (account 0, which holds ether) would receive as ether.
    let (amount, fee) = (5_000, 1_000);
    let before = with_token(with_token(genesis(), 1, 1), 2, 1);
    let t = Transfer::signed(&key(2), &DOMAIN, 1, 2, amount, fee, 0);
    assert_eq!(
        before.clone().apply_batch(1, 0, 1, 0, &[Operation::Transfer(t)]).err(),
        Some(ProtocolError::FeeToken { token: 1, fee_token: 0 })
    );
    // Without a fee it holds.
    let free = Transfer::signed(&key(2), &DOMAIN, 1, 2, amount, 0, 0);
    assert_holds(native(&before, 1, &[Operation::Transfer(free)]));
    // The cheating prover: the ether transfer's witness over the token-1 leaves.
    let mut w = native(&genesis(), 1, &[Operation::Transfer(t)]);
    for u in &mut w.slots[0].updates {
        u.before.token = 1;
        u.after.token = 1;
    }
    reprove(&mut w, &before, |_, _| None);
    assert_breaks("fee_token", w);
}

#[test]
fn full_exits_and_forced_requests_for_another_token_are_recorded_no_ops() {
    // A full exit naming token 1 of Alice's ether account pays nothing.
    let t = genesis()
        .apply_batch(1, 0, 3, 0, &[Operation::FullExit(FullExit { account: 1, owner: [2; 20], token: 1 })])
        .expect("batch");
    assert_eq!(t.ops[0].pubdata, PubdataOp::FullExit { account: 1, owner: [2; 20], token: 1, amount: 0 });
    assert_holds(BatchWitness::from_transition(&t));
    // Forced requests naming another token than the payer's, or a payee of another token.
    let bob = genesis().account(2).balance;
    let cases: [(&str, State, u16); 3] = [
        ("a request for token 1 from an ether account", genesis(), 1),
        ("a transfer to an account of token 1", with_token(genesis(), 1, 1), 0),
        ("a transfer of token 1 from a token-1 account to an ether one", with_token(genesis(), 2, 1), 1),
    ];
    for (case, before, token) in cases {
        let op = Operation::Forced(Forced { account: 2, owner: BOB, to: Some(1), token, amount: 1_000 });
        let w = native(&before, 3, &[op]);
        assert_eq!(w.pubdata[layout::FORCED_EXECUTED], 0, "{case}");
        assert_eq!(w.slots[0].updates[0].after.balance, bob, "{case}");
        assert_holds(w);
    }
}

#[test]
fn rule_full_exit_amount_binds_the_token() {
    // Alice's whole ether balance paid out on a request for token 1 (the contract would pay
    // that much of token 1).
    let w = every_op_witness();
    let (owner, balance) = {
        let u = &w.slots[EXIT_SLOT].updates[0];
        (u.before.owner, u.before.balance)
    };
    let mut w = forged_exit(owner, balance);
    put(&mut w, EXIT_SLOT * CHUNK_BYTES + layout::EXIT_TOKEN, &1u16.to_be_bytes());
    assert_breaks("full_exit_amount", w);
}

#[test]
fn rule_forced_executed_binds_the_tokens() {
    let bob = genesis().account(2);
    let amount = 1_000;
    let moved = |before: &State, w: BatchWitness| {
        let payee = before.account(1);
        forge_forced_over(
            before,
            w,
            1,
            Fr::from(bob.balance) - Fr::from(amount),
            Some((1, payee, Fr::from(payee.balance) + Fr::from(amount))),
        )
    };
    let forced_token = |before: &State, token: u16| {
        native(before, 3, &[Operation::Forced(Forced { account: 2, owner: BOB, to: Some(1), token, amount })])
    };
    // Control: the honest request, forged, holds.
    assert_holds(moved(&genesis(), forced_token(&genesis(), 0)));
    // Carried out on a request for token 1 from Bob's ether account.
    assert_breaks("forced_executed", moved(&genesis(), forced_token(&genesis(), 1)));
    // Carried out into Alice's token-1 account.
    let alice_token = with_token(genesis(), 1, 1);
    assert_breaks("forced_executed", moved(&alice_token, forced_token(&alice_token, 0)));
}

// ------------------------------------------------------------------ header

#[test]
fn rule_priority_count() {
    let mut w = every_op_witness();
    w.header.priority_count = 1;
    assert_breaks("priority_count", w);
}

#[test]
fn rule_fee_account_in_tree() {
    // Index 16 of a depth-4 tree: its low bits name account 0, whose path the fee update uses.
    let mut w = every_op_witness();
    w.header.fee_account = 1 << PARAMS.depth;
    assert_breaks("fee_account_in_tree", w);
}

#[test]
fn rule_fee_account_exists() {
    // The fees credited to the empty leaf 5 (creating an account no key controls).
    let before = genesis();
    let fee = 1_000;
    let mut s = before.clone();
    let t = s
        .apply_batch(1, 0, 1, 0, &[Operation::Transfer(Transfer::signed(&key(2), &DOMAIN, 1, 2, 10, fee, 0))])
        .expect("batch");
    let mut w = BatchWitness::from_transition(&t);
    w.header.fee_account = 5;
    w.fee_update = LeafUpdate {
        index: 5,
        before: Account::EMPTY,
        after: Account { balance: fee, ..Account::EMPTY },
        proof: no_proof(),
    };
    reprove(&mut w, &before, |_, _| None);
    assert_breaks("fee_account_exists", w);
}

// ------------------------------------------------------------------ encoding

#[test]
fn witness_bytes_round_trip_and_still_satisfy() {
    let w = every_op_witness();
    let bytes = w.to_bytes();
    let back = BatchWitness::from_bytes(&bytes).expect("decodes");
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.commitment(), w.commitment());
    assert_eq!(back.domain, DOMAIN);
    assert_holds(back);
    assert!(BatchWitness::from_bytes(&bytes[..bytes.len() - 1]).is_none(), "truncated");
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(BatchWitness::from_bytes(&trailing).is_none(), "trailing bytes");
    let mut version = bytes;
    version[0] = 9;
    assert!(BatchWitness::from_bytes(&version).is_none(), "unknown version");
}

#[test]
fn the_commitment_binds_the_domain() {
    let w = every_op_witness();
    let mut other = w.clone();
    other.domain = Domain::new(DOMAIN.chain_id + 1, DOMAIN.rollup);
    assert_ne!(w.commitment(), other.commitment());
}
