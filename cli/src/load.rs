//! `causeway bench load`: signs valid transfers first, then submits them over HTTP with a fixed
//! number of concurrent clients and reports throughput and latency as one JSON line.

use causeway_protocol::{Domain, Operation, Transfer, wire::SignedTx};
use causeway_prover::sample::sample_key;
use clap::Args;
use std::time::{Duration, Instant};

/// `causeway bench load` flags.
#[derive(Args)]
pub(crate) struct LoadArgs {
    /// The sequencer's base URL.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// Sending accounts 1..=A (sample keys, as `causeway genesis` makes them).
    #[arg(long, default_value_t = 1000)]
    accounts: u32,
    /// Transfers to submit.
    #[arg(long, default_value_t = 100_000)]
    txs: u32,
    /// Concurrent clients (each sends one request at a time).
    #[arg(long, default_value_t = 64)]
    concurrency: u32,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// How long to wait for a sequencer that is still starting.
const READY_WAIT: Duration = Duration::from_secs(30);

/// Waits until the sequencer's `/health` answers 200 (it may have just been started), at most
/// [`READY_WAIT`].
async fn wait_ready(client: &reqwest::Client, url: &str) -> Result<(), String> {
    let started = Instant::now();
    let mut told = false;
    loop {
        let last = match client.get(format!("{url}/health")).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => format!("HTTP {}", r.status()),
            Err(e) => e.to_string(),
        };
        if started.elapsed() >= READY_WAIT {
            return Err(format!("{url} is not ready after {} s: {last}", READY_WAIT.as_secs()));
        }
        if !told {
            eprintln!("waiting for the sequencer at {url} ...");
            told = true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The next nonce of each account, read from the API.
/// The deployment the sequencer takes signatures for (`GET /v1/rollup`).
async fn domain(client: &reqwest::Client, url: &str) -> Result<Domain, String> {
    let v: serde_json::Value = client
        .get(format!("{url}/v1/rollup"))
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{url}/v1/rollup: {e}"))?;
    let rollup: alloy::primitives::Address =
        v["rollup"].as_str().and_then(|a| a.parse().ok()).ok_or("/v1/rollup gave no rollup address")?;
    Ok(Domain::new(
        // A decimal string; a number from sequencers built before that (a benchmark baseline).
        v["chain_id"]
            .as_str()
            .and_then(|c| c.parse().ok())
            .or_else(|| v["chain_id"].as_u64())
            .ok_or("/v1/rollup gave no chain id")?,
        rollup.into_array(),
    ))
}

async fn nonces(client: &reqwest::Client, url: &str, accounts: u32) -> Result<Vec<u32>, String> {
    let mut out = Vec::with_capacity(accounts as usize);
    for i in 1..=accounts {
        let r = client.get(format!("{url}/v1/accounts/{i}")).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !r.status().is_success() {
            return Err(format!(
                "account {i}: HTTP {} (does the genesis hold {accounts} sample accounts?)",
                r.status()
            ));
        }
        let v: serde_json::Value = r.json().await.map_err(|e| format!("account {i}: {e}"))?;
        let nonce = v["accepted"]["nonce"].as_u64().ok_or_else(|| format!("account {i}: no nonce in {v}"))?;
        out.push(nonce as u32);
    }
    Ok(out)
}

/// Signs `txs` transfers round-robin over the accounts, on every core. Returns, per account,
/// its request bodies in nonce order.
fn sign_all(domain: Domain, accounts: u32, txs: u32, nonces: &[u32]) -> Vec<Vec<String>> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_account = |a: u32| txs / accounts + u32::from(a < txs % accounts);
    let chunks: Vec<Vec<u32>> =
        (0..threads).map(|t| (0..accounts).filter(|a| *a as usize % threads == t).collect()).collect();
    let mut bodies: Vec<Vec<String>> = vec![Vec::new(); accounts as usize];
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|a| {
                            let from = a + 1;
                            let to = if from == accounts { 1 } else { from + 1 };
                            let key = sample_key(from);
                            let list = (0..per_account(a))
                                .map(|k| {
                                    let t = Transfer::signed(&key, &domain, from, to, 1_000, 1, nonces[a as usize] + k);
                                    SignedTx::of(&Operation::Transfer(t))
                                        .and_then(|tx| serde_json::to_string(&tx).ok())
                                        .unwrap_or_default()
                                })
                                .collect::<Vec<_>>();
                            (a, list)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            if let Ok(list) = h.join() {
                for (a, b) in list {
                    bodies[a as usize] = b;
                }
            }
        }
    });
    bodies
}

#[derive(Default)]
struct Tally {
    accepted: u64,
    rejected: u64,
    errors: u64,
    latencies_ms: Vec<f64>,
    codes: std::collections::BTreeMap<String, u64>,
}

pub(crate) fn bench_load(args: LoadArgs) -> Result<(), String> {
    if args.accounts == 0 || args.concurrency == 0 {
        return Err("--accounts and --concurrency must be at least 1".into());
    }
    let url = args.url.trim_end_matches('/').to_owned();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(args.concurrency as usize)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        wait_ready(&client, &url).await?;
        let nonces = nonces(&client, &url, args.accounts).await?;
        let domain = domain(&client, &url).await?;
        let signing = Instant::now();
        let bodies = tokio::task::block_in_place(|| sign_all(domain, args.accounts, args.txs, &nonces));
        eprintln!("signed {} transfers in {:.1} s; submitting", args.txs, signing.elapsed().as_secs_f64());
        // Client c sends the transfers of accounts c, c + C, ... round-robin, each account's in
        // nonce order, one request at a time.
        let clients = args.concurrency.min(args.accounts) as usize;
        let mut lanes: Vec<Vec<Vec<String>>> = vec![Vec::new(); clients];
        for (a, list) in bodies.into_iter().enumerate() {
            lanes[a % clients].push(list);
        }
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(clients);
        for lane in lanes {
            let client = client.clone();
            let endpoint = format!("{url}/v1/txs");
            tasks.push(tokio::spawn(async move {
                let mut tally = Tally::default();
                let rounds = lane.iter().map(Vec::len).max().unwrap_or(0);
                for k in 0..rounds {
                    for list in &lane {
                        let Some(body) = list.get(k) else { continue };
                        let t = Instant::now();
                        let r = client
                            .post(&endpoint)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await;
                        match r {
                            Ok(r) if r.status().is_success() => {
                                let _ = r.bytes().await;
                                tally.accepted += 1;
                            }
                            Ok(r) => {
                                let v: serde_json::Value = r.json().await.unwrap_or_default();
                                let code = v["code"].as_str().unwrap_or("unknown").to_owned();
                                *tally.codes.entry(code).or_default() += 1;
                                tally.rejected += 1;
                            }
                            Err(_) => tally.errors += 1,
                        }
                        tally.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                tally
            }));
        }
        let mut all = Tally::default();
        for t in tasks {
            let t = t.await.map_err(|e| e.to_string())?;
            all.accepted += t.accepted;
            all.rejected += t.rejected;
            all.errors += t.errors;
            all.latencies_ms.extend(t.latencies_ms);
            for (k, v) in t.codes {
                *all.codes.entry(k).or_default() += v;
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.latencies_ms.sort_by(f64::total_cmp);
        let line = serde_json::json!({
            "bench": "load",
            "accounts": args.accounts,
            "concurrency": clients,
            "txs": args.txs,
            "accepted": all.accepted,
            "rejected": all.rejected,
            "errors": all.errors,
            "rejected_by_code": all.codes,
            "elapsed_s": elapsed,
            "tx_per_s": all.accepted as f64 / elapsed,
            "p50_ms": percentile(&all.latencies_ms, 0.50),
            "p99_ms": percentile(&all.latencies_ms, 0.99),
            "max_ms": all.latencies_ms.last().copied().unwrap_or(0.0),
        });
        println!("{line}");
        Ok(())
    })
}

/// `causeway bench abuse` flags.
#[derive(Args)]
pub(crate) struct AbuseArgs {
    /// The sequencer's base URL.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// Clients flooding bad-signature lists, each one request at a time.
    #[arg(long, default_value_t = 6)]
    flooders: u32,
    /// Transfers per list (at most the sequencer's per-request limit, 256 by default).
    #[arg(long, default_value_t = 256)]
    list_len: u32,
    /// Payers of the bad transfers: sample accounts 1..=A, which must exist.
    #[arg(long, default_value_t = 1000)]
    accounts: u32,
    /// Seconds of probing, first without the flood, then with it.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Milliseconds between probes.
    #[arg(long, default_value_t = 10)]
    probe_every_ms: u64,
}

/// Latencies of `GET /v1/rollup`, one probe at a time, every `every`, for `span`.
async fn probe(client: &reqwest::Client, url: &str, span: Duration, every: Duration) -> (Vec<f64>, u64) {
    let endpoint = format!("{url}/v1/rollup");
    let until = Instant::now() + span;
    let mut latencies = Vec::new();
    let mut failed = 0;
    while Instant::now() < until {
        let t = Instant::now();
        let ok = match client.get(&endpoint).send().await {
            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        if ok {
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        } else {
            failed += 1;
        }
        tokio::time::sleep(every).await;
    }
    latencies.sort_by(f64::total_cmp);
    (latencies, failed)
}

/// One list of `len` transfers from sample accounts, each signed with the wrong key (every one
/// answers `bad_signature`), as a request body.
fn bad_signature_list(domain: &Domain, accounts: u32, len: u32, salt: u32) -> Result<String, String> {
    let wrong = sample_key(accounts + 1_000_000);
    let list = (0..len)
        .map(|k| {
            let from = 1 + (salt * len + k) % accounts;
            let to = if from == accounts { 1 } else { from + 1 };
            let t = Transfer::signed(&wrong, domain, from, to, 1_000, 1, k);
            SignedTx::of(&Operation::Transfer(t)).ok_or("a transfer has a wire form")
        })
        .collect::<Result<Vec<_>, _>>()?;
    serde_json::to_string(&list).map_err(|e| e.to_string())
}

/// Probes `GET /v1/rollup` alone, then while `flooders` clients send lists of transfers with bad
/// signatures, and prints both latency profiles as one JSON line.
pub(crate) fn bench_abuse(args: AbuseArgs) -> Result<(), String> {
    if args.accounts == 0 || args.list_len == 0 {
        return Err("--accounts and --list-len must be at least 1".into());
    }
    let url = args.url.trim_end_matches('/').to_owned();
    let span = Duration::from_secs_f64(args.seconds.max(0.1));
    let every = Duration::from_millis(args.probe_every_ms);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
        wait_ready(&client, &url).await?;
        let domain = domain(&client, &url).await?;
        let bodies = (0..args.flooders)
            .map(|f| bad_signature_list(&domain, args.accounts, args.list_len, f))
            .collect::<Result<Vec<_>, _>>()?;
        let (quiet, quiet_failed) = probe(&client, &url, span, every).await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut flood = Vec::new();
        for body in bodies {
            // A connection of its own per flooder, as separate clients would have.
            let c = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
            let (endpoint, stop) = (format!("{url}/v1/txs"), stop.clone());
            flood.push(tokio::spawn(async move {
                let (mut requests, mut bad, mut other) = (0u64, 0u64, 0u64);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r =
                        c.post(&endpoint).header("content-type", "application/json").body(body.clone()).send().await;
                    requests += 1;
                    let v: serde_json::Value = match r {
                        Ok(r) => r.json().await.unwrap_or_default(),
                        Err(_) => serde_json::Value::Null,
                    };
                    for item in v["results"].as_array().map(Vec::as_slice).unwrap_or_default() {
                        if item["error"]["code"] == "bad_signature" { bad += 1 } else { other += 1 }
                    }
                }
                (requests, bad, other)
            }));
        }
        let started = Instant::now();
        let (flooded, flooded_failed) = probe(&client, &url, span, every).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (mut requests, mut bad, mut other) = (0, 0, 0);
        for f in flood {
            let (r, b, o) = f.await.map_err(|e| e.to_string())?;
            (requests, bad, other) = (requests + r, bad + b, other + o);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let line = serde_json::json!({
            "bench": "abuse",
            "flooders": args.flooders,
            "list_len": args.list_len,
            "seconds": args.seconds,
            "quiet_probes": quiet.len(),
            "quiet_p50_ms": percentile(&quiet, 0.50),
            "quiet_p99_ms": percentile(&quiet, 0.99),
            "flood_probes": flooded.len(),
            "flood_p50_ms": percentile(&flooded, 0.50),
            "flood_p99_ms": percentile(&flooded, 0.99),
            "flood_max_ms": flooded.last().copied().unwrap_or(0.0),
            "probes_failed": quiet_failed + flooded_failed,
            "flood_requests": requests,
            "bad_signatures_answered": bad,
            "other_answers": other,
            "bad_signatures_per_s": bad as f64 / elapsed,
        });
        println!("{line}");
        Ok(())
    })
}
