//! Sets `cfg(size_opt)` when this crate is built for size (`opt-level = "s"` or `"z"`, the
//! profile's `OPT_LEVEL`): the operand-stack helpers then stay out of line, one copy shared
//! by every operator, instead of being inlined into each operator's check (faster
//! validation, about 40 KB more code). See ARCHITECTURE.md, "Code size". `spindle-exec` runs
//! this script too (its portable loop keeps one shared dispatch in size builds), and so does
//! `spindle-translate` (its fused visitor's plain operators share one body).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-check-cfg=cfg(size_opt)");
    // The interpreter's instruction profile (spindle-exec's `interp::op_profile`), set by
    // hand in RUSTFLAGS.
    println!("cargo:rustc-check-cfg=cfg(spindle_op_profile)");
    if matches!(std::env::var("OPT_LEVEL").as_deref(), Ok("s" | "z")) {
        println!("cargo:rustc-cfg=size_opt");
    }
}
