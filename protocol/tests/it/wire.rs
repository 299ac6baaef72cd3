//! JSON forms: signed transactions and the genesis file.

use super::DOMAIN;
use causeway_protocol::{
    Operation, PrivateKey, ProtocolError, State, Transfer, Withdraw,
    wire::{Genesis, SignedTx},
};

fn genesis_json(accounts: &str, fee_account: u32) -> String {
    format!(r#"{{"depth": 4, "fee_account": {fee_account}, "accounts": [{accounts}]}}"#)
}

fn account_json(index: u32, key: u8, balance: &str) -> String {
    let pk = hex::encode(PrivateKey([key; 32]).public_key().pack());
    format!(r#"{{"index": {index}, "public_key": "0x{pk}", "balance": "{balance}", "owner": "0x{}"}}"#, "11".repeat(20))
}

#[test]
fn signed_transactions_round_trip_and_apply() {
    let key = PrivateKey([2; 32]);
    let genesis: Genesis =
        serde_json::from_str(&genesis_json(&[account_json(0, 1, "0"), account_json(1, 2, "5000")].join(","), 0))
            .expect("genesis");
    let mut state: State = genesis.state(DOMAIN).expect("state");
    let ops = [
        Operation::Transfer(Transfer::signed(&key, &DOMAIN, 1, 0, 1000, 10, 0)),
        Operation::Withdraw(Withdraw::signed(&key, &DOMAIN, 1, [0xaa; 20], 2000, 0, 1)),
    ];
    for op in ops {
        let tx = SignedTx::of(&op).expect("signed");
        let json = serde_json::to_string(&tx).expect("serialize");
        let back: SignedTx = serde_json::from_str(&json).expect("parse");
        assert_eq!(back.operation(), op);
        assert_eq!(back.hash(&DOMAIN).len(), 66);
        state.apply(&back.operation()).expect("valid");
    }
    assert_eq!(state.account(1).balance, 5000 - 1010 - 2000);
}

#[test]
fn malformed_transactions_are_refused_with_a_reason() {
    let op = Operation::Transfer(Transfer::signed(&PrivateKey([2; 32]), &DOMAIN, 1, 0, 1000, 10, 0));
    let good = serde_json::to_value(SignedTx::of(&op).expect("signed")).expect("json");
    let cases = [
        ("amount", serde_json::json!("12a"), "decimal"),
        ("amount", serde_json::json!(1000), "string"),
        ("amount", serde_json::json!("340282366920938463463374607431768211456"), "128 bits"),
        ("signature", serde_json::json!("0x1234"), "64 bytes"),
        ("signature", serde_json::json!("1234"), "0x"),
        ("signature", serde_json::json!(format!("0x{}", "ff".repeat(64))), "signature"),
        ("type", serde_json::json!("mint"), "unknown variant"),
        ("extra", serde_json::json!(1), "unknown field"),
    ];
    for (field, value, expected) in cases {
        let mut v = good.clone();
        v[field] = value;
        let err = serde_json::from_value::<SignedTx>(v).expect_err(field).to_string();
        assert!(err.contains(expected), "{field}: {err}");
    }
}

#[test]
fn genesis_is_reproducible_and_validated() {
    let json = genesis_json(&[account_json(0, 1, "0"), account_json(3, 2, "7")].join(","), 0);
    let a: Genesis = serde_json::from_str(&json).expect("genesis");
    let b: Genesis = serde_json::from_str(&serde_json::to_string(&a).expect("serialize")).expect("parse");
    assert_eq!(a.state(DOMAIN).expect("state").root(), b.state(DOMAIN).expect("state").root());

    let dup: Genesis =
        serde_json::from_str(&genesis_json(&[account_json(0, 1, "0"), account_json(0, 2, "7")].join(","), 0))
            .expect("parse");
    assert_eq!(dup.state(DOMAIN).err(), Some(ProtocolError::AccountTaken(0)));
    let no_fee: Genesis = serde_json::from_str(&genesis_json(&account_json(0, 1, "0"), 2)).expect("parse");
    assert_eq!(no_fee.state(DOMAIN).err(), Some(ProtocolError::UnknownAccount(2)));
    let far: Genesis = serde_json::from_str(&genesis_json(&account_json(16, 1, "0"), 16)).expect("parse");
    assert!(matches!(far.state(DOMAIN), Err(ProtocolError::IndexOutOfRange { .. })));
    let mut v: serde_json::Value = serde_json::from_str(&genesis_json(&account_json(0, 1, "0"), 0)).expect("json");
    v["accounts"][0]["public_key"] = serde_json::json!(format!("0x{}", "ff".repeat(32)));
    let err = serde_json::from_value::<Genesis>(v).expect_err("off-curve key").to_string();
    assert!(err.contains("not a Baby Jubjub point"), "{err}");
    // The eight small-order points are curve points (they parse) but never keys.
    for p in causeway_protocol::Point::small_order_points() {
        let mut v: serde_json::Value = serde_json::from_str(&genesis_json(&account_json(0, 1, "0"), 0)).expect("json");
        v["accounts"][0]["public_key"] = serde_json::json!(format!("0x{}", hex::encode(p.pack())));
        let g: Genesis = serde_json::from_value(v).expect("a curve point parses");
        assert_eq!(g.state(DOMAIN).err(), Some(ProtocolError::InvalidPublicKey), "{p:?}");
    }
}

#[test]
fn a_submissions_payer_and_signed_message_are_its_operations() {
    use causeway_protocol::{Domain, Operation, PrivateKey, Transfer, Withdraw, wire::SignedTx};
    let key = PrivateKey([7; 32]);
    let domain = Domain::new(31337, [0x11; 20]);
    let t = Transfer::signed(&key, &domain, 3, 4, 500, 6, 7);
    let w = Withdraw::signed(&key, &domain, 3, [0xab; 20], 500, 8, 9);
    for (op, kind, fee, nonce, message, signature) in [
        (Operation::Transfer(t), "transfer", 6, 7, t.message(&domain), t.signature),
        (Operation::Withdraw(w), "withdraw", 8, 9, w.message(&domain), w.signature),
    ] {
        let tx = SignedTx::of(&op).expect("signed");
        let p = tx.payer();
        assert_eq!((p.kind, p.from, p.fee, p.nonce), (kind, 3, fee, nonce));
        assert_eq!(tx.signed_message(&domain), (message, signature), "{kind}");
        assert_ne!(tx.signed_message(&Domain::default()).0, message, "{kind}: the message names its deployment");
    }
}
