//! WASI 0.2 beyond the C guests: components importing older 0.2.x versions of the
//! interfaces (resolved to the host's 0.2.12 by WIT's semver rule) and exporting an
//! older `wasi:cli/run`.

mod common;

use std::time::Duration;

use spindle::component::{Component, Linker, ResourceTable};
use spindle::{Engine, Store};
use spindle_wasi::WasiCtxBuilder;

/// A component importing `wasi:random/random@0.2.0` and `wasi:clocks/monotonic-clock@0.2.3`,
/// exporting `roll` (a random u64) and `wasi:cli/run@0.2.0` (ok iff the clock advances).
const OLD_VERSIONS: &str = r#"(component
  (import "wasi:random/random@0.2.0" (instance $random
    (export "get-random-u64" (func (result u64)))))
  (import "wasi:clocks/monotonic-clock@0.2.3" (instance $clock
    (export "now" (func (result u64)))))
  (core func $u64 (canon lower (func $random "get-random-u64")))
  (core func $now (canon lower (func $clock "now")))
  (core module $m
    (import "host" "u64" (func $u64 (result i64)))
    (import "host" "now" (func $now (result i64)))
    (func (export "roll") (result i64) (call $u64))
    (func (export "run") (result i32)
      (i32.eqz (i64.lt_u (call $now) (call $now)))))
  (core instance $host (export "u64" (func $u64)) (export "now" (func $now)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func (export "roll") (result u64) (canon lift (core func $i "roll")))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance)))"#;

fn instantiate(seed: u64) -> (Store<common::Host>, spindle::component::Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, OLD_VERSIONS).unwrap();
    let mut linker = Linker::new(&engine);
    spindle_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let ctx = WasiCtxBuilder::new()
        .deterministic(Duration::from_secs(1_700_000_000), seed)
        .build();
    let mut store = Store::new(
        &engine,
        common::Host {
            ctx,
            table: ResourceTable::new(),
        },
    );
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}

#[test]
fn older_0_2_imports_and_exports_resolve_to_the_0_2_12_host_by_semver() {
    let roll = |seed| {
        let (mut store, instance) = instantiate(seed);
        let f = instance
            .get_typed_func::<(), (u64,)>(&mut store, "roll")
            .unwrap();
        f.call(&mut store, ()).unwrap().0
    };
    assert_eq!(roll(7), roll(7), "the seeded generator");
    assert_ne!(roll(7), roll(8));
    // `Command` finds `wasi:cli/run@0.2.0` when asked for 0.2.12's (and the run is ok).
    common::run_command(OLD_VERSIONS.as_bytes(), &mut WasiCtxBuilder::new()).unwrap();
}

/// A host clock and random source replacing the context's.
struct Tick(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl spindle_wasi::HostMonotonicClock for Tick {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        self.0.fetch_add(5, std::sync::atomic::Ordering::Relaxed)
    }
}

struct Sevens;

impl spindle_wasi::RandomSource for Sevens {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        buf.fill(7);
    }
}

#[test]
fn the_host_replaces_clocks_and_randomness() {
    let engine = Engine::default();
    let component = Component::new(&engine, OLD_VERSIONS).unwrap();
    let mut linker = Linker::new(&engine);
    spindle_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(100));
    let ctx = WasiCtxBuilder::new()
        .monotonic_clock(Tick(ticks.clone()))
        .secure_random(Sevens)
        .build();
    let mut store = Store::new(
        &engine,
        common::Host {
            ctx,
            table: ResourceTable::new(),
        },
    );
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let roll = instance
        .get_typed_func::<(), (u64,)>(&mut store, "roll")
        .unwrap();
    assert_eq!(roll.call(&mut store, ()).unwrap().0, 0x0707_0707_0707_0707);
    // `run` reads the clock twice (ok: it advanced).
    common::run_command(
        OLD_VERSIONS.as_bytes(),
        WasiCtxBuilder::new().monotonic_clock(Tick(ticks.clone())),
    )
    .unwrap();
    assert_eq!(ticks.load(std::sync::atomic::Ordering::Relaxed), 110);
}
