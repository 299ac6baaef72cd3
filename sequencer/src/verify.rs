//! Signature checks off the async workers, and the hashes this sequencer already stored.
//!
//! An EdDSA verification costs a fraction of a millisecond; a list of 256 bad signatures checked
//! on an async worker held it for tens of milliseconds, and a few such clients held every
//! worker, so `GET /v1/rollup` waited behind them. [`Verifier`] runs each request's checks as
//! one job on threads of its own (a request of one transaction excepted: [`INLINE_MAX`]), at
//! most one job per thread at once (more wait their turn without holding a worker), at a lower
//! scheduling priority ([`VERIFY_NICE`]) than the async workers, so reads are answered first
//! and checks use what is left. Inside a job a transaction
//! whose hash is in [`Known`] is answered before its signature is looked at: a client
//! resubmitting what is already stored costs a hash, not a verification.

use causeway_protocol::{Domain, Fr, PublicKey, Signature, eddsa::verify, field::fr_to_be_bytes, wire::SignedTx};
use std::{
    collections::{HashSet, VecDeque},
    sync::{Arc, Mutex, mpsc},
};
use tokio::sync::{Semaphore, oneshot};

/// How much the verifier threads lower their scheduling priority (a nice value): below the
/// async workers that answer reads, above the sealer ([`crate::sealer`]'s 19).
pub const VERIFY_NICE: i32 = 10;

/// How many stored hashes [`Known`] keeps (the newest): 32 bytes each, about 20 MiB in all.
pub const KNOWN_CAPACITY: usize = 1 << 18;

/// The hashes of transactions this process stored, the newest [`KNOWN_CAPACITY`] of them.
#[derive(Debug)]
pub struct Known {
    inner: Mutex<KnownInner>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct KnownInner {
    set: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

impl Known {
    /// An empty set that keeps the newest `capacity` hashes.
    pub fn new(capacity: usize) -> Self {
        Self { inner: Mutex::new(KnownInner::default()), capacity: capacity.max(1) }
    }

    /// Records stored hashes, forgetting the oldest beyond the capacity.
    pub fn insert_all<'a>(&self, hashes: impl IntoIterator<Item = &'a [u8; 32]>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for h in hashes {
            if inner.set.insert(*h) {
                inner.order.push_back(*h);
            }
        }
        while inner.order.len() > self.capacity {
            if let Some(old) = inner.order.pop_front() {
                inner.set.remove(&old);
            }
        }
    }

    /// Whether `hash` is a stored transaction's.
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).set.contains(hash)
    }
}

/// What a signature check needs: the payer's key and the signed transaction (its message, a
/// Poseidon hash, is computed on the verifier's thread too).
#[derive(Clone, Copy, Debug)]
pub struct Claim {
    /// The payer's key, from the accepted state.
    pub key: PublicKey,
    /// The transaction.
    pub tx: SignedTx,
    /// The deployment its signature must be for.
    pub domain: Domain,
}

impl Claim {
    /// The signed message (the transaction's hash as a field element) and the signature sent.
    fn message(&self) -> (Fr, Signature) {
        self.tx.signed_message(&self.domain)
    }
}

/// A claim's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// The signature verifies; the transaction is new to this process.
    Valid([u8; 32]),
    /// A stored transaction's hash: its signature was not checked again.
    Known([u8; 32]),
    /// The signature does not verify.
    BadSignature,
}

/// A request with at most this many transactions is checked where it is handled: one
/// verification costs about what parsing and answering the request does, and a handoff to a
/// verifier thread at lower priority would cost single submissions under load (the load
/// benchmark fell from about 4,400 to 2,500 transfers per second). Lists go to the threads.
pub const INLINE_MAX: usize = 1;

/// One request's claims and where to send their outcomes.
type Job = (Vec<Claim>, oneshot::Sender<Vec<Checked>>);

/// Runs signature checks on threads of its own, one request at a time per thread; requests
/// beyond that wait (asynchronously) for a thread.
#[derive(Debug)]
pub struct Verifier {
    permits: Semaphore,
    jobs: mpsc::Sender<Job>,
    known: Arc<Known>,
}

impl Verifier {
    /// A verifier with `threads` (at least one) threads, which end when it is dropped.
    pub fn new(threads: usize, known: Arc<Known>) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let (queue, known) = (queue.clone(), known.clone());
            let spawned = std::thread::Builder::new().name(format!("causeway-verify-{i}")).spawn(move || {
                // Only lowers this thread's priority, which any process may do; if it is
                // refused the checks run at normal priority.
                if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), VERIFY_NICE) {
                    tracing::debug!(error = %e, "verifier priority unchanged");
                }
                loop {
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((claims, reply)) = job else { break };
                    let _ = reply.send(claims.iter().map(|c| check_one(&known, c)).collect());
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a verifier thread");
            }
        }
        Self { permits: Semaphore::new(threads), jobs, known }
    }

    /// The stored hashes it answers before verifying.
    pub fn known(&self) -> &Known {
        &self.known
    }

    /// Checks the claims of one request in order, as one job. `None` when no verifier thread
    /// runs it.
    pub async fn check(&self, claims: Vec<Claim>) -> Option<Vec<Checked>> {
        if claims.len() <= INLINE_MAX {
            return Some(claims.iter().map(|c| check_one(&self.known, c)).collect());
        }
        let _permit = self.permits.acquire().await.ok()?;
        let (reply, outcome) = oneshot::channel();
        self.jobs.send((claims, reply)).ok()?;
        outcome.await.ok()
    }
}

fn check_one(known: &Known, c: &Claim) -> Checked {
    let (message, signature) = c.message();
    let hash = fr_to_be_bytes(&message);
    if known.contains(&hash) {
        Checked::Known(hash)
    } else if verify(&c.key, message, &signature) {
        Checked::Valid(hash)
    } else {
        Checked::BadSignature
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use causeway_protocol::{PrivateKey, Transfer};

    /// A transfer of `amount` by a key made from `seed`, signed by it (`good`) or by another.
    fn claim(seed: u8, amount: u128, good: bool) -> Claim {
        let key = PrivateKey([seed; 32]);
        let signer = if good { key.clone() } else { PrivateKey([seed + 100; 32]) };
        let domain = Domain::default();
        let t = Transfer::signed(&signer, &domain, 1, 2, amount, 0, 0);
        let tx = SignedTx::of(&causeway_protocol::Operation::Transfer(t)).expect("a transfer");
        Claim { key: key.public_key(), tx, domain }
    }

    fn hash_of(c: &Claim) -> [u8; 32] {
        fr_to_be_bytes(&c.message().0)
    }

    /// The nice values of this process's threads whose names start with `prefix` (from /proc).
    fn niceness_of_threads_named(prefix: &str) -> Vec<i32> {
        let mut out = Vec::new();
        for _ in 0..100 {
            out.clear();
            for task in std::fs::read_dir("/proc/self/task").expect("/proc").flatten() {
                let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
                if !comm.starts_with(prefix) {
                    continue;
                }
                // Field 19 of stat is the nice value; fields are counted after the name's ")".
                let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
                let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
                if let Some(nice) = after.split_whitespace().nth(16).and_then(|n| n.parse().ok()) {
                    out.push(nice);
                }
            }
            // A thread lowers itself as it starts: wait until it has.
            if !out.is_empty() && out.iter().all(|n| *n != 0) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        out
    }

    #[test]
    fn known_keeps_the_newest_hashes() {
        let known = Known::new(2);
        known.insert_all(&[[1; 32], [2; 32]]);
        known.insert_all(&[[2; 32], [3; 32]]);
        assert!(!known.contains(&[1; 32]));
        assert!(known.contains(&[2; 32]) && known.contains(&[3; 32]));
    }

    #[tokio::test]
    async fn claims_are_checked_in_order_on_lowered_threads_and_known_hashes_skip_verification() {
        let known = Arc::new(Known::new(16));
        let verifier = Verifier::new(1, known.clone());
        let lowered = niceness_of_threads_named("causeway-verify");
        let own = rustix::process::getpriority_process(None).expect("own priority");
        assert_eq!(lowered, vec![(own + VERIFY_NICE).min(19)], "one verifier thread, lowered");
        let good = claim(1, 7, true);
        let bad = claim(2, 8, false);
        // A stored transaction sent again with a signature that does not verify.
        let stored_bad = claim(3, 9, false);
        known.insert_all(&[hash_of(&stored_bad)]);
        let out = verifier.check(vec![good, bad, stored_bad]).await.expect("the job runs");
        assert_eq!(verifier.check(vec![bad]).await, Some(vec![Checked::BadSignature]), "checked inline");
        assert_eq!(
            out,
            vec![Checked::Valid(hash_of(&good)), Checked::BadSignature, Checked::Known(hash_of(&stored_bad)),]
        );
    }
}
