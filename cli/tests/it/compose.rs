//! docker-compose.yml cannot run here (no container engine), so this keeps it honest another
//! way: every configuration key it sets is one the `causeway` binary reads, and every
//! subcommand it runs exists.

use std::collections::BTreeSet;

fn help(args: &[&str]) -> String {
    let out = super::causeway(args);
    assert!(out.status.success(), "causeway {args:?} --help failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn compose_uses_only_keys_and_commands_the_binary_has() {
    let compose =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docker-compose.yml")).expect("compose");
    let commands = ["sequencer", "prover", "settler", "deploy", "setup", "genesis", "wallet", "verify", "devnet"];
    let helps: String = commands.iter().map(|c| help(&[c, "--help"])).collect();
    let keys: BTreeSet<&str> = compose
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .filter(|w| w.starts_with("CAUSEWAY_") || *w == "DATABASE_URL")
        .collect();
    assert!(keys.len() >= 8, "{keys:?}");
    for key in &keys {
        assert!(helps.contains(&format!("env: {key}")), "docker-compose.yml sets {key}, which no command reads");
    }
    for line in compose.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("command: [\"") {
            let sub = rest.split('"').next().expect("command");
            assert!(commands.contains(&sub), "compose runs `causeway {sub}`");
        }
        if let Some(rest) = line.strip_prefix("causeway ").or_else(|| line.split("|| causeway ").nth(1)) {
            let sub = rest.split_whitespace().next().expect("subcommand");
            assert!(commands.contains(&sub), "compose runs `causeway {sub}`");
            for flag in rest.split_whitespace().filter(|w| w.starts_with("--")) {
                assert!(help(&[sub, "--help"]).contains(flag), "`causeway {sub}` has no {flag}");
            }
        }
    }
    assert!(help(&["sequencer", "--help"]).contains("--listen"));
}
