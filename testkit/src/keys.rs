//! Proving keys made once per test run. Every test process of one nextest run (they share
//! `NEXTEST_RUN_ID`) that asks for the keys of one shape gets the same directory: the first
//! makes them with `causeway setup`, under a file lock, the others wait on the lock and reuse
//! them. Outside nextest each process makes its own. Keys are only read by the tests that share
//! them; a run's directory is removed by a later run once it is a day old.

use std::{
    fs::File,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

/// The batch circuit's keys for `depth` and `slots` (`causeway setup --depth --slots`).
pub fn batch(bin: &Path, depth: u32, slots: usize) -> PathBuf {
    let (d, s) = (depth.to_string(), slots.to_string());
    cached(bin, &format!("batch-d{depth}-s{slots}"), &["setup", "--depth", &d, "--slots", &s])
}

/// Keys of another setup of the same batch circuit: a verifying key that refuses the proofs
/// [`batch`]'s keys make.
pub fn batch_other(bin: &Path, depth: u32, slots: usize) -> PathBuf {
    let (d, s) = (depth.to_string(), slots.to_string());
    cached(bin, &format!("batch-d{depth}-s{slots}-other"), &["setup", "--depth", &d, "--slots", &s])
}

/// The exit circuit's keys for `depth` (`causeway setup --circuit exit --depth`).
pub fn exit(bin: &Path, depth: u32) -> PathBuf {
    let d = depth.to_string();
    cached(bin, &format!("exit-d{depth}"), &["setup", "--circuit", "exit", "--depth", &d])
}

/// This run's directory of shared keys.
fn run_dir() -> PathBuf {
    let run = std::env::var("NEXTEST_RUN_ID").unwrap_or_else(|_| format!("process-{}", std::process::id()));
    let root = std::env::temp_dir().join("causeway-testkit-keys");
    std::fs::create_dir_all(&root).expect("keys directory");
    // Runs a day old are over: their keys go.
    let old = SystemTime::now() - Duration::from_secs(24 * 3600);
    for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        if entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < old) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = root.join(run);
    std::fs::create_dir_all(&dir).expect("run's keys directory");
    dir
}

/// `dir/name`, made by `causeway <args> --out` the first time, under a lock on `dir/name.lock`.
fn cached(bin: &Path, name: &str, args: &[&str]) -> PathBuf {
    let dir = run_dir();
    let lock = File::create(dir.join(format!("{name}.lock"))).expect("lock file");
    lock.lock().expect("lock the keys");
    let keys = dir.join(name);
    if !keys.join("metadata.json").exists() {
        // Made aside and renamed: a process killed while making them leaves no half-made keys.
        let partial = dir.join(format!("{name}.partial"));
        let _ = std::fs::remove_dir_all(&partial);
        let out =
            std::process::Command::new(bin).args(args).arg("--out").arg(&partial).output().expect("run causeway setup");
        assert!(out.status.success(), "causeway {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::rename(&partial, &keys).expect("keys in place");
    }
    lock.unlock().expect("unlock the keys");
    keys
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    /// Processes of one run asking for the same keys at once: the keys are made once, and each
    /// gets the complete directory.
    #[test]
    fn keys_asked_for_at_once_are_made_once() {
        let dir = std::env::temp_dir().join(format!("causeway-testkit-fake-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let count = dir.join("made");
        // A stand-in for `causeway setup`: counts its runs, takes a while, writes the keys.
        let fake = dir.join("setup.sh");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nout=\"\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --out ] && out=$2; shift; done\n\
                 echo run >> {}\nsleep 0.3\nmkdir -p \"$out\" && echo {{}} > \"$out/metadata.json\"\n",
                count.display()
            ),
        )
        .expect("script");
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let name = format!("fake-{}", std::process::id());
        let made: Vec<_> = (0..4)
            .map(|_| {
                let (fake, name) = (fake.clone(), name.clone());
                std::thread::spawn(move || super::cached(&fake, &name, &["setup"]))
            })
            .map(|t| t.join().expect("thread"))
            .collect();
        assert!(made.windows(2).all(|w| w[0] == w[1]), "{made:?}");
        assert!(made[0].join("metadata.json").exists());
        assert_eq!(std::fs::read_to_string(&count).expect("count").lines().count(), 1, "made once");
        let _ = std::fs::remove_dir_all(&made[0]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
