//! WASI preview 1: the C guest `examples/wasi/basics.c` (committed `.wasm`) driven through
//! in-memory streams, and hostile guests in WAT that pass bad pointers, descriptors and
//! sizes (errors the guest sees, never host panics).

use std::time::Duration;

use spindle::{Engine, Linker, Module, Store};
use spindle_wasi::pipe::{MemoryInputPipe, MemoryOutputPipe};
use spindle_wasi::{I32Exit, WasiCtxBuilder, WasiP1Ctx};

fn basics() -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/wasi/basics.wasm"
    );
    std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

struct Run {
    stdout: String,
    stderr: String,
    exit: i32,
}

/// Instantiates `wasm` with preview 1 over the context `b` builds and runs `_start`.
fn start(wasm: &[u8], b: &mut WasiCtxBuilder) -> spindle::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, b.build_p1());
    let mut linker = Linker::new(&engine);
    spindle_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    start.call(&mut store, ())
}

/// The exit status of a run: 0 when `_start` returned, `proc_exit`'s otherwise.
fn exit_status(r: spindle::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            e.downcast_ref::<I32Exit>()
                .unwrap_or_else(|| panic!("{e:#}"))
                .0
        }
    }
}

/// Runs `basics.wasm` with `args` (after its name), `stdin`, and the builder's settings.
fn run(args: &[&str], stdin: &str, setup: impl FnOnce(&mut WasiCtxBuilder)) -> Run {
    let (out, err) = (
        MemoryOutputPipe::new(1 << 20),
        MemoryOutputPipe::new(1 << 20),
    );
    let mut builder = WasiCtxBuilder::new();
    builder
        .arg("basics")
        .args(args)
        .stdin(MemoryInputPipe::new(stdin.as_bytes()))
        .stdout(out.clone())
        .stderr(err.clone());
    setup(&mut builder);
    let exit = exit_status(start(&basics(), &mut builder));
    Run {
        stdout: String::from_utf8(out.contents()).unwrap(),
        stderr: String::from_utf8(err.contents()).unwrap(),
        exit,
    }
}

#[test]
fn arguments_environment_and_exit_status() {
    let r = run(&["args", "a b", "ü"], "", |_| {});
    assert_eq!(r.stdout, "basics\nargs\na b\nü\n");
    assert_eq!(r.exit, 0);
    let r = run(&["env", "GREETING"], "", |b| {
        b.env("GREETING", "hi=there");
    });
    assert_eq!(r.stdout, "hi=there\n");
    let r = run(&["env", "HOME"], "", |_| {});
    assert_eq!(r.stdout, "(unset)\n", "nothing is inherited unless asked");
    let r = run(&["exit", "42"], "", |_| {});
    assert_eq!(r.exit, 42);
    let r = run(&["bogus"], "", |_| {});
    assert_eq!(
        (r.exit, r.stderr.as_str()),
        (2, "basics: unknown command bogus\n")
    );
}

#[test]
fn standard_streams_through_pipes() {
    let r = run(&["upper"], "hello\nWASI\n", |_| {});
    assert_eq!(r.stdout, "HELLO\nWASI\n");
    let r = run(&["stderr", "oops"], "", |_| {});
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", "oops\n"));
    // A full output pipe is an I/O error for the guest, not unbounded host memory.
    let out = MemoryOutputPipe::new(4);
    let mut b = WasiCtxBuilder::new();
    b.args(&["basics", "args", "longer than four bytes"])
        .stdout(out.clone());
    let _ = start(&basics(), &mut b);
    assert!(out.contents().len() <= 4);
}

#[test]
fn clocks_and_randomness_real_and_deterministic() {
    let r = run(&["clock"], "", |_| {});
    assert_eq!(r.stdout, "monotonic advances: yes\nafter 2020: yes\n");
    let a = run(&["random"], "", |_| {});
    let b = run(&["random"], "", |_| {});
    assert_ne!(a.stdout, b.stdout, "the OS's randomness");
    let seeded = |seed| {
        run(&["random"], "", move |b| {
            b.deterministic(Duration::from_secs(1_700_000_000), seed);
        })
        .stdout
    };
    assert_eq!(seeded(7), seeded(7));
    assert_ne!(seeded(7), seeded(8));
    let fixed = run(&["clock"], "", |b| {
        b.deterministic(Duration::from_secs(1_700_000_000), 1);
    });
    assert_eq!(fixed.stdout, "monotonic advances: yes\nafter 2020: yes\n");
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
    assert!(started.elapsed() >= Duration::from_millis(20));
}

// ---- Files beneath preopened directories ----

use spindle_wasi::FsPerms;

/// A scratch directory with `data/` (preopened) and a secret file beside it.
fn scratch(name: &str) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("spindle-wasi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(root.join("secret"), "outside").unwrap();
    root
}

fn files(root: &std::path::Path, perms: FsPerms, args: &[&str]) -> Run {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/wasi/files.wasm"
    );
    let (out, err) = (
        MemoryOutputPipe::new(1 << 20),
        MemoryOutputPipe::new(1 << 20),
    );
    let mut b = WasiCtxBuilder::new();
    b.arg("files")
        .args(args)
        .stdout(out.clone())
        .stderr(err.clone());
    b.preopened_dir(root.join("data"), "/data", perms).unwrap();
    let exit = exit_status(start(&std::fs::read(p).unwrap(), &mut b));
    Run {
        stdout: String::from_utf8(out.contents()).unwrap(),
        stderr: String::from_utf8(err.contents()).unwrap(),
        exit,
    }
}

const ALL: FsPerms = FsPerms::ReadWrite;

#[test]
fn files_are_written_read_listed_renamed_and_removed() {
    let root = scratch("rw");
    let ok = |args: &[&str]| {
        let r = files(&root, ALL, args);
        assert_eq!(r.exit, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r.stdout
    };
    ok(&["write", "/data/a.txt", "hello, "]);
    ok(&["append", "/data/a.txt", "world"]);
    assert_eq!(ok(&["cat", "/data/a.txt"]), "hello, world");
    assert_eq!(
        std::fs::read_to_string(root.join("data/a.txt")).unwrap(),
        "hello, world"
    );
    assert_eq!(ok(&["size", "/data/a.txt"]), "12\n");
    assert_eq!(ok(&["seek", "/data/a.txt", "7"]), "world");
    ok(&["mkdir", "/data/sub"]);
    ok(&["write", "/data/sub/b.txt", "b"]);
    assert_eq!(ok(&["ls", "/data"]), "a.txt\nsub\n");
    ok(&["mv", "/data/a.txt", "/data/sub/c.txt"]);
    assert_eq!(ok(&["ls", "/data/sub"]), "b.txt\nc.txt\n");
    ok(&["link", "/data/sub/b.txt", "/data/sub/b2.txt"]);
    assert_eq!(ok(&["cat", "/data/sub/b2.txt"]), "b");
    ok(&["rm", "/data/sub/b2.txt"]);
    ok(&["alloc", "/data/sub/big", "5000"]);
    assert_eq!(ok(&["size", "/data/sub/big"]), "5000\n");
    ok(&["rm", "/data/sub/big"]);
    ok(&["rm", "/data/sub/b.txt"]);
    ok(&["rm", "/data/sub/c.txt"]);
    ok(&["rmdir", "/data/sub"]);
    assert_eq!(ok(&["ls", "/data"]), "");
    let r = files(&root, ALL, &["cat", "/data/missing"]);
    assert_eq!(
        (r.exit, r.stdout.as_str()),
        (1, "/data/missing: No such file or directory\n")
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn nothing_outside_the_preopened_directory_is_reachable() {
    let root = scratch("escape");
    // A symlink inside pointing outside, and one that stays inside.
    std::os::unix::fs::symlink(root.join("secret"), root.join("data/out")).unwrap();
    std::os::unix::fs::symlink("../secret", root.join("data/out-rel")).unwrap();
    std::fs::write(root.join("data/inside.txt"), "in").unwrap();
    std::os::unix::fs::symlink("inside.txt", root.join("data/in")).unwrap();
    for path in [
        "/data/../secret",
        "/data/sub/../../secret",
        "/secret",
        "/data/out",
        "/data/out-rel",
        "/proc/self/environ",
        "/etc/passwd",
    ] {
        let r = files(&root, ALL, &["try", path]);
        assert_eq!(r.exit, 1, "{path}: {}", r.stdout);
        assert_ne!(r.stdout, "ok\n", "{path}");
    }
    assert_eq!(files(&root, ALL, &["try", "/data/in"]).stdout, "ok\n");
    // Writing through an escaping symlink does not touch the file outside.
    let r = files(&root, ALL, &["write", "/data/out", "pwned"]);
    assert_eq!(r.exit, 1);
    assert_eq!(
        std::fs::read_to_string(root.join("secret")).unwrap(),
        "outside"
    );
    // Renaming out of the directory is refused too.
    let r = files(&root, ALL, &["mv", "/data/inside.txt", "/data/../moved"]);
    assert_eq!(r.exit, 1);
    assert!(!root.join("moved").exists());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_read_only_preopen_refuses_writes_creation_and_removal() {
    let root = scratch("ro");
    std::fs::write(root.join("data/a.txt"), "keep").unwrap();
    let ro = FsPerms::ReadOnly;
    assert_eq!(files(&root, ro, &["cat", "/data/a.txt"]).stdout, "keep");
    for args in [
        &["write", "/data/a.txt", "x"][..],
        &["write", "/data/new.txt", "x"],
        &["rm", "/data/a.txt"],
        &["mkdir", "/data/d"],
        &["mv", "/data/a.txt", "/data/b.txt"],
    ] {
        let r = files(&root, ro, args);
        assert_eq!(r.exit, 1, "{args:?}");
    }
    assert_eq!(
        std::fs::read_to_string(root.join("data/a.txt")).unwrap(),
        "keep"
    );
    assert!(!root.join("data/new.txt").exists() && !root.join("data/d").exists());
    std::fs::remove_dir_all(&root).unwrap();
}

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

#[test]
fn standard_streams_to_and_from_host_files() {
    let dir = std::env::temp_dir().join(format!("spindle-wasi-stdio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("in.txt"), "from a file\n").unwrap();
    let mut b = WasiCtxBuilder::new();
    b.args(&["basics", "upper"])
        .stdin_file(std::fs::File::open(dir.join("in.txt")).unwrap())
        .stdout_file(std::fs::File::create(dir.join("out.txt")).unwrap());
    start(&basics(), &mut b).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("out.txt")).unwrap(),
        "FROM A FILE\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
