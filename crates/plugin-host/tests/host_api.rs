//! Every `host-api` function through a plugin (`examples/components/plugin/tour.c`, which
//! calls each once on `on-login` and emits its answers as the event "tour"): SQLite with
//! a rolled-back and a committed transaction, the sandbox directory (escapes refused),
//! HTTP to an allowed local server (and not to others), configuration, persistent data,
//! posts, the event bus and the log.

use std::io::{Read, Write};
use std::net::TcpListener;

use spindle_plugin_host::{HostConfig, PluginHost};

const TOUR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/components/plugin/tour.wasm"
);

/// A local HTTP server answering `n` requests: GET with "pong", POST with "got: <body>".
fn server(n: usize) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..n {
            let (mut c, _) = listener.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            let (head, body) = loop {
                let k = c.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..k]);
                if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&req[..i]).into_owned();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    while req.len() < i + 4 + len {
                        let k = c.read(&mut buf).unwrap();
                        req.extend_from_slice(&buf[..k]);
                    }
                    break (
                        head,
                        String::from_utf8_lossy(&req[i + 4..i + 4 + len]).into_owned(),
                    );
                }
            };
            let reply = if head.starts_with("POST") {
                format!("got: {body}")
            } else {
                "pong".to_string()
            };
            seen.push(head.lines().next().unwrap_or("").to_string());
            write!(
                c,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            )
            .unwrap();
        }
        seen
    });
    (port, handle)
}

#[test]
fn every_host_function_does_its_real_work() {
    let root = std::env::temp_dir().join(format!("spindle-cms-tour-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("extensions/plugins/tour");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(TOUR, dir.join("plugin.wasm")).unwrap();
    let (port, http) = server(2);
    std::fs::write(
        dir.join("manifest.toml"),
        format!(
            "name = \"Tour\"\nversion = \"0.1.0\"\nruntime = \"wasm\"\nentry = \"plugin.wasm\"\n\
             [hooks.on-login]\npriority = 1\n\
             [config]\ngreeting = \"hi there\"\n\
             allowed-url = \"http://127.0.0.1:{port}/allowed/ping\"\n\
             denied-url = \"http://127.0.0.1:{port}/denied\"\n"
        ),
    )
    .unwrap();
    let mut config = HostConfig::new(&root);
    config.pool_size = 1;
    config.http_allow = vec![format!("http://127.0.0.1:{port}/allowed/")];
    let host = PluginHost::new(config).unwrap();
    // A file beside the plugin's sandbox that it must not reach.
    std::fs::create_dir_all(root.join("sandbox")).unwrap();
    std::fs::write(root.join("sandbox/secret.txt"), "secret").unwrap();
    host.services()
        .add_post("p1", "hello", "Hello", "c", "published", "2026-12-04")
        .unwrap();
    assert_eq!(host.discover(), [("tour".to_string(), Ok(()))]);
    let report = host.on_login("ada");
    assert_eq!(
        (report.value, report.failures.len()),
        (1, 0),
        "{:?}",
        report.failures
    );
    let events = host.services().events();
    let tour = events
        .iter()
        .find(|e| e.event_type == "tour")
        .expect("the tour event");
    let lines: Vec<&str> = tour.data.lines().collect();
    let expected = [
        "get-config: hi there",
        "set-data: true",
        "get-data: ada",
        "get-data absent: none",
        r#"get-post: {"content":"c","created_at":"2026-12-04","id":"p1","slug":"hello","status":"published","title":"Hello"}"#,
        r#"db-execute create: {"changes":0}"#,
        r#"db-begin: {"ok":true}"#,
        r#"db-execute insert: {"changes":1}"#,
        r#"db-rollback: {"ok":true}"#,
        r#"db-commit: {"ok":true}"#,
        r#"db-query: [{"n":2,"who":"kept"}]"#,
    ];
    assert_eq!(lines[..expected.len()], expected, "{}", tour.data);
    assert!(
        lines[11].starts_with(r#"db-query bad: {"error":"#),
        "{}",
        lines[11]
    );
    assert_eq!(
        lines[12..],
        [
            "vfs-write: true",
            "vfs-exists: true",
            "vfs-read: hello, vfs",
            r#"vfs-list: ["a.txt"]"#,
            "vfs-stat size: 10",
            "vfs-write escape: false",
            "vfs-read escape: none",
            "vfs-delete: true",
            "vfs-exists after: false",
            "http-get: pong",
            "http-post: got: posted body",
            "http-get denied: none",
        ]
    );
    // The real effects: the committed row only, the data, nothing written outside.
    let db = rusqlite_rows(&host.services().plugin_db_path("tour"));
    assert_eq!(db, [(2, "kept".to_string())]);
    assert_eq!(host.services().data("tour", "user").as_deref(), Some("ada"));
    assert!(!root.join("sandbox/escape.txt").exists() && !root.join("escape.txt").exists());
    let log = host.services().logs();
    assert_eq!(
        (log[0].plugin.as_str(), log[0].message.as_str()),
        ("tour", "tour done")
    );
    assert_eq!(
        http.join().unwrap(),
        ["GET /allowed/ping HTTP/1.1", "POST /allowed/ping HTTP/1.1"]
    );
    // The data persists: a new host on the same site finds it.
    drop(host);
    let again = PluginHost::new(HostConfig::new(&root)).unwrap();
    assert_eq!(
        again.services().data("tour", "user").as_deref(),
        Some("ada")
    );
    std::fs::remove_dir_all(&root).unwrap();
}

fn rusqlite_rows(db: &std::path::Path) -> Vec<(i64, String)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c.prepare("select n, who from tour order by n").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}
