//! Tail duplication (`duplicate_short_tails` in the translator): a `br` to a loop's head
//! whose code there is a short run ending in a table jump (a bytecode interpreter's fetch
//! and dispatch) or in a branch back (a loop's latch) gets a copy of that run instead. The
//! copies must behave as the jump did: the same results, a trap in a copy reported where the
//! original traps, the fall-through of a copied latch, fuel charged the same per round, in
//! every translation and dispatch mode; and a run that allocates is not copied (its
//! collector map stays the only one).

use spindle::{Config, Dispatch, Engine, Instance, Module, Store, Translation, WasmBacktrace};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

/// A small bytecode machine: each instruction is two words at `pc * 8` (opcode, argument).
/// Opcodes: 0 `n = arg`, 1 `acc += n`, 2 `n -= 1`, 3 jump to `arg` if `n != 0`, 4
/// `acc += mem[arg]` (traps out of bounds), 5 halt. Every case ends with a `br` to the
/// fetch and table jump at the loop's head, so each gets a copy of them; `run(pc)` starts
/// at `pc`, and a fetch out of memory traps in whichever copy makes it.
const MACHINE: &str = r#"
(module
  (memory (export "mem") 1)
  (func (export "run") (param $pc i32) (result i32)
    (local $acc i32) (local $n i32)
    (loop $next
      (block $halt
      (block $load
      (block $jnz
      (block $dec
      (block $add
      (block $set
        (br_table $set $add $dec $jnz $load $halt $halt
          (i32.load (i32.shl (local.get $pc) (i32.const 3)))))
        (local.set $n (i32.load offset=4 (i32.shl (local.get $pc) (i32.const 3))))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
        (local.set $pc
          (if (result i32) (local.get $n)
            (then (i32.load offset=4 (i32.shl (local.get $pc) (i32.const 3))))
            (else (i32.add (local.get $pc) (i32.const 1)))))
        (br $next))
        (local.set $acc (i32.add (local.get $acc)
          (i32.load (i32.load offset=4 (i32.shl (local.get $pc) (i32.const 3))))))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
      (return (local.get $acc)))
    unreachable)

  ;; A loop whose cases each jump to its latch (`i += 1`, then back while `i < n`): each
  ;; case gets a copy of the latch and a `br` to the loop's exit after it.
  (func (export "cases") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $top
      (block $latch
        (block $c2
        (block $c1
        (block $c0
          (br_table $c0 $c1 $c2 (i32.rem_u (local.get $i) (i32.const 3))))
          (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
          (br $latch))
          (local.set $acc (i32.mul (local.get $acc) (i32.const 3)))
          (br $latch))
        (local.set $acc (i32.xor (local.get $acc) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
"#;

/// `cases(n)` computed directly.
fn cases(n: u32) -> i32 {
    let mut acc = 0i32;
    let mut i = 0u32;
    loop {
        match i % 3 {
            0 => acc = acc.wrapping_add(1),
            1 => acc = acc.wrapping_mul(3),
            _ => acc ^= i as i32,
        }
        i += 1;
        if i >= n {
            return acc;
        }
    }
}

fn setup(translation: Translation, dispatch: Dispatch, fuel: bool) -> (Store<()>, Instance) {
    let mut config = Config::new();
    config
        .translation(translation)
        .dispatch(dispatch)
        .consume_fuel(fuel);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wat(MACHINE)).unwrap();
    let mut store = Store::new(&engine, ());
    if fuel {
        store.set_fuel(u64::MAX).unwrap();
    }
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

/// Writes `program` (opcode, argument pairs) at address 0.
fn load_program(store: &mut Store<()>, instance: &Instance, program: &[(i32, i32)]) {
    load_program_at(store, instance, 0, program)
}

fn load_program_at(store: &mut Store<()>, instance: &Instance, at: usize, program: &[(i32, i32)]) {
    let memory = instance.get_memory(&mut *store, "mem").unwrap();
    let bytes: Vec<u8> = program
        .iter()
        .flat_map(|(op, arg)| op.to_le_bytes().into_iter().chain(arg.to_le_bytes()))
        .collect();
    memory.write(&mut *store, at, &bytes).unwrap();
}

/// The module offset of the innermost frame of a trap.
fn trap_offset(e: &spindle::Error) -> usize {
    let bt = e.downcast_ref::<WasmBacktrace>().expect("a backtrace");
    bt.frames()[0].module_offset().expect("an offset")
}

const MODES: [(Translation, Dispatch); 4] = [
    (Translation::Eager, Dispatch::Threaded),
    (Translation::Eager, Dispatch::Loop),
    (Translation::Lazy, Dispatch::Threaded),
    (Translation::Lazy, Dispatch::Loop),
];

#[test]
fn an_interpreter_loop_runs_through_its_copied_dispatch() {
    for (translation, dispatch) in MODES {
        let mode = format!("{translation:?}/{dispatch:?}");
        let (mut store, instance) = setup(translation, dispatch, false);
        // n = 10; loop: acc += n; n -= 1; jnz loop; then acc += mem[8]; halt.
        let program = [(0, 10), (1, 0), (2, 0), (3, 1), (4, 4), (5, 0)];
        load_program(&mut store, &instance, &program);
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        // mem[4] is the first instruction's argument, 10.
        assert_eq!(run.call(&mut store, 0).unwrap(), 55 + 10, "{mode}");
        // Started at the halt.
        assert_eq!(run.call(&mut store, 5).unwrap(), 0, "{mode}");

        // A fetch out of bounds, first at the head itself (pc out of memory from the
        // start), then in a copy: the `set` case in memory's last eight bytes moves pc
        // past the end.
        let at_head = run.call(&mut store, 1 << 20).unwrap_err();
        let last = 65536 / 8 - 1;
        load_program_at(&mut store, &instance, last as usize * 8, &[(0, 0)]);
        let in_copy = run.call(&mut store, last).unwrap_err();
        assert_eq!(
            trap_offset(&at_head),
            trap_offset(&in_copy),
            "{mode}: both traps are the fetch's `i32.load`"
        );
        // The store stays usable after the traps.
        load_program(&mut store, &instance, &program);
        assert_eq!(run.call(&mut store, 0).unwrap(), 65, "{mode}");
    }
}

#[test]
fn copied_latches_fall_through_to_the_loop_exit() {
    for (translation, dispatch) in MODES {
        let mode = format!("{translation:?}/{dispatch:?}");
        let (mut store, instance) = setup(translation, dispatch, false);
        let f = instance
            .get_typed_func::<u32, i32>(&store, "cases")
            .unwrap();
        // n from 1 (the loop leaves through case 0's copy on its first round) up, so that
        // the exit is taken from each case's copy.
        for n in 1..40 {
            assert_eq!(f.call(&mut store, n).unwrap(), cases(n), "{mode} n={n}");
        }
    }
}

#[test]
fn fuel_per_round_is_the_same_through_copies() {
    for (translation, dispatch) in MODES {
        let mode = format!("{translation:?}/{dispatch:?}");
        let (mut store, instance) = setup(translation, dispatch, true);
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        // `n` rounds of the same three cases; the first dispatch is the head's own, the
        // rest are copies'. The fuel each round costs must not depend on which.
        let mut used = Vec::new();
        for n in [1, 2, 3, 10] {
            load_program(
                &mut store,
                &instance,
                &[(0, n), (1, 0), (2, 0), (3, 1), (5, 0)],
            );
            let before = store.get_fuel().unwrap();
            run.call(&mut store, 0).unwrap();
            used.push(before - store.get_fuel().unwrap());
        }
        // Every dispatch, the head's own or a copy's, charges the loop's stretch `s`: a
        // run is `set`, `n` rounds of three and `halt`, after the entry's few operators.
        let per_round = used[1] - used[0];
        assert_eq!(per_round % 3, 0, "{mode}: {used:?}");
        let s = per_round / 3;
        assert!(
            s > 0 && used[0].checked_sub(5 * s).is_some_and(|e| e <= 2),
            "{mode}: {used:?}"
        );
        assert_eq!(used[2] - used[1], per_round, "{mode}: {used:?}");
        assert_eq!(used[3] - used[2], 7 * per_round, "{mode}: {used:?}");
    }
}

/// A loop whose head allocates is not copied: the allocation has a map of the frame's
/// references (a copy would have none, and a collection there would miss `$keep`).
const ALLOCATING: &str = r#"
(module
  (type $box (struct (field i32)))
  (func (export "churn") (param $n i32) (result i32)
    (local $i i32) (local $keep (ref null $box)) (local $tmp (ref null $box))
    (local.set $keep (struct.new $box (i32.const 12345)))
    (loop $next
      (local.set $tmp (struct.new $box (local.get $i)))
      (block $done
        (block $odd
          (block $even
            (br_table $even $odd $done
              (select (i32.const 2) (i32.and (local.get $i) (i32.const 1))
                (i32.ge_u (local.get $i) (local.get $n)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next))
        ;; `$tmp`'s field is `$i`: the step is 1, read through the new object.
        (local.set $i (i32.add (local.get $i)
          (i32.sub (i32.add (struct.get $box 0 (local.get $tmp)) (i32.const 1))
                   (local.get $i))))
        (br $next)))
    (i32.add (struct.get $box 0 (local.get $keep)) (local.get $i))))
"#;

#[test]
fn a_loop_head_that_allocates_keeps_its_references_through_collections() {
    for (translation, dispatch) in MODES {
        let mode = format!("{translation:?}/{dispatch:?}");
        let mut config = Config::new();
        config.translation(translation).dispatch(dispatch);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat(ALLOCATING)).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let churn = instance
            .get_typed_func::<i32, i32>(&store, "churn")
            .unwrap();
        // Two hundred thousand allocations: the collector runs many times, each while
        // `$keep` is live in a local.
        assert_eq!(
            churn.call(&mut store, 200_000).unwrap(),
            12345 + 200_000,
            "{mode}"
        );
    }
}
