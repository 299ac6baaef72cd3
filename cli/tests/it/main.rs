//! The `causeway` binary end to end: real processes, real PostgreSQL, real sockets, real proofs.

mod ceremony;
mod compose;
mod crash;
mod deploy;
mod e2e;
mod exodus;
mod explorer;
mod forced;
mod harness;
mod procs;
mod provers;
mod sample;
mod sdk;
mod settle;
mod takeover;

fn causeway(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_causeway")).args(args).output().expect("run causeway")
}
