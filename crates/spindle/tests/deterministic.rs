//! Deterministic mode (`Config::deterministic`): NaN results of float arithmetic are
//! canonical, bit-exact operators keep their bits, and nothing else changes.

use spindle::{Config, Dispatch, Engine, Linker, Module, Store, Translation, Val};

const MODULE: &str = r#"(module
    (memory (export "memory") 1)
    (func (export "f32_add") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
    (func (export "f32_sqrt") (param f32) (result f32) (f32.sqrt (local.get 0)))
    (func (export "f32_neg") (param f32) (result f32) (f32.neg (local.get 0)))
    (func (export "f32_demote") (param f64) (result f32) (f32.demote_f64 (local.get 0)))
    (func (export "f64_div") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
    (func (export "f64_promote") (param f32) (result f64) (f64.promote_f32 (local.get 0)))
    (func (export "f64_copysign") (param f64 f64) (result f64)
      (f64.copysign (local.get 0) (local.get 1)))
    (func (export "f64_reinterpret") (param i64) (result f64) (f64.reinterpret_i64 (local.get 0)))
    ;; Lane 0 of f32x4.mul of splats; and f64x2.sqrt's lane 1.
    (func (export "f32x4_mul") (param f32 f32) (result f32)
      (f32x4.extract_lane 0 (f32x4.mul (f32x4.splat (local.get 0)) (f32x4.splat (local.get 1)))))
    (func (export "f64x2_sqrt") (param f64) (result f64)
      (f64x2.extract_lane 1 (f64x2.sqrt (f64x2.splat (local.get 0)))))
    ;; A loop of float work whose bits land in memory.
    (func (export "fill") (param $n i32)
      (local $i i32) (local $x f64)
      (local.set $x (f64.const -1))
      (loop $l
        (f64.store (i32.shl (local.get $i) (i32.const 3))
          (f64.add (f64.sqrt (local.get $x)) (f64.convert_i32_s (local.get $i))))
        (local.set $x (f64.sub (local.get $x) (f64.const 0.5)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))"#;

const NAN32: u32 = 0x7fc0_0000;
const NAN64: u64 = 0x7ff8_0000_0000_0000;
/// NaNs with a sign and a payload.
const PAYLOAD32: u32 = 0xffc0_1234;
const PAYLOAD64: u64 = 0xfff8_0000_0000_5678;

fn engine(deterministic: bool, translation: Translation, dispatch: Dispatch) -> Engine {
    let mut c = Config::new();
    c.deterministic(deterministic)
        .translation(translation)
        .dispatch(dispatch);
    Engine::new(&c).unwrap()
}

fn call(store: &mut Store<()>, inst: &spindle::Instance, name: &str, args: &[Val]) -> Val {
    let f = inst.get_func(&mut *store, name).unwrap();
    let mut out = [Val::I32(0)];
    f.call(&mut *store, args, &mut out).unwrap();
    out[0]
}

fn bits(v: Val) -> u64 {
    match v {
        Val::F32(b) => b.into(),
        Val::F64(b) => b,
        other => panic!("{other:?}"),
    }
}

#[test]
fn nan_results_are_canonical_and_bit_exact_operators_untouched() {
    let modes = [
        (Translation::Eager, Dispatch::Threaded),
        (Translation::Lazy, Dispatch::Threaded),
        (Translation::Eager, Dispatch::Loop),
    ];
    for (translation, dispatch) in modes {
        let e = engine(true, translation, dispatch);
        let module = Module::new(&e, MODULE).unwrap();
        let mut store = Store::new(&e, ());
        let inst = Linker::new(&e).instantiate(&mut store, &module).unwrap();
        let mut r = |name: &str, args: &[Val]| bits(call(&mut store, &inst, name, args));
        let one32 = Val::F32(1.0f32.to_bits());
        // Arithmetic: canonical, whatever NaN went in or the hardware made.
        assert_eq!(r("f32_add", &[Val::F32(PAYLOAD32), one32]), NAN32.into());
        assert_eq!(
            r("f32_sqrt", &[Val::F32((-1.0f32).to_bits())]),
            NAN32.into()
        );
        assert_eq!(r("f32_demote", &[Val::F64(PAYLOAD64)]), NAN32.into());
        let zero = Val::F64(0);
        assert_eq!(r("f64_div", &[zero, zero]), NAN64);
        assert_eq!(r("f64_promote", &[Val::F32(PAYLOAD32)]), NAN64);
        assert_eq!(r("f32x4_mul", &[Val::F32(PAYLOAD32), one32]), NAN32.into());
        assert_eq!(r("f64x2_sqrt", &[Val::F64((-4.0f64).to_bits())]), NAN64);
        // Numbers are numbers.
        assert_eq!(r("f32_add", &[one32, one32]), 2.0f32.to_bits().into());
        assert_eq!(
            r("f64x2_sqrt", &[Val::F64(16.0f64.to_bits())]),
            4.0f64.to_bits()
        );
        // Bit-exact operators keep the bits.
        assert_eq!(
            r("f32_neg", &[Val::F32(PAYLOAD32)]),
            (PAYLOAD32 ^ 0x8000_0000).into()
        );
        assert_eq!(
            r("f64_copysign", &[Val::F64(PAYLOAD64), zero]),
            PAYLOAD64 & !(1 << 63)
        );
        assert_eq!(
            r("f64_reinterpret", &[Val::I64(PAYLOAD64 as i64)]),
            PAYLOAD64
        );
    }
}

#[test]
fn without_it_the_payload_survives_where_the_hardware_keeps_it() {
    // Not a requirement of the specification: what this machine does, shown so that the
    // test above cannot pass by accident of the platform.
    let e = engine(false, Translation::Eager, Dispatch::Threaded);
    let module = Module::new(&e, MODULE).unwrap();
    let mut store = Store::new(&e, ());
    let inst = Linker::new(&e).instantiate(&mut store, &module).unwrap();
    let got = bits(call(
        &mut store,
        &inst,
        "f32_add",
        &[Val::F32(PAYLOAD32), Val::F32(1.0f32.to_bits())],
    ));
    assert!(f32::from_bits(got as u32).is_nan());
    if cfg!(target_arch = "x86_64") {
        assert_eq!(got, PAYLOAD32.into(), "x86-64 propagates the NaN operand");
        let zero = Val::F64(0);
        let div = bits(call(&mut store, &inst, "f64_div", &[zero, zero]));
        assert_eq!(
            div, 0xfff8_0000_0000_0000,
            "x86-64's default NaN is negative"
        );
    }
}

#[test]
fn two_runs_give_bit_identical_memories_and_fuel() {
    let run = || {
        let mut c = Config::new();
        c.deterministic(true).consume_fuel(true);
        let e = Engine::new(&c).unwrap();
        let module = Module::new(&e, MODULE).unwrap();
        let mut store = Store::new(&e, ());
        store.set_fuel(1_000_000).unwrap();
        let inst = Linker::new(&e).instantiate(&mut store, &module).unwrap();
        let f = inst.get_func(&mut store, "fill").unwrap();
        f.call(&mut store, &[Val::I32(1000)], &mut []).unwrap();
        let mem = inst.get_memory(&mut store, "memory").unwrap();
        (mem.data(&store)[..8000].to_vec(), store.get_fuel().unwrap())
    };
    let (a, fuel_a) = run();
    let (b, fuel_b) = run();
    assert_eq!(a, b);
    assert_eq!(fuel_a, fuel_b);
    // Every square root of a negative number stored the canonical NaN (plus i: still NaN).
    let first = u64::from_le_bytes(a[..8].try_into().unwrap());
    assert_eq!(first, NAN64);
}
