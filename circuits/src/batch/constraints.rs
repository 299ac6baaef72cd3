//! The batch circuit's constraints.
//!
//! Per slot: one-hot operation flags, the slot's 16 pubdata bytes as bits, the fields of the
//! operation read from those bytes (an operation sees the next seven chunks), two leaf updates
//! (A: the payer / depositor / exiting account; B: the payee), an EdDSA check enforced for
//! signed operations, and 128-bit range checks of both new balances. After all slots the fees
//! go to the operator's account, and the header and pubdata are hashed with SHA-256 into the
//! one public input.

use super::{BatchWitness, CircuitParams, SlotFlags};
use crate::gadgets::{
    Bit, ConstraintF, FrVar,
    bits::{
        alloc_bits, be_bytes_of, be_field_bits, canonical_be_bytes, enforce_less_than_constant_if, enforce_zero_if,
        pack_le, range_check,
    },
    eddsa::{PointVar, SignatureVar, verify_if},
    merkle::PathVar,
    poseidon::{first_round_constant, first_sboxes, poseidon, poseidon_from_first_sboxes, sbox},
    sha256::sha256,
};
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_r1cs_std::{fields::FieldVar, prelude::*};
use ark_relations::{
    gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
    ns,
};
use causeway_protocol::{
    Account, LeafUpdate, Point, Signature,
    account::address_to_field,
    domain::DOMAIN_BYTES,
    float::{AMOUNT, FEE, FloatFormat},
    ops::op_type,
    pubdata::{CHUNK_BYTES, MAX_OP_CHUNKS, chunks_of, layout},
};
use std::collections::BTreeMap;

/// The balance's place among a leaf's Poseidon inputs (pk.x, pk.y, balance, nonce, owner,
/// token).
const BALANCE_FIELD: usize = 2;

/// Constraints per part of the circuit, as measured while synthesising it.
pub type Breakdown = BTreeMap<&'static str, usize>;

/// The batch circuit; `witness` is `None` for setup.
#[derive(Clone)]
pub struct BatchCircuit {
    /// Shape.
    pub params: CircuitParams,
    /// Private inputs.
    pub witness: Option<BatchWitness>,
}

impl ConstraintSynthesizer<ConstraintF> for BatchCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<ConstraintF>) -> Result<(), SynthesisError> {
        self.synthesize(cs, &mut Breakdown::new())
    }
}

struct Meter<'a> {
    cs: ConstraintSystemRef<ConstraintF>,
    last: usize,
    out: &'a mut Breakdown,
}

impl Meter<'_> {
    fn charge(&mut self, part: &'static str) {
        let now = self.cs.num_constraints();
        *self.out.entry(part).or_default() += now - self.last;
        self.last = now;
    }
}

fn missing() -> SynthesisError {
    SynthesisError::AssignmentMissing
}

fn witness(cs: &ConstraintSystemRef<ConstraintF>, v: Option<ConstraintF>) -> Result<FrVar, SynthesisError> {
    FrVar::new_witness(cs.clone(), || v.ok_or_else(missing))
}

fn flag(cs: &ConstraintSystemRef<ConstraintF>, v: Option<bool>) -> Result<Bit, SynthesisError> {
    Bit::new_witness(cs.clone(), || v.ok_or_else(missing))
}

/// An account's leaf fields as variables.
struct AccountVar {
    pk: PointVar,
    balance: FrVar,
    nonce: FrVar,
    owner: FrVar,
    token: FrVar,
}

impl AccountVar {
    fn new_witness(cs: &ConstraintSystemRef<ConstraintF>, a: Option<&Account>) -> Result<Self, SynthesisError> {
        Ok(Self {
            pk: PointVar::new_witness(cs.clone(), a.map(|a| a.pubkey))?,
            balance: witness(cs, a.map(|a| ConstraintF::from(a.balance)))?,
            nonce: witness(cs, a.map(|a| ConstraintF::from(a.nonce)))?,
            owner: witness(cs, a.map(|a| address_to_field(&a.owner)))?,
            token: witness(cs, a.map(|a| ConstraintF::from(a.token)))?,
        })
    }

    fn fields(&self) -> [FrVar; 6] {
        [
            self.pk.x.clone(),
            self.pk.y.clone(),
            self.balance.clone(),
            self.nonce.clone(),
            self.owner.clone(),
            self.token.clone(),
        ]
    }

    fn leaf(&self) -> Result<FrVar, SynthesisError> {
        poseidon(&self.fields())
    }

    /// The leaf and the leaf with `balance` in place of the balance: the five unchanged fields'
    /// first-round S-boxes serve both hashes (15 constraints fewer than two [`Self::leaf`]s).
    fn leaf_and_with_balance(&self, balance: &FrVar) -> Result<(FrVar, FrVar), SynthesisError> {
        let before = first_sboxes(&self.fields())?;
        let mut after = before.clone();
        after[BALANCE_FIELD] = sbox(&(balance + first_round_constant(before.len(), BALANCE_FIELD)))?;
        Ok((poseidon_from_first_sboxes(&before)?, poseidon_from_first_sboxes(&after)?))
    }

    /// Whether the leaf is unused (public key (0, 0)).
    fn is_empty(&self) -> Result<Bit, SynthesisError> {
        Ok(self.pk.x.is_zero()? & self.pk.y.is_zero()?)
    }
}

/// One leaf update: the index bits, the old account and the Merkle path.
struct UpdateVar {
    index: FrVar,
    path: PathVar,
    before: AccountVar,
}

impl UpdateVar {
    fn new_witness(
        cs: &ConstraintSystemRef<ConstraintF>,
        depth: u32,
        u: Option<&LeafUpdate>,
    ) -> Result<Self, SynthesisError> {
        let bits = alloc_bits(cs.clone(), u.map(|u| ConstraintF::from(u.index)), depth as usize)?;
        Self::with_bits(cs, &bits, u)
    }

    fn with_bits(
        cs: &ConstraintSystemRef<ConstraintF>,
        bits: &[Bit],
        u: Option<&LeafUpdate>,
    ) -> Result<Self, SynthesisError> {
        Ok(Self {
            index: pack_le(bits),
            path: PathVar::new(cs.clone(), bits, u.map(|u| u.proof.siblings.as_slice()))?,
            before: AccountVar::new_witness(cs, u.map(|u| &u.before))?,
        })
    }

    /// Adds `amount` to the balance (range-checked) and changes nothing else.
    fn credit(&self, root: &FrVar, amount: &FrVar, m: &mut Meter) -> Result<FrVar, SynthesisError> {
        let balance = &self.before.balance + amount;
        {
            let _rule = ns!(self.index.cs(), "credit_balance_range");
            range_check(&balance, 128)?;
        }
        m.charge("range_checks");
        let (old_leaf, new_leaf) = self.before.leaf_and_with_balance(&balance)?;
        m.charge("leaf_hashes");
        self.replace(root, &old_leaf, &new_leaf, m)
    }

    /// Checks the old leaf against `root`, returns the root with `after` in its place.
    fn apply(&self, root: &FrVar, after: &AccountVar, m: &mut Meter) -> Result<FrVar, SynthesisError> {
        let old_leaf = self.before.leaf()?;
        let new_leaf = after.leaf()?;
        m.charge("leaf_hashes");
        self.replace(root, &old_leaf, &new_leaf, m)
    }

    /// Checks `old_leaf` at the index against `root`, returns the root with `new_leaf` there.
    fn replace(
        &self,
        root: &FrVar,
        old_leaf: &FrVar,
        new_leaf: &FrVar,
        m: &mut Meter,
    ) -> Result<FrVar, SynthesisError> {
        let (old_root, new_root) = self.path.roots(old_leaf, new_leaf)?;
        {
            let _rule = ns!(root.cs(), "old_leaf_in_root");
            old_root.enforce_equal(root)?;
        }
        m.charge("merkle");
        Ok(new_root)
    }
}

/// A decimal float read from pubdata bits (little-endian bits of the packed value).
fn decode_float(bits: &[Bit], format: FloatFormat) -> Result<FrVar, SynthesisError> {
    let m = format.mantissa_bits as usize;
    let mantissa = pack_le(&bits[..m]);
    let mut scale = FrVar::one();
    for (k, e) in bits[m..m + format.exponent_bits as usize].iter().enumerate() {
        let factor = ConstraintF::from(10u64).pow([1u64 << k]) - ConstraintF::ONE;
        let term = FrVar::one() + FrVar::from(e.clone()) * factor;
        scale = if k == 0 { term } else { scale * term };
    }
    Ok(mantissa * scale)
}

/// A field element's canonical 32 big-endian bytes, as 8 little-endian bits per byte.
fn be_bytes_bits(x: &FrVar) -> Result<Vec<Bit>, SynthesisError> {
    canonical_be_bytes(&x.to_non_unique_bits_le()?)
}

impl BatchCircuit {
    /// Synthesises the circuit, adding the constraints of each part to `breakdown`. Every rule is
    /// enforced inside a gr1cs namespace named after it, so that `which_is_unsatisfied` names the
    /// rule a witness breaks.
    pub fn synthesize(
        &self,
        cs: ConstraintSystemRef<ConstraintF>,
        breakdown: &mut Breakdown,
    ) -> Result<(), SynthesisError> {
        let CircuitParams { depth, slots } = self.params;
        let w = self.witness.as_ref();
        if w.is_some_and(|w| w.slots.len() != slots || w.pubdata.len() != slots * CHUNK_BYTES) {
            return Err(SynthesisError::Unsatisfiable);
        }
        let mut m = Meter { cs: cs.clone(), last: cs.num_constraints(), out: breakdown };

        // Public input first, then witnesses.
        let commitment = FrVar::new_input(cs.clone(), || w.map(BatchWitness::commitment).ok_or_else(missing))?;

        let pubdata: Vec<Bit> = (0..slots * CHUNK_BYTES)
            .map(|k| alloc_bits(cs.clone(), w.map(|w| ConstraintF::from(w.pubdata[k])), 8))
            .collect::<Result<Vec<_>, _>>()?
            .concat();
        let header = w.map(|w| w.header);
        let number = alloc_bits(cs.clone(), header.map(|h| ConstraintF::from(h.number)), 64)?;
        let priority_start = alloc_bits(cs.clone(), header.map(|h| ConstraintF::from(h.priority_start)), 64)?;
        let priority_count = alloc_bits(cs.clone(), header.map(|h| ConstraintF::from(h.priority_count)), 32)?;
        let fee_account = alloc_bits(cs.clone(), header.map(|h| ConstraintF::from(h.fee_account)), 32)?;
        let old_root = witness(&cs, header.map(|h| h.old_root))?;
        // The deployment (chain id ‖ rollup address, 224 bits): hashed into the commitment, where
        // the contract supplies its own, and into every signed message.
        let domain_bits = alloc_bits(cs.clone(), w.map(|w| w.domain.to_field()), DOMAIN_BYTES * 8)?;
        let domain_tag = pack_le(&domain_bits) * ConstraintF::from(256u64);
        m.charge("pubdata");

        // The fee account's update, allocated first: every fee must be in its token.
        {
            let _rule = ns!(cs, "fee_account_in_tree");
            pack_le(&fee_account[depth as usize..]).enforce_equal(&FrVar::zero())?;
        }
        let f = UpdateVar::with_bits(&cs, &fee_account[..depth as usize], w.map(|w| &w.fee_update))?;
        m.charge("pubdata");

        let mut root = old_root.clone();
        let mut remaining = FrVar::zero();
        let mut fees = FrVar::zero();
        let mut priority_ops = FrVar::zero();
        for j in 0..slots {
            let slot = w.map(|w| &w.slots[j]);
            // The operation starting here sees the next MAX_OP_CHUNKS chunks (zero past the end).
            let view: Vec<Bit> = (0..MAX_OP_CHUNKS * CHUNK_BYTES * 8)
                .map(|i| pubdata.get(j * CHUNK_BYTES * 8 + i).cloned().unwrap_or(Bit::FALSE))
                .collect();
            let field = |start: usize, len: usize| be_field_bits(&view, start, len);
            let flags = slot.map(|s| s.flags);
            let is = |f: fn(&SlotFlags) -> bool| flag(&cs, flags.as_ref().map(f));
            let (f_noop, f_dep, f_tr, f_wd, f_fe, f_cont, f_ft, f_fw) = (
                is(|f| f.noop)?,
                is(|f| f.deposit)?,
                is(|f| f.transfer)?,
                is(|f| f.withdraw)?,
                is(|f| f.full_exit)?,
                is(|f| f.continuation)?,
                is(|f| f.forced_transfer)?,
                is(|f| f.forced_withdraw)?,
            );
            let [noop, dep, tr, wd, fe, cont, ft, fw] =
                [&f_noop, &f_dep, &f_tr, &f_wd, &f_fe, &f_cont, &f_ft, &f_fw].map(|b| FrVar::from((*b).clone()));
            let forced = &ft + &fw;
            {
                let _rule = ns!(cs, "one_hot_flags");
                (&noop + &dep + &tr + &wd + &fe + &cont + &forced).enforce_equal(&FrVar::one())?;
            }

            // Chunk accounting: a slot continues an operation exactly while chunks remain.
            {
                let _rule = ns!(cs, "continuation_flag");
                remaining.is_neq(&FrVar::zero())?.enforce_equal(&f_cont)?;
            }
            let extra = |k: u8| ConstraintF::from(chunks_of(k).unwrap_or(1) as u64 - 1);
            remaining = &remaining - &cont
                + &dep * extra(op_type::DEPOSIT)
                + &wd * extra(op_type::WITHDRAW)
                + &fe * extra(op_type::FULL_EXIT)
                + &forced * extra(op_type::FORCED_TRANSFER);
            let code = |k: u8| ConstraintF::from(k);
            let type_code = &dep * code(op_type::DEPOSIT)
                + &tr * code(op_type::TRANSFER)
                + &wd * code(op_type::WITHDRAW)
                + &fe * code(op_type::FULL_EXIT)
                + &ft * code(op_type::FORCED_TRANSFER)
                + &fw * code(op_type::FORCED_WITHDRAW);
            {
                let _rule = ns!(cs, "type_byte");
                enforce_zero_if(&(FrVar::one() - &cont), &(pack_le(&field(layout::TYPE, 1)) - &type_code))?;
            }
            // Padding is zero.
            {
                let _rule = ns!(cs, "noop_padding");
                enforce_zero_if(&noop, &pack_le(&field(1, CHUNK_BYTES - 1)))?;
            }
            let dep_end = layout::DEPOSIT_TOKEN + 2;
            {
                let _rule = ns!(cs, "deposit_padding");
                enforce_zero_if(
                    &dep,
                    &pack_le(&field(dep_end, chunks_of(op_type::DEPOSIT).unwrap_or(1) * CHUNK_BYTES - dep_end)),
                )?;
            }
            let exit_end = layout::EXIT_AMOUNT + 16;
            {
                let _rule = ns!(cs, "full_exit_padding");
                enforce_zero_if(
                    &fe,
                    &pack_le(&field(exit_end, chunks_of(op_type::FULL_EXIT).unwrap_or(1) * CHUNK_BYTES - exit_end)),
                )?;
            }
            let wd_end = layout::WITHDRAW_TOKEN + 2;
            {
                let _rule = ns!(cs, "withdraw_padding");
                enforce_zero_if(
                    &wd,
                    &pack_le(&field(wd_end, chunks_of(op_type::WITHDRAW).unwrap_or(1) * CHUNK_BYTES - wd_end)),
                )?;
            }

            // Fields. Every operation keeps its first account at bytes 1..5.
            let account_field = pack_le(&field(layout::TRANSFER_FROM, 4));
            let tr_to = pack_le(&field(layout::TRANSFER_TO, 4));
            let tr_amount = decode_float(&field(layout::TRANSFER_AMOUNT, AMOUNT.bytes()), AMOUNT)?;
            let tr_fee = decode_float(&field(layout::TRANSFER_FEE, FEE.bytes()), FEE)?;
            let wd_amount = decode_float(&field(layout::WITHDRAW_AMOUNT, AMOUNT.bytes()), AMOUNT)?;
            let wd_fee = decode_float(&field(layout::WITHDRAW_FEE, FEE.bytes()), FEE)?;
            let wd_to = pack_le(&field(layout::WITHDRAW_TO, 20));
            let wd_token = pack_le(&field(layout::WITHDRAW_TOKEN, 2));
            let dep_amount = pack_le(&field(layout::DEPOSIT_AMOUNT, 16));
            let dep_owner = pack_le(&field(layout::DEPOSIT_OWNER, 20));
            let (dep_x_bits, dep_y_bits) = (field(layout::DEPOSIT_PK_X, 32), field(layout::DEPOSIT_PK_Y, 32));
            let dep_pk = PointVar { x: pack_le(&dep_x_bits), y: pack_le(&dep_y_bits) };
            let dep_token = pack_le(&field(layout::DEPOSIT_TOKEN, 2));
            // A full exit and a forced request share the account and owner offsets; their token
            // and amount sit apart.
            let exit_owner = pack_le(&field(layout::EXIT_OWNER, 20));
            let exit_amount = pack_le(&field(layout::EXIT_AMOUNT, 16));
            let forced_amount = pack_le(&field(layout::FORCED_AMOUNT, 16));
            let request_token =
                &fe * &pack_le(&field(layout::EXIT_TOKEN, 2)) + &forced * &pack_le(&field(layout::FORCED_TOKEN, 2));
            let forced_to = pack_le(&field(layout::FORCED_TO, 4));
            let forced_tail = pack_le(&field(layout::FORCED_EXECUTED, 3 * CHUNK_BYTES - layout::FORCED_EXECUTED));
            m.charge("pubdata");

            let a = UpdateVar::new_witness(&cs, depth, slot.map(|s| &s.updates[0]))?;
            let b = UpdateVar::new_witness(&cs, depth, slot.map(|s| &s.updates[1]))?;
            let empty_a = FrVar::from(a.before.is_empty()?);
            let empty_b = FrVar::from(b.before.is_empty()?);
            {
                let _rule = ns!(cs, "account_index");
                enforce_zero_if(&(&dep + &tr + &wd + &fe + &forced), &(&a.index - &account_field))?;
            }
            {
                let _rule = ns!(cs, "payee_index");
                enforce_zero_if(&tr, &(&b.index - &tr_to))?;
            }
            {
                let _rule = ns!(cs, "forced_payee_index");
                enforce_zero_if(&ft, &(&b.index - &forced_to))?;
            }

            let tr_amount = &tr * &tr_amount;
            let tr_fee = &tr * &tr_fee;
            let wd_amount = &wd * &wd_amount;
            let wd_fee = &wd * &wd_fee;
            let dep_amount = &dep * &dep_amount;
            m.charge("operations");

            // Signed operations: an existing payer's key signs
            // (domain · 2^8 + type, from, to, amount, fee, nonce).
            let signed = &tr + &wd;
            {
                let _rule = ns!(cs, "payer_exists");
                enforce_zero_if(&signed, &empty_a)?;
            }
            let to = &tr * &tr_to + &wd * &wd_to;
            let message = poseidon(&[
                &domain_tag + &type_code,
                a.index.clone(),
                to,
                &tr_amount + &wd_amount,
                &tr_fee + &wd_fee,
                a.before.nonce.clone(),
            ])?;
            // Unsigned slots carry a dummy signature (R8 = Base8, S = 0) that is never enforced.
            let dummy = Signature { r8: Point::base8(), s: Default::default() };
            let signature =
                SignatureVar::new_witness(cs.clone(), slot.map(|s| s.signature.as_ref().unwrap_or(&dummy)))?;
            verify_if(&signed, &a.before.pk, &message, &signature)?;
            m.charge("signature");

            // Deposits: into an empty leaf, or one with the same key and owner.
            let taken = &dep * &(FrVar::one() - &empty_a);
            {
                let _rule = ns!(cs, "deposit_same_key_x");
                enforce_zero_if(&taken, &(&a.before.pk.x - &dep_pk.x))?;
            }
            {
                let _rule = ns!(cs, "deposit_same_key_y");
                enforce_zero_if(&taken, &(&a.before.pk.y - &dep_pk.y))?;
            }
            {
                let _rule = ns!(cs, "deposit_same_owner");
                enforce_zero_if(&taken, &(&a.before.owner - &dep_owner))?;
            }
            {
                let _rule = ns!(cs, "deposit_same_token");
                enforce_zero_if(&taken, &(&a.before.token - &dep_token))?;
            }
            // The key: canonical coordinates (below the field modulus, as the contract checks),
            // on the curve, and not of small order (4·P has x = 0 exactly for the 8-torsion).
            {
                let _rule = ns!(cs, "deposit_key_x_canonical");
                enforce_less_than_constant_if(&dep, &dep_x_bits, &ConstraintF::MODULUS.0)?;
            }
            {
                let _rule = ns!(cs, "deposit_key_y_canonical");
                enforce_less_than_constant_if(&dep, &dep_y_bits, &ConstraintF::MODULUS.0)?;
            }
            {
                let _rule = ns!(cs, "deposit_key_on_curve");
                dep_pk.enforce_on_curve_if(&dep)?;
            }
            let p4 = PointVar::constant(Point::base8()).select(&dep, &dep_pk).double()?.double()?;
            let p4_x_inverse =
                FrVar::new_witness(cs.clone(), || Ok(p4.x.value()?.inverse().unwrap_or(ConstraintF::ZERO)))?;
            {
                let _rule = ns!(cs, "deposit_key_not_small_order");
                enforce_zero_if(&dep, &(&p4.x * &p4_x_inverse - FrVar::one()))?;
            }
            // Full exits pay the whole balance to the owner, in the token it expects, nothing to
            // anyone else.
            let owned = &(FrVar::one() - &empty_a) * &FrVar::from(a.before.owner.is_eq(&exit_owner)?);
            let owned = &owned * &FrVar::from(a.before.token.is_eq(&request_token)?);
            let honoured = &fe * &owned;
            {
                let _rule = ns!(cs, "full_exit_amount");
                enforce_zero_if(&fe, &(&exit_amount - &honoured * &a.before.balance))?;
            }
            // Forced requests move their amount exactly when the requester owns the account,
            // it holds the token, the balance covers the amount and (transfers) the payee
            // exists and holds the token; the pubdata's executed byte records which. `covers`
            // is the witness's claim that balance ≥ amount, held to it by a 128-bit range
            // check of balance − amount if so, of amount − balance − 1 if not (both are below
            // 2^128, as every balance is).
            let covers = FrVar::from(Bit::new_witness(cs.clone(), || {
                let covered = a.before.balance.value()?.into_bigint() >= forced_amount.value()?.into_bigint();
                Ok(covered != crate::tamper::covers_flipped())
            })?);
            {
                let _rule = ns!(cs, "forced_covers");
                let surplus = &a.before.balance - &forced_amount;
                range_check(&(&(&covers + &covers - FrVar::one()) * &surplus + &covers - FrVar::one()), 128)?;
            }
            let payee_takes = &(FrVar::one() - &empty_b) * &FrVar::from(b.before.token.is_eq(&request_token)?);
            let payee_ok = FrVar::one() - &ft * &(FrVar::one() - &payee_takes);
            let executed = &forced * &(&(&owned * &covers) * &payee_ok);
            {
                let _rule = ns!(cs, "forced_executed");
                enforce_zero_if(&forced, &(&forced_tail - &executed))?;
            }
            {
                let _rule = ns!(cs, "forced_withdraw_to");
                enforce_zero_if(&fw, &forced_to)?;
            }
            let moved = &executed * &forced_amount;
            let forced_credit = &ft * &moved;
            let exit_amount = &fe * &exit_amount + &moved;
            m.charge("operations");

            let after_a = AccountVar {
                pk: PointVar {
                    x: &a.before.pk.x + &dep * &(&dep_pk.x - &a.before.pk.x),
                    y: &a.before.pk.y + &dep * &(&dep_pk.y - &a.before.pk.y),
                },
                balance: &a.before.balance + &dep_amount - &tr_amount - &tr_fee - &wd_amount - &wd_fee - &exit_amount,
                nonce: &a.before.nonce + &signed,
                owner: &a.before.owner + &dep * &(&dep_owner - &a.before.owner),
                token: &a.before.token + &dep * &(&dep_token - &a.before.token),
            };
            {
                let _rule = ns!(cs, "payer_balance_range");
                range_check(&after_a.balance, 128)?;
            }
            // Nonces are u32 natively: the 2^32-th signed operation is refused, here too.
            {
                let _rule = ns!(cs, "nonce_range");
                range_check(&after_a.nonce, 32)?;
            }
            m.charge("range_checks");
            root = a.apply(&root, &after_a, &mut m)?;

            {
                let _rule = ns!(cs, "payee_exists");
                enforce_zero_if(&tr, &empty_b)?;
            }
            {
                let _rule = ns!(cs, "transfer_same_token");
                enforce_zero_if(&tr, &(&b.before.token - &a.before.token))?;
            }
            {
                let _rule = ns!(cs, "withdraw_token");
                enforce_zero_if(&wd, &(&wd_token - &a.before.token))?;
            }
            // A fee is paid in the payer's token, which must be the fee account's.
            {
                let _rule = ns!(cs, "fee_token");
                enforce_zero_if(&(&tr_fee + &wd_fee), &(&a.before.token - &f.before.token))?;
            }
            root = b.credit(&root, &(&tr_amount + &forced_credit), &mut m)?;

            fees = fees + &tr_fee + &wd_fee;
            priority_ops = priority_ops + &dep + &fe + &forced;
            m.charge("operations");
        }
        {
            let _rule = ns!(cs, "chunks_complete");
            remaining.enforce_equal(&FrVar::zero())?;
        }
        {
            let _rule = ns!(cs, "priority_count");
            pack_le(&priority_count).enforce_equal(&priority_ops)?;
        }

        // Fees to the operator's (existing) account.
        {
            let _rule = ns!(cs, "fee_account_exists");
            f.before.is_empty()?.enforce_equal(&Bit::FALSE)?;
        }
        let new_root = f.credit(&root, &fees, &mut m)?;

        // commitment = SHA-256(header ‖ domain ‖ pubdata) with the top three bits cleared.
        let mut bytes_bits = be_bytes_bits(&old_root)?;
        bytes_bits.extend(be_bytes_bits(&new_root)?);
        for field in [&number, &priority_start, &priority_count, &fee_account] {
            bytes_bits.extend(be_bytes_of(field));
        }
        bytes_bits.extend(be_bytes_of(&domain_bits));
        bytes_bits.extend(pubdata);
        let digest_bits = sha256(&bytes_bits)?;
        let mut value = be_field_bits(&digest_bits, 0, 32);
        value.truncate(253);
        {
            let _rule = ns!(cs, "commitment");
            pack_le(&value).enforce_equal(&commitment)?;
        }
        m.charge("commitment");
        Ok(())
    }
}
