//! Circuit tests: gadgets against their native twins, and the batch circuit's soundness.

mod batch;
mod fixtures;
mod gadgets;
mod rules;
