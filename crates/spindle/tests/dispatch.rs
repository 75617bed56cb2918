//! Both dispatch backends give the same results, and the threaded one runs in constant
//! native stack: a loop that executes every kind of instruction (calls and tail calls of all
//! three kinds, globals, loads and stores, bulk memory and table operations, references,
//! float rounding and conversions, `br_table`, fuel, GC allocations (which collect along the
//! way), struct and array accesses, casts, SIMD) 100,000 times on a 256 KiB thread. A handler whose
//! last call were not a jump would use at least 16 bytes per iteration and overflow it.

use spindle::{Config, Dispatch, Engine, FuncType, Linker, Module, Store, Val, ValType};

/// `run(n)` returns the sum of `0..n`, every term carried through each kind of instruction.
const EVERYTHING: &str = r#"
(module
  (import "host" "id" (func $host_id (param i32) (result i32)))
  (type $un (func (param i32) (result i32)))
  (memory 1)
  (table 4 funcref)
  (elem (i32.const 0) $id)
  (elem $seg func $id $id)
  (data $bytes "\01\02\03\04")
  (data $more "\05\06\07\08")
  (type $pair (struct (field (mut i32)) (field v128) (field (ref null $pair))))
  (type $arr (array (mut i32)))
  (type $bytes (array (mut i8)))
  (type $funcs (array (mut funcref)))
  (global $g (mut i32) (i32.const 0))
  (global $big (mut i64) (i64.const 0))
  (func $id (param i32) (result i32) (local.get 0))
  (func $pair (param i32) (result i32 i32) (local.get 0) (i32.const 7))
  (func $tail (param i32) (result i32) (return_call $id (local.get 0)))
  (func $tail_indirect (param i32) (result i32)
    (return_call_indirect (type $un) (local.get 0) (i32.const 0)))
  (func $tail_host (param i32) (result i32) (return_call $host_id (local.get 0)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $acc i64) (local $x i32) (local $f f64) (local $s (ref null $arr))
    (loop $next
      ;; calls: direct, indirect, host, multi-value
      (local.set $x (call $id (local.get $i)))
      (local.set $x (call_indirect (type $un) (local.get $x) (i32.const 0)))
      (local.set $x (call $host_id (local.get $x)))
      (local.set $x (drop (call $pair (local.get $x))))
      ;; tail calls: direct, indirect, host
      (local.set $x (call $tail (local.get $x)))
      (local.set $x (call $tail_indirect (local.get $x)))
      (local.set $x (call $tail_host (local.get $x)))
      ;; globals, memory
      (global.set $g (local.get $x))
      (i32.store offset=8 (i32.const 0) (global.get $g))
      (local.set $x (i32.load offset=8 (i32.const 0)))
      (i64.store16 (i32.const 16) (i64.const 0x1234))
      (drop (i64.load8_s (i32.const 16)))
      (memory.fill (i32.const 32) (i32.const 9) (i32.const 8))
      (memory.copy (i32.const 48) (i32.const 32) (i32.const 8))
      (memory.init $bytes (i32.const 64) (i32.const 0) (i32.const 4))
      (drop (memory.grow (i32.const 0)))
      (drop (memory.size))
      ;; tables and references
      (table.set (i32.const 1) (table.get (i32.const 0)))
      (drop (table.grow (ref.null func) (i32.const 0)))
      (table.fill (i32.const 2) (ref.func $id) (i32.const 1))
      (table.copy (i32.const 3) (i32.const 2) (i32.const 1))
      (table.init $seg (i32.const 2) (i32.const 0) (i32.const 2))
      (drop (table.size))
      (drop (ref.is_null (ref.func $id)))
      ;; numbers: through f64 and back, 64-bit constants, select
      (local.set $f (f64.floor (f64.convert_i32_u (local.get $x))))
      (local.set $f (f64.nearest (f64.ceil (f64.trunc (local.get $f)))))
      (local.set $x (i32.trunc_f64_u (local.get $f)))
      (global.set $big (i64.xor (i64.const 0x123456789abcdef) (global.get $big)))
      (local.set $x (select (local.get $x) (i32.const -1) (i32.ge_u (local.get $x) (i32.const 0))))
      ;; GC: x through a struct, an array, an i31 and casts
      (local.set $x
        (struct.get $pair 0
          (struct.new $pair (local.get $x) (v128.const i64x2 1 2) (struct.new_default $pair))))
      (local.set $s (array.new $arr (local.get $x) (i32.const 4)))
      (array.set $arr (local.get $s) (i32.const 1) (array.get $arr (local.get $s) (i32.const 0)))
      (array.fill $arr (local.get $s) (i32.const 2) (i32.const 0) (i32.const 2))
      (array.copy $arr $arr (local.get $s) (i32.const 2) (local.get $s) (i32.const 0) (i32.const 2))
      (drop (array.len (local.get $s)))
      (local.set $x (array.get $arr (local.get $s) (i32.const 3)))
      (drop (array.new_fixed $arr 2 (i32.const 1) (i32.const 2)))
      (drop (array.new_default $arr (i32.const 3)))
      (drop (array.new_data $bytes $more (i32.const 0) (i32.const 4)))
      (array.init_data $bytes $more
        (array.new_default $bytes (i32.const 4)) (i32.const 0) (i32.const 0) (i32.const 4))
      (array.init_elem $funcs $seg
        (array.new_elem $funcs $seg (i32.const 0) (i32.const 2)) (i32.const 0) (i32.const 1) (i32.const 1))
      (struct.set $pair 0 (struct.new_default $pair) (array.get_u $bytes (array.new_data $bytes $more (i32.const 0) (i32.const 4)) (i32.const 1)))
      (local.set $x (i31.get_u (ref.cast (ref i31) (ref.i31 (local.get $x)))))
      (drop (ref.test (ref $pair) (local.get $s)))
      (drop (ref.eq (local.get $s) (ref.cast (ref null $arr) (any.convert_extern (extern.convert_any (local.get $s))))))
      (drop (array.get_s $bytes (array.new_data $bytes $more (i32.const 0) (i32.const 4)) (i32.const 2)))
      (drop (block $f (result anyref)
        (br_on_cast_fail $f anyref (ref $arr) (local.get $s))))
      (drop (block $c (result (ref $arr))
        (br_on_cast $c (ref null $arr) (ref $arr) (local.get $s))
        (unreachable)))
      ;; SIMD: x through vectors, registers and memory
      (v128.store (i32.const 128) (i32x4.add (i32x4.splat (local.get $x)) (v128.const i32x4 0 0 0 0)))
      (local.set $x (i32x4.extract_lane 3 (v128.load (i32.const 128))))
      ;; br_table with a value kept in place
      (block $b2 (block $b1 (block $b0
        (br_table $b0 $b1 $b2 (i32.and (local.get $i) (i32.const 3))))
        (local.set $acc (i64.add (local.get $acc) (i64.const 0))))
        (nop))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $x))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (data.drop $bytes)
    (elem.drop $seg)
    (local.get $acc)))
"#;

fn run(dispatch: Dispatch, fuel: bool, n: i32) -> i64 {
    let engine = Engine::new(Config::new().dispatch(dispatch).consume_fuel(fuel)).unwrap();
    let module = Module::from_wat(&engine, EVERYTHING).unwrap();
    let mut store = Store::new(&engine, ());
    if fuel {
        store.set_fuel(u64::MAX / 2).unwrap();
    }
    let mut linker = Linker::new(&engine);
    let ty = FuncType {
        params: vec![ValType::I32],
        results: vec![ValType::I32],
    };
    linker
        .func_new("host", "id", ty, |_, args, results| {
            results[0] = args[0];
            Ok(())
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, "run").unwrap();
    let mut out = [Val::I64(0)];
    f.call(&mut store, &[Val::I32(n)], &mut out).unwrap();
    match out[0] {
        Val::I64(v) => v,
        other => panic!("unexpected result {other:?}"),
    }
}

#[test]
fn every_instruction_in_a_long_loop_runs_in_constant_native_stack_on_both_backends() {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let n: i64 = 100_000;
            let expected = n * (n - 1) / 2;
            for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
                for fuel in [false, true] {
                    assert_eq!(
                        run(dispatch, fuel, n as i32),
                        expected,
                        "{dispatch:?}, fuel {fuel}"
                    );
                }
            }
        })
        .expect("spawn")
        .join()
        .expect("thread panicked");
}

#[test]
fn optimised_builds_on_64_bit_targets_use_threaded_dispatch() {
    let engine = Engine::default();
    if cfg!(all(
        feature = "threaded",
        not(debug_assertions),
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        assert_eq!(engine.dispatch(), Dispatch::Threaded);
    } else {
        assert_eq!(engine.dispatch(), Dispatch::Loop);
    }
    let portable = Engine::new(Config::new().dispatch(Dispatch::Loop)).unwrap();
    assert_eq!(portable.dispatch(), Dispatch::Loop);
}
