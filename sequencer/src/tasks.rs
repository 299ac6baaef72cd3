//! The sequencer's core tasks as a supervisor sees them: each reports a heartbeat when it makes
//! progress (or is idle with nothing to do), `/health` fails when one has been silent for longer
//! than [`SequencerConfig::stale_after`](crate::SequencerConfig::stale_after), and a task that
//! ends on its own — a panic, a fatal error, or a return nobody asked for — is reported through
//! [`Sequencer::failed`](crate::Sequencer::failed) so that the process exits non-zero and is
//! restarted instead of serving on without it.

use std::{
    future::Future,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};
use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
};

/// A core task: `Err` is a fatal error.
pub(crate) type CoreTask = std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// How often an idle task reports that it is alive.
pub(crate) const IDLE_BEAT: Duration = Duration::from_secs(1);

/// The last heartbeat of each core task.
#[derive(Debug)]
pub(crate) struct Beats {
    started: Instant,
    last: Vec<(&'static str, AtomicU64)>,
}

impl Beats {
    pub(crate) fn new(names: &[&'static str]) -> Self {
        Self { started: Instant::now(), last: names.iter().map(|n| (*n, AtomicU64::new(0))).collect() }
    }

    /// `name` made progress (or has nothing to do) now.
    pub(crate) fn beat(&self, name: &str) {
        let now = self.started.elapsed().as_millis() as u64;
        if let Some((_, at)) = self.last.iter().find(|(n, _)| *n == name) {
            at.store(now, Ordering::Relaxed);
        }
    }

    /// Each task and how long ago it last reported.
    pub(crate) fn ages(&self) -> Vec<(&'static str, Duration)> {
        let now = self.started.elapsed();
        self.last
            .iter()
            .map(|(n, at)| (*n, now.saturating_sub(Duration::from_millis(at.load(Ordering::Relaxed)))))
            .collect()
    }
}

/// Spawns core task `name`; when it ends while `stop` is not set, the reason goes to `ended`.
pub(crate) fn spawn_core(
    name: &'static str,
    task: CoreTask,
    stop: watch::Receiver<bool>,
    ended: mpsc::UnboundedSender<String>,
) -> JoinHandle<()> {
    let inner = tokio::spawn(task);
    tokio::spawn(async move {
        let reason = match inner.await {
            Ok(Ok(())) if *stop.borrow() => return,
            Ok(Ok(())) => format!("the {name} task ended"),
            Ok(Err(e)) => format!("the {name} task stopped: {e}"),
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "no message".into());
                format!("the {name} task panicked: {message}")
            }
            Err(_) => return, // cancelled: only at shutdown
        };
        tracing::error!(task = name, "{reason}");
        let _ = ended.send(reason);
    })
}
