//! Sequencer integration tests: real PostgreSQL, real sockets.

mod api;
mod node;
mod outage;
mod stall;
