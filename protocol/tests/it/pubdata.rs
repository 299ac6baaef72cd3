//! Pubdata encoding round trips and refusals.

use causeway_protocol::{
    Deposit, Forced, PrivateKey, ProtocolError, PubdataOp,
    pubdata::{CHUNK_BYTES, chunks_of, decode},
};

fn samples() -> Vec<PubdataOp> {
    vec![
        PubdataOp::Noop,
        PubdataOp::Transfer { from: 1, to: u32::MAX, amount: 123_456_000_000, fee: 2_000 },
        PubdataOp::Withdraw { from: 7, to: [0xab; 20], token: 513, amount: 10u128.pow(18), fee: 0 },
        PubdataOp::Deposit(Deposit {
            account: 3,
            pubkey: PrivateKey([3; 32]).public_key(),
            owner: [1; 20],
            token: u16::MAX,
            amount: u128::MAX,
        }),
        PubdataOp::FullExit { account: 9, owner: [2; 20], token: 2, amount: 77 },
        PubdataOp::Forced {
            request: Forced { account: 4, owner: [5; 20], to: Some(6), token: 7, amount: 8 },
            executed: true,
        },
        PubdataOp::Forced {
            request: Forced { account: 4, owner: [5; 20], to: None, token: 9, amount: 10 },
            executed: false,
        },
    ]
}

#[test]
fn every_operation_round_trips_at_its_chunk_size() {
    let ops = samples();
    let mut all = Vec::new();
    for op in &ops {
        let bytes = op.encode().expect("encode");
        assert_eq!(bytes.len(), chunks_of(op.kind()).expect("known") * CHUNK_BYTES);
        assert_eq!(bytes[0], op.kind());
        all.extend(bytes);
    }
    assert_eq!(decode(&all).expect("decode"), ops);
}

#[test]
fn a_transfer_costs_sixteen_bytes() {
    let t = PubdataOp::Transfer { from: 1, to: 2, amount: 5, fee: 1 };
    assert_eq!(t.encode().expect("encode").len(), 16);
}

#[test]
fn malformed_pubdata_is_refused() {
    let w = PubdataOp::Withdraw { from: 7, to: [0xab; 20], token: 0, amount: 1, fee: 0 }.encode().expect("encode");
    assert!(matches!(decode(&w[..16]), Err(ProtocolError::MalformedPubdata(_))), "truncated operation");
    assert!(decode(&[9u8; 16]).is_err(), "unknown type");
    assert!(decode(&[0u8; 15]).is_err(), "partial chunk");
    let mut noop = [0u8; 16];
    noop[3] = 1;
    assert!(decode(&noop).is_err(), "padding must be zero");
    let mut exit = PubdataOp::FullExit { account: 1, owner: [2; 20], token: 0, amount: 3 }.encode().expect("encode");
    exit[47] = 1;
    assert!(decode(&exit).is_err(), "padding must be zero");
    let mut w = PubdataOp::Withdraw { from: 7, to: [0xab; 20], token: 1, amount: 1, fee: 0 }.encode().expect("encode");
    assert_eq!(w.len(), 48, "a withdrawal takes three chunks");
    w[40] = 1;
    assert!(decode(&w).is_err(), "a withdrawal's padding must be zero");
    let forced = PubdataOp::Forced {
        request: Forced { account: 4, owner: [5; 20], to: Some(6), token: 7, amount: 8 },
        executed: true,
    };
    let mut f = forced.encode().expect("encode");
    assert_eq!(&f[45..48], &[0, 7, 1], "token, then the executed byte last");
    f[47] = 2;
    assert!(decode(&f).is_err(), "executed is 0 or 1");
}

#[test]
fn unrepresentable_amounts_do_not_encode() {
    let t = PubdataOp::Transfer { from: 1, to: 2, amount: (1 << 35) + 1, fee: 0 };
    assert_eq!(t.encode(), Err(ProtocolError::AmountNotRepresentable((1 << 35) + 1)));
}
