//! A load generator for the gateway: client threads with keep-alive connections, each
//! response checked (status, the filters' marks), latencies recorded.
//!
//! The check of `x-hits` is the strongest: the `rewrite` filter counts requests in shared
//! data with compare-and-swap across every worker's VM, so over a run the values must be
//! exactly the numbers 1..=N, once each (offset by requests before the run).

use std::net::SocketAddr;
use std::time::Instant;

/// What a run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub requests: u64,
    /// Answered 200 with every mark of both filters.
    pub ok: u64,
    /// Answered, but not as expected.
    pub wrong: u64,
    /// Not answered (connection or protocol errors).
    pub lost: u64,
    /// `x-hits` values seen more than once, or missing from the expected range.
    pub hits_mismatch: u64,
    pub seconds: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

impl LoadReport {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests in {:.2} s: {:.0} req/s; p50 {} us, p99 {} us, p99.9 {} us, max {} us; ok {}, wrong {}, lost {}, x-hits mismatches {}",
            self.requests,
            self.seconds,
            self.per_second(),
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.max_us,
            self.ok,
            self.wrong,
            self.lost,
            self.hits_mismatch
        )
    }
}

/// `threads` clients send `per_thread` GETs of `path` each; `hits_before` is the number
/// of requests the `rewrite` filter counted before the run.
pub fn run(
    addr: SocketAddr,
    threads: usize,
    per_thread: u64,
    path: &str,
    hits_before: u64,
) -> LoadReport {
    let url = format!("http://{addr}{path}");
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut lat = Vec::with_capacity(per_thread as usize);
                let mut hits = Vec::with_capacity(per_thread as usize);
                let (mut ok, mut wrong, mut lost) = (0u64, 0u64, 0u64);
                for _ in 0..per_thread {
                    let t = Instant::now();
                    match agent.get(&url).call() {
                        Ok(mut r) => {
                            let status = r.status().as_u16();
                            let filtered = r
                                .headers()
                                .get("x-filter-response")
                                .and_then(|v| v.to_str().ok())
                                == Some("rewrite");
                            let hit = r
                                .headers()
                                .get("x-hits")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse::<u64>().ok());
                            let body = r.body_mut().read_to_string().unwrap_or_default();
                            lat.push(t.elapsed().as_micros() as u64);
                            let marked = body.contains("x-spindle: rewrite\n")
                                && body.contains("user-agent: spindle-filter\n");
                            if status == 200 && filtered && marked && hit.is_some() {
                                ok += 1;
                            } else {
                                wrong += 1;
                            }
                            hits.extend(hit);
                        }
                        Err(_) => lost += 1,
                    }
                }
                (lat, hits, ok, wrong, lost)
            })
        })
        .collect();
    let mut lat = Vec::new();
    let mut hits = Vec::new();
    let (mut ok, mut wrong, mut lost) = (0, 0, 0);
    for h in handles {
        let (l, x, o, w, s) = h.join().expect("a client thread");
        lat.extend(l);
        hits.extend(x);
        ok += o;
        wrong += w;
        lost += s;
    }
    let seconds = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| -> u64 {
        if lat.is_empty() {
            return 0;
        }
        lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)]
    };
    hits.sort_unstable();
    let total = threads as u64 * per_thread;
    let mut mismatch = 0;
    for (i, h) in hits.iter().enumerate() {
        if *h != hits_before + i as u64 + 1 {
            mismatch += 1;
        }
    }
    mismatch += total - hits.len() as u64;
    LoadReport {
        requests: total,
        ok,
        wrong,
        lost,
        hits_mismatch: mismatch,
        seconds,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        p999_us: pct(0.999),
        max_us: lat.last().copied().unwrap_or(0),
    }
}

/// The configuration of the measured gateway: `workers` workers, the `auth` and
/// `rewrite` filters in a chain before `backend` (`filters` is their folder).
pub fn config_text(workers: usize, backend: SocketAddr, auth: SocketAddr, filters: &str) -> String {
    format!(
        r#"
listen = "127.0.0.1:0"
workers = {workers}
metrics_path = "/__metrics"
[upstreams]
backend = "{backend}"
auth = "{auth}"
[[filters]]
name = "auth"
path = "{filters}/auth.wasm"
fuel = 10_000_000
memory = 16_777_216
[[filters]]
name = "rewrite"
path = "{filters}/rewrite.wasm"
fuel = 10_000_000
memory = 16_777_216
[[routes]]
prefix = "/"
upstream = "backend"
filters = ["auth", "rewrite"]
"#
    )
}
