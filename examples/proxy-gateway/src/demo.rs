//! The servers the example configuration talks to (and the tests use): a backend that
//! echoes what it received, and an auth server answering the `auth` filter's callouts.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A running demo server.
pub struct Server {
    pub addr: SocketAddr,
    /// Requests it answered.
    pub hits: Arc<AtomicU64>,
}

/// Serves `answer` on `addr` (port 0: any) from a thread of its own.
fn serve<F>(addr: &str, answer: F) -> std::io::Result<Server>
where
    F: Fn(String, String, Vec<(String, String)>, Bytes) -> Response<Full<Bytes>>
        + Send
        + Sync
        + 'static,
{
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the demo server");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let answer = answer.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let answer = answer.clone();
                        let counter = counter.clone();
                        async move {
                            counter.fetch_add(1, Ordering::Relaxed);
                            // A path with "slow" in it answers after a second.
                            if req.uri().path().contains("slow") {
                                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                            }
                            let method = req.method().to_string();
                            let path = req
                                .uri()
                                .path_and_query()
                                .map_or("/".into(), |p| p.to_string());
                            let headers = req
                                .headers()
                                .iter()
                                .map(|(k, v)| {
                                    (
                                        k.to_string(),
                                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                    )
                                })
                                .collect();
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            Ok::<_, Infallible>(answer(method, path, headers, body))
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    Ok(Server { addr, hits })
}

/// Echoes the request: `METHOD path`, each header as `name: value`, a blank line, the body
/// (after a second for a path containing `slow`).
pub fn backend(addr: &str) -> std::io::Result<Server> {
    serve(addr, |method, path, headers, body| {
        let mut text = format!("{method} {path}\n");
        for (k, v) in &headers {
            text.push_str(&format!("{k}: {v}\n"));
        }
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&body));
        let mut r = Response::builder()
            .header("content-type", "text/plain")
            .header("x-upstream", "backend");
        if path.contains("append") {
            r = r.header("x-append", "1");
        }
        r.body(Full::new(Bytes::from(text))).expect("a response")
    })
}

/// `GET /check` with `x-token: good` → 200 `x-auth-user: ada`; `bad` → 403; other
/// tokens → 200 with the body `deny`.
pub fn auth(addr: &str) -> std::io::Result<Server> {
    serve(addr, |_method, _path, headers, _body| {
        let token = headers
            .iter()
            .find(|(k, _)| k == "x-token")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let r = Response::builder();
        match token.as_str() {
            "good" => r
                .header("x-auth-user", "ada")
                .body(Full::new(Bytes::from("ok"))),
            "bad" => r.status(403).body(Full::new(Bytes::from("no"))),
            _ => r.body(Full::new(Bytes::from("deny"))),
        }
        .expect("a response")
    })
}
