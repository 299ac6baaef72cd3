//! Integration tests of the native rollup.

mod pubdata;
mod state;
mod vectors;
mod wire;
