//! A small HTTP/1.1 reverse proxy that runs proxy-wasm filter chains on Spindle.
//!
//! Each worker thread runs a current-thread tokio runtime, accepts from the shared
//! listener, and keeps one VM of every filter (as gateways run them). A request goes
//! through its route's filters (request headers, then body), to the upstream, and back
//! through the filters in reverse (response headers, then body). A filter may answer
//! locally, rewrite anything, or pause the request for HTTP callouts (to a configured
//! upstream) whose answers resume or refuse it. A filter that traps answers 500 and its VM
//! is replaced; the worker and the gateway go on.

pub mod config;
pub mod demo;
pub mod load;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use spindle_proxy_wasm::{
    FilterConfig, Headers, HttpCallRequest, HttpCallResponse, LocalResponse, LogLevel, Outcome,
    ProxyFilter, ProxyVm, Shared,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use config::Config;

/// Fuel per callback for a filter whose configuration names none.
pub const DEFAULT_FUEL: u64 = 100_000_000;
/// The longest a request may take through filters, callouts and the upstream.
const REQUEST_DEADLINE: Duration = Duration::from_secs(60);
/// The most rounds of callouts one pause may take.
const MAX_CALLOUT_ROUNDS: usize = 16;

/// Counters of the gateway itself (served with the filters' metrics).
#[derive(Default, Debug)]
pub struct Stats {
    pub requests: AtomicU64,
    pub local_responses: AtomicU64,
    pub filter_failures: AtomicU64,
    pub vm_replacements: AtomicU64,
    pub upstream_errors: AtomicU64,
}

/// A running gateway.
pub struct Gateway {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stats: Arc<Stats>,
    stop: tokio::sync::watch::Sender<bool>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Gateway {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }
    /// Waits for the workers (they run until `stop`).
    pub fn join(self) {
        for w in self.workers {
            let _ = w.join();
        }
    }
    /// Stops accepting and ends the workers.
    pub fn stop(self) {
        let _ = self.stop.send(true);
        self.join();
    }
}

/// What every worker shares: the compiled filters and the configuration.
struct Common<F: ProxyFilter> {
    config: Config,
    filters: HashMap<String, Arc<F>>,
    upstreams: HashMap<String, String>,
    shared: Arc<Shared>,
    stats: Arc<Stats>,
}

fn log_level(s: Option<&str>) -> Result<LogLevel, String> {
    Ok(match s.unwrap_or("info") {
        "trace" => LogLevel::Trace,
        "debug" => LogLevel::Debug,
        "info" => LogLevel::Info,
        "warn" => LogLevel::Warn,
        "error" => LogLevel::Error,
        "critical" => LogLevel::Critical,
        other => return Err(format!("unknown log level {other}")),
    })
}

/// Compiles the filters (on Spindle), binds the listener, and starts the workers.
pub fn start(config: Config) -> Result<Gateway, String> {
    start_with::<spindle_proxy_wasm::Filter>(config, "threaded")
}

/// [`start`] over any filter runtime `F`, with its engine of kind `engine_kind` (the
/// reference measurements run this gateway over wasmtime).
pub fn start_with<F: ProxyFilter>(config: Config, engine_kind: &str) -> Result<Gateway, String> {
    let engine = F::engine(engine_kind)?;
    let shared = Shared::new();
    let upstream_names: Vec<String> = config.upstreams.keys().cloned().collect();
    let mut filters = HashMap::new();
    for spec in &config.filters {
        let wasm =
            std::fs::read(&spec.path).map_err(|e| format!("{}: {e}", spec.path.display()))?;
        let mut fc = FilterConfig::new(&spec.name);
        fc.plugin_configuration = spec.configuration.as_bytes().to_vec();
        fc.vm_configuration = spec.vm_configuration.as_bytes().to_vec();
        fc.vm_id = spec.vm_id.clone();
        fc.root_id = spec.name.clone();
        // A callback never runs unbounded: without a configured budget, 100 M operators
        // (an infinite loop would otherwise hold its worker and every connection on it).
        fc.fuel_per_callback = Some(spec.fuel.unwrap_or(DEFAULT_FUEL));
        fc.memory_limit = spec.memory;
        fc.log_level = log_level(spec.log_level.as_deref())?;
        fc.upstreams = upstream_names.clone();
        let filter = F::compile(&engine, &wasm, fc, shared.clone())
            .map_err(|e| format!("filter {}: {e}", spec.name))?;
        // Made once here so a filter that cannot start is reported now.
        filter
            .make_vm(None)
            .map_err(|e| format!("filter {}: {e}", spec.name))?;
        filters.insert(spec.name.clone(), Arc::new(filter));
    }
    let listener = std::net::TcpListener::bind(&config.listen)
        .map_err(|e| format!("{}: {e}", config.listen))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let stats = Arc::new(Stats::default());
    let common = Arc::new(Common {
        upstreams: config.upstreams.clone().into_iter().collect(),
        config,
        filters,
        shared: shared.clone(),
        stats: stats.clone(),
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for n in 0..common.config.workers {
        let listener = listener.try_clone().map_err(|e| e.to_string())?;
        let common = common.clone();
        let stopped = stopped.clone();
        workers.push(
            std::thread::Builder::new()
                .name(format!("gateway-worker-{n}"))
                .spawn(move || worker_main(common, listener, stopped))
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(Gateway {
        addr,
        shared,
        stats,
        stop,
        workers,
    })
}

fn worker_main<F: ProxyFilter>(
    common: Arc<Common<F>>,
    listener: std::net::TcpListener,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gateway worker: no runtime: {e}");
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        let (queue_tx, mut queue_rx) = tokio::sync::mpsc::unbounded_channel::<(String, u32)>();
        let worker = Rc::new(Worker {
            common: common.clone(),
            vms: RefCell::new(HashMap::new()),
            client: Client::builder(TokioExecutor::new()).build_http(),
            queue_tx,
        });
        for name in common.filters.keys() {
            let _ = worker.with_vm(name, |_| Ok(()));
            tokio::task::spawn_local(tick_loop(worker.clone(), name.clone()));
        }
        let w = worker.clone();
        tokio::task::spawn_local(async move {
            while let Some((name, queue)) = queue_rx.recv().await {
                let _ = w.with_vm(&name, |vm| {
                    vm.on_queue_ready(queue).map_err(|e| e.to_string())
                });
                w.dispatch_calls(&name);
            }
        });
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else {
                        // Out of descriptors, say: wait a little rather than spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let worker = worker.clone();
                    tokio::task::spawn_local(async move {
                        let svc = service_fn(move |req| {
                            let worker = worker.clone();
                            async move { Ok::<_, Infallible>(Worker::handle(&worker, req, peer).await) }
                        });
                        let _ = http1::Builder::new()
                            .timer(hyper_util::rt::TokioTimer::new())
                            .header_read_timeout(Duration::from_secs(10))
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                _ = stopped.changed() => break,
            }
        }
    });
}

/// Calls the filter's `proxy_on_tick` at the period it set (checked again every 100 ms
/// while it has none).
async fn tick_loop<F: ProxyFilter>(worker: Rc<Worker<F>>, name: String) {
    loop {
        let period = worker
            .vms
            .borrow()
            .get(&name)
            .and_then(|(_, vm)| vm.period());
        match period {
            Some(p) => {
                // At least a millisecond between ticks, whatever the filter asked.
                tokio::time::sleep(p.max(Duration::from_millis(1))).await;
                let _ = worker.with_vm(&name, |vm| vm.on_tick().map_err(|e| e.to_string()));
                worker.dispatch_calls(&name);
            }
            // No VM (it failed to start: retried at this pace) or no ticks asked for.
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

type Body = BoxBody<Bytes, Infallible>;

/// A body of `bytes`, then `trailers` if there are any.
fn body(bytes: impl Into<Bytes>, trailers: &Headers) -> Body {
    if trailers.is_empty() {
        return Full::new(bytes.into()).boxed();
    }
    let mut map = hyper::HeaderMap::new();
    for (k, v) in trailers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(v),
        ) {
            map.append(n, v);
        }
    }
    Trailing {
        data: Some(bytes.into()),
        trailers: Some(map),
    }
    .boxed()
}

/// A body of one data frame and then trailers, of no announced length (so HTTP/1.1 sends
/// it chunked, the only way trailers travel).
struct Trailing {
    data: Option<Bytes>,
    trailers: Option<hyper::HeaderMap>,
}

impl hyper::body::Body for Trailing {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        let frame = match self.data.take() {
            Some(d) => Some(hyper::body::Frame::data(d)),
            None => self.trailers.take().map(hyper::body::Frame::trailers),
        };
        std::task::Poll::Ready(frame.map(Ok))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }
}

/// One worker: its VMs (with a generation each, so a stream of a replaced VM is never
/// confused with one of its successor), its HTTP client.
struct Worker<F: ProxyFilter> {
    common: Arc<Common<F>>,
    vms: RefCell<HashMap<String, (u64, F::Vm)>>,
    client: Client<HttpConnector, Body>,
    queue_tx: tokio::sync::mpsc::UnboundedSender<(String, u32)>,
}

/// The streams a request opened, closed (in reverse) when it is dropped.
struct OpenStreams<F: ProxyFilter> {
    worker: Rc<Worker<F>>,
    streams: Vec<OpenStream>,
}

impl<F: ProxyFilter> Drop for OpenStreams<F> {
    fn drop(&mut self) {
        for s in self.streams.iter().rev() {
            let _ = self.worker.with_stream_vm(s, |vm| vm.close_stream(s.id));
        }
    }
}

/// Which way data goes through a filter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

/// A stream a filter has open for a request: the filter, its VM's generation, the id.
struct OpenStream {
    filter: String,
    generation: u64,
    id: u32,
}

/// Why a request ends early: a filter's local response, or a failure (500).
enum Stop {
    Local(LocalResponse),
    Failed(String),
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(self::body(body, &Vec::new()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    r
}

fn to_response(fields: &Headers, body: Vec<u8>, trailers: &Headers) -> Response<Body> {
    let status = fields
        .iter()
        .find(|(k, _)| k == ":status")
        .and_then(|(_, v)| v.parse::<u16>().ok())
        .map_or(Some(StatusCode::OK), |s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = Response::new(self::body(body, trailers));
    *r.status_mut() = status;
    for (k, v) in end_to_end(fields) {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(v),
        ) {
            r.headers_mut().append(n, v);
        }
    }
    r
}

fn local_response(l: LocalResponse) -> Response<Body> {
    let mut fields = l.headers;
    fields.push((":status".into(), l.status.to_string()));
    to_response(&fields, l.body, &Vec::new())
}

/// Headers the proxy sets itself (lengths, connection management) or that concern one
/// hop only: never forwarded.
fn is_hop_header(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    matches!(
        k.as_str(),
        "content-length"
            | "transfer-encoding"
            | "connection"
            | "keep-alive"
            | "upgrade"
            | "te"
            | "trailer"
            | "host"
    ) || k.starts_with("proxy-")
}

/// Drops the hop-by-hop fields, and those the `connection` field names.
fn end_to_end(fields: &Headers) -> impl Iterator<Item = &(String, String)> {
    let named: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(',').map(|n| n.trim().to_ascii_lowercase()))
        .collect();
    fields.iter().filter(move |(k, _)| {
        !k.starts_with(':') && !is_hop_header(k) && !named.contains(&k.to_ascii_lowercase())
    })
}

fn fields_of(headers: &hyper::HeaderMap) -> Headers {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

impl<F: ProxyFilter> Worker<F> {
    /// Runs `f` on the filter's VM, making one (again) if there is none or it broke.
    fn with_vm<R>(
        &self,
        name: &str,
        f: impl FnOnce(&mut F::Vm) -> Result<R, String>,
    ) -> Result<(u64, R), String> {
        let mut vms = self.vms.borrow_mut();
        let needs_new = vms.get(name).is_none_or(|(_, vm)| vm.broken());
        if needs_new {
            let filter = self
                .common
                .filters
                .get(name)
                .ok_or(format!("no filter {name}"))?;
            let tx = self.queue_tx.clone();
            let owner = name.to_string();
            let notifier: spindle_proxy_wasm::QueueNotifier = Arc::new(move |q| {
                let _ = tx.send((owner.clone(), q));
            });
            let vm = filter.make_vm(Some(notifier)).map_err(|e| e.to_string())?;
            let generation = match vms.get(name) {
                Some((g, _)) => {
                    self.common
                        .stats
                        .vm_replacements
                        .fetch_add(1, Ordering::Relaxed);
                    g + 1
                }
                None => 0,
            };
            vms.insert(name.to_string(), (generation, vm));
        }
        let (generation, vm) = vms.get_mut(name).expect("just made");
        let r = f(vm)?;
        Ok((*generation, r))
    }

    /// Runs `f` on the VM of `open`'s generation; `None` if that VM was replaced since.
    fn with_stream_vm<R>(&self, open: &OpenStream, f: impl FnOnce(&mut F::Vm) -> R) -> Option<R> {
        let mut vms = self.vms.borrow_mut();
        match vms.get_mut(&open.filter) {
            Some((g, vm)) if *g == open.generation && !vm.broken() => Some(f(vm)),
            _ => None,
        }
    }

    async fn handle(self: &Rc<Self>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let stats = &self.common.stats;
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let path = req
            .uri()
            .path_and_query()
            .map_or("/".to_string(), |p| p.to_string());
        if self.common.config.metrics_path.as_deref() == Some(req.uri().path()) {
            return text(StatusCode::OK, self.metrics());
        }
        let Some(route) = self
            .common
            .config
            .routes
            .iter()
            .filter(|r| path.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len())
            .cloned()
        else {
            return text(StatusCode::NOT_FOUND, "no route\n");
        };
        let method = req.method().to_string();
        let authority = req
            .headers()
            .get("host")
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .unwrap_or_default();
        let mut headers: Headers = vec![
            (":method".into(), method.clone()),
            (":path".into(), path.clone()),
            (":authority".into(), authority.clone()),
            (":scheme".into(), "http".into()),
        ];
        headers.extend(fields_of(req.headers()));
        let max = self.common.config.max_body;
        let (body, trailers) = match Limited::new(req.into_body(), max).collect().await {
            Ok(b) => {
                let trailers = b.trailers().map(fields_of).unwrap_or_default();
                (b.to_bytes().to_vec(), trailers)
            }
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n")
            }
            Err(_) => return text(StatusCode::BAD_REQUEST, "request body unreadable\n"),
        };
        let props: HashMap<String, Vec<u8>> = [
            ("request.path", path.as_str()),
            ("request.method", method.as_str()),
            ("request.host", authority.as_str()),
            ("request.scheme", "http"),
            ("request.protocol", "HTTP/1.1"),
            ("source.address", &peer.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();

        // The streams opened for this request are closed however it ends: answered,
        // failed, past its deadline, or dropped with its connection (the guard).
        let mut open = OpenStreams {
            worker: self.clone(),
            streams: Vec::new(),
        };
        let result = tokio::time::timeout(
            REQUEST_DEADLINE,
            self.proxy(&route, (headers, body, trailers), &props, &mut open.streams),
        )
        .await
        .unwrap_or_else(|_| Err(Stop::Failed("the request took too long".into())));
        let filters: Vec<String> = open.streams.iter().map(|s| s.filter.clone()).collect();
        drop(open);
        for name in filters {
            self.dispatch_calls(&name);
        }
        match result {
            Ok(r) => r,
            Err(Stop::Local(l)) => {
                stats.local_responses.fetch_add(1, Ordering::Relaxed);
                local_response(l)
            }
            Err(Stop::Failed(why)) => {
                stats.filter_failures.fetch_add(1, Ordering::Relaxed);
                text(StatusCode::INTERNAL_SERVER_ERROR, format!("{why}\n"))
            }
        }
    }

    /// The request through the filters, the upstream, and back.
    async fn proxy(
        self: &Rc<Self>,
        route: &config::Route,
        (mut headers, mut body, mut trailers): (Headers, Vec<u8>, Headers),
        props: &HashMap<String, Vec<u8>>,
        open: &mut Vec<OpenStream>,
    ) -> Result<Response<Body>, Stop> {
        for name in &route.filters {
            let fail = |e: String| Stop::Failed(format!("filter {name} failed: {e}"));
            let (generation, id) = self
                .with_vm(name, |vm| {
                    vm.open_stream(props.clone()).map_err(|e| e.to_string())
                })
                .map_err(fail)?;
            let s = OpenStream {
                filter: name.clone(),
                generation,
                id,
            };
            open.push(s);
            let s = open.last().expect("just pushed");
            self.phase(
                s,
                Direction::Request,
                (&mut headers, &mut body, &mut trailers),
            )
            .await?;
        }
        let Some((mut headers, mut body, mut trailers)) = self
            .upstream(&route.upstream, &headers, body, &trailers)
            .await
        else {
            self.common
                .stats
                .upstream_errors
                .fetch_add(1, Ordering::Relaxed);
            return Ok(text(StatusCode::BAD_GATEWAY, "upstream unavailable\n"));
        };
        for s in open.iter().rev() {
            self.phase(
                s,
                Direction::Response,
                (&mut headers, &mut body, &mut trailers),
            )
            .await?;
        }
        Ok(to_response(&headers, body, &trailers))
    }

    /// One direction of a stream through one filter: its headers, body and trailers
    /// callbacks (each only when there is something to show), the data moved into the
    /// stream before each and back out after the last.
    async fn phase(
        self: &Rc<Self>,
        s: &OpenStream,
        dir: Direction,
        (headers, body, trailers): (&mut Headers, &mut Vec<u8>, &mut Headers),
    ) -> Result<(), Stop> {
        let fail = |e: String| Stop::Failed(format!("filter {} failed: {e}", s.filter));
        let id = s.id;
        let request = dir == Direction::Request;
        let (has_body, has_trailers) = (!body.is_empty(), !trailers.is_empty());
        let (h, b, t) = (
            std::mem::take(headers),
            std::mem::take(body),
            std::mem::take(trailers),
        );
        let outcome = self
            .call(s, |vm| {
                if let Some(st) = vm.stream_data(id) {
                    if request {
                        (st.request_headers, st.request_body, st.request_trailers) = (h, b, t);
                    } else {
                        (st.response_headers, st.response_body, st.response_trailers) = (h, b, t);
                    }
                }
                let end = !has_body && !has_trailers;
                if request {
                    vm.on_request_headers(id, end)
                } else {
                    vm.on_response_headers(id, end)
                }
            })
            .map_err(fail)?;
        self.settle(s, outcome, request).await?;
        if has_body {
            let end = !has_trailers;
            let outcome = self
                .call(s, |vm| {
                    if request {
                        vm.on_request_body(id, end)
                    } else {
                        vm.on_response_body(id, end)
                    }
                })
                .map_err(fail)?;
            // A pause before the end of the body asks for the rest buffered: the whole
            // body is here already, so it goes on to the trailers, whose callback settles
            // any callout the body's made.
            if outcome != Outcome::Pause || end {
                self.settle(s, outcome, request).await?;
            }
        }
        if has_trailers {
            let outcome = self
                .call(s, |vm| {
                    if request {
                        vm.on_request_trailers(id)
                    } else {
                        vm.on_response_trailers(id)
                    }
                })
                .map_err(fail)?;
            self.settle(s, outcome, request).await?;
        }
        self.with_stream_vm(s, |vm| {
            if let Some(st) = vm.stream_data(id) {
                let (h, b, t) = if request {
                    (
                        &mut st.request_headers,
                        &mut st.request_body,
                        &mut st.request_trailers,
                    )
                } else {
                    (
                        &mut st.response_headers,
                        &mut st.response_body,
                        &mut st.response_trailers,
                    )
                };
                // Copies: the stream keeps its fields for `proxy_on_log`.
                headers.clone_from(h);
                body.clone_from(b);
                trailers.clone_from(t);
            }
        });
        Ok(())
    }

    /// A callback on the stream's VM; a VM replaced meanwhile is a failure.
    fn call(
        &self,
        s: &OpenStream,
        f: impl FnOnce(&mut F::Vm) -> Result<Outcome, spindle_proxy_wasm::VmError>,
    ) -> Result<Outcome, String> {
        let r = self.with_stream_vm(s, |vm| {
            // A resume counts only for a pause it follows.
            if let Some(st) = vm.stream_data(s.id) {
                st.request_resumed = false;
                st.response_resumed = false;
            }
            let r = f(vm);
            let closed = vm.stream_data(s.id).is_some_and(|st| st.closed);
            (r, closed)
        });
        match r {
            Some((_, true)) => Err("it closed the stream".into()),
            Some((r, false)) => r.map_err(|e| e.to_string()),
            None => Err("its VM was replaced during the request".into()),
        }
    }

    /// Sends the callouts a filter's VM asked for outside a paused stream (from a tick,
    /// a queue notification, a callback that went on, a stream's end) in the background,
    /// each answer delivered to the VM that asked (if it is still the same one).
    fn dispatch_calls(self: &Rc<Self>, name: &str) {
        let Ok((generation, calls)) = self.with_vm(name, |vm| Ok(vm.calls())) else {
            return;
        };
        for call in calls {
            let worker = self.clone();
            let at = OpenStream {
                filter: name.to_string(),
                generation,
                id: call.context_id,
            };
            tokio::task::spawn_local(async move {
                let answer = worker.callout(&call).await;
                let _ = worker.with_stream_vm(&at, |vm| vm.on_call_response(&call, answer));
                worker.dispatch_calls(&at.filter);
            });
        }
    }

    /// Follows a callback's outcome: a local response stops the request; a pause waits
    /// for the filter's callouts, whose callbacks resume the stream or answer locally.
    async fn settle(
        self: &Rc<Self>,
        s: &OpenStream,
        mut outcome: Outcome,
        request: bool,
    ) -> Result<(), Stop> {
        let fail = |e: String| Stop::Failed(format!("filter {} failed: {e}", s.filter));
        for _ in 0..=MAX_CALLOUT_ROUNDS {
            match outcome {
                Outcome::Continue => return Ok(()),
                Outcome::Respond(l) => return Err(Stop::Local(l)),
                Outcome::Pause => {}
            }
            let calls = self
                .with_stream_vm(s, |vm| vm.calls())
                .ok_or_else(|| fail("its VM was replaced during the request".into()))?;
            if calls.is_empty() {
                return Err(fail(
                    "paused the stream with no callout to resume it".into(),
                ));
            }
            // The callouts run together; their answers come back in the order asked.
            let running: Vec<_> = calls
                .into_iter()
                .map(|call| {
                    let worker = self.clone();
                    tokio::task::spawn_local(async move {
                        let answer = worker.callout(&call).await;
                        (call, answer)
                    })
                })
                .collect();
            for task in running {
                let (call, answer) = task.await.map_err(|e| fail(e.to_string()))?;
                self.with_stream_vm(s, |vm| vm.on_call_response(&call, answer))
                    .ok_or_else(|| fail("its VM was replaced during the request".into()))?
                    .map_err(|e| fail(e.to_string()))?;
            }
            outcome = self
                .with_stream_vm(s, |vm| {
                    let st = vm.stream_data(s.id)?;
                    if let Some(l) = st.local_response.take() {
                        return Some(Outcome::Respond(l));
                    }
                    let resumed = if request {
                        &mut st.request_resumed
                    } else {
                        &mut st.response_resumed
                    };
                    Some(if std::mem::take(resumed) {
                        Outcome::Continue
                    } else {
                        Outcome::Pause
                    })
                })
                .flatten()
                .ok_or_else(|| fail("its VM was replaced during the request".into()))?;
        }
        Err(fail(format!(
            "still paused after {MAX_CALLOUT_ROUNDS} rounds of callouts"
        )))
    }

    /// Sends `fields` (pseudo-headers for the method and path) and `body` to `upstream`.
    async fn send(
        &self,
        upstream: &str,
        fields: &Headers,
        (body, trailers): (Vec<u8>, &Headers),
        timeout: Duration,
    ) -> Option<(Headers, Vec<u8>, Headers)> {
        let addr = self.common.upstreams.get(upstream)?;
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        // Only an origin-form path: anything else (`@host/...`) could name another host.
        let path = get(":path").unwrap_or("/");
        if !path.starts_with('/') {
            return None;
        }
        let uri = format!("http://{addr}{path}");
        let mut builder = Request::builder()
            .method(get(":method").unwrap_or("GET"))
            .uri(uri);
        for (k, v) in end_to_end(fields) {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(a) = get(":authority") {
            builder = builder.header("host", a);
        }
        let req = builder.body(self::body(body, trailers)).ok()?;
        let resp = tokio::time::timeout(timeout, self.client.request(req))
            .await
            .ok()?
            .ok()?;
        let mut out: Headers = vec![(":status".into(), resp.status().as_u16().to_string())];
        out.extend(fields_of(resp.headers()));
        let max = self.common.config.max_body;
        let collected =
            tokio::time::timeout(timeout, Limited::new(resp.into_body(), max).collect())
                .await
                .ok()?
                .ok()?;
        let trailers = collected.trailers().map(fields_of).unwrap_or_default();
        Some((out, collected.to_bytes().to_vec(), trailers))
    }

    async fn upstream(
        &self,
        upstream: &str,
        fields: &Headers,
        body: Vec<u8>,
        trailers: &Headers,
    ) -> Option<(Headers, Vec<u8>, Headers)> {
        self.send(upstream, fields, (body, trailers), Duration::from_secs(30))
            .await
    }

    async fn callout(&self, call: &HttpCallRequest) -> Option<HttpCallResponse> {
        let timeout = Duration::from_millis(u64::from(call.timeout_ms.clamp(1, 60_000)));
        let (headers, body, trailers) = self
            .send(
                &call.upstream,
                &call.headers,
                (call.body.clone(), &call.trailers),
                timeout,
            )
            .await?;
        Some(HttpCallResponse {
            headers,
            body,
            trailers,
        })
    }

    /// The filters' metrics and the gateway's counters, one per line.
    fn metrics(&self) -> String {
        let mut out = String::new();
        for m in self.common.shared.metrics() {
            let kind = match m.ty {
                spindle_proxy_wasm::MetricType::Counter => "counter",
                spindle_proxy_wasm::MetricType::Gauge => "gauge",
                spindle_proxy_wasm::MetricType::Histogram => "histogram",
            };
            out.push_str(&format!(
                "# TYPE {} {kind}\n{} {}\n",
                m.name,
                m.name,
                m.value()
            ));
            if m.ty == spindle_proxy_wasm::MetricType::Histogram {
                out.push_str(&format!("{}_sum {}\n", m.name, m.sum()));
            }
        }
        let s = &self.common.stats;
        for (name, v) in [
            ("gateway_requests_total", &s.requests),
            ("gateway_local_responses_total", &s.local_responses),
            ("gateway_filter_failures_total", &s.filter_failures),
            ("gateway_vm_replacements_total", &s.vm_replacements),
            ("gateway_upstream_errors_total", &s.upstream_errors),
        ] {
            out.push_str(&format!("{name} {}\n", v.load(Ordering::Relaxed)));
        }
        out
    }
}
