//! Short decimal floats for amounts and fees in pubdata.
//!
//! A float is `mantissa * 10^exponent`, packed as `exponent << mantissa_bits | mantissa` in
//! big-endian bytes. Only values with an exact encoding may be transacted: wallets round
//! *down* with [`FloatFormat::round_down`] before signing, so a user never pays more than asked.

/// A decimal float layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatFormat {
    /// Bits of mantissa.
    pub mantissa_bits: u32,
    /// Bits of decimal exponent.
    pub exponent_bits: u32,
}

/// Transfer and withdrawal amounts: 35-bit mantissa, 5-bit exponent, 5 bytes.
pub const AMOUNT: FloatFormat = FloatFormat { mantissa_bits: 35, exponent_bits: 5 };
/// Fees: 11-bit mantissa, 5-bit exponent, 2 bytes.
pub const FEE: FloatFormat = FloatFormat { mantissa_bits: 11, exponent_bits: 5 };

impl FloatFormat {
    /// Packed size in bytes.
    pub const fn bytes(&self) -> usize {
        ((self.mantissa_bits + self.exponent_bits) as usize).div_ceil(8)
    }

    fn max_mantissa(&self) -> u128 {
        (1u128 << self.mantissa_bits) - 1
    }

    fn max_exponent(&self) -> u32 {
        (1u32 << self.exponent_bits) - 1
    }

    /// The packed encoding of `value` with the smallest exponent, or `None` if it has none.
    pub fn encode(&self, value: u128) -> Option<u64> {
        let mut mantissa = value;
        for exponent in 0..=self.max_exponent() {
            if mantissa <= self.max_mantissa() {
                return Some((u64::from(exponent) << self.mantissa_bits) | mantissa as u64);
            }
            if !mantissa.is_multiple_of(10) {
                return None;
            }
            mantissa /= 10;
        }
        None
    }

    /// The value of a packed float, or `None` if it exceeds 128 bits or has stray high bits.
    pub fn decode(&self, packed: u64) -> Option<u128> {
        if packed >> (self.mantissa_bits + self.exponent_bits) != 0 {
            return None;
        }
        let mantissa = u128::from(packed & ((1u64 << self.mantissa_bits) - 1));
        let exponent = (packed >> self.mantissa_bits) as u32;
        10u128.checked_pow(exponent)?.checked_mul(mantissa)
    }

    /// The largest representable value not above `value`.
    pub fn round_down(&self, value: u128) -> u128 {
        let mut scale = 1u128;
        let mut mantissa = value;
        while mantissa > self.max_mantissa() {
            mantissa /= 10;
            scale *= 10;
        }
        mantissa * scale
    }

    /// Big-endian bytes of a packed float.
    pub fn to_bytes(&self, packed: u64) -> Vec<u8> {
        packed.to_be_bytes()[8 - self.bytes()..].to_vec()
    }

    /// Reads a packed float from big-endian bytes.
    pub fn from_bytes(&self, bytes: &[u8]) -> u64 {
        bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_values_round_trip() {
        for v in [0u128, 1, 999, (1 << 35) - 1, 34_359_738_360, 10u128.pow(18), 123_456_789 * 10u128.pow(20)] {
            let packed = AMOUNT.encode(v).expect("representable");
            assert_eq!(AMOUNT.decode(packed), Some(v), "value {v}");
            assert_eq!(AMOUNT.from_bytes(&AMOUNT.to_bytes(packed)), packed);
        }
    }

    #[test]
    fn inexact_values_are_refused_and_round_down() {
        let v = (1u128 << 35) + 1;
        assert_eq!(AMOUNT.encode(v), None);
        let r = AMOUNT.round_down(v);
        assert!(r < v && AMOUNT.encode(r).is_some());
        assert_eq!(FEE.encode(2049), None);
        assert_eq!(FEE.round_down(2049), 2040);
        assert_eq!(FEE.encode(u128::MAX), None);
    }

    #[test]
    fn decode_refuses_overflow_and_stray_bits() {
        assert_eq!(AMOUNT.decode((31 << 35) | ((1 << 35) - 1)), None);
        assert_eq!(FEE.decode(1 << 16), None);
        assert_eq!(AMOUNT.bytes(), 5);
        assert_eq!(FEE.bytes(), 2);
    }
}
