//! The gateway over loopback: the demo backend and auth server, the C filters, requests
//! from a blocking client.

use proxy_gateway::{demo, Config};
use std::path::Path;
use std::sync::atomic::Ordering;

fn filters_dir() -> String {
    format!(
        "{}/../../crates/proxy-wasm/filters",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A gateway with `workers` workers, the `auth` and `rewrite` filters (rewrite configured
/// with `rewrite_config`) in front of a fresh backend.
fn gateway(
    workers: usize,
    rewrite_config: &str,
) -> (proxy_gateway::Gateway, demo::Server, demo::Server) {
    gateway_with(workers, rewrite_config, "")
}

/// [`gateway`] with a configuration for `auth` too.
fn gateway_with(
    workers: usize,
    rewrite_config: &str,
    auth_config: &str,
) -> (proxy_gateway::Gateway, demo::Server, demo::Server) {
    let backend = demo::backend("127.0.0.1:0").unwrap();
    let auth = demo::auth("127.0.0.1:0").unwrap();
    let text = format!(
        r#"
listen = "127.0.0.1:0"
workers = {workers}
metrics_path = "/__metrics"
[upstreams]
backend = "{}"
auth = "{}"
[[filters]]
name = "auth"
path = "{dir}/auth.wasm"
configuration = "{auth_config}"
fuel = 10_000_000
[[filters]]
name = "rewrite"
path = "{dir}/rewrite.wasm"
configuration = "{rewrite_config}"
fuel = 10_000_000
memory = 16_777_216
[[routes]]
prefix = "/"
upstream = "backend"
filters = ["auth", "rewrite"]
"#,
        backend.addr,
        auth.addr,
        dir = filters_dir()
    );
    let config = Config::parse(&text, Path::new(".")).unwrap();
    (proxy_gateway::start(config).unwrap(), backend, auth)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

fn get(g: &proxy_gateway::Gateway, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = agent().get(format!("http://{}{path}", g.addr()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.call().unwrap())
}

fn post(g: &proxy_gateway::Gateway, path: &str, body: &str) -> Reply {
    reply(
        agent()
            .post(format!("http://{}{path}", g.addr()))
            .send(body)
            .unwrap(),
    )
}

fn reply(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = r.body_mut().read_to_string().unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

#[test]
fn rewrites_inspects_calls_out_and_reports_metrics() {
    let (g, backend, _auth) = gateway(2, "value");

    // Header rewriting both ways (a public path: no callout).
    let r = get(
        &g,
        "/public/hello",
        &[("x-remove-me", "1"), ("user-agent", "test")],
    );
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with("GET /public/hello\n"), "{}", r.body);
    assert!(r.body.contains("x-spindle: rewrite\n"));
    assert!(r.body.contains("user-agent: spindle-filter\n"));
    assert!(r.body.contains("x-config: value\n"));
    assert!(r.body.contains("x-path: /public/hello\n"));
    assert!(!r.body.contains("x-remove-me"));
    assert_eq!(r.header("x-filter-response"), Some("rewrite"));
    assert_eq!(r.header("x-upstream"), Some("backend"));
    assert!(r.body.contains("x-map-rewritten: 1\n"), "{}", r.body);

    // A filter closing the stream: the request ends there, the backend is not asked.
    let before = backend.hits.load(Ordering::Relaxed);
    let r = get(&g, "/public/closed", &[("x-close", "1")]);
    assert_eq!(r.status, 500);
    assert!(r.body.contains("closed the stream"), "{}", r.body);
    assert_eq!(backend.hits.load(Ordering::Relaxed), before);

    // Body inspection: rewritten on the way up, refused locally (the backend never sees it).
    let r = post(&g, "/public/echo", "please shout");
    assert_eq!(r.status, 200);
    assert!(r.body.ends_with("\nPLEASE SHOUT"), "{}", r.body);
    let before = backend.hits.load(Ordering::Relaxed);
    let r = post(&g, "/public/echo", "something forbidden");
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-blocked"), Some("1"));
    assert_eq!(r.body, "blocked: forbidden word\n");
    assert_eq!(backend.hits.load(Ordering::Relaxed), before);

    // The response body changed on the way down (with its length).
    let r = get(&g, "/public/append", &[]);
    assert!(r.body.ends_with("\n-- appended by rewrite"), "{}", r.body);
    assert_eq!(
        r.header("content-length")
            .map(|l| l.parse::<usize>().unwrap()),
        Some(r.body.len())
    );

    // The callout: its answer adds a header to the request, or refuses it.
    let r = get(&g, "/private", &[("authorization", "good")]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("x-auth-user: ada\n"), "{}", r.body);
    // Shared data between the two filters: `auth` stored the user, `rewrite` reports it.
    assert_eq!(r.header("x-last-user"), Some("ada"));
    assert_eq!(
        get(&g, "/public/later", &[]).header("x-last-user"),
        Some("ada")
    );
    let r = get(&g, "/private", &[("authorization", "bad")]);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("spindle"));
    let r = get(&g, "/private", &[("authorization", "other")]);
    assert_eq!(r.status, 401);

    // Metrics, read back from the gateway.
    let m = get(&g, "/__metrics", &[]).body;
    let value = |name: &str| -> u64 {
        m.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in\n{m}"))
            .parse()
            .unwrap()
    };
    // Nine requests; the two refused by `auth` never reached `rewrite`.
    assert_eq!(value("rewrite_requests_total"), 7);
    assert_eq!(value("auth_callouts"), 3);
    assert_eq!(value("rewrite_body_sizes"), 2);
    assert_eq!(value("gateway_local_responses_total"), 3);
    g.stop();
}

#[test]
fn a_trapping_filter_answers_500_and_the_next_request_is_served() {
    let (g, _backend, _auth) = gateway(1, "");
    assert_eq!(get(&g, "/public/a", &[]).status, 200);
    let r = get(&g, "/public/a", &[("x-trap", "1")]);
    assert_eq!(r.status, 500);
    assert!(r.body.contains("filter rewrite failed"), "{}", r.body);
    for _ in 0..3 {
        assert_eq!(get(&g, "/public/a", &[]).status, 200);
    }
    assert_eq!(g.stats().vm_replacements.load(Ordering::Relaxed), 1);
    assert_eq!(g.stats().filter_failures.load(Ordering::Relaxed), 1);
    g.stop();
}

#[test]
fn ticks_and_shared_data_across_two_workers_vms() {
    let (g, _backend, _auth) = gateway(2, "tick");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut hits = Vec::new();
    // Separate connections, so both workers serve some.
    for _ in 0..20 {
        let r = get(&g, "/public/", &[]);
        assert!(r.header("x-ticks").unwrap().parse::<u64>().unwrap() > 0);
        hits.push(r.header("x-hits").unwrap().parse::<u64>().unwrap());
    }
    hits.sort();
    assert_eq!(hits, (1..=20).collect::<Vec<_>>());
    g.stop();
}

#[test]
fn under_load_from_eight_clients_nothing_is_lost_or_wrong() {
    let backend = demo::backend("127.0.0.1:0").unwrap();
    let auth = demo::auth("127.0.0.1:0").unwrap();
    let text = proxy_gateway::load::config_text(2, backend.addr, auth.addr, &filters_dir());
    let g = proxy_gateway::start(Config::parse(&text, Path::new(".")).unwrap()).unwrap();
    let report = proxy_gateway::load::run(g.addr(), 8, 250, "/public/load", 0);
    assert_eq!(report.ok, 2000, "{report}");
    assert_eq!(
        (report.wrong, report.lost, report.hits_mismatch),
        (0, 0, 0),
        "{report}"
    );
    g.stop();
}

#[test]
fn callouts_from_ticks_are_sent_and_answered() {
    // `auth` configured "refresh" asks the auth server from `proxy_on_tick`, outside any
    // request: the gateway sends those in the background.
    let (g, _backend, auth) = gateway_with(1, "", "refresh");
    std::thread::sleep(std::time::Duration::from_millis(600));
    let refreshes = g
        .shared()
        .metrics()
        .iter()
        .find(|m| m.name == "auth_refreshes")
        .map(|m| m.value())
        .unwrap();
    assert!(refreshes >= 3, "{refreshes} refreshes");
    assert!(auth.hits.load(Ordering::Relaxed) >= refreshes);
    g.stop();
}

#[test]
fn a_dropped_request_still_finishes_its_streams() {
    // The client gives up on a slow backend: the gateway's request future is dropped, and
    // the filters' streams still end (`rewrite` logs in `proxy_on_log` for this path).
    let (g, _backend, _auth) = gateway(1, "");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_millis(200)))
        .build()
        .into();
    assert!(agent
        .get(format!("http://{}/public/log-slow", g.addr()))
        .call()
        .is_err());
    let logged = || {
        g.shared()
            .log_entries()
            .iter()
            .any(|e| e.message == "/public/log-slow")
    };
    for _ in 0..50 {
        if logged() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(logged(), "on_log never ran for the dropped request");
    g.stop();
}
