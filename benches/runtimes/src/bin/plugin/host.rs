// The plugin host both runtimes run, word for word: this file is compiled once with
// `rt` = `spindle` and once with `rt` = `wasmtime` (their component APIs have the same
// names and shapes). A pool of instances of the `plugin-world` component, round robin,
// each behind a mutex; `host-api` answered from memory.

use rt::component::{Component, HasSelf, Linker};
use rt::{Engine, Store};

rt::component::bindgen!({
    world: "plugin-world",
    path: "../../crates/plugin-host/wit",
});

use raisfast::plugin_wit::types::PostInput;

pub struct State {
    pub logged: u64,
}

impl raisfast::plugin_wit::host_api::Host for State {
    fn log(&mut self, _level: String, _msg: String) {
        self.logged += 1;
    }
    fn get_config(&mut self, _key: String) -> Option<String> {
        None
    }
    fn http_get(&mut self, _url: String) -> Option<String> {
        None
    }
    fn http_post(&mut self, _url: String, _body: String) -> Option<String> {
        None
    }
    fn get_data(&mut self, _key: String) -> Option<String> {
        None
    }
    fn set_data(&mut self, _key: String, _value: String) -> bool {
        true
    }
    fn get_post(&mut self, _slug: String) -> Option<String> {
        None
    }
    fn db_query(&mut self, _sql: String, _params: Option<String>) -> String {
        "[]".into()
    }
    fn db_execute(&mut self, _sql: String, _params: Option<String>) -> String {
        "{}".into()
    }
    fn db_begin(&mut self) -> String {
        "{}".into()
    }
    fn db_commit(&mut self) -> String {
        "{}".into()
    }
    fn db_rollback(&mut self) -> String {
        "{}".into()
    }
    fn vfs_read(&mut self, _path: String) -> Option<String> {
        None
    }
    fn vfs_write(&mut self, _path: String, _content: String) -> bool {
        false
    }
    fn vfs_delete(&mut self, _path: String) -> bool {
        false
    }
    fn vfs_exists(&mut self, _path: String) -> bool {
        false
    }
    fn vfs_list(&mut self, _path: String) -> Option<String> {
        None
    }
    fn vfs_stat(&mut self, _path: String) -> Option<String> {
        None
    }
    fn emit_event(&mut self, _event_type: String, _data: String) -> String {
        "{}".into()
    }
}

pub struct Pool {
    slots: Vec<std::sync::Mutex<(Store<State>, PluginWorld)>>,
    next: std::sync::atomic::AtomicUsize,
}

impl Pool {
    pub fn new(engine: &Engine, wasm: &str, size: usize) -> Pool {
        let component = Component::from_file(engine, wasm).unwrap();
        let mut linker = Linker::new(engine);
        raisfast::plugin_wit::host_api::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)
            .unwrap();
        let slots = (0..size)
            .map(|_| {
                let mut store = Store::new(engine, State { logged: 0 });
                let world = PluginWorld::instantiate(&mut store, &component, &linker).unwrap();
                std::sync::Mutex::new((store, world))
            })
            .collect();
        Pool {
            slots,
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// `on-post-creating` for a post titled `title` on the next instance: the slug.
    pub fn slug(&self, title: &str) -> Option<String> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.slots.len();
        let mut slot = self.slots[i].lock().unwrap();
        let (store, world) = &mut *slot;
        let input = PostInput {
            title: title.into(),
            content: "body".into(),
            slug: None,
            excerpt: None,
            category_id: None,
            tag_ids: None,
            status: None,
            cover_image: None,
        };
        world
            .raisfast_plugin_wit_plugin_hooks()
            .call_on_post_creating(&mut *store, &input)
            .unwrap()
            .and_then(|p| p.slug)
    }
}
