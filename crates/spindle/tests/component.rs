//! Components end to end: text components instantiated through `spindle::component`,
//! called with component values: numbers, strings (UTF-8 and UTF-16, through `realloc`),
//! records in lists, host imports lowered into a guest (at the root and inside an imported
//! interface), exported interfaces, `post-return`, guest-to-guest calls, and the canonical
//! ABI's traps reaching the embedder as errors.

use std::sync::{Arc, Mutex};

use spindle::component::{Component, Linker, Val};
use spindle::{Engine, Store};

/// A core module with a memory, a bump `realloc`, and what the components below lift.
const LIBC: &str = r#"
  (core module $libc
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 4096))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32)
                             (param $new i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $next (i32.add (local.get $p) (local.get $new)))
      (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
"#;

fn instantiate(
    text: &str,
    linker: &Linker<Vec<String>>,
) -> (Store<Vec<String>>, spindle::component::Instance) {
    let engine = linker.engine().clone();
    let component = Component::new(&engine, text).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}

/// Another instance of the component `text` in `store`.
fn instantiate_in(
    store: &mut Store<Vec<String>>,
    text: &str,
    linker: &Linker<Vec<String>>,
) -> spindle::component::Instance {
    let component = Component::new(linker.engine(), text).unwrap();
    linker.instantiate(store, &component).unwrap()
}

/// Asserts that `instance` trapped before: it cannot be entered again.
fn assert_poisoned(
    store: &mut Store<Vec<String>>,
    instance: &spindle::component::Instance,
    name: &str,
) {
    let err = call(store, instance, name, &[], 1).unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot enter component instance"),
        "{err:#}"
    );
}

fn call(
    store: &mut Store<Vec<String>>,
    instance: &spindle::component::Instance,
    name: &str,
    args: &[Val],
    results: usize,
) -> spindle::Result<Vec<Val>> {
    let f = instance.get_func(&mut *store, name).expect("exported");
    let mut out = vec![Val::Bool(false); results];
    f.call(&mut *store, args, &mut out)?;
    Ok(out)
}

#[test]
fn strings_round_trip_in_utf8_and_utf16_with_post_return() {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<String>>::new(&engine);
    linker
        .root()
        .func_new("tick", |mut store, _args, _results| {
            store.data_mut().push("post-return".into());
            Ok(())
        })
        .unwrap();
    let text = format!(
        r#"(component
          (import "tick" (func $tick))
          {LIBC}
          (core func $tick (canon lower (func $tick)))
          (core instance $host (export "tick" (func $tick)))
          (core module $m
            (import "host" "tick" (func $tick))
            (import "libc" "mem" (memory 1))
            (global $posts (mut i32) (i32.const 0))
            ;; echo(ptr, len): the pair at 16 (the string's units are the caller's).
            (func (export "echo") (param $ptr i32) (param $len i32) (result i32)
              (i32.store (i32.const 16) (local.get $ptr))
              (i32.store (i32.const 20) (local.get $len))
              (i32.const 16))
            (func (export "post") (param i32)
              (global.set $posts (i32.add (global.get $posts) (i32.const 1))))
            ;; A post-return may not call out of its instance.
            (func (export "post-calling-out") (param i32) (call $tick))
            (func (export "posts") (result i32) (global.get $posts)))
          (core instance $i (instantiate $m (with "host" (instance $host)) (with "libc" (instance $libc))))
          (func (export "echo8") (param "s" string) (result string)
            (canon lift (core func $i "echo") (memory (core memory $libc "mem"))
              (realloc (core func $libc "realloc")) (post-return (core func $i "post"))))
          (func (export "echo16") (param "s" string) (result string)
            (canon lift (core func $i "echo") (memory (core memory $libc "mem")) string-encoding=utf16
              (realloc (core func $libc "realloc"))))
          (func (export "echo-calling-out") (param "s" string) (result string)
            (canon lift (core func $i "echo") (memory (core memory $libc "mem"))
              (realloc (core func $libc "realloc")) (post-return (core func $i "post-calling-out"))))
          (func (export "posts") (result u32) (canon lift (core func $i "posts"))))"#
    );
    let (mut store, instance) = instantiate(&text, &linker);
    for s in ["", "hello", "héllo wörld ✓ 𝄞", &"x".repeat(5000)] {
        let out = call(&mut store, &instance, "echo8", &[Val::string(s)], 1).unwrap();
        assert_eq!(out, [Val::string(s)]);
        let out = call(&mut store, &instance, "echo16", &[Val::string(s)], 1).unwrap();
        assert_eq!(out, [Val::string(s)]);
    }
    // The post-return of echo8 ran once per call of it (echo16 has none).
    let posts = call(&mut store, &instance, "posts", &[], 1).unwrap();
    assert_eq!(posts, [Val::U32(4)]);
    // A post-return calling an import traps, and the host function never runs.
    let err = call(
        &mut store,
        &instance,
        "echo-calling-out",
        &[Val::string("x")],
        1,
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot leave component instance"),
        "{err:#}"
    );
    assert!(store.data().is_empty());
}

#[test]
fn numbers_records_and_lists() {
    let engine = Engine::default();
    let linker = Linker::<Vec<String>>::new(&engine);
    let text = format!(
        r#"(component
          {LIBC}
          (core module $m
            (import "libc" "mem" (memory 1))
            (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
            (func (export "neg") (param f64) (result f64) (f64.neg (local.get 0)))
            ;; sum(ptr, len) over records {{a: u32, b: u64}} (16 bytes each).
            (func (export "sum") (param $p i32) (param $n i32) (result i64)
              (local $acc i64)
              (block $done (loop $l
                (br_if $done (i32.eqz (local.get $n)))
                (local.set $acc (i64.add (local.get $acc)
                  (i64.add (i64.extend_i32_u (i32.load (local.get $p))) (i64.load offset=8 (local.get $p)))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br $l)))
              (local.get $acc)))
          (core instance $i (instantiate $m (with "libc" (instance $libc))))
          (type $r (record (field "a" u32) (field "b" u64)))
          ;; A type in an exported function's signature must itself be exported.
          (export $r' "r" (type $r))
          (type $items (list $r'))
          (func (export "add") (param "a" u32) (param "b" u32) (result u32)
            (canon lift (core func $i "add")))
          (func (export "neg") (param "x" f64) (result f64) (canon lift (core func $i "neg")))
          (func (export "sum") (param "items" $items) (result u64)
            (canon lift (core func $i "sum") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))"#
    );
    let (mut store, instance) = instantiate(&text, &linker);
    let out = call(
        &mut store,
        &instance,
        "add",
        &[Val::U32(u32::MAX), Val::U32(3)],
        1,
    )
    .unwrap();
    assert_eq!(out, [Val::U32(2)]);
    let out = call(&mut store, &instance, "neg", &[Val::F64(1.5)], 1).unwrap();
    assert_eq!(out, [Val::F64(-1.5)]);
    let items: Vec<Val> = (0..1000u32)
        .map(|i| {
            Val::Record(vec![
                ("a".into(), Val::U32(i)),
                ("b".into(), Val::U64(u64::from(i) << 32)),
            ])
        })
        .collect();
    let want: u64 = (0..1000u64).map(|i| i + (i << 32)).sum();
    let out = call(&mut store, &instance, "sum", &[Val::List(items)], 1).unwrap();
    assert_eq!(out, [Val::U64(want)]);
    // Arguments of the wrong type are refused before anything runs.
    let err = call(&mut store, &instance, "add", &[Val::S32(1), Val::U32(2)], 1).unwrap_err();
    assert!(err.to_string().contains("argument `a`"), "{err}");
}

#[test]
fn host_imports_lowered_into_the_guest_at_the_root_and_in_an_interface() {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<String>>::new(&engine);
    linker
        .root()
        .func_new("log", |mut store, args, _| {
            let Val::String(s) = &args[0] else {
                unreachable!()
            };
            store.data_mut().push(s.to_string());
            Ok(())
        })
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    linker
        .instance("test:demo/host@1.0.0")
        .unwrap()
        .func_new("greeting", move |_, args, results| {
            let Val::String(name) = &args[0] else {
                unreachable!()
            };
            seen2.lock().unwrap().push(name.to_string());
            results[0] = Val::string(format!("hello, {}!", name.as_str()));
            Ok(())
        })
        .unwrap();
    let text = format!(
        r#"(component
          (import "log" (func $log (param "msg" string)))
          (type $host-t (instance
            (type $g (func (param "name" string) (result string)))
            (export "greeting" (func (type $g)))))
          (import "test:demo/host@1.0.0" (instance $host (type $host-t)))
          (alias export $host "greeting" (func $greeting))
          {LIBC}
          (core func $log (canon lower (func $log) (memory (core memory $libc "mem"))))
          (core func $greeting (canon lower (func $greeting) (memory (core memory $libc "mem"))
            (realloc (core func $libc "realloc"))))
          (core instance $imports (export "log" (func $log)) (export "greeting" (func $greeting)))
          (core module $m
            (import "host" "log" (func $log (param i32 i32)))
            (import "host" "greeting" (func $greeting (param i32 i32 i32)))
            (import "libc" "mem" (memory 1))
            (data (i32.const 100) "spindle")
            ;; run(): log("spindle"), then log(greeting("spindle")), then return the greeting.
            (func (export "run") (result i32)
              (call $log (i32.const 100) (i32.const 7))
              (call $greeting (i32.const 100) (i32.const 7) (i32.const 32))
              (call $log (i32.load (i32.const 32)) (i32.load (i32.const 36)))
              (i32.const 32)))
          (core instance $i (instantiate $m (with "host" (instance $imports)) (with "libc" (instance $libc))))
          (func $run (result string)
            (canon lift (core func $i "run") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
          (instance $api (export "run" (func $run)))
          (export "test:demo/api@1.0.0" (instance $api)))"#
    );
    let (mut store, instance) = instantiate(&text, &linker);
    let api = instance
        .get_export_index(&mut store, None, "test:demo/api@1.0.0")
        .expect("the interface");
    let run = instance
        .get_export_index(&mut store, Some(&api), "run")
        .expect("its function");
    let run = instance.get_func(&mut store, run).unwrap();
    let mut out = [Val::Bool(false)];
    run.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0], Val::string("hello, spindle!"));
    assert_eq!(store.data(), &["spindle", "hello, spindle!"]);
    assert_eq!(*seen.lock().unwrap(), ["spindle"]);
    assert_eq!(instance.export_names(&store), ["test:demo/api@1.0.0"]);
    // A missing import is an error that names it.
    let empty = Linker::<Vec<String>>::new(&engine);
    let component = Component::new(&engine, &text).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let err = empty.instantiate(&mut store, &component).unwrap_err();
    assert!(err.to_string().contains("`log`"), "{err}");
}

#[test]
fn guest_to_guest_across_string_encodings() {
    // A UTF-16 "server" lifted, lowered into a UTF-8 "client": the host calls the client,
    // which calls the server through the canonical ABI (the string transcoded both ways).
    let engine = Engine::default();
    let linker = Linker::<Vec<String>>::new(&engine);
    // Server and client are sibling components (a component may not call into its own
    // instance or its children: the spec's `call_might_be_recursive`).
    let text = format!(
        r#"(component
          (component $Server
            {LIBC}
            (core module $server
              (import "libc" "mem" (memory 1))
              (import "libc" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
              ;; twice(ptr, units): the UTF-16 string repeated twice.
              (func (export "twice") (param $p i32) (param $n i32) (result i32)
                (local $q i32) (local $bytes i32)
                (local.set $bytes (i32.shl (local.get $n) (i32.const 1)))
                (local.set $q (call $realloc (i32.const 0) (i32.const 0) (i32.const 2)
                                             (i32.shl (local.get $bytes) (i32.const 1))))
                (memory.copy (local.get $q) (local.get $p) (local.get $bytes))
                (memory.copy (i32.add (local.get $q) (local.get $bytes)) (local.get $p) (local.get $bytes))
                (i32.store (i32.const 48) (local.get $q))
                (i32.store (i32.const 52) (i32.shl (local.get $n) (i32.const 1)))
                (i32.const 48)))
            (core instance $s (instantiate $server (with "libc" (instance $libc))))
            (func (export "twice") (param "s" string) (result string)
              (canon lift (core func $s "twice") (memory (core memory $libc "mem")) string-encoding=utf16
                (realloc (core func $libc "realloc")))))
          (component $Client
            (import "twice" (func $twice (param "s" string) (result string)))
            {LIBC}
            (core func $twice (canon lower (func $twice) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
            (core instance $imports (export "twice" (func $twice)))
            (core module $client
              (import "host" "twice" (func $twice (param i32 i32 i32)))
              (import "libc" "mem" (memory 1))
              (func (export "run") (param $p i32) (param $n i32) (result i32)
                (call $twice (local.get $p) (local.get $n) (i32.const 64))
                (i32.const 64)))
            (core instance $c (instantiate $client (with "host" (instance $imports)) (with "libc" (instance $libc))))
            (func (export "run") (param "s" string) (result string)
              (canon lift (core func $c "run") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))
          (instance $server (instantiate $Server))
          (instance $client (instantiate $Client (with "twice" (func $server "twice"))))
          (export "run" (func $client "run")))"#
    );
    let (mut store, instance) = instantiate(&text, &linker);
    for s in ["ab", "héllo 𝄞", ""] {
        let out = call(&mut store, &instance, "run", &[Val::string(s)], 1).unwrap();
        assert_eq!(out, [Val::string(format!("{s}{s}"))]);
    }
}

#[test]
fn canonical_abi_traps_reach_the_embedder_and_the_store_goes_on() {
    let engine = Engine::default();
    let linker = Linker::<Vec<String>>::new(&engine);
    let text = format!(
        r#"(component
          {LIBC}
          (core module $m
            (import "libc" "mem" (memory 1))
            (data (i32.const 200) "\ff\fe")
            ;; bad(): a string of invalid UTF-8; oob(): one past the end of memory.
            (func (export "bad") (result i32)
              (i32.store (i32.const 16) (i32.const 200)) (i32.store (i32.const 20) (i32.const 2))
              (i32.const 16))
            (func (export "oob") (result i32)
              (i32.store (i32.const 16) (i32.const 65535)) (i32.store (i32.const 20) (i32.const 2))
              (i32.const 16))
            (func (export "char") (result i32) (i32.const 0xd800))
            (func (export "ok") (result i32) (i32.const 7)))
          (core instance $i (instantiate $m (with "libc" (instance $libc))))
          (func (export "bad") (result string) (canon lift (core func $i "bad") (memory (core memory $libc "mem"))))
          (func (export "oob") (result string) (canon lift (core func $i "oob") (memory (core memory $libc "mem"))))
          (func (export "char") (result char) (canon lift (core func $i "char")))
          (func (export "ok") (result u32) (canon lift (core func $i "ok"))))"#
    );
    let (mut store, _) = instantiate(&text, &linker);
    for (name, says) in [
        ("bad", "invalid utf-8"),
        ("oob", "out of bounds"),
        ("char", "invalid `char` bit pattern"),
    ] {
        // A trap leaves its instance unusable (the specification's rule) and the store
        // usable: another instance in it runs.
        let instance = instantiate_in(&mut store, &text, &linker);
        let err = call(&mut store, &instance, name, &[], 1).unwrap_err();
        assert!(err.to_string().contains(says), "{name}: {err}");
        assert_poisoned(&mut store, &instance, "ok");
        let fresh = instantiate_in(&mut store, &text, &linker);
        assert_eq!(
            call(&mut store, &fresh, "ok", &[], 1).unwrap(),
            [Val::U32(7)]
        );
    }
}

#[test]
fn nested_components_instantiated_with_arguments_keep_their_defining_scope() {
    // $Outer instantiates $Maker twice with different core modules; each $Maker exports
    // $Inner, which outer-aliases the module its own $Maker instance received: instantiated
    // later, outside, each copy still uses its own module.
    let engine = Engine::default();
    let linker = Linker::<Vec<String>>::new(&engine);
    let text = r#"(component
      (component $Maker
        (import "m" (core module $M (export "get" (func (result i32)))))
        (component $Inner
          (core instance $m (instantiate $M))
          (func (export "get") (result u32) (canon lift (core func $m "get"))))
        (export "inner" (component $Inner)))
      (core module $A (func (export "get") (result i32) (i32.const 7)))
      (core module $B (func (export "get") (result i32) (i32.const 9)))
      (instance $ma (instantiate $Maker (with "m" (core module $A))))
      (instance $mb (instantiate $Maker (with "m" (core module $B))))
      (alias export $ma "inner" (component $IA))
      (alias export $mb "inner" (component $IB))
      (instance $ia (instantiate $IA))
      (instance $ib (instantiate $IB))
      (func (export "a") (alias export $ia "get"))
      (func (export "b") (alias export $ib "get")))"#;
    let (mut store, instance) = instantiate(text, &linker);
    assert_eq!(
        call(&mut store, &instance, "a", &[], 1).unwrap(),
        [Val::U32(7)]
    );
    assert_eq!(
        call(&mut store, &instance, "b", &[], 1).unwrap(),
        [Val::U32(9)]
    );
}

/// The committed C guests (`examples/components`, built with wit-bindgen and clang-19).
fn guest(path: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/components")
            .join(path),
    )
    .unwrap()
}

#[test]
fn the_json_processor_guest_formats_and_minifies() {
    let engine = Engine::default();
    let component = Component::new(&engine, guest("json-processor/json-processor.wasm")).unwrap();
    let linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let iface = instance
        .get_export_index(&mut store, None, "example:json-tools/formatter@1.0.0")
        .unwrap();
    let format = instance
        .get_export_index(&mut store, Some(&iface), "format")
        .unwrap();
    let format = instance.get_func(&mut store, format).unwrap();
    let minify = instance
        .get_export_index(&mut store, Some(&iface), "minify")
        .unwrap();
    let minify = instance.get_func(&mut store, minify).unwrap();
    let options = Val::Option(Some(Box::new(Val::Record(vec![
        ("indent".into(), Val::U32(2)),
        ("sort-keys".into(), Val::Bool(true)),
    ]))));
    let mut out = [Val::Bool(false)];
    format
        .call(
            &mut store,
            &[Val::string(r#"{"b":[1,2],"a":{"c":null}}"#), options],
            &mut out,
        )
        .unwrap();
    let Val::Result(Ok(Some(text))) = &out[0] else {
        panic!("{:?}", out[0])
    };
    assert_eq!(
        **text,
        Val::string("{\n  \"a\": {\n    \"c\": null\n  },\n  \"b\": [\n    1,\n    2\n  ]\n}")
    );
    minify
        .call(
            &mut store,
            &[Val::string("{ \"a\" : [ 1 , true ] }")],
            &mut out,
        )
        .unwrap();
    assert_eq!(
        out[0],
        Val::Result(Ok(Some(Box::new(Val::string("{\"a\":[1,true]}")))))
    );
    minify
        .call(&mut store, &[Val::string("{ \"a\" : ")], &mut out)
        .unwrap();
    let Val::Result(Err(Some(message))) = &out[0] else {
        panic!("{:?}", out[0])
    };
    let Val::String(message) = &**message else {
        panic!()
    };
    assert!(message.contains("line 1"), "{}", message.as_str());
}

/// The function `name` of the exported interface `iface`.
fn interface_func(
    store: &mut Store<Vec<String>>,
    instance: &spindle::component::Instance,
    iface: &str,
    name: &str,
) -> spindle::component::Func {
    let i = instance
        .get_export_index(&mut *store, None, iface)
        .expect(iface);
    let f = instance
        .get_export_index(&mut *store, Some(&i), name)
        .expect(name);
    instance.get_func(&mut *store, f).unwrap()
}

#[test]
fn the_utf16_guest_transcodes_both_ways() {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<String>>::new(&engine);
    let mut env = linker.instance("spindle:test-utf16/env").unwrap();
    env.func_new("prefix", |_, _, results| {
        results[0] = Val::string("→ ");
        Ok(())
    })
    .unwrap();
    env.func_new("note", |mut store, args, _| {
        let Val::String(s) = &args[0] else {
            unreachable!()
        };
        store.data_mut().push(s.to_string());
        Ok(())
    })
    .unwrap();
    let component = Component::new(&engine, guest("utf16/utf16.wasm")).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let text = "spindle:test-utf16/text";
    let mut out = [Val::Bool(false)];
    let reverse = interface_func(&mut store, &instance, text, "reverse");
    reverse
        .call(&mut store, &[Val::string("ab😀c")], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::string("c😀ba"));
    let count = interface_func(&mut store, &instance, text, "count-units");
    count
        .call(&mut store, &[Val::string("a😀")], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::U32(3));
    let concat = interface_func(&mut store, &instance, text, "concat");
    let parts = Val::List(vec![Val::string("é"), Val::string(""), Val::string("𝄞!")]);
    concat.call(&mut store, &[parts], &mut out).unwrap();
    assert_eq!(out[0], Val::string("é𝄞!"));
    let prefixed = interface_func(&mut store, &instance, text, "prefixed");
    prefixed
        .call(&mut store, &[Val::string("x")], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::string("→ x"));
    assert_eq!(store.data(), &["→ x"]);
}

#[test]
fn the_composed_guest_calls_from_one_component_into_another() {
    let engine = Engine::default();
    let linker = Linker::<Vec<String>>::new(&engine);
    let component = Component::new(&engine, guest("composed/composed.wasm")).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let out = call(
        &mut store,
        &instance,
        "run",
        &[Val::string("Ada"), Val::S32(2), Val::S32(3)],
        1,
    )
    .unwrap();
    assert_eq!(out, [Val::string("Hello, Ada! 5")]);
}

#[test]
fn the_plugin_guest_runs_a_filter_hook_calling_the_host() {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<String>>::new(&engine);
    let mut api = linker.instance("raisfast:plugin-wit/host-api").unwrap();
    api.func_new("log", |mut store, args, _| {
        let (Val::String(level), Val::String(msg)) = (&args[0], &args[1]) else {
            unreachable!()
        };
        store
            .data_mut()
            .push(format!("{}: {}", level.as_str(), msg.as_str()));
        Ok(())
    })
    .unwrap();
    api.func_new("get-config", |_, _, results| {
        results[0] = Val::Option(None);
        Ok(())
    })
    .unwrap();
    api.func_new("get-data", |_, _, results| {
        results[0] = Val::Option(None);
        Ok(())
    })
    .unwrap();
    api.func_new("set-data", |_, _, results| {
        results[0] = Val::Bool(true);
        Ok(())
    })
    .unwrap();
    api.func_new("emit-event", |_, _, results| {
        results[0] = Val::string("ok");
        Ok(())
    })
    .unwrap();
    let component = Component::new(&engine, guest("plugin/plugin.wasm")).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let hook = interface_func(
        &mut store,
        &instance,
        "raisfast:plugin-wit/plugin-hooks",
        "on-post-creating",
    );
    let none = || Val::Option(None);
    let post = Val::Record(vec![
        ("title".into(), Val::string("Hello, World!")),
        ("content".into(), Val::string("body")),
        ("slug".into(), none()),
        ("excerpt".into(), none()),
        ("category-id".into(), none()),
        ("tag-ids".into(), none()),
        ("status".into(), none()),
        ("cover-image".into(), none()),
    ]);
    let mut out = [Val::Bool(false)];
    hook.call(&mut store, &[post], &mut out).unwrap();
    let Val::Option(Some(changed)) = &out[0] else {
        panic!("{:?}", out[0])
    };
    let Val::Record(fields) = &**changed else {
        panic!()
    };
    let slug = fields
        .iter()
        .find(|(n, _)| n == "slug")
        .map(|(_, v)| v.clone());
    assert_eq!(
        slug,
        Some(Val::Option(Some(Box::new(Val::string("hello-world")))))
    );
    assert!(
        store
            .data()
            .iter()
            .any(|l| l.contains("hello-world") && l.ends_with("[call 1]")),
        "{:?}",
        store.data()
    );
}

#[test]
fn resources_move_between_instances_and_destructors_run() {
    // $Owner defines resource R (its destructor adds the representation to a counter) and
    // exports make/rep-of/total; the outer component gets handles of R from it, reads
    // them through a borrow, and drops them: the destructor runs in $Owner.
    let engine = Engine::default();
    let linker = Linker::<Vec<String>>::new(&engine);
    let text = r#"(component
      (component $Owner
        (core module $Dtor
          (global $total (export "total") (mut i32) (i32.const 0))
          (func (export "dtor") (param i32)
            (global.set $total (i32.add (global.get $total) (local.get 0))))
          (func (export "get-total") (result i32) (global.get $total)))
        (core instance $d (instantiate $Dtor))
        (type $R (resource (rep i32) (dtor (core func $d "dtor"))))
        (export $R' "r" (type $R))
        (canon resource.new $R (core func $new))
        (canon resource.rep $R (core func $rep))
        (core module $M
          (import "" "new" (func $new (param i32) (result i32)))
          (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
          ;; A borrow of its own resource arrives as the representation itself.
          (func (export "rep-of") (param i32) (result i32) (local.get 0)))
        (core instance $m (instantiate $M (with "" (instance (export "new" (func $new))))))
        (func (export "make") (param "rep" u32) (result (own $R')) (canon lift (core func $m "make")))
        (func (export "rep-of") (param "r" (borrow $R')) (result u32) (canon lift (core func $m "rep-of")))
        (func (export "total") (result u32) (canon lift (core func $d "get-total"))))
      (instance $o (instantiate $Owner))
      (alias export $o "r" (type $R))
      ;; The user is a sibling of the owner (not the outer component's own code: a
      ;; component may not call into its children).
      (component $UserC
        (import "r" (type $R (sub resource)))
        (import "make" (func $make (param "rep" u32) (result (own $R))))
        (import "rep-of" (func $rep-of (param "r" (borrow $R)) (result u32)))
        (core func $make (canon lower (func $make)))
        (core func $rep-of (canon lower (func $rep-of)))
        (canon resource.drop $R (core func $drop))
        (core module $User
          (import "" "make" (func $make (param i32) (result i32)))
          (import "" "rep-of" (func $rep-of (param i32) (result i32)))
          (import "" "drop" (func $drop (param i32)))
          (func (export "run") (result i32)
            (local $a i32) (local $b i32) (local $sum i32)
            (local.set $a (call $make (i32.const 40)))
            (local.set $b (call $make (i32.const 2)))
            (local.set $sum (i32.add (call $rep-of (local.get $a)) (call $rep-of (local.get $b))))
            (call $drop (local.get $a))
            (call $drop (local.get $b))
            (local.get $sum))
          (func (export "bad-drop") (call $drop (i32.const 7))))
        (core instance $u (instantiate $User (with "" (instance
          (export "make" (func $make)) (export "rep-of" (func $rep-of)) (export "drop" (func $drop))))))
        (func (export "run") (result u32) (canon lift (core func $u "run")))
        (func (export "bad-drop") (canon lift (core func $u "bad-drop"))))
      (instance $user (instantiate $UserC (with "r" (type $R))
        (with "make" (func $o "make")) (with "rep-of" (func $o "rep-of"))))
      (export "run" (func $user "run"))
      (export "bad-drop" (func $user "bad-drop"))
      (func (export "total") (alias export $o "total")))"#;
    let (mut store, instance) = instantiate(text, &linker);
    assert_eq!(
        call(&mut store, &instance, "total", &[], 1).unwrap(),
        [Val::U32(0)]
    );
    assert_eq!(
        call(&mut store, &instance, "run", &[], 1).unwrap(),
        [Val::U32(42)]
    );
    // Both handles dropped in the user's table: the owner's destructor ran for each.
    assert_eq!(
        call(&mut store, &instance, "total", &[], 1).unwrap(),
        [Val::U32(42)]
    );
    // A handle that is not in the table traps; the instance cannot be entered again,
    // and the store goes on (another instance runs in it).
    let err = call(&mut store, &instance, "bad-drop", &[], 0).unwrap_err();
    assert!(err.to_string().contains("unknown handle"), "{err}");
    assert_poisoned(&mut store, &instance, "run");
    let fresh = instantiate_in(&mut store, text, &linker);
    assert_eq!(
        call(&mut store, &fresh, "run", &[], 1).unwrap(),
        [Val::U32(42)]
    );
    assert_eq!(
        call(&mut store, &fresh, "total", &[], 1).unwrap(),
        [Val::U32(42)]
    );
}

/// The host's logger resource of the kv-store guest.
struct Logger {
    prefix: String,
}

#[derive(Default)]
struct KvHost {
    table: spindle::component::ResourceTable,
    lines: Vec<String>,
    dropped: u32,
}

#[test]
fn the_kv_store_guest_uses_its_resources_and_the_hosts() {
    use spindle::component::{Resource, ResourceType};
    let engine = Engine::default();
    let mut linker = Linker::<KvHost>::new(&engine);
    let mut logging = linker.instance("spindle:test-kv/logging").unwrap();
    logging
        .resource(
            "logger",
            ResourceType::host::<Logger>(),
            |mut store, rep| {
                let host = store.data_mut();
                host.table.delete(Resource::<Logger>::new_own(rep))?;
                host.dropped += 1;
                Ok(())
            },
        )
        .unwrap();
    logging
        .func_new("[constructor]logger", |mut store, args, results| {
            let Val::String(prefix) = &args[0] else {
                unreachable!()
            };
            let r = store.data_mut().table.push(Logger {
                prefix: prefix.to_string(),
            })?;
            results[0] = Val::Own(r.rep());
            Ok(())
        })
        .unwrap();
    logging
        .func_new("[method]logger.log", |mut store, args, _| {
            let (Val::Borrow(rep), Val::String(msg)) = (&args[0], &args[1]) else {
                unreachable!()
            };
            let host = store.data_mut();
            let line = format!(
                "{}{}",
                host.table.get(&Resource::<Logger>::new_own(*rep))?.prefix,
                msg.as_str()
            );
            host.lines.push(line);
            Ok(())
        })
        .unwrap();
    let component = Component::new(&engine, guest("kv-store/kv-store.wasm")).unwrap();
    let mut store = Store::new(&engine, KvHost::default());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let kv = instance
        .get_export_index(&mut store, None, "spindle:test-kv/kv")
        .unwrap();
    let mut func = |name: &str| {
        let f = instance
            .get_export_index(&mut store, Some(&kv), name)
            .expect(name);
        instance.get_func(&mut store, f).unwrap()
    };
    let (new, set, get, len, dump, log_once, live) = (
        func("[constructor]store"),
        func("[method]store.set"),
        func("[method]store.get"),
        func("[method]store.len"),
        func("[method]store.dump"),
        func("log-once"),
        func("live-stores"),
    );
    let mut out = [Val::Bool(false)];
    // A store made by the guest, held by the host as an own handle.
    new.call(&mut store, &[], &mut out).unwrap();
    let Val::Own(kv_rep) = out[0] else {
        panic!("{:?}", out[0])
    };
    for (k, v) in [("a", "1"), ("b", "2"), ("a", "3")] {
        set.call(
            &mut store,
            &[Val::Borrow(kv_rep), Val::string(k), Val::string(v)],
            &mut [],
        )
        .unwrap();
    }
    len.call(&mut store, &[Val::Borrow(kv_rep)], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::U32(2));
    get.call(
        &mut store,
        &[Val::Borrow(kv_rep), Val::string("a")],
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], Val::Option(Some(Box::new(Val::string("3")))));
    live.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0], Val::U32(1));
    // A host logger lent to the guest for one call.
    let logger = store
        .data_mut()
        .table
        .push(Logger {
            prefix: "kv: ".into(),
        })
        .unwrap();
    dump.call(
        &mut store,
        &[Val::Borrow(kv_rep), Val::Borrow(logger.rep())],
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], Val::U32(2));
    // The guest makes and drops a host logger itself: the host's destructor runs.
    log_once
        .call(
            &mut store,
            &[Val::string("once: "), Val::string("hi")],
            &mut [],
        )
        .unwrap();
    assert_eq!(store.data().lines, ["kv: a=3", "kv: b=2", "once: hi"]);
    assert_eq!(store.data().dropped, 1);
}

#[test]
fn a_call_that_traps_gives_up_its_borrows_and_loans() {
    // $User receives borrows of $Owner's resource; `peek` traps on representation 13
    // before dropping its borrow. The next calls, into $User and from the outer
    // component's table, must not see that call's handles.
    let engine = Engine::default();
    let linker = Linker::<Vec<String>>::new(&engine);
    let text = r#"(component
      (component $Owner
        (type $R (resource (rep i32)))
        (export $R' "r" (type $R))
        (canon resource.new $R (core func $new))
        (core module $M
          (import "" "new" (func $new (param i32) (result i32)))
          (func (export "make") (param i32) (result i32) (call $new (local.get 0))))
        (core instance $m (instantiate $M (with "" (instance (export "new" (func $new))))))
        (func (export "make") (param "rep" u32) (result (own $R')) (canon lift (core func $m "make"))))
      (instance $o (instantiate $Owner))
      (alias export $o "r" (type $R))
      (component $User
        (import "r" (type $R (sub resource)))
        (canon resource.drop $R (core func $drop))
        (core module $U
          (import "" "drop" (func $drop (param i32)))
          ;; peek(handle, code): traps on code 13 before dropping the borrow.
          (func (export "peek") (param $h i32) (param $code i32) (result i32)
            (if (i32.eq (local.get $code) (i32.const 13)) (then unreachable))
            (call $drop (local.get $h))
            (local.get $code)))
        (core instance $u (instantiate $U (with "" (instance (export "drop" (func $drop))))))
        (func (export "peek") (param "r" (borrow $R)) (param "code" u32) (result u32)
          (canon lift (core func $u "peek"))))
      (instance $user (instantiate $User (with "r" (type $R))))
      ;; The caller is a third sibling (a component may not call into its children).
      (component $MainC
        (import "r" (type $R (sub resource)))
        (import "make" (func $make (param "rep" u32) (result (own $R))))
        (import "peek" (func $peek (param "r" (borrow $R)) (param "code" u32) (result u32)))
        (core func $make (canon lower (func $make)))
        (core func $peek (canon lower (func $peek)))
        (canon resource.drop $R (core func $drop))
        (core module $Main
          (import "" "make" (func $make (param i32) (result i32)))
          (import "" "peek" (func $peek (param i32 i32) (result i32)))
          (import "" "drop" (func $drop (param i32)))
          (global $h (mut i32) (i32.const 0))
          (func (export "setup") (param i32) (global.set $h (call $make (local.get 0))))
          (func (export "peek") (param i32) (result i32) (call $peek (global.get $h) (local.get 0)))
          (func (export "drop") (call $drop (global.get $h))))
        (core instance $main (instantiate $Main (with "" (instance
          (export "make" (func $make)) (export "peek" (func $peek)) (export "drop" (func $drop))))))
        (func (export "setup") (param "rep" u32) (canon lift (core func $main "setup")))
        (func (export "peek") (param "code" u32) (result u32) (canon lift (core func $main "peek")))
        (func (export "drop") (canon lift (core func $main "drop"))))
      (instance $main (instantiate $MainC (with "r" (type $R))
        (with "make" (func $o "make")) (with "peek" (func $user "peek"))))
      (export "setup" (func $main "setup"))
      (export "peek" (func $main "peek"))
      (export "drop" (func $main "drop")))"#;
    let (mut store, instance) = instantiate(text, &linker);
    call(&mut store, &instance, "setup", &[Val::U32(5)], 0).unwrap();
    let peek = |store: &mut Store<Vec<String>>, code: u32| {
        call(store, &instance, "peek", &[Val::U32(code)], 1)
    };
    assert_eq!(peek(&mut store, 1).unwrap(), [Val::U32(1)]);
    let err = peek(&mut store, 13).unwrap_err();
    assert!(format!("{err:#}").contains("unreachable"), "{err:#}");
    // The instance that trapped cannot be entered again; the store goes on.
    assert_poisoned(&mut store, &instance, "drop");
    let fresh = instantiate_in(&mut store, text, &linker);
    call(&mut store, &fresh, "setup", &[Val::U32(6)], 0).unwrap();
    assert_eq!(
        call(&mut store, &fresh, "peek", &[Val::U32(2)], 1).unwrap(),
        [Val::U32(2)]
    );
    call(&mut store, &fresh, "drop", &[], 0).unwrap();
}

#[test]
fn typed_functions_check_their_types_once_and_call_with_rust_values() {
    let engine = Engine::default();
    let component = Component::new(&engine, guest("json-processor/json-processor.wasm")).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::<()>::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let iface = instance
        .get_export_index(&mut store, None, "example:json-tools/formatter@1.0.0")
        .unwrap();
    let minify = instance
        .get_export_index(&mut store, Some(&iface), "minify")
        .unwrap();
    let typed = instance
        .get_typed_func::<(String,), (Result<String, String>,)>(&mut store, minify)
        .unwrap();
    let (out,) = typed.call(&mut store, ("[ 1, 2 ]".to_string(),)).unwrap();
    assert_eq!(out, Ok("[1,2]".to_string()));
    let (out,) = typed.call(&mut store, ("[".to_string(),)).unwrap();
    assert!(out.is_err_and(|e| e.contains("line 1")));
    typed.post_return(&mut store).unwrap();
    // The wrong Rust types are refused when the typed handle is made.
    let err = instance
        .get_typed_func::<(String,), (Option<String>,)>(&mut store, minify)
        .err()
        .expect("a type mismatch");
    assert!(err.to_string().contains("not"), "{err}");
    let err = instance
        .get_typed_func::<(u32,), (Result<String, String>,)>(&mut store, minify)
        .err()
        .expect("a type mismatch");
    assert!(err.to_string().contains("function's type"), "{err}");
}

#[test]
fn typed_functions_of_numbers_and_unit_results() {
    let engine = Engine::default();
    let text = r#"(component
      (core module $m
        (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
        (func (export "check") (param i32) (result i32) (i32.eqz (local.get 0))))
      (core instance $i (instantiate $m))
      (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
      (func (export "check") (param "x" u32) (result (result))
        (canon lift (core func $i "check"))))"#;
    let component = Component::new(&engine, text).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::<()>::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let add = instance
        .get_typed_func::<(u32, u32), (u32,)>(&mut store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (40, 2)).unwrap(), (42,));
    let check = instance
        .get_typed_func::<(u32,), (Result<(), ()>,)>(&mut store, "check")
        .unwrap();
    assert_eq!(check.call(&mut store, (7,)).unwrap(), (Ok(()),));
    assert_eq!(check.call(&mut store, (0,)).unwrap(), (Err(()),));
}

#[test]
fn recursive_entry_into_a_component_instance_traps() {
    // The spec's `call_might_be_recursive`: a component calling into its own child...
    let engine = Engine::default();
    let linker = Linker::<Vec<String>>::new(&engine);
    let text = r#"(component
      (component $Child
        (core module $M (func (export "one") (result i32) (i32.const 1)))
        (core instance $m (instantiate $M))
        (func (export "one") (result u32) (canon lift (core func $m "one"))))
      (instance $child (instantiate $Child))
      (core func $one (canon lower (func $child "one")))
      (core module $P
        (import "" "one" (func $one (result i32)))
        (func (export "call-child") (result i32) (call $one)))
      (core instance $p (instantiate $P (with "" (instance (export "one" (func $one))))))
      (func (export "call-child") (result u32) (canon lift (core func $p "call-child")))
      (export "child" (instance $child)))"#;
    let (mut store, instance) = instantiate(text, &linker);
    let err = call(&mut store, &instance, "call-child", &[], 1).unwrap_err();
    assert!(
        err.to_string().contains("cannot enter component instance"),
        "{err}"
    );
    // ... while the host may call the child directly, and the store goes on.
    let child = instance
        .get_export_index(&mut store, None, "child")
        .unwrap();
    let one = instance
        .get_export_index(&mut store, Some(&child), "one")
        .unwrap();
    let one = instance.get_func(&mut store, one).unwrap();
    let mut out = [Val::Bool(false)];
    one.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0], Val::U32(1));

    // The host re-entering an instance that is running (it called the host) traps too.
    let mut linker = Linker::<Option<spindle::component::Func>>::new(&engine);
    linker
        .root()
        .func_new("cb", |mut store, _, results| {
            let get = store.data().expect("set before the call");
            let mut out = [Val::Bool(false)];
            get.call(&mut store, &[], &mut out)?;
            results[0] = out[0].clone();
            Ok(())
        })
        .unwrap();
    let component = Component::new(
        &engine,
        r#"(component
          (import "cb" (func $cb (result u32)))
          (core func $cb (canon lower (func $cb)))
          (core module $M
            (import "" "cb" (func $cb (result i32)))
            (func (export "run") (result i32) (call $cb))
            (func (export "get") (result i32) (i32.const 7)))
          (core instance $m (instantiate $M (with "" (instance (export "cb" (func $cb))))))
          (func (export "run") (result u32) (canon lift (core func $m "run")))
          (func (export "get") (result u32) (canon lift (core func $m "get"))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, None);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let get = instance.get_func(&mut store, "get").unwrap();
    *store.data_mut() = Some(get);
    let run = instance.get_func(&mut store, "run").unwrap();
    let mut out = [Val::Bool(false)];
    let err = run.call(&mut store, &[], &mut out).unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot enter component instance"),
        "{err:#}"
    );
    // The entry trapped: the instance cannot be entered again, from anywhere.
    let err = get.call(&mut store, &[], &mut out).unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot enter component instance"),
        "{err:#}"
    );
    let fresh = linker.instantiate(&mut store, &component).unwrap();
    let get = fresh.get_func(&mut store, "get").unwrap();
    get.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0], Val::U32(7));
}
