//! Copies between locals that hold the same value already are not emitted (`equal.rs` in
//! the translator: which locals were copied to which, on every path, over Wasm's
//! structured control flow). Each function here copies `x = y` where the two are equal on
//! some paths only (a join after a block, an `if` with or without `else`, a loop's head,
//! a catch), and is checked on every path against the same computation in Rust, in every
//! translation and dispatch mode. `the_redundant_copies_go` makes sure the copies that
//! are redundant on every path do go, so that the others are tested against it.

use spindle::{Config, Dispatch, Engine, Instance, Module, Store, Translation};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

const MODULE: &str = r#"
(module
  (tag $e)

  ;; 0. An interpreter's loop: the head sets `cur = pc`; two cases copy it again without
  ;; touching either (redundant), one after changing `cur` (needed).
  (func (export "cases") (param $n i32) (result i32)
    (local $pc i32) (local $cur i32) (local $acc i32)
    (loop $top
      (local.set $cur (local.get $pc))
      (block $latch
        (block $b2
          (block $b1
            (block $b0
              (br_table $b0 $b1 $b2 (i32.rem_u (local.get $cur) (i32.const 3))))
            (local.set $acc (i32.add (local.get $acc) (local.get $cur)))
            (local.set $cur (local.get $pc))
            (br $latch))
          (local.set $cur (i32.mul (local.get $cur) (i32.const 2)))
          (local.set $acc (i32.xor (local.get $acc) (local.get $cur)))
          (local.set $cur (local.get $pc))
          (br $latch))
        (local.set $acc (i32.mul (local.get $acc) (i32.const 3)))
        (local.set $cur (local.get $pc)))
      (local.set $pc (i32.add (local.get $cur) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $pc) (local.get $n))))
    (local.get $acc))

  ;; 1. `x = y` inside an `if` without `else`: after it, the path that skipped the `then`
  ;; has `x` as it was, so the copy after the `if` is needed.
  (func (export "if_then") (param $y i32) (param $c i32) (result i32)
    (local $x i32)
    (local.set $x (i32.const 5))
    (if (local.get $c) (then (local.set $x (local.get $y))))
    (local.set $x (local.get $y))
    (local.get $x))

  ;; 2. `x = y` before a loop whose body changes `x` after copying again: the copy at the
  ;; loop's head is needed from the second round on.
  (func (export "loop_head") (param $y i32) (param $n i32) (result i32)
    (local $x i32) (local $s i32) (local $i i32)
    (local.set $x (local.get $y))
    (loop $l
      (local.set $x (local.get $y))
      (local.set $s (i32.add (local.get $s) (local.get $x)))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
        (local.get $n))))
    (i32.add (i32.mul (local.get $s) (i32.const 100)) (local.get $x)))

  ;; 3. A block left by a branch with `x = y` or by falling through with `x` changed: the
  ;; copy after it is needed on the second path.
  (func (export "block_join") (param $y i32) (param $c i32) (result i32)
    (local $x i32)
    (block $out
      (local.set $x (local.get $y))
      (br_if $out (local.get $c))
      (local.set $x (i32.const 5)))
    (local.set $x (local.get $y))
    (local.get $x))

  ;; 4. `x = y` on both arms of an `if`: the copy after it is redundant. With one arm
  ;; copying and the other not, it is needed. (Both return `x ^ c`: a copy returned as it
  ;; is would become a return of its source anyway.)
  (func (export "both_arms") (param $y i32) (param $c i32) (result i32)
    (local $x i32)
    (if (local.get $c)
      (then (local.set $x (local.get $y)))
      (else (local.set $x (local.get $y))))
    (local.set $x (local.get $y))
    (i32.xor (local.get $x) (local.get $c)))
  (func (export "one_arm") (param $y i32) (param $c i32) (result i32)
    (local $x i32)
    (if (local.get $c)
      (then (local.set $x (local.get $y)))
      (else (local.set $x (i32.const 5))))
    (local.set $x (local.get $y))
    (i32.xor (local.get $x) (local.get $c)))

  ;; 5. The `else` arm starts from the pairs at the `if`, not from the `then` arm's: the
  ;; `then` arm copies, the `else` arm must still copy.
  (func (export "else_arm") (param $y i32) (param $c i32) (result i32)
    (local $x i32)
    (local.set $x (i32.const 5))
    (if (local.get $c)
      (then (local.set $x (local.get $y)))
      (else (local.set $x (local.get $y))))
    (local.get $x))

  ;; 6. A throw (when `c`) after `x` changed inside a `try_table` whose catch goes where
  ;; `x = y` follows: at the `try_table`'s entry and at its end the two are equal, at the
  ;; throw not.
  (func (export "caught") (param $y i32) (param $c i32) (result i32)
    (local $x i32)
    (local.set $x (local.get $y))
    (block $h
      (try_table (catch $e $h)
        (local.set $x (i32.const 7))
        (if (local.get $c) (then (throw $e)))
        (local.set $x (local.get $y))))
    (local.set $x (local.get $y))
    (local.get $x))

  ;; 8. Two branches to one end, the first with `x` changed, the second after `x = y`.
  (func (export "two_branches") (param $y i32) (param $c i32) (result i32)
    (local $x i32)
    (block $out
      (local.set $x (i32.const 5))
      (br_if $out (local.get $c))
      (local.set $x (local.get $y))
      (br $out))
    (local.set $x (local.get $y))
    (local.get $x))

  ;; 7. A `br_table` to two labels, one with `x = y` on every path to it and one not.
  (func (export "table_join") (param $y i32) (param $k i32) (result i32)
    (local $x i32) (local $r i32)
    (block $second
      (block $first
        (local.set $x (local.get $y))
        (br_if $second (i32.eq (local.get $k) (i32.const 2)))
        (local.set $x (i32.const 5))
        (br_table $first $second (local.get $k)))
      ;; Reached from the table with `x` changed.
      (local.set $x (local.get $y))
      (local.set $r (i32.const 1000)))
    ;; Reached from both: `x` changed on the table's path and on `$first`'s fall-through
    ;; it was copied again.
    (local.set $x (local.get $y))
    (i32.add (local.get $r) (local.get $x)))
)
"#;

fn cases(n: u32) -> i32 {
    let (mut pc, mut acc) = (0u32, 0u32);
    loop {
        let mut cur = pc;
        match cur % 3 {
            0 => acc = acc.wrapping_add(cur),
            1 => {
                cur = cur.wrapping_mul(2);
                acc ^= cur;
            }
            _ => acc = acc.wrapping_mul(3),
        }
        cur = pc;
        pc = cur + 1;
        if pc >= n {
            return acc as i32;
        }
    }
}

fn loop_head(y: i32, n: u32) -> i32 {
    let (mut s, mut i) = (0i32, 0u32);
    let mut x;
    loop {
        x = y;
        s = s.wrapping_add(x);
        x = x.wrapping_add(1);
        i += 1;
        if i >= n {
            break;
        }
    }
    s.wrapping_mul(100).wrapping_add(x)
}

const MODES: [(Translation, Dispatch); 4] = [
    (Translation::Eager, Dispatch::Threaded),
    (Translation::Eager, Dispatch::Loop),
    (Translation::Lazy, Dispatch::Threaded),
    (Translation::Lazy, Dispatch::Loop),
];

fn setup(translation: Translation, dispatch: Dispatch) -> (Store<()>, Instance) {
    let mut config = Config::new();
    config.translation(translation).dispatch(dispatch);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wat(MODULE)).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

#[test]
fn every_path_gets_the_copied_value() {
    for (translation, dispatch) in MODES {
        let mode = format!("{translation:?}/{dispatch:?}");
        let (mut store, instance) = setup(translation, dispatch);
        let s = &mut store;
        let one = |s: &mut Store<()>, name: &str, a: i32| {
            let f = instance.get_typed_func::<i32, i32>(&*s, name).unwrap();
            f.call(s, a).unwrap()
        };
        let two = |s: &mut Store<()>, name: &str, a: i32, b: i32| {
            let f = instance
                .get_typed_func::<(i32, i32), i32>(&*s, name)
                .unwrap();
            f.call(s, (a, b)).unwrap()
        };
        for n in 0..30 {
            assert_eq!(one(s, "cases", n), cases(n as u32), "{mode} n={n}");
        }
        for y in [-3, 0, 41] {
            for c in [0, 1] {
                for name in [
                    "if_then",
                    "block_join",
                    "else_arm",
                    "caught",
                    "two_branches",
                ] {
                    assert_eq!(two(s, name, y, c), y, "{mode} {name} y={y} c={c}");
                }
                for name in ["both_arms", "one_arm"] {
                    assert_eq!(two(s, name, y, c), y ^ c, "{mode} {name} y={y} c={c}");
                }
            }
            for n in [1, 2, 5] {
                assert_eq!(
                    two(s, "loop_head", y, n),
                    loop_head(y, n as u32),
                    "{mode} y={y} n={n}"
                );
            }
            // k = 0: to `$first` (x changed, copied again there); 1 and past the table's
            // end: to `$second` with `x` changed; 2: to `$second` with `x = y`.
            assert_eq!(two(s, "table_join", y, 0), 1000 + y, "{mode} y={y}");
            for k in [1, 2, 7] {
                assert_eq!(two(s, "table_join", y, k), y, "{mode} y={y} k={k}");
            }
        }
    }
}

/// The number of copies between locals in each function's bytecode, by function index
/// (a `Copy2` counts two). Copies into the registers above the locals are not counted.
fn local_copies(disassembly: &str) -> Vec<usize> {
    let mut counts = Vec::new();
    let mut locals = 0;
    let reg = |field: &str| -> Option<u32> {
        field.split_once("=r")?.1.trim_end_matches(',').parse().ok()
    };
    for line in disassembly.lines() {
        if line.starts_with("func ") {
            counts.push(0);
        } else if let Some(header) = line.trim().strip_prefix("; ") {
            // "; 9 registers: 1 params, 6 locals, ..." (the locals counting the params)
            let words: Vec<&str> = header.split_whitespace().collect();
            locals = words[4].parse::<u32>().unwrap();
        } else if line.contains(": Copy") {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let regs: Vec<Option<u32>> = fields[2..].iter().map(|f| reg(f)).collect();
            for pair in regs.chunks(2) {
                if let [Some(d), Some(s)] = pair {
                    if *d < locals && *s < locals {
                        *counts.last_mut().unwrap() += 1;
                    }
                }
            }
        }
    }
    counts
}

#[test]
fn the_redundant_copies_go() {
    // The portable loop's code keeps the opcodes a listing needs.
    let engine = Engine::new(Config::new().dispatch(Dispatch::Loop)).unwrap();
    let module = Module::new(&engine, wat(MODULE)).unwrap();
    let counts = local_copies(&module.disassemble());
    // Functions in the module's order, numbered as in its comments (4 is two; 8 comes
    // before 7).
    assert_eq!(
        counts[0], 2,
        "cases: the head's copy and the one after `cur` changes"
    );
    assert_eq!(counts[4], 2, "both_arms: the copy after the `if` goes");
    assert_eq!(counts[5], 2, "one_arm: the copy after the `if` stays");
}
