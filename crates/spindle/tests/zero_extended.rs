//! Every `i32` is held zero-extended in its register (ARCHITECTURE.md, "Values in
//! registers"), so `i64.extend_i32_u` translates to nothing. Each export here makes an `i32`
//! with bit 31 set by one kind of producer and returns it zero-extended; a producer that
//! left the upper half of its register sign-extended (or stale) returns a different `i64`.
//! Run in every translation and dispatch mode.

use spindle::{
    Config, Dispatch, Engine, Func, FuncType, Global, GlobalType, Linker, Module, Mutability,
    Store, Translation, Val, ValType,
};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

/// Each export takes no parameters (or `$p`, which the test passes as -1) and returns
/// `i64.extend_i32_u` of one producer's negative `i32`.
const PRODUCERS: &str = r#"
(module
  (import "host" "minus_one" (func $host_typed (result i32)))
  (import "host" "minus_two" (func $host_dyn (result i32)))
  (import "host" "pair" (func $host_pair (result i32 i32)))
  (import "host" "g" (global $host_g i32))
  (import "host" "gm" (global $host_gm (mut i32)))
  (type $un (func (param i32) (result i32)))
  (type $s (struct (field i8) (field i16) (field i32)))
  (type $a16 (array (mut i16)))
  (type $a32 (array (mut i32)))
  (tag $t (param i32))
  (memory 1 1)
  (memory $m2 1 1)
  (memory $shared 1 1 shared)
  (table $tab 2 funcref)
  (table $small 1 1 funcref)
  (elem (table $tab) (i32.const 0) func $id $minus)
  (data (memory 0) (i32.const 0) "\ff\ff\ff\ff\80\00\00\00\00\80\00\00")
  (data $words "\fe\ff\ff\ff")
  (global $g i32 (i32.const -3))
  (global $g_ext i32 (i32.sub (i32.const 0) (i32.const 4)))
  (global $gm (mut i32) (i32.const 0))

  (func $id (param i32) (result i32) (local.get 0))
  (func $minus (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func $two (result i32 i32) (i32.const -5) (i32.const -6))
  (func $tail (param i32) (result i32) (return_call $id (local.get 0)))

  ;; Writes -1 as an `i64` to the first registers a following temporary takes.
  (func $dirty (result i64) (i64.add (i64.const -2) (i64.const 1)))

  ;; constants, parameters, locals, copies
  (func (export "const") (result i64) (i64.extend_i32_u (i32.const -7)))
  (func (export "const_local") (result i64) (local $x i32)
    (local.set $x (i32.const -7)) (drop (call $dirty)) (i64.extend_i32_u (local.get $x)))
  (func (export "param") (param $p i32) (result i64) (i64.extend_i32_u (local.get $p)))
  (func (export "select") (param $p i32) (result i64)
    (i64.extend_i32_u (select (i32.const -8) (local.get $p) (local.get $p))))
  (func (export "block") (result i64)
    (i64.extend_i32_u (block (result i32) (br 0 (i32.const -9)))))
  (func (export "loop_counter") (result i64) (local $i i32)
    (local.set $i (i32.const -20))
    (loop $l (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const -1)))
                               (i32.const -30))))
    (i64.extend_i32_u (local.get $i)))
  ;; numeric results
  (func (export "add") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.add (local.get $p) (local.get $p))))
  (func (export "add_imm") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.add (local.get $p) (i32.const -10))))
  (func (export "sub") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.sub (i32.const 1) (i32.const 12))))
  (func (export "mul") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.mul (local.get $p) (i32.const 13))))
  (func (export "div_s") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.div_s (i32.const 28) (local.get $p))))
  (func (export "rem_s") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.rem_s (i32.const -29) (i32.const 10))))
  (func (export "shl") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.shl (local.get $p) (i32.const 4))))
  (func (export "shr_s") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.shr_s (local.get $p) (i32.const 1))))
  (func (export "rotl") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.rotl (i32.const -2) (i32.const 1))))
  (func (export "xor") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.xor (local.get $p) (i32.const 14))))
  (func (export "or") (param $p i32) (result i64)
    (i64.extend_i32_u (i32.or (local.get $p) (local.get $p))))
  (func (export "wrap") (result i64)
    (i64.extend_i32_u (i32.wrap_i64 (i64.const -15))))
  (func (export "extend8_s") (result i64)
    (i64.extend_i32_u (i32.extend8_s (i32.const 0xf0))))
  (func (export "extend16_s") (result i64)
    (i64.extend_i32_u (i32.extend16_s (i32.const 0xfff0))))
  (func (export "trunc_f32_s") (result i64)
    (i64.extend_i32_u (i32.trunc_f32_s (f32.const -17.5))))
  (func (export "trunc_f64_s") (result i64)
    (i64.extend_i32_u (i32.trunc_f64_s (f64.const -18.5))))
  (func (export "trunc_f64_u") (result i64)
    (i64.extend_i32_u (i32.trunc_f64_u (f64.const 4294967277.0))))
  (func (export "trunc_sat_f32_s") (result i64)
    (i64.extend_i32_u (i32.trunc_sat_f32_s (f32.const -1e20))))
  (func (export "trunc_sat_f64_s") (result i64)
    (i64.extend_i32_u (i32.trunc_sat_f64_s (f64.const -20.5))))
  (func (export "reinterpret") (result i64)
    (i64.extend_i32_u (i32.reinterpret_f32 (f32.const -1.0))))
  ;; memory
  (func (export "load") (result i64) (i64.extend_i32_u (i32.load (i32.const 0))))
  (func (export "load8_s") (result i64) (i64.extend_i32_u (i32.load8_s (i32.const 4))))
  (func (export "load16_s") (result i64) (i64.extend_i32_u (i32.load16_s (i32.const 8))))
  (func (export "load_indexed") (result i64) (local $base i32) (local $i i32)
    ;; base + (index << 2), the fused indexed load
    (i64.extend_i32_u
      (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))))
  (func (export "load_other_memory") (result i64)
    (i32.store $m2 (i32.const 16) (i32.const -21))
    (i64.extend_i32_u (i32.load $m2 (i32.const 16))))
  (func (export "memory_grow") (result i64) (i64.extend_i32_u (memory.grow (i32.const 1))))
  (func (export "memory_grow_other") (result i64)
    (i64.extend_i32_u (memory.grow $m2 (i32.const 1))))
  (func (export "table_grow") (result i64)
    (i64.extend_i32_u (table.grow $small (ref.null func) (i32.const 1))))
  ;; globals
  (func (export "global") (result i64) (i64.extend_i32_u (global.get $g)))
  (func (export "global_ext") (result i64) (i64.extend_i32_u (global.get $g_ext)))
  (func (export "global_set") (param $p i32) (result i64)
    (global.set $gm (i32.add (local.get $p) (i32.const -21)))
    (i64.extend_i32_u (global.get $gm)))
  (func (export "global_host") (result i64) (i64.extend_i32_u (global.get $host_g)))
  (func (export "global_host_mut") (result i64) (i64.extend_i32_u (global.get $host_gm)))
  ;; calls
  (func (export "call") (result i64) (i64.extend_i32_u (call $id (i32.const -22))))
  (func (export "call_indirect") (result i64)
    (i64.extend_i32_u (call_indirect $tab (type $un) (i32.const 23) (i32.const 1))))
  (func (export "call_multi") (result i64) (local $a i32)
    (local.set $a (call $two)) (drop) (i64.extend_i32_u (local.get $a)))
  (func (export "call_tail") (result i64) (i64.extend_i32_u (call $tail (i32.const -24))))
  (func (export "call_host_typed") (result i64) (i64.extend_i32_u (call $host_typed)))
  (func (export "call_host_dyn") (result i64) (i64.extend_i32_u (call $host_dyn)))
  (func (export "call_host_pair") (result i64) (local $b i32)
    (local.set $b (call $host_pair)) (drop) (i64.extend_i32_u (local.get $b)))
  (func (export "exception") (result i64)
    (i64.extend_i32_u
      (block $h (result i32)
        (try_table (catch $t $h) (throw $t (i32.const -25)))
        (i32.const 0))))
  ;; SIMD
  (func (export "i8x16_extract_s") (result i64)
    (i64.extend_i32_u (i8x16.extract_lane_s 3 (v128.const i8x16 0 0 0 -26 0 0 0 0 0 0 0 0 0 0 0 0))))
  (func (export "i16x8_extract_s") (result i64)
    (i64.extend_i32_u (i16x8.extract_lane_s 1 (v128.const i16x8 0 -27 0 0 0 0 0 0))))
  (func (export "i32x4_extract") (result i64)
    (i64.extend_i32_u (i32x4.extract_lane 2 (v128.const i32x4 0 0 -28 0))))
  ;; atomics
  (func (export "atomic_load") (result i64)
    (i32.atomic.store $shared (i32.const 0) (i32.const -29))
    (i64.extend_i32_u (i32.atomic.load $shared (i32.const 0))))
  (func (export "atomic_rmw") (result i64)
    (i32.atomic.store $shared (i32.const 0) (i32.const -30))
    (i64.extend_i32_u (i32.atomic.rmw.add $shared (i32.const 0) (i32.const 1))))
  (func (export "atomic_cmpxchg") (result i64)
    (i32.atomic.store $shared (i32.const 0) (i32.const -31))
    (i64.extend_i32_u
      (i32.atomic.rmw.cmpxchg $shared (i32.const 0) (i32.const 0) (i32.const 5))))
  ;; GC
  (func (export "i31_get_s") (result i64)
    (i64.extend_i32_u (i31.get_s (ref.i31 (i32.const -32)))))
  (func (export "struct_get_s8") (result i64)
    (i64.extend_i32_u
      (struct.get_s $s 0 (struct.new $s (i32.const -33) (i32.const 0) (i32.const 0)))))
  (func (export "struct_get_i32") (result i64)
    (i64.extend_i32_u
      (struct.get $s 2 (struct.new $s (i32.const 0) (i32.const 0) (i32.const -34)))))
  (func (export "array_get_s16") (result i64)
    (i64.extend_i32_u (array.get_s $a16 (array.new $a16 (i32.const -35) (i32.const 2))
                                        (i32.const 1))))
  (func (export "array_new_data") (result i64)
    (i64.extend_i32_u
      (array.get $a32 (array.new_data $a32 $words (i32.const 0) (i32.const 1)) (i32.const 0))))
)
"#;

/// (export, its `i32` before the extension), the ones taking `$p` called with -1.
const EXPECTED: &[(&str, i32)] = &[
    ("const", -7),
    ("const_local", -7),
    ("param", -1),
    ("select", -8),
    ("block", -9),
    ("loop_counter", -30),
    ("add", -2),
    ("add_imm", -11),
    ("sub", -11),
    ("mul", -13),
    ("div_s", -28),
    ("rem_s", -9),
    ("shl", -16),
    ("shr_s", -1),
    ("rotl", -3),
    ("xor", -15),
    ("or", -1),
    ("wrap", -15),
    ("extend8_s", -16),
    ("extend16_s", -16),
    ("trunc_f32_s", -17),
    ("trunc_f64_s", -18),
    ("trunc_f64_u", -19),
    ("trunc_sat_f32_s", i32::MIN),
    ("trunc_sat_f64_s", -20),
    ("reinterpret", 0xbf80_0000_u32 as i32),
    ("load", -1),
    ("load8_s", -128),
    ("load16_s", -32768),
    ("load_indexed", -1),
    ("load_other_memory", -21),
    ("memory_grow", -1),
    ("memory_grow_other", -1),
    ("table_grow", -1),
    ("global", -3),
    ("global_ext", -4),
    ("global_set", -22),
    ("global_host", -40),
    ("global_host_mut", -41),
    ("call", -22),
    ("call_indirect", -23),
    ("call_multi", -6),
    ("call_tail", -24),
    ("call_host_typed", -1),
    ("call_host_dyn", -2),
    ("call_host_pair", -42),
    ("exception", -25),
    ("i8x16_extract_s", -26),
    ("i16x8_extract_s", -27),
    ("i32x4_extract", -28),
    ("atomic_load", -29),
    ("atomic_rmw", -30),
    ("atomic_cmpxchg", -31),
    ("i31_get_s", -32),
    ("struct_get_s8", -33),
    ("struct_get_i32", -34),
    ("array_get_s16", -35),
    ("array_new_data", -2),
];

fn check_mode(translation: Translation, dispatch: Dispatch) {
    let mode = format!("{translation:?}/{dispatch:?}");
    let mut config = Config::new();
    config
        .translation(translation)
        .dispatch(dispatch)
        .wasm_threads(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wat(PRODUCERS)).unwrap();
    let mut store = Store::new(&engine, ());
    let typed = Func::wrap(&mut store, || -> i32 { -1 });
    let dynamic = Func::new(
        &mut store,
        FuncType::new(&engine, [], [ValType::I32]),
        |_, _, results| {
            results[0] = Val::I32(-2);
            Ok(())
        },
    );
    let pair = Func::wrap(&mut store, || -> (i32, i32) { (-43, -42) });
    let g = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(-40),
    )
    .unwrap();
    let gm = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Var),
        Val::I32(0),
    )
    .unwrap();
    gm.set(&mut store, Val::I32(-41)).unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .define(&store, "host", "minus_one", typed)
        .unwrap()
        .define(&store, "host", "minus_two", dynamic)
        .unwrap()
        .define(&store, "host", "pair", pair)
        .unwrap()
        .define(&store, "host", "g", g)
        .unwrap()
        .define(&store, "host", "gm", gm)
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();

    let exports: Vec<String> = module.exports().map(|e| e.name().to_string()).collect();
    assert_eq!(
        exports.len(),
        EXPECTED.len(),
        "every export has its expected value"
    );
    for &(name, value) in EXPECTED {
        let want = value as u32 as i64;
        let f = instance.get_func(&mut store, name).unwrap();
        let params: &[Val] = if f.ty(&store).params().len() == 1 {
            &[Val::I32(-1)]
        } else {
            &[]
        };
        let mut out = [Val::I64(0)];
        f.call(&mut store, params, &mut out)
            .unwrap_or_else(|e| panic!("{mode} {name}: {e}"));
        assert_eq!(out[0], Val::I64(want), "{mode} {name}: the Val call");
        // The typed entry puts its arguments in registers itself.
        if !params.is_empty() {
            let typed = instance.get_typed_func::<i32, i64>(&store, name).unwrap();
            assert_eq!(
                typed.call(&mut store, -1).unwrap(),
                want,
                "{mode} {name}: typed"
            );
        }
    }
}

#[test]
fn every_i32_producer_leaves_its_register_zero_extended() {
    for translation in [Translation::Eager, Translation::Lazy] {
        for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
            check_mode(translation, dispatch);
        }
    }
}
