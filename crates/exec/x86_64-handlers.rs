// Included (`include!`) by the build scripts of the binaries and libraries that run the
// threaded interpreter: the `spindle` CLI, the C API's shared library, the benchmark
// programs. One place for when they link with `x86_64-handlers.ld` (beside this file).

/// Prints the cargo instructions that link this package's targets of `kinds` ("bins",
/// "benches", "cdylib") with the linker script `script`, which starts each threaded handler
/// on a 64-byte line: on x86-64 GNU/Linux, unless `SPINDLE_NO_HANDLER_ALIGNMENT` is set or
/// the build's flags name mold or gold (mold takes no `SECTIONS`, gold no `INSERT`; a build
/// that uses either another way sets the variable). Only speed depends on it.
fn link_with_handler_alignment(script: &str, kinds: &[&str]) {
    println!("cargo:rerun-if-env-changed=SPINDLE_NO_HANDLER_ALIGNMENT");
    println!("cargo:rerun-if-changed={script}");
    let target = std::env::var("TARGET").unwrap_or_default();
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if !(target.starts_with("x86_64-") && target.ends_with("-linux-gnu"))
        || std::env::var_os("SPINDLE_NO_HANDLER_ALIGNMENT").is_some()
        || flags.contains("mold")
        || flags.contains("gold")
    {
        return;
    }
    for kind in kinds {
        // Two arguments, not `-Wl,-T,<path>`: a comma in the path would split it.
        println!("cargo:rustc-link-arg-{kind}=-T");
        println!("cargo:rustc-link-arg-{kind}={script}");
    }
}
