//! Criterion: component-model calls through each runtime's typed component API, on the
//! same component (`guests/component-calls.wat`): `add(u32, u32) -> u32`, `echo` of a
//! 1 KiB string, `sum` of 1,000 records of 8 fields, and a resource create–method–drop
//! cycle. Groups `component/CALL/RUNTIME`; wasmtime's columns need `--features wasmtime`.
//!
//! `cargo bench --bench components --features wasmtime` (from `benches/runtimes`).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::time::Duration;

const GUEST: &str = include_str!("../guests/component-calls.wat");
const ITEMS: usize = 1000;

fn echo_input() -> String {
    "spindle!".repeat(128)
}

/// The expected `sum` of the items `item(i)` for `i` in `0..ITEMS`.
fn expected_sum() -> u64 {
    (0..ITEMS as u32)
        .map(|i| (0..8).map(|f| (i * 8 + f) as u64).sum::<u64>())
        .sum()
}

mod spindle_side {
    use spindle::component::ComponentType;
    use spindle::component::{Component, Lift, Linker, Lower, ResourceAny, TypedFunc};
    use spindle::{Engine, Store};

    #[derive(ComponentType, Lift, Lower, Clone, Copy)]
    #[component(record)]
    pub struct Item {
        pub a: u32,
        pub b: u32,
        pub c: u32,
        pub d: u32,
        pub e: u32,
        pub f: u32,
        pub g: u32,
        pub h: u32,
    }

    pub fn item(i: u32) -> Item {
        let x = i * 8;
        Item {
            a: x,
            b: x + 1,
            c: x + 2,
            d: x + 3,
            e: x + 4,
            f: x + 5,
            g: x + 6,
            h: x + 7,
        }
    }

    pub struct Calls {
        pub store: Store<()>,
        pub add: TypedFunc<(u32, u32), (u32,)>,
        pub echo: TypedFunc<(&'static str,), (String,)>,
        pub sum: TypedFunc<(&'static [Item],), (u64,)>,
        pub ctor: TypedFunc<(), (ResourceAny,)>,
        pub inc: TypedFunc<(ResourceAny,), (u32,)>,
    }

    pub fn setup() -> Calls {
        let engine = Engine::default();
        let component =
            Component::new(&engine, wat::parse_str(super::GUEST).expect("parse")).expect("compile");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .expect("instantiate");
        Calls {
            add: instance.get_typed_func(&mut store, "add").unwrap(),
            echo: instance.get_typed_func(&mut store, "echo").unwrap(),
            sum: instance.get_typed_func(&mut store, "sum").unwrap(),
            ctor: instance
                .get_typed_func(&mut store, "[constructor]counter")
                .unwrap(),
            inc: instance
                .get_typed_func(&mut store, "[method]counter.inc")
                .unwrap(),
            store,
        }
    }
}

#[cfg(feature = "wasmtime")]
mod wasmtime_side {
    use wasmtime::component::{
        Component, ComponentType, Lift, Linker, Lower, ResourceAny, TypedFunc,
    };
    use wasmtime::{Config, Engine, Store};

    #[derive(ComponentType, Lift, Lower, Clone, Copy)]
    #[component(record)]
    pub struct Item {
        pub a: u32,
        pub b: u32,
        pub c: u32,
        pub d: u32,
        pub e: u32,
        pub f: u32,
        pub g: u32,
        pub h: u32,
    }

    pub fn item(i: u32) -> Item {
        let x = i * 8;
        Item {
            a: x,
            b: x + 1,
            c: x + 2,
            d: x + 3,
            e: x + 4,
            f: x + 5,
            g: x + 6,
            h: x + 7,
        }
    }

    pub struct Calls {
        pub store: Store<()>,
        pub add: TypedFunc<(u32, u32), (u32,)>,
        pub echo: TypedFunc<(&'static str,), (String,)>,
        pub sum: TypedFunc<(&'static [Item],), (u64,)>,
        pub ctor: TypedFunc<(), (ResourceAny,)>,
        pub inc: TypedFunc<(ResourceAny,), (u32,)>,
    }

    pub fn setup(pulley: bool) -> Calls {
        let mut config = Config::new();
        config.wasm_component_model(true);
        if pulley {
            config.target("pulley64").expect("pulley");
        }
        let engine = Engine::new(&config).expect("engine");
        let component =
            Component::new(&engine, wat::parse_str(super::GUEST).expect("parse")).expect("compile");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .expect("instantiate");
        Calls {
            add: instance.get_typed_func(&mut store, "add").unwrap(),
            echo: instance.get_typed_func(&mut store, "echo").unwrap(),
            sum: instance.get_typed_func(&mut store, "sum").unwrap(),
            ctor: instance
                .get_typed_func(&mut store, "[constructor]counter")
                .unwrap(),
            inc: instance
                .get_typed_func(&mut store, "[method]counter.inc")
                .unwrap(),
            store,
        }
    }
}

/// The four calls on one runtime; each checks its result once before it is timed.
macro_rules! bench_runtime {
    ($c:expr, $name:expr, $calls:expr, $item:path) => {{
        let mut k = $calls;
        let input: &'static str = Box::leak(echo_input().into_boxed_str());
        let items: &'static [_] = Box::leak(
            (0..ITEMS as u32)
                .map($item)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );

        assert_eq!(k.add.call(&mut k.store, (40, 2)).unwrap(), (42,));
        $c.benchmark_group("component/add")
            .bench_function($name, |b| {
                b.iter(|| {
                    let r = k
                        .add
                        .call(&mut k.store, (black_box(40), black_box(2)))
                        .unwrap();
                    r
                })
            });

        assert_eq!(k.echo.call(&mut k.store, (input,)).unwrap().0, input);
        $c.benchmark_group("component/echo-1KiB")
            .bench_function($name, |b| {
                b.iter(|| {
                    let r = k.echo.call(&mut k.store, (black_box(input),)).unwrap();
                    r
                })
            });

        assert_eq!(
            k.sum.call(&mut k.store, (items,)).unwrap(),
            (expected_sum(),)
        );
        $c.benchmark_group("component/sum-1000x8")
            .bench_function($name, |b| {
                b.iter(|| {
                    let r = k.sum.call(&mut k.store, (black_box(items),)).unwrap();
                    r
                })
            });

        $c.benchmark_group("component/resource-new-method-drop")
            .bench_function($name, |b| {
                b.iter(|| {
                    let (r,) = k.ctor.call(&mut k.store, ()).unwrap();
                    let (n,) = k.inc.call(&mut k.store, (r,)).unwrap();
                    r.resource_drop(&mut k.store).unwrap();
                    assert_eq!(n, 1);
                    n
                })
            });
    }};
}

fn components(c: &mut Criterion) {
    bench_runtime!(c, "spindle", spindle_side::setup(), spindle_side::item);
    #[cfg(feature = "wasmtime")]
    {
        bench_runtime!(c, "pulley", wasmtime_side::setup(true), wasmtime_side::item);
        bench_runtime!(
            c,
            "cranelift",
            wasmtime_side::setup(false),
            wasmtime_side::item
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = components
}
criterion_main!(benches);
