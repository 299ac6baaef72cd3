//! Naming the rule a witness breaks: every rule of the circuits is enforced inside a gr1cs
//! namespace named after it, and with arkworks' `ConstraintLayer` installed the first
//! unsatisfied constraint's trace names that namespace.

use ark_relations::gr1cs::{ConstraintLayer, ConstraintSystem, ConstraintSystemRef, SynthesisMode};
use causeway_circuits::ConstraintF;
use tracing_subscriber::layer::SubscriberExt;

/// Synthesises with `build` in a fresh constraint system, lets `tamper` change assigned values
/// afterwards (symbolic combinations are inlined first, so every constraint is evaluated from the
/// raw assignment), and returns the rule (the innermost `causeway_circuits` namespace) of the
/// first unsatisfied constraint, or `None` when everything holds.
pub(crate) fn first_broken_with(
    build: impl FnOnce(ConstraintSystemRef<ConstraintF>),
    tamper: impl FnOnce(&ConstraintSystemRef<ConstraintF>),
) -> Option<String> {
    let subscriber = tracing_subscriber::registry().with(ConstraintLayer::default());
    tracing::subscriber::with_default(subscriber, || {
        let cs = ConstraintSystem::<ConstraintF>::new_ref();
        cs.set_mode(SynthesisMode::Prove { construct_matrices: true, generate_lc_assignments: false });
        build(cs.clone());
        cs.inline_all_lcs();
        tamper(&cs);
        let trace = cs.which_is_unsatisfied().expect("satisfiability check")?;
        Some(innermost_rule(&trace).unwrap_or_else(|| panic!("no causeway_circuits namespace in the trace:\n{trace}")))
    })
}

/// [`first_broken_with`] without tampering.
pub(crate) fn first_broken(build: impl FnOnce(ConstraintSystemRef<ConstraintF>)) -> Option<String> {
    first_broken_with(build, |_| {})
}

/// The innermost span of a constraint trace whose module is ours ("   0: module::name" lines,
/// innermost first).
fn innermost_rule(trace: &str) -> Option<String> {
    trace.lines().filter_map(|l| l.trim_start().split_once(": ")).map(|(_, path)| path.trim()).find_map(|path| {
        path.starts_with("causeway_circuits").then(|| path.rsplit("::").next().unwrap_or(path).to_owned())
    })
}
