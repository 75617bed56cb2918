//! Code is encoded for one backend (`CodeOptions::dispatch`): threaded code holds handler
//! addresses where portable code holds opcodes. Each runs on its own backend with the same
//! results, only portable code lists its instructions, and a store refuses to mix the two
//! (a run follows calls from one instance's code into another's).

use std::sync::Arc;

use spindle_exec::{
    call, compile, effective_dispatch, instantiate, CodeOptions, CompiledModule, Dispatch, Extern,
    Store, Translation, TypeRegistry, Val,
};

/// `sum(n)` = 0 + 1 + ... + n-1 through a call per step and a `br_table` (whose entries the
/// threaded encoding gives their targets' handlers); `shuffle()` reads a `v128.const` and an
/// `i8x16.shuffle`, whose second halves are `Data` slots after them.
const PROGRAM: &str = r#"
(module
  (func $step (param $acc i64) (param $i i32) (result i64)
    (block $odd (block $even
      (br_table $even $odd (i32.and (local.get $i) (i32.const 1))))
      (return (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i)))))
    (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
  (func (export "sum") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (call $step (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))
  (func (export "shuffle") (result i64)
    (i64x2.extract_lane 1
      (i8x16.shuffle 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
        (v128.const i64x2 0x0102030405060708 0x1112131415161718)
        (v128.const i64x2 0x2122232425262728 0x3132333435363738)))))
"#;

fn compiled(registry: &Arc<TypeRegistry>, dispatch: Dispatch) -> Arc<CompiledModule> {
    let buffer = wast::parser::ParseBuffer::new(PROGRAM).expect("lex");
    let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer).expect("parse");
    let bytes = wat.encode().expect("encode");
    let options = CodeOptions {
        dispatch,
        ..CodeOptions::default()
    };
    let features = spindle_validate::Features::default();
    Arc::new(
        compile(registry, &features, Translation::Eager, options, 1, &bytes).expect("compiles"),
    )
}

fn export(store: &Store, inst: u32, name: &str) -> u32 {
    match store.instances[inst as usize].exports.get(name) {
        Some(Extern::Func(f)) => *f,
        other => panic!("{name}: {other:?}"),
    }
}

fn run(store: &mut Store, inst: u32, name: &str, args: &[Val]) -> Val {
    let mut out = [Val::I64(0)];
    call(store, export(store, inst, name), args, &mut out).expect(name);
    out[0]
}

#[test]
fn each_encoding_runs_on_its_backend_and_a_store_keeps_to_one() {
    let registry = Arc::new(TypeRegistry::default());
    for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
        let module = compiled(&registry, dispatch);
        assert_eq!(module.dispatch, effective_dispatch(dispatch));
        let mut store = Store::new(registry.clone(), Box::new(()));
        let inst = instantiate(&mut store, &module, &[]).expect("instantiates");
        assert_eq!(
            run(&mut store, inst, "sum", &[Val::I32(100)]),
            Val::I64(4950)
        );
        assert_eq!(
            run(&mut store, inst, "shuffle", &[]),
            Val::I64(0x2122232425262728)
        );
        // A second instance of the same encoding joins the store.
        instantiate(&mut store, &module, &[]).expect("the same encoding");
        let code = module.code_ref(0).expect("translated");
        assert_eq!(code.dispatch(), module.dispatch);
        assert_eq!(
            code.instrs().is_some(),
            module.dispatch == Dispatch::Loop,
            "{dispatch:?}: only portable code lists its instructions"
        );
    }
    if effective_dispatch(Dispatch::Threaded) == Dispatch::Threaded {
        let (threaded, portable) = (
            compiled(&registry, Dispatch::Threaded),
            compiled(&registry, Dispatch::Loop),
        );
        for (first, second) in [(&threaded, &portable), (&portable, &threaded)] {
            let mut store = Store::new(registry.clone(), Box::new(()));
            instantiate(&mut store, first, &[]).expect("the first instance");
            let refused = instantiate(&mut store, second, &[]).expect_err("a mixed store");
            assert!(refused.to_string().contains("encoded for the"), "{refused}");
        }
    } else {
        eprintln!("skipped the mixed-store check: no threaded backend in this build");
    }
}
