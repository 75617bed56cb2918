//! The `spindle` binary of an optimised x86-64 GNU/Linux build has every threaded handler at
//! the start of a 64-byte line (`crates/exec/x86_64-handlers.ld`, linked by `build.rs`):
//! read from its symbol table with `nm`. Skipped, saying so, where `nm` is missing or the
//! build has no threaded handlers (unoptimised) or the script does not apply.

#![cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]

use std::process::Command;

#[test]
fn threaded_handlers_start_cache_lines() {
    if cfg!(debug_assertions) {
        eprintln!("skipped: an unoptimised build has no threaded handlers");
        return;
    }
    if std::env::var_os("SPINDLE_NO_HANDLER_ALIGNMENT").is_some() {
        eprintln!("skipped: SPINDLE_NO_HANDLER_ALIGNMENT is set");
        return;
    }
    let Ok(out) = Command::new("nm")
        .arg(env!("CARGO_BIN_EXE_spindle"))
        .output()
    else {
        eprintln!("skipped: no `nm` on this machine");
        return;
    };
    let symbols = String::from_utf8_lossy(&out.stdout);
    let handlers: Vec<(u64, &str)> = symbols
        .lines()
        .filter(|l| {
            l.contains("12spindle_exec6interp8threaded3imp2op")
                || l.contains("12spindle_exec6interp8threaded3imp6op_acc")
        })
        .filter_map(|l| {
            let (address, rest) = l.split_once(' ')?;
            Some((u64::from_str_radix(address, 16).ok()?, rest))
        })
        .collect();
    assert!(
        handlers.len() > 1_000,
        "the handlers' symbols: {} found",
        handlers.len()
    );
    let unaligned: Vec<_> = handlers
        .iter()
        .filter(|(a, _)| a % 64 != 0)
        .take(5)
        .collect();
    assert!(
        unaligned.is_empty(),
        "handlers not on a 64-byte line: {unaligned:?} (of {})",
        handlers.len()
    );
}
