//! Throwaway databases for tests: each test gets its own, created from the server that
//! `DATABASE_URL` points at (its role needs CREATEDB; `scripts/postgres` sets that up).

use crate::{Db, DbError};
use sqlx::{Connection, PgConnection};
use std::sync::atomic::{AtomicU32, Ordering};

/// A database that exists for one test: dropped by [`drop_db`](TestDb::drop_db), or when the
/// handle is dropped (a panicking test's included).
#[derive(Debug)]
pub struct TestDb {
    /// Its URL.
    pub url: String,
    name: String,
    admin: String,
    dropped: bool,
}

fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!("tests need PostgreSQL: set DATABASE_URL (./scripts/test starts the server and sets it)")
    })
}

impl TestDb {
    /// Creates a fresh, migrated database.
    pub async fn create() -> Result<Self, DbError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name =
            format!("causeway_test_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut conn = PgConnection::connect(&admin).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Db::connect(&url).await?;
        Ok(Self { url, name, admin, dropped: false })
    }

    /// A pool on it.
    pub async fn db(&self) -> Result<Db, DbError> {
        Db::connect(&self.url).await
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs SQL as the admin connection (to simulate outages, for example).
    pub async fn admin_sql(&self, sql: &str) -> Result<(), DbError> {
        let mut conn = PgConnection::connect(&self.admin).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await?;
        Ok(())
    }

    /// Drops the database, disconnecting whoever still uses it.
    pub async fn drop_db(mut self) -> Result<(), DbError> {
        self.dropped = true;
        self.admin_sql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await
    }
}

impl Drop for TestDb {
    /// Drops the database if [`drop_db`](TestDb::drop_db) did not: on a thread of its own with
    /// its own runtime, since this may run inside (or while unwinding out of) an async test.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin, sql) = (self.admin.clone(), format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.ok()
            })
        })
        .join();
    }
}

/// A TCP proxy in front of PostgreSQL that injects faults at chosen points of the wire protocol,
/// for tests of what a service does when the database's answer is lost:
/// - [`cut_commit_of`](Self::cut_commit_of): the next transaction that runs a statement
///   containing a text is committed by the server, and the connection is then cut before the
///   client hears the commit's answer (the outcome is unknown to the client);
/// - [`refuse`](Self::refuse): every connection that runs a statement containing a text is cut
///   before the statement reaches the server, until called with `None`.
///
/// Statements are matched with their whitespace collapsed to single spaces, whether they come as
/// a simple query, a Parse, or a Bind of a statement parsed earlier on that connection. The
/// proxied URL asks for `sslmode=disable`, so the protocol stays readable.
pub struct PgFaultProxy {
    /// The database's URL through the proxy.
    pub url: String,
    rules: std::sync::Arc<std::sync::Mutex<FaultRules>>,
    cut: std::sync::Arc<AtomicU32>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct FaultRules {
    cut_commit_of: Option<String>,
    refuse: Option<String>,
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl PgFaultProxy {
    /// Starts a proxy to the server of `url` (call it inside a Tokio runtime).
    pub fn start(url: &str) -> Self {
        let (scheme_auth, rest) = url.split_once('@').expect("a database URL with user@host");
        let (host_port, path) = rest.split_once('/').expect("a database URL with a database name");
        let upstream = host_port.to_owned();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        std_listener.set_nonblocking(true).expect("non-blocking");
        let port = std_listener.local_addr().expect("address").port();
        let listener = tokio::net::TcpListener::from_std(std_listener).expect("a Tokio listener");
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{scheme_auth}@127.0.0.1:{port}/{path}{sep}sslmode=disable");
        let rules = std::sync::Arc::new(std::sync::Mutex::new(FaultRules::default()));
        let cut = std::sync::Arc::new(AtomicU32::new(0));
        let (r, c) = (rules.clone(), cut.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else { continue };
                tokio::spawn(proxy_connection(client, server, r.clone(), c.clone()));
            }
        });
        Self { url, rules, cut, task }
    }

    /// Cuts the connection right after the server commits the next transaction that ran a
    /// statement containing `statement` (once).
    pub fn cut_commit_of(&self, statement: &str) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).cut_commit_of = Some(collapse(statement));
    }

    /// Cuts every connection that runs a statement containing `statement` (`None`: stop).
    pub fn refuse(&self, statement: Option<&str>) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).refuse = statement.map(collapse);
    }

    /// Commits cut so far.
    pub fn commits_cut(&self) -> u32 {
        self.cut.load(Ordering::SeqCst)
    }
}

impl Drop for PgFaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A NUL-terminated string at the start of `bytes`, and the rest.
fn cstr(bytes: &[u8]) -> (String, &[u8]) {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    (String::from_utf8_lossy(&bytes[..end]).into_owned(), bytes.get(end + 1..).unwrap_or_default())
}

async fn proxy_connection(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    rules: std::sync::Arc<std::sync::Mutex<FaultRules>>,
    cut: std::sync::Arc<AtomicU32>,
) {
    use std::sync::atomic::AtomicBool;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let cut_reply = AtomicBool::new(false);
    let upstream = async {
        let mut startup = true;
        let mut statements = std::collections::HashMap::<String, String>::new();
        let mut marked = false;
        loop {
            // A startup-phase message has no type byte.
            let mut head = vec![0u8; if startup { 4 } else { 5 }];
            client_read.read_exact(&mut head).await?;
            let len = u32::from_be_bytes(head[head.len() - 4..].try_into().expect("4 bytes")) as usize;
            let mut body = vec![0u8; len.saturating_sub(4)];
            client_read.read_exact(&mut body).await?;
            if startup {
                let code = body.get(..4).map_or(0, |c| u32::from_be_bytes(c.try_into().expect("4 bytes")));
                // SSLRequest and GSSENCRequest are followed by the startup message proper.
                startup = matches!(code, 80_877_103 | 80_877_104);
            } else {
                let text = match head[0] {
                    b'Q' => Some(cstr(&body).0),
                    b'P' => {
                        let (name, rest) = cstr(&body);
                        let query = cstr(rest).0;
                        statements.insert(name, query.clone());
                        Some(query)
                    }
                    b'B' => {
                        let (_portal, rest) = cstr(&body);
                        statements.get(&cstr(rest).0).cloned()
                    }
                    _ => None,
                };
                if let Some(text) = text.map(|t| collapse(&t)) {
                    let mut r = rules.lock().unwrap_or_else(|e| e.into_inner());
                    if r.refuse.as_ref().is_some_and(|s| text.contains(s.as_str())) {
                        return Ok::<(), std::io::Error>(());
                    }
                    if r.cut_commit_of.as_ref().is_some_and(|s| text.contains(s.as_str())) {
                        marked = true;
                    }
                    let word = text.trim_end_matches(';').to_ascii_uppercase();
                    if word == "COMMIT" && marked && r.cut_commit_of.take().is_some() {
                        cut_reply.store(true, Ordering::SeqCst);
                    }
                    if word == "COMMIT" || word == "ROLLBACK" {
                        marked = false;
                    }
                }
            }
            server_write.write_all(&head).await?;
            server_write.write_all(&body).await?;
        }
    };
    let downstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0 {
                return Ok::<(), std::io::Error>(());
            }
            if cut_reply.load(Ordering::SeqCst) {
                // The server answered the commit: it is done, and the client never hears it.
                cut.fetch_add(1, Ordering::SeqCst);
                return Ok(());
            }
            client_write.write_all(&buf[..n]).await?;
        }
    };
    // When either direction ends, both sockets close.
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}
