//! The native state transition: every rule, and nothing half-applied.

use super::DOMAIN;
use causeway_protocol::{
    Account, Deposit, FullExit, Operation, PrivateKey, ProtocolError, PubdataOp, State, Transfer, Withdraw,
    pubdata::decode,
};

const DEPTH: u32 = 4;

fn key(i: u8) -> PrivateKey {
    PrivateKey([i; 32])
}

/// Accounts 0 (operator), 1 and 2 with balances; account 3.. empty.
fn genesis() -> State {
    let mut s = State::new(DEPTH, DOMAIN).expect("state");
    for (i, balance) in [(0u32, 0u128), (1, 1_000_000), (2, 500)] {
        let account =
            Account { pubkey: key(i as u8 + 1).public_key(), balance, nonce: 0, owner: [i as u8 + 1; 20], token: 0 };
        s.insert(i, account).expect("insert");
    }
    s
}

fn transfer(from: u32, to: u32, amount: u128, fee: u128, nonce: u32) -> Operation {
    Operation::Transfer(Transfer::signed(&key(from as u8 + 1), &DOMAIN, from, to, amount, fee, nonce))
}

fn assert_refused(s: &mut State, op: Operation, expected: ProtocolError) {
    let root = s.root();
    assert_eq!(s.apply(&op), Err(expected));
    assert_eq!(s.root(), root, "a refused operation changes nothing");
}

#[test]
fn transfer_moves_value_and_bumps_nonce() {
    let mut s = genesis();
    let root_before = s.root();
    let applied = s.apply(&transfer(1, 2, 1000, 10, 0)).expect("valid transfer");
    assert_eq!(s.account(1).balance, 1_000_000 - 1010);
    assert_eq!(s.account(1).nonce, 1);
    assert_eq!(s.account(2).balance, 1500);
    assert_eq!(applied.fee, 10);
    let [first, second] = applied.updates.as_slice() else { panic!("a transfer changes two leaves") };
    assert_ne!(first.before.leaf_hash(), first.after.leaf_hash());
    // Each update's proof is against the root just before it, and with the new leaf gives the next.
    assert_eq!(first.proof.root(first.index, first.before.leaf_hash()), root_before);
    let middle = first.proof.root(first.index, first.after.leaf_hash());
    assert_eq!(second.proof.root(second.index, second.before.leaf_hash()), middle);
    assert_eq!(second.proof.root(second.index, second.after.leaf_hash()), s.root());
}

#[test]
fn transfer_rules_are_enforced() {
    let mut s = genesis();
    let mut forged = Transfer::signed(&key(9), &DOMAIN, 1, 2, 10, 0, 0);
    assert_refused(&mut s, Operation::Transfer(forged), ProtocolError::BadSignature);
    forged = Transfer::signed(&key(2), &DOMAIN, 1, 2, 10, 0, 0);
    forged.amount = 11; // signature over other fields
    assert_refused(&mut s, Operation::Transfer(forged), ProtocolError::BadSignature);
    assert_refused(&mut s, transfer(1, 2, 10, 0, 1), ProtocolError::WrongNonce { expected: 0, got: 1 });
    assert_refused(&mut s, transfer(2, 1, 500, 1, 0), ProtocolError::InsufficientBalance { balance: 500, needed: 501 });
    assert_refused(&mut s, transfer(1, 5, 10, 0, 0), ProtocolError::UnknownAccount(5));
    assert_refused(&mut s, transfer(1, 16, 10, 0, 0), ProtocolError::IndexOutOfRange { index: 16, capacity: 16 });
    let odd = (1u128 << 35) + 1;
    assert_refused(&mut s, transfer(1, 2, odd, 0, 0), ProtocolError::AmountNotRepresentable(odd));
    assert_refused(&mut s, transfer(1, 2, 1, 2049, 0), ProtocolError::FeeNotRepresentable(2049));
    // Replay: the same signed transfer twice.
    let t = transfer(1, 2, 10, 0, 0);
    s.apply(&t).expect("first time");
    assert_refused(&mut s, t, ProtocolError::WrongNonce { expected: 1, got: 0 });
}

#[test]
fn balance_overflow_is_refused() {
    let mut s = genesis();
    let big = Account { pubkey: key(9).public_key(), balance: u128::MAX, nonce: 0, owner: [9; 20], token: 0 };
    s.insert(4, big).expect("insert");
    assert_refused(&mut s, transfer(1, 4, 10, 0, 0), ProtocolError::BalanceOverflow);
}

#[test]
fn self_transfer_only_costs_the_fee() {
    let mut s = genesis();
    s.apply(&transfer(1, 1, 1000, 5, 0)).expect("self transfer");
    assert_eq!(s.account(1).balance, 1_000_000 - 5);
    assert_eq!(s.account(1).nonce, 1);
}

#[test]
fn withdraw_debits_and_records_the_address() {
    let mut s = genesis();
    let w = Withdraw::signed(&key(2), &DOMAIN, 1, [0xee; 20], 400_000, 100, 0);
    let applied = s.apply(&Operation::Withdraw(w)).expect("withdraw");
    assert_eq!(s.account(1).balance, 1_000_000 - 400_100);
    assert_eq!(applied.pubdata, PubdataOp::Withdraw { from: 1, to: [0xee; 20], token: 0, amount: 400_000, fee: 100 });
    let w = Withdraw::signed(&key(2), &DOMAIN, 1, [0xee; 20], 1, 0, 0);
    assert_refused(&mut s, Operation::Withdraw(w), ProtocolError::WrongNonce { expected: 1, got: 0 });
}

#[test]
fn deposit_creates_or_credits_and_refuses_a_taken_slot() {
    let mut s = genesis();
    let pk = key(7).public_key();
    let d = Deposit { account: 5, pubkey: pk, owner: [7; 20], token: 0, amount: 99 };
    s.apply(&Operation::Deposit(d)).expect("create");
    s.apply(&Operation::Deposit(d)).expect("credit");
    assert_eq!(s.account(5), Account { pubkey: pk, balance: 198, nonce: 0, owner: [7; 20], token: 0 });
    let other = Deposit { pubkey: key(8).public_key(), ..d };
    assert_refused(&mut s, Operation::Deposit(other), ProtocolError::AccountTaken(5));
    let bad_key = Deposit { account: 6, pubkey: causeway_protocol::Point { x: 1u64.into(), y: 1u64.into() }, ..d };
    assert_refused(&mut s, Operation::Deposit(bad_key), ProtocolError::InvalidPublicKey);
}

#[test]
fn full_exit_pays_only_the_owner() {
    let mut s = genesis();
    let stranger = s.apply(&Operation::FullExit(FullExit { account: 1, owner: [9; 20], token: 0 })).expect("consumed");
    assert_eq!(stranger.pubdata, PubdataOp::FullExit { account: 1, owner: [9; 20], token: 0, amount: 0 });
    assert_eq!(s.account(1).balance, 1_000_000);
    let owner = s.apply(&Operation::FullExit(FullExit { account: 1, owner: [2; 20], token: 0 })).expect("exit");
    assert_eq!(owner.pubdata, PubdataOp::FullExit { account: 1, owner: [2; 20], token: 0, amount: 1_000_000 });
    assert_eq!(s.account(1).balance, 0);
}

#[test]
fn batch_pads_pays_fees_and_commits() {
    let mut s = genesis();
    let ops = [transfer(1, 2, 1000, 10, 0), transfer(2, 1, 100, 20, 0)];
    let b = s.apply_batch(1, 0, 4, 0, &ops).expect("batch");
    assert_eq!(b.pubdata.len(), 4 * 16);
    assert_eq!(decode(&b.pubdata).expect("decode").len(), 4);
    assert_eq!(s.account(0).balance, 30);
    assert_eq!(b.header.new_root, s.root());
    assert_ne!(b.header.old_root, b.header.new_root);
    let c = b.commitment();
    let mut h = b.header;
    h.number = 2;
    assert_ne!(causeway_protocol::commitment(&h, &DOMAIN, &b.pubdata), c, "the commitment binds the header");
}

#[test]
fn a_failing_batch_leaves_the_state_untouched() {
    let mut s = genesis();
    let root = s.root();
    let ops = [transfer(1, 2, 1000, 10, 0), transfer(1, 2, 1000, 10, 5)];
    assert_eq!(s.apply_batch(1, 0, 4, 0, &ops).err(), Some(ProtocolError::WrongNonce { expected: 1, got: 5 }));
    assert_eq!(s.root(), root);
    assert_eq!(s.account(1).nonce, 0);
    let too_many = vec![transfer(1, 2, 1, 0, 0); 5];
    assert!(matches!(s.apply_batch(1, 0, 4, 0, &too_many), Err(ProtocolError::BatchFull { needed: 5, slots: 4 })));
    assert!(matches!(s.apply_batch(1, 0, 4, 7, &[]), Err(ProtocolError::UnknownAccount(7))));
    assert_eq!(s.root(), root);
}

#[test]
fn ledger_checks_like_the_state_and_skips_only_signatures_it_is_told_were_verified() {
    use causeway_protocol::Signatures;
    let s = genesis();
    let mut ledger = s.ledger().clone();
    let mut forged = Transfer::signed(&key(9), &DOMAIN, 1, 2, 10, 0, 0);
    assert_eq!(ledger.check(&Operation::Transfer(forged), Signatures::Verify), Err(ProtocolError::BadSignature));
    // A caller that verified elsewhere skips the signature, never the other rules.
    assert!(ledger.check(&Operation::Transfer(forged), Signatures::Verified).is_ok());
    forged.nonce = 3;
    assert_eq!(
        ledger.check(&Operation::Transfer(forged), Signatures::Verified),
        Err(ProtocolError::WrongNonce { expected: 0, got: 3 })
    );
    let op = transfer(1, 2, 1000, 10, 0);
    let checked = ledger.check(&op, Signatures::Verify).expect("valid");
    assert_eq!(checked, s.check(&op).expect("valid"));
    ledger.commit(&checked).expect("commit");
    assert_eq!(ledger.account(1).nonce, 1);
    assert_eq!(ledger.account(2).balance, 1500);
}

#[test]
fn undo_batch_restores_the_root_and_accounts() {
    let mut s = genesis();
    let root = s.root();
    let ops = [transfer(1, 2, 1000, 10, 0), transfer(2, 1, 5, 1, 0)];
    let t = s.apply_batch(1, 0, 4, 0, &ops).expect("batch");
    assert_ne!(s.root(), root);
    s.undo_batch(&t);
    assert_eq!(s.root(), root);
    assert_eq!(s.account(1), genesis().account(1));
    assert_eq!(s.account(0), genesis().account(0));
}

#[test]
fn accounts_and_headers_round_trip_through_bytes() {
    use causeway_protocol::BatchHeader;
    let s = genesis();
    let a = s.account(1);
    assert_eq!(Account::from_bytes(&a.to_bytes()), Some(a));
    assert_eq!(Account::from_bytes(&a.to_bytes()[1..]), None);
    let mut bad = a.to_bytes();
    bad[0..32].fill(0xff);
    assert_eq!(Account::from_bytes(&bad), None, "non-canonical coordinate");
    let h = BatchHeader {
        number: 7,
        old_root: s.root(),
        new_root: s.root(),
        priority_start: 3,
        priority_count: 2,
        fee_account: 1,
    };
    assert_eq!(BatchHeader::from_bytes(&h.to_bytes()), Some(h));
    assert_eq!(BatchHeader::from_bytes(&[0; 87]), None);
}
