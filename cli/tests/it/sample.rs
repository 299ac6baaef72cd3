//! `setup`, `prove-sample` and snarkjs verifying our proof; argument errors.

use super::causeway;
use std::{path::Path, process::Command};

fn snarkjs_verify(dir: &Path) -> (bool, String) {
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts");
    let out = Command::new("npx")
        .current_dir(&contracts)
        .args(["--no-install", "snarkjs", "groth16", "verify"])
        .args([dir.join("vk.json"), dir.join("public.json"), dir.join("proof.json")])
        .output()
        .expect("run npx snarkjs (npm ci --prefix contracts installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success() && text.contains("OK"), text)
}

#[test]
fn prove_sample_output_verifies_with_snarkjs() {
    let base = std::env::temp_dir().join(format!("causeway-cli-{}", std::process::id()));
    let (keys, out) = (base.join("keys"), base.join("out"));
    let (keys_s, out_s) = (keys.to_str().expect("utf8"), out.to_str().expect("utf8"));

    let setup = causeway(&["setup", "--depth", "4", "--slots", "14", "--out", keys_s]);
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    assert!(String::from_utf8_lossy(&setup.stderr).contains("development"), "setup warns loudly");

    let sample = causeway(&["prove-sample", "--keys", keys_s, "--out", out_s]);
    assert!(sample.status.success(), "{}", String::from_utf8_lossy(&sample.stderr));
    let proof_eth = std::fs::read_to_string(out.join("proof.eth.hex")).expect("proof.eth.hex");
    assert_eq!(proof_eth.trim().len(), 2 + 2 * 256, "A, B, C in precompile encoding");

    let (ok, text) = snarkjs_verify(&out);
    assert!(ok, "snarkjs rejected our proof: {text}");

    // snarkjs rejects the proof against another public input.
    let public = std::fs::read_to_string(out.join("public.json")).expect("public.json");
    let tampered = public.replacen(|c: char| c.is_ascii_digit(), "9", 1);
    assert_ne!(public, tampered);
    std::fs::write(out.join("public.json"), tampered).expect("write");
    let (ok, text) = snarkjs_verify(&out);
    assert!(!ok, "snarkjs accepted a proof for another commitment: {text}");

    // Keys for other parameters are refused with a clear error.
    let small = base.join("bad-out");
    let meta = std::fs::read_to_string(keys.join("metadata.json")).expect("metadata");
    std::fs::write(keys.join("metadata.json"), meta.replace("\"slots\": 14", "\"slots\": 15")).expect("write");
    let refused = causeway(&["prove-sample", "--keys", keys_s, "--out", small.to_str().expect("utf8")]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("do not match this circuit"));
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn bench_circuit_prints_one_json_line() {
    let out = causeway(&["bench", "circuit", "--depth", "4", "--slots", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
    assert!(v["constraints"].as_u64().expect("constraints") > 0);
    for part in ["signature", "merkle", "range_checks", "commitment"] {
        assert!(v["breakdown"][part].as_u64().expect(part) > 0, "{part}");
    }
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let out = causeway(&["bench", "circuit", "--depth", "3"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tree depth 3 must be even"));
    let out = causeway(&["prove-sample", "--keys", "/nonexistent/keys", "--out", "/tmp/x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("metadata.json"));
}
