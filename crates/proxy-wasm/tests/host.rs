//! The host over the committed C filters (`filters/*.c`), without a gateway: every
//! callback and host function the filters use, checked by what the filter did.

use spindle_proxy_wasm::{
    Filter, FilterConfig, HttpCallResponse, LocalResponse, LogLevel, MetricType, Outcome, Shared,
    VmError,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

fn wasm(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/filters/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn engine() -> spindle::Engine {
    spindle::Engine::new(spindle::Config::new().consume_fuel(true)).unwrap()
}

fn header<'a>(h: &'a [(String, String)], k: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn request(path: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut h = vec![
        (":method".to_string(), "GET".to_string()),
        (":path".to_string(), path.to_string()),
        (":authority".to_string(), "example".to_string()),
        ("user-agent".to_string(), "curl".to_string()),
    ];
    h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    h
}

fn props(path: &str) -> HashMap<String, Vec<u8>> {
    HashMap::from([("request.path".to_string(), path.as_bytes().to_vec())])
}

fn rewrite(shared: &Arc<Shared>, plugin_config: &str) -> Filter {
    let mut config = FilterConfig::new("rewrite");
    config.plugin_configuration = plugin_config.as_bytes().to_vec();
    config.vm_configuration = b"vm-config".to_vec();
    config.fuel_per_callback = Some(10_000_000);
    config.memory_limit = Some(16 << 20);
    Filter::new(&engine(), &wasm("rewrite"), config, shared.clone()).unwrap()
}

#[test]
fn headers_properties_bodies_metrics_and_logs() {
    let shared = Shared::new();
    let filter = rewrite(&shared, "value-from-config");
    let mut vm = filter.vm(None).unwrap();
    let log = shared.log_entries();
    assert!(log
        .iter()
        .any(|e| e.message == "vm-config" && e.level == LogLevel::Info));
    assert!(log.iter().any(|e| e.message == "rewrite filter configured"));

    let id = vm.new_stream(props("/hello")).unwrap();
    vm.stream(id).unwrap().request_headers = request("/hello", &[("x-remove-me", "1")]);
    assert_eq!(vm.request_headers(id, false).unwrap(), Outcome::Continue);
    let s = vm.stream(id).unwrap();
    let h = &s.request_headers;
    assert_eq!(header(h, "x-spindle"), Some("rewrite"));
    assert_eq!(header(h, "user-agent"), Some("spindle-filter"));
    assert_eq!(header(h, "x-remove-me"), None);
    assert_eq!(header(h, "x-config"), Some("value-from-config"));
    assert_eq!(header(h, "x-path"), Some("/hello"));
    assert_eq!(header(h, "x-prop"), Some("yes"));
    assert_eq!(header(h, "x-header-count"), Some("5"));
    assert_eq!(header(h, "x-map-rewritten"), Some("1"));
    assert_eq!(header(h, "x-clock"), Some("ok"));
    assert_eq!(header(h, "x-requests-so-far"), Some("1"));

    // Bodies: rewritten in place; the response body appended to.
    s.request_body = b"please shout this".to_vec();
    assert_eq!(vm.request_body(id, true).unwrap(), Outcome::Continue);
    assert_eq!(vm.stream(id).unwrap().request_body, b"PLEASE SHOUT THIS");
    let s = vm.stream(id).unwrap();
    s.response_headers = vec![
        (":status".into(), "200".into()),
        ("x-append".into(), "1".into()),
    ];
    assert_eq!(vm.response_headers(id, false).unwrap(), Outcome::Continue);
    let s = vm.stream(id).unwrap();
    assert_eq!(
        header(&s.response_headers, "x-filter-response"),
        Some("rewrite")
    );
    assert_eq!(header(&s.response_headers, "x-hits"), Some("1"));
    s.response_body = b"upstream says hi".to_vec();
    assert_eq!(vm.response_body(id, true).unwrap(), Outcome::Continue);
    assert_eq!(
        vm.stream(id).unwrap().response_body,
        b"upstream says hi\n-- appended by rewrite"
    );
    // Trailers both ways.
    vm.stream(id).unwrap().request_trailers = vec![("checksum".into(), "abc".into())];
    assert_eq!(vm.request_trailers(id).unwrap(), Outcome::Continue);
    let t = &vm.stream(id).unwrap().request_trailers;
    assert_eq!(header(t, "x-trailers-seen"), Some("1"));
    vm.stream(id).unwrap().response_trailers = vec![("grpc-status".into(), "0".into())];
    assert_eq!(vm.response_trailers(id).unwrap(), Outcome::Continue);
    let t = &vm.stream(id).unwrap().response_trailers;
    assert_eq!(header(t, "x-grpc-status-seen"), Some("0"));
    vm.finish_stream(id).unwrap();
    assert!(vm.stream(id).is_none());

    // A forbidden body: a local response, with its headers.
    let id = vm.new_stream(props("/log")).unwrap();
    vm.stream(id).unwrap().request_headers = request("/log", &[]);
    vm.request_headers(id, false).unwrap();
    vm.stream(id).unwrap().request_body = b"a forbidden word".to_vec();
    match vm.request_body(id, true).unwrap() {
        Outcome::Respond(LocalResponse {
            status,
            details,
            headers,
            body,
            ..
        }) => {
            assert_eq!(status, 403);
            assert_eq!(details, "blocked by filter");
            assert_eq!(header(&headers, "x-blocked"), Some("1"));
            assert_eq!(body, b"blocked: forbidden word\n");
        }
        other => panic!("{other:?}"),
    }
    vm.finish_stream(id).unwrap();
    // `proxy_on_log` read the request headers of the finished stream.
    assert!(shared.log_entries().iter().any(|e| e.message == "/log"));

    // Metrics of each kind.
    let metrics = shared.metrics();
    let m = |name: &str| metrics.iter().find(|m| m.name == name).unwrap();
    assert_eq!(m("rewrite_requests_total").value(), 2);
    assert_eq!(m("rewrite_requests_total").ty, MetricType::Counter);
    assert_eq!(m("rewrite_last_body_size").value(), 16);
    assert_eq!(m("rewrite_body_sizes").value(), 2);
    assert_eq!(m("rewrite_body_sizes").sum(), 17 + 16);
}

#[test]
fn a_filter_closing_the_stream() {
    let shared = Shared::new();
    let filter = rewrite(&shared, "");
    let mut vm = filter.vm(None).unwrap();
    let id = vm.new_stream(props("/")).unwrap();
    vm.stream(id).unwrap().request_headers = request("/", &[("x-close", "1")]);
    assert_eq!(vm.request_headers(id, true).unwrap(), Outcome::Continue);
    assert!(vm.stream(id).unwrap().closed);
}

#[test]
fn a_trap_breaks_the_vm_and_a_new_one_serves() {
    let shared = Shared::new();
    let filter = rewrite(&shared, "");
    let mut vm = filter.vm(None).unwrap();
    let id = vm.new_stream(props("/")).unwrap();
    vm.stream(id).unwrap().request_headers = request("/", &[("x-trap", "1")]);
    match vm.request_headers(id, true) {
        Err(VmError::Trap(m)) => assert!(m.contains("unreachable"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(vm.is_broken());
    assert!(matches!(vm.new_stream(props("/")), Err(VmError::Broken)));
    let mut vm = filter.vm(None).unwrap();
    let id = vm.new_stream(props("/")).unwrap();
    vm.stream(id).unwrap().request_headers = request("/", &[]);
    assert_eq!(vm.request_headers(id, true).unwrap(), Outcome::Continue);
}

#[test]
fn a_refused_configuration_and_fuel_per_callback() {
    let shared = Shared::new();
    assert!(matches!(
        rewrite(&shared, "refuse").vm(None),
        Err(VmError::Refused(_))
    ));
    let mut config = FilterConfig::new("rewrite");
    config.fuel_per_callback = Some(50);
    let filter = Filter::new(&engine(), &wasm("rewrite"), config, shared).unwrap();
    match filter.vm(None) {
        Err(VmError::Trap(m)) => assert!(m.contains("fuel"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn shared_data_and_ticks_across_two_vms() {
    let shared = Shared::new();
    let filter = rewrite(&shared, "tick");
    let (mut a, mut b) = (filter.vm(None).unwrap(), filter.vm(None).unwrap());
    assert_eq!(a.tick_period(), Some(std::time::Duration::from_millis(20)));
    a.tick().unwrap();
    b.tick().unwrap();
    b.tick().unwrap();
    for (which, hits) in [(0, "1"), (1, "2"), (0, "3")] {
        let vm = if which == 0 { &mut a } else { &mut b };
        let id = vm.new_stream(props("/")).unwrap();
        vm.stream(id).unwrap().response_headers = vec![(":status".into(), "200".into())];
        vm.response_headers(id, true).unwrap();
        let h = &vm.stream(id).unwrap().response_headers;
        assert_eq!(header(h, "x-hits"), Some(hits));
        assert_eq!(header(h, "x-ticks"), Some("3"));
        vm.finish_stream(id).unwrap();
    }
}

fn auth(shared: &Arc<Shared>) -> Filter {
    let mut config = FilterConfig::new("auth");
    config.upstreams = vec!["auth".into()];
    Filter::new(&engine(), &wasm("auth"), config, shared.clone()).unwrap()
}

#[test]
fn callouts_pause_change_and_resume_the_request() {
    let shared = Shared::new();
    let filter = auth(&shared);
    let ready = Arc::new(AtomicU32::new(0));
    let r2 = ready.clone();
    let mut vm = filter
        .vm(Some(Arc::new(move |q| {
            r2.store(q, Ordering::Relaxed);
        })))
        .unwrap();

    // Public paths pass without a callout.
    let id = vm.new_stream(props("/public/x")).unwrap();
    vm.stream(id).unwrap().request_headers = request("/public/x", &[]);
    assert_eq!(vm.request_headers(id, true).unwrap(), Outcome::Continue);
    assert!(vm.take_http_calls().is_empty());
    vm.finish_stream(id).unwrap();

    // Others: a callout with the token; the answer's header lands in the request.
    let id = vm.new_stream(props("/private")).unwrap();
    vm.stream(id).unwrap().request_headers = request("/private", &[("authorization", "t0k")]);
    assert_eq!(vm.request_headers(id, true).unwrap(), Outcome::Pause);
    let calls = vm.take_http_calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.upstream, "auth");
    assert_eq!(call.context_id, id);
    assert_eq!(call.timeout_ms, 5000);
    assert_eq!(header(&call.headers, ":path"), Some("/check"));
    assert_eq!(header(&call.headers, "x-token"), Some("t0k"));
    let answer = HttpCallResponse {
        headers: vec![
            (":status".into(), "200".into()),
            ("x-auth-user".into(), "ada".into()),
        ],
        body: b"ok".to_vec(),
        trailers: vec![],
    };
    vm.http_call_response(call, Some(answer)).unwrap();
    let s = vm.stream(id).unwrap();
    assert!(s.request_resumed);
    assert!(s.local_response.is_none());
    assert_eq!(header(&s.request_headers, "x-auth-user"), Some("ada"));
    vm.finish_stream(id).unwrap();

    // A denial and a failed callout become local responses.
    for (answer, status) in [
        (
            Some(HttpCallResponse {
                headers: vec![(":status".into(), "200".into())],
                body: b"deny".to_vec(),
                trailers: vec![],
            }),
            401,
        ),
        (None, 502),
    ] {
        let id = vm.new_stream(props("/private")).unwrap();
        vm.stream(id).unwrap().request_headers = request("/private", &[]);
        assert_eq!(vm.request_headers(id, true).unwrap(), Outcome::Pause);
        let call = vm.take_http_calls().pop().unwrap();
        vm.http_call_response(&call, answer).unwrap();
        let s = vm.stream(id).unwrap();
        assert!(!s.request_resumed);
        assert_eq!(s.local_response.as_ref().map(|r| r.status), Some(status));
        vm.finish_stream(id).unwrap();
    }

    // The queue: four requests enqueued an event each; the notifier named the queue.
    let q = ready.load(Ordering::Relaxed);
    assert_ne!(q, 0);
    vm.queue_ready(q).unwrap();
    let metrics = shared.metrics();
    let m = |name: &str| metrics.iter().find(|m| m.name == name).unwrap().value();
    assert_eq!(m("auth_events_seen"), 4);
    assert_eq!(m("auth_callouts"), 3);
}

#[test]
fn hostile_inputs_are_statuses_not_crashes() {
    // A filter whose memory pointers are wild: the host answers INVALID_MEMORY_ACCESS.
    let wat = r#"(module
        (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
        (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
        (import "env" "proxy_set_header_map_pairs" (func $set (param i32 i32 i32) (result i32)))
        (import "env" "proxy_grpc_cancel" (func $cancel (param i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
        (memory (export "memory") 1)
        (global $out (mut i32) (i32.const 0))
        (func (export "proxy_abi_version_0_2_1"))
        (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          ;; log from far outside memory
          (global.set $out (call $log (i32.const 2) (i32.const -16) (i32.const 64)))
          (if (i32.ne (global.get $out) (i32.const 6)) (then unreachable))
          ;; a huge length: a log message is cut at 64 KiB (all in memory here)
          (if (i32.ne (call $log (i32.const 2) (i32.const 0) (i32.const -1)) (i32.const 0))
            (then unreachable))
          ;; ... and not read at all below the log level (debug < info)
          (if (i32.ne (call $log (i32.const 1) (i32.const -16) (i32.const 64)) (i32.const 0))
            (then unreachable))
          ;; an unknown log level
          (if (i32.ne (call $log (i32.const 9) (i32.const 0) (i32.const 1)) (i32.const 2))
            (then unreachable))
          ;; result pointers out of bounds
          (if (i32.ne (call $pairs (i32.const 0) (i32.const 70000) (i32.const 0)) (i32.const 6))
            (then unreachable))
          ;; a malformed map (count 1000, nothing after)
          (i32.store (i32.const 0) (i32.const 1000))
          (if (i32.ne (call $set (i32.const 0) (i32.const 0) (i32.const 4)) (i32.const 2))
            (then unreachable))
          ;; an unknown map
          (if (i32.ne (call $pairs (i32.const 99) (i32.const 0) (i32.const 4)) (i32.const 2))
            (then unreachable))
          ;; what the host does not offer: UNIMPLEMENTED; a WASI file: BADF
          (if (i32.ne (call $cancel (i32.const 1)) (i32.const 12)) (then unreachable))
          (if (i32.ne (call $close (i32.const 3)) (i32.const 8)) (then unreachable))
          (i32.const 0)))"#;
    let bytes = wast::parser::parse::<wast::Wat>(&wast::parser::ParseBuffer::new(wat).unwrap())
        .unwrap()
        .encode()
        .unwrap();
    let shared = Shared::new();
    let filter = Filter::new(&engine(), &bytes, FilterConfig::new("hostile"), shared).unwrap();
    let mut vm = filter.vm(None).unwrap();
    let id = vm.new_stream(HashMap::new()).unwrap();
    vm.stream(id).unwrap().request_headers = request("/", &[]);
    assert_eq!(vm.request_headers(id, true).unwrap(), Outcome::Continue);
    // Not a filter at all.
    let plain =
        wast::parser::parse::<wast::Wat>(&wast::parser::ParseBuffer::new("(module)").unwrap())
            .unwrap()
            .encode()
            .unwrap();
    let err = Filter::new(&engine(), &plain, FilterConfig::new("x"), Shared::new())
        .err()
        .unwrap();
    assert!(err.to_string().contains("proxy_abi_version"), "{err}");
}

#[test]
fn a_filter_built_with_the_assemblyscript_sdk() {
    // filters/as_mark.wasm: @solo-io/proxy-runtime 0.1.8 (ABI 0.2.0), allocating through
    // its `malloc` export; it finds its root context by the `plugin_root_id` property.
    // Its configuration stays empty: the SDK's `onConfigure` passes the configuration's
    // size where the ABI wants the address for the returned size, so with any host a
    // configuration of N bytes has its size written at address N of the filter's memory
    // (with N = 0, into the null page the SDK leaves unused).
    let shared = Shared::new();
    let mut config = FilterConfig::new("as");
    config.root_id = "as_mark".into();
    let filter = Filter::new(&engine(), &wasm("as_mark"), config, shared.clone()).unwrap();
    assert_eq!(filter.abi(), spindle_proxy_wasm::AbiVersion::V0_2_0);
    let mut vm = filter.vm(None).unwrap();
    for _ in 0..3 {
        let id = vm.new_stream(props("/x")).unwrap();
        vm.stream(id).unwrap().request_headers = request("/x", &[]);
        assert_eq!(vm.request_headers(id, true).unwrap(), Outcome::Continue);
        assert_eq!(
            header(&vm.stream(id).unwrap().request_headers, "x-as-filter"),
            Some("assemblyscript")
        );
        vm.stream(id).unwrap().response_headers = vec![(":status".into(), "200".into())];
        assert_eq!(vm.response_headers(id, true).unwrap(), Outcome::Continue);
        let h = &vm.stream(id).unwrap().response_headers;
        assert_eq!(header(h, "x-as-response"), Some("hello"), "{h:?}");
        vm.finish_stream(id).unwrap();
    }
    let id = vm.new_stream(props("/as-teapot")).unwrap();
    vm.stream(id).unwrap().request_headers = request("/as-teapot", &[]);
    match vm.request_headers(id, true).unwrap() {
        Outcome::Respond(r) => {
            assert_eq!(r.status, 418);
            assert_eq!(r.body, b"short and stout\n");
        }
        other => panic!("{other:?}"),
    }
    vm.finish_stream(id).unwrap();
    let metrics = shared.metrics();
    assert_eq!(
        metrics
            .iter()
            .find(|m| m.name == "as_requests_total")
            .unwrap()
            .value(),
        4
    );
    assert!(shared
        .log_entries()
        .iter()
        .any(|e| e.message == "as filter done"));
}

#[test]
fn an_abi_0_1_0_filter() {
    // ABI 0.1.0: `malloc` for host allocations, header callbacks without `end_of_stream`,
    // `proxy_get_configuration`, `proxy_continue_request`.
    let wat = r#"(module
        (import "env" "proxy_get_configuration" (func $config (param i32 i32) (result i32)))
        (import "env" "proxy_add_header_map_value"
          (func $add (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_continue_request" (func $continue (result i32)))
        (memory (export "memory") 1)
        (global $heap (mut i32) (i32.const 4096))
        (data (i32.const 100) "x-config")
        (func (export "proxy_abi_version_0_1_0"))
        (func (export "malloc") (param $n i32) (result i32)
          (local $p i32)
          (local.set $p (global.get $heap))
          (global.set $heap (i32.add (global.get $heap) (local.get $n)))
          (local.get $p))
        (func (export "proxy_on_configure") (param i32 i32) (result i32)
          ;; the configuration's address at 0, its size at 4; must equal the size given
          (if (call $config (i32.const 0) (i32.const 4)) (then (return (i32.const 0))))
          (i32.eq (i32.load (i32.const 4)) (local.get 1)))
        (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (result i32)
          (drop (call $add (i32.const 0) (i32.const 100) (i32.const 8)
                           (i32.load (i32.const 0)) (i32.load (i32.const 4))))
          (drop (call $continue))
          (i32.const 1)))"#;
    let bytes = wast::parser::parse::<wast::Wat>(&wast::parser::ParseBuffer::new(wat).unwrap())
        .unwrap()
        .encode()
        .unwrap();
    let mut config = FilterConfig::new("old");
    config.plugin_configuration = b"legacy".to_vec();
    let filter = Filter::new(&engine(), &bytes, config, Shared::new()).unwrap();
    assert_eq!(filter.abi(), spindle_proxy_wasm::AbiVersion::V0_1_0);
    let mut vm = filter.vm(None).unwrap();
    let id = vm.new_stream(HashMap::new()).unwrap();
    vm.stream(id).unwrap().request_headers = request("/", &[]);
    assert_eq!(vm.request_headers(id, true).unwrap(), Outcome::Pause);
    let s = vm.stream(id).unwrap();
    assert_eq!(header(&s.request_headers, "x-config"), Some("legacy"));
    assert!(s.request_resumed);
}

#[test]
fn deferred_completion_limits_and_stop_actions() {
    // `proxy_on_done` answers false; a tick later sets the stream effective and calls
    // `proxy_done`, which is when `proxy_on_log` runs. A body past 16 MiB is refused. A
    // request callback answering 3 (the C++ SDK's stop-and-buffer) pauses.
    let wat = r#"(module
        (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
        (import "env" "proxy_done" (func $done (result i32)))
        (import "env" "proxy_set_effective_context" (func $effective (param i32) (result i32)))
        (import "env" "proxy_set_buffer_bytes"
          (func $set (param i32 i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 17)
        (global $waiting (mut i32) (i32.const 0))
        (data (i32.const 100) "logged")
        (func (export "proxy_abi_version_0_2_1"))
        (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
        (func (export "proxy_on_done") (param $ctx i32) (result i32)
          (global.set $waiting (local.get $ctx))
          (if (i32.ne (call $done) (i32.const 1)) (then unreachable)) ;; not pending yet: NOT_FOUND
          (i32.const 0))
        (func (export "proxy_on_tick") (param i32)
          (if (global.get $waiting)
            (then
              (drop (call $effective (global.get $waiting)))
              (if (call $done) (then unreachable))
              (global.set $waiting (i32.const 0)))))
        (func (export "proxy_on_log") (param i32)
          (drop (call $log (i32.const 2) (i32.const 100) (i32.const 6))))
        (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
          ;; 17 appends of 1 MiB: the last is refused.
          (local $i i32)
          (loop $l
            (if (i32.eqz (call $set (i32.const 0) (i32.const -1) (i32.const 0)
                                (i32.const 0) (i32.const 1048576)))
              (then (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $l))))
          (if (i32.ne (local.get $i) (i32.const 16)) (then unreachable))
          (i32.const 0))
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (i32.const 3)))"#;
    let bytes = wast::parser::parse::<wast::Wat>(&wast::parser::ParseBuffer::new(wat).unwrap())
        .unwrap()
        .encode()
        .unwrap();
    let shared = Shared::new();
    let filter = Filter::new(
        &engine(),
        &bytes,
        FilterConfig::new("later"),
        shared.clone(),
    )
    .unwrap();
    let mut vm = filter.vm(None).unwrap();
    let id = vm.new_stream(HashMap::new()).unwrap();
    vm.stream(id).unwrap().request_headers = request("/", &[]);
    assert_eq!(vm.request_headers(id, false).unwrap(), Outcome::Pause);
    assert_eq!(vm.request_body(id, true).unwrap(), Outcome::Continue);
    assert_eq!(vm.stream(id).unwrap().request_body.len(), 16 << 20);
    let logged = |shared: &Arc<Shared>| shared.log_entries().iter().any(|e| e.message == "logged");
    vm.finish_stream(id).unwrap();
    assert!(vm.stream(id).is_some(), "kept until proxy_done");
    assert!(!logged(&shared));
    vm.tick().unwrap();
    assert!(logged(&shared));
    assert!(vm.stream(id).is_none());
}
