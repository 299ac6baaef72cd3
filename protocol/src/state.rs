//! The native state transition: accounts in a [`MerkleTree`], operations applied one at a time
//! or as a batch, every rule checked before anything changes.

use crate::{
    account::{Account, AccountIndex, TokenId},
    batch::{BatchHeader, commitment},
    domain::Domain,
    eddsa::verify,
    error::ProtocolError,
    field::Fr,
    float::{AMOUNT, FEE},
    ops::Operation,
    pubdata::{CHUNK_BYTES, PubdataOp},
    tree::{MerkleProof, MerkleTree},
};
use std::collections::HashMap;

/// One leaf change, with the proof of the old leaf against the root just before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafUpdate {
    /// The account changed.
    pub index: AccountIndex,
    /// The account before.
    pub before: Account,
    /// The account after.
    pub after: Account,
    /// Proof of `before` (and, with the same siblings, of `after`).
    pub proof: MerkleProof,
}

/// What applying one operation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The operation.
    pub op: Operation,
    /// Leaf changes in the order made (none for a Noop, one or two otherwise).
    pub updates: Vec<LeafUpdate>,
    /// The fee the operator earns.
    pub fee: u128,
    /// The token of the fee (the payer's).
    pub fee_token: TokenId,
    /// The operation as pubdata records it.
    pub pubdata: PubdataOp,
}

/// What an operation would do, as [`State::check`] finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The accounts it would write, in order.
    pub changes: Vec<(AccountIndex, Account)>,
    /// The fee the operator would earn.
    pub fee: u128,
    /// The token the fee is paid in (the payer's; ether for operations without a fee).
    pub fee_token: TokenId,
    /// The operation as pubdata would record it.
    pub pubdata: PubdataOp,
}

/// A sealed batch's transition: everything a prover and the base chain need.
#[derive(Clone, Debug)]
pub struct BatchTransition {
    /// The header committed to by the proof.
    pub header: BatchHeader,
    /// The deployment the batch is for (part of the commitment).
    pub domain: Domain,
    /// Slots in the batch.
    pub slots: usize,
    /// The applied operations, in slot order (padding Noops included).
    pub ops: Vec<Applied>,
    /// Per slot, the two leaf updates the circuit proves, in order. A slot that changes fewer
    /// than two leaves repeats an unchanged leaf (the last one changed, else account 0), so
    /// every slot has the same shape.
    pub slot_updates: Vec<[LeafUpdate; 2]>,
    /// The credit of all fees to the operator's account, after every slot.
    pub fee_update: LeafUpdate,
    /// The batch pubdata (`slots * CHUNK_BYTES` bytes).
    pub pubdata: Vec<u8>,
}

impl BatchTransition {
    /// The single public input of the batch proof.
    pub fn commitment(&self) -> Fr {
        commitment(&self.header, &self.domain, &self.pubdata)
    }

    /// Each account the batch changed, in index order: (index, before the batch, after it).
    pub fn account_changes(&self) -> Vec<(AccountIndex, Account, Account)> {
        let mut changes: std::collections::BTreeMap<AccountIndex, (Account, Account)> = Default::default();
        for u in self.ops.iter().flat_map(|a| a.updates.iter()).chain(std::iter::once(&self.fee_update)) {
            changes.entry(u.index).and_modify(|e| e.1 = u.after).or_insert((u.before, u.after));
        }
        changes.into_iter().map(|(i, (before, after))| (i, before, after)).collect()
    }

    /// The fees the batch credits to the operator.
    pub fn fees(&self) -> u128 {
        self.ops.iter().map(|a| a.fee).sum()
    }

    /// Operations other than padding.
    pub fn op_count(&self) -> usize {
        self.ops.iter().filter(|a| a.op != Operation::Noop).count()
    }
}

/// How [`Ledger::check`] treats the signature of a signed operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signatures {
    /// Verify it against the payer's key.
    Verify,
    /// The caller already verified it against the payer's key (keys never change once set).
    Verified,
}

/// Accounts without the tree: enough to check operations, nothing to prove them. The
/// sequencer keeps one as its accepted state, where hashing would be wasted work.
#[derive(Clone, Debug)]
pub struct Ledger {
    capacity: u64,
    domain: Domain,
    accounts: HashMap<AccountIndex, Account>,
}

impl Ledger {
    /// An empty ledger of 2^depth accounts, whose signatures are for the deployment `domain`.
    pub fn new(depth: u32, domain: Domain) -> Result<Self, ProtocolError> {
        crate::tree::check_depth(depth)?;
        Ok(Self { capacity: 1u64 << depth, domain, accounts: HashMap::new() })
    }

    /// The deployment whose signatures this ledger accepts.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The account at `index` ([`Account::EMPTY`] if unused).
    pub fn account(&self, index: AccountIndex) -> Account {
        self.accounts.get(&index).copied().unwrap_or(Account::EMPTY)
    }

    /// Iterates over the non-empty accounts.
    pub fn accounts(&self) -> impl Iterator<Item = (AccountIndex, &Account)> {
        self.accounts.iter().map(|(i, a)| (*i, a))
    }

    /// Refuses an index past the capacity.
    pub fn check_index(&self, index: AccountIndex) -> Result<(), ProtocolError> {
        if u64::from(index) >= self.capacity {
            return Err(ProtocolError::IndexOutOfRange { index, capacity: self.capacity });
        }
        Ok(())
    }

    /// Writes an account (no rule is checked).
    pub fn insert(&mut self, index: AccountIndex, account: Account) -> Result<(), ProtocolError> {
        self.check_index(index)?;
        if account == Account::EMPTY {
            self.accounts.remove(&index);
        } else {
            self.accounts.insert(index, account);
        }
        Ok(())
    }

    /// Writes what [`Ledger::check`] found.
    pub fn commit(&mut self, checked: &Checked) -> Result<(), ProtocolError> {
        for (index, account) in &checked.changes {
            self.insert(*index, *account)?;
        }
        Ok(())
    }

    fn existing(&self, index: AccountIndex) -> Result<Account, ProtocolError> {
        self.check_index(index)?;
        let a = self.account(index);
        if a.is_empty() {
            return Err(ProtocolError::UnknownAccount(index));
        }
        Ok(a)
    }

    /// Checks an operation against these accounts without changing them.
    pub fn check(&self, op: &Operation, signatures: Signatures) -> Result<Checked, ProtocolError> {
        // The message is a Poseidon hash: only computed when the signature is to be verified.
        let signed = |key, message: &dyn Fn() -> Fr, signature| {
            signatures == Signatures::Verified || verify(key, message(), signature)
        };
        let mut changes = Vec::new();
        let mut fee = 0;
        let mut fee_token = crate::account::ETHER;
        let mut exit_amount = 0;
        let mut executed = false;
        match *op {
            Operation::Noop => {}
            Operation::Deposit(d) => {
                if !d.pubkey.is_valid_key() {
                    return Err(ProtocolError::InvalidPublicKey);
                }
                self.check_index(d.account)?;
                let mut a = self.account(d.account);
                if a.is_empty() {
                    a = Account { pubkey: d.pubkey, balance: 0, nonce: 0, owner: d.owner, token: d.token };
                } else if a.pubkey != d.pubkey || a.owner != d.owner || a.token != d.token {
                    return Err(ProtocolError::AccountTaken(d.account));
                }
                a.balance = a.balance.checked_add(d.amount).ok_or(ProtocolError::BalanceOverflow)?;
                changes.push((d.account, a));
            }
            Operation::Transfer(t) => {
                check_floats(t.amount, t.fee)?;
                let mut from = self.existing(t.from)?;
                let mut to = self.existing(t.to)?;
                if to.token != from.token {
                    return Err(ProtocolError::TokenMismatch {
                        from: t.from,
                        from_token: from.token,
                        to: t.to,
                        to_token: to.token,
                    });
                }
                let ok = signed(&from.pubkey, &|| t.message(&self.domain), &t.signature);
                debit(&mut from, t.amount, t.fee, t.nonce, ok)?;
                changes.push((t.from, from));
                if t.to == t.from {
                    to = from;
                }
                to.balance = to.balance.checked_add(t.amount).ok_or(ProtocolError::BalanceOverflow)?;
                changes.push((t.to, to));
                fee = t.fee;
                fee_token = from.token;
            }
            Operation::Withdraw(w) => {
                check_floats(w.amount, w.fee)?;
                let mut from = self.existing(w.from)?;
                let ok = signed(&from.pubkey, &|| w.message(&self.domain), &w.signature);
                debit(&mut from, w.amount, w.fee, w.nonce, ok)?;
                changes.push((w.from, from));
                fee = w.fee;
                fee_token = from.token;
            }
            Operation::FullExit(e) => {
                self.check_index(e.account)?;
                let mut a = self.account(e.account);
                // A request by someone who does not own the account, or for another token than
                // it holds, is consumed and pays nothing.
                if !a.is_empty() && a.owner == e.owner && a.token == e.token {
                    exit_amount = a.balance;
                    a.balance = 0;
                }
                changes.push((e.account, a));
            }
            Operation::Forced(f) => {
                // The base chain authenticated the owner; the batch must execute the request
                // whatever the state: it moves the amount only if the requester owns the
                // account, the account holds the token, the balance covers it and the payee
                // exists and holds the token, else it changes nothing.
                // A transfer's second leaf update is the payee's, even when it is a no-op.
                self.check_index(f.account)?;
                let mut a = self.account(f.account);
                if let Some(to) = f.to {
                    self.check_index(to)?;
                }
                let payee_takes = f.to.is_none_or(|to| {
                    let b = self.account(to);
                    to == f.account || (!b.is_empty() && b.token == f.token)
                });
                executed =
                    !a.is_empty() && a.owner == f.owner && a.token == f.token && a.balance >= f.amount && payee_takes;
                if executed {
                    a.balance -= f.amount;
                }
                changes.push((f.account, a));
                if let Some(to) = f.to {
                    let mut b = if to == f.account { a } else { self.account(to) };
                    if executed {
                        b.balance = b.balance.checked_add(f.amount).ok_or(ProtocolError::BalanceOverflow)?;
                    }
                    changes.push((to, b));
                }
            }
        }
        let token = changes.first().map_or(crate::account::ETHER, |(_, a)| a.token);
        Ok(Checked { changes, fee, fee_token, pubdata: PubdataOp::of(op, token, exit_amount, executed) })
    }
}

/// The rollup state: a [`Ledger`] and the tree of its leaf hashes.
#[derive(Clone, Debug)]
pub struct State {
    tree: MerkleTree,
    ledger: Ledger,
}

impl State {
    /// An empty state of 2^depth accounts for the deployment `domain`.
    pub fn new(depth: u32, domain: Domain) -> Result<Self, ProtocolError> {
        Ok(Self { tree: MerkleTree::new(depth, Account::EMPTY.leaf_hash())?, ledger: Ledger::new(depth, domain)? })
    }

    /// The deployment whose signatures and batches this state accepts.
    pub fn domain(&self) -> &Domain {
        self.ledger.domain()
    }

    /// Tree depth in bits.
    pub fn depth(&self) -> u32 {
        self.tree.depth()
    }

    /// The state root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// The accounts without the tree.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The account at `index` ([`Account::EMPTY`] if unused).
    pub fn account(&self, index: AccountIndex) -> Account {
        self.ledger.account(index)
    }

    /// Iterates over the non-empty accounts.
    pub fn accounts(&self) -> impl Iterator<Item = (AccountIndex, &Account)> {
        self.ledger.accounts()
    }

    /// Membership proof of the account at `index`.
    pub fn proof(&self, index: AccountIndex) -> Result<MerkleProof, ProtocolError> {
        self.tree.proof(index)
    }

    /// Writes an account directly (genesis and recovery only: no rule is checked).
    pub fn insert(&mut self, index: AccountIndex, account: Account) -> Result<(), ProtocolError> {
        self.tree.set(index, account.leaf_hash())?;
        self.ledger.insert(index, account)
    }

    fn existing(&self, index: AccountIndex) -> Result<Account, ProtocolError> {
        self.ledger.existing(index)
    }

    /// Checks an operation against the current state without changing it.
    pub fn check(&self, op: &Operation) -> Result<Checked, ProtocolError> {
        self.ledger.check(op, Signatures::Verify)
    }

    /// Applies one operation, or changes nothing and says why not.
    pub fn apply(&mut self, op: &Operation) -> Result<Applied, ProtocolError> {
        self.apply_with(op, Signatures::Verify)
    }

    fn apply_with(&mut self, op: &Operation, signatures: Signatures) -> Result<Applied, ProtocolError> {
        let Checked { changes, fee, fee_token, pubdata } = self.ledger.check(op, signatures)?;
        pubdata.encode()?;
        let updates = changes.into_iter().map(|(index, after)| self.set(index, after)).collect::<Result<_, _>>()?;
        Ok(Applied { op: *op, updates, fee, fee_token, pubdata })
    }

    fn set(&mut self, index: AccountIndex, after: Account) -> Result<LeafUpdate, ProtocolError> {
        let proof = self.tree.proof(index)?;
        let before = self.account(index);
        self.insert(index, after)?;
        Ok(LeafUpdate { index, before, after, proof })
    }

    /// An update of `index` that changes nothing, with its proof against the current root.
    fn touch(&self, index: AccountIndex) -> Result<LeafUpdate, ProtocolError> {
        let account = self.account(index);
        Ok(LeafUpdate { index, before: account, after: account, proof: self.tree.proof(index)? })
    }

    fn undo(&mut self, updates: &[LeafUpdate]) {
        for u in updates.iter().rev() {
            // Restoring a leaf that was just written at a valid index cannot fail.
            let _ = self.insert(u.index, u.before);
        }
    }

    /// Applies a whole batch of `slots` slots: the operations in order, Noops to fill, then all
    /// fees to `fee_account`. On any error the state is left exactly as it was.
    pub fn apply_batch(
        &mut self,
        number: u64,
        priority_start: u64,
        slots: usize,
        fee_account: AccountIndex,
        ops: &[Operation],
    ) -> Result<BatchTransition, ProtocolError> {
        self.apply_batch_with(number, priority_start, slots, fee_account, ops, Signatures::Verify)
    }

    /// [`State::apply_batch`] for a caller that may already have verified the signatures (the
    /// sequencer verifies each one when it accepts the transaction).
    pub fn apply_batch_with(
        &mut self,
        number: u64,
        priority_start: u64,
        slots: usize,
        fee_account: AccountIndex,
        ops: &[Operation],
        signatures: Signatures,
    ) -> Result<BatchTransition, ProtocolError> {
        let needed: usize = ops.iter().map(Operation::slots).sum();
        if needed > slots {
            return Err(ProtocolError::BatchFull { needed, slots });
        }
        let old_root = self.root();
        let fee_token = self.existing(fee_account)?.token;
        let mut applied: Vec<Applied> = Vec::new();
        let mut slot_updates = Vec::with_capacity(slots);
        let result = (|| {
            for op in ops.iter().chain(std::iter::repeat_n(&Operation::Noop, slots - needed)) {
                let a = self.apply_with(op, signatures)?;
                if let Err(e) = check_fee_token(a.fee, a.fee_token, fee_token) {
                    self.undo(&a.updates);
                    return Err(e);
                }
                let touched = a.updates.last().map_or(0, |u| u.index);
                let mut pair = a.updates.clone();
                while pair.len() < 2 {
                    pair.push(self.touch(touched)?);
                }
                slot_updates
                    .push(pair.try_into().unwrap_or_else(|_| unreachable!("an operation changes at most two leaves")));
                for _ in 1..op.slots() {
                    slot_updates.push([self.touch(0)?, self.touch(0)?]);
                }
                applied.push(a);
            }
            let fees = applied
                .iter()
                .try_fold(0u128, |acc, a| acc.checked_add(a.fee))
                .ok_or(ProtocolError::BalanceOverflow)?;
            let mut operator = self.existing(fee_account)?;
            operator.balance = operator.balance.checked_add(fees).ok_or(ProtocolError::BalanceOverflow)?;
            self.set(fee_account, operator)
        })();
        let fee_update = match result {
            Ok(u) => u,
            Err(e) => {
                for a in applied.iter().rev() {
                    self.undo(&a.updates);
                }
                return Err(e);
            }
        };
        let mut pubdata = Vec::with_capacity(slots * CHUNK_BYTES);
        for a in &applied {
            pubdata.extend(a.pubdata.encode()?);
        }
        let priority_count = applied.iter().filter(|a| a.op.is_priority()).count() as u32;
        let header =
            BatchHeader { number, old_root, new_root: self.root(), priority_start, priority_count, fee_account };
        let domain = *self.domain();
        Ok(BatchTransition { header, domain, slots, ops: applied, slot_updates, fee_update, pubdata })
    }
}

impl State {
    /// Undoes a batch that [`State::apply_batch`] just applied (the newest first), for a
    /// caller that could not store it.
    pub fn undo_batch(&mut self, t: &BatchTransition) {
        self.undo(std::slice::from_ref(&t.fee_update));
        for a in t.ops.iter().rev() {
            self.undo(&a.updates);
        }
    }
}

/// The fee rule of a batch: a nonzero fee is paid in the payer's token (`token`), which must be
/// the batch's fee account's (`fee_token`).
pub fn check_fee_token(fee: u128, token: TokenId, fee_token: TokenId) -> Result<(), ProtocolError> {
    if fee != 0 && token != fee_token {
        return Err(ProtocolError::FeeToken { token, fee_token });
    }
    Ok(())
}

fn check_floats(amount: u128, fee: u128) -> Result<(), ProtocolError> {
    AMOUNT.encode(amount).ok_or(ProtocolError::AmountNotRepresentable(amount))?;
    FEE.encode(fee).ok_or(ProtocolError::FeeNotRepresentable(fee))?;
    Ok(())
}

fn debit(a: &mut Account, amount: u128, fee: u128, nonce: u32, signature_ok: bool) -> Result<(), ProtocolError> {
    if !signature_ok {
        return Err(ProtocolError::BadSignature);
    }
    if nonce != a.nonce {
        return Err(ProtocolError::WrongNonce { expected: a.nonce, got: nonce });
    }
    let needed =
        amount.checked_add(fee).ok_or(ProtocolError::InsufficientBalance { balance: a.balance, needed: u128::MAX })?;
    a.balance =
        a.balance.checked_sub(needed).ok_or(ProtocolError::InsufficientBalance { balance: a.balance, needed })?;
    a.nonce = a.nonce.checked_add(1).ok_or(ProtocolError::NonceOverflow)?;
    Ok(())
}
