//! Integration tests of the native rollup.

mod pubdata;
mod state;
mod vectors;
mod wire;

/// The deployment the tests sign for.
pub(crate) const DOMAIN: causeway_protocol::Domain = causeway_protocol::Domain::new(31337, [0x5a; 20]);
