//! Poseidon over the BN254 scalar field with circomlib's parameters.
//!
//! The round constants and MDS matrices are circomlibjs's (`poseidon_constants.json`, exported by
//! `contracts/scripts/gen-vectors.mjs`), so hashes agree with circom circuits, circomlibjs and
//! every wallet built on them. Widths t = 2..=7 (one to six inputs) are supported.

use crate::field::Fr;
use ark_ff::Field;
use std::sync::OnceLock;

/// Full rounds, split evenly before and after the partial rounds.
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds for t = 2, 3, ... (circomlib's table, from the Poseidon paper's script).
pub const PARTIAL_ROUNDS: [usize; 6] = [56, 57, 56, 60, 60, 63];
/// The most inputs one Poseidon call takes here.
pub const MAX_INPUTS: usize = PARTIAL_ROUNDS.len();

/// The parameters of one Poseidon width.
#[derive(Debug)]
pub struct PoseidonParams {
    /// State width: inputs + 1.
    pub t: usize,
    /// Number of partial rounds.
    pub partial_rounds: usize,
    /// Round constants, `t` per round, rounds in order.
    pub round_constants: Vec<Fr>,
    /// The MDS matrix, row-major: `new[i] = sum_j mds[i][j] * old[j]`.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total rounds.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` applies the S-box to the whole state.
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }
}

#[derive(serde::Deserialize)]
struct ConstantsFile {
    #[serde(rename = "C")]
    c: Vec<Vec<String>>,
    #[serde(rename = "M")]
    m: Vec<Vec<Vec<String>>>,
}

fn parse_hex(s: &str) -> Fr {
    let n = num_bigint::BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_else(|| panic!("bad Poseidon constant {s}"));
    Fr::from(n)
}

fn all_params() -> &'static [PoseidonParams] {
    static PARAMS: OnceLock<Vec<PoseidonParams>> = OnceLock::new();
    PARAMS.get_or_init(|| {
        // The file is compiled in; a parse failure is a build defect, caught by every test.
        let file: ConstantsFile =
            serde_json::from_str(include_str!("constants.json")).unwrap_or_else(|e| panic!("poseidon constants: {e}"));
        file.c
            .iter()
            .zip(&file.m)
            .zip(PARTIAL_ROUNDS)
            .enumerate()
            .map(|(i, ((c, m), partial_rounds))| PoseidonParams {
                t: i + 2,
                partial_rounds,
                round_constants: c.iter().map(|x| parse_hex(x)).collect(),
                mds: m.iter().map(|row| row.iter().map(|x| parse_hex(x)).collect()).collect(),
            })
            .collect()
    })
}

/// The parameters for hashing `inputs` field elements.
///
/// # Panics
/// If `inputs` is 0 or above [`MAX_INPUTS`]: every caller in Causeway uses a fixed width.
pub fn params(inputs: usize) -> &'static PoseidonParams {
    assert!((1..=MAX_INPUTS).contains(&inputs), "poseidon takes 1..={MAX_INPUTS} inputs");
    &all_params()[inputs - 1]
}

/// circomlib's `Poseidon(n)`: the first state element after the permutation of `[0, inputs..]`.
pub fn poseidon(inputs: &[Fr]) -> Fr {
    let p = params(inputs.len());
    let mut state: Vec<Fr> = std::iter::once(Fr::from(0u64)).chain(inputs.iter().copied()).collect();
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * p.t..]) {
            *s += c;
        }
        if p.is_full_round(r) {
            state.iter_mut().for_each(|s| *s = pow5(*s));
        } else {
            state[0] = pow5(state[0]);
        }
        state = p.mds.iter().map(|row| row.iter().zip(&state).map(|(m, s)| *m * s).sum()).collect();
    }
    state[0]
}

fn pow5(x: Fr) -> Fr {
    x.square().square() * x
}
