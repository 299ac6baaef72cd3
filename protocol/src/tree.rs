//! A sparse 4-ary Merkle tree of Poseidon hashes.
//!
//! `depth` is in bits: the tree holds 2^depth leaves in depth/2 levels of Poseidon(4) nodes, so
//! depth must be even. Only non-empty nodes are stored; empty subtrees are represented by one
//! precomputed hash per level, so a tree of 2^24 or 2^32 accounts costs memory only for the
//! leaves in use, and an update or a proof touches one node per level.

use crate::{error::ProtocolError, field::Fr, poseidon::poseidon};
use std::collections::HashMap;

/// Children per node.
pub const ARITY: usize = 4;
/// The deepest tree supported: leaf indices are 32-bit.
pub const MAX_DEPTH: u32 = 32;

/// A membership proof: per level from the leaves up, the three siblings in index order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleProof {
    /// Siblings at each level, skipping the node on the path.
    pub siblings: Vec<[Fr; 3]>,
}

impl MerkleProof {
    /// The root implied by this proof for `leaf` at `index`.
    pub fn root(&self, index: u32, leaf: Fr) -> Fr {
        let mut node = leaf;
        for (level, siblings) in self.siblings.iter().enumerate() {
            let position = child_position(index, level);
            node = poseidon(&place(node, siblings, position));
        }
        node
    }
}

/// Position (0..4) of the path node among its siblings at `level`.
pub fn child_position(index: u32, level: usize) -> usize {
    ((u64::from(index) >> (2 * level)) & 3) as usize
}

/// The four children of a node, with `node` at `position` and the siblings around it.
pub fn place(node: Fr, siblings: &[Fr; 3], position: usize) -> [Fr; 4] {
    let mut out = [Fr::from(0u64); 4];
    let mut s = siblings.iter();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = if i == position { node } else { *s.next().unwrap_or(&node) };
    }
    out
}

/// Refuses a depth that is odd, zero or above [`MAX_DEPTH`].
pub fn check_depth(depth: u32) -> Result<(), ProtocolError> {
    if depth == 0 || depth > MAX_DEPTH || !depth.is_multiple_of(2) {
        return Err(ProtocolError::BadDepth(depth));
    }
    Ok(())
}

/// The sparse tree.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    depth: u32,
    /// `nodes[l]` holds the non-default nodes of level l (0 = leaves).
    nodes: Vec<HashMap<u64, Fr>>,
    /// `empty[l]` is the hash of an empty subtree whose root is at level l.
    empty: Vec<Fr>,
}

impl MerkleTree {
    /// An empty tree of 2^depth leaves, each equal to `empty_leaf`.
    pub fn new(depth: u32, empty_leaf: Fr) -> Result<Self, ProtocolError> {
        check_depth(depth)?;
        let levels = (depth / 2) as usize;
        let mut empty = vec![empty_leaf];
        for l in 0..levels {
            empty.push(poseidon(&[empty[l]; 4]));
        }
        Ok(Self { depth, nodes: vec![HashMap::new(); levels + 1], empty })
    }

    /// Depth in bits.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Number of Poseidon(4) levels.
    pub fn levels(&self) -> usize {
        self.nodes.len() - 1
    }

    /// Number of leaves.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    fn node(&self, level: usize, index: u64) -> Fr {
        self.nodes[level].get(&index).copied().unwrap_or(self.empty[level])
    }

    /// The root hash.
    pub fn root(&self) -> Fr {
        self.node(self.levels(), 0)
    }

    /// Refuses an index past the tree's capacity.
    pub fn check_index(&self, index: u32) -> Result<u64, ProtocolError> {
        let i = u64::from(index);
        if i >= self.capacity() {
            return Err(ProtocolError::IndexOutOfRange { index, capacity: self.capacity() });
        }
        Ok(i)
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u32) -> Result<Fr, ProtocolError> {
        Ok(self.node(0, self.check_index(index)?))
    }

    /// The membership proof of the leaf at `index`.
    pub fn proof(&self, index: u32) -> Result<MerkleProof, ProtocolError> {
        let mut i = self.check_index(index)?;
        let mut siblings = Vec::with_capacity(self.levels());
        for level in 0..self.levels() {
            let first = i & !3;
            let mut s = [Fr::from(0u64); 3];
            let mut k = 0;
            for j in first..first + 4 {
                if j != i {
                    s[k] = self.node(level, j);
                    k += 1;
                }
            }
            siblings.push(s);
            i >>= 2;
        }
        Ok(MerkleProof { siblings })
    }

    /// Sets the leaf at `index` and rehashes its path.
    pub fn set(&mut self, index: u32, leaf: Fr) -> Result<(), ProtocolError> {
        let mut i = self.check_index(index)?;
        self.store(0, i, leaf);
        for level in 0..self.levels() {
            let first = i & !3;
            let children = [0, 1, 2, 3].map(|k| self.node(level, first + k));
            i >>= 2;
            self.store(level + 1, i, poseidon(&children));
        }
        Ok(())
    }

    fn store(&mut self, level: usize, index: u64, value: Fr) {
        if value == self.empty[level] {
            self.nodes[level].remove(&index);
        } else {
            self.nodes[level].insert(index, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_matches_definition_and_proofs_verify() {
        let mut t = MerkleTree::new(4, Fr::from(7u64)).expect("depth");
        let l1 = poseidon(&[Fr::from(7u64); 4]);
        assert_eq!(t.root(), poseidon(&[l1; 4]));
        t.set(5, Fr::from(11u64)).expect("set");
        t.set(15, Fr::from(12u64)).expect("set");
        for i in [0u32, 5, 6, 15] {
            let p = t.proof(i).expect("proof");
            assert_eq!(p.root(i, t.leaf(i).expect("leaf")), t.root());
            assert_ne!(p.root(i, Fr::from(99u64)), t.root());
        }
        // Clearing a leaf brings back the empty root and frees its nodes.
        t.set(5, Fr::from(7u64)).expect("set");
        t.set(15, Fr::from(7u64)).expect("set");
        assert_eq!(t.root(), poseidon(&[l1; 4]));
        assert!(t.nodes.iter().all(HashMap::is_empty));
    }

    #[test]
    fn rejects_bad_depth_and_index() {
        assert!(MerkleTree::new(3, Fr::from(0u64)).is_err());
        assert!(MerkleTree::new(34, Fr::from(0u64)).is_err());
        let t = MerkleTree::new(4, Fr::from(0u64)).expect("depth");
        assert!(matches!(t.proof(16), Err(ProtocolError::IndexOutOfRange { .. })));
    }

    #[test]
    fn a_deep_tree_stores_only_what_is_used() {
        let mut t = MerkleTree::new(32, Fr::from(0u64)).expect("depth");
        t.set(u32::MAX, Fr::from(1u64)).expect("set");
        let p = t.proof(u32::MAX).expect("proof");
        assert_eq!(p.root(u32::MAX, Fr::from(1u64)), t.root());
        assert_eq!(t.nodes.iter().map(HashMap::len).sum::<usize>(), 17);
    }
}
