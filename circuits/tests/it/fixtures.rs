//! A genesis state and a batch with every operation type.

use causeway_circuits::{BatchWitness, CircuitParams};
use causeway_protocol::{
    Account, BatchTransition, Deposit, Forced, FullExit, Operation, PrivateKey, State, Transfer, Withdraw,
};

pub(crate) const PARAMS: CircuitParams = CircuitParams { depth: 4, slots: 24 };
/// The deployment the fixtures sign for.
pub(crate) const DOMAIN: causeway_protocol::Domain = causeway_protocol::Domain::new(31337, [0x5a; 20]);

pub(crate) fn key(i: u8) -> PrivateKey {
    PrivateKey([i; 32])
}

/// Operator at 0 (key 1), Alice at 1 (key 2), Bob at 2 (key 3).
pub(crate) fn genesis() -> State {
    let mut s = State::new(PARAMS.depth, DOMAIN).expect("state");
    for (i, balance) in [(0u32, 5u128), (1, 10u128.pow(18)), (2, 10u128.pow(15))] {
        let account =
            Account { pubkey: key(i as u8 + 1).public_key(), balance, nonce: 0, owner: [i as u8 + 1; 20], token: 0 };
        s.insert(i, account).expect("insert");
    }
    s
}

/// A batch with a deposit creating account 3, transfers, a withdrawal, a full exit and Bob's
/// forced transfer to Alice and forced withdrawal.
pub(crate) fn every_op_batch() -> (State, BatchTransition) {
    let mut s = genesis();
    let ops = [
        Operation::Deposit(Deposit { account: 3, pubkey: key(4).public_key(), owner: [4; 20], token: 0, amount: 777 }),
        Operation::Transfer(Transfer::signed(&key(2), &DOMAIN, 1, 2, 25_000_000, 1_000, 0)),
        Operation::Withdraw(Withdraw::signed(&key(3), &DOMAIN, 2, [0xee; 20], 5_000, 20, 0)),
        Operation::FullExit(FullExit { account: 1, owner: [2; 20], token: 0 }),
        Operation::Transfer(Transfer::signed(&key(4), &DOMAIN, 3, 2, 700, 7, 0)),
        Operation::Forced(Forced { account: 2, owner: [3; 20], to: Some(1), token: 0, amount: 1_234 }),
        Operation::Forced(Forced { account: 2, owner: [3; 20], to: None, token: 0, amount: 4_321 }),
    ];
    let t = s.apply_batch(1, 0, PARAMS.slots, 0, &ops).expect("valid batch");
    (s, t)
}

pub(crate) fn every_op_witness() -> BatchWitness {
    BatchWitness::from_transition(&every_op_batch().1)
}
