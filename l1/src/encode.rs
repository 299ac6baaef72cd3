//! The encodings the Rollup contract takes: proofs and verifying keys as 256-bit words, roots as
//! 32-byte words, and the hash by which it knows an account's key and owner.

use crate::L1Error;
use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol_types::SolValue,
};
use causeway_protocol::{eddsa::PublicKey, field::fr_to_be_bytes};

fn words<const N: usize>(bytes: &[u8], what: &str) -> Result<[U256; N], L1Error> {
    if bytes.len() != N * 32 {
        return Err(L1Error::Invalid(format!("{what} must be {} bytes, not {}", N * 32, bytes.len())));
    }
    Ok(std::array::from_fn(|i| U256::from_be_slice(&bytes[i * 32..(i + 1) * 32])))
}

/// A proof's Ethereum encoding (256 bytes) as the 8 words `submitBatch` takes.
pub fn proof_words(proof_eth: &[u8]) -> Result<[U256; 8], L1Error> {
    words(proof_eth, "an Ethereum-encoded proof")
}

/// A verifying key's Ethereum encoding (576 bytes) as the 18 words the constructor takes.
pub fn vk_words(vk_eth: &[u8]) -> Result<[U256; 18], L1Error> {
    words(vk_eth, "an Ethereum-encoded verifying key")
}

/// The verifying key of `keys` as constructor words.
pub fn vk_of(vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>) -> Result<[U256; 18], L1Error> {
    vk_words(&causeway_prover::export::vk_eth(vk))
}

/// The exit circuit's verifying key (five public inputs, 832 bytes) as the 26 constructor words.
pub fn exit_vk_of(vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>) -> Result<[U256; 26], L1Error> {
    words(&causeway_prover::export::vk_eth(vk), "an Ethereum-encoded exit verifying key")
}

/// A state root as the contract stores it.
pub fn root_word(root: &causeway_protocol::Fr) -> B256 {
    B256::from(fr_to_be_bytes(root))
}

/// `keccak256(abi.encode(pkX, pkY, owner, token))`: how the contract knows an account's key,
/// owner and token.
pub fn account_key_hash(pubkey: &PublicKey, owner: &[u8; 20], token: u16) -> B256 {
    let (x, y) = key_words(pubkey);
    keccak256((x, y, Address::from(*owner), U256::from(token)).abi_encode())
}

/// A Baby Jubjub key as the two words `deposit` takes.
pub fn key_words(pubkey: &PublicKey) -> (U256, U256) {
    (U256::from_be_bytes(fr_to_be_bytes(&pubkey.x)), U256::from_be_bytes(fr_to_be_bytes(&pubkey.y)))
}

/// Words as the bytes they encode, big-endian.
pub fn words_bytes(words: &[U256]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes::<32>()).collect()
}
