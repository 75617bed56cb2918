//! The gateway's configuration file (TOML): listen address, workers, upstreams, filters
//! with their configuration and limits, and routes with their filter chains.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `host:port` to listen on (port 0: any free port).
    pub listen: String,
    /// Worker threads, each with its own VM of every filter.
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// Where the filters' metrics are served (none if absent).
    pub metrics_path: Option<String>,
    /// Largest request or response body buffered for filters, in bytes.
    #[serde(default = "default_max_body")]
    pub max_body: usize,
    /// Upstream names (for routes and filters' callouts) to `host:port`.
    #[serde(default)]
    pub upstreams: BTreeMap<String, String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    #[serde(default)]
    pub routes: Vec<Route>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    pub name: String,
    /// The filter's `.wasm` (relative to the configuration file).
    pub path: PathBuf,
    /// The plugin configuration (`proxy_on_configure`).
    #[serde(default)]
    pub configuration: String,
    /// The VM configuration (`proxy_on_vm_start`).
    #[serde(default)]
    pub vm_configuration: String,
    /// The VM id (shared queues are named within it).
    #[serde(default)]
    pub vm_id: String,
    /// Fuel for each callback.
    pub fuel: Option<u64>,
    /// Largest linear memory, in bytes.
    pub memory: Option<usize>,
    /// trace, debug, info, warn, error or critical (default info).
    pub log_level: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Requests whose path starts with this (the longest prefix wins).
    pub prefix: String,
    pub upstream: String,
    /// Filter names, in request order (responses go through them in reverse).
    #[serde(default)]
    pub filters: Vec<String>,
}

fn default_workers() -> usize {
    2
}

fn default_max_body() -> usize {
    8 << 20
}

impl Config {
    /// Reads and checks a configuration file; filter paths become relative to its folder.
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Config::parse(&text, path.parent().unwrap_or(Path::new(".")))
    }

    pub fn parse(text: &str, base: &Path) -> Result<Config, String> {
        let mut c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        for f in &mut c.filters {
            if f.path.is_relative() {
                f.path = base.join(&f.path);
            }
        }
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), String> {
        if self.workers == 0 || self.workers > 256 {
            return Err("workers must be 1 to 256".into());
        }
        for r in &self.routes {
            if !self.upstreams.contains_key(&r.upstream) {
                return Err(format!(
                    "route {}: no upstream named {}",
                    r.prefix, r.upstream
                ));
            }
            for f in &r.filters {
                if !self.filters.iter().any(|s| s.name == *f) {
                    return Err(format!("route {}: no filter named {f}", r.prefix));
                }
            }
        }
        Ok(())
    }
}
