//! The C API's tests: the C programs in `tests/c`, compiled with the system C compiler
//! against the headers in `include/` and the library cargo built, and run — under
//! valgrind (no error, no leak definitely or indirectly lost) when the machine has it.
//!
//! `hello.c` uses `wasm.h` only and is linked against the shared library under the name
//! `libspindle` (as a C host would link it); the others link the static library.
//! Their Wasm modules are the `.wat` files beside them, encoded here.

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where cargo put this build's libraries: the profile directory above `deps/`.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

/// A fresh directory for one test's files (the executables take tens of MB); each test
/// removes it when it passes and leaves it for inspection when it fails.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spindle-c-api-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wat_to_file(name: &str, dir: &Path) -> PathBuf {
    let text =
        std::fs::read_to_string(crate_dir().join("tests/c").join(format!("{name}.wat"))).unwrap();
    let buffer = wast::parser::ParseBuffer::new(&text).unwrap();
    let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer).unwrap();
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, wat.encode().unwrap()).unwrap();
    path
}

fn compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".into())
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The library of kind `ext` ("a" or "so"), as cargo built it for this test run (in `deps/`,
/// beside the test; `cargo build` copies it one level up, where an older one may lie).
fn library(ext: &str) -> PathBuf {
    let lib = lib_dir()
        .join("deps")
        .join(format!("libspindle_c_api.{ext}"));
    assert!(
        lib.exists(),
        "{} is missing: build the crate first (cargo test builds it with the tests)",
        lib.display()
    );
    lib
}

/// Compiles `tests/c/<name>.c` into `dir`, linked as `link` says.
fn compile(name: &str, dir: &Path, dynamic: bool) -> PathBuf {
    let src = crate_dir().join("tests/c").join(format!("{name}.c"));
    let exe = dir.join(name);
    let mut cmd = Command::new(compiler());
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1"])
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg("-I")
        .arg(crate_dir().join("tests/c"))
        .arg(&src)
        .arg("-o")
        .arg(&exe);
    if dynamic {
        // The shared library under the name a C host links: `-lspindle`.
        let so = library("so");
        std::fs::copy(&so, dir.join("libspindle.so")).unwrap();
        cmd.arg("-L").arg(dir).arg("-lspindle");
        cmd.arg(format!("-Wl,-rpath,{}", dir.display()));
    } else {
        cmd.arg(library("a"));
    }
    cmd.args(["-lpthread", "-ldl", "-lm"]);
    let out = cmd.output().expect("running the C compiler");
    assert!(
        out.status.success(),
        "compiling {name}.c failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs `exe args...`, under valgrind when available; asserts success and no memory error.
fn run(exe: &Path, args: &[&Path]) {
    let valgrind = have("valgrind");
    let mut cmd = if valgrind {
        let mut c = Command::new("valgrind");
        c.args([
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ])
        .arg(exe);
        c
    } else {
        eprintln!("valgrind not found: {} runs without it", exe.display());
        Command::new(exe)
    };
    cmd.args(args);
    let out = cmd.output().expect("running a C test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed ({}):\n{stdout}\n{stderr}",
        exe.display(),
        out.status
    );
    assert!(stdout.contains(": ok"), "{stdout}");
}

#[test]
fn hello_links_against_libspindle_with_wasm_h_only() {
    let dir = scratch("hello");
    let wasm = wat_to_file("hello", &dir);
    let exe = compile("hello", &dir, true);
    run(&exe, &[&wasm]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_type_object() {
    let dir = scratch("types");
    let wasm = wat_to_file("types", &dir);
    let exe = compile("types", &dir, false);
    run(&exe, &[&wasm]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn runtime_objects_references_and_host_functions() {
    let dir = scratch("objects");
    let wasm = wat_to_file("objects", &dir);
    let exe = compile("objects", &dir, false);
    run(&exe, &[&wasm]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn spindle_extensions_fuel_epochs_limits_wasi_linker() {
    let dir = scratch("extensions");
    let wasm = wat_to_file("extensions", &dir);
    let exe = compile("extensions", &dir, false);
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    run(&exe, &[&wasm, &work]);
    std::fs::remove_dir_all(&dir).unwrap();
}
