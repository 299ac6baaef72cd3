//! Circuit tests: gadgets against their native twins, and the batch and exit circuits' soundness.

mod batch;
mod exit;
mod fixtures;
mod gadgets;
mod rules;
