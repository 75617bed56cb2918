//! On x86-64 GNU/Linux, links the benchmark programs with `crates/exec/x86_64-handlers.ld`,
//! as the `spindle` CLI is linked: each of Spindle's threaded-interpreter handlers on a
//! 64-byte cache line's start (why, in that file); only when Spindle is built in (`spindle`
//! feature). It names only Spindle's handlers' sections, so a peer-only build is linked as
//! without it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let spindle = std::env::var_os("CARGO_FEATURE_SPINDLE").is_some();
    if spindle && target.starts_with("x86_64-") && target.ends_with("-linux-gnu") {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../crates/exec/x86_64-handlers.ld"
        );
        println!("cargo:rerun-if-changed={script}");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{script}");
    }
}
