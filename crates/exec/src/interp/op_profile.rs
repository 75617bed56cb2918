//! A dynamic profile of the instructions the portable loop runs, for choosing
//! superinstructions by measurement: how often each instruction ran, and each pair of
//! instructions that ran one after the other (a taken branch's target included).
//!
//! Only in builds with `--cfg spindle_op_profile` (a developer's build: every call then
//! runs on the portable loop, whose one dispatch point sees every instruction):
//!
//! ```sh
//! RUSTFLAGS="--cfg spindle_op_profile" CARGO_TARGET_DIR=target/op-profile \
//!   cargo build --release -p spindle-cli
//! SPINDLE_OP_PROFILE=/tmp/fib.txt target/op-profile/release/spindle run fib.wasm --invoke run 25
//! ```
//!
//! Each time a run ends, the counts so far (per thread) are written to the file that
//! `SPINDLE_OP_PROFILE` names (else `op-profile.txt`): the total, then the 80 most frequent
//! instructions (`S`) and the 200 most frequent pairs (`P`), each as a share of all
//! instructions run.

extern crate std;

use core::cell::RefCell;
use spindle_ir::Opcode;
use std::io::Write;
use std::vec::Vec;

struct Counts {
    previous: usize,
    /// `pairs[a * Opcode::COUNT + b]`: how often `b` ran right after `a`.
    pairs: Vec<u64>,
    /// Each opcode seen, by its index (for its name).
    seen: Vec<Option<Opcode>>,
}

std::thread_local! {
    static COUNTS: RefCell<Counts> = const {
        RefCell::new(Counts { previous: 0, pairs: Vec::new(), seen: Vec::new() })
    };
}

/// Counts `op`, about to run.
pub(super) fn count(op: Opcode) {
    COUNTS.with_borrow_mut(|c| {
        if c.pairs.is_empty() {
            c.pairs = std::vec![0; Opcode::COUNT * Opcode::COUNT];
            c.seen = std::vec![None; Opcode::COUNT];
        }
        let i = op as usize;
        c.pairs[c.previous * Opcode::COUNT + i] += 1;
        c.seen[i] = Some(op);
        c.previous = i;
    });
}

/// Writes the counts so far (see the module's documentation).
pub(super) fn write() {
    COUNTS.with_borrow(|c| {
        if c.pairs.is_empty() {
            return;
        }
        let name = |i: usize| match c.seen[i] {
            Some(op) => std::format!("{op:?}"),
            None => std::string::String::from("(start)"),
        };
        let mut single = std::vec![0u64; Opcode::COUNT];
        let mut pairs = Vec::new();
        for (k, &n) in c.pairs.iter().enumerate().filter(|(_, &n)| n > 0) {
            single[k % Opcode::COUNT] += n;
            pairs.push((n, k / Opcode::COUNT, k % Opcode::COUNT));
        }
        pairs.sort_by_key(|p| core::cmp::Reverse(p.0));
        let total: u64 = single.iter().sum();
        let mut ops: Vec<(u64, usize)> = single
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(i, &n)| (n, i))
            .collect();
        ops.sort_by_key(|o| core::cmp::Reverse(o.0));
        let share = |n: u64| n as f64 * 100.0 / total as f64;
        let path = std::env::var("SPINDLE_OP_PROFILE").unwrap_or("op-profile.txt".into());
        let mut out = std::string::String::new();
        out += &std::format!("total {total}\n");
        for &(n, i) in ops.iter().take(80) {
            out += &std::format!("S {:6.2}% {}\n", share(n), name(i));
        }
        for &(n, a, b) in pairs.iter().take(200) {
            out += &std::format!("P {:6.2}% {} -> {}\n", share(n), name(a), name(b));
        }
        if let Err(e) = std::fs::File::create(&path).and_then(|mut f| f.write_all(out.as_bytes())) {
            std::eprintln!("op profile: cannot write {path}: {e}");
        }
    });
}
