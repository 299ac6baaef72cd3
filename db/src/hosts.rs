//! Multi-host URLs: a primary and its replicas, the services following whichever is writable.
//!
//! sqlx takes one host per URL. Causeway also takes libpq's form
//! `postgres://user:pass@host1:5432,host2:5433/db?target_session_attrs=read-write`: each host is
//! tried in order and the first that answers (and, with `read-write` or `primary`, is not a
//! replica in recovery) is used. A pool made from such a URL is followed by [`follow`]: when
//! its server stops answering or turns read-only, the hosts are tried again and new connections
//! go to the one now writable (a promoted replica). Connections to the old server fail on use
//! and are dropped by the pool.

use crate::DbError;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, postgres::PgConnectOptions};
use std::{str::FromStr, time::Duration};

/// How long one host is given to answer when the hosts are tried.
pub const HOST_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a followed pool's server is checked.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// A database URL split into one set of connect options per host.
#[derive(Clone, Debug)]
pub struct Hosts {
    /// One per host, in the URL's order.
    pub candidates: Vec<PgConnectOptions>,
    /// `target_session_attrs=read-write` (or `primary`): only a server out of recovery will do.
    pub read_write: bool,
}

impl Hosts {
    /// One host and no `target_session_attrs` that needs checking: connect as sqlx does, with
    /// nothing to pick or follow.
    pub fn is_plain(&self) -> bool {
        self.candidates.len() == 1 && !self.read_write
    }
}

/// Splits `url`: one host (as sqlx takes it) or several separated by commas, with an optional
/// `target_session_attrs` of `any`, `read-write` or `primary`.
pub fn parse(url: &str) -> Result<Hosts, DbError> {
    let bad = |why: &str| DbError::BadUrl(why.to_owned());
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
    let (authority, tail) = rest.find(['/', '?']).map_or((rest, ""), |i| rest.split_at(i));
    let (userinfo, hostlist) = authority.rsplit_once('@').map_or(("", authority), |(u, h)| (u, h));
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut read_write = false;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("target_session_attrs", v)) => {
                read_write = match v {
                    "any" => false,
                    "read-write" | "primary" => true,
                    other => {
                        return Err(bad(&format!("target_session_attrs={other} is not any, read-write or primary")));
                    }
                }
            }
            _ => kept.push(pair),
        }
    }
    let query = if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) };
    let at = if userinfo.is_empty() { String::new() } else { format!("{userinfo}@") };
    let candidates = hostlist
        .split(',')
        .map(|host| {
            if host.is_empty() && hostlist.contains(',') {
                return Err(bad("an empty host in the host list"));
            }
            PgConnectOptions::from_str(&format!("{scheme}://{at}{host}{path}{query}")).map_err(DbError::from)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Hosts { candidates, read_write })
}

/// Whether the server of `conn` is in recovery (a replica).
async fn in_recovery(conn: &mut PgConnection) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar!(r#"SELECT pg_is_in_recovery() AS "r!""#).fetch_one(conn).await?)
}

/// Tries the hosts in order: the first usable one's options and a connection to it.
pub async fn pick(hosts: &Hosts) -> Result<(PgConnectOptions, PgConnection), DbError> {
    let mut why = Vec::new();
    for options in &hosts.candidates {
        let name = format!("{}:{}", options.get_host(), options.get_port());
        match tokio::time::timeout(HOST_CONNECT_TIMEOUT, options.connect()).await {
            Err(_) => why.push(format!("{name}: no answer")),
            Ok(Err(e)) => why.push(format!("{name}: {e}")),
            Ok(Ok(mut conn)) => {
                if !hosts.read_write {
                    return Ok((options.clone(), conn));
                }
                match in_recovery(&mut conn).await {
                    Ok(false) => return Ok((options.clone(), conn)),
                    Ok(true) => why.push(format!("{name}: read-only (a replica in recovery)")),
                    Err(e) => why.push(format!("{name}: {e}")),
                }
                let _ = conn.close().await;
            }
        }
    }
    Err(DbError::NoUsableHost(why.join("; ")))
}

/// One connection to the first usable host of `url`.
pub async fn connect_one(url: &str) -> Result<PgConnection, DbError> {
    let hosts = parse(url)?;
    if hosts.is_plain() {
        return Ok(PgConnection::connect(url).await?);
    }
    Ok(pick(&hosts).await?.1)
}

/// Keeps `pool`'s new connections going to a usable host of `hosts` until the pool is closed:
/// checks its server every [`FOLLOW_EVERY`] and, when it stops answering or turns read-only,
/// picks again and points the pool at the new one.
pub async fn follow(pool: PgPool, hosts: Hosts, mut current: PgConnection) {
    let mut ticker = tokio::time::interval(FOLLOW_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        ticker.tick().await;
        let healthy = match tokio::time::timeout(HOST_CONNECT_TIMEOUT, in_recovery(&mut current)).await {
            Ok(Ok(recovering)) => !(hosts.read_write && recovering),
            _ => false,
        };
        if healthy {
            continue;
        }
        match pick(&hosts).await {
            Ok((options, conn)) => {
                tracing::warn!(
                    host = options.get_host(),
                    port = options.get_port(),
                    "database: following a new server"
                );
                pool.set_connect_options(options);
                current = conn;
            }
            Err(e) => tracing::warn!(error = %e, "database: no usable server yet"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_hosts_and_session_attributes() {
        let h = parse("postgres://u:p@a:1,b:2/db?sslmode=disable&target_session_attrs=read-write").expect("parse");
        assert!(h.read_write);
        let names: Vec<_> = h.candidates.iter().map(|o| (o.get_host().to_owned(), o.get_port())).collect();
        assert_eq!(names, vec![("a".to_owned(), 1), ("b".to_owned(), 2)]);
        assert_eq!(h.candidates[1].get_database(), Some("db"));
        assert_eq!(h.candidates[1].get_username(), "u");
        let one = parse("postgres://u@a:1/db").expect("parse");
        assert_eq!((one.candidates.len(), one.read_write), (1, false));
        assert!(parse("postgres://u@a:1,b:2/db?target_session_attrs=standby").is_err());
        assert!(parse("postgres://u@a:1,,b:2/db").is_err());
    }
}
