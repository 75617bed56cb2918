//! Shared memories (the threads proposal): one linear memory that stores on several host
//! threads import, with atomics, `memory.atomic.wait` and `notify` between them.

use alloc::sync::Arc;
use core::time::Duration;

use spindle_decode::MemoryType;
use spindle_exec::shared::SharedBuffer;
use spindle_exec::MemoryEntity;

use crate::objects::MemoryAccessError;
use crate::{Engine, Error, Result};

pub use spindle_exec::shared::WaitResult;

/// A shared linear memory, usable from any thread (`Send + Sync`; clones are the same
/// memory). Define it in each store's [`Linker`](crate::Linker) (or pass it to
/// [`Instance::new`](crate::Instance::new)) and instances on different threads share its
/// bytes; an instance's own shared memory is reached with
/// [`Instance::get_shared_memory`](crate::Instance::get_shared_memory).
///
/// The bytes are reserved at the memory's maximum size when it is made (pages are backed
/// as they are first touched), so growing never moves them. Every access, Wasm's or the
/// host's through this handle, is atomic: plain accesses are unordered (relaxed), the atomic
/// instructions sequentially consistent, as the threads proposal's memory model has them.
/// A thread blocked in `memory.atomic.wait` cannot be interrupted by fuel or epochs: give
/// such waits a timeout, or notify them.
///
/// ```
/// use spindle::{Config, Engine, Linker, MemoryType, Module, SharedMemory, Store};
/// let engine = Engine::new(Config::new().wasm_threads(true))?;
/// let memory = SharedMemory::new(&engine, MemoryType::shared(1, 2))?;
/// let module = Module::from_wat(&engine, r#"(module
///     (import "env" "memory" (memory 1 2 shared))
///     (func (export "add") (param i32 i32) (result i32)
///       (i32.atomic.rmw.add (local.get 0) (local.get 1))))"#)?;
/// let threads: Vec<_> = (0..2)
///     .map(|_| {
///         let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
///         std::thread::spawn(move || {
///             let mut store = Store::new(&engine, ());
///             let mut linker = Linker::new(&engine);
///             linker.define(&store, "env", "memory", memory).unwrap();
///             let instance = linker.instantiate(&mut store, &module).unwrap();
///             let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add").unwrap();
///             for _ in 0..1000 {
///                 add.call(&mut store, (16, 1)).unwrap();
///             }
///         })
///     })
///     .collect();
/// threads.into_iter().for_each(|t| t.join().unwrap());
/// let mut word = [0; 4];
/// memory.read(16, &mut word)?;
/// assert_eq!(u32::from_le_bytes(word), 2000);
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Clone)]
pub struct SharedMemory {
    pub(crate) buffer: Arc<SharedBuffer>,
    ty: MemoryType,
}

impl core::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("ty", &self.ty())
            .finish()
    }
}

impl PartialEq for SharedMemory {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.buffer, &other.buffer)
    }
}

impl Eq for SharedMemory {}

impl core::hash::Hash for SharedMemory {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.buffer).hash(state)
    }
}

impl SharedMemory {
    /// A new shared memory of type `ty`, which must be shared and have a maximum.
    pub fn new(_engine: &Engine, ty: MemoryType) -> Result<SharedMemory> {
        if !ty.shared || ty.limits.maximum.is_none() {
            return Err(Error::msg(
                "a shared memory's type must be shared and have a maximum",
            ));
        }
        let entity = MemoryEntity::create(ty, u64::MAX).map_err(Error::new)?;
        let buffer = entity
            .shared
            .ok_or_else(|| Error::msg("a shared memory was expected"))?;
        Ok(SharedMemory { buffer, ty })
    }

    /// The shared memory a store's entity holds (one of its instances' memories).
    pub(crate) fn of_entity(entity: &MemoryEntity) -> Option<SharedMemory> {
        Some(SharedMemory {
            buffer: entity.shared.clone()?,
            ty: entity.ty,
        })
    }

    /// A store entity for this memory (the store's own view of the shared bytes).
    pub(crate) fn entity(&self) -> MemoryEntity {
        let mut m = MemoryEntity::new(spindle_exec::linear::LinearBytes::new(), self.ty);
        m.shared = Some(Arc::clone(&self.buffer));
        m
    }

    /// Its type, with its current size as the minimum.
    pub fn ty(&self) -> MemoryType {
        let mut ty = self.ty;
        ty.limits.initial = self.size();
        ty
    }

    /// The size in pages.
    pub fn size(&self) -> u64 {
        (self.buffer.len() as u64) >> self.ty.page_size_log2()
    }

    /// The size in bytes.
    pub fn data_size(&self) -> usize {
        self.buffer.len()
    }

    /// The page size in bytes.
    pub fn page_size(&self) -> u64 {
        1 << self.ty.page_size_log2()
    }

    /// Grows by `delta` pages; the old size in pages. Every thread sees the new size.
    pub fn grow(&self, delta: u64) -> Result<u64> {
        let log2 = self.ty.page_size_log2();
        let max = self.ty.limits.maximum.unwrap_or(0);
        self.buffer
            .grow_to(|old| {
                let new = ((old as u64) >> log2).checked_add(delta)?;
                (new <= max).then_some(())?;
                usize::try_from(new.checked_mul(1 << log2)?).ok()
            })
            .map(|old| (old as u64) >> log2)
            .ok_or_else(|| Error::msg("failed to grow the shared memory"))
    }

    fn range(&self, offset: usize, len: usize) -> core::result::Result<usize, MemoryAccessError> {
        offset
            .checked_add(len)
            .filter(|end| *end <= self.buffer.len())
            .map(|_| offset)
            .ok_or(MemoryAccessError::new())
    }

    /// Copies `buffer.len()` bytes from `offset` into `buffer` (unordered byte accesses:
    /// other threads may be writing them).
    pub fn read(
        &self,
        offset: usize,
        buffer: &mut [u8],
    ) -> core::result::Result<(), MemoryAccessError> {
        let at = self.range(offset, buffer.len())?;
        self.buffer.read(at, buffer);
        Ok(())
    }

    /// Copies `data` to `offset`.
    pub fn write(&self, offset: usize, data: &[u8]) -> core::result::Result<(), MemoryAccessError> {
        let at = self.range(offset, data.len())?;
        self.buffer.write(at, data);
        Ok(())
    }

    /// The 32-bit value at `addr` (a multiple of 4), read sequentially consistent.
    pub fn atomic_load32(&self, addr: u64) -> Result<u32> {
        let at = self.aligned(addr, 4)?;
        Ok(self
            .buffer
            .load(at, 4, core::sync::atomic::Ordering::SeqCst) as u32)
    }

    /// Stores `v` at `addr` (a multiple of 4), sequentially consistent.
    pub fn atomic_store32(&self, addr: u64, v: u32) -> Result<()> {
        let at = self.aligned(addr, 4)?;
        self.buffer
            .store(at, 4, v as u64, core::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn aligned(&self, addr: u64, width: u64) -> Result<usize> {
        if !addr.is_multiple_of(width) {
            return Err(Error::msg("unaligned atomic access"));
        }
        let at = usize::try_from(addr).map_err(|_| Error::msg("out of bounds memory access"))?;
        self.range(at, width as usize)
            .map_err(|_| Error::msg("out of bounds memory access"))
    }

    /// Wakes up to `count` threads waiting at `addr`; how many it woke.
    pub fn atomic_notify(&self, addr: u64, count: u32) -> Result<u32> {
        let at = self.aligned(addr, 4)?;
        Ok(self.buffer.notify(at, count))
    }

    /// Waits at `addr` while it holds `expected`, until notified or `timeout` passes.
    pub fn atomic_wait32(
        &self,
        addr: u64,
        expected: u32,
        timeout: Option<Duration>,
    ) -> Result<WaitResult> {
        let at = self.aligned(addr, 4)?;
        Ok(self.buffer.wait(at, 4, expected as u64, timeout))
    }

    /// Waits at `addr` while its 64 bits hold `expected`, until notified or `timeout`.
    pub fn atomic_wait64(
        &self,
        addr: u64,
        expected: u64,
        timeout: Option<Duration>,
    ) -> Result<WaitResult> {
        let at = self.aligned(addr, 8)?;
        Ok(self.buffer.wait(at, 8, expected, timeout))
    }

    /// Threads waiting in this memory now.
    pub fn waiters(&self) -> usize {
        self.buffer.waiting()
    }
}
