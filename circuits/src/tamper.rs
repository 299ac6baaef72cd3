//! Fault injection for soundness tests: with the `testing` feature (enabled for this crate's
//! own tests only, never in the binaries), a test can make one step of a gadget compute a wrong
//! value while every later value is derived from it consistently, the witness a cheating prover
//! would make. The test then shows that exactly the constraint meant to catch it fails. Without
//! the feature every offset is zero and nothing is stored.

use crate::ConstraintF;

/// Which coordinate of a Montgomery chord step (an addition's or doubling's result) to offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coordinate {
    /// The result's u.
    U,
    /// The result's v.
    V,
}

#[cfg(feature = "testing")]
mod plan {
    use super::{ConstraintF, Coordinate};
    use std::cell::Cell;

    thread_local! {
        /// (the chord step to offset, counted from 0 since arming; which coordinate).
        static PLAN: Cell<Option<(usize, Coordinate)>> = const { Cell::new(None) };
        static SEEN: Cell<usize> = const { Cell::new(0) };
        /// The batch slot whose `covers` claim to negate.
        static COVERS: Cell<Option<usize>> = const { Cell::new(None) };
        static COVERS_SEEN: Cell<usize> = const { Cell::new(0) };
    }

    /// Negates the batch circuit's claim that the balance covers a forced request's amount in
    /// the `slot`-th slot synthesised on this thread from now on, until [`disarm`].
    pub fn forced_covers(slot: usize) {
        COVERS.set(Some(slot));
        COVERS_SEEN.set(0);
    }

    pub(crate) fn covers_flipped() -> bool {
        let Some(slot) = COVERS.get() else { return false };
        let seen = COVERS_SEEN.get();
        COVERS_SEEN.set(seen + 1);
        seen == slot
    }

    /// Offsets coordinate `which` of the `step`-th Montgomery chord step synthesised on this
    /// thread from now on (by one), until [`disarm`].
    pub fn montgomery_chord(step: usize, which: Coordinate) {
        PLAN.set(Some((step, which)));
        SEEN.set(0);
    }

    /// Stops offsetting and negating.
    pub fn disarm() {
        PLAN.set(None);
        COVERS.set(None);
    }

    pub(crate) fn chord_offsets() -> (ConstraintF, ConstraintF) {
        let Some((step, which)) = PLAN.get() else { return (ConstraintF::from(0u64), ConstraintF::from(0u64)) };
        let seen = SEEN.get();
        SEEN.set(seen + 1);
        let one = ConstraintF::from(u64::from(seen == step));
        match which {
            Coordinate::U => (one, ConstraintF::from(0u64)),
            Coordinate::V => (ConstraintF::from(0u64), one),
        }
    }
}

#[cfg(feature = "testing")]
pub use plan::{disarm, forced_covers, montgomery_chord};

#[cfg(feature = "testing")]
pub(crate) use plan::{chord_offsets, covers_flipped};

/// Nothing is negated without the `testing` feature.
#[cfg(not(feature = "testing"))]
#[inline(always)]
pub(crate) fn covers_flipped() -> bool {
    false
}

/// No offsets without the `testing` feature.
#[cfg(not(feature = "testing"))]
#[inline(always)]
pub(crate) fn chord_offsets() -> (ConstraintF, ConstraintF) {
    (ConstraintF::from(0u64), ConstraintF::from(0u64))
}
