//! A CMS plugin system on WASM components (the `plugin-world` of
//! `raisfast:plugin-wit`: plugins import `host-api` and export `plugin-hooks`), on the
//! public `spindle` API:
//! - plugins discovered under `<dir>/*/` from `manifest.toml` ([`manifest`]), with clear
//!   errors for bad manifests, missing files and components that do not match the world;
//! - a pool of pre-instantiated instances per plugin ([`HostConfig::pool_size`], from
//!   `PLUGIN_WASM_POOL_SIZE`, default 4), round robin, stateful and isolated; an instance
//!   that traps is replaced and its call reported as failed;
//! - hooks in priority order (lower first) across plugins: filters chained (`some`
//!   replaces the data, `none` passes it on), actions broadcast ([`PluginHost`]);
//! - `host-api` backed by SQLite, a sandbox directory per plugin, an HTTP allow-list,
//!   configuration, a persistent key-value store and an event bus ([`host_api`]);
//! - `[[cron]]` jobs calling `on-cron-tick` ([`PluginHost::start_cron`]);
//! - hot reload: a changed `plugin.wasm` or manifest builds a new pool that replaces the
//!   old one, or is reported and the old one kept ([`PluginHost::watch`]).

mod bindings {
    spindle::component::bindgen!({
        world: "plugin-world",
        path: "wit",
        imports: { default: trappable },
    });
}

mod host;
pub mod host_api;
pub mod manifest;
mod pool;

pub use bindings::raisfast::plugin_wit::types::{
    CommentInput, ContentEvent, PostInput, PostOutput,
};
pub use host::{HookReport, HostConfig, PluginHost, PluginInfo};
