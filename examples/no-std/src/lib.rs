//! Spindle with no operating system: a static library over the `no_std` + `alloc` runtime,
//! with the C calls firmware would offer (`malloc`-style allocation, `abort`) and one entry
//! point for a C program: validate, instantiate and call a module's `run` export with a host
//! function it imports. `main.c` links it and checks the answers (`run.sh`).
//!
//! A platform gives three things to a `no_std` Rust library: an allocator (here the C
//! library's `aligned_alloc`/`free`), a panic handler (here `abort`) and whatever it calls
//! back (here `report`, the C program's). Nothing else: no files, threads or clocks.

#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use spindle::{Caller, Engine, Linker, Module, Store};

extern "C" {
    fn aligned_alloc(align: usize, size: usize) -> *mut u8;
    fn free(p: *mut u8);
    fn abort() -> !;
    /// The C program's host function, called by the guest's `host.report` import.
    fn report(index: i32, value: i32);
}

/// The C library's allocator.
struct CAlloc;

// SAFETY: `aligned_alloc` returns memory of at least `size` bytes aligned to `align` (a
// power of two; C11 asks the size be a multiple of it, so the size is rounded up), or null,
// which `GlobalAlloc` callers handle; `free` takes exactly what `aligned_alloc` gave.
unsafe impl GlobalAlloc for CAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let align = layout.align().max(core::mem::size_of::<usize>());
        let size = layout.size().div_ceil(align) * align;
        // SAFETY: see the impl's comment.
        unsafe { aligned_alloc(align, size.max(align)) }
    }

    unsafe fn dealloc(&self, p: *mut u8, _layout: Layout) {
        // SAFETY: `p` came from `alloc` above.
        unsafe { free(p) }
    }
}

#[global_allocator]
static ALLOCATOR: CAlloc = CAlloc;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: `abort` takes no arguments and does not return.
    unsafe { abort() }
}

/// The prebuilt `alloc` crate is compiled for unwinding and names this personality routine
/// in its unwind tables; panics abort here, so nothing unwinds and it is never called.
#[no_mangle]
extern "C" fn rust_eh_personality() {}

/// Runs `module`'s `run(n)` with `host.report` bound to the C program's `report`: writes
/// `run`'s result to `*result` and the first `out_len` i32s of its memory to `out`, then
/// calls its `trap` export (which must trap) and `run(n)` again on the same store. Answers
/// 0 if all went so, 1 for an invalid module, 2 for a failed instantiation, 3 for a trap
/// in `run`, 4 if `trap` did not trap or the store was unusable after it.
///
/// # Safety
///
/// `bytes` points to `len` readable bytes, `result` to a writable `i32` and `out` to
/// `out_len` writable `i32`s.
#[no_mangle]
pub unsafe extern "C" fn spindle_run(
    bytes: *const u8,
    len: usize,
    n: i32,
    result: *mut i32,
    out: *mut i32,
    out_len: usize,
) -> i32 {
    // SAFETY: the caller's promise.
    let bytes = unsafe { core::slice::from_raw_parts(bytes, len) };
    let engine = Engine::default();
    let Ok(module) = Module::new(&engine, bytes) else {
        return 1;
    };
    let mut linker = Linker::<u32>::new(&engine);
    let defined = linker.func_wrap(
        "host",
        "report",
        |mut caller: Caller<'_, u32>, i: i32, v: i32| {
            *caller.data_mut() += 1;
            // SAFETY: the C program's function, which takes two integers.
            unsafe { report(i, v) }
        },
    );
    if defined.is_err() {
        return 2;
    }
    let mut store = Store::new(&engine, 0u32);
    let Ok(instance) = linker.instantiate(&mut store, &module) else {
        return 2;
    };
    let (Ok(run), Ok(trap)) = (
        instance.get_typed_func::<i32, i32>(&store, "run"),
        instance.get_typed_func::<(), i32>(&store, "trap"),
    ) else {
        return 2;
    };
    let Ok(r) = run.call(&mut store, n) else {
        return 3;
    };
    let Some(memory) = instance.get_memory(&mut store, "memory") else {
        return 2;
    };
    let mut words = Vec::new();
    for chunk in memory.data(&store).chunks_exact(4).take(out_len) {
        words.push(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
    }
    if trap.call(&mut store, ()).is_ok() || run.call(&mut store, n).ok() != Some(r) {
        return 4;
    }
    // SAFETY: the caller's promise.
    unsafe {
        *result = r;
        core::ptr::copy_nonoverlapping(words.as_ptr(), out, words.len());
    }
    0
}
