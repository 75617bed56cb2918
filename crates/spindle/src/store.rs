//! Stores, and the contexts through which handles reach them.
//!
//! A [`Store`] owns everything instances create plus the embedder's data. Handles
//! ([`Func`](crate::Func), [`Memory`](crate::Memory), ...) are small copyable values that
//! name an entity of one store and carry that store's id; every method takes the store as
//! `impl AsContext` or `impl AsContextMut`, so the same call works with a `&mut Store<T>`,
//! a [`Caller`](crate::Caller) inside a host function, or a [`StoreContextMut`]. A handle
//! used with another store panics ("object used with the wrong store"), as in wasmtime.

use crate::prelude::*;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::marker::PhantomData;

use spindle_exec::StoreLimits;

use crate::func::Caller;
use crate::{Engine, Error, Result};

/// Panics unless `actual` is `expected`: a handle of one store given to another.
#[track_caller]
#[inline]
pub(crate) fn check_store(expected: u64, actual: u64) {
    if expected != actual {
        wrong_store();
    }
}

#[cold]
#[track_caller]
fn wrong_store() -> ! {
    panic!("object used with the wrong store: a handle was created by another store")
}

/// What the interpreter's store carries for the embedding API: the embedder's data and
/// the per-store state the API keeps.
pub(crate) struct StoreData<T> {
    pub(crate) data: T,
    pub(crate) engine: Engine,
    /// The host functions of linkers instantiated into this store: each gets one store
    /// function however many instances import it (the `Arc` is kept so the key, its
    /// address, cannot be reused by another definition).
    pub(crate) host_funcs: BTreeMap<usize, (Arc<crate::linker::HostFuncDef>, u32)>,
}

/// The embedder's view of an interpreter store whose data is `StoreData<T>`.
pub(crate) fn store_data<T: 'static>(inner: &spindle_exec::Store) -> &StoreData<T> {
    inner
        .data
        .downcast_ref()
        .expect("the store's data has the type of its handle")
}

pub(crate) fn store_data_mut<T: 'static>(inner: &mut spindle_exec::Store) -> &mut StoreData<T> {
    inner
        .data
        .downcast_mut()
        .expect("the store's data has the type of its handle")
}

/// Owns instances and everything they create (functions, memories, tables, globals, tags,
/// GC objects, exceptions), plus the embedder's data `T`.
///
/// A store is `Send` (its data must be `Send`), so it can move between threads; it is
/// used from one thread at a time. Build one per plugin instance, request or tenant: they
/// share nothing but the engine and its compiled modules.
///
/// ```
/// use spindle::{Engine, Store};
/// let engine = Engine::default();
/// let mut store = Store::new(&engine, 42u32);
/// *store.data_mut() += 1;
/// assert_eq!(*store.data(), 43);
/// ```
pub struct Store<T> {
    pub(crate) inner: spindle_exec::Store,
    _data: PhantomData<fn() -> T>,
}

/// A shared borrow of a store, as handles' read-only methods take it (see [`AsContext`]).
pub struct StoreContext<'a, T> {
    pub(crate) inner: &'a spindle_exec::Store,
    _data: PhantomData<fn() -> T>,
}

/// A mutable borrow of a store, as handles' methods take it (see [`AsContextMut`]).
pub struct StoreContextMut<'a, T> {
    pub(crate) inner: &'a mut spindle_exec::Store,
    _data: PhantomData<fn() -> T>,
}

impl<'a, T> StoreContext<'a, T> {
    pub(crate) fn new(inner: &'a spindle_exec::Store) -> Self {
        StoreContext {
            inner,
            _data: PhantomData,
        }
    }
}

impl<'a, T> StoreContextMut<'a, T> {
    pub(crate) fn new(inner: &'a mut spindle_exec::Store) -> Self {
        StoreContextMut {
            inner,
            _data: PhantomData,
        }
    }
}

/// Anything a store can be read through: [`Store`], [`StoreContext`], [`StoreContextMut`],
/// [`Caller`], and references to them.
pub trait AsContext {
    /// The embedder's data type of the store.
    type Data: 'static;
    /// The store, borrowed.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Anything a store can be changed through: [`Store`], [`StoreContextMut`], [`Caller`],
/// and mutable references to them.
pub trait AsContextMut: AsContext {
    /// The store, borrowed mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T: 'static> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext::new(&self.inner)
    }
}
impl<T: 'static> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut::new(&mut self.inner)
    }
}
impl<T: 'static> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext::new(self.inner)
    }
}
impl<T: 'static> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext::new(self.inner)
    }
}
impl<T: 'static> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut::new(self.inner)
    }
}
impl<T: 'static> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext::new(self.store)
    }
}
impl<T: 'static> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut::new(self.store)
    }
}
impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}
impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}
impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}

/// What a store offers through any of its contexts (the same methods as on [`Store`]).
macro_rules! store_methods {
    () => {
        /// The engine the store belongs to.
        pub fn engine(&self) -> &Engine {
            &store_data::<T>(&self.inner).engine
        }

        /// The embedder's data.
        pub fn data(&self) -> &T {
            &store_data::<T>(&self.inner).data
        }

        /// The fuel left. Fails unless fuel metering is on in the engine's
        /// [`Config`](crate::Config).
        pub fn get_fuel(&self) -> Result<u64> {
            fuel_enabled(self.engine())?;
            Ok(self.inner.fuel)
        }
    };
}

macro_rules! store_methods_mut {
    () => {
        /// The embedder's data, mutably.
        pub fn data_mut(&mut self) -> &mut T {
            &mut store_data_mut::<T>(&mut self.inner).data
        }

        /// Sets the fuel left. Fails unless fuel metering is on in the engine's
        /// [`Config`](crate::Config).
        pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
            fuel_enabled(self.engine())?;
            self.inner.fuel = fuel;
            Ok(())
        }

        /// Sets the epoch deadline `ticks_beyond_current` increments of the engine's epoch
        /// from now (see [`Config::epoch_interruption`](crate::Config::epoch_interruption)).
        /// A store's deadline starts at 0: with epochs on, set one before calling.
        pub fn set_epoch_deadline(&mut self, ticks_beyond_current: u64) {
            let now = self.engine().current_epoch();
            self.inner.epoch_deadline = now.saturating_add(ticks_beyond_current);
        }
    };
}

fn fuel_enabled(engine: &Engine) -> Result<()> {
    if engine.config().consume_fuel {
        Ok(())
    } else {
        Err(Error::msg(
            "fuel is not enabled in this store's engine: use Config::consume_fuel(true)",
        ))
    }
}

impl<T: 'static> StoreContext<'_, T> {
    store_methods!();
}

impl<T: 'static> StoreContextMut<'_, T> {
    store_methods!();
    store_methods_mut!();
}

impl<T: 'static> Store<T> {
    store_methods!();
    store_methods_mut!();

    /// A store for `engine`'s modules, holding `data`.
    pub fn new(engine: &Engine, data: T) -> Self
    where
        T: Send,
    {
        let data = StoreData {
            data,
            engine: engine.clone(),
            host_funcs: BTreeMap::new(),
        };
        let mut inner = spindle_exec::Store::new(engine.registry().clone(), Box::new(data));
        engine.attach(&mut inner);
        Store {
            inner,
            _data: PhantomData,
        }
    }

    /// Consumes the store, giving back the embedder's data.
    pub fn into_data(self) -> T {
        match self.inner.data.downcast::<StoreData<T>>() {
            Ok(d) => d.data,
            Err(_) => unreachable!("the store's data has type StoreData<T>"),
        }
    }

    /// Sets the limits on memories, tables, instances, the call stack, exceptions and the
    /// GC heap (see [`StoreLimits`]; [`StoreLimitsBuilder`](crate::StoreLimitsBuilder)
    /// builds them as wasmtime's does).
    pub fn set_limits(&mut self, limits: StoreLimits) {
        self.inner.limits = limits;
    }

    /// wasmtime's way to set limits: `limiter` gives the [`StoreLimits`] kept in the data.
    /// They are read now (they are plain numbers the store checks, not callbacks: set
    /// them again after changing them).
    pub fn limiter(&mut self, mut limiter: impl FnMut(&mut T) -> &mut StoreLimits) {
        let limits = *limiter(self.data_mut());
        self.inner.limits = limits;
    }

    /// When the epoch deadline is reached, trap with
    /// [`Trap::Interrupt`](crate::Trap::Interrupt) (the default).
    pub fn epoch_deadline_trap(&mut self) {
        self.inner.epoch_callback = None;
    }

    /// When the epoch deadline is reached, run `callback` (with the store): it says to go
    /// on with a new deadline ([`UpdateDeadline::Continue`]), to suspend a resumable call
    /// ([`UpdateDeadline::Yield`]: [`ResumableCall::Interrupted`](crate::ResumableCall)),
    /// or fails, which ends the call with its error.
    ///
    /// ```
    /// use spindle::{Config, Engine, Linker, Module, Store, UpdateDeadline};
    /// let engine = Engine::new(Config::new().epoch_interruption(true))?;
    /// let module = Module::new(&engine, r#"(module (func (export "spin") (loop $l (br $l))))"#)?;
    /// let mut store = Store::new(&engine, 0u32);
    /// store.set_epoch_deadline(1);
    /// store.epoch_deadline_callback(|mut ctx| {
    ///     *ctx.data_mut() += 1;
    ///     if *ctx.data() < 3 {
    ///         Ok(UpdateDeadline::Continue(1))
    ///     } else {
    ///         Err(spindle::Error::msg("too slow"))
    ///     }
    /// });
    /// let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
    /// let spin = instance.get_typed_func::<(), ()>(&store, "spin")?;
    /// let ticker = engine.clone();
    /// let clock = std::thread::spawn(move || {
    ///     for _ in 0..10 {
    ///         std::thread::sleep(core::time::Duration::from_millis(5));
    ///         ticker.increment_epoch();
    ///     }
    /// });
    /// let err = spin.call(&mut store, ()).unwrap_err();
    /// assert_eq!(err.root_cause().to_string(), "too slow");
    /// assert_eq!(*store.data(), 3);
    /// clock.join().unwrap();
    /// # Ok::<(), spindle::Error>(())
    /// ```
    pub fn epoch_deadline_callback(
        &mut self,
        mut callback: impl FnMut(StoreContextMut<'_, T>) -> Result<UpdateDeadline> + Send + 'static,
    ) {
        self.inner.epoch_callback = Some(Box::new(
            move |s: &mut spindle_exec::Store| match callback(StoreContextMut::new(&mut *s)) {
                Ok(UpdateDeadline::Continue(d)) => Ok(spindle_exec::EpochUpdate::Continue(d)),
                Ok(UpdateDeadline::Yield(d)) => Ok(spindle_exec::EpochUpdate::Yield(d)),
                Ok(UpdateDeadline::Interrupt) => {
                    Err(spindle_exec::Trap::new(spindle_exec::TrapCode::Interrupt))
                }
                Err(e) => Err(crate::error::to_trap(s, e)),
            },
        ));
    }

    /// How many exceptions the store holds: those Wasm or the host may still reference
    /// (exceptions caught without a reference are freed at once, those with references
    /// by the collector once none is left; those the host received through a trap stay).
    pub fn exceptions_held(&self) -> usize {
        self.inner.exceptions_held()
    }

    /// Collects garbage now (it also runs by itself as allocations grow the heap).
    pub fn gc(&mut self) {
        self.inner.collect_garbage();
    }

    /// Collects garbage now (the same as [`Store::gc`]).
    pub fn collect_garbage(&mut self) {
        self.gc();
    }

    /// The GC heap's figures: objects alive (as of now), bytes they take as counted for the
    /// limits (as of the last collection plus what was allocated since), bytes allocated
    /// over the store's life, and collections run.
    pub fn gc_stats(&self) -> GcStats {
        let gc = &self.inner.gc;
        GcStats {
            objects: gc.live_objects(),
            bytes: gc.bytes,
            allocated: gc.allocated,
            collections: gc.collections,
        }
    }

    /// The tag and payload of the exception an error carries: one no Wasm handler caught
    /// (`Trap::UncaughtException`), or one made by [`Caller::throw`].
    pub fn caught(&self, error: &Error) -> Option<(crate::Tag, Vec<crate::Val>)> {
        crate::error::caught(&self.inner, error)
    }
}

/// What an epoch deadline callback says to do (see [`Store::epoch_deadline_callback`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateDeadline {
    /// Go on; the new deadline is this many epoch ticks from now.
    Continue(u64),
    /// Suspend a resumable call (it can be resumed; the new deadline is this many ticks
    /// from now); a plain call traps with [`Trap::Interrupt`](crate::Trap::Interrupt).
    Yield(u64),
    /// Stop: the call traps with [`Trap::Interrupt`](crate::Trap::Interrupt).
    Interrupt,
}

/// Figures of a store's GC heap (see [`Store::gc_stats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcStats {
    /// Structs and arrays alive.
    pub objects: usize,
    /// Bytes counted against `StoreLimits::gc_heap` (live after the last collection, plus
    /// allocated since).
    pub bytes: usize,
    /// Bytes allocated over the store's life.
    pub allocated: u64,
    /// Collections run.
    pub collections: u64,
}

/// Builds [`StoreLimits`] as wasmtime's `StoreLimitsBuilder` does; unset limits keep their
/// defaults.
///
/// ```
/// use spindle::StoreLimitsBuilder;
/// let limits = StoreLimitsBuilder::new().memory_size(1 << 20).instances(2).build();
/// assert_eq!(limits.memory_size, 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// The default limits.
    pub fn new() -> Self {
        Self::default()
    }
    /// Largest size of one linear memory, in bytes.
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = bytes as u64;
        self
    }
    /// Most elements of one table.
    pub fn table_elements(mut self, elements: usize) -> Self {
        self.0.table_elements = elements as u64;
        self
    }
    /// Most instances in the store.
    pub fn instances(mut self, n: usize) -> Self {
        self.0.instances = n;
        self
    }
    /// Most memories in the store.
    pub fn memories(mut self, n: usize) -> Self {
        self.0.memories = n;
        self
    }
    /// Most tables in the store.
    pub fn tables(mut self, n: usize) -> Self {
        self.0.tables = n;
        self
    }
    /// Deepest Wasm call stack, in frames.
    pub fn call_depth(mut self, frames: usize) -> Self {
        self.0.call_depth = frames;
        self
    }
    /// Most bytes of the GC heap.
    pub fn gc_heap(mut self, bytes: usize) -> Self {
        self.0.gc_heap = bytes;
        self
    }
    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

impl<'a, T: 'static> From<&'a Store<T>> for StoreContext<'a, T> {
    fn from(s: &'a Store<T>) -> Self {
        StoreContext::new(&s.inner)
    }
}
impl<'a, T: 'static> From<&'a mut Store<T>> for StoreContext<'a, T> {
    fn from(s: &'a mut Store<T>) -> Self {
        StoreContext::new(&s.inner)
    }
}
impl<'a, T: 'static> From<&'a Caller<'_, T>> for StoreContext<'a, T> {
    fn from(c: &'a Caller<'_, T>) -> Self {
        StoreContext::new(c.store)
    }
}
impl<'a, T: 'static> From<&'a mut Caller<'_, T>> for StoreContext<'a, T> {
    fn from(c: &'a mut Caller<'_, T>) -> Self {
        StoreContext::new(c.store)
    }
}
impl<'a, T: 'static> From<&'a StoreContextMut<'_, T>> for StoreContext<'a, T> {
    fn from(c: &'a StoreContextMut<'_, T>) -> Self {
        StoreContext::new(c.inner)
    }
}
impl<'a, T: 'static> From<StoreContextMut<'a, T>> for StoreContext<'a, T> {
    fn from(c: StoreContextMut<'a, T>) -> Self {
        StoreContext::new(c.inner)
    }
}
impl<'a, T: 'static> From<&'a mut Store<T>> for StoreContextMut<'a, T> {
    fn from(s: &'a mut Store<T>) -> Self {
        StoreContextMut::new(&mut s.inner)
    }
}
impl<'a, T: 'static> From<&'a mut Caller<'_, T>> for StoreContextMut<'a, T> {
    fn from(c: &'a mut Caller<'_, T>) -> Self {
        StoreContextMut::new(c.store)
    }
}
impl<'a, T: 'static> From<&'a mut StoreContextMut<'_, T>> for StoreContextMut<'a, T> {
    fn from(c: &'a mut StoreContextMut<'_, T>) -> Self {
        StoreContextMut::new(c.inner)
    }
}
