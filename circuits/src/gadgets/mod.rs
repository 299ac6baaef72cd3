//! R1CS gadgets, each the twin of a native function in `causeway-protocol`.

pub mod bits;
pub mod eddsa;
pub mod merkle;
pub mod poseidon;
pub mod sha256;

/// The one constraint field.
pub type ConstraintF = ark_bn254::Fr;
/// A field variable.
pub type FrVar = ark_r1cs_std::fields::fp::FpVar<ConstraintF>;
/// A boolean variable.
pub type Bit = ark_r1cs_std::boolean::Boolean<ConstraintF>;
