//! Exceptions held by reference are collected: `exnref`s in locals, globals, tables, struct
//! fields and other exceptions' payloads keep their exceptions (and what their payloads
//! reference) alive, and the collector frees the others. Its own test binary, so that the
//! peak resident memory is this file's alone.

use spindle::{Config, Dispatch, Engine, Linker, Module, Store, Translation, Val};

/// Peak resident set size of this process, in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const CHURN: &str = r#"
  (module
    (type $box (struct (field (mut exnref))))
    (type $cell (struct (field i32)))
    (tag $t (param i32))
    (tag $nested (param exnref (ref null $cell)))
    (global $last (mut exnref) (ref.null exn))
    (global $kept (mut exnref) (ref.null exn))
    (table $recent 4 exnref)

    ;; Throws `n` exceptions, each caught with a reference that is then stored in a
    ;; global, a table slot and a new struct, and dropped: only the last few stay reachable.
    ;; Returns the sum of the payloads read back through the references.
    (func (export "churn") (param $n i32) (result i32)
      (local $e exnref) (local $sum i32) (local $box (ref null $box)) (local $p i32)
      (loop $next
        (block $h (result i32 exnref)
          (try_table (catch_ref $t $h) (throw $t (local.get $n)))
          (unreachable))
        (local.set $e)
        (local.set $sum (i32.add (local.get $sum)))
        (global.set $last (local.get $e))
        (table.set $recent (i32.and (local.get $n) (i32.const 3)) (local.get $e))
        (local.set $box (struct.new $box (local.get $e)))
        ;; Read the payload back through the struct's reference: rethrow and catch.
        (block $again (result i32)
          (try_table (catch $t $again)
            (throw_ref (struct.get $box 0 (local.get $box))))
          (unreachable))
        (local.set $p)
        (local.set $sum (i32.sub (local.get $sum) (local.get $p)))
        (local.set $sum (i32.add (local.get $sum) (i32.const 1)))
        (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.get $sum))

    ;; An exception whose payload holds another exception and a struct, kept in $kept.
    (func (export "keep_nested") (param $v i32) (local $inner exnref)
      (block $h (result exnref)
        (try_table (catch_all_ref $h) (throw $t (local.get $v)))
        (unreachable))
      (local.set $inner)
      (block $h2 (result exnref)
        (try_table (catch_all_ref $h2)
          (throw $nested
            (local.get $inner)
            (struct.new $cell (i32.mul (local.get $v) (i32.const 10)))))
        (unreachable))
      (global.set $kept))

    ;; Reads $kept: the inner exception's payload plus the struct's field.
    (func (export "read_nested") (result i32)
      (local $inner exnref) (local $c (ref null $cell))
      (block $h (result exnref (ref null $cell))
        (try_table (catch $nested $h) (throw_ref (global.get $kept)))
        (unreachable))
      (local.set $c)
      (local.set $inner)
      (block $h2 (result i32)
        (try_table (catch $t $h2) (throw_ref (local.get $inner)))
        (unreachable))
      (struct.get $cell 0 (local.get $c))
      (i32.add))

    ;; An exception referenced by nothing in Wasm, returned to the host.
    (func (export "make") (param $v i32) (result exnref)
      (block $h (result exnref)
        (try_table (catch_all_ref $h) (throw $t (local.get $v)))
        (unreachable)))

    (func (export "payload") (param $e exnref) (result i32)
      (block $h (result i32)
        (try_table (catch $t $h) (throw_ref (local.get $e)))
        (unreachable))))
"#;

fn churn_store(dispatch: Dispatch, translation: Translation) -> (Store<()>, spindle::Instance) {
    let engine = Engine::new(Config::new().dispatch(dispatch).translation(translation)).unwrap();
    let module = Module::from_wat(&engine, CHURN).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance)
}

fn call(store: &mut Store<()>, instance: &spindle::Instance, name: &str, args: &[Val]) -> Val {
    let f = instance.get_func(&*store, name).unwrap();
    let mut out = [Val::I32(0)];
    let n = f.ty(&*store).results().len();
    f.call(&mut *store, args, &mut out[..n]).unwrap();
    out[0]
}

/// Ten million exceptions thrown, caught with references stored and dropped: the store
/// holds a bounded number of them and the process's memory stays bounded.
#[test]
fn ten_million_exceptions_thrown_and_dropped_in_bounded_memory() {
    let total: u32 = std::env::var("SPINDLE_EXN_TOTAL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let (mut store, instance) = churn_store(Dispatch::Threaded, Translation::Eager);
    let start = std::time::Instant::now();
    let rounds = 10;
    let mut most_held = 0;
    for _ in 0..rounds {
        let n = total / rounds;
        // Each iteration adds its payload and takes it away again, then adds 1.
        assert_eq!(
            call(&mut store, &instance, "churn", &[Val::I32(n as i32)]),
            Val::I32(n as i32)
        );
        most_held = most_held.max(store.exceptions_held());
    }
    let peak = peak_rss_kib();
    println!(
        "{total} exceptions thrown, caught by reference and dropped: at most {most_held} held \
         after a round, {} GC collections, peak RSS {} MiB, {:.1?}",
        store.gc_stats().collections,
        peak.map_or("unknown".into(), |k| (k / 1024).to_string()),
        start.elapsed()
    );
    // The collector runs when 1,024 are held (or twice those alive after the last run).
    assert!(most_held <= 2048, "{most_held} exceptions held");
    if let Some(kib) = peak {
        assert!(kib < 128 * 1024, "peak RSS {kib} KiB");
    }
}

/// References in every place keep their exceptions and what the payloads reference, through
/// collections, in each mode.
#[test]
fn referenced_exceptions_survive_collections_in_every_mode() {
    for translation in [Translation::Eager, Translation::Lazy] {
        for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
            let (mut store, instance) = churn_store(dispatch, translation);
            call(&mut store, &instance, "keep_nested", &[Val::I32(7)]);
            // Enough churn for several collections, GC heap ones included.
            for _ in 0..3 {
                call(&mut store, &instance, "churn", &[Val::I32(5000)]);
                store.gc();
            }
            assert!(store.gc_stats().collections >= 3);
            assert_eq!(
                call(&mut store, &instance, "read_nested", &[]),
                Val::I32(77),
                "{translation:?} {dispatch:?}"
            );
            // A collection from the host keeps the same.
            store.gc();
            assert_eq!(
                call(&mut store, &instance, "read_nested", &[]),
                Val::I32(77)
            );
            assert!(
                store.exceptions_held() < 1100,
                "{}",
                store.exceptions_held()
            );
        }
    }
}

/// An exception only the host references is freed by a collection; the host's reference is
/// then detected as stale, never read as another exception that took its place.
#[test]
fn a_reference_only_the_host_keeps_goes_stale() {
    let (mut store, instance) = churn_store(Dispatch::Threaded, Translation::Eager);
    let held = call(&mut store, &instance, "make", &[Val::I32(42)]);
    assert!(matches!(held, Val::ExnRef(Some(_))));
    // While no collection ran, it is good.
    assert_eq!(
        call(&mut store, &instance, "payload", &[held]),
        Val::I32(42)
    );
    store.gc();
    // Its place is reused by the exceptions made next.
    call(&mut store, &instance, "churn", &[Val::I32(100)]);
    let payload = instance.get_func(&store, "payload").unwrap();
    let mut out = [Val::I32(0)];
    let err = payload
        .call(&mut store, &[held], &mut out)
        .expect_err("a stale exception reference must be refused");
    assert!(err.to_string().contains("type"), "{err}");
    // The store is still usable.
    let fresh = call(&mut store, &instance, "make", &[Val::I32(5)]);
    assert_eq!(
        call(&mut store, &instance, "payload", &[fresh]),
        Val::I32(5)
    );
}
