//! The C guests (`examples/wasi/*.c`, committed `.wasm`) run both as preview-1 modules
//! and as preview-2 components (the same modules adapted with the
//! `wasi-preview1-component-adapter-provider` command adapter: `*.component.wasm`), with
//! the same expectations: arguments, environment, exit status, standard streams through
//! pipes and host files, clocks and randomness (real and deterministic), and files
//! beneath a preopened directory with nothing outside it reachable.

use std::time::Duration;

mod common;

use spindle::{Engine, Linker, Module, Store};
use spindle_wasi::pipe::{MemoryInputPipe, MemoryOutputPipe};
use spindle_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

/// How a guest runs.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// The module, `_start`, with `wasi_snapshot_preview1`.
    P1,
    /// The adapted component, `wasi:cli/run`, with WASI 0.2.
    P2,
}

const MODES: [Mode; 2] = [Mode::P1, Mode::P2];

fn guest(name: &str, mode: Mode) -> Vec<u8> {
    let file = match mode {
        Mode::P1 => format!("{name}.wasm"),
        Mode::P2 => format!("{name}.component.wasm"),
    };
    let p = format!("{}/../../examples/wasi/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Runs guest `name` over the context `b` builds: `Ok` if it finished, `Err` with
/// `I32Exit` if it exited.
fn start(name: &str, mode: Mode, b: &mut WasiCtxBuilder) -> spindle::Result<()> {
    let engine = Engine::default();
    let wasm = guest(name, mode);
    match mode {
        Mode::P1 => {
            let module = Module::new(&engine, &wasm).unwrap();
            let mut store = Store::new(&engine, b.build_p1());
            let mut linker = Linker::new(&engine);
            spindle_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .unwrap();
            start.call(&mut store, ())
        }
        Mode::P2 => common::run_command(&wasm, b),
    }
}

/// The status a guest's `exit(code)` gives: the code itself under preview 1; through the
/// preview-1 adapter, whose `proc_exit` calls `wasi:cli/exit.exit` with `err`, 1 for every
/// failure.
fn exited(mode: Mode, code: i32) -> i32 {
    match mode {
        Mode::P1 => code,
        Mode::P2 => i32::from(code != 0),
    }
}

/// The exit status of a run: 0 when it returned, the exit call's otherwise.
fn exit_status(r: spindle::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            e.downcast_ref::<I32Exit>()
                .unwrap_or_else(|| panic!("{e:?}"))
                .0
        }
    }
}

struct Run {
    stdout: String,
    stderr: String,
    exit: i32,
}

/// Runs `basics.wasm` with `args` (after its name), `stdin`, and the builder's settings.
fn run(mode: Mode, args: &[&str], stdin: &str, setup: impl FnOnce(&mut WasiCtxBuilder)) -> Run {
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
    let exit = exit_status(start("basics", mode, &mut builder));
    Run {
        stdout: String::from_utf8(out.contents()).unwrap(),
        stderr: String::from_utf8(err.contents()).unwrap(),
        exit,
    }
}

#[test]
fn arguments_environment_and_exit_status() {
    for mode in MODES {
        let r = run(mode, &["args", "a b", "ü"], "", |_| {});
        assert_eq!(r.stdout, "basics\nargs\na b\nü\n");
        assert_eq!(r.exit, 0);
        let r = run(mode, &["env", "GREETING"], "", |b| {
            b.env("GREETING", "hi=there");
        });
        assert_eq!(r.stdout, "hi=there\n");
        let r = run(mode, &["env", "HOME"], "", |_| {});
        assert_eq!(r.stdout, "(unset)\n", "nothing is inherited unless asked");
        let r = run(mode, &["exit", "42"], "", |_| {});
        assert_eq!(r.exit, exited(mode, 42));
        let r = run(mode, &["bogus"], "", |_| {});
        assert_eq!(
            (r.exit, r.stderr.as_str()),
            (exited(mode, 2), "basics: unknown command bogus\n")
        );
    }
}

#[test]
fn standard_streams_through_pipes() {
    for mode in MODES {
        let r = run(mode, &["upper"], "hello\nWASI\n", |_| {});
        assert_eq!(r.stdout, "HELLO\nWASI\n");
        let r = run(mode, &["stderr", "oops"], "", |_| {});
        assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", "oops\n"));
        // A full output pipe is an I/O error for the guest, not unbounded host memory.
        let out = MemoryOutputPipe::new(4);
        let mut b = WasiCtxBuilder::new();
        b.args(&["basics", "args", "longer than four bytes"])
            .stdout(out.clone());
        let _ = start("basics", mode, &mut b);
        assert!(out.contents().len() <= 4);
    }
}

#[test]
fn clocks_and_randomness_real_and_deterministic() {
    for mode in MODES {
        let r = run(mode, &["clock"], "", |_| {});
        assert_eq!(r.stdout, "monotonic advances: yes\nafter 2020: yes\n");
        let a = run(mode, &["random"], "", |_| {});
        let b = run(mode, &["random"], "", |_| {});
        assert_ne!(a.stdout, b.stdout, "the OS's randomness");
        let seeded = |seed| {
            run(mode, &["random"], "", move |b| {
                b.deterministic(Duration::from_secs(1_700_000_000), seed);
            })
            .stdout
        };
        assert_eq!(seeded(7), seeded(7));
        assert_ne!(seeded(7), seeded(8));
        let fixed = run(mode, &["clock"], "", |b| {
            b.deterministic(Duration::from_secs(1_700_000_000), 1);
        });
        assert_eq!(fixed.stdout, "monotonic advances: yes\nafter 2020: yes\n");
    }
}

fn scratch(name: &str, mode: Mode) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!(
        "spindle-wasi-{name}-{mode:?}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(root.join("secret"), "outside").unwrap();
    root
}

fn files(mode: Mode, root: &std::path::Path, perms: FsPerms, args: &[&str]) -> Run {
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
    let exit = exit_status(start("files", mode, &mut b));
    Run {
        stdout: String::from_utf8(out.contents()).unwrap(),
        stderr: String::from_utf8(err.contents()).unwrap(),
        exit,
    }
}

const ALL: FsPerms = FsPerms::ReadWrite;

#[test]
fn files_are_written_read_listed_renamed_and_removed() {
    for mode in MODES {
        let root = scratch("rw", mode);
        let ok = |args: &[&str]| {
            let r = files(mode, &root, ALL, args);
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
        match mode {
            Mode::P1 => {
                ok(&["alloc", "/data/sub/big", "5000"]);
                assert_eq!(ok(&["size", "/data/sub/big"]), "5000\n");
                ok(&["rm", "/data/sub/big"]);
            }
            // WASI 0.2 has no `fd_allocate`; the adapter answers ENOTSUP.
            Mode::P2 => {
                let r = files(mode, &root, ALL, &["alloc", "/data/sub/big", "5000"]);
                assert_eq!(r.stdout, "posix_fallocate: Not supported\n");
                ok(&["rm", "/data/sub/big"]);
            }
        }
        ok(&["rm", "/data/sub/b.txt"]);
        ok(&["rm", "/data/sub/c.txt"]);
        ok(&["rmdir", "/data/sub"]);
        assert_eq!(ok(&["ls", "/data"]), "");
        let r = files(mode, &root, ALL, &["cat", "/data/missing"]);
        assert_eq!(
            (r.exit, r.stdout.as_str()),
            (1, "/data/missing: No such file or directory\n")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn nothing_outside_the_preopened_directory_is_reachable() {
    for mode in MODES {
        let root = scratch("escape", mode);
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
            let r = files(mode, &root, ALL, &["try", path]);
            assert_eq!(r.exit, 1, "{path}: {}", r.stdout);
            assert_ne!(r.stdout, "ok\n", "{path}");
        }
        assert_eq!(files(mode, &root, ALL, &["try", "/data/in"]).stdout, "ok\n");
        // Writing through an escaping symlink does not touch the file outside.
        let r = files(mode, &root, ALL, &["write", "/data/out", "pwned"]);
        assert_eq!(r.exit, 1);
        assert_eq!(
            std::fs::read_to_string(root.join("secret")).unwrap(),
            "outside"
        );
        // Renaming out of the directory is refused too.
        let r = files(
            mode,
            &root,
            ALL,
            &["mv", "/data/inside.txt", "/data/../moved"],
        );
        assert_eq!(r.exit, 1);
        assert!(!root.join("moved").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn a_read_only_preopen_refuses_writes_creation_and_removal() {
    for mode in MODES {
        let root = scratch("ro", mode);
        std::fs::write(root.join("data/a.txt"), "keep").unwrap();
        let ro = FsPerms::ReadOnly;
        assert_eq!(
            files(mode, &root, ro, &["cat", "/data/a.txt"]).stdout,
            "keep"
        );
        for args in [
            &["write", "/data/a.txt", "x"][..],
            &["write", "/data/new.txt", "x"],
            &["rm", "/data/a.txt"],
            &["mkdir", "/data/d"],
            &["mv", "/data/a.txt", "/data/b.txt"],
        ] {
            let r = files(mode, &root, ro, args);
            assert_eq!(r.exit, 1, "{args:?}");
        }
        assert_eq!(
            std::fs::read_to_string(root.join("data/a.txt")).unwrap(),
            "keep"
        );
        assert!(!root.join("data/new.txt").exists() && !root.join("data/d").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn standard_streams_to_and_from_host_files() {
    for mode in MODES {
        let dir = std::env::temp_dir().join(format!(
            "spindle-wasi-stdio-{mode:?}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("in.txt"), "from a file\n").unwrap();
        let mut b = WasiCtxBuilder::new();
        b.args(&["basics", "upper"])
            .stdin_file(std::fs::File::open(dir.join("in.txt")).unwrap())
            .stdout_file(std::fs::File::create(dir.join("out.txt")).unwrap());
        start("basics", mode, &mut b).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("out.txt")).unwrap(),
            "FROM A FILE\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_directory_of_many_entries_lists_completely_and_in_order() {
    for mode in MODES {
        let root = scratch("many", mode);
        // 200 names of 27 bytes (files.c lists at most 256): more than one 4 KiB readdir
        // buffer.
        let names: Vec<String> = (0..200)
            .map(|i| format!("entry-with-a-long-name-{i:04}"))
            .collect();
        for n in &names {
            std::fs::write(root.join("data").join(n), "").unwrap();
        }
        let r = files(mode, &root, ALL, &["ls", "/data"]);
        assert_eq!(r.exit, 0);
        assert_eq!(r.stdout, names.join("\n") + "\n");
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn concurrent_appends_all_land() {
    for mode in MODES {
        let root = std::sync::Arc::new(scratch("append", mode));
        let runs = 25;
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let root = root.clone();
                std::thread::spawn(move || {
                    for i in 0..runs {
                        let line = format!("writer {w} line {i:02}\n");
                        let r = files(mode, &root, ALL, &["append", "/data/log.txt", &line]);
                        assert_eq!(r.exit, 0, "{}", r.stdout);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        // Every line of both writers is there, whole (appends are atomic: no overwrite).
        let log = std::fs::read_to_string(root.join("data/log.txt")).unwrap();
        let mut lines: Vec<&str> = log.lines().collect();
        lines.sort();
        let mut want: Vec<String> = (0..2)
            .flat_map(|w| (0..runs).map(move |i| format!("writer {w} line {i:02}")))
            .collect();
        want.sort();
        assert_eq!(lines, want, "{mode:?}");
        std::fs::remove_dir_all(&*root).unwrap();
    }
}
