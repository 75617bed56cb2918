//! Copy folding (`fold_copies` in the translator): copies between locals that the code
//! around them makes unneeded go, and the reads of one register read the other. Each
//! function here has copies that can go next to ones that must stay (the value changed on
//! some path, another path bringing another value, a copy back), and is checked against
//! the same computation in Rust, on every path, in every translation and dispatch mode.
//! `the_foldable_copies_go` makes sure the pass does fold the ones it may, so that the
//! others are tested against it.

use spindle::{Config, Dispatch, Engine, Instance, Module, Store, Translation};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

const MODULE: &str = r#"
(module
  (memory 1)
  (data (i32.const 16) "  AB")
  (func $id (param i32) (result i32) (local.get 0))

  ;; 1. A pointer stepped down through a second local (`t = p - 4; p = t`), which is read
  ;; after the loop: `p` can be computed in place and `t`'s read read `p`.
  (func (export "step_down") (param $n i32) (result i32)
    (local $p i32) (local $t i32)
    (local.set $p (i32.const 1000))
    (loop $l
      (local.set $p (local.tee $t (i32.sub (local.get $p) (i32.const 4))))
      (br_if $l (i32.gt_u (local.get $p) (local.get $n))))
    (i32.add (i32.mul (local.get $t) (i32.const 3)) (local.get $p)))

  ;; 2. `x = y`, then `x` changes before `y` is read: that read must not read `x`.
  (func (export "changed_after") (param $a i32) (result i32)
    (local $x i32) (local $y i32)
    (local.set $x (local.tee $y (i32.mul (local.get $a) (i32.const 3))))
    (local.set $x (i32.add (local.get $x) (i32.const 1)))
    (i32.add (i32.mul (local.get $y) (i32.const 100)) (local.get $x)))

  ;; 3. `y` computed and copied on one path only: after the join, `y` may be the 7 of the
  ;; other path, so its read must stay `y`'s.
  (func (export "one_path") (param $a i32) (param $c i32) (result i32)
    (local $x i32) (local $y i32)
    (local.set $y (i32.const 7))
    (if (local.get $c)
      (then (local.set $x (local.tee $y (i32.add (local.get $a) (i32.const 1))))))
    (i32.add (i32.mul (local.get $y) (i32.const 1000)) (local.get $x)))

  ;; 4. The same copy three times: the second is needed when `c` changed `x`, the third
  ;; never is.
  (func (export "again") (param $a i32) (param $c i32) (result i32)
    (local $x i32) (local $y i32)
    (local.set $y (i32.mul (local.get $a) (i32.const 5)))
    (local.set $x (local.get $y))
    (if (local.get $c) (then (local.set $x (i32.const 9))))
    (local.set $x (local.get $y))
    (if (local.get $c) (then (i32.store (i32.const 0) (local.get $x))))
    (local.set $x (local.get $y))
    (i32.add (i32.mul (local.get $x) (i32.const 3)) (local.get $y)))

  ;; 5. An interpreter's loop: the head sets `cur = pc`; two cases copy it again without
  ;; touching either (not needed), one after changing `cur` (needed).
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

  ;; 6. `x = y` away from `y`'s computation, then `y` changes: `x`'s read must stay `x`'s.
  (func (export "source_changed") (param $a i32) (result i32)
    (local $x i32) (local $y i32)
    (local.set $y (i32.add (local.get $a) (i32.const 2)))
    (i32.store (i32.const 0) (local.get $a))
    (local.set $x (local.get $y))
    (local.set $y (i32.add (local.get $y) (i32.const 10)))
    (i32.add (i32.mul (local.get $x) (i32.const 100)) (local.get $y)))

  ;; 7. `y = ...; x = y`, then on one path `x` changes and `y = x` copies it back: `y`'s
  ;; read after the join is `x` on both.
  (func (export "copied_back") (param $a i32) (param $c i32) (result i32)
    (local $x i32) (local $y i32)
    (local.set $x (local.tee $y (i32.add (local.get $a) (i32.const 1))))
    (if (local.get $c)
      (then
        (local.set $x (i32.mul (local.get $x) (i32.const 3)))
        (local.set $y (local.get $x))))
    (i32.add (i32.mul (local.get $y) (i32.const 1000)) (local.get $x)))

  ;; 8. Calls between the copy and the reads (a call's frame lies above the locals).
  (func (export "across_calls") (param $a i32) (result i32)
    (local $x i32) (local $y i32)
    (local.set $x (local.tee $y (i32.mul (local.get $a) (i32.const 7))))
    (drop (call $id (local.get $a)))
    (i32.add (local.get $y) (call $id (local.get $x))))

  ;; 9. Both locals returned together, one changed after the copy.
  (func (export "pair") (param $a i32) (result i32 i32)
    (local $x i32) (local $y i32)
    (local.set $x (local.tee $y (i32.add (local.get $a) (i32.const 5))))
    (local.set $x (i32.add (local.get $x) (i32.const 1)))
    (local.get $x) (local.get $y))

  ;; 10. A loop that is the function's first instruction, reading a parameter that a copy
  ;; sets (away from its computation) for the next round: the entry comes to the read too,
  ;; with the parameter as called, so the read must stay the parameter's.
  (func (export "skip_spaces") (param $p i32) (result i32)
    (local $c i32) (local $t i32)
    (loop $l
      (local.set $c (i32.load8_u (local.get $p)))
      (local.set $t (i32.add (local.get $p) (i32.const 1)))
      (i32.store8 offset=100 (i32.const 0) (local.get $c))
      (local.set $p (local.get $t))
      (br_if $l (i32.eq (local.get $c) (i32.const 32))))
    (i32.add (i32.mul (local.get $p) (i32.const 1000)) (local.get $c)))

  ;; 11. A loop counter through a second local (`j = i + 1; i = j`), `j` read after.
  (func (export "counter") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (local.tee $j (i32.add (local.get $i) (i32.const 1))))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.add (i32.mul (local.get $s) (i32.const 10)) (local.get $j)))
)
"#;

fn step_down(n: u32) -> i32 {
    let mut p = 1000u32;
    let mut t;
    loop {
        t = p.wrapping_sub(4);
        p = t;
        if p <= n {
            break;
        }
    }
    (t.wrapping_mul(3)).wrapping_add(p) as i32
}

fn cases(n: u32) -> i32 {
    let (mut pc, mut acc) = (0u32, 0u32);
    loop {
        let mut cur = pc;
        match cur % 3 {
            0 => {
                acc = acc.wrapping_add(cur);
                cur = pc;
            }
            1 => {
                cur = cur.wrapping_mul(2);
                acc ^= cur;
                cur = pc;
            }
            _ => {
                acc = acc.wrapping_mul(3);
                cur = pc;
            }
        }
        pc = cur + 1;
        if pc >= n {
            return acc as i32;
        }
    }
}

fn counter(n: u32) -> i32 {
    let (mut i, mut s) = (0u32, 0u32);
    let mut j;
    loop {
        s = s.wrapping_add(i);
        j = i + 1;
        i = j;
        if i >= n {
            break;
        }
    }
    s.wrapping_mul(10).wrapping_add(j) as i32
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
fn folded_code_computes_what_the_copies_did() {
    for (translation, dispatch) in MODES {
        let mode = format!("{translation:?}/{dispatch:?}");
        let (mut store, instance) = setup(translation, dispatch);
        let s = &mut store;
        let one = |s: &mut Store<()>, name: &str, a: i32| {
            let f = instance.get_typed_func::<i32, i32>(&*s, name).unwrap();
            f.call(s, a).unwrap()
        };
        let two = |s: &mut Store<()>, name: &str, a: i32, c: i32| {
            let f = instance
                .get_typed_func::<(i32, i32), i32>(&*s, name)
                .unwrap();
            f.call(s, (a, c)).unwrap()
        };
        for n in [0, 1, 99, 500, 995, 996, 2000] {
            assert_eq!(one(s, "step_down", n), step_down(n as u32), "{mode} n={n}");
        }
        for a in [-3, 0, 1, 41] {
            let w = |x: i32, k: i32| x.wrapping_mul(k);
            assert_eq!(
                one(s, "changed_after", a),
                w(w(a, 3), 100) + w(a, 3) + 1,
                "{mode} a={a}"
            );
            assert_eq!(two(s, "one_path", a, 0), 7000, "{mode} a={a}");
            assert_eq!(two(s, "one_path", a, 1), w(a + 1, 1001), "{mode} a={a}");
            for c in [0, 1] {
                assert_eq!(two(s, "again", a, c), w(a, 20), "{mode} a={a} c={c}");
            }
            assert_eq!(
                one(s, "source_changed", a),
                w(a + 2, 100) + a + 12,
                "{mode} a={a}"
            );
            assert_eq!(two(s, "copied_back", a, 0), w(a + 1, 1001), "{mode} a={a}");
            assert_eq!(
                two(s, "copied_back", a, 1),
                w(w(a + 1, 3), 1001),
                "{mode} a={a}"
            );
            assert_eq!(one(s, "across_calls", a), w(a, 14), "{mode} a={a}");
            let pair = instance
                .get_typed_func::<i32, (i32, i32)>(&*s, "pair")
                .unwrap();
            assert_eq!(
                pair.call(&mut *s, a).unwrap(),
                (a + 6, a + 5),
                "{mode} a={a}"
            );
        }
        // Memory holds "  AB" from 16.
        assert_eq!(one(s, "skip_spaces", 16), 19065, "{mode}");
        assert_eq!(one(s, "skip_spaces", 17), 19065, "{mode}");
        assert_eq!(one(s, "skip_spaces", 19), 20066, "{mode}");
        for n in 0..30 {
            assert_eq!(one(s, "cases", n), cases(n as u32), "{mode} n={n}");
            assert_eq!(one(s, "counter", n), counter(n as u32), "{mode} n={n}");
        }
    }
}

/// The number of copies between locals in each function's bytecode, by function index
/// (a `Copy2` counts two). Copies into the registers above the locals (call arguments)
/// are not counted.
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
fn the_foldable_copies_go() {
    let engine = Engine::new(&Config::new()).unwrap();
    let module = Module::new(&engine, wat(MODULE)).unwrap();
    let counts = local_copies(&module.disassemble());
    // Function 0 is `$id`; the exports follow in order.
    let by_name = |i: usize| counts[i];
    assert_eq!(
        by_name(1),
        0,
        "step_down: `p = t` folded into `t`'s computation"
    );
    // Even the copy after `cur` changes goes: the latch then reads `pc`, equal to `cur`
    // on every path to it, and the head's copy with it.
    assert_eq!(
        by_name(5),
        0,
        "cases: `cur` read as `pc` wherever the two are equal"
    );
    assert_eq!(
        by_name(7),
        0,
        "copied_back: both copies go, `y` read as `x`"
    );
    assert_eq!(
        by_name(8),
        0,
        "across_calls: the copy goes across the calls"
    );
    assert_eq!(
        by_name(11),
        0,
        "counter: `i = j` folded into `j`'s computation"
    );
}
