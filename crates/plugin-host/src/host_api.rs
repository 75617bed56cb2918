//! `host-api`, backed by real parts: `db-*` on SQLite (each plugin its own database file,
//! each instance its own connection, so its own transactions; `ATTACH` refused and every
//! statement bounded in steps and result size), `vfs-*` inside the plugin's sandbox
//! directory (`cap-std`: nothing outside reachable; a quota), `http-get`/`http-post` to
//! allowed origins and path prefixes only (no redirects, a timeout), `get-config` from the
//! manifest's `[config]` then the host's, `get-data`/`set-data` a persistent key-value
//! store per plugin, `emit-event` on the host's event bus, `log` collected (both bounded).

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

type Subscriber = Arc<dyn Fn(&Event) + Send + Sync>;

/// The most events and log lines kept (the oldest go first), and the most bytes of one
/// message or event's data kept.
const MAX_KEPT: usize = 100_000;
const MAX_TEXT: usize = 64 * 1024;

/// The most rows and bytes of JSON one `db-query` answers, and the most SQLite steps (in
/// thousands) one statement may take.
const MAX_ROWS: usize = 10_000;
const MAX_JSON: usize = 4 << 20;
const MAX_STEPS_K: u64 = 100_000;

/// The most bytes a plugin's sandbox may hold.
const VFS_QUOTA: u64 = 16 << 20;

fn truncated(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// What every plugin of a host shares.
pub struct Services {
    /// The SQLite database plugins query (`db-*`) and the host keeps posts and plugin
    /// data in.
    pub db_path: PathBuf,
    /// The host's own connection: plugin data (`get-data`/`set-data`) and posts.
    pub(crate) db: Mutex<rusqlite::Connection>,
    /// Where each plugin's sandbox directory is made (`<root>/<plugin id>`).
    pub sandbox_root: PathBuf,
    /// Where each plugin's database is (`<dir>/<plugin id>.db`).
    pub plugin_db_dir: PathBuf,
    /// URL prefixes `http-get`/`http-post` may reach.
    pub http_allow: Vec<String>,
    allowed: Vec<AllowedUrl>,
    agent: ureq::Agent,
    /// `get-config` answers after the manifest's own.
    pub config: BTreeMap<String, String>,
    pub(crate) events: Mutex<std::collections::VecDeque<Event>>,
    next_event: std::sync::atomic::AtomicU64,
    pub(crate) subscribers: Mutex<Vec<Subscriber>>,
    pub(crate) logs: Mutex<std::collections::VecDeque<LogLine>>,
}

/// An allowed HTTP prefix, parsed: origin compared exactly, path by prefix.
struct AllowedUrl {
    host: String,
    port: u16,
    path: String,
}

/// `url` parsed as a plain-HTTP URL with a normalised path (no `.`/`..` segments, no
/// percent escapes, no user info): (host, port, path).
fn http_parts(url: &str) -> Option<(String, u16, String)> {
    let uri: ureq::http::Uri = url.parse().ok()?;
    if uri.scheme_str() != Some("http") {
        return None;
    }
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let path = uri.path().to_string();
    if path.contains('%') || path.split('/').any(|seg| seg == "." || seg == "..") {
        return None;
    }
    Some((
        authority.host().to_ascii_lowercase(),
        authority.port_u16().unwrap_or(80),
        path,
    ))
}

impl Services {
    pub(crate) fn new(
        db_path: PathBuf,
        sandbox_root: PathBuf,
        plugin_db_dir: PathBuf,
        http_allow: Vec<String>,
        config: BTreeMap<String, String>,
    ) -> std::result::Result<Services, String> {
        let mut allowed = Vec::new();
        for prefix in &http_allow {
            let (host, port, path) = http_parts(prefix)
                .ok_or_else(|| format!("`{prefix}` is not a plain http:// URL prefix"))?;
            allowed.push(AllowedUrl { host, port, path });
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .timeout_global(Some(std::time::Duration::from_secs(5)))
            .build()
            .into();
        std::fs::create_dir_all(&plugin_db_dir)
            .map_err(|e| format!("{}: {e}", plugin_db_dir.display()))?;
        if let Some(parent) = db_path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let db = rusqlite::Connection::open(&db_path)
            .map_err(|e| format!("{}: {e}", db_path.display()))?;
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
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
            plugin_db_dir,
            http_allow,
            allowed,
            agent,
            config,
            events: Mutex::new(Default::default()),
            next_event: std::sync::atomic::AtomicU64::new(1),
            subscribers: Mutex::new(Vec::new()),
            logs: Mutex::new(Default::default()),
        })
    }

    /// The events emitted so far (the last [`MAX_KEPT`]).
    pub fn events(&self) -> Vec<Event> {
        lock(&self.events).iter().cloned().collect()
    }

    /// The lines logged so far (the last [`MAX_KEPT`]).
    pub fn logs(&self) -> Vec<LogLine> {
        lock(&self.logs).iter().cloned().collect()
    }

    /// Calls `f` with each event from now on (the in-process bus; `f` runs on the
    /// emitting thread, with no lock held, so it may emit or subscribe itself).
    pub fn subscribe(&self, f: impl Fn(&Event) + Send + Sync + 'static) {
        lock(&self.subscribers).push(Arc::new(f));
    }

    /// The database file of plugin `id` (what its `db-*` calls work on).
    pub fn plugin_db_path(&self, id: &str) -> PathBuf {
        self.plugin_db_dir.join(format!("{id}.db"))
    }

    /// Whether `url` is one the plugins may reach.
    fn allows(&self, url: &str) -> bool {
        http_parts(url).is_some_and(|(host, port, path)| {
            self.allowed
                .iter()
                .any(|a| a.host == host && a.port == port && path.starts_with(&a.path))
        })
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

    fn emit(&self, plugin: &str, event_type: String, data: String) -> u64 {
        let event = Event {
            id: self
                .next_event
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            plugin: plugin.to_string(),
            event_type: truncated(event_type),
            data: truncated(data),
        };
        {
            let mut events = lock(&self.events);
            if events.len() >= MAX_KEPT {
                events.pop_front();
            }
            events.push_back(event.clone());
        }
        let subscribers: Vec<Subscriber> = lock(&self.subscribers).clone();
        for s in subscribers {
            s(&event);
        }
        event.id
    }
}

/// A lock, recovered if a panicking holder poisoned it (no critical section here leaves
/// its data half-changed: each is one insertion, removal or query).
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
    /// Its database file.
    db_path: PathBuf,
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
        let ctx = PluginCtx {
            id: id.to_string(),
            config,
            vfs,
            db_path: services.plugin_db_path(id),
        };
        // Open it once now, so that a database that cannot be opened fails the load.
        ctx.open_db(&Arc::new(std::sync::atomic::AtomicU64::new(0)))?;
        Ok(ctx)
    }

    /// A connection to the plugin's database for one instance: `ATTACH` (and with it
    /// `VACUUM INTO`) refused, so no other file is reachable; every statement stopped past
    /// [`MAX_STEPS_K`] thousand steps (`steps` counts them; the caller resets it).
    fn open_db(
        &self,
        steps: &Arc<std::sync::atomic::AtomicU64>,
    ) -> std::result::Result<rusqlite::Connection, String> {
        use rusqlite::hooks::{AuthAction, Authorization};
        let db = rusqlite::Connection::open(&self.db_path)
            .map_err(|e| format!("{}: {e}", self.db_path.display()))?;
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        db.authorizer(Some(|cx: rusqlite::hooks::AuthContext<'_>| {
            match cx.action {
                AuthAction::Attach { .. } | AuthAction::Detach { .. } => Authorization::Deny,
                _ => Authorization::Allow,
            }
        }));
        let steps = steps.clone();
        db.progress_handler(
            1000,
            Some(move || steps.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= MAX_STEPS_K),
        );
        Ok(db)
    }
}

/// A plugin instance's store data.
pub struct InstanceState {
    pub(crate) plugin: Arc<PluginCtx>,
    pub(crate) services: Arc<Services>,
    /// This instance's connection (its transactions are its own; dropped with it, which
    /// rolls back what it left open) and the steps its statement has taken.
    db: Option<rusqlite::Connection>,
    steps: Arc<std::sync::atomic::AtomicU64>,
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
        let steps = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let db = plugin.open_db(&steps).ok();
        InstanceState {
            plugin,
            services,
            db,
            steps,
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
    /// This instance's connection, its step count reset for a new statement.
    fn db(&self) -> std::result::Result<&rusqlite::Connection, String> {
        self.steps.store(0, std::sync::atomic::Ordering::Relaxed);
        self.db
            .as_ref()
            .ok_or_else(|| "the plugin's database could not be opened".to_string())
    }

    /// The connection and the parameters of a `db-query`/`db-execute`.
    fn statement(
        &self,
        params: Option<&str>,
    ) -> std::result::Result<(&rusqlite::Connection, Vec<rusqlite::types::Value>), String> {
        let params = sql_params(params)?;
        Ok((self.db()?, params))
    }

    /// Bytes in the sandbox (files, recursively).
    fn vfs_used(dir: &cap_std::fs::Dir) -> u64 {
        let Ok(entries) = dir.entries() else { return 0 };
        entries
            .filter_map(|e| e.ok())
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => e.open_dir().map_or(0, |d| Self::vfs_used(&d)),
                _ => e.metadata().map_or(0, |m| m.len()),
            })
            .sum()
    }
}

impl host_api::Host for InstanceState {
    fn log(&mut self, level: String, msg: String) -> Result<()> {
        let mut logs = lock(&self.services.logs);
        if logs.len() >= MAX_KEPT {
            logs.pop_front();
        }
        logs.push_back(LogLine {
            plugin: self.plugin.id.clone(),
            level: truncated(level),
            message: truncated(msg),
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
        if !self.services.allows(&url) {
            return Ok(None);
        }
        Ok(self
            .services
            .agent
            .get(&url)
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok()))
    }

    fn http_post(&mut self, url: String, body: String) -> Result<Option<String>> {
        if !self.services.allows(&url) {
            return Ok(None);
        }
        Ok(self
            .services
            .agent
            .post(&url)
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
        let (db, params) = match self.statement(params.as_deref()) {
            Ok(v) => v,
            Err(e) => return Ok(error_json(e)),
        };
        let run = || -> std::result::Result<String, String> {
            let mut stmt = db.prepare(&sql).map_err(|e| e.to_string())?;
            let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
            let mut rows = stmt
                .query(rusqlite::params_from_iter(params.iter()))
                .map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            let mut size = 0;
            while let Some(row) = rows.next().map_err(|e| e.to_string())? {
                let mut obj = serde_json::Map::new();
                for (i, n) in names.iter().enumerate() {
                    let v = json_of(row.get_ref(i).map_err(|e| e.to_string())?);
                    size += n.len() + v.to_string().len() + 4;
                    obj.insert(n.clone(), v);
                }
                out.push(serde_json::Value::Object(obj));
                if out.len() > MAX_ROWS || size > MAX_JSON {
                    return Err(format!(
                        "the result is too large (at most {MAX_ROWS} rows and {MAX_JSON} bytes)"
                    ));
                }
            }
            Ok(serde_json::Value::Array(out).to_string())
        };
        Ok(run().unwrap_or_else(error_json))
    }

    fn db_execute(&mut self, sql: String, params: Option<String>) -> Result<String> {
        let (db, params) = match self.statement(params.as_deref()) {
            Ok(v) => v,
            Err(e) => return Ok(error_json(e)),
        };
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
        let vfs = &self.plugin.vfs;
        let replaced = vfs.metadata(&path).map_or(0, |m| m.len());
        if content.len() as u64 > MAX_VFS_FILE
            || Self::vfs_used(vfs) - replaced.min(Self::vfs_used(vfs)) + content.len() as u64
                > VFS_QUOTA
        {
            return Ok(false);
        }
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
        let id = self.services.emit(&self.plugin.id, event_type, data);
        Ok(serde_json::json!({ "id": id }).to_string())
    }
}

impl InstanceState {
    fn batch(&self, sql: &str) -> String {
        match self
            .db()
            .and_then(|db| db.execute_batch(sql).map_err(|e| e.to_string()))
        {
            Ok(()) => serde_json::json!({ "ok": true }).to_string(),
            Err(e) => error_json(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::raisfast::plugin_wit::host_api::Host;

    fn services(root: &std::path::Path, allow: &[&str]) -> Arc<Services> {
        Arc::new(
            Services::new(
                root.join("cms.db"),
                root.join("sandbox"),
                root.join("plugin-db"),
                allow.iter().map(|s| s.to_string()).collect(),
                BTreeMap::new(),
            )
            .unwrap(),
        )
    }

    fn scratch(name: &str) -> PathBuf {
        let r =
            std::env::temp_dir().join(format!("spindle-host-api-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&r);
        std::fs::create_dir_all(&r).unwrap();
        r
    }

    #[test]
    fn urls_must_match_an_allowed_origin_and_path_exactly() {
        let root = scratch("urls");
        let s = services(&root, &["http://127.0.0.1:8080/allowed/"]);
        assert!(s.allows("http://127.0.0.1:8080/allowed/x"));
        for url in [
            "http://127.0.0.1:8080/allowedX",
            "http://127.0.0.1:8080/allowed/../admin",
            "http://127.0.0.1:8080/allowed/%2e%2e/admin",
            "http://127.0.0.1:8080@evil.example/allowed/x",
            "http://127.0.0.1:8081/allowed/x",
            "http://127.0.0.1.evil.example:8080/allowed/x",
            "https://127.0.0.1:8080/allowed/x",
            "file:///etc/passwd",
        ] {
            assert!(!s.allows(url), "{url}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn plugin_sql_cannot_attach_run_away_or_answer_without_bound() {
        let root = scratch("sql");
        let s = services(&root, &[]);
        let ctx = Arc::new(PluginCtx::new(&s, "p", BTreeMap::new()).unwrap());
        let mut inst = InstanceState::new(ctx, s.clone(), 1 << 20);
        let outside = root.join("stolen.db");
        let r = inst
            .db_execute(
                format!("attach database '{}' as x", outside.display()),
                None,
            )
            .unwrap();
        assert!(r.contains("error"), "{r}");
        let r = inst
            .db_execute(format!("vacuum into '{}'", outside.display()), None)
            .unwrap();
        assert!(r.contains("error"), "{r}");
        assert!(!outside.exists());
        // The host's tables are in another file.
        let r = inst
            .db_query("select * from plugin_data".into(), None)
            .unwrap();
        assert!(r.contains("no such table"), "{r}");
        let r = inst
            .db_query(
                "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
                    .into(),
                None,
            )
            .unwrap();
        assert!(r.contains("interrupt"), "{r}");
        let r = inst
            .db_query(
                "with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000) select x from c"
                    .into(),
                None,
            )
            .unwrap();
        assert!(r.contains("too large"), "{r}");
        // And it still answers.
        assert_eq!(
            inst.db_query("select 1 as one".into(), None).unwrap(),
            r#"[{"one":1}]"#
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
