//! Runs `anvil` (the npm package `@foundry-rs/anvil-linux-amd64`, pinned in
//! `contracts/package-lock.json`) as a child process on a free local port. The process is killed
//! when the handle is dropped.

use crate::L1Error;
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long anvil may take to answer its first request.
const START_WAIT: Duration = Duration::from_secs(20);

/// The anvil binary: `$CAUSEWAY_ANVIL`, else `contracts/node_modules/.bin/anvil` under the
/// current directory, else under this source tree.
pub fn binary() -> Result<PathBuf, L1Error> {
    if let Some(p) = std::env::var_os("CAUSEWAY_ANVIL") {
        return Ok(PathBuf::from(p));
    }
    let relative = Path::new("contracts/node_modules/.bin/anvil");
    let in_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    [relative.to_path_buf(), in_tree]
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| L1Error::Anvil("not installed: run `npm ci --prefix contracts` (or set CAUSEWAY_ANVIL)".into()))
}

/// A running anvil.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    port: u16,
}

impl Anvil {
    /// Starts anvil on a free port with its default development accounts and instant mining,
    /// passing `extra` arguments through, and waits until it answers.
    pub async fn start(extra: &[&str]) -> Result<Self, L1Error> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| L1Error::Anvil(format!("no free port: {e}")))?
            .port();
        Self::start_on(port, extra).await
    }

    /// Starts anvil on `port`.
    pub async fn start_on(port: u16, extra: &[&str]) -> Result<Self, L1Error> {
        Self::spawn(port, extra, false).await
    }

    /// Starts anvil on `port` in a process group of its own, so that a Ctrl-C in the terminal
    /// reaches only its parent, which decides when to stop it (the devnet's `--keep-chain`).
    pub async fn start_on_in_own_group(port: u16, extra: &[&str]) -> Result<Self, L1Error> {
        Self::spawn(port, extra, true).await
    }

    async fn spawn(port: u16, extra: &[&str], own_group: bool) -> Result<Self, L1Error> {
        let bin = binary()?;
        let mut command = Command::new(&bin);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--silent"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if own_group {
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
        }
        let child = command.spawn().map_err(|e| L1Error::Anvil(format!("{}: {e}", bin.display())))?;
        let mut anvil = Self { child, port };
        anvil.wait_ready().await?;
        Ok(anvil)
    }

    async fn wait_ready(&mut self) -> Result<(), L1Error> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(L1Error::Anvil(format!("exited at start ({status})")));
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_WAIT {
                return Err(L1Error::Anvil(format!("not answering on port {} after {START_WAIT:?}", self.port)));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its JSON-RPC URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
