//! The ceremony path without a ceremony: snarkjs's QAP reduction, the `.r1cs` and `.wtns` exports
//! as snarkjs reads them, and zkey import (a zkey written here from a local setup, in snarkjs's
//! layout) with each refusal. The full snarkjs ceremony is the CLI test `ceremony`.

use super::{PARAMS, one_transfer_batch};
use ark_bn254::{Bn254, Fq, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, ProvingKey};
use ark_snark::{CircuitSpecificSetupSNARK, SNARK};
use causeway_circuits::{BatchCircuit, CircuitParams, ExitCircuit, ExitWitness};
use causeway_protocol::{Account, Domain, PrivateKey, State};
use causeway_prover::{
    Circuit, Keys, ProverError,
    ceremony::{self, SnarkjsReduction, Synthesized},
    prove, prove_exit, verify, verify_exit,
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

// A zkey in snarkjs's layout, written from a local setup made with snarkjs's reduction.

fn le(b: impl BigInteger) -> Vec<u8> {
    b.to_bytes_le()
}

fn g1(p: &G1Affine) -> Vec<u8> {
    match p.xy() {
        Some((x, y)) => [le(x.0), le(y.0)].concat(),
        None => vec![0; 64],
    }
}

fn g2(p: &G2Affine) -> Vec<u8> {
    match p.xy() {
        Some((x, y)) => [le(x.c0.0), le(x.c1.0), le(y.c0.0), le(y.c1.0)].concat(),
        None => vec![0; 128],
    }
}

struct ZkeyParts {
    protocol: u32,
    contributions: bool,
}

const GROTH16: ZkeyParts = ZkeyParts { protocol: 1, contributions: true };

fn zkey_bytes(pk: &ProvingKey<Bn254>, s: &Synthesized, parts: &ZkeyParts) -> Vec<u8> {
    let mut sections: Vec<(u32, Vec<u8>)> = vec![(1, parts.protocol.to_le_bytes().to_vec())];
    let u32le = |n: usize| (n as u32).to_le_bytes().to_vec();
    let domain = (s.constraints() + s.public_inputs() + 1).next_power_of_two();
    let mut h = [u32le(32), le(Fq::MODULUS), u32le(32), le(Fr::MODULUS)].concat();
    h.extend([u32le(s.wires()), u32le(s.public_inputs()), u32le(domain)].concat());
    h.extend([g1(&pk.vk.alpha_g1), g1(&pk.beta_g1), g2(&pk.vk.beta_g2), g2(&pk.vk.gamma_g2)].concat());
    h.extend([g1(&pk.delta_g1), g2(&pk.vk.delta_g2)].concat());
    sections.push((2, h));
    sections.push((3, pk.vk.gamma_abc_g1.iter().flat_map(g1).collect()));
    // Coefficients c·R² (the Montgomery form of c·R): A and B of each constraint, then the
    // public-input rows.
    let mut coeffs = Vec::new();
    let mut n = 0;
    let mut push = |m: u32, row: usize, wire: usize, c: Fr| {
        let twice = Fr::from_bigint(c.0).expect("below the modulus");
        coeffs.extend([m.to_le_bytes().to_vec(), u32le(row), u32le(wire), le(twice.0)].concat());
        n += 1;
    };
    for row in 0..s.constraints() {
        for (m, matrix) in [(0, &s.matrices[0]), (1, &s.matrices[1])] {
            for (c, wire) in &matrix[row] {
                push(m, row, *wire, *c);
            }
        }
    }
    for wire in 0..=s.public_inputs() {
        push(0, s.constraints() + wire, wire, Fr::from(1u64));
    }
    sections.push((4, [u32le(n), coeffs].concat()));
    sections.push((5, pk.a_query.iter().flat_map(g1).collect()));
    sections.push((6, pk.b_g1_query.iter().flat_map(g1).collect()));
    sections.push((7, pk.b_g2_query.iter().flat_map(g2).collect()));
    sections.push((8, pk.l_query.iter().flat_map(g1).collect()));
    sections.push((9, pk.h_query.iter().flat_map(g1).collect()));
    let mut mpc = vec![7u8; 64];
    if parts.contributions {
        mpc.extend(u32le(1));
        let (g, h2) = (G1Affine::generator(), G2Affine::generator());
        mpc.extend([g1(&pk.delta_g1), g1(&g), g1(&g), g2(&h2), vec![9u8; 64], u32le(0)].concat());
        let name = b"tester";
        mpc.extend([u32le(2 + name.len()), vec![1, name.len() as u8], name.to_vec()].concat());
    } else {
        mpc.extend(u32le(0));
    }
    sections.push((10, mpc));
    let mut out = [b"zkey".to_vec(), u32le(1), u32le(sections.len())].concat();
    for (kind, body) in sections {
        out.extend([(kind).to_le_bytes().to_vec(), (body.len() as u64).to_le_bytes().to_vec(), body].concat());
    }
    out
}

fn refused(path: &Path, circuit: Circuit, params: CircuitParams) -> String {
    match ceremony::import(path, circuit, params) {
        Err(e @ ProverError::Zkey { .. }) => e.to_string(),
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("imported a zkey that should be refused"),
    }
}

#[test]
fn a_zkey_imports_as_keys_that_prove_and_every_mismatch_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let dir = temp("zkey");
    let depth = 2;
    let exit = CircuitParams { depth, slots: 0 };
    let (pk, _) =
        Groth16::<Bn254, SnarkjsReduction>::setup(ExitCircuit { depth, witness: None }, &mut rng).expect("setup");
    let s = ceremony::synthesize_blank(Circuit::Exit, exit).expect("synthesize");
    let bytes = zkey_bytes(&pk, &s, &GROTH16);
    let path = dir.join("exit.zkey");
    std::fs::write(&path, &bytes).expect("write");

    // Imported, saved and loaded, the keys remember the ceremony and prove.
    let keys = ceremony::import(&path, Circuit::Exit, exit).expect("import");
    keys.save(&dir.join("keys")).expect("save");
    let keys = Keys::load_for(&dir.join("keys"), Circuit::Exit, Some(exit)).expect("load");
    let record = keys.meta.ceremony.clone().expect("a ceremony record");
    assert_eq!(record.contributions.len(), 1);
    assert_eq!(record.contributions[0].name.as_deref(), Some("tester"));
    assert_eq!(record.contributions[0].hash.len(), 128);
    assert_eq!(record.zkey_sha256, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)));
    assert!(keys.meta.origin.contains("ceremony"), "{}", keys.meta.origin);
    // The verifying key alone (what `verify --zkey` reads) is the same, with the same checks.
    let (vk, rec) = ceremony::verifying_key(&path, Circuit::Exit, exit).expect("verifying key");
    assert_eq!((vk, rec), (keys.vk.clone(), record));
    let e = ceremony::verifying_key(&path, Circuit::Exit, CircuitParams { depth: 4, slots: 0 }).expect_err("refused");
    assert!(e.to_string().contains("the exit circuit at depth 4 has"), "{e}");
    let w = exit_witness(depth);
    let inputs = w.public_inputs();
    let proof = prove_exit(&keys, w, &mut rng).expect("prove with imported keys");
    assert!(verify_exit(&keys.vk, &inputs, &proof).expect("verify"));

    // Another depth, another circuit.
    let e = refused(&path, Circuit::Exit, CircuitParams { depth: 4, slots: 0 });
    assert!(e.contains("the exit circuit at depth 4 has"), "{e}");
    let e = refused(&path, Circuit::Batch, PARAMS);
    assert!(e.contains("the batch circuit at depth 2 with 1 slots has"), "{e}");
    // A truncated file, at several cuts.
    for cut in [3, 40, bytes.len() / 2, bytes.len() - 1] {
        let t = dir.join("truncated.zkey");
        std::fs::write(&t, &bytes[..cut]).expect("write");
        let e = refused(&t, Circuit::Exit, exit);
        assert!(e.contains("truncated") || e.contains("not a zkey"), "cut at {cut}: {e}");
    }
    // The same sizes but one coefficient changed: another circuit of the same shape.
    let mut other = bytes.clone();
    let coeffs = section_offset(&bytes, 4) + 4 + 12;
    other[coeffs] ^= 1;
    let t = dir.join("other.zkey");
    std::fs::write(&t, &other).expect("write");
    let e = refused(&t, Circuit::Exit, exit);
    assert!(e.contains("coefficients differ from the circuit's at constraint 0"), "{e}");
    // No contribution: δ is the generator.
    std::fs::write(&t, zkey_bytes(&pk, &s, &ZkeyParts { protocol: 1, contributions: false })).expect("write");
    let e = refused(&t, Circuit::Exit, exit);
    assert!(e.contains("no phase-2 contribution"), "{e}");
    // A PLONK key.
    std::fs::write(&t, zkey_bytes(&pk, &s, &ZkeyParts { protocol: 2, contributions: true })).expect("write");
    let e = refused(&t, Circuit::Exit, exit);
    assert!(e.contains("not Groth16"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Where section `kind`'s body starts in a zkey file.
fn section_offset(bytes: &[u8], kind: u32) -> usize {
    let mut pos = 12;
    loop {
        let k = u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("4 bytes"));
        let size = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().expect("8 bytes")) as usize;
        if k == kind {
            return pos + 12;
        }
        pos += 12 + size;
    }
}

#[test]
fn batch_keys_from_a_zkey_prove_a_batch_and_a_zkey_for_other_slots_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let dir = temp("batch-zkey");
    let (pk, _) = Groth16::<Bn254, SnarkjsReduction>::setup(BatchCircuit { params: PARAMS, witness: None }, &mut rng)
        .expect("setup");
    let s = ceremony::synthesize_blank(Circuit::Batch, PARAMS).expect("synthesize");
    let path = dir.join("batch.zkey");
    std::fs::write(&path, zkey_bytes(&pk, &s, &GROTH16)).expect("write");
    let keys = ceremony::import(&path, Circuit::Batch, PARAMS).expect("import");
    let w = one_transfer_batch();
    let commitment = w.commitment();
    let proof = prove(&keys, w, &mut rng).expect("prove with imported batch keys");
    assert!(verify(&keys.vk, commitment, &proof).expect("verify"));

    let e = refused(&path, Circuit::Batch, CircuitParams { depth: PARAMS.depth, slots: 2 });
    assert!(e.contains("the batch circuit at depth 2 with 2 slots has"), "{e}");
    let e = refused(&path, Circuit::Batch, CircuitParams { depth: 4, slots: PARAMS.slots });
    assert!(e.contains("the batch circuit at depth 4 with 1 slots has"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
