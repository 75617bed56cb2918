//! WASI preview 1 only: hostile guests in WAT that pass bad pointers, descriptors and
//! sizes (errors the guest sees, never host panics), and `poll_oneoff`. The C guests run
//! as modules and as components in `guests.rs`.

use spindle::{Engine, Linker, Module, Store};
use spindle_wasi::pipe::MemoryOutputPipe;
use spindle_wasi::{FsPerms, WasiCtxBuilder, WasiP1Ctx};

fn scratch(name: &str) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("spindle-wasi-p1-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("data")).unwrap();
    root
}

/// Calls the WAT module's `run` export (a hostile guest) and returns its result.
fn hostile(wat: &str) -> i32 {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let out = MemoryOutputPipe::new(1 << 16);
    let mut b = WasiCtxBuilder::new();
    b.args(&["x", "y"]).stdout(out.clone());
    let mut store = Store::new(&engine, b.build_p1());
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    spindle_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    run.call(&mut store, ()).unwrap()
}

const EFAULT: i32 = 21;
const EBADF: i32 = 8;
const EINVAL: i32 = 28;

#[test]
fn hostile_pointers_descriptors_and_sizes_are_errors() {
    let module = |imports: &str, body: &str| {
        format!(
            r#"(module {imports} (memory (export "memory") 1)
                 (func (export "run") (result i32) {body}))"#
        )
    };
    let fd_write = r#"(import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))"#;
    // An iovec pointing past the end of memory.
    assert_eq!(
        hostile(&module(
            fd_write,
            "(i32.store (i32.const 0) (i32.const 65530)) (i32.store (i32.const 4) (i32.const 100))
             (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))"
        )),
        EFAULT
    );
    // The iovec array itself out of bounds, and the result pointer out of bounds.
    assert_eq!(
        hostile(&module(
            fd_write,
            "(call $w (i32.const 1) (i32.const -8) (i32.const 1) (i32.const 16))"
        )),
        EFAULT
    );
    assert_eq!(
        hostile(&module(
            fd_write,
            "(call $w (i32.const 1) (i32.const 0) (i32.const 0) (i32.const -1))"
        )),
        EFAULT
    );
    // A huge iovec count: refused before any list is built.
    assert_eq!(
        hostile(&module(
            fd_write,
            "(call $w (i32.const 1) (i32.const 0) (i32.const -1) (i32.const 16))"
        )),
        EINVAL
    );
    // Descriptors that are not open.
    for fd in ["3", "-1", "1000000"] {
        assert_eq!(
            hostile(&module(
                fd_write,
                &format!("(call $w (i32.const {fd}) (i32.const 0) (i32.const 0) (i32.const 16))")
            )),
            EBADF
        );
    }
    let close = r#"(import "wasi_snapshot_preview1" "fd_close" (func $c (param i32) (result i32)))
                   (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))"#;
    assert_eq!(
        hostile(&module(
            close,
            "(drop (call $c (i32.const 1))) (call $w (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 16))"
        )),
        EBADF,
        "a closed descriptor stays closed"
    );
    let args =
        r#"(import "wasi_snapshot_preview1" "args_get" (func $a (param i32 i32) (result i32)))"#;
    assert_eq!(
        hostile(&module(args, "(call $a (i32.const 65534) (i32.const 0))")),
        EFAULT
    );
    assert_eq!(
        hostile(&module(args, "(call $a (i32.const 0) (i32.const 65535))")),
        EFAULT
    );
    let random =
        r#"(import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))"#;
    assert_eq!(
        hostile(&module(
            random,
            "(call $r (i32.const 65000) (i32.const 1000))"
        )),
        EFAULT
    );
    assert_eq!(
        hostile(&module(random, "(call $r (i32.const 0) (i32.const -1))")),
        EFAULT
    );
    let clock = r#"(import "wasi_snapshot_preview1" "clock_time_get" (func $t (param i32 i64 i32) (result i32)))"#;
    assert_eq!(
        hostile(&module(
            clock,
            "(call $t (i32.const 9) (i64.const 0) (i32.const 0))"
        )),
        EINVAL
    );
    // No exported memory: every call that needs one fails with EINVAL.
    let no_memory = r#"(module
        (import "wasi_snapshot_preview1" "args_get" (func $a (param i32 i32) (result i32)))
        (func (export "run") (result i32) (call $a (i32.const 0) (i32.const 0))))"#;
    assert_eq!(hostile(no_memory), EINVAL);
    // Functions not implemented yet answer ENOSYS.
    let accept = r#"(import "wasi_snapshot_preview1" "sock_accept" (func $s (param i32 i32 i32) (result i32)))"#;
    assert_eq!(
        hostile(&module(
            accept,
            "(call $s (i32.const 3) (i32.const 0) (i32.const 0))"
        )),
        52
    );
    // Without preopens, descriptor 3 is not open.
    let open = r#"(import "wasi_snapshot_preview1" "path_open" (func $o (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))"#;
    assert_eq!(
        hostile(&module(
            open,
            "(call $o (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0))"
        )),
        EBADF
    );
}

#[test]
fn poll_oneoff_sleeps_on_a_clock() {
    // One relative clock subscription of 20 ms: one event, with its userdata.
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "poll_oneoff" (func $p (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "run") (result i32)
        (i64.store (i32.const 0) (i64.const 77))        ;; userdata
        (i32.store8 (i32.const 8) (i32.const 0))        ;; clock
        (i32.store (i32.const 16) (i32.const 1))        ;; monotonic
        (i64.store (i32.const 24) (i64.const 20000000)) ;; 20 ms
        (drop (call $p (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
        (i32.add
          (i32.mul (i32.load (i32.const 200)) (i32.const 1000))
          (i32.wrap_i64 (i64.load (i32.const 100))))))"#;
    let started = std::time::Instant::now();
    assert_eq!(hostile(wat), 1077, "one event, userdata 77");
    assert!(started.elapsed() >= std::time::Duration::from_millis(20));
}

// ---- Files beneath preopened directories ----

#[test]
fn hostile_paths_and_descriptor_exhaustion_are_errors() {
    let root = scratch("hostile");
    std::fs::write(root.join("data/f"), "x").unwrap();
    let run = |body: &str| -> i32 {
        let wat = format!(
            r#"(module
              (import "wasi_snapshot_preview1" "path_open"
                (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "f")
              (func (export "run") (result i32) (local $i i32) (local $r i32) {body}))"#
        );
        let engine = Engine::default();
        let module = Module::new(&engine, &wat).unwrap();
        let mut b = WasiCtxBuilder::new();
        b.preopened_dir(root.join("data"), "/data", FsPerms::ReadWrite)
            .unwrap();
        let mut store = Store::new(&engine, b.build_p1());
        let mut linker = Linker::new(&engine);
        spindle_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let f = instance
            .get_typed_func::<(), i32>(&mut store, "run")
            .unwrap();
        f.call(&mut store, ()).unwrap()
    };
    // Descriptor 3 is the preopen. A path out of bounds, too long, or not UTF-8.
    let open = |path: &str, len: &str| {
        format!("(call $open (i32.const 3) (i32.const 0) (i32.const {path}) (i32.const {len}) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0))")
    };
    assert_eq!(run(&open("65530", "100")), 21, "EFAULT");
    assert_eq!(run(&open("0", "100000")), 37, "ENAMETOOLONG");
    assert_eq!(
        run(&format!(
            "(i32.store8 (i32.const 200) (i32.const 255)) {}",
            open("200", "1")
        )),
        28,
        "EINVAL: not UTF-8"
    );
    // A descriptor that is not a directory.
    assert_eq!(run("(call $open (i32.const 1) (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0))"), 54, "ENOTDIR");
    // Opening the same file until the table is full: EMFILE, not unbounded host handles.
    let exhaust = r#"
        (loop $again
          (local.set $r (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1)
            (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $again (i32.and (i32.eqz (local.get $r)) (i32.lt_u (local.get $i) (i32.const 5000)))))
        (i32.add (i32.mul (local.get $i) (i32.const 100)) (local.get $r))"#;
    // 1024 slots: 0-2 standard streams, 3 the preopen, 1020 files; the 1021st fails.
    assert_eq!(run(exhaust), 1021 * 100 + 33, "EMFILE after 1020 files");
    std::fs::remove_dir_all(&root).unwrap();
}
