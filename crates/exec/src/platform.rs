//! What the runtime core needs from the platform beyond `core` and `alloc`: a lock for the
//! engine's type registry and a once-cell for lazily translated functions (both shared by
//! every store of an engine, so possibly by several threads), catching a host function's
//! panic, and giving the C heap's free pages back after a parallel compilation.
//!
//! With the `std` feature these are std's `Mutex`, `OnceLock` and `catch_unwind`; without
//! it (`no_std` + `alloc` targets, which have no operating-system threads to park) the lock
//! and the cell spin on an atomic flag — the critical sections are short (a registry
//! lookup, one function's translation) and no lock is held while Wasm runs — and a panic is
//! not caught (such targets abort on panic).

#[cfg(feature = "std")]
mod imp {
    /// A mutual-exclusion lock (std's; a poisoned lock is still usable: the registry is
    /// consistent between its operations).
    pub struct Lock<T>(std::sync::Mutex<T>);

    impl<T> Lock<T> {
        pub const fn new(value: T) -> Self {
            Lock(std::sync::Mutex::new(value))
        }

        pub fn lock(&self) -> std::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    pub use std::sync::OnceLock as Once;
}

#[cfg(not(feature = "std"))]
mod imp {
    use core::cell::UnsafeCell;
    use core::ops::{Deref, DerefMut};
    use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

    /// A mutual-exclusion lock that spins.
    pub struct Lock<T> {
        locked: AtomicBool,
        value: UnsafeCell<T>,
    }

    // SAFETY: the value is only reached through a guard, and one guard exists at a time
    // (the `locked` flag is taken with acquire ordering and released with release), so the
    // lock hands `T` from thread to thread as a `Mutex<T>` does.
    unsafe impl<T: Send> Sync for Lock<T> {}
    // SAFETY: as above; the lock owns its `T`.
    unsafe impl<T: Send> Send for Lock<T> {}

    impl<T> Lock<T> {
        pub const fn new(value: T) -> Self {
            Lock {
                locked: AtomicBool::new(false),
                value: UnsafeCell::new(value),
            }
        }

        pub fn lock(&self) -> LockGuard<'_, T> {
            while self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                core::hint::spin_loop();
            }
            LockGuard { lock: self }
        }
    }

    /// Access to a locked value; dropping it unlocks.
    pub struct LockGuard<'a, T> {
        lock: &'a Lock<T>,
    }

    impl<T> Deref for LockGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: this guard holds the lock, so no other reference to the value exists.
            unsafe { &*self.lock.value.get() }
        }
    }

    impl<T> DerefMut for LockGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: this guard holds the lock, so no other reference to the value exists.
            unsafe { &mut *self.lock.value.get() }
        }
    }

    impl<T> Drop for LockGuard<'_, T> {
        fn drop(&mut self) {
            self.lock.locked.store(false, Ordering::Release);
        }
    }

    const EMPTY: u8 = 0;
    const BUSY: u8 = 1;
    const READY: u8 = 2;

    /// A cell written once, by the first thread to ask for it (others spin until it is
    /// ready).
    pub struct Once<T> {
        state: AtomicU8,
        value: UnsafeCell<Option<T>>,
    }

    // SAFETY: the value is written once, by the thread that moved `state` from EMPTY to
    // BUSY, and read only after `state` is READY (release store, acquire loads), after which
    // it is never written again: shared `&T` across threads, as `OnceLock<T>` gives.
    unsafe impl<T: Send + Sync> Sync for Once<T> {}
    // SAFETY: the cell owns its `T`.
    unsafe impl<T: Send> Send for Once<T> {}

    impl<T: core::fmt::Debug> core::fmt::Debug for Once<T> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_tuple("Once").field(&self.get()).finish()
        }
    }

    impl<T> Default for Once<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> Once<T> {
        pub const fn new() -> Self {
            Once {
                state: AtomicU8::new(EMPTY),
                value: UnsafeCell::new(None),
            }
        }

        pub fn get(&self) -> Option<&T> {
            if self.state.load(Ordering::Acquire) == READY {
                // SAFETY: READY means the value was written and will not be written again.
                unsafe { (*self.value.get()).as_ref() }
            } else {
                None
            }
        }

        pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
            let mut init = Some(init);
            loop {
                match self
                    .state
                    .compare_exchange(EMPTY, BUSY, Ordering::Acquire, Ordering::Acquire)
                {
                    Ok(_) => {
                        // Only the thread that moved the state from EMPTY gets here, once.
                        let Some(init) = init.take() else { continue };
                        let value = init();
                        // SAFETY: this thread moved the state to BUSY, so it alone writes;
                        // readers wait for READY.
                        unsafe { *self.value.get() = Some(value) };
                        self.state.store(READY, Ordering::Release);
                    }
                    Err(READY) => {}
                    Err(_) => {
                        core::hint::spin_loop();
                        continue;
                    }
                }
                if let Some(v) = self.get() {
                    return v;
                }
            }
        }
    }
}

pub use imp::{Lock, Once};

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Lock::new(T::default())
    }
}

impl<T> core::fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Lock { .. }")
    }
}

/// A host panic's payload.
pub type PanicPayload = alloc::boxed::Box<dyn core::any::Any + Send>;

/// Runs `f`, catching a panic in it.
#[cfg(feature = "std")]
#[inline(always)]
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, PanicPayload> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
}

/// Runs `f` (without std a panic is not caught).
#[cfg(not(feature = "std"))]
#[inline(always)]
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, PanicPayload> {
    Ok(f())
}

/// Raises a caught panic again.
#[cfg(feature = "std")]
pub fn resume_panic(payload: PanicPayload) -> ! {
    std::panic::resume_unwind(payload)
}

/// Raises a caught panic again (without std none is caught; this panics anew).
#[cfg(not(feature = "std"))]
pub fn resume_panic(_payload: PanicPayload) -> ! {
    panic!("a host function panicked")
}

/// Gives the C heap's free pages back to the operating system. Called once helper threads
/// have compiled a module's functions: each helper allocated in a glibc arena of its own,
/// and the translators' scratch freed there (and in the calling thread's arena) would
/// otherwise stay resident for as long as the process runs (measured on the SQLite shell:
/// 0.6 MB of such free heap after its compilation; the median peak RSS of 15 runs 0.1 MB
/// lower; the call took 0.1 ms). With glibc only (`malloc_trim`); elsewhere nothing is
/// done. With another global allocator it only trims glibc's own heap, then nearly empty.
#[cfg(feature = "parallel-compilation")]
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            /// glibc: releases free memory at the top of the main heap and the free pages
            /// inside every arena (`madvise(MADV_DONTNEED)`); returns 1 if any was released.
            fn malloc_trim(pad: usize) -> core::ffi::c_int;
        }
        // SAFETY: `malloc_trim` takes any pad (0: keep nothing spare at the heap's top),
        // locks each arena itself, touches no memory that is in use and is safe to call from
        // any thread at any time; it is glibc's, and this is compiled for glibc targets only.
        unsafe {
            malloc_trim(0);
        }
    }
}
