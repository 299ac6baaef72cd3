//! Gadgets against their native twins, with pinned constraint counts.

use ark_r1cs_std::{GR1CSVar, alloc::AllocVar, eq::EqGadget, fields::FieldVar};
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
use causeway_circuits::{
    ConstraintF,
    gadgets::{
        FrVar,
        bits::alloc_bits,
        eddsa::{PointVar, SignatureVar, verify_if},
        merkle::PathVar,
        poseidon::poseidon,
    },
};
use causeway_protocol::{MerkleTree, PrivateKey, poseidon::poseidon as native_poseidon};
use rand::{Rng, SeedableRng, rngs::StdRng};

fn fr(rng: &mut StdRng) -> ConstraintF {
    ConstraintF::from(rng.r#gen::<u128>()) * ConstraintF::from(rng.r#gen::<u128>())
}

fn new_cs() -> ConstraintSystemRef<ConstraintF> {
    ConstraintSystem::<ConstraintF>::new_ref()
}

#[test]
fn poseidon_gadget_equals_native_with_pinned_costs() {
    let mut rng = StdRng::seed_from_u64(1);
    // 3 constraints per S-box, (8 t + partial rounds) S-boxes, less the first round's S-box of
    // the constant capacity element.
    let expected = [
        (1, 3 * (16 + 56) - 3),
        (2, 3 * (24 + 57) - 3),
        (4, 3 * (40 + 60) - 3),
        (5, 3 * (48 + 60) - 3),
        (6, 3 * (56 + 63) - 3),
    ];
    for (n, cost) in expected {
        let cs = new_cs();
        let inputs: Vec<ConstraintF> = (0..n).map(|_| fr(&mut rng)).collect();
        let vars: Vec<FrVar> =
            inputs.iter().map(|x| FrVar::new_witness(cs.clone(), || Ok(*x)).expect("alloc")).collect();
        let out = poseidon(&vars).expect("gadget");
        assert_eq!(out.value().expect("value"), native_poseidon(&inputs), "width {n}");
        assert_eq!(cs.num_constraints(), cost, "constraints of Poseidon({n})");
        // A tampered output is caught.
        let claimed =
            FrVar::new_input(cs.clone(), || Ok(native_poseidon(&inputs) + ConstraintF::from(1u64))).expect("alloc");
        out.enforce_equal(&claimed).expect("enforce");
        assert!(!cs.is_satisfied().expect("check"));
    }
}

#[test]
fn merkle_path_gadget_equals_native() {
    let mut rng = StdRng::seed_from_u64(2);
    let depth = 6;
    let mut tree = MerkleTree::new(depth, ConstraintF::from(0u64)).expect("tree");
    for _ in 0..20 {
        tree.set(rng.gen_range(0..64), fr(&mut rng)).expect("set");
    }
    for index in [0u32, 17, 63] {
        let cs = new_cs();
        let proof = tree.proof(index).expect("proof");
        let bits = alloc_bits(cs.clone(), Some(ConstraintF::from(index)), depth as usize).expect("bits");
        let path = PathVar::new(cs.clone(), &bits, Some(&proof.siblings)).expect("path");
        let leaf = FrVar::new_witness(cs.clone(), || Ok(tree.leaf(index).expect("leaf"))).expect("leaf");
        let root = path.root(&leaf).expect("root");
        assert_eq!(root.value().expect("value"), tree.root());
        // index bits + per level: 1 position product, 4 placements, Poseidon(4).
        assert_eq!(cs.num_constraints(), depth as usize + 3 * (1 + 4 + 297));
        let other = path.root(&(leaf + FrVar::one())).expect("root");
        assert_ne!(other.value().expect("value"), tree.root(), "another leaf gives another root");
        assert!(cs.is_satisfied().expect("check"));
    }
}

fn eddsa_cs(cond: bool, sign_with: u8, msg: u64) -> (ConstraintSystemRef<ConstraintF>, bool) {
    let cs = new_cs();
    let key = PrivateKey([1; 32]);
    let sig = PrivateKey([sign_with; 32]).sign(ConstraintF::from(msg));
    let native = causeway_protocol::eddsa::verify(&key.public_key(), ConstraintF::from(7u64), &sig);
    let pk = PointVar::new_witness(cs.clone(), Some(key.public_key())).expect("pk");
    let m = FrVar::new_witness(cs.clone(), || Ok(ConstraintF::from(7u64))).expect("msg");
    let s = SignatureVar::new_witness(cs.clone(), Some(&sig)).expect("sig");
    let c = FrVar::new_witness(cs.clone(), || Ok(ConstraintF::from(cond))).expect("cond");
    verify_if(&c, &pk, &m, &s).expect("gadget");
    (cs, native)
}

#[test]
fn eddsa_gadget_agrees_with_native_verification() {
    let (cs, native) = eddsa_cs(true, 1, 7);
    assert!(native);
    assert!(cs.is_satisfied().expect("check"), "a valid signature verifies in the circuit");
    assert_eq!(cs.num_constraints(), 5_226, "constraints of the EdDSA check");

    let (cs, native) = eddsa_cs(true, 2, 7);
    assert!(!native);
    assert!(!cs.is_satisfied().expect("check"), "a signature by another key fails");
    let (cs, native) = eddsa_cs(true, 1, 8);
    assert!(!native);
    assert!(!cs.is_satisfied().expect("check"), "a signature of another message fails");
    let (cs, _) = eddsa_cs(false, 2, 8);
    assert!(cs.is_satisfied().expect("check"), "an unenforced check accepts anything");
}

#[test]
fn curve_gadgets_equal_native_on_random_points() {
    use causeway_circuits::gadgets::eddsa::mul_base8;
    use causeway_protocol::Point;
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..3 {
        let cs = new_cs();
        let p = PrivateKey(rng.r#gen()).public_key();
        let q = PrivateKey(rng.r#gen()).public_key();
        let k: u64 = rng.r#gen();
        let (pv, qv) = (
            PointVar::new_witness(cs.clone(), Some(p)).expect("p"),
            PointVar::new_witness(cs.clone(), Some(q)).expect("q"),
        );
        let sum = pv.add(&qv).expect("add");
        assert_eq!((sum.x.value().expect("x"), sum.y.value().expect("y")), (p.add(&q).x, p.add(&q).y));
        let bits = alloc_bits(cs.clone(), Some(ConstraintF::from(k)), 64).expect("bits");
        let native = p.mul(&k.into());
        let prod = pv.mul_bits(&bits).expect("mul");
        assert_eq!((prod.x.value().expect("x"), prod.y.value().expect("y")), (native.x, native.y));
        let fixed = mul_base8(&bits).expect("mul");
        let native = Point::base8().mul(&k.into());
        assert_eq!((fixed.x.value().expect("x"), fixed.y.value().expect("y")), (native.x, native.y));
        assert!(cs.is_satisfied().expect("check"));
    }
}

#[test]
fn eddsa_gadget_agrees_with_native_on_random_keys_and_messages() {
    let mut rng = StdRng::seed_from_u64(4);
    for _ in 0..3 {
        let key = PrivateKey(rng.r#gen());
        let msg = fr(&mut rng);
        let mut sig = key.sign(msg);
        for tamper in [false, true] {
            if tamper {
                sig.s += causeway_protocol::eddsa::Scalar::from(1u64);
            }
            let native = causeway_protocol::eddsa::verify(&key.public_key(), msg, &sig);
            assert_eq!(native, !tamper);
            let cs = new_cs();
            let pk = PointVar::new_witness(cs.clone(), Some(key.public_key())).expect("pk");
            let m = FrVar::new_witness(cs.clone(), || Ok(msg)).expect("msg");
            let s = SignatureVar::new_witness(cs.clone(), Some(&sig)).expect("sig");
            verify_if(&FrVar::one(), &pk, &m, &s).expect("gadget");
            assert_eq!(cs.is_satisfied().expect("check"), native, "gadget and native agree (tampered: {tamper})");
        }
    }
}

#[test]
fn sha256_gadget_equals_native_with_pinned_cost() {
    use causeway_circuits::gadgets::sha256::sha256;
    use sha2::{Digest, Sha256};
    let mut rng = StdRng::seed_from_u64(5);
    for len in [0usize, 3, 55, 56, 64, 119, 150] {
        let cs = new_cs();
        let msg: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
        let bits: Vec<_> =
            msg.iter().flat_map(|b| alloc_bits(cs.clone(), Some(ConstraintF::from(*b)), 8).expect("bits")).collect();
        let digest = sha256(&bits).expect("gadget");
        let got: Vec<u8> = digest
            .chunks(8)
            .map(|byte| {
                byte.iter().enumerate().fold(0u8, |acc, (i, b)| acc | (u8::from(b.value().expect("value")) << i))
            })
            .collect();
        assert_eq!(got, Sha256::digest(&msg).to_vec(), "sha256 of {len} bytes");
        assert!(cs.is_satisfied().expect("check"));
        if len == 119 {
            // Two blocks (~26.1k each; constant words of the first block's early rounds cost
            // nothing) plus the message's own 952 bits.
            assert_eq!(cs.num_constraints(), 53_181);
        }
    }
}
