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
    assert!(e.to_string().contains("example:json-tools/formatter@1.0.0"), "{e}");
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
    fn drop(&mut self, rep: Resource<kv::spindle::test_kv::logging::Logger>) -> spindle::Result<()> {
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
    assert_eq!(stores.call_get(&mut store, a, "a").unwrap(), Some("3".into()));
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
    hooks.call_on_content_deleted(&mut store, "page", "7").unwrap();
    let _ = hooks.call_render_markdown(&mut store, "# Title").unwrap();
    // A second instance of the same pre-instantiated component is independent.
    let mut store2 = Store::new(&engine, PluginHost::default());
    let b2 = pre.instantiate(&mut store2).unwrap();
    b2.raisfast_plugin_wit_plugin_hooks()
        .call_on_login(&mut store2, "user-2")
        .unwrap();
}
