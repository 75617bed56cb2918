//! `bindgen!` and the derives: the committed guests driven through generated host
//! bindings (the same host code compiles against wasmtime with the crate renamed), and
//! records, variants, enums and flags crossing through typed functions.

use spindle::component::{Component, Linker, Resource, ResourceTable};
use spindle::{Config, Engine, Store};

fn guest(path: &str) -> Vec<u8> {
    let p = format!(
        "{}/../../examples/components/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

mod json {
    ::spindle::component::bindgen!({
        world: "json-processor",
        path: "../../examples/components/json-processor/wit",
    });
}

#[test]
fn the_json_processor_host_of_the_guides_compiles_and_runs_with_fuel() {
    use json::exports::example::json_tools::formatter::FormatOptions;
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let component = Component::new(&engine, guest("json-processor/json-processor.wasm")).unwrap();
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    store.set_fuel(1_000_000).unwrap();
    let bindings = json::JsonProcessor::instantiate(&mut store, &component, &linker).unwrap();
    let options = FormatOptions {
        indent: 2,
        sort_keys: true,
    };
    let formatter = bindings.example_json_tools_formatter();
    let out = formatter
        .call_format(&mut store, r#"{"b":1,"a":[true,null]}"#, Some(options))
        .unwrap();
    assert_eq!(
        out,
        Ok("{\n  \"a\": [\n    true,\n    null\n  ],\n  \"b\": 1\n}".to_string())
    );
    let fuel_left = store.get_fuel().unwrap();
    assert!(fuel_left > 0 && fuel_left < 1_000_000, "{fuel_left}");
    // The guest's own errors come back as `Err`, not as traps.
    let bad = formatter.call_minify(&mut store, "{").unwrap();
    assert!(bad.is_err(), "{bad:?}");
    assert_eq!(
        formatter.call_minify(&mut store, "[ 1 , 2 ]").unwrap(),
        Ok("[1,2]".to_string())
    );
    // Typed function handles, as wasmtime's `func_*`.
    let f = formatter.func_format();
    let (r,) = f.call(&mut store, ("[]", None)).unwrap();
    assert_eq!(r, Ok("[]".to_string()));
}

#[test]
fn bindings_of_a_component_that_lacks_the_exports_fail_to_load() {
    let engine = Engine::default();
    let component = Component::new(&engine, "(component)").unwrap();
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let e = json::JsonProcessor::instantiate(&mut store, &component, &linker)
        .err()
        .expect("no formatter export");
    assert!(
        e.to_string().contains("example:json-tools/formatter@1.0.0"),
        "{e}"
    );
}

mod kv {
    ::spindle::component::bindgen!({
        world: "kv-store",
        path: "../../examples/components/kv-store/wit",
    });
}

struct Logger {
    prefix: String,
}

#[derive(Default)]
struct KvHost {
    table: ResourceTable,
    lines: Vec<String>,
    dropped: u32,
}

impl kv::spindle::test_kv::logging::HostLogger for KvHost {
    fn new(&mut self, prefix: String) -> Resource<kv::spindle::test_kv::logging::Logger> {
        let r = self.table.push(Logger { prefix }).unwrap();
        Resource::new_own(r.rep())
    }
    fn log(&mut self, self_: Resource<kv::spindle::test_kv::logging::Logger>, msg: String) {
        assert!(!self_.owned(), "a method's self is borrowed");
        let logger = self
            .table
            .get(&Resource::<Logger>::new_own(self_.rep()))
            .unwrap();
        let line = format!("{}{msg}", logger.prefix);
        self.lines.push(line);
    }
    fn drop(
        &mut self,
        rep: Resource<kv::spindle::test_kv::logging::Logger>,
    ) -> spindle::Result<()> {
        self.table.delete(Resource::<Logger>::new_own(rep.rep()))?;
        self.dropped += 1;
        Ok(())
    }
}

impl kv::spindle::test_kv::logging::Host for KvHost {}

#[test]
fn the_kv_store_guest_through_bindgen_with_host_and_guest_resources() {
    use kv::spindle::test_kv::logging::HostLogger;
    let engine = Engine::default();
    let mut linker = Linker::<KvHost>::new(&engine);
    kv::KvStore::add_to_linker::<_, spindle::component::HasSelf<_>>(&mut linker, |h| h).unwrap();
    let component = Component::new(&engine, guest("kv-store/kv-store.wasm")).unwrap();
    let mut store = Store::new(&engine, KvHost::default());
    let bindings = kv::KvStore::instantiate(&mut store, &component, &linker).unwrap();
    let api = bindings.spindle_test_kv_kv();
    let stores = api.store();

    let a = stores.call_constructor(&mut store).unwrap();
    assert!(a.owned());
    for (k, v) in [("a", "1"), ("b", "2"), ("a", "3")] {
        stores.call_set(&mut store, a, k, v).unwrap();
    }
    assert_eq!(stores.call_len(&mut store, a).unwrap(), 2);
    assert_eq!(
        stores.call_get(&mut store, a, "a").unwrap(),
        Some("3".into())
    );
    assert_eq!(stores.call_get(&mut store, a, "zz").unwrap(), None);

    let b = stores.call_constructor(&mut store).unwrap();
    stores.call_set(&mut store, b, "c", "4").unwrap();
    let merged = stores.call_merge(&mut store, a, b).unwrap();
    assert_eq!(stores.call_len(&mut store, merged).unwrap(), 3);
    assert_eq!(api.call_live_stores(&mut store).unwrap(), 3);

    // A host logger lent to the guest (an owned host handle passed as a borrow).
    let logger = store.data_mut().new("kv: ".into());
    assert_eq!(stores.call_dump(&mut store, merged, logger).unwrap(), 3);
    assert_eq!(store.data().lines, ["kv: a=3", "kv: b=2", "kv: c=4"]);

    // Ownership moves into the guest: its destructor runs before `consume` returns.
    assert_eq!(api.call_consume(&mut store, b).unwrap(), 1);
    assert_eq!(api.call_destroyed_stores(&mut store).unwrap(), 1);
    // The host drops what it owns: the guest's destructor runs.
    merged.resource_drop(&mut store).unwrap();
    assert_eq!(api.call_destroyed_stores(&mut store).unwrap(), 2);
    assert_eq!(api.call_live_stores(&mut store).unwrap(), 1);
    a.resource_drop(&mut store).unwrap();
    assert_eq!(api.call_live_stores(&mut store).unwrap(), 0);

    // The guest makes and drops a host logger: the host's `drop` runs.
    api.call_log_once(&mut store, "once: ", "hi").unwrap();
    assert_eq!(store.data().lines.last().unwrap(), "once: hi");
    assert_eq!(store.data().dropped, 1);
}

mod plugin {
    ::spindle::component::bindgen!({
        world: "plugin-world",
        path: "../../examples/components/plugin/wit",
    });
}

#[derive(Default)]
struct PluginHost {
    log: Vec<String>,
    data: std::collections::HashMap<String, String>,
}

impl plugin::raisfast::plugin_wit::types::Host for PluginHost {}

impl plugin::raisfast::plugin_wit::host_api::Host for PluginHost {
    fn log(&mut self, level: String, msg: String) {
        self.log.push(format!("{level}: {msg}"));
    }
    fn get_config(&mut self, key: String) -> Option<String> {
        (key == "site").then(|| "example".into())
    }
    fn http_get(&mut self, _: String) -> Option<String> {
        None
    }
    fn http_post(&mut self, _: String, _: String) -> Option<String> {
        None
    }
    fn get_data(&mut self, key: String) -> Option<String> {
        self.data.get(&key).cloned()
    }
    fn set_data(&mut self, key: String, value: String) -> bool {
        self.data.insert(key, value);
        true
    }
    fn get_post(&mut self, _: String) -> Option<String> {
        None
    }
    fn db_query(&mut self, _: String, _: Option<String>) -> String {
        "[]".into()
    }
    fn db_execute(&mut self, _: String, _: Option<String>) -> String {
        "0".into()
    }
    fn db_begin(&mut self) -> String {
        "ok".into()
    }
    fn db_commit(&mut self) -> String {
        "ok".into()
    }
    fn db_rollback(&mut self) -> String {
        "ok".into()
    }
    fn vfs_read(&mut self, _: String) -> Option<String> {
        None
    }
    fn vfs_write(&mut self, _: String, _: String) -> bool {
        false
    }
    fn vfs_delete(&mut self, _: String) -> bool {
        false
    }
    fn vfs_exists(&mut self, _: String) -> bool {
        false
    }
    fn vfs_list(&mut self, _: String) -> Option<String> {
        None
    }
    fn vfs_stat(&mut self, _: String) -> Option<String> {
        None
    }
    fn emit_event(&mut self, _: String, _: String) -> String {
        "ok".into()
    }
}

#[test]
fn the_plugin_guest_through_bindgen_runs_filter_and_action_hooks() {
    use plugin::raisfast::plugin_wit::types::PostInput;
    let engine = Engine::default();
    let mut linker = Linker::<PluginHost>::new(&engine);
    plugin::PluginWorld::add_to_linker::<_, spindle::component::HasSelf<_>>(&mut linker, |h| h)
        .unwrap();
    let component = Component::new(&engine, guest("plugin/plugin.wasm")).unwrap();
    let pre = plugin::PluginWorldPre::new(linker.instantiate_pre(&component).unwrap()).unwrap();
    let mut store = Store::new(&engine, PluginHost::default());
    let bindings = pre.instantiate(&mut store).unwrap();
    let hooks = bindings.raisfast_plugin_wit_plugin_hooks();
    let post = PostInput {
        title: "Hello, World!".into(),
        content: "body".into(),
        slug: None,
        excerpt: None,
        category_id: None,
        tag_ids: Some(vec!["t1".into()]),
        status: None,
        cover_image: None,
    };
    let changed = hooks
        .call_on_post_creating(&mut store, &post)
        .unwrap()
        .expect("the filter sets the slug");
    assert_eq!(changed.slug.as_deref(), Some("hello-world"));
    assert_eq!(changed.tag_ids, post.tag_ids);
    assert!(
        store.data().log.iter().any(|l| l.contains("hello-world")),
        "{:?}",
        store.data().log
    );
    // Every hook is callable with its types.
    hooks.call_on_login(&mut store, "user-1").unwrap();
    hooks.call_on_cron_tick(&mut store, Some("tick")).unwrap();
    hooks
        .call_on_content_deleted(&mut store, "page", "7")
        .unwrap();
    let _ = hooks.call_render_markdown(&mut store, "# Title").unwrap();
    // A second instance of the same pre-instantiated component is independent.
    let mut store2 = Store::new(&engine, PluginHost::default());
    let b2 = pre.instantiate(&mut store2).unwrap();
    b2.raisfast_plugin_wit_plugin_hooks()
        .call_on_login(&mut store2, "user-2")
        .unwrap();
}

// ---- The derives and `flags!`, written by hand (no WIT) ----

use spindle::component::{ComponentType, Lift, Lower};

#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq)]
#[component(record)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq)]
#[component(enum)]
enum Color {
    #[component(name = "red")]
    Red,
    Green,
    Blue,
}

#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq)]
#[component(variant)]
enum Shape {
    Circle(f32),
    Square(u32),
    None,
}

spindle::component::flags! {
    Perms {
        #[component(name = "read")]
        const READ;
        const WRITE;
        const EXEC;
    }
}

/// A record with a field name that is not its Rust name.
#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq)]
#[component(record)]
struct Renamed {
    #[component(name = "x")]
    across: i32,
    y: i32,
}

#[test]
fn derived_records_variants_enums_and_flags_cross_both_ways() {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<Point>>::new(&engine);
    linker
        .instance("host")
        .unwrap()
        .func_wrap("scale", |mut store, (p, k): (Point, i32)| {
            store.data_mut().push(p);
            Ok((Point {
                x: p.x * k,
                y: p.y * k,
            },))
        })
        .unwrap();
    let component = Component::new(&engine, include_str!("components/derive.wat")).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &component).unwrap();

    let next = instance
        .get_typed_func::<(Color,), (Color,)>(&mut store, "next-color")
        .unwrap();
    assert_eq!(
        next.call(&mut store, (Color::Red,)).unwrap(),
        (Color::Green,)
    );
    assert_eq!(
        next.call(&mut store, (Color::Blue,)).unwrap(),
        (Color::Red,)
    );

    let invert = instance
        .get_typed_func::<(Perms,), (Perms,)>(&mut store, "invert")
        .unwrap();
    let (p,) = invert
        .call(&mut store, (Perms::READ | Perms::EXEC,))
        .unwrap();
    assert_eq!(p, Perms::WRITE);
    assert_eq!(!p, Perms::READ | Perms::EXEC);
    assert_eq!(format!("{:?}", Perms::all()), "Perms(READ | WRITE | EXEC)");
    assert!(Perms::all().contains(Perms::WRITE) && Perms::empty().is_empty());

    let swap = instance
        .get_typed_func::<(Point,), (Point,)>(&mut store, "swap")
        .unwrap();
    assert_eq!(
        swap.call(&mut store, (Point { x: 1, y: -2 },)).unwrap(),
        (Point { x: -2, y: 1 },)
    );
    // Field names are checked: `#[component(name)]` gives a field its component name,
    // and the same layout under other names is refused...
    let e = instance
        .get_typed_func::<(Renamed,), (Point,)>(&mut store, "swap")
        .map(|_| ());
    assert!(e.is_ok(), "`across` is renamed `x`: {e:?}");
    #[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq)]
    #[component(record)]
    struct Wrong {
        a: i32,
        b: i32,
    }
    assert!(instance
        .get_typed_func::<(Wrong,), (Point,)>(&mut store, "swap")
        .is_err());
    // ... and so are enums, variants and flags of other cases.
    assert!(instance
        .get_typed_func::<(Perms,), (Perms,)>(&mut store, "next-color")
        .is_err());
    assert!(instance
        .get_typed_func::<(Color,), (Color,)>(&mut store, "echo-shape")
        .is_err());

    let echo = instance
        .get_typed_func::<(Shape,), (Shape,)>(&mut store, "echo-shape")
        .unwrap();
    for s in [Shape::Circle(1.5), Shape::Square(7), Shape::None] {
        assert_eq!(echo.call(&mut store, (s,)).unwrap(), (s,));
    }

    // A typed host function: the guest calls it with a record and gets one back.
    let scale = instance
        .get_typed_func::<(Point,), (Point,)>(&mut store, "scale-by-ten")
        .unwrap();
    assert_eq!(
        scale.call(&mut store, (Point { x: 3, y: 4 },)).unwrap(),
        (Point { x: 30, y: 40 },)
    );
    assert_eq!(store.data().as_slice(), [Point { x: 3, y: 4 }]);
}

#[test]
fn a_typed_host_function_of_the_wrong_type_is_refused_at_link_time() {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<Point>>::new(&engine);
    linker
        .instance("host")
        .unwrap()
        .func_wrap("scale", |_, (p,): (Point,)| Ok((p,)))
        .unwrap();
    let component = Component::new(&engine, include_str!("components/derive.wat")).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let e = linker
        .instantiate(&mut store, &component)
        .expect_err("scale takes (point, s32)");
    assert!(e.to_string().contains("host#scale"), "{e}");
}

#[test]
fn imports_are_matched_by_semver_compatible_versions() {
    // The component imports `t:x/api@0.2.1`; the linker defines other 0.2 versions.
    let text = r#"(component
      (import "t:x/api@0.2.1" (instance $api (export "f" (func (result u32)))))
      (alias export $api "f" (func $f))
      (core func $lowered (canon lower (func $f)))
      (core module $M (import "h" "f" (func $f (result i32)))
        (func (export "g") (result i32) (call $f)))
      (core instance $m (instantiate $M (with "h" (instance (export "f" (func $lowered))))))
      (func (export "g") (result u32) (canon lift (core func $m "g"))))"#;
    let engine = Engine::default();
    let component = Component::new(&engine, text).unwrap();
    let run = |defs: &[(&str, u32)]| -> spindle::Result<u32> {
        let mut linker = Linker::<()>::new(&engine);
        for (name, v) in defs {
            let v = *v;
            linker
                .instance(name)?
                .func_wrap("f", move |_, (): ()| Ok((v,)))?;
        }
        let mut store = Store::new(&engine, ());
        let i = linker.instantiate(&mut store, &component)?;
        let g = i.get_typed_func::<(), (u32,)>(&mut store, "g")?;
        Ok(g.call(&mut store, ())?.0)
    };
    assert_eq!(run(&[("t:x/api@0.2.1", 1)]).unwrap(), 1);
    assert_eq!(run(&[("t:x/api@0.2.0", 2)]).unwrap(), 2);
    assert_eq!(
        run(&[("t:x/api@0.2.0", 2), ("t:x/api@0.2.9", 3)]).unwrap(),
        3
    );
    // An exact match wins; other minor versions of 0.x and other names do not match.
    assert_eq!(
        run(&[("t:x/api@0.2.9", 3), ("t:x/api@0.2.1", 1)]).unwrap(),
        1
    );
    assert!(run(&[("t:x/api@0.3.0", 4)]).is_err());
    assert!(run(&[("t:x/api", 5)]).is_err());
}

#[test]
fn a_start_function_runs_at_instantiation() {
    let engine = Engine::default();
    // A host function as the start function.
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .root()
        .func_wrap("hello", |mut store, (): ()| {
            *store.data_mut() += 1;
            Ok(())
        })
        .unwrap();
    let component = Component::new(
        &engine,
        r#"(component (import "hello" (func $hello)) (start $hello))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, 0u32);
    linker.instantiate(&mut store, &component).unwrap();
    assert_eq!(*store.data(), 1);
    linker.instantiate(&mut store, &component).unwrap();
    assert_eq!(*store.data(), 2);

    // A lifted function as the start function: it runs before the instance is returned.
    let component = Component::new(
        &engine,
        r#"(component
          (core module $M
            (global $n (mut i32) (i32.const 0))
            (func (export "init") (global.set $n (i32.add (global.get $n) (i32.const 10))))
            (func (export "get") (result i32) (global.get $n)))
          (core instance $m (instantiate $M))
          (func $init (canon lift (core func $m "init")))
          (start $init)
          (func (export "get") (result u32) (canon lift (core func $m "get"))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let get = instance
        .get_typed_func::<(), (u32,)>(&mut store, "get")
        .unwrap();
    assert_eq!(get.call(&mut store, ()).unwrap(), (10,));
}
