//! Host functions over guest memory.
//!
//! The guest prints through `env.log(ptr, len)` (the host reads the string out of guest
//! memory) and asks for its configuration through `env.read_config(ptr, cap) -> len` (the
//! host writes into a buffer the guest allocated). The host also drives the guest the other
//! way: it allocates in guest memory with the exported `alloc`, writes a string there,
//! has the guest change it in place, and reads the result back.
//!
//! A pointer outside guest memory is the host's own error (`BadPointer`): it ends the call,
//! and the embedder gets it back by downcasting the call's error.
//!
//! Run: `cargo run --release -p spindle --example host_memory`

use std::fmt;

use spindle::{Caller, Engine, Extern, Linker, Memory, Module, Store, Trap};

/// The guest: a bump allocator, a greeting, a config reader, an in-place uppercaser, and a
/// function that logs through a wild pointer.
const GUEST: &str = r#"(module $guest
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "read_config" (func $read_config (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "hello from the guest")
  (data (i32.const 48) "config: ")

  ;; A bump allocator: `size` bytes, 8-aligned. Never frees.
  (func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap
      (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 7))
               (i32.const -8)))
    (local.get $ptr))

  ;; Logs a greeting, reads the config into a fresh buffer, logs it, and returns the sum
  ;; of its bytes (so the host can check the guest saw what it wrote).
  (func (export "run") (result i32)
    (local $buf i32) (local $len i32) (local $i i32) (local $sum i32)
    (call $log (i32.const 16) (i32.const 20))
    (local.set $buf (call $alloc (i32.const 64)))
    (local.set $len (call $read_config (local.get $buf) (i32.const 64)))
    (call $log (i32.const 48) (i32.const 8))
    (call $log (local.get $buf) (local.get $len))
    (block $done
      (loop $sum_bytes
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $sum
          (i32.add (local.get $sum) (i32.load8_u (i32.add (local.get $buf) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sum_bytes)))
    (local.get $sum))

  ;; Uppercases ASCII letters of `len` bytes at `ptr`, in place.
  (func (export "shout") (param $ptr i32) (param $len i32)
    (local $end i32) (local $c i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $ptr)))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97))
                     (i32.le_u (local.get $c) (i32.const 122)))
          (then (i32.store8 (local.get $ptr) (i32.sub (local.get $c) (i32.const 32)))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $next))))

  ;; Logs 16 bytes from a pointer near the top of the address space: out of bounds.
  (func $log_wild_pointer (export "log_wild_pointer")
    (call $log (i32.const -16) (i32.const 16))))"#;

/// What the host keeps per store: the config the guest may read, and what it printed.
struct Host {
    config: Vec<u8>,
    printed: Vec<String>,
}

/// The host's own error: the guest named bytes outside its memory.
#[derive(Debug, PartialEq, Eq)]
struct BadPointer {
    ptr: u32,
    len: u32,
    memory_size: usize,
}

impl fmt::Display for BadPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "guest pointer {:#x}+{} is outside its {}-byte memory",
            self.ptr, self.len, self.memory_size
        )
    }
}

impl std::error::Error for BadPointer {}

/// The memory of the instance that called the host function.
fn guest_memory(caller: &Caller<'_, Host>) -> spindle::Result<Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| spindle::Error::msg("the guest exports no memory"))
}

fn linker(engine: &Engine) -> spindle::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);

    // Guest to host: copy `len` bytes out of guest memory with `Memory::read`.
    linker.func_wrap(
        "env",
        "log",
        |mut caller: Caller<'_, Host>, ptr: u32, len: u32| -> spindle::Result<()> {
            let memory = guest_memory(&caller)?;
            let mut bytes = vec![0; len as usize];
            memory
                .read(&caller, ptr as usize, &mut bytes)
                .map_err(|_| BadPointer {
                    ptr,
                    len,
                    memory_size: memory.data_size(&caller),
                })?;
            let line = String::from_utf8_lossy(&bytes).into_owned();
            println!("  guest says: {line}");
            caller.data_mut().printed.push(line);
            Ok(())
        },
    )?;

    // Host to guest: copy the host's config into a guest buffer. `data_and_store_mut`
    // borrows guest memory and the host's data at once, so nothing is copied twice.
    linker.func_wrap(
        "env",
        "read_config",
        |mut caller: Caller<'_, Host>, ptr: u32, cap: u32| -> spindle::Result<u32> {
            let memory = guest_memory(&caller)?;
            let (guest, host) = memory.data_and_store_mut(&mut caller);
            let memory_size = guest.len();
            let buffer = (ptr as usize)
                .checked_add(cap as usize)
                .and_then(|end| guest.get_mut(ptr as usize..end))
                .ok_or(BadPointer {
                    ptr,
                    len: cap,
                    memory_size,
                })?;
            let n = host.config.len().min(buffer.len());
            buffer[..n].copy_from_slice(&host.config[..n]);
            Ok(n as u32)
        },
    )?;
    Ok(linker)
}

pub fn main() -> spindle::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, GUEST)?;
    let linker = linker(&engine)?;
    let config = b"threads=4 verbose=true".to_vec();
    let mut store = Store::new(
        &engine,
        Host {
            config: config.clone(),
            printed: Vec::new(),
        },
    );
    let instance = linker.instantiate(&mut store, &module)?;

    // 1. The guest logs and reads its config through the host.
    println!("run: the guest logs, then reads its config into a buffer it allocated");
    let run = instance.get_typed_func::<(), i32>(&store, "run")?;
    let sum = run.call(&mut store, ())?;
    let expected: i32 = config.iter().map(|&b| i32::from(b)).sum();
    println!("  the guest summed the config's bytes: {sum}");
    assert_eq!(sum, expected);
    assert_eq!(
        store.data().printed,
        ["hello from the guest", "config: ", "threads=4 verbose=true"]
    );

    // 2. The host allocates in guest memory, writes, lets the guest work, reads back.
    println!("shout: the host writes a string into guest memory, the guest uppercases it");
    let alloc = instance.get_typed_func::<u32, u32>(&store, "alloc")?;
    let shout = instance.get_typed_func::<(u32, u32), ()>(&store, "shout")?;
    let memory = instance
        .get_memory(&store, "memory")
        .expect("the guest exports its memory");
    let text = b"quiet words, loud now";
    let ptr = alloc.call(&mut store, text.len() as u32)?;
    memory.write(&mut store, ptr as usize, text)?;
    shout.call(&mut store, (ptr, text.len() as u32))?;
    let mut back = vec![0; text.len()];
    memory.read(&store, ptr as usize, &mut back)?;
    println!(
        "  at {ptr:#x}: {:?} became {:?}",
        String::from_utf8_lossy(text),
        String::from_utf8_lossy(&back)
    );
    assert_eq!(back, b"QUIET WORDS, LOUD NOW");
    // `Memory::data` is the same bytes as a slice.
    assert_eq!(&memory.data(&store)[ptr as usize..][..4], b"QUIE");

    // 3. A wild pointer: the host's error ends the call; the embedder downcasts it.
    println!("log_wild_pointer: the guest passes a pointer past the end of its memory");
    let wild = instance.get_typed_func::<(), ()>(&store, "log_wild_pointer")?;
    let err = wild.call(&mut store, ()).unwrap_err();
    println!("  the call failed: {err}");
    let bad = err
        .downcast_ref::<BadPointer>()
        .expect("the host's own error comes back");
    assert_eq!(
        bad,
        &BadPointer {
            ptr: 0xffff_fff0,
            len: 16,
            memory_size: 65_536
        }
    );
    // It is the host's error, not a trap of the guest's own.
    assert!(err.downcast_ref::<Trap>().is_none());
    // The host's Memory::read refuses out-of-bounds ranges the same way.
    assert!(memory.read(&store, 65_530, &mut [0; 8]).is_err());

    // The store goes on after the failed call.
    assert_eq!(run.call(&mut store, ())?, expected);
    println!("host_memory: all checks passed");
    Ok(())
}
