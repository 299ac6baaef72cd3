//! The BN254 scalar field, the one field every Causeway hash, key and circuit lives in.

use ark_ff::{BigInteger, PrimeField};
use num_bigint::BigUint;

/// The BN254 scalar field (also the base field of Baby Jubjub).
pub type Fr = ark_bn254::Fr;

/// Parses a decimal string into a field element, refusing values that are not canonical.
pub fn fr_from_decimal(s: &str) -> Option<Fr> {
    let n: BigUint = s.parse().ok()?;
    if n >= Fr::MODULUS.into() || s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Fr::from(n))
}

/// The decimal representation of a field element, as snarkjs and circomlibjs print it.
pub fn fr_to_decimal(x: &Fr) -> String {
    let n: BigUint = x.into_bigint().into();
    n.to_string()
}

/// The 32-byte big-endian encoding of a field element (the EVM's word order).
pub fn fr_to_be_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// Reads a 32-byte big-endian word, refusing values that are not canonical field elements.
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let n = BigUint::from_bytes_be(bytes);
    (n < Fr::MODULUS.into()).then(|| Fr::from(n))
}

/// serde helpers for field elements as decimal strings.
pub mod serde_decimal {
    use super::{Fr, fr_from_decimal, fr_to_decimal};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Serialises a field element as a decimal string.
    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fr_to_decimal(x))
    }

    /// Deserialises a canonical decimal string into a field element.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let s = String::deserialize(d)?;
        fr_from_decimal(&s).ok_or_else(|| D::Error::custom("not a canonical field element"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trip_and_rejects_non_canonical() {
        let x = Fr::from(123456789u64);
        assert_eq!(fr_from_decimal(&fr_to_decimal(&x)), Some(x));
        let modulus: BigUint = Fr::MODULUS.into();
        assert_eq!(fr_from_decimal(&modulus.to_string()), None);
        assert_eq!(fr_from_decimal("-1"), None);
        assert_eq!(fr_from_decimal(""), None);
        assert_eq!(fr_from_be_bytes(&fr_to_be_bytes(&x)), Some(x));
        assert_eq!(fr_from_be_bytes(&[0xff; 32]), None);
    }
}
