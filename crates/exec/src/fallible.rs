//! Allocations as large as a guest's limits allow (linear memories, tables, GC objects),
//! made fallibly: when the host cannot provide the memory, `memory.grow` and `table.grow`
//! answer -1, a GC allocation traps (`GcHeapExhausted`) and instantiation fails with an
//! error, instead of the process aborting (what `vec!` and `Vec::resize` do on failure).

use crate::prelude::*;
use alloc::alloc::Layout;

/// Element types whose all-zero bytes are a valid value.
pub trait Zeroable: Copy {}
impl Zeroable for u8 {}
impl Zeroable for u64 {}

/// `n` zeroes, from zeroed memory (pages the operating system maps lazily stay untouched),
/// or `None` if the allocation fails.
pub fn try_zeroed<T: Zeroable>(n: usize) -> Option<Vec<T>> {
    if n == 0 || core::mem::size_of::<T>() == 0 {
        return Some(Vec::new());
    }
    let layout = Layout::array::<T>(n).ok()?;
    // SAFETY: the layout has a non-zero size (`n > 0` elements of a non-zero-sized type).
    let p = unsafe { alloc::alloc::alloc_zeroed(layout) }.cast::<T>();
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` comes from the global allocator with the layout of `[T; n]`, which is the
    // layout a `Vec<T>` of capacity `n` frees with; its `n` elements are all-zero bytes,
    // a valid `T` (`Zeroable`).
    Some(unsafe { Vec::from_raw_parts(p, n, n) })
}

/// `n` copies of `v`, or `None` if the allocation fails.
pub fn try_filled<T: Clone>(n: usize, v: T) -> Option<Vec<T>> {
    let mut out = Vec::new();
    out.try_reserve_exact(n).ok()?;
    out.resize(n, v);
    Some(out)
}

/// Grows `v` to `len` elements of `fill`; `false` (and `v` unchanged) if the allocation
/// fails.
pub fn try_grow<T: Clone>(v: &mut Vec<T>, len: usize, fill: T) -> bool {
    if len > v.len() && v.try_reserve_exact(len - v.len()).is_err() {
        return false;
    }
    v.resize(len, fill);
    true
}
