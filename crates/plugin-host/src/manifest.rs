//! A plugin folder's `manifest.toml`: name, version, `runtime = "wasm"`, `entry`, hooks
//! with priorities and cron jobs, checked when read (a bad manifest is an error naming the
//! file and what is wrong).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Every hook of `plugin-hooks`: filters first, then actions.
pub const FILTER_HOOKS: &[&str] = &[
    "on-post-creating",
    "on-post-updating",
    "on-comment-creating",
    "on-content-creating",
    "on-content-updating",
    "render-markdown",
    "filter-html",
];
pub const ACTION_HOOKS: &[&str] = &[
    "on-post-created",
    "on-post-updated",
    "on-post-deleted",
    "on-comment-created",
    "on-content-created",
    "on-content-updated",
    "on-content-deleted",
    "on-login",
    "on-cron-tick",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    version: String,
    runtime: String,
    entry: String,
    #[serde(default)]
    hooks: BTreeMap<String, RawHook>,
    #[serde(default)]
    cron: Vec<RawCron>,
    #[serde(default)]
    config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    #[serde(default)]
    priority: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCron {
    label: String,
    job_type: String,
    cron_expr: String,
}

/// A cron job of a plugin: `on-cron-tick(some(job_type))` on schedule.
#[derive(Debug, Clone)]
pub struct CronJob {
    pub label: String,
    pub job_type: String,
    pub schedule: cron::Schedule,
}

/// A checked manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    /// The component's path (the folder's `entry`).
    pub entry: PathBuf,
    /// Hook name to priority (lower runs first).
    pub hooks: BTreeMap<String, i64>,
    pub cron: Vec<CronJob>,
    /// `get-config` answers (`[config]` table).
    pub config: BTreeMap<String, String>,
}

/// Parses a cron expression: the usual five fields (minute hour day month weekday), or
/// six/seven with seconds (and year).
pub fn schedule(expr: &str) -> Result<cron::Schedule, String> {
    use std::str::FromStr;
    let fields = expr.split_whitespace().count();
    let full = if fields == 5 {
        format!("0 {expr}")
    } else {
        expr.to_string()
    };
    cron::Schedule::from_str(&full).map_err(|e| format!("bad cron_expr `{expr}`: {e}"))
}

impl Manifest {
    /// Reads and checks `<folder>/manifest.toml`.
    pub fn load(folder: &Path) -> Result<Manifest, String> {
        let path = folder.join("manifest.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let at = |what: String| format!("{}: {what}", path.display());
        let raw: Raw = toml::from_str(&text).map_err(|e| at(e.message().to_string()))?;
        if raw.name.trim().is_empty() {
            return Err(at("`name` is empty".into()));
        }
        if raw.runtime != "wasm" {
            return Err(at(format!(
                "runtime `{}` is not supported (only \"wasm\")",
                raw.runtime
            )));
        }
        let inside = Path::new(&raw.entry)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if raw.entry.is_empty() || !inside {
            return Err(at(format!(
                "`entry` `{}` must name a file in the folder",
                raw.entry
            )));
        }
        let entry = folder.join(&raw.entry);
        if !entry.is_file() {
            return Err(at(format!("entry `{}` does not exist", raw.entry)));
        }
        let mut hooks = BTreeMap::new();
        for (name, hook) in raw.hooks {
            if !FILTER_HOOKS.contains(&name.as_str()) && !ACTION_HOOKS.contains(&name.as_str()) {
                return Err(at(format!("unknown hook `{name}`")));
            }
            hooks.insert(name, hook.priority);
        }
        let mut cron = Vec::new();
        for job in raw.cron {
            cron.push(CronJob {
                schedule: schedule(&job.cron_expr).map_err(at)?,
                label: job.label,
                job_type: job.job_type,
            });
        }
        Ok(Manifest {
            name: raw.name,
            version: raw.version,
            entry,
            hooks,
            cron,
            config: raw.config,
        })
    }
}
