//! A wasm-smith module (Wasm 2.0 minus SIMD, see `spindle_fuzz::smith_config`) run in
//! Spindle and in wasmi: results, traps, exported memories and globals must agree.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A crash that kills the process before libFuzzer can save the input (a native stack
    // overflow without a sanitizer's alternate signal stack) leaves it here.
    if let Some(path) = std::env::var_os("SPINDLE_FUZZ_LAST_INPUT") {
        let _ = std::fs::write(path, data);
    }
    let mut u = Unstructured::new(data);
    let Ok(bytes) = spindle_fuzz::smith_exec_module(&mut u) else {
        return;
    };
    // wasmi 2.0.0 nests a native frame per `memory.grow` (see `known/`): a thread with a
    // large stack keeps such modules from ending the run. (Spindle's own constant native
    // stack is tested on a 256 KiB thread in `crates/spindle/tests/dispatch.rs`.)
    let verdict = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || spindle_fuzz::run_case(&bytes))
        .expect("spawn")
        .join()
        .expect("the comparison panicked");
    if let Err(disagreement) = verdict {
        panic!("{disagreement}");
    }
});
