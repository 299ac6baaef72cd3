//! A compact binary encoding of [`BatchWitness`], so a sequencer can store a sealed batch's
//! witness and a prover on another machine can read it back.
//!
//! Version byte, header (88 bytes), domain (28 bytes: chain id u64, rollup address), pubdata (u32 length, bytes), slots (u32 count; per slot:
//! flags byte (an 8-bit mask, see `SlotFlags::mask`), signature flag and 64 packed bytes, two leaf updates), then the fee update. A leaf
//! update is the index (u32), the accounts before and after (106 bytes each), the level count
//! (u8) and three 32-byte siblings per level. Integers are big-endian.

use super::{BatchWitness, SlotFlags, SlotWitness};
use causeway_protocol::{
    ACCOUNT_BYTES, Account, BatchHeader, Domain, LeafUpdate, MerkleProof, Signature,
    batch::HEADER_BYTES,
    domain::DOMAIN_BYTES,
    field::{fr_from_be_bytes, fr_to_be_bytes},
};

const VERSION: u8 = 3;

fn put_update(out: &mut Vec<u8>, u: &LeafUpdate) {
    out.extend(u.index.to_be_bytes());
    out.extend(u.before.to_bytes());
    out.extend(u.after.to_bytes());
    out.push(u.proof.siblings.len() as u8);
    for level in &u.proof.siblings {
        for s in level {
            out.extend(fr_to_be_bytes(s));
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn update(&mut self) -> Option<LeafUpdate> {
        let index = self.u32()?;
        let before = Account::from_bytes(self.take(ACCOUNT_BYTES)?)?;
        let after = Account::from_bytes(self.take(ACCOUNT_BYTES)?)?;
        let levels = self.u8()?;
        let mut siblings = Vec::with_capacity(levels as usize);
        for _ in 0..levels {
            let mut level = [causeway_protocol::Fr::from(0u64); 3];
            for s in &mut level {
                *s = fr_from_be_bytes(self.take(32)?.try_into().ok()?)?;
            }
            siblings.push(level);
        }
        Some(LeafUpdate { index, before, after, proof: MerkleProof { siblings } })
    }
}

impl BatchWitness {
    /// The binary encoding described in this module.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![VERSION];
        out.extend(self.header.to_bytes());
        out.extend(self.domain.to_bytes());
        out.extend((self.pubdata.len() as u32).to_be_bytes());
        out.extend(&self.pubdata);
        out.extend((self.slots.len() as u32).to_be_bytes());
        for slot in &self.slots {
            out.push(slot.flags.mask());
            match &slot.signature {
                Some(sig) => {
                    out.push(1);
                    out.extend(sig.pack());
                }
                None => out.push(0),
            }
            for u in &slot.updates {
                put_update(&mut out, u);
            }
        }
        put_update(&mut out, &self.fee_update);
        out
    }

    /// Reads [`BatchWitness::to_bytes`]; `None` for anything truncated, trailing or malformed.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader(bytes);
        if r.u8()? != VERSION {
            return None;
        }
        let header = BatchHeader::from_bytes(r.take(HEADER_BYTES)?)?;
        let domain = Domain::from_bytes(r.take(DOMAIN_BYTES)?)?;
        let len = r.u32()? as usize;
        let pubdata = r.take(len)?.to_vec();
        let count = r.u32()? as usize;
        let mut slots = Vec::with_capacity(count.min(bytes.len()));
        for _ in 0..count {
            let flags = SlotFlags::from_mask(r.u8()?);
            let signature = match r.u8()? {
                0 => None,
                1 => Some(Signature::unpack(r.take(64)?.try_into().ok()?)?),
                _ => return None,
            };
            let updates = [r.update()?, r.update()?];
            slots.push(SlotWitness { flags, signature, updates });
        }
        let fee_update = r.update()?;
        r.0.is_empty().then_some(Self { header, domain, pubdata, slots, fee_update })
    }
}
