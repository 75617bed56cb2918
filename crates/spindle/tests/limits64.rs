//! 64-bit memories and tables at the edges of their index space: growing a 64-bit memory to
//! 2^48 pages fails (its byte size would not fit) and leaves it as it was; a 64-bit table
//! index of 2^32 or more is out of bounds, not wrapped to a small one; a 64-bit
//! `table.grow` that fails returns -1 as an i64. Both dispatch backends.

use spindle::{Config, Dispatch, Engine, Linker, Module, Store, Val};

const MODULE: &str = r#"
(module
  (memory i64 1)
  (type $v (func (result i32)))
  (table $t i64 1 funcref)
  (elem (table $t) (i64.const 0) func $f)
  (func $f (result i32) (i32.const 42))
  (func (export "grow_to_2_48") (result i64) (memory.grow (i64.const 0xFFFFFFFFFFFF)))
  (func (export "size") (result i64) (memory.size))
  (func (export "call") (param i64) (result i32) (call_indirect $t (type $v) (local.get 0)))
  (func (export "get_is_null") (param i64) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "table_grow") (param i64) (result i64)
    (table.grow $t (ref.null func) (local.get 0))))
"#;

#[test]
fn sixty_four_bit_indices_are_not_truncated() {
    for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
        let engine = Engine::new(Config::new().dispatch(dispatch)).unwrap();
        let module = Module::from_wat(&engine, MODULE).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let mut call = |name: &str, args: &[Val]| {
            let f = instance.get_func(&store, name).unwrap();
            let mut out = [Val::I64(0)];
            if name == "call" || name == "get_is_null" {
                out = [Val::I32(0)];
            }
            f.call(&mut store, args, &mut out)
                .map(|()| out[0])
                .map_err(|e| e.to_string())
        };
        assert_eq!(call("grow_to_2_48", &[]), Ok(Val::I64(-1)), "{dispatch:?}");
        assert_eq!(call("size", &[]), Ok(Val::I64(1)), "{dispatch:?}");
        assert_eq!(
            call("call", &[Val::I64(0)]),
            Ok(Val::I32(42)),
            "{dispatch:?}"
        );
        for index in [1i64 << 32, 1, -1] {
            let err = call("call", &[Val::I64(index)]).unwrap_err();
            assert!(
                err.contains("undefined element"),
                "{dispatch:?} {index}: {err}"
            );
            let err = call("get_is_null", &[Val::I64(index)]).unwrap_err();
            assert!(
                err.contains("out of bounds table"),
                "{dispatch:?} {index}: {err}"
            );
        }
        // 2^32 + 1 elements is past every limit: -1, as an i64.
        assert_eq!(
            call("table_grow", &[Val::I64((1 << 32) + 1)]),
            Ok(Val::I64(-1)),
            "{dispatch:?}"
        );
        assert_eq!(
            call("table_grow", &[Val::I64(1)]),
            Ok(Val::I64(1)),
            "{dispatch:?}"
        );
    }
}
