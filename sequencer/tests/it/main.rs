//! Sequencer integration tests: real PostgreSQL, real sockets.

mod abuse;
mod alerts;
mod api;
mod node;
mod outage;
mod stall;
mod wipe;
