//! Parallel compilation (`Config::parallel_compilation`, on by default): a module with
//! enough code has its bodies validated and translated on several threads, yet the module
//! is the one sequential compilation makes, and an invalid module gets the error sequential
//! compilation reports (its first invalid body's), whichever thread found which error first.

use spindle::{Config, Engine, Instance, Module, Store, Translation};

/// Functions in the test module: 400 bodies of about 800 bytes each, 320 KB of code, so
/// that every machine with two or more cores compiles it on at least two threads (the
/// threshold is 64 KiB of code per thread).
const FUNCS: u32 = 400;

/// A module whose function `k` returns `k` after 200 dropped constants, except the
/// functions in `invalid`, which return an `i64` where their type says `i32`; `sum` calls
/// every function (so each call crosses between code translated on different threads) and
/// adds the results.
fn module_text(invalid: &[u32]) -> String {
    let mut text = String::from("(module\n");
    for k in 0..FUNCS {
        text.push_str(&format!("  (func $f{k} (result i32)\n   "));
        for _ in 0..200 {
            text.push_str(" (drop (i32.const 1000))");
        }
        if invalid.contains(&k) {
            text.push_str(" (i64.const 1))\n");
        } else {
            text.push_str(&format!(" (i32.const {k}))\n"));
        }
    }
    text.push_str("  (func (export \"sum\") (result i32)\n    (i32.const 0)");
    for k in 0..FUNCS {
        text.push_str(&format!(" (i32.add (call $f{k}))"));
    }
    text.push_str("))\n");
    text
}

fn engine(translation: Translation, parallel: bool) -> Engine {
    let mut config = Config::new();
    config
        .translation(translation)
        .parallel_compilation(parallel);
    Engine::new(&config).unwrap()
}

fn bytes(invalid: &[u32]) -> Vec<u8> {
    let text = module_text(invalid);
    let buffer = wast::parser::ParseBuffer::new(&text).unwrap();
    let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer).unwrap();
    wat.encode().unwrap()
}

#[test]
fn the_module_runs_the_same_compiled_in_parallel() {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("note: one core: parallel compilation runs on one thread here");
    }
    let bytes = bytes(&[]);
    assert!(bytes.len() > 300_000, "{} bytes", bytes.len());
    for translation in [Translation::Eager, Translation::Lazy] {
        for parallel in [true, false] {
            let engine = engine(translation, parallel);
            let module = Module::new(&engine, &bytes).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            let sum = instance
                .get_typed_func::<(), i32>(&store, "sum")
                .unwrap()
                .call(&mut store, ())
                .unwrap();
            assert_eq!(
                sum,
                (FUNCS * (FUNCS - 1) / 2) as i32,
                "{translation:?}, parallel {parallel}"
            );
        }
    }
}

#[test]
fn an_invalid_module_gets_its_first_invalid_body_reported() {
    // Invalid bodies early, in the middle and at the end, and every body after the first
    // dozen (the calling thread takes the first batch; the others meet invalid ones at once):
    // with several threads, a later one is often found first.
    let after_a_dozen: Vec<u32> = (12..FUNCS).collect();
    for invalid in [
        &[37, 250, 399][..],
        &[200, 201],
        &[399],
        &[0, 398],
        &after_a_dozen,
    ] {
        let bytes = bytes(invalid);
        let first = format!("function {}", invalid[0]);
        for translation in [Translation::Eager, Translation::Lazy] {
            let sequential = Module::new(&engine(translation, false), &bytes)
                .err()
                .expect("invalid")
                .to_string();
            assert!(sequential.contains(&first), "{sequential}");
            let engine = engine(translation, true);
            // Threads race differently each time.
            for _ in 0..10 {
                let parallel = Module::new(&engine, &bytes)
                    .err()
                    .expect("invalid")
                    .to_string();
                assert_eq!(
                    parallel, sequential,
                    "{translation:?}, first invalid {}",
                    invalid[0]
                );
            }
        }
    }
}
