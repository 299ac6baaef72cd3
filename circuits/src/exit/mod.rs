//! The exit circuit: membership of one account's leaf in the state tree, for exodus mode.
//!
//! Once the Rollup contract is in exodus mode it pays each account's balance as of its last
//! accepted state root to the account's owner, once, against a Groth16 proof of this circuit.
//! The statement is "the leaf at `index` of the 4-ary Poseidon tree with root `root` holds an
//! account whose owner is `owner`, whose token is `token` and whose balance is `balance`" (its
//! key and nonce stay private), for the deployment `domain`.
//!
//! Its public inputs are five field elements, in this order, each of which the contract builds
//! from its own storage or from the exit's calldata: the root, the domain (`chain_id · 2^160 +
//! rollup`, see [`Domain::to_field`]), the account index, `owner + token · 2^160` (the owner
//! address as an integer, the token id above its 160 bits) and the balance. Five inputs cost
//! the verifier about 31k gas (owner and token share one: a sixth would cost 6k more, the
//! circuit's split of the shared one 176 constraints); a SHA-256 digest of the same bytes as a
//! single input would cost the circuit two compression blocks (~52k constraints) against the
//! ~4k of the membership proof at depth 24 (24 index bits, a Poseidon(6) leaf hash, twelve
//! Poseidon(4) levels).

mod constraints;

pub use constraints::ExitCircuit;

use crate::ConstraintF;
use causeway_protocol::{Account, AccountIndex, Domain, MerkleProof, ProtocolError, State, account::address_to_field};

/// Everything an exit proof is made from: the public statement and the private leaf opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitWitness {
    /// The deployment the exit is for.
    pub domain: Domain,
    /// The state root the exit is proved against (the contract's last accepted root).
    pub root: ConstraintF,
    /// The exiting account's index.
    pub index: AccountIndex,
    /// The account's leaf (key, balance, nonce, owner, token).
    pub account: Account,
    /// The leaf's Merkle path to `root`.
    pub proof: MerkleProof,
}

impl ExitWitness {
    /// The exit of account `index` from `state` (its current root).
    pub fn from_state(state: &State, index: AccountIndex) -> Result<Self, ProtocolError> {
        Ok(Self {
            domain: *state.domain(),
            root: state.root(),
            index,
            account: state.account(index),
            proof: state.proof(index)?,
        })
    }

    /// The public inputs in the circuit's order: root, domain, index, owner + token · 2^160,
    /// balance.
    pub fn public_inputs(&self) -> [ConstraintF; 5] {
        [
            self.root,
            self.domain.to_field(),
            ConstraintF::from(self.index),
            owner_token(&self.account),
            ConstraintF::from(self.account.balance),
        ]
    }
}

/// An account's owner and token as the exit circuit's fourth public input:
/// `owner + token · 2^160`.
pub fn owner_token(account: &Account) -> ConstraintF {
    use ark_ff::Field;
    address_to_field(&account.owner) + ConstraintF::from(account.token) * ConstraintF::from(2u64).pow([160u64])
}
