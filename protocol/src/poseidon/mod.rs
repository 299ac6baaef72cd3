//! Poseidon over the BN254 scalar field with circomlib's parameters.
//!
//! The round constants and MDS matrices are circomlibjs's (`poseidon_constants.json`, exported by
//! `contracts/scripts/gen-vectors.mjs`), so hashes agree with circom circuits, circomlibjs and
//! every wallet built on them. Widths t = 2..=7 (one to six inputs) are supported.

use crate::field::Fr;
use ark_ff::{AdditiveGroup, Field};
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
///
/// Computed with circomlibjs's optimised schedule (`poseidon_opt`: sparse partial rounds, about
/// 2.5 times fewer multiplications); the plain round structure in [`PoseidonParams`] is what the
/// circuit uses, and the test vectors hold both to circomlibjs's reference.
pub fn poseidon(inputs: &[Fr]) -> Fr {
    let p = &all_opt_params()[inputs.len().clamp(1, MAX_INPUTS) - 1];
    assert!((1..=MAX_INPUTS).contains(&inputs.len()), "poseidon takes 1..={MAX_INPUTS} inputs");
    let t = p.t;
    let half = FULL_ROUNDS / 2;
    let mut state = [Fr::ZERO; MAX_INPUTS + 1];
    state[1..t].copy_from_slice(inputs);
    let state = &mut state[..t];
    let add = |state: &mut [Fr], c: &[Fr]| state.iter_mut().zip(c).for_each(|(s, c)| *s += c);
    let mix = |state: &mut [Fr], m: &[Vec<Fr>]| {
        let mut out = [Fr::ZERO; MAX_INPUTS + 1];
        for (j, s) in state.iter().enumerate() {
            for (i, o) in out[..state.len()].iter_mut().enumerate() {
                *o += m[j][i] * s;
            }
        }
        state.copy_from_slice(&out[..state.len()]);
    };
    let sbox_all = |state: &mut [Fr]| state.iter_mut().for_each(|s| *s = pow5(*s));

    add(state, &p.c[..t]);
    for r in 0..half - 1 {
        sbox_all(state);
        add(state, &p.c[(r + 1) * t..]);
        mix(state, &p.m);
    }
    sbox_all(state);
    add(state, &p.c[half * t..]);
    mix(state, &p.p);
    for r in 0..p.partial_rounds {
        state[0] = pow5(state[0]) + p.c[(half + 1) * t + r];
        let s = &p.s[(2 * t - 1) * r..];
        let s0 = state.iter().zip(s).map(|(a, s)| *a * s).sum();
        let first = state[0];
        for k in 1..t {
            state[k] += first * s[t + k - 1];
        }
        state[0] = s0;
    }
    for r in 0..half - 1 {
        sbox_all(state);
        add(state, &p.c[(half + 1) * t + p.partial_rounds + r * t..]);
        mix(state, &p.m);
    }
    sbox_all(state);
    mix(state, &p.m);
    state[0]
}

/// circomlibjs's optimised constants for one width.
struct OptParams {
    t: usize,
    partial_rounds: usize,
    c: Vec<Fr>,
    s: Vec<Fr>,
    m: Vec<Vec<Fr>>,
    p: Vec<Vec<Fr>>,
}

#[derive(serde::Deserialize)]
struct OptFile {
    #[serde(rename = "C")]
    c: Vec<Vec<String>>,
    #[serde(rename = "S")]
    s: Vec<Vec<String>>,
    #[serde(rename = "M")]
    m: Vec<Vec<Vec<String>>>,
    #[serde(rename = "P")]
    p: Vec<Vec<Vec<String>>>,
}

fn all_opt_params() -> &'static [OptParams] {
    static PARAMS: OnceLock<Vec<OptParams>> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let file: OptFile = serde_json::from_str(include_str!("constants_opt.json"))
            .unwrap_or_else(|e| panic!("poseidon constants: {e}"));
        let row = |v: &Vec<String>| v.iter().map(|x| parse_hex(x)).collect::<Vec<_>>();
        (0..MAX_INPUTS)
            .map(|i| OptParams {
                t: i + 2,
                partial_rounds: PARTIAL_ROUNDS[i],
                c: row(&file.c[i]),
                s: row(&file.s[i]),
                m: file.m[i].iter().map(row).collect(),
                p: file.p[i].iter().map(row).collect(),
            })
            .collect()
    })
}

fn pow5(x: Fr) -> Fr {
    x.square().square() * x
}
