//! `host-api`, backed by real parts: `db-*` on SQLite (each plugin its own connection, so
//! its own transactions), `vfs-*` inside the plugin's sandbox directory (`cap-std`: nothing
//! outside reachable), `http-get`/`http-post` to allowed URL prefixes only, `get-config`
//! from the manifest's `[config]` then the host's, `get-data`/`set-data` a persistent
//! key-value store per plugin, `emit-event` on the host's event bus, `log` collected.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use spindle::component::ResourceTable;
use spindle::Result;
use spindle_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::raisfast::plugin_wit::host_api;

/// An event a plugin emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: u64,
    pub plugin: String,
    pub event_type: String,
    pub data: String,
}

/// A line a plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub plugin: String,
    pub level: String,
    pub message: String,
}

type Subscriber = Box<dyn Fn(&Event) + Send + Sync>;

/// What every plugin of a host shares.
pub struct Services {
    /// The SQLite database plugins query (`db-*`) and the host keeps posts and plugin
    /// data in.
    pub db_path: PathBuf,
    /// The host's own connection: plugin data (`get-data`/`set-data`) and posts.
    pub(crate) db: Mutex<rusqlite::Connection>,
    /// Where each plugin's sandbox directory is made (`<root>/<plugin id>`).
    pub sandbox_root: PathBuf,
    /// URL prefixes `http-get`/`http-post` may reach.
    pub http_allow: Vec<String>,
    /// `get-config` answers after the manifest's own.
    pub config: BTreeMap<String, String>,
    pub(crate) events: Mutex<Vec<Event>>,
    pub(crate) subscribers: Mutex<Vec<Subscriber>>,
    pub(crate) logs: Mutex<Vec<LogLine>>,
}

impl Services {
    pub(crate) fn new(
        db_path: PathBuf,
        sandbox_root: PathBuf,
        http_allow: Vec<String>,
        config: BTreeMap<String, String>,
    ) -> std::result::Result<Services, String> {
        if let Some(parent) = db_path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let db = rusqlite::Connection::open(&db_path)
            .map_err(|e| format!("{}: {e}", db_path.display()))?;
        db.execute_batch(
            "create table if not exists plugin_data (plugin text not null, key text not null,
                 value text not null, primary key (plugin, key));
             create table if not exists posts (id text primary key, slug text unique not null,
                 title text not null, content text not null, status text not null,
                 created_at text not null);",
        )
        .map_err(|e| format!("{}: {e}", db_path.display()))?;
        std::fs::create_dir_all(&sandbox_root)
            .map_err(|e| format!("{}: {e}", sandbox_root.display()))?;
        Ok(Services {
            db_path,
            db: Mutex::new(db),
            sandbox_root,
            http_allow,
            config,
            events: Mutex::new(Vec::new()),
            subscribers: Mutex::new(Vec::new()),
            logs: Mutex::new(Vec::new()),
        })
    }

    /// Every event emitted so far.
    pub fn events(&self) -> Vec<Event> {
        lock(&self.events).clone()
    }

    /// Every line logged so far.
    pub fn logs(&self) -> Vec<LogLine> {
        lock(&self.logs).clone()
    }

    /// Calls `f` with each event from now on (the in-process bus).
    pub fn subscribe(&self, f: impl Fn(&Event) + Send + Sync + 'static) {
        lock(&self.subscribers).push(Box::new(f));
    }

    /// A plugin's stored value.
    pub fn data(&self, plugin: &str, key: &str) -> Option<String> {
        lock(&self.db)
            .query_row(
                "select value from plugin_data where plugin = ?1 and key = ?2",
                (plugin, key),
                |r| r.get(0),
            )
            .ok()
    }

    /// Stores a post (what `get-post` finds by slug).
    pub fn add_post(
        &self,
        id: &str,
        slug: &str,
        title: &str,
        content: &str,
        status: &str,
        created_at: &str,
    ) -> std::result::Result<(), String> {
        lock(&self.db)
            .execute(
                "insert or replace into posts (id, slug, title, content, status, created_at)
                 values (?1, ?2, ?3, ?4, ?5, ?6)",
                (id, slug, title, content, status, created_at),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// A post by slug, as JSON (what `get-post` answers).
    pub fn post_json(&self, slug: &str) -> Option<String> {
        let db = lock(&self.db);
        db.query_row(
            "select id, slug, title, content, status, created_at from posts where slug = ?1",
            [slug],
            |r| {
                Ok(serde_json::json!({
                    "id": r.get::<_, String>(0)?, "slug": r.get::<_, String>(1)?,
                    "title": r.get::<_, String>(2)?, "content": r.get::<_, String>(3)?,
                    "status": r.get::<_, String>(4)?, "created_at": r.get::<_, String>(5)?,
                })
                .to_string())
            },
        )
        .ok()
    }

    fn emit(&self, plugin: &str, event_type: &str, data: &str) -> u64 {
        let event = {
            let mut events = lock(&self.events);
            let e = Event {
                id: events.len() as u64 + 1,
                plugin: plugin.to_string(),
                event_type: event_type.to_string(),
                data: data.to_string(),
            };
            events.push(e.clone());
            e
        };
        for s in lock(&self.subscribers).iter() {
            s(&event);
        }
        event.id
    }
}

/// A lock, recovered if a panicking holder poisoned it (the data stays consistent: every
/// critical section here is a single read or write).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What one plugin has of its own.
pub struct PluginCtx {
    /// The plugin's id (its folder's name).
    pub id: String,
    pub config: BTreeMap<String, String>,
    /// Its sandbox directory.
    pub(crate) vfs: cap_std::fs::Dir,
    /// Its own connection to the database (its transactions are its own).
    pub(crate) db: Mutex<rusqlite::Connection>,
}

impl PluginCtx {
    pub(crate) fn new(
        services: &Services,
        id: &str,
        config: BTreeMap<String, String>,
    ) -> std::result::Result<PluginCtx, String> {
        let dir = services.sandbox_root.join(id);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let vfs = cap_std::fs::Dir::open_ambient_dir(&dir, cap_std::ambient_authority())
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let db = rusqlite::Connection::open(&services.db_path)
            .map_err(|e| format!("{}: {e}", services.db_path.display()))?;
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        Ok(PluginCtx {
            id: id.to_string(),
            config,
            vfs,
            db: Mutex::new(db),
        })
    }
}

/// A plugin instance's store data.
pub struct InstanceState {
    pub(crate) plugin: Arc<PluginCtx>,
    pub(crate) services: Arc<Services>,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: spindle::StoreLimits,
}

impl InstanceState {
    pub(crate) fn new(
        plugin: Arc<PluginCtx>,
        services: Arc<Services>,
        max_memory: usize,
    ) -> InstanceState {
        InstanceState {
            plugin,
            services,
            limits: spindle::StoreLimitsBuilder::new()
                .memory_size(max_memory)
                .build(),
            // WASI for plugins built with toolchains that import it: no files, no network,
            // no environment; stderr goes to the host's.
            wasi: WasiCtx::builder().inherit_stderr().build(),
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// SQLite values from the JSON array `params` (none: no parameters).
fn sql_params(params: Option<&str>) -> std::result::Result<Vec<rusqlite::types::Value>, String> {
    use rusqlite::types::Value as V;
    let Some(text) = params else {
        return Ok(Vec::new());
    };
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("params are not JSON: {e}"))?;
    let serde_json::Value::Array(items) = parsed else {
        return Err("params must be a JSON array".into());
    };
    items
        .into_iter()
        .map(|v| {
            Ok(match v {
                serde_json::Value::Null => V::Null,
                serde_json::Value::Bool(b) => V::Integer(i64::from(b)),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => V::Integer(i),
                    None => V::Real(n.as_f64().unwrap_or(0.0)),
                },
                serde_json::Value::String(s) => V::Text(s),
                other => V::Text(other.to_string()),
            })
        })
        .collect()
}

fn error_json(e: impl std::fmt::Display) -> String {
    serde_json::json!({ "error": e.to_string() }).to_string()
}

fn json_of(v: rusqlite::types::ValueRef<'_>) -> serde_json::Value {
    use rusqlite::types::ValueRef as R;
    match v {
        R::Null => serde_json::Value::Null,
        R::Integer(i) => i.into(),
        R::Real(f) => f.into(),
        R::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        R::Blob(b) => serde_json::Value::Array(b.iter().map(|x| (*x).into()).collect()),
    }
}

/// The largest file `vfs-read`/`vfs-write` moves (1 MiB).
const MAX_VFS_FILE: u64 = 1 << 20;

impl InstanceState {
    fn allowed_url(&self, url: &str) -> bool {
        url.starts_with("http://")
            && self
                .services
                .http_allow
                .iter()
                .any(|prefix| url.starts_with(prefix.as_str()))
    }
}

impl host_api::Host for InstanceState {
    fn log(&mut self, level: String, msg: String) -> Result<()> {
        lock(&self.services.logs).push(LogLine {
            plugin: self.plugin.id.clone(),
            level,
            message: msg,
        });
        Ok(())
    }

    fn get_config(&mut self, key: String) -> Result<Option<String>> {
        Ok(self
            .plugin
            .config
            .get(&key)
            .or_else(|| self.services.config.get(&key))
            .cloned())
    }

    fn http_get(&mut self, url: String) -> Result<Option<String>> {
        if !self.allowed_url(&url) {
            return Ok(None);
        }
        Ok(ureq::get(&url)
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok()))
    }

    fn http_post(&mut self, url: String, body: String) -> Result<Option<String>> {
        if !self.allowed_url(&url) {
            return Ok(None);
        }
        Ok(ureq::post(&url)
            .send(body.as_bytes())
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok()))
    }

    fn get_data(&mut self, key: String) -> Result<Option<String>> {
        Ok(self.services.data(&self.plugin.id, &key))
    }

    fn set_data(&mut self, key: String, value: String) -> Result<bool> {
        Ok(lock(&self.services.db)
            .execute(
                "insert into plugin_data (plugin, key, value) values (?1, ?2, ?3)
                 on conflict (plugin, key) do update set value = excluded.value",
                (&self.plugin.id, &key, &value),
            )
            .is_ok())
    }

    fn get_post(&mut self, slug: String) -> Result<Option<String>> {
        Ok(self.services.post_json(&slug))
    }

    fn db_query(&mut self, sql: String, params: Option<String>) -> Result<String> {
        let params = match sql_params(params.as_deref()) {
            Ok(p) => p,
            Err(e) => return Ok(error_json(e)),
        };
        let db = lock(&self.plugin.db);
        let run = || -> rusqlite::Result<String> {
            let mut stmt = db.prepare(&sql)?;
            let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
            let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let mut obj = serde_json::Map::new();
                for (i, n) in names.iter().enumerate() {
                    obj.insert(n.clone(), json_of(row.get_ref(i)?));
                }
                out.push(serde_json::Value::Object(obj));
            }
            Ok(serde_json::Value::Array(out).to_string())
        };
        Ok(run().unwrap_or_else(error_json))
    }

    fn db_execute(&mut self, sql: String, params: Option<String>) -> Result<String> {
        let params = match sql_params(params.as_deref()) {
            Ok(p) => p,
            Err(e) => return Ok(error_json(e)),
        };
        let db = lock(&self.plugin.db);
        Ok(
            match db.execute(&sql, rusqlite::params_from_iter(params.iter())) {
                Ok(n) => serde_json::json!({ "changes": n }).to_string(),
                Err(e) => error_json(e),
            },
        )
    }

    fn db_begin(&mut self) -> Result<String> {
        Ok(self.batch("begin"))
    }

    fn db_commit(&mut self) -> Result<String> {
        Ok(self.batch("commit"))
    }

    fn db_rollback(&mut self) -> Result<String> {
        Ok(self.batch("rollback"))
    }

    fn vfs_read(&mut self, path: String) -> Result<Option<String>> {
        let vfs = &self.plugin.vfs;
        match vfs.metadata(&path) {
            Ok(m) if m.is_file() && m.len() <= MAX_VFS_FILE => Ok(vfs.read_to_string(&path).ok()),
            _ => Ok(None),
        }
    }

    fn vfs_write(&mut self, path: String, content: String) -> Result<bool> {
        if content.len() as u64 > MAX_VFS_FILE {
            return Ok(false);
        }
        let vfs = &self.plugin.vfs;
        if let Some(parent) = std::path::Path::new(&path).parent() {
            if !parent.as_os_str().is_empty() && vfs.create_dir_all(parent).is_err() {
                return Ok(false);
            }
        }
        Ok(vfs.write(&path, content).is_ok())
    }

    fn vfs_delete(&mut self, path: String) -> Result<bool> {
        let vfs = &self.plugin.vfs;
        Ok(vfs.remove_file(&path).is_ok() || vfs.remove_dir(&path).is_ok())
    }

    fn vfs_exists(&mut self, path: String) -> Result<bool> {
        Ok(self.plugin.vfs.metadata(&path).is_ok())
    }

    fn vfs_list(&mut self, path: String) -> Result<Option<String>> {
        let dir = if path.is_empty() || path == "." || path == "/" {
            self.plugin.vfs.try_clone()
        } else {
            self.plugin.vfs.open_dir(&path)
        };
        let Ok(dir) = dir else {
            return Ok(None);
        };
        let Ok(entries) = dir.entries() else {
            return Ok(None);
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(Some(serde_json::json!(names).to_string()))
    }

    fn vfs_stat(&mut self, path: String) -> Result<Option<String>> {
        Ok(self.plugin.vfs.metadata(&path).ok().map(|m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.into_std().duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            serde_json::json!({ "size": m.len(), "is_dir": m.is_dir(), "modified": modified })
                .to_string()
        }))
    }

    fn emit_event(&mut self, event_type: String, data: String) -> Result<String> {
        let id = self.services.emit(&self.plugin.id, &event_type, &data);
        Ok(serde_json::json!({ "id": id }).to_string())
    }
}

impl InstanceState {
    fn batch(&self, sql: &str) -> String {
        match lock(&self.plugin.db).execute_batch(sql) {
            Ok(()) => serde_json::json!({ "ok": true }).to_string(),
            Err(e) => error_json(e),
        }
    }
}
