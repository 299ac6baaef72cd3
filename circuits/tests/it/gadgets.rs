//! Gadgets against their native twins, with pinned constraint counts.

use ark_ff::PrimeField;
use ark_r1cs_std::{GR1CSVar, alloc::AllocVar, eq::EqGadget, fields::FieldVar};
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
use causeway_circuits::{
    ConstraintF,
    gadgets::{
        Bit, FrVar,
        bits::alloc_bits,
        eddsa::{PointVar, SignatureVar, verify_if},
        merkle::PathVar,
        poseidon::poseidon,
    },
};
use causeway_protocol::{MerkleTree, PrivateKey, poseidon::poseidon as native_poseidon};
use num_bigint::BigUint;
use rand::{Rng, SeedableRng, rngs::StdRng};

fn fr(rng: &mut StdRng) -> ConstraintF {
    ConstraintF::from(rng.r#gen::<u128>()) * ConstraintF::from(rng.r#gen::<u128>())
}

fn new_cs() -> ConstraintSystemRef<ConstraintF> {
    ConstraintSystem::<ConstraintF>::new_ref()
}

/// The `n` low bits of `value` (any integer, not only a field element's) as witness bits.
fn witness_bits(cs: &ConstraintSystemRef<ConstraintF>, value: &BigUint, n: u64) -> Vec<Bit> {
    (0..n).map(|i| Bit::new_witness(cs.clone(), || Ok(value.bit(i))).expect("bit")).collect()
}

/// The rule broken first when a field element `x` is given by the 254 bits of `value` (packed
/// and checked against x as a decomposition does) and `check` runs on them.
fn rule_for_bits(x: ConstraintF, value: BigUint, check: fn(&[Bit])) -> Option<String> {
    super::rules::first_broken(move |cs| {
        let x = FrVar::new_witness(cs.clone(), || Ok(x)).expect("x");
        let bits = witness_bits(&cs, &value, 254);
        causeway_circuits::gadgets::bits::pack_le(&bits).enforce_equal(&x).expect("packing");
        check(&bits);
    })
}

#[test]
fn poseidon_gadget_equals_native_with_pinned_cost() {
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
fn variable_base_multiplication_equals_native_at_the_edges() {
    // mul_bits switches from Montgomery to Edwards formulas at digit 250 and corrects by -P when
    // bit 0 is clear: scalars around the order, the powers of two at the switch, 0, 1, the
    // field's largest element and all ones, on two subgroup points and 254 bits, then short
    // scalars (all digits on the Montgomery curve).
    use causeway_protocol::Point;
    let mut rng = StdRng::seed_from_u64(5);
    let one = BigUint::from(1u8);
    let l = order();
    let p_minus_1 = BigUint::from(ConstraintF::MODULUS) - &one;
    let mut scalars = vec![BigUint::ZERO, one.clone(), BigUint::from(2u8), BigUint::from(3u8)];
    for e in [249u32, 250, 251, 252, 253] {
        let pow = &one << e;
        scalars.extend([&pow - &one, pow.clone(), &pow + &one]);
    }
    scalars.extend([&l - &one, l.clone(), &l + &one, BigUint::from(2u8) * &l + &one, p_minus_1, (&one << 254) - &one]);
    scalars.extend((0..4).map(|_| BigUint::from(fr(&mut rng).into_bigint())));
    let points = [Point::base8(), PrivateKey(rng.r#gen()).public_key()];
    for p in points {
        for k in &scalars {
            let cs = new_cs();
            let pv = PointVar::new_witness(cs.clone(), Some(p)).expect("p");
            let bits = witness_bits(&cs, k, 254);
            let prod = pv.mul_bits(&bits).expect("mul");
            let native = p.mul(k);
            assert_eq!((prod.x.value().expect("x"), prod.y.value().expect("y")), (native.x, native.y), "k = {k}");
            assert!(cs.is_satisfied().expect("check"), "k = {k}");
        }
    }
    for n in [2usize, 3, 17] {
        for k in 0u64..(1 << n.min(5)) {
            let cs = new_cs();
            let p = points[1];
            let pv = PointVar::new_witness(cs.clone(), Some(p)).expect("p");
            let bits = alloc_bits(cs.clone(), Some(ConstraintF::from(k)), n).expect("bits");
            let prod = pv.mul_bits(&bits).expect("mul");
            let native = p.mul(&k.into());
            assert_eq!((prod.x.value().expect("x"), prod.y.value().expect("y")), (native.x, native.y), "{n} bits: {k}");
            assert!(cs.is_satisfied().expect("check"));
        }
    }
}

#[test]
fn fixed_base_multiplication_equals_native_at_the_edges() {
    // mul_base8 adds windows 0..=82 on the Montgomery curve from tables offset by 2 and the top
    // window on Edwards: 0 (only offsets, then their removal), small digits, the order and
    // around it, all ones at the switch and at 251 bits, random scalars; 251 bits as for S.
    use causeway_circuits::gadgets::eddsa::mul_base8;
    use causeway_protocol::Point;
    let mut rng = StdRng::seed_from_u64(9);
    let one = BigUint::from(1u8);
    let l = order();
    let mut scalars: Vec<BigUint> = [0u64, 1, 2, 7, 8, 9, 63, 64, 511].map(BigUint::from).to_vec();
    for e in [246u32, 249, 250, 251] {
        scalars.extend([(&one << e) - &one, &one << (e - 1)]);
    }
    scalars.extend([&l - &one, l.clone(), &l + &one]);
    scalars.extend((0..4).map(|_| BigUint::from(fr(&mut rng).into_bigint()) >> 3));
    for k in scalars.iter().filter(|k| k.bits() <= 251) {
        let cs = new_cs();
        let bits = witness_bits(&cs, k, 251);
        let prod = mul_base8(&bits).expect("mul");
        let native = Point::base8().mul(k);
        assert_eq!((prod.x.value().expect("x"), prod.y.value().expect("y")), (native.x, native.y), "k = {k}");
        assert!(cs.is_satisfied().expect("check"), "k = {k}");
    }
}

#[test]
fn every_value_of_the_variable_base_multiplication_is_bound() {
    // Each slope, square and coordinate the multiplication allocates is fixed by its constraint
    // (no chord is vertical, no tangent horizontal): changing any one of them alone breaks the
    // constraint system.
    use ark_relations::gr1cs::SynthesisMode;
    let mut rng = StdRng::seed_from_u64(6);
    let p = PrivateKey(rng.r#gen()).public_key();
    let k = fr(&mut rng);
    let cs = new_cs();
    cs.set_mode(SynthesisMode::Prove { construct_matrices: true, generate_lc_assignments: false });
    let pv = PointVar::new_witness(cs.clone(), Some(p)).expect("p");
    let bits = alloc_bits(cs.clone(), Some(k), 254).expect("bits");
    let first = cs.num_witness_variables();
    pv.mul_bits(&bits).expect("mul");
    let last = cs.num_witness_variables();
    cs.inline_all_lcs();
    assert!(cs.is_satisfied().expect("check"));
    assert!(last - first > 2_000, "{} values", last - first);
    for index in first..last {
        let saved = cs.borrow().expect("cs").assignments.witness_assignment[index];
        cs.borrow_mut().expect("cs").assignments.witness_assignment[index] = saved + ConstraintF::from(1u64);
        assert!(!cs.is_satisfied().expect("check"), "witness {index} of {first}..{last} is free");
        cs.borrow_mut().expect("cs").assignments.witness_assignment[index] = saved;
    }
}

#[test]
fn variable_base_multiplication_refuses_the_identity() {
    // The Montgomery map needs y != 1: the identity (0, 1), which no subgroup key other than the
    // identity maps to, leaves the constraints unsatisfiable instead of giving a wrong product.
    let cs = new_cs();
    let pv = PointVar::new_witness(cs.clone(), Some(causeway_protocol::Point::IDENTITY)).expect("p");
    let bits = alloc_bits(cs.clone(), Some(ConstraintF::from(5u64)), 8).expect("bits");
    let _ = pv.mul_bits(&bits);
    assert!(!cs.is_satisfied().expect("check"));
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
fn comparison_with_a_constant_holds_exactly_below_it() {
    // Runs of one, two and many equal bits in the constant (the field modulus, the subgroup
    // order, random and crafted constants), values at and around the constant, 0 and all ones;
    // enforced (the system is satisfied exactly when x < c) and not (always satisfied).
    use causeway_circuits::gadgets::bits::enforce_less_than_constant_if;
    let mut rng = StdRng::seed_from_u64(8);
    let n = 256;
    let mut constants: Vec<BigUint> = vec![
        BigUint::from(ConstraintF::MODULUS),
        order(),
        BigUint::from(1u8),
        (BigUint::from(1u8) << 255) + BigUint::from(1u8),
        (BigUint::from(1u8) << 256) - BigUint::from(1u8),
        BigUint::parse_bytes(b"f0f0ff00fff000ffff0000fffff00000ffffff000000aaaa5555cccc3333", 16).expect("hex"),
    ];
    constants.extend((0..3).map(|_| BigUint::from(fr(&mut rng).into_bigint()) * BigUint::from(rng.gen_range(1u8..4))));
    for c in &constants {
        assert!(c.bits() <= n as u64, "the gadget takes constants below 2^{n}");
        let limbs: Vec<u64> = c.to_u64_digits();
        let mut values = vec![BigUint::ZERO, (BigUint::from(1u8) << n) - BigUint::from(1u8)];
        for d in [1u8, 2, 3] {
            values.push(c + BigUint::from(d));
            if *c >= BigUint::from(d) {
                values.push(c - BigUint::from(d));
            }
        }
        values.push(c.clone());
        values.extend((0..4).map(|_| BigUint::from(fr(&mut rng).into_bigint())));
        for x in values.into_iter().filter(|x| x.bits() <= n as u64) {
            for cond in [false, true] {
                let cs = new_cs();
                let bits = witness_bits(&cs, &x, n as u64);
                let cond_var = FrVar::new_witness(cs.clone(), || Ok(ConstraintF::from(cond))).expect("cond");
                enforce_less_than_constant_if(&cond_var, &bits, &limbs).expect("gadget");
                assert_eq!(cs.is_satisfied().expect("check"), !cond || x < *c, "{x} < {c} (enforced: {cond})");
            }
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

// ------------------------------------------------------------------ pinned costs

#[test]
fn merkle_roots_before_and_after_an_update_equal_native() {
    // roots() shares the siblings' first S-boxes between the two hashes of each level: both
    // roots equal the native trees' (before and after the leaf changes) at every position of
    // the path, and equal two calls of root().
    let mut rng = StdRng::seed_from_u64(7);
    let depth = 6;
    let mut tree = MerkleTree::new(depth, ConstraintF::from(0u64)).expect("tree");
    for _ in 0..20 {
        tree.set(rng.gen_range(0..64), fr(&mut rng)).expect("set");
    }
    for index in [0u32, 1, 2, 3, 17, 38, 63] {
        let cs = new_cs();
        let proof = tree.proof(index).expect("proof");
        let (old, new) = (tree.leaf(index).expect("leaf"), fr(&mut rng));
        let before = tree.root();
        let mut after = tree.clone();
        after.set(index, new).expect("set");
        let bits = alloc_bits(cs.clone(), Some(ConstraintF::from(index)), depth as usize).expect("bits");
        let path = PathVar::new(cs.clone(), &bits, Some(&proof.siblings)).expect("path");
        let old_var = FrVar::new_witness(cs.clone(), || Ok(old)).expect("old");
        let new_var = FrVar::new_witness(cs.clone(), || Ok(new)).expect("new");
        let (old_root, new_root) = path.roots(&old_var, &new_var).expect("roots");
        assert_eq!(old_root.value().expect("value"), before, "index {index}");
        assert_eq!(new_root.value().expect("value"), after.root(), "index {index}");
        assert_eq!(path.root(&old_var).expect("root").value().expect("value"), before);
        assert_eq!(path.root(&new_var).expect("root").value().expect("value"), after.root());
        assert!(cs.is_satisfied().expect("check"));
    }
}

#[test]
fn merkle_roots_pinned_cost() {
    let depth = 6;
    let tree = MerkleTree::new(depth, ConstraintF::from(0u64)).expect("tree");
    let cs = new_cs();
    let proof = tree.proof(5).expect("proof");
    let bits = alloc_bits(cs.clone(), Some(ConstraintF::from(5u64)), depth as usize).expect("bits");
    let path = PathVar::new(cs.clone(), &bits, Some(&proof.siblings)).expect("path");
    let leaf = FrVar::new_witness(cs.clone(), || Ok(ConstraintF::from(0u64))).expect("leaf");
    let _roots = path.roots(&leaf, &leaf).expect("roots");
    // index bits + per level: 1 position product, 12 shared S-box constraints, then per root
    // the node's S-box 3, 4 placements and Poseidon(4) less its first S-boxes (297 - 12).
    assert_eq!(cs.num_constraints(), depth as usize + 3 * (1 + 12 + 2 * (3 + 4 + 297 - 12)));
}

#[test]
fn merkle_path_pinned_cost() {
    let depth = 6;
    let tree = MerkleTree::new(depth, ConstraintF::from(0u64)).expect("tree");
    let cs = new_cs();
    let proof = tree.proof(5).expect("proof");
    let bits = alloc_bits(cs.clone(), Some(ConstraintF::from(5u64)), depth as usize).expect("bits");
    let path = PathVar::new(cs.clone(), &bits, Some(&proof.siblings)).expect("path");
    let leaf = FrVar::new_witness(cs.clone(), || Ok(ConstraintF::from(0u64))).expect("leaf");
    let _root = path.root(&leaf).expect("root");
    // index bits + per level: 1 position product, 4 placements, Poseidon(4).
    assert_eq!(cs.num_constraints(), depth as usize + 3 * (1 + 4 + 297));
}

#[test]
fn eddsa_check_pinned_cost() {
    let (cs, _) = eddsa_cs(true, 1, 7);
    // R8 on the curve 4, S's 251 bits 251 and their comparison with the order 153, the
    // Poseidon(5) challenge 321, its 254 bits 255 and their comparison with the modulus 132, key
    // selection 2, 8·A by three 5-constraint doublings, h·(8A) by signed digits 2,054 (249
    // Montgomery doublings and additions at 8 each, 4 Edwards digits, the maps and the
    // correction), R8 + h·(8A) 6, S·Base8 in 3-bit windows 507 (83 selections at 3, one at 1,
    // 82 Montgomery additions at 3, the map back 2, the offsets' removal 3, one Edwards addition
    // 6), the two coordinates' equations 2.
    assert_eq!(cs.num_constraints(), 3_702, "constraints of the EdDSA check");
}

// ------------------------------------------------------------------ rules named by the gadgets

/// The EdDSA gadget (enforced) over `pk`, `msg`, R8 and an integer S; the rule broken first.
fn eddsa_rule(
    pk: causeway_protocol::Point,
    msg: ConstraintF,
    r8: causeway_protocol::Point,
    s: BigUint,
) -> Option<String> {
    super::rules::first_broken(|cs| {
        let pk = PointVar::new_witness(cs.clone(), Some(pk)).expect("pk");
        let m = FrVar::new_witness(cs.clone(), || Ok(msg)).expect("msg");
        let sig = SignatureVar::new_witness_raw(cs.clone(), Some(r8), Some(s)).expect("sig");
        verify_if(&FrVar::one(), &pk, &m, &sig).expect("gadget");
    })
}

fn order() -> BigUint {
    BigUint::from(causeway_protocol::eddsa::Scalar::MODULUS)
}

fn challenge_int(r8: &causeway_protocol::Point, pk: &causeway_protocol::Point, msg: ConstraintF) -> BigUint {
    BigUint::from(causeway_protocol::eddsa::challenge(r8, pk, msg).into_bigint())
}

#[test]
fn signature_s_must_be_below_the_order() {
    // S + order gives the same point S·Base8 (Base8 has that order), so only the range rule
    // refuses a second encoding of a valid signature. Find a message whose S leaves room
    // below 2^251.
    let key = PrivateKey([3; 32]);
    let (msg, sig) = (1u64..)
        .map(|m| (ConstraintF::from(m), key.sign(ConstraintF::from(m))))
        .find(|(_, sig)| BigUint::from(sig.s.into_bigint()) + order() < BigUint::from(1u8) << 251)
        .expect("some message");
    let s = BigUint::from(sig.s.into_bigint());
    assert_eq!(eddsa_rule(key.public_key(), msg, sig.r8, s.clone()), None);
    assert_eq!(eddsa_rule(key.public_key(), msg, sig.r8, s + order()).as_deref(), Some("signature_s_below_order"));
}

#[test]
fn signature_equation_checks_each_coordinate() {
    // The key's owner builds signatures whose sides share one coordinate only: with R8 = r·B,
    // S = −(r + 8hk) gives S·B = −(R8 + 8h·A), the same y and the opposite x; with R8 moved
    // by the point T = (0, −1) of order 2, S·B = (x, −y) of the right side: the same x only.
    let key = PrivateKey([4; 32]);
    let pk = key.public_key();
    let k = key.key_scalar();
    let msg = ConstraintF::from(11u64);
    let r = BigUint::from(123_456_789u64);
    let base = causeway_protocol::Point::base8();
    let neg = |x: BigUint| (order() - x % order()) % order();

    let r8 = base.mul(&r);
    let h = challenge_int(&r8, &pk, msg);
    let s = neg(&r + BigUint::from(8u8) * &h * &k);
    assert_eq!(eddsa_rule(pk, msg, r8, s).as_deref(), Some("signature_equation_x"));

    let t = causeway_protocol::Point { x: ConstraintF::from(0u64), y: -ConstraintF::from(1u64) };
    let r8 = base.mul(&r).add(&t);
    let h = challenge_int(&r8, &pk, msg);
    let s = neg(&r + BigUint::from(8u8) * &h * &k);
    assert_eq!(eddsa_rule(pk, msg, r8, s).as_deref(), Some("signature_equation_y"));
}

#[test]
fn signature_challenge_bits_must_be_canonical() {
    // For h below 2^254 - p, the bits of h + p are bits too and pack to h (mod p), as the
    // decomposition checks: only the comparison with the modulus refuses them (they would
    // multiply the key by h + p, another scalar mod the order).
    use causeway_circuits::gadgets::eddsa::enforce_canonical_challenge;
    let h = ConstraintF::from(123_456_789u64);
    let alias = BigUint::from(h.into_bigint()) + BigUint::from(ConstraintF::MODULUS);
    assert!(alias.bits() <= 254);
    let check: fn(&[Bit]) = |bits| enforce_canonical_challenge(bits).expect("gadget");
    assert_eq!(rule_for_bits(h, BigUint::from(h.into_bigint()), check), None);
    assert_eq!(rule_for_bits(h, alias, check).as_deref(), Some("signature_challenge_canonical"));
}

#[test]
fn the_challenge_bits_of_the_signature_check_are_canonical() {
    // challenge_bits (what verify_if multiplies by) enforces the canonical bits: a prover who
    // replaces its bits of a small h by those of h + p (still bits, still packing to h) breaks
    // the canonical rule and nothing before it.
    use causeway_circuits::gadgets::eddsa::challenge_bits;
    let h = ConstraintF::from(55_555u64);
    let alias = BigUint::from(h.into_bigint()) + BigUint::from(ConstraintF::MODULUS);
    let vars = std::cell::RefCell::new(Vec::new());
    let build = |cs: ConstraintSystemRef<ConstraintF>| {
        let h = FrVar::new_witness(cs, || Ok(h)).expect("h");
        *vars.borrow_mut() = challenge_bits(&h)
            .expect("bits")
            .iter()
            .map(|b| match b {
                Bit::Var(v) => v.variable(),
                Bit::Constant(_) => panic!("the bits are allocated"),
            })
            .collect();
    };
    assert_eq!(super::rules::first_broken(build), None);
    let rule = super::rules::first_broken_with(build, |cs| {
        let mut inner = cs.borrow_mut().expect("a constraint system");
        for (i, var) in vars.borrow().iter().enumerate() {
            let index = var.index().expect("a witness variable");
            inner.assignments.witness_assignment[index] = ConstraintF::from(alias.bit(i as u64));
        }
    });
    assert_eq!(rule.as_deref(), Some("signature_challenge_canonical"));
}

#[test]
fn root_bytes_must_be_canonical() {
    // The commitment hashes the roots' bytes; the bits of a small root plus p pack to the same
    // field element and are bits: only the comparison with the modulus refuses them.
    use causeway_circuits::gadgets::bits::canonical_be_bytes;
    let root = ConstraintF::from(987_654_321u64);
    let alias = BigUint::from(root.into_bigint()) + BigUint::from(ConstraintF::MODULUS);
    assert!(alias.bits() <= 254);
    let check: fn(&[Bit]) = |bits| assert_eq!(canonical_be_bytes(bits).expect("gadget").len(), 256);
    assert_eq!(rule_for_bits(root, BigUint::from(root.into_bigint()), check), None);
    assert_eq!(rule_for_bits(root, alias, check).as_deref(), Some("root_bytes_canonical"));
}

#[test]
fn signature_r8_must_be_on_the_curve() {
    let key = PrivateKey([5; 32]);
    let msg = ConstraintF::from(12u64);
    let sig = key.sign(msg);
    let s = BigUint::from(sig.s.into_bigint());
    assert_eq!(eddsa_rule(key.public_key(), msg, sig.r8, s.clone()), None);
    let off = causeway_protocol::Point { x: sig.r8.x, y: sig.r8.y + ConstraintF::from(1u64) };
    assert_eq!(eddsa_rule(key.public_key(), msg, off, s).as_deref(), Some("signature_r8_on_curve"));
}

#[test]
fn sha256_binds_each_word_to_its_bits() {
    // A prover flips one bit of the digest (the last word's decomposition): every bit stays a
    // bit, and only the binding of the word's sum to its bits notices.
    use causeway_circuits::gadgets::sha256::sha256;
    let msg = b"causeway";
    let digest_var = std::cell::RefCell::new(None);
    let build = |cs: ConstraintSystemRef<ConstraintF>| {
        let bits: Vec<_> =
            msg.iter().flat_map(|b| alloc_bits(cs.clone(), Some(ConstraintF::from(*b)), 8).expect("bits")).collect();
        let digest = sha256(&bits).expect("gadget");
        let last = match digest.last().expect("256 bits") {
            Bit::Var(v) => v.variable(),
            Bit::Constant(_) => panic!("the digest is allocated"),
        };
        *digest_var.borrow_mut() = Some(last);
    };
    assert_eq!(super::rules::first_broken(build), None);
    let rule = super::rules::first_broken_with(build, |cs| {
        let var = digest_var.borrow().expect("digest variable");
        let index = var.index().expect("a witness variable");
        let mut inner = cs.borrow_mut().expect("a constraint system");
        let bit = &mut inner.assignments.witness_assignment[index];
        *bit = ConstraintF::from(1u64) - *bit;
    });
    assert_eq!(rule.as_deref(), Some("sha256_word_bits"));
}

/// How many constraints of `cs` (combinations inlined) the assignment leaves unsatisfied.
fn unsatisfied(cs: &ConstraintSystemRef<ConstraintF>) -> usize {
    let mut all = cs.to_matrices().expect("matrices");
    let m = all.remove(ark_relations::gr1cs::R1CS_PREDICATE_LABEL).expect("the R1CS predicate");
    let z: Vec<ConstraintF> = cs
        .instance_assignment()
        .expect("instance")
        .into_iter()
        .chain(cs.witness_assignment().expect("witness"))
        .collect();
    let eval = |row: &Vec<(ConstraintF, usize)>| row.iter().map(|(c, i)| *c * z[*i]).sum::<ConstraintF>();
    (0..m[0].len()).filter(|&r| eval(&m[0][r]) * eval(&m[1][r]) != eval(&m[2][r])).count()
}

#[test]
fn a_free_montgomery_coordinate_breaks_only_its_own_product() {
    // A cheating prover offsets one Montgomery addition's or doubling's u (or v) and derives
    // every later value from it: the multiplication's result moves where the prover steers it,
    // and the one constraint that fails is that step's own product, montgomery_chord_u (or
    // montgomery_chord_v). Steps of S·Base8 (its 82 additions) and of h·(8A) (a doubling and
    // an addition per bit) are both tried, early and late.
    use causeway_circuits::{
        gadgets::eddsa::mul_base8,
        tamper::{self, Coordinate},
    };
    use causeway_protocol::Point;
    let mut rng = StdRng::seed_from_u64(21);
    let p = PrivateKey(rng.r#gen()).public_key();
    let k = fr(&mut rng);
    let big = BigUint::from(k.into_bigint());
    for (which, rule) in [(Coordinate::U, "montgomery_chord_u"), (Coordinate::V, "montgomery_chord_v")] {
        for (fixed, step) in [(true, 3), (true, 70), (false, 5), (false, 400)] {
            let native = if fixed { Point::base8().mul(&big) } else { p.mul(&big) };
            let result = std::cell::Cell::new(None);
            let broken = std::cell::Cell::new(0);
            tamper::montgomery_chord(step, which);
            let first = super::rules::first_broken_with(
                |cs| {
                    let bits = alloc_bits(cs.clone(), Some(k), 254).expect("bits");
                    let prod = if fixed {
                        mul_base8(&bits).expect("mul")
                    } else {
                        PointVar::new_witness(cs.clone(), Some(p)).expect("p").mul_bits(&bits).expect("mul")
                    };
                    result.set(Some((prod.x.value().expect("x"), prod.y.value().expect("y"))));
                },
                |cs| broken.set(unsatisfied(cs)),
            );
            tamper::disarm();
            let what =
                format!("{which:?} of step {step} of the {} multiplication", if fixed { "fixed" } else { "variable" });
            assert_eq!(first.as_deref(), Some(rule), "{what}");
            assert_eq!(broken.get(), 1, "{what}: only its own product fails");
            assert_ne!(result.get(), Some((native.x, native.y)), "{what}: the result moved");
        }
    }
    // Unarmed, the same synthesis holds everywhere.
    let first = super::rules::first_broken(|cs| {
        let bits = alloc_bits(cs.clone(), Some(k), 254).expect("bits");
        PointVar::new_witness(cs.clone(), Some(p)).expect("p").mul_bits(&bits).expect("mul");
        mul_base8(&bits).expect("mul");
    });
    assert_eq!(first, None);
}
