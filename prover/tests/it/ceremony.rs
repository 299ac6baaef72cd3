//! The ceremony path without snarkjs's slow phase 1: snarkjs's QAP reduction, the `.r1cs` and
//! `.wtns` exports as snarkjs reads them, and zkey import and its checks against the Powers of
//! Tau, on ceremonies played here from known secrets (`ceremony::local`, which `snarkjs zkey
//! verify` accepts), with each forgery and mismatch refused. The full snarkjs ceremony is the CLI
//! test `ceremony`.

use super::{PARAMS, one_transfer_batch};
use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_groth16::Groth16;
use ark_snark::{CircuitSpecificSetupSNARK, SNARK};
use causeway_circuits::{BatchCircuit, CircuitParams, ExitCircuit, ExitWitness};
use causeway_protocol::{Account, Domain, PrivateKey, State};
use causeway_prover::{
    Circuit, Keys, ProverError,
    ceremony::{
        self, SnarkjsReduction, Synthesized,
        local::{self, Contributor, Phase1},
    },
    prove_exit, verify_exit,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::{path::Path, process::Command};

const DOMAIN: Domain = Domain::new(31337, [0x5a; 20]);

fn temp(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("causeway-ceremony-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn exit_witness(depth: u32) -> ExitWitness {
    let mut s = State::new(depth, DOMAIN).expect("state");
    for i in 0..3u32 {
        let a = Account {
            pubkey: PrivateKey([i as u8 + 1; 32]).public_key(),
            balance: 1_000 + u128::from(i),
            nonce: i,
            owner: [i as u8 + 7; 20],
            token: i as u16,
        };
        s.insert(i, a).expect("insert");
    }
    ExitWitness::from_state(&s, 1).expect("exit witness")
}

/// `npx snarkjs ...` from contracts/ (where `npm ci` installs it): (exit success, all output).
fn snarkjs(args: &[&str]) -> (bool, String) {
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts");
    let out = Command::new("npx")
        .current_dir(&contracts)
        .args(["--no-install", "snarkjs"])
        .args(args)
        .output()
        .expect("run npx snarkjs (npm ci --prefix contracts installs it)");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_snarkjs_reduction_proves_with_its_own_keys_and_arkworks_proofs_do_not_verify_with_them() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let blank = ExitCircuit { depth: 2, witness: None };
    let (pk, vk) = Groth16::<Bn254, SnarkjsReduction>::setup(blank, &mut rng).expect("setup");
    let w = exit_witness(2);
    let inputs = w.public_inputs();
    let circuit = || ExitCircuit { depth: 2, witness: Some(w.clone()) };
    let proof = Groth16::<Bn254, SnarkjsReduction>::prove(&pk, circuit(), &mut rng).expect("prove");
    assert!(Groth16::<Bn254>::verify(&vk, &inputs, &proof).expect("verify"));
    // The H query is the difference: arkworks' own reduction with these keys gives a proof
    // that does not verify.
    let wrong = Groth16::<Bn254>::prove(&pk, circuit(), &mut rng).expect("prove");
    assert!(!Groth16::<Bn254>::verify(&vk, &inputs, &wrong).expect("verify"));
}

#[test]
fn snarkjs_reads_the_batch_circuit_and_checks_a_real_batch_witness() {
    let dir = temp("r1cs");
    let s = ceremony::synthesize_blank(Circuit::Batch, PARAMS).expect("synthesize");
    let r1cs = dir.join("batch.r1cs");
    let mut f = std::fs::File::create(&r1cs).expect("create");
    ceremony::write_r1cs(&s, &mut f).expect("write r1cs");
    let r1cs_s = r1cs.to_str().expect("utf8");
    let (ok, text) = snarkjs(&["r1cs", "info", r1cs_s]);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("# of Constraints: {}\n", s.constraints())), "{text}");
    assert!(text.contains("# of Public Inputs: 1\n"), "{text}");
    assert!(text.contains(&format!("# of Wires: {}\n", s.wires())), "{text}");

    let full = ceremony::synthesize(BatchCircuit { params: PARAMS, witness: Some(one_transfer_batch()) }, true)
        .expect("synthesize witness");
    let mut assignment = full.assignment.expect("assignment");
    assert_eq!(assignment.len(), s.wires());
    let wtns = dir.join("batch.wtns");
    let write = |a: &[Fr]| {
        let mut f = std::fs::File::create(&wtns).expect("create");
        ceremony::write_wtns(a, &mut f).expect("write wtns");
    };
    let wtns_s = wtns.to_str().expect("utf8");
    write(&assignment);
    let (ok, text) = snarkjs(&["wtns", "check", r1cs_s, wtns_s]);
    assert!(ok && text.contains("WITNESS IS CORRECT"), "{text}");

    // Wire 1 is the public input, the batch commitment: another value breaks the constraints.
    assignment[1] += Fr::from(1u64);
    write(&assignment);
    let (_, text) = snarkjs(&["wtns", "check", r1cs_s, wtns_s]);
    assert!(!text.contains("WITNESS IS CORRECT"), "a tampered witness is refused: {text}");
    assert!(text.contains("WITNESS IS NOT CORRECT") || text.contains("doesn't match"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

// A ceremony played here from known secrets (`ceremony::local`): a Powers of Tau file and a zkey
// in snarkjs's layout, with real contribution records.

struct Played {
    dir: std::path::PathBuf,
    ptau: std::path::PathBuf,
    zkey: Vec<u8>,
}

fn contributors() -> Vec<Contributor> {
    vec![
        Contributor::Secret { name: "alice".into(), secret: Fr::from(0xa11ce_u64) },
        Contributor::Secret { name: "bob".into(), secret: Fr::from(0xb0b_u64) },
        Contributor::Beacon { name: "beacon".into(), hash: vec![7; 32], exp: 10 },
    ]
}

fn play(tag: &str, circuit: Circuit, params: CircuitParams, power: u32, seed: u64) -> (Played, Synthesized) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let dir = temp(tag);
    let s = ceremony::synthesize_blank(circuit, params).expect("synthesize");
    let p1 = Phase1::random(&mut rng);
    let ptau = dir.join("pot.ptau");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&ptau).expect("create"));
    local::write_ptau(&p1, power, &mut f, &|_| {}).expect("write ptau");
    std::io::Write::flush(&mut f).expect("flush");
    let zkey = local::zkey(&p1, power, &s, &contributors(), &mut rng);
    (Played { dir, ptau, zkey }, s)
}

fn quiet(_: &str) {}

/// The import's refusal of `bytes` (written to a file) against `ptau`.
fn refused_with(dir: &Path, bytes: &[u8], ptau: &Path, circuit: Circuit, params: CircuitParams) -> String {
    let path = dir.join("tampered.zkey");
    std::fs::write(&path, bytes).expect("write");
    match ceremony::import(&path, ptau, circuit, params, &quiet) {
        Err(e @ ProverError::Zkey { .. }) => e.to_string(),
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("imported a zkey that should be refused"),
    }
}

/// `bytes` with `data` written at byte `offset` of section `kind`.
fn patch(bytes: &[u8], kind: u32, offset: usize, data: &[u8]) -> Vec<u8> {
    let (at, len) = local::section_offset(bytes, kind).expect("section");
    assert!(offset + data.len() <= len, "byte {offset} of section {kind}");
    let mut out = bytes.to_vec();
    out[at + offset..at + offset + data.len()].copy_from_slice(data);
    out
}

/// `bytes` with the point at `index` of section `kind` replaced by `encoded`.
fn with_point(bytes: &[u8], kind: u32, index: usize, encoded: &[u8]) -> Vec<u8> {
    patch(bytes, kind, index * encoded.len(), encoded)
}

/// Offsets in the header section (2): after n8q, q, n8r, r, wires, public inputs, domain.
const HEADER_POINTS: usize = 4 + 32 + 4 + 32 + 12;
const DELTA_G2_AT: usize = HEADER_POINTS + 64 + 64 + 128 + 128 + 64;

#[test]
fn a_played_ceremony_passes_snarkjs_zkey_verify_imports_and_proves() {
    let depth = 2;
    let exit = CircuitParams { depth, slots: 0 };
    let (played, s) = play("played", Circuit::Exit, exit, 10, 12);
    let zkey = played.dir.join("exit.zkey");
    std::fs::write(&zkey, &played.zkey).expect("write");

    // snarkjs's own check accepts what was played here, the contributions' hashes included.
    let r1cs = played.dir.join("exit.r1cs");
    let mut f = std::fs::File::create(&r1cs).expect("create");
    ceremony::write_r1cs(&s, &mut f).expect("write r1cs");
    let path = |p: &Path| p.to_str().expect("utf8").to_owned();
    let (ok, text) = snarkjs(&["zkey", "verify", &path(&r1cs), &path(&played.ptau), &path(&zkey)]);
    assert!(ok && text.contains("ZKey Ok!"), "{text}");

    // Imported, saved and loaded, the keys remember the ceremony (the hashes snarkjs printed,
    // the Powers of Tau's BLAKE2b) and prove.
    let lines = std::cell::RefCell::new(Vec::new());
    let keys = ceremony::import(&zkey, &played.ptau, Circuit::Exit, exit, &|l| lines.borrow_mut().push(l.to_owned()))
        .expect("import");
    let b2sum = hex::encode(<blake2::Blake2b512 as blake2::Digest>::digest(std::fs::read(&played.ptau).expect("ptau")));
    assert!(lines.borrow().iter().any(|l| l.contains(&format!("blake2b {b2sum}"))), "{:?}", lines.borrow());
    keys.save(&played.dir.join("keys")).expect("save");
    let keys = Keys::load_for(&played.dir.join("keys"), Circuit::Exit, Some(exit)).expect("load");
    let record = keys.meta.ceremony.clone().expect("a ceremony record");
    assert_eq!(record.ptau_blake2b.as_deref(), Some(b2sum.as_str()));
    let names: Vec<_> = record.contributions.iter().map(|c| c.name.clone().unwrap_or_default()).collect();
    assert_eq!(names, ["alice", "bob", "beacon"]);
    let reported: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for (i, c) in record.contributions.iter().enumerate() {
        let line = format!("contribution#{}{}:{}", i + 1, c.name.as_deref().unwrap_or(""), c.hash);
        assert!(reported.contains(&line), "snarkjs reports {line}: {text}");
    }
    assert_eq!(record.zkey_sha256, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&played.zkey)));
    assert!(keys.meta.origin.contains("ceremony"), "{}", keys.meta.origin);
    // The verifying key alone (what `verify --zkey` reads) is the same, with the same checks.
    let (vk, rec) = ceremony::verifying_key(&zkey, &played.ptau, Circuit::Exit, exit, &quiet).expect("verifying key");
    assert_eq!((vk, rec), (keys.vk.clone(), record));
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let w = exit_witness(depth);
    let inputs = w.public_inputs();
    let proof = prove_exit(&keys, w, &mut rng).expect("prove with imported keys");
    assert!(verify_exit(&keys.vk, &inputs, &proof).expect("verify"));
    let _ = std::fs::remove_dir_all(&played.dir);
}

#[test]
fn every_forged_or_mismatched_zkey_is_refused_with_what_is_wrong() {
    let depth = 2;
    let exit = CircuitParams { depth, slots: 0 };
    let (played, s) = play("forged", Circuit::Exit, exit, 10, 14);
    let (dir, ptau, bytes) = (&played.dir, &played.ptau, &played.zkey);
    let refused = |b: &[u8]| refused_with(dir, b, ptau, Circuit::Exit, exit);
    let (g1, g2) = (local::encode_g1(&G1Affine::generator()), local::encode_g2(&G2Affine::generator()));

    // δ₂ replaced by the G2 generator (snarkjs's γ₂): proofs could be forged with A = α, B = β.
    let e = refused(&patch(bytes, 2, DELTA_G2_AT, &g2));
    assert!(e.contains("δ₂ does not match δ₁"), "{e}");
    // The initial key (δ = generator) with a contribution record whose δ is the generator: the
    // record's proof does not hold; and a "contribution" of secret 1 is a real record that
    // leaves δ at the generator.
    let mut rng = ChaCha20Rng::seed_from_u64(15);
    let p1 = Phase1::random(&mut rng);
    let none = local::zkey(&p1, 10, &s, &[], &mut rng);
    let one = Contributor::Secret { name: "forger".into(), secret: Fr::from(1u64) };
    let trivial = local::zkey(&p1, 10, &s, &[one], &mut rng);
    let ptau_b = dir.join("other.ptau");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&ptau_b).expect("create"));
    local::write_ptau(&p1, 10, &mut f, &|_| {}).expect("write ptau");
    std::io::Write::flush(&mut f).expect("flush");
    let refused_b = |b: &[u8]| refused_with(dir, b, &ptau_b, Circuit::Exit, exit);
    let e = refused_b(&none);
    assert!(e.contains("no phase-2 contribution"), "{e}");
    let e = refused_b(&trivial);
    assert!(e.contains("δ is still the generator"), "{e}");
    let (at, _) = local::section_offset(&trivial, 10).expect("contributions");
    let mut made_up = trivial.clone();
    // Its g1_sx (after the circuit hash, the count, δ and g1_s) made another point.
    made_up[at + 68 + 128..at + 68 + 192]
        .copy_from_slice(&local::encode_g1(&(G1Affine::generator() * Fr::from(5u64)).into_affine()));
    let e = refused_b(&made_up);
    assert!(e.contains("contribution #1's transcript"), "{e}");

    // A genuine zkey against the Powers of Tau it was not made from.
    let e = refused_with(dir, bytes, &ptau_b, Circuit::Exit, exit);
    assert!(e.contains("α₁ is not the Powers of Tau file's: the zkey was made from another Powers of Tau"), "{e}");

    // One point changed in each section.
    let e = refused(&with_point(bytes, 3, 1, &g1));
    assert!(e.contains("the IC points are not what the Powers of Tau and this circuit give"), "{e}");
    let e = refused(&with_point(bytes, 8, 3, &g1));
    assert!(e.contains("the C (L) points are not what the Powers of Tau and this circuit give"), "{e}");
    let e = refused(&with_point(bytes, 9, 5, &g1));
    assert!(e.contains("the H points are not what the Powers of Tau give"), "{e}");
    let e = refused(&with_point(bytes, 5, 7, &g1));
    assert!(e.contains("the A points are not"), "{e}");
    let e = refused(&with_point(bytes, 6, 7, &g1));
    assert!(e.contains("the B₁ points are not"), "{e}");
    let e = refused(&with_point(bytes, 7, 7, &g2));
    assert!(e.contains("the B₂ points are not"), "{e}");

    // A contribution whose proof of knowledge fails (its G2 key for another secret), and a
    // beacon whose hash does not give its key.
    let (at, _) = local::section_offset(bytes, 10).expect("contributions");
    let first = at + 68;
    let mut bad = bytes.clone();
    bad[first + 192..first + 320]
        .copy_from_slice(&local::encode_g2(&(G2Affine::generator() * Fr::from(9u64)).into_affine()));
    let e = refused(&bad);
    assert!(e.contains("contribution #1's proof of knowledge fails"), "{e}");
    let beacon_byte = bytes.len() - 1;
    let mut bad = bytes.clone();
    bad[beacon_byte] ^= 1;
    let e = refused(&bad);
    assert!(e.contains("contribution #3 is a beacon, but its key is not the one its beacon hash gives"), "{e}");

    // A Powers of Tau too small for the circuit.
    let small = dir.join("small.ptau");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&small).expect("create"));
    local::write_ptau(&p1, 9, &mut f, &|_| {}).expect("write ptau");
    std::io::Write::flush(&mut f).expect("flush");
    let e = refused_with(dir, &none, &small, Circuit::Exit, exit);
    assert!(e.contains("no phase-2 contribution"), "{e}");
    let e = refused_with(dir, bytes, &small, Circuit::Exit, exit);
    assert!(e.contains("the Powers of Tau file holds 2^9 points; this circuit's domain needs 2^10"), "{e}");

    // The format refusals: another depth, another circuit, truncation, another coefficient, a
    // PLONK key.
    let e = refused_with(dir, bytes, ptau, Circuit::Exit, CircuitParams { depth: 4, slots: 0 });
    assert!(e.contains("the exit circuit at depth 4 has"), "{e}");
    let e = refused_with(dir, bytes, ptau, Circuit::Batch, PARAMS);
    assert!(e.contains("the batch circuit at depth 2 with 1 slots has"), "{e}");
    for cut in [3, 40, bytes.len() / 2, bytes.len() - 1] {
        let e = refused(&bytes[..cut]);
        assert!(e.contains("truncated") || e.contains("not a zkey"), "cut at {cut}: {e}");
    }
    let mut other = bytes.clone();
    let (coeffs, _) = local::section_offset(bytes, 4).expect("coefficients");
    other[coeffs + 4 + 12] ^= 1;
    let e = refused(&other);
    assert!(e.contains("coefficients differ from the circuit's at constraint 0"), "{e}");
    let mut plonk = bytes.clone();
    let (protocol, _) = local::section_offset(bytes, 1).expect("protocol");
    plonk[protocol] = 2;
    let e = refused(&plonk);
    assert!(e.contains("not Groth16"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
