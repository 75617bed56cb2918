//! Real programs, unmodified, built from a registry package's sources (see
//! `examples/wasi/programs/*/build.sh`): their output under Spindle must be the native
//! build's, byte for byte.

mod common;

use spindle::{Engine, Linker, Module, Store};
use spindle_wasi::pipe::{MemoryInputPipe, MemoryOutputPipe};
use spindle_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

const BZIP2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/wasi/programs/bzip2"
);

/// Runs the program at `wasm` (a preview-1 module, or with `component` a WASI 0.2
/// command component) over the context `b` builds: its exit status.
fn run(wasm: &str, component: bool, b: &mut WasiCtxBuilder) -> i32 {
    let bytes = std::fs::read(wasm).unwrap_or_else(|e| panic!("{wasm}: {e}"));
    let result = if component {
        common::run_command(&bytes, b)
    } else {
        let engine = Engine::default();
        let module = Module::new(&engine, bytes).unwrap();
        let mut store = Store::new(&engine, b.build_p1());
        let mut linker = Linker::new(&engine);
        spindle_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap();
        start.call(&mut store, ())
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            e.downcast_ref::<I32Exit>()
                .unwrap_or_else(|| panic!("{e:#}"))
                .0
        }
    }
}

/// Runs bzip2 with `args`, `stdin`, and `dir` preopened as `/w`: (exit status, stdout).
fn bzip2(component: bool, args: &[&str], stdin: &[u8], dir: &std::path::Path) -> (i32, Vec<u8>) {
    let out = MemoryOutputPipe::new(64 << 20);
    let err = MemoryOutputPipe::new(1 << 20);
    let mut b = WasiCtxBuilder::new();
    b.arg("bzip2")
        .args(args)
        .stdin(MemoryInputPipe::new(stdin.to_vec()))
        .stdout(out.clone())
        .stderr(err.clone())
        .preopened_dir(dir, "/w", FsPerms::ReadWrite)
        .unwrap();
    let wasm = if component {
        format!("{BZIP2}/bzip2.component.wasm")
    } else {
        format!("{BZIP2}/bzip2.wasm")
    };
    (run(&wasm, component, &mut b), out.contents())
}

#[test]
fn bzip2_compresses_and_decompresses_files_and_pipes_as_its_native_build_does() {
    for component in [false, true] {
        let input = std::fs::read(format!("{BZIP2}/input.txt")).unwrap();
        let expected = std::fs::read(format!("{BZIP2}/expected/input.txt.bz2")).unwrap();
        let dir =
            std::env::temp_dir().join(format!("spindle-bzip2-{component}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("input.txt"), &input).unwrap();

        // Files: compress, keeping the input; the output is the native build's.
        assert_eq!(
            bzip2(component, &["-k", "-9", "/w/input.txt"], b"", &dir).0,
            0
        );
        assert_eq!(std::fs::read(dir.join("input.txt.bz2")).unwrap(), expected);
        // Test it, and decompress it to standard output.
        assert_eq!(
            bzip2(component, &["-t", "/w/input.txt.bz2"], b"", &dir).0,
            0
        );
        let (status, out) = bzip2(component, &["-d", "-c", "/w/input.txt.bz2"], b"", &dir);
        assert_eq!((status, out == input), (0, true));
        // Pipes: standard input to standard output.
        let (status, out) = bzip2(component, &["-9", "-c"], &input, &dir);
        assert_eq!((status, out == expected), (0, true));
        // A damaged archive is reported with bzip2's exit status for it (2).
        let mut bad = expected.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x55;
        std::fs::write(dir.join("bad.bz2"), &bad).unwrap();
        // (Through the preview-1 adapter every failing status is `exit(err)`: 1.)
        let damaged = if component { 1 } else { 2 };
        assert_eq!(
            bzip2(component, &["-t", "/w/bad.bz2"], b"", &dir).0,
            damaged
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

const SQLITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/wasi/programs/sqlite"
);

/// Runs the SQLite shell (`component`: the adapted WASI 0.2 build) on database
/// `/w/test.db` with `script` on standard input and `dir` preopened as `/w`.
fn sqlite(component: bool, script: &str, dir: &std::path::Path) -> (i32, String) {
    let out = MemoryOutputPipe::new(1 << 20);
    let mut b = WasiCtxBuilder::new();
    b.args(&["sqlite3", "-batch", "/w/test.db"])
        .stdin(MemoryInputPipe::new(script.as_bytes().to_vec()))
        .stdout(out.clone())
        .preopened_dir(dir, "/w", FsPerms::ReadWrite)
        .unwrap();
    let wasm = if component {
        format!("{SQLITE}/sqlite3.component.wasm")
    } else {
        format!("{SQLITE}/sqlite3.wasm")
    };
    let status = run(&wasm, component, &mut b);
    (status, String::from_utf8(out.contents()).unwrap())
}

#[test]
fn sqlite_shell_imports_builds_and_queries_a_database_as_its_native_build_does() {
    for component in [false, true] {
        let dir =
            std::env::temp_dir().join(format!("spindle-sqlite-{component}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(format!("{SQLITE}/people.csv"), dir.join("people.csv")).unwrap();
        let expected =
            |name: &str| std::fs::read_to_string(format!("{SQLITE}/expected/{name}")).unwrap();
        // One run imports a CSV file and builds tables and an index in /w/test.db ...
        let create = std::fs::read_to_string(format!("{SQLITE}/create.sql")).unwrap();
        assert_eq!(
            sqlite(component, &create, &dir),
            (0, expected("create.out"))
        );
        assert!(std::fs::metadata(dir.join("test.db")).unwrap().len() > 4096);
        // ... the next reopens it, queries it and writes a report file.
        let query = std::fs::read_to_string(format!("{SQLITE}/query.sql")).unwrap();
        assert_eq!(sqlite(component, &query, &dir), (0, expected("query.out")));
        assert_eq!(
            std::fs::read_to_string(dir.join("report.txt")).unwrap(),
            expected("report.txt")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
