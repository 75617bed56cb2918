//! Bounds arithmetic of every load and store width, on a 32-bit memory (the fast path) and a
//! 64-bit one (the `…Mem` path), at the addresses where it goes wrong in real runtimes: 0,
//! size - w, size - w + 1, size, 2^32 - 1 and 2^64 - 1, with offset 0 and the largest
//! offset each memory allows. An access traps exactly when `address + offset + w` exceeds the
//! memory's size (computed without wrapping); a store that traps writes nothing. Both
//! dispatch backends.

use spindle::{Config, Dispatch, Engine, Linker, Module, Store, Val};

/// (operator, width in bytes, value type)
const LOADS: &[(&str, u64, &str)] = &[
    ("i32.load", 4, "i32"),
    ("i64.load", 8, "i64"),
    ("f32.load", 4, "f32"),
    ("f64.load", 8, "f64"),
    ("i32.load8_s", 1, "i32"),
    ("i32.load8_u", 1, "i32"),
    ("i32.load16_s", 2, "i32"),
    ("i32.load16_u", 2, "i32"),
    ("i64.load8_s", 1, "i64"),
    ("i64.load8_u", 1, "i64"),
    ("i64.load16_s", 2, "i64"),
    ("i64.load16_u", 2, "i64"),
    ("i64.load32_s", 4, "i64"),
    ("i64.load32_u", 4, "i64"),
];

const STORES: &[(&str, u64, &str)] = &[
    ("i32.store", 4, "i32"),
    ("i64.store", 8, "i64"),
    ("f32.store", 4, "f32"),
    ("f64.store", 8, "f64"),
    ("i32.store8", 1, "i32"),
    ("i32.store16", 2, "i32"),
    ("i64.store8", 1, "i64"),
    ("i64.store16", 2, "i64"),
    ("i64.store32", 4, "i64"),
];

const PAGE: u64 = 65536;

/// A module with one memory of one page and, per operator and offset, an export
/// `"<op> <offset>"` taking the address (and a value for stores), plus `"sum"`: the sum of
/// all the memory's bytes, to see that nothing was written.
fn module(memory64: bool, offsets: &[u64]) -> String {
    let addr = if memory64 { "i64" } else { "i32" };
    let mut text = format!("(module (memory {} 1)\n", if memory64 { "i64" } else { "" });
    for &(op, _, ty) in LOADS {
        for off in offsets {
            text += &format!(
                "(func (export \"{op} {off}\") (param {addr}) (result {ty}) ({op} offset={off} (local.get 0)))\n"
            );
        }
    }
    for &(op, _, ty) in STORES {
        for off in offsets {
            text += &format!(
                "(func (export \"{op} {off}\") (param {addr}) (param {ty}) ({op} offset={off} (local.get 0) (local.get 1)))\n"
            );
        }
    }
    text += &format!(
        "(func (export \"sum\") (result i64) (local $i {addr}) (local $s i64)
           (block $done (loop $next
             (br_if $done ({addr}.ge_u (local.get $i) ({addr}.const {PAGE})))
             (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $i))))
             (local.set $i ({addr}.add (local.get $i) ({addr}.const 1)))
             (br $next)))
           (local.get $s)))"
    );
    text
}

fn zero(ty: &str) -> Val {
    match ty {
        "i32" => Val::I32(-1),
        "i64" => Val::I64(-1),
        "f32" => Val::F32(u32::MAX),
        _ => Val::F64(u64::MAX),
    }
}

#[test]
fn accesses_trap_exactly_past_the_end_on_32_and_64_bit_memories() {
    for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
        for memory64 in [false, true] {
            let max_offset = if memory64 { u64::MAX } else { u32::MAX as u64 };
            let offsets = [0, max_offset];
            let engine = Engine::new(Config::new().dispatch(dispatch)).unwrap();
            let module = Module::from_wat(&engine, &module(memory64, &offsets)).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Linker::new(&engine)
                .instantiate(&mut store, &module)
                .unwrap();
            let mode = format!("{dispatch:?}, 64-bit memory {memory64}");
            let address = |a: u64| {
                if memory64 {
                    Val::I64(a as i64)
                } else {
                    Val::I32(a as u32 as i32)
                }
            };
            for (ops, is_store) in [(LOADS, false), (STORES, true)] {
                for &(op, w, ty) in ops {
                    let addrs = [0, PAGE - w, PAGE - w + 1, PAGE, u32::MAX as u64, u64::MAX];
                    for off in offsets {
                        for a in addrs {
                            if !memory64 && a > u32::MAX as u64 {
                                continue;
                            }
                            let fits = a
                                .checked_add(off)
                                .and_then(|e| e.checked_add(w))
                                .is_some_and(|end| end <= PAGE);
                            let f = instance.get_func(&store, &format!("{op} {off}")).unwrap();
                            let r = if is_store {
                                // All-ones bytes: a store that traps must not have written.
                                f.call(&mut store, &[address(a), zero(ty)], &mut [])
                            } else {
                                let mut out = [zero(ty)];
                                f.call(&mut store, &[address(a)], &mut out)
                            };
                            match (r, fits) {
                                (Ok(()), true) => {}
                                (Err(e), false) => assert!(
                                    e.to_string().contains("out of bounds memory access"),
                                    "{mode}: {op} offset={off} at {a}: {e}"
                                ),
                                (r, _) => panic!("{mode}: {op} offset={off} at {a}: {r:?}"),
                            }
                            if is_store && fits {
                                // Undo, so that the next trapping store is seen to write nothing.
                                let undo = match ty {
                                    "i32" => Val::I32(0),
                                    "i64" => Val::I64(0),
                                    "f32" => Val::F32(0),
                                    _ => Val::F64(0),
                                };
                                f.call(&mut store, &[address(a), undo], &mut []).unwrap();
                            }
                            let sum = instance.get_func(&store, "sum").unwrap();
                            let mut out = [Val::I64(0)];
                            sum.call(&mut store, &[], &mut out).unwrap();
                            assert_eq!(out[0], Val::I64(0), "{mode}: {op} offset={off} at {a}");
                        }
                    }
                }
            }
        }
    }
}
