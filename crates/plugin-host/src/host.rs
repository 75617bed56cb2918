//! The plugin host: discovery, pools, hooks in priority order, cron and hot reload.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use spindle::component::{Component, Linker};
use spindle::{Config, Engine};

use crate::bindings::raisfast::plugin_wit::host_api;
use crate::bindings::raisfast::plugin_wit::types::{
    CommentInput, ContentEvent, PostInput, PostOutput,
};
use crate::host_api::{lock, InstanceState, PluginCtx, Services};
use crate::manifest::Manifest;
use crate::pool::Pool;

/// How often the epoch advances (the resolution of call deadlines).
pub(crate) const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(10);

/// The epoch ticks a call may run for so that it gets at least `deadline`. The ticker's
/// phase is unknown when the deadline is set (its next tick may come at once), so one tick
/// more than `deadline` rounded up: a call is stopped between `deadline` and `deadline`
/// plus one tick. (With exactly `deadline / EPOCH_TICK` ticks, a 10 ms deadline could end a
/// call, or an instantiation, after a few microseconds.)
pub(crate) fn deadline_ticks(deadline: std::time::Duration) -> u64 {
    let tick = EPOCH_TICK.as_nanos().max(1);
    let ticks = deadline.as_nanos().div_ceil(tick).saturating_add(1);
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// Where a host keeps things and how it runs plugins.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// The folder of plugin folders (`extensions/plugins`).
    pub plugins_dir: PathBuf,
    /// The host's SQLite database (plugin data, posts).
    pub db_path: PathBuf,
    /// Where each plugin's sandbox directory is made.
    pub sandbox_root: PathBuf,
    /// Where each plugin's own database (`db-*`) is made.
    pub plugin_db_dir: PathBuf,
    /// URL prefixes plugins may reach with `http-get`/`http-post` (plain `http://`).
    pub http_allow: Vec<String>,
    /// `get-config` answers (after a plugin's own `[config]`).
    pub config: BTreeMap<String, String>,
    /// Instances per plugin (`PLUGIN_WASM_POOL_SIZE`, default 4).
    pub pool_size: usize,
    /// Fuel for each hook call (a plugin that loops forever is stopped, and its instance
    /// replaced).
    pub fuel_per_call: u64,
    /// The most linear memory an instance may have (its `memory.grow` fails past it).
    pub max_memory: usize,
    /// Wall-clock time a hook call may take: an epoch deadline, so the call traps at most
    /// one epoch tick (10 ms) after it.
    pub call_deadline: std::time::Duration,
    /// Wall-clock time an instantiation (the guest's start function and constructors) may
    /// take. Apart from `call_deadline` because instances are made when the host may be
    /// busy (filling a pool, replacing a failed instance in the middle of a hook run) and
    /// a tight per-call deadline must not make a good plugin fail to load.
    pub init_deadline: std::time::Duration,
}

impl HostConfig {
    /// The layout under `root`: `extensions/plugins`, `cms.db`, `sandbox/`; the pool size
    /// from `PLUGIN_WASM_POOL_SIZE` (default 4).
    pub fn new(root: &Path) -> HostConfig {
        let pool_size = std::env::var("PLUGIN_WASM_POOL_SIZE")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(4);
        HostConfig {
            plugins_dir: root.join("extensions/plugins"),
            db_path: root.join("cms.db"),
            sandbox_root: root.join("sandbox"),
            plugin_db_dir: root.join("plugin-db"),
            http_allow: Vec::new(),
            config: BTreeMap::new(),
            pool_size,
            fuel_per_call: 100_000_000,
            max_memory: 64 << 20,
            call_deadline: std::time::Duration::from_secs(5),
            init_deadline: std::time::Duration::from_secs(5),
        }
    }
}

/// What a hook run gave: the value (the filtered data; for actions, how many plugins ran
/// it) and the plugins whose call failed, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct HookReport<T> {
    pub value: T,
    pub failures: Vec<(String, String)>,
}

/// A loaded plugin, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub instances: usize,
    pub generation: u64,
}

struct Loaded {
    manifest: Manifest,
    pool: Pool,
    generation: u64,
}

/// A CMS's plugins.
pub struct PluginHost {
    config: HostConfig,
    engine: Engine,
    linker: Linker<InstanceState>,
    services: Arc<Services>,
    plugins: RwLock<BTreeMap<String, Arc<Loaded>>>,
    generations: Mutex<u64>,
    reloads: Mutex<Vec<(String, Result<(), String>)>>,
}

impl PluginHost {
    pub fn new(config: HostConfig) -> Result<PluginHost, String> {
        let mut c = Config::new();
        c.consume_fuel(true).epoch_interruption(true);
        let engine = Engine::new(&c).map_err(|e| e.to_string())?;
        // The epoch ticks every `EPOCH_TICK`; a call's deadline is counted in ticks. The
        // ticker ends with the engine's last user.
        let ticker = engine.weak();
        std::thread::spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match ticker.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
        });
        let mut linker = Linker::new(&engine);
        host_api::add_to_linker::<InstanceState, spindle::component::HasSelf<InstanceState>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| e.to_string())?;
        spindle_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| e.to_string())?;
        let services = Services::new(
            config.db_path.clone(),
            config.sandbox_root.clone(),
            config.plugin_db_dir.clone(),
            config.http_allow.clone(),
            config.config.clone(),
        )?;
        Ok(PluginHost {
            config,
            engine,
            linker,
            services: Arc::new(services),
            plugins: RwLock::new(BTreeMap::new()),
            generations: Mutex::new(0),
            reloads: Mutex::new(Vec::new()),
        })
    }

    /// What the plugins share (events, logs, data, posts).
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// Loads every plugin folder under `plugins_dir` (sorted by name): each folder's id
    /// and whether it loaded.
    pub fn discover(&self) -> Vec<(String, Result<(), String>)> {
        let mut ids: Vec<String> = std::fs::read_dir(&self.config.plugins_dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids.into_iter()
            .map(|id| {
                let r = self.load(&id);
                (id, r)
            })
            .collect()
    }

    /// Loads (or reloads) plugin `id` from its folder: the manifest, the component, a new
    /// pool. On any error the plugin already loaded under `id`, if any, stays.
    pub fn load(&self, id: &str) -> Result<(), String> {
        let folder = self.config.plugins_dir.join(id);
        let manifest = Manifest::load(&folder)?;
        let component = Component::from_file(&self.engine, &manifest.entry)
            .map_err(|e| format!("{}: {e:#}", manifest.entry.display()))?;
        let ctx = PluginCtx::new(&self.services, id, manifest.config.clone())?;
        let pool = Pool::new(
            &self.engine,
            &self.linker,
            &component,
            Arc::new(ctx),
            self.services.clone(),
            self.config.pool_size,
            crate::pool::Limits {
                fuel: self.config.fuel_per_call,
                max_memory: self.config.max_memory,
                deadline_ticks: deadline_ticks(self.config.call_deadline),
                init_deadline_ticks: deadline_ticks(self.config.init_deadline),
            },
        )
        .map_err(|e| {
            format!(
                "{}: not a plugin-world component: {e:#}",
                manifest.entry.display()
            )
        })?;
        let generation = {
            let mut g = lock(&self.generations);
            *g += 1;
            *g
        };
        self.plugins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                id.to_string(),
                Arc::new(Loaded {
                    manifest,
                    pool,
                    generation,
                }),
            );
        Ok(())
    }

    /// Removes plugin `id`.
    pub fn unload(&self, id: &str) -> bool {
        self.plugins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
            .is_some()
    }

    /// The loaded plugins.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        self.snapshot()
            .iter()
            .map(|(id, p)| PluginInfo {
                id: id.clone(),
                name: p.manifest.name.clone(),
                version: p.manifest.version.clone(),
                instances: p.pool.size(),
                generation: p.generation,
            })
            .collect()
    }

    fn snapshot(&self) -> Vec<(String, Arc<Loaded>)> {
        self.plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The plugins registered for `hook`, lowest priority number first (then by id).
    fn with_hook(&self, hook: &str) -> Vec<(String, Arc<Loaded>)> {
        let mut v: Vec<(i64, String, Arc<Loaded>)> = self
            .snapshot()
            .into_iter()
            .filter_map(|(id, p)| p.manifest.hooks.get(hook).map(|pr| (*pr, id, p.clone())))
            .collect();
        v.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        v.into_iter().map(|(_, id, p)| (id, p)).collect()
    }

    /// Runs action `hook` on every plugin registered for it; how many succeeded.
    fn action(
        &self,
        hook: &str,
        call: impl Fn(
            &crate::bindings::PluginWorld,
            &mut spindle::Store<InstanceState>,
        ) -> spindle::Result<()>,
    ) -> HookReport<usize> {
        let mut report = HookReport {
            value: 0,
            failures: Vec::new(),
        };
        for (id, p) in self.with_hook(hook) {
            match p.pool.call(|w, s| call(w, s)) {
                Ok(()) => report.value += 1,
                Err(e) => report.failures.push((id, format!("{e:#}"))),
            }
        }
        report
    }

    /// Runs filter `hook`: each plugin in turn gets the data so far; `some` replaces it.
    fn filter<V: Clone>(
        &self,
        hook: &str,
        input: V,
        call: impl Fn(
            &crate::bindings::PluginWorld,
            &mut spindle::Store<InstanceState>,
            &V,
        ) -> spindle::Result<Option<V>>,
    ) -> HookReport<V> {
        let mut report = HookReport {
            value: input,
            failures: Vec::new(),
        };
        for (id, p) in self.with_hook(hook) {
            let current = report.value.clone();
            match p.pool.call(|w, s| call(w, s, &current)) {
                Ok(Some(v)) => report.value = v,
                Ok(None) => {}
                Err(e) => report.failures.push((id, format!("{e:#}"))),
            }
        }
        report
    }
}

/// The hooks, one method each (filters return the filtered data, actions how many
/// plugins ran).
impl PluginHost {
    pub fn on_post_creating(&self, input: PostInput) -> HookReport<PostInput> {
        self.filter("on-post-creating", input, |w, s, v| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_post_creating(s, v)
        })
    }

    pub fn on_post_updating(&self, input: PostInput) -> HookReport<PostInput> {
        self.filter("on-post-updating", input, |w, s, v| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_post_updating(s, v)
        })
    }

    pub fn on_comment_creating(&self, input: CommentInput) -> HookReport<CommentInput> {
        self.filter("on-comment-creating", input, |w, s, v| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_comment_creating(s, v)
        })
    }

    pub fn on_content_creating(&self, input: ContentEvent) -> HookReport<ContentEvent> {
        self.filter("on-content-creating", input, |w, s, v| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_content_creating(s, v)
        })
    }

    pub fn on_content_updating(&self, input: ContentEvent) -> HookReport<ContentEvent> {
        self.filter("on-content-updating", input, |w, s, v| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_content_updating(s, v)
        })
    }

    pub fn render_markdown(&self, input: &str) -> HookReport<String> {
        self.filter("render-markdown", input.to_string(), |w, s, v| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_render_markdown(s, v)
        })
    }

    pub fn filter_html(&self, input: &str) -> HookReport<String> {
        self.filter("filter-html", input.to_string(), |w, s, v| {
            w.raisfast_plugin_wit_plugin_hooks().call_filter_html(s, v)
        })
    }

    pub fn on_post_created(&self, output: &PostOutput) -> HookReport<usize> {
        self.action("on-post-created", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_post_created(s, output)
        })
    }

    pub fn on_post_updated(&self, output: &PostOutput) -> HookReport<usize> {
        self.action("on-post-updated", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_post_updated(s, output)
        })
    }

    pub fn on_post_deleted(&self, id: &str) -> HookReport<usize> {
        self.action("on-post-deleted", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_post_deleted(s, id)
        })
    }

    pub fn on_comment_created(&self, input: &CommentInput) -> HookReport<usize> {
        self.action("on-comment-created", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_comment_created(s, input)
        })
    }

    pub fn on_content_created(&self, input: &ContentEvent) -> HookReport<usize> {
        self.action("on-content-created", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_content_created(s, input)
        })
    }

    pub fn on_content_updated(&self, input: &ContentEvent) -> HookReport<usize> {
        self.action("on-content-updated", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_content_updated(s, input)
        })
    }

    pub fn on_content_deleted(&self, content_type: &str, id: &str) -> HookReport<usize> {
        self.action("on-content-deleted", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_content_deleted(s, content_type, id)
        })
    }

    pub fn on_login(&self, user_id: &str) -> HookReport<usize> {
        self.action("on-login", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_login(s, user_id)
        })
    }

    pub fn on_cron_tick(&self, payload: Option<&str>) -> HookReport<usize> {
        self.action("on-cron-tick", |w, s| {
            w.raisfast_plugin_wit_plugin_hooks()
                .call_on_cron_tick(s, payload)
        })
    }
}

/// Cron: `[[cron]]` jobs call `on-cron-tick(some(job_type))` on their plugin.
impl PluginHost {
    /// Runs every job with a scheduled time in `(after, until]` (once, however many
    /// times it fell due): the jobs run, as `plugin/label`, and failures.
    pub fn run_cron(
        &self,
        after: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> HookReport<Vec<String>> {
        let mut report = HookReport {
            value: Vec::new(),
            failures: Vec::new(),
        };
        for (id, p) in self.snapshot() {
            for job in &p.manifest.cron {
                let due = job
                    .schedule
                    .after(&after)
                    .next()
                    .is_some_and(|t| t <= until);
                if !due {
                    continue;
                }
                let payload = job.job_type.as_str();
                match p.pool.call(|w, s| {
                    w.raisfast_plugin_wit_plugin_hooks()
                        .call_on_cron_tick(s, Some(payload))
                }) {
                    Ok(()) => report.value.push(format!("{id}/{}", job.label)),
                    Err(e) => report.failures.push((id.clone(), format!("{e:#}"))),
                }
            }
        }
        report
    }

    /// A thread that runs the cron jobs as they fall due (checked every second) until the
    /// handle is dropped.
    pub fn start_cron(self: &Arc<Self>) -> CronHandle {
        let stop = Arc::new(AtomicBool::new(false));
        let host = self.clone();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut last = chrono::Utc::now();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(250));
                let now = chrono::Utc::now();
                if now.timestamp() != last.timestamp() {
                    host.run_cron(last, now);
                    last = now;
                }
            }
        });
        CronHandle {
            stop,
            thread: Some(thread),
        }
    }
}

/// Stops the cron thread when dropped.
pub struct CronHandle {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for CronHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Hot reload.
impl PluginHost {
    /// Watches `plugins_dir`: when a plugin folder's files change, the plugin is loaded
    /// again (after a short quiet period); a failed reload keeps the old pool and is
    /// reported in [`Self::reloads`]. Watching stops when the watcher is dropped.
    pub fn watch(self: &Arc<Self>) -> Result<notify::RecommendedWatcher, String> {
        use notify::Watcher;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let root = self.config.plugins_dir.clone();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                for path in event.paths {
                    if let Ok(rest) = path.strip_prefix(&root) {
                        if let Some(first) = rest.components().next() {
                            let _ = tx.send(first.as_os_str().to_string_lossy().into_owned());
                        }
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        watcher
            .watch(&self.config.plugins_dir, notify::RecursiveMode::Recursive)
            .map_err(|e| format!("{}: {e}", self.config.plugins_dir.display()))?;
        let host = Arc::downgrade(self);
        std::thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                // Let the writer finish: collect changes until 200 ms pass without one.
                let mut ids = vec![first];
                while let Ok(id) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
                    ids.push(id);
                }
                ids.sort();
                ids.dedup();
                let Some(host) = host.upgrade() else { return };
                for id in ids {
                    if !host.config.plugins_dir.join(&id).is_dir() {
                        host.unload(&id);
                        continue;
                    }
                    let r = host.load(&id);
                    lock(&host.reloads).push((id, r));
                }
            }
        });
        Ok(watcher)
    }

    /// The reloads the watcher made, in order: plugin id and outcome.
    pub fn reloads(&self) -> Vec<(String, Result<(), String>)> {
        lock(&self.reloads).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_deadline_gets_at_least_its_time_whatever_the_tickers_phase() {
        // Ticks that pass before the trap, the first of which may come at once.
        let guaranteed = |d| (deadline_ticks(d) - 1) * EPOCH_TICK.as_millis() as u64;
        for ms in [0, 1, 9, 10, 11, 25, 5_000] {
            let d = Duration::from_millis(ms);
            assert!(guaranteed(d) >= ms, "{ms} ms: {} ticks", deadline_ticks(d));
            assert!(
                guaranteed(d) < ms + EPOCH_TICK.as_millis() as u64,
                "{ms} ms"
            );
        }
        assert_eq!(deadline_ticks(Duration::MAX), u64::MAX);
    }
}
