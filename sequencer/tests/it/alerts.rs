//! The alerting rules in `ops/prometheus`: valid, and each alert fires (and only then) on the
//! series its unit tests give (`promtool`, from Debian's `prometheus` package, which
//! `scripts/test` installs). That the services export every metric the rules use is checked by
//! the end-to-end test, which scrapes them all.

use std::path::PathBuf;

fn promtool(args: &[&str]) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ops/prometheus");
    let out = std::process::Command::new("promtool")
        .args(args)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("promtool: {e} (install Debian's prometheus package; scripts/test does)"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?}:\n{text}");
    text
}

#[test]
fn the_alert_rules_are_valid_and_pass_their_unit_tests() {
    assert!(promtool(&["check", "rules", "alerts.yml"]).contains("SUCCESS: 8 rules found"));
    assert!(promtool(&["test", "rules", "alerts.test.yml"]).contains("SUCCESS"));
}
