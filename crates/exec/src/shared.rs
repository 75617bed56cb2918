//! Shared linear memories (the threads proposal): one buffer that stores on several host
//! threads use at once, with `memory.atomic.wait` and `notify` between them.
//!
//! The buffer is reserved at its largest size when it is made (an anonymous mapping whose
//! pages the operating system provides, zeroed, as they are first touched), so growing only
//! moves the length and an address that was in bounds stays valid while any thread runs.
//!
//! Every access to the bytes, plain or atomic, from Wasm or from the host, is an atomic
//! operation: plain loads and stores are `Relaxed` (Wasm's unordered accesses: an aligned
//! access of 1, 2, 4 or 8 bytes is one atomic access, an unaligned one is made of byte
//! accesses and may tear, which Wasm allows), the atomic instructions are `SeqCst` (Wasm's
//! sequentially consistent ones). So no two threads ever race on these bytes in Rust's
//! sense, except that accesses of different widths may overlap (Wasm allows mixing them;
//! x86-64 and AArch64 order them as the Wasm model asks; Rust's model does not describe
//! mixed-size atomics). The interpreter's fast memory-0 instructions, which read and write
//! with plain pointer accesses, are never used for a shared memory (the translator routes
//! shared memories through the `…Mem` instructions).

//!
//! Without the `std` feature (no operating system underneath) the buffer is one zeroed
//! allocation of its largest size, and a waiting thread spins until notified; there is no
//! clock, so a wait with a timeout that finds the expected value answers "timed out" at
//! once.

use crate::platform::Lock;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use core::time::Duration;

#[cfg(feature = "std")]
mod reservation {
    /// Reserved address space: an anonymous mapping (unmapped when dropped).
    pub(super) struct Reservation {
        _map: memmap2::MmapMut,
    }

    impl Reservation {
        /// `len` bytes (at least one page is mapped: a zero-length mapping is an error on
        /// some systems). No swap is reserved for it (`MAP_NORESERVE`): a 4 GiB maximum
        /// takes address space, and memory only as pages are touched.
        pub(super) fn new(len: usize) -> Option<(Reservation, *mut u8)> {
            let mut map = memmap2::MmapOptions::new()
                .len(len.max(1))
                .no_reserve_swap()
                .map_anon()
                .ok()?;
            let base = map.as_mut_ptr();
            Some((Reservation { _map: map }, base))
        }
    }
}

#[cfg(not(feature = "std"))]
mod reservation {
    use alloc::alloc::{alloc_zeroed, dealloc, Layout};

    /// Reserved bytes: one zeroed allocation (freed when dropped).
    pub(super) struct Reservation {
        base: *mut u8,
        layout: Layout,
    }

    impl Reservation {
        pub(super) fn new(len: usize) -> Option<(Reservation, *mut u8)> {
            let layout = Layout::from_size_align(len.max(1), 16).ok()?;
            // SAFETY: the layout's size is non-zero.
            let base = unsafe { alloc_zeroed(layout) };
            if base.is_null() {
                return None;
            }
            Some((Reservation { base, layout }, base))
        }
    }

    impl Drop for Reservation {
        fn drop(&mut self) {
            // SAFETY: `base` was allocated with `layout` (in `new`) and is freed once, here.
            unsafe { dealloc(self.base, self.layout) }
        }
    }
}

use reservation::Reservation;

/// A shared memory's buffer, its length and its waiters.
pub struct SharedBuffer {
    /// The reserved bytes (`reserved` of them; unmapped when the buffer drops). Never read
    /// or written but through `base`'s atomic accesses.
    _map: Reservation,
    base: *mut u8,
    reserved: usize,
    /// The current length in bytes (at most `reserved`); only grows.
    len: AtomicUsize,
    /// Serializes growth (length checks and updates).
    grow: Lock<()>,
    /// Threads waiting in `memory.atomic.wait`, by byte address.
    waiters: Lock<BTreeMap<u64, Vec<Arc<Waiter>>>>,
}

// SAFETY: `base` points into `map`, which lives as long as the buffer and never moves;
// every access through it is atomic (see the module's comment), so threads may share it.
unsafe impl Send for SharedBuffer {}
// SAFETY: as for `Send`: `&SharedBuffer` only gives atomic access to the bytes, and the
// length and waiters are behind atomics and mutexes.
unsafe impl Sync for SharedBuffer {}

impl core::fmt::Debug for SharedBuffer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedBuffer")
            .field("len", &self.len())
            .field("reserved", &self.reserved)
            .finish()
    }
}

/// One waiting thread: woken by `notify` (`notified` set) or by its timeout.
#[cfg(feature = "std")]
struct Waiter {
    notified: std::sync::Mutex<bool>,
    wake: std::sync::Condvar,
}

/// One waiting thread: spins until `notify` sets `notified`.
#[cfg(not(feature = "std"))]
struct Waiter {
    notified: core::sync::atomic::AtomicBool,
}

/// What `memory.atomic.wait` answers: 0 woken, 1 the value differed, 2 timed out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WaitResult {
    Ok = 0,
    Mismatch = 1,
    TimedOut = 2,
}

impl SharedBuffer {
    /// A buffer of `len` zero bytes that may grow to `reserved`; `None` if the host cannot
    /// reserve that much.
    pub fn new(len: usize, reserved: usize) -> Option<Arc<SharedBuffer>> {
        let reserved = reserved.max(len);
        let (map, base) = Reservation::new(reserved)?;
        Some(Arc::new(SharedBuffer {
            _map: map,
            base,
            reserved,
            len: AtomicUsize::new(len),
            grow: Lock::new(()),
            waiters: Lock::new(BTreeMap::new()),
        }))
    }

    /// The current length in bytes.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most bytes it can grow to.
    pub fn reserved(&self) -> usize {
        self.reserved
    }

    /// Grows the length to `new_len` if that is within the reservation and not less than the
    /// length now; the old length, or `None`. `check` sees the old length first and may
    /// refuse (the memory's page and limit rules).
    pub fn grow_to(&self, new_len: impl FnOnce(usize) -> Option<usize>) -> Option<usize> {
        let _guard = self.grow.lock();
        let old = self.len();
        let new = new_len(old)?;
        if new < old || new > self.reserved {
            return None;
        }
        self.len.store(new, Ordering::SeqCst);
        Some(old)
    }

    fn byte(&self, at: usize) -> &AtomicU8 {
        debug_assert!(at < self.reserved);
        // SAFETY: `at` is below `len <= reserved` (callers check bounds against `len()`
        // first), so the byte is inside the mapping, which lives as long as `self`;
        // `AtomicU8` has `u8`'s size and alignment, and the bytes are only ever accessed
        // atomically (module comment).
        unsafe { &*(self.base.add(at) as *const AtomicU8) }
    }

    /// The little-endian value of the `width` bytes (1, 2, 4 or 8) at `at`, which the caller
    /// has checked are in bounds; one atomic access of that width when `at` is a multiple
    /// of it, byte accesses otherwise.
    pub fn load(&self, at: usize, width: u64, order: Ordering) -> u64 {
        if !(at as u64).is_multiple_of(width) {
            let mut v = 0u64;
            for i in 0..width as usize {
                v |= (self.byte(at + i).load(order) as u64) << (8 * i);
            }
            return v;
        }
        let p = self.base.wrapping_add(at);
        // SAFETY: `[at, at + width)` is in bounds (the caller's check) and `at` is a
        // multiple of `width`, and the mapping is page-aligned, so `p` is aligned for the
        // atomic type of that width, which has the integer's layout; atomic accesses only
        // (module comment).
        unsafe {
            match width {
                1 => (*(p as *const AtomicU8)).load(order) as u64,
                2 => u16::from_le((*(p as *const AtomicU16)).load(order)) as u64,
                4 => u32::from_le((*(p as *const AtomicU32)).load(order)) as u64,
                _ => u64::from_le((*(p as *const AtomicU64)).load(order)),
            }
        }
    }

    /// Stores the low `width` bytes of `v` at `at` (in bounds), as `load` reads them.
    pub fn store(&self, at: usize, width: u64, v: u64, order: Ordering) {
        if !(at as u64).is_multiple_of(width) {
            for i in 0..width as usize {
                self.byte(at + i).store((v >> (8 * i)) as u8, order);
            }
            return;
        }
        let p = self.base.wrapping_add(at);
        // SAFETY: as in `load`.
        unsafe {
            match width {
                1 => (*(p as *const AtomicU8)).store(v as u8, order),
                2 => (*(p as *const AtomicU16)).store((v as u16).to_le(), order),
                4 => (*(p as *const AtomicU32)).store((v as u32).to_le(), order),
                _ => (*(p as *const AtomicU64)).store(v.to_le(), order),
            }
        }
    }

    /// Atomically replaces the `width` bytes at `at` (in bounds, aligned) with `f(old)` and
    /// answers `old`, sequentially consistent. (A compare-exchange loop: one operation of
    /// the hardware for every read-modify-write the threads proposal has.)
    pub fn rmw(&self, at: usize, width: u64, f: impl Fn(u64) -> u64) -> u64 {
        let p = self.base.wrapping_add(at);
        macro_rules! rmw {
            ($atomic:ty, $int:ty) => {{
                // SAFETY: as in `load` (atomic instructions are aligned: the interpreter
                // traps on an unaligned address before it gets here).
                let a = unsafe { &*(p as *const $atomic) };
                let mut old = a.load(Ordering::SeqCst);
                loop {
                    let new = f(<$int>::from_le(old) as u64) as $int;
                    match a.compare_exchange_weak(
                        old,
                        new.to_le(),
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    ) {
                        Ok(_) => break <$int>::from_le(old) as u64,
                        Err(now) => old = now,
                    }
                }
            }};
        }
        debug_assert!((at as u64).is_multiple_of(width));
        match width {
            1 => rmw!(AtomicU8, u8),
            2 => rmw!(AtomicU16, u16),
            4 => rmw!(AtomicU32, u32),
            _ => rmw!(AtomicU64, u64),
        }
    }

    /// Copies `out.len()` bytes from `at` (in bounds) into `out`.
    pub fn read(&self, at: usize, out: &mut [u8]) {
        for (i, b) in out.iter_mut().enumerate() {
            *b = self.byte(at + i).load(Ordering::Relaxed);
        }
    }

    /// Copies `bytes` to `at` (in bounds).
    pub fn write(&self, at: usize, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            self.byte(at + i).store(*b, Ordering::Relaxed);
        }
    }

    /// Sets `[start, end)` (in bounds) to `v`.
    pub fn fill(&self, start: usize, end: usize, v: u8) {
        for i in start..end {
            self.byte(i).store(v, Ordering::Relaxed);
        }
    }

    /// Copies `[src, src + len)` to `dst` (both in bounds), as if through a temporary.
    pub fn copy_within(&self, src: usize, dst: usize, len: usize) {
        if dst <= src {
            for i in 0..len {
                let b = self.byte(src + i).load(Ordering::Relaxed);
                self.byte(dst + i).store(b, Ordering::Relaxed);
            }
        } else {
            for i in (0..len).rev() {
                let b = self.byte(src + i).load(Ordering::Relaxed);
                self.byte(dst + i).store(b, Ordering::Relaxed);
            }
        }
    }

    /// `memory.atomic.wait`: if the `width` bytes at `at` (in bounds, aligned) hold
    /// `expected`, sleeps until a `notify` of `at` wakes this thread or `timeout` passes
    /// (`None`: no timeout). The value is read under the waiters' lock, which `notify`
    /// takes too, so a notify made after the value changed is never missed.
    pub fn wait(
        &self,
        at: usize,
        width: u64,
        expected: u64,
        timeout: Option<Duration>,
    ) -> WaitResult {
        let waiter = Arc::new(Waiter::new());
        {
            let mut waiters = self.waiters.lock();
            if self.load(at, width, Ordering::SeqCst) != expected {
                return WaitResult::Mismatch;
            }
            waiters
                .entry(at as u64)
                .or_default()
                .push(Arc::clone(&waiter));
        }
        if waiter.block(timeout) {
            return WaitResult::Ok;
        }
        // Timed out: leave the queue, unless a notify took this waiter meanwhile (then it
        // counted it as woken, and so does this).
        let mut waiters = self.waiters.lock();
        if let Some(q) = waiters.get_mut(&(at as u64)) {
            if let Some(i) = q.iter().position(|w| Arc::ptr_eq(w, &waiter)) {
                q.remove(i);
                if q.is_empty() {
                    waiters.remove(&(at as u64));
                }
                return WaitResult::TimedOut;
            }
        }
        WaitResult::Ok
    }

    /// `memory.atomic.notify`: wakes up to `count` threads waiting at `at`, longest waiting
    /// first; how many it woke.
    pub fn notify(&self, at: usize, count: u32) -> u32 {
        let mut waiters = self.waiters.lock();
        let Some(q) = waiters.get_mut(&(at as u64)) else {
            return 0;
        };
        let n = (count as usize).min(q.len());
        for w in q.drain(..n) {
            w.wake();
        }
        if q.is_empty() {
            waiters.remove(&(at as u64));
        }
        n as u32
    }

    /// Threads waiting now (for tests and embedders that wait for waiters).
    pub fn waiting(&self) -> usize {
        let waiters = self.waiters.lock();
        waiters.values().map(Vec::len).sum()
    }
}

#[cfg(feature = "std")]
impl Waiter {
    fn new() -> Waiter {
        Waiter {
            notified: std::sync::Mutex::new(false),
            wake: std::sync::Condvar::new(),
        }
    }

    /// Sleeps until woken or `timeout` passes (`None`: no timeout); whether it was woken.
    fn block(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        let mut notified = self.notified.lock().unwrap_or_else(|e| e.into_inner());
        while !*notified {
            match deadline {
                None => notified = self.wake.wait(notified).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = std::time::Instant::now();
                    if now >= d {
                        break;
                    }
                    notified = self
                        .wake
                        .wait_timeout(notified, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        *notified
    }

    fn wake(&self) {
        *self.notified.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_one();
    }
}

#[cfg(not(feature = "std"))]
impl Waiter {
    fn new() -> Waiter {
        Waiter {
            notified: core::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Spins until woken; with a timeout, answers at once (there is no clock to wait by).
    fn block(&self, timeout: Option<Duration>) -> bool {
        if timeout.is_none() {
            while !self.notified.load(Ordering::Acquire) {
                core::hint::spin_loop();
            }
        }
        self.notified.load(Ordering::Acquire)
    }

    fn wake(&self) {
        self.notified.store(true, Ordering::Release);
    }
}
