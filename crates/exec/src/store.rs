#![forbid(unsafe_code)]
//! The store: every runtime entity (functions, memories, tables, globals, instances) lives in
//! one of its vectors and is named by index. References in registers are `index + 1` (0 is
//! null).

use crate::prelude::*;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::any::Any;
use core::sync::atomic::AtomicU64;
use core::sync::atomic::Ordering;

use crate::module::CompiledModule;
use spindle_decode::{GlobalType, MemoryType, TableType, ValType};

use crate::types::TypeRegistry;
use crate::{Trap, TrapCode, Val};

/// A host function: gets the store (for its data and re-entry), arguments, result slots.
pub type HostFunc = Arc<dyn Fn(&mut Store, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync>;

/// A host function over raw registers, for types of numbers and vectors only: the
/// arguments are in the slice's first cells as registers hold them (one cell a value, two
/// for a `v128`: low half first), and the function writes its results the same way from
/// cell 0. The slice is as long as the longer of the two. No `Val` is built on the way:
/// this is what typed host functions (`Func::wrap`) use.
pub type CellHostFunc = Arc<CellHostFn>;

/// The closure behind a [`CellHostFunc`].
pub type CellHostFn = dyn Fn(&mut Store, &mut [u64]) -> Result<(), Trap> + Send + Sync;

/// The most cells a [`CellHostFunc`]'s arguments or results may take (a wider function
/// goes through [`HostFunc`]).
pub const MAX_HOST_CELLS: usize = 32;

/// The least number of held exceptions at which a `throw` collects garbage first.
pub const MIN_EXCEPTION_THRESHOLD: usize = 1024;

/// The code of a host function.
#[derive(Clone)]
pub enum HostCode {
    /// Over values: any type.
    Vals(HostFunc),
    /// Over registers: numbers and vectors only, at most [`MAX_HOST_CELLS`] each way.
    Cells(CellHostFunc),
}

/// What an epoch callback (`Store::epoch_callback`) says to do once the deadline is
/// reached. Each carries a delta: the new deadline is the counter's value when the
/// callback returns plus the delta (saturating).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EpochUpdate {
    /// Go on running with the new deadline.
    Continue(u64),
    /// Set the new deadline and stop: a resumable call suspends (its `Suspension` says
    /// `interrupted`, and resuming continues after the check), any other call traps with
    /// `TrapCode::Interrupt`.
    Yield(u64),
}

/// The embedder's epoch callback: see `Store::epoch_callback`.
pub type EpochCallback = Box<dyn FnMut(&mut Store) -> Result<EpochUpdate, Trap> + Send>;

/// A function of the store.
#[derive(Clone)]
pub enum FuncEntity {
    /// Defined function `index` of `module`, instantiated as `instance`.
    Wasm {
        instance: u32,
        ty: u32,
        module: Arc<CompiledModule>,
        index: u32,
    },
    /// A host function; `sig` is its type, kept here so calls need no registry lookup.
    Host {
        ty: u32,
        func: HostCode,
        sig: Arc<crate::types::FuncType>,
        /// The registers the arguments and the results take (a `v128` two).
        cells: (u16, u16),
    },
}

impl FuncEntity {
    /// The engine-wide type id.
    pub fn ty(&self) -> u32 {
        match self {
            FuncEntity::Wasm { ty, .. } | FuncEntity::Host { ty, .. } => *ty,
        }
    }
}

/// A linear memory: its bytes in `data`, or, for a shared memory, in `shared` (which
/// stores on other threads may hold too; `data` stays empty). Code that may meet either
/// goes through the methods below.
#[derive(Debug)]
pub struct MemoryEntity {
    pub data: crate::linear::LinearBytes,
    pub shared: Option<Arc<crate::shared::SharedBuffer>>,
    pub ty: MemoryType,
}

impl MemoryEntity {
    /// An unshared memory holding `data`.
    pub fn new(data: crate::linear::LinearBytes, ty: MemoryType) -> MemoryEntity {
        MemoryEntity {
            data,
            shared: None,
            ty,
        }
    }

    /// A new memory of type `ty` at its initial size, at most `limit` bytes ever: a shared
    /// one reserves its maximum (or `limit`, if less) up front.
    pub fn create(ty: MemoryType, limit: u64) -> Result<MemoryEntity, crate::Error> {
        let bytes = ty.limits.initial << ty.page_size_log2();
        if bytes > limit {
            return Err(crate::Error::Limit("memory too large".into()));
        }
        let out_of_memory = || crate::Error::Limit("out of host memory for a linear memory".into());
        if ty.shared {
            let mut m = MemoryEntity::new(crate::linear::LinearBytes::new(), ty);
            let max = m
                .max_pages()
                .saturating_mul(1 << ty.page_size_log2())
                .min(limit)
                .min(isize::MAX as u64);
            m.shared = Some(
                crate::shared::SharedBuffer::new(bytes as usize, max as usize)
                    .ok_or_else(out_of_memory)?,
            );
            return Ok(m);
        }
        let data = crate::linear::LinearBytes::zeroed(bytes as usize).ok_or_else(out_of_memory)?;
        Ok(MemoryEntity::new(data, ty))
    }

    /// Size in pages.
    pub fn pages(&self) -> u64 {
        (self.len() as u64) >> self.ty.page_size_log2()
    }

    /// Size in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.shared {
            None => self.data.len(),
            Some(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The little-endian value of the `width` bytes at `at` (in bounds), zero-extended: a
    /// plain (unordered) access.
    pub fn read_le(&self, at: usize, width: u64) -> u64 {
        match &self.shared {
            None => {
                let mut all = [0u8; 8];
                all[..width as usize].copy_from_slice(&self.data[at..at + width as usize]);
                u64::from_le_bytes(all)
            }
            Some(b) => b.load(at, width, Ordering::Relaxed),
        }
    }

    /// Stores the low `width` bytes of `v` at `at` (in bounds): a plain access.
    pub fn write_le(&mut self, at: usize, width: u64, v: u64) {
        match &self.shared {
            None => self.data[at..at + width as usize]
                .copy_from_slice(&v.to_le_bytes()[..width as usize]),
            Some(b) => b.store(at, width, v, Ordering::Relaxed),
        }
    }

    /// Copies bytes from `at` (in bounds) into `out`.
    pub fn read(&self, at: usize, out: &mut [u8]) {
        match &self.shared {
            None => out.copy_from_slice(&self.data[at..at + out.len()]),
            Some(b) => b.read(at, out),
        }
    }

    /// Copies `bytes` to `at` (in bounds).
    pub fn write(&mut self, at: usize, bytes: &[u8]) {
        match &self.shared {
            None => self.data[at..at + bytes.len()].copy_from_slice(bytes),
            Some(b) => b.write(at, bytes),
        }
    }

    /// Sets `[start, end)` (in bounds) to `v`.
    pub fn fill(&mut self, start: usize, end: usize, v: u8) {
        match &self.shared {
            None => self.data[start..end].fill(v),
            Some(b) => b.fill(start, end, v),
        }
    }

    /// Copies `[src, src_end)` to `dst` (both in bounds) within this memory.
    pub fn copy_within(&mut self, src: usize, src_end: usize, dst: usize) {
        match &self.shared {
            None => self.data.copy_within(src..src_end, dst),
            Some(b) => b.copy_within(src, dst, src_end - src),
        }
    }

    /// The most pages this memory may ever have.
    pub fn max_pages(&self) -> u64 {
        let cap = if self.ty.memory64 {
            1u64 << 48
        } else {
            1u64 << (32 - self.ty.page_size_log2())
        };
        self.ty.limits.maximum.unwrap_or(cap).min(cap)
    }
}

/// A table of references (as register bits).
#[derive(Clone, Debug)]
pub struct TableEntity {
    pub elems: Vec<u64>,
    pub ty: TableType,
}

impl TableEntity {
    pub fn max(&self) -> u64 {
        let cap = if self.ty.table64 {
            u64::MAX
        } else {
            u32::MAX as u64
        };
        self.ty.limits.maximum.unwrap_or(cap).min(cap)
    }
}

/// A global.
#[derive(Clone, Copy, Debug)]
pub struct GlobalEntity {
    /// The value's register bits (the low half of a `v128`).
    pub value: u64,
    /// The high half of a `v128` (0 for every other type).
    pub high: u64,
    pub ty: GlobalType,
}

impl GlobalEntity {
    /// A global of type `ty` holding the bits `bits` (see [`to_bits128`]).
    pub fn new(ty: GlobalType, bits: u128) -> GlobalEntity {
        GlobalEntity {
            value: bits as u64,
            high: (bits >> 64) as u64,
            ty,
        }
    }

    /// The value's bits.
    pub fn bits(&self) -> u128 {
        self.value as u128 | (self.high as u128) << 64
    }
}

/// A thrown exception: its tag (store index) and payload (register bits).
#[derive(Clone, Debug)]
pub struct ExceptionEntity {
    pub tag: u32,
    pub payload: Box<[u64]>,
    /// Whether a reference to it may exist (an `exnref` was made, or it left a call or came
    /// from the host). An exception caught without one is freed at once; one with a
    /// reference lives until the collector finds no reference left.
    pub referenced: bool,
    /// Whether the host holds it through a `Trap` (it left a call, or the host made it): the
    /// collector cannot see those, so it stays as long as the store.
    pub pinned: bool,
    /// False once freed (its place waits in `Store::free_exceptions`).
    pub live: bool,
    /// The place's generation, counted up as it is freed: part of an `exnref`'s bits.
    pub gen: u32,
}

/// An exported or imported entity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Extern {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
    Tag(u32),
}

/// An instance: its index spaces, mapped to store entities.
#[derive(Clone, Debug, Default)]
pub struct InstanceEntity {
    pub funcs: Vec<u32>,
    pub tables: Vec<u32>,
    pub memories: Vec<u32>,
    pub globals: Vec<u32>,
    pub tags: Vec<u32>,
    /// Data segments (emptied by `data.drop` and after active initialisation).
    pub datas: Vec<Arc<[u8]>>,
    /// Element segments as register bits (emptied by `elem.drop`).
    pub elems: Vec<Vec<u64>>,
    /// Whether each element segment holds references the collector traces.
    pub elem_gc: Vec<bool>,
    pub exports: BTreeMap<String, Extern>,
    /// Export names in definition order.
    pub export_names: Vec<String>,
}

/// Limits a store enforces, with what embedders expect as defaults.
#[derive(Clone, Copy, Debug)]
pub struct StoreLimits {
    /// Largest size of one memory, in bytes.
    pub memory_size: u64,
    /// Most elements of one table.
    pub table_elements: u64,
    pub instances: usize,
    pub memories: usize,
    pub tables: usize,
    /// Deepest Wasm call stack (frames).
    pub call_depth: usize,
    /// Most registers of all live frames together.
    pub stack_registers: usize,
    /// Deepest nesting of host-to-Wasm re-entry (each nesting uses native stack).
    pub reentry_depth: usize,
    /// Most native stack, in bytes, that nested host-to-Wasm re-entries may use below the
    /// outermost call into Wasm (Wasm-to-Wasm calls use none).
    pub native_stack: usize,
    /// Most exceptions held at once (those a reference may still name: caught with a
    /// reference, thrown by the host, or left a call); one more traps.
    pub exceptions: usize,
    /// Most bytes the GC heap of structs and arrays may hold (after a collection); an
    /// allocation past it traps.
    pub gc_heap: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            memory_size: 1 << 32,
            table_elements: 10_000_000,
            instances: 10_000,
            memories: 10_000,
            tables: 10_000,
            call_depth: 10_000,
            stack_registers: 4 << 20,
            reentry_depth: 1_000,
            native_stack: 128 * 1024,
            exceptions: 100_000,
            gc_heap: 1 << 30,
        }
    }
}

/// A frame of the interpreter's call stack.
#[derive(Clone)]
pub(crate) struct Frame {
    /// The caller's state, resumed when the callee returns.
    pub caller: crate::interp::Current,
    /// The caller's next instruction (its code lives as long as the store).
    pub ip: *const crate::interp::Op,
    pub base: usize,
}

/// All runtime entities, and the interpreter's stacks.
pub struct Store {
    /// This store's identity, unique in the process (never reused): handles of the
    /// embedding API carry it, so one used with another store is caught.
    pub id: u64,
    pub registry: Arc<TypeRegistry>,
    /// The embedder's data (typed by the API layer).
    pub data: Box<dyn Any + Send>,
    /// State a layer above the interpreter keeps per store, independent of the embedder's
    /// data type (the component layer's instances and functions).
    pub extension: Option<Box<dyn Any + Send>>,
    /// Every function, by store index. Only ever appended to: the interpreter calls host
    /// closures through pointers into these entries.
    pub funcs: Vec<FuncEntity>,
    pub memories: Vec<MemoryEntity>,
    pub tables: Vec<TableEntity>,
    pub globals: Vec<GlobalEntity>,
    /// Exception tags: the engine-wide id of each one's function type (its payload).
    pub tags: Vec<u32>,
    /// Exceptions; an `exnref` names one by index and generation (`gc::exn`). One caught by
    /// a clause without a reference is freed at once (its index joins `free_exceptions`);
    /// the collector frees those no reference reaches any more; those the host holds
    /// through a `Trap` (`ExceptionEntity::pinned`) live as long as the store.
    pub exceptions: Vec<ExceptionEntity>,
    pub free_exceptions: Vec<u32>,
    /// A `throw` collects garbage first when this many exceptions are held (twice those
    /// alive after the last collection, at least `MIN_EXCEPTION_THRESHOLD`).
    pub exception_threshold: usize,
    pub instances: Vec<InstanceEntity>,
    pub limits: StoreLimits,
    /// The backend its instances' code is encoded for, and so runs on (the first
    /// instance's module's, `CodeOptions::dispatch`): a run follows calls from one
    /// instance's code into another's, so `instantiate` refuses a module encoded for the
    /// other backend.
    pub(crate) code_dispatch: Option<crate::interp::Dispatch>,
    pub(crate) stack: Vec<u64>,
    pub(crate) frames: Vec<Frame>,
    /// Each Wasm function's code and frame details once a call has resolved them (indexed
    /// like `funcs`; null code until then, and for host functions): calls skip the lookup.
    pub(crate) callees: Vec<crate::interp::Current>,
    /// First free register above every live frame, where a call into Wasm from outside
    /// the running code starts (a host function calling back, an embedder's call beside a
    /// suspended one). Set whenever the run hands control out (host calls, the epoch
    /// callback, a suspension) and at its end; Wasm-to-Wasm calls and returns do not keep
    /// it (see `interp::handlers::call_func`).
    pub(crate) stack_top: usize,
    /// Fuel left (charged only by modules compiled with fuel metering).
    pub fuel: u64,
    /// The epoch counter, shared by every store of an engine: the embedder increments it
    /// (typically from a timer thread) and code compiled with epoch checks compares it with
    /// `epoch_deadline` at function entry and loop headers. Replaced only while no call
    /// runs ([`Store::set_epoch_counter`]): a run reads it through a pointer.
    epoch_counter: Arc<AtomicU64>,
    /// The counter value at which code with epoch checks stops (absolute). 0 by default,
    /// as in wasmtime: such code is interrupted at its first check until the embedder sets
    /// a deadline.
    pub epoch_deadline: u64,
    /// Called when a check finds the deadline reached (instead of trapping with
    /// `TrapCode::Interrupt`), with the store as a host function sees it. It is taken out
    /// of the store while it runs (Wasm it calls that reaches the deadline traps); one it
    /// installs meanwhile replaces it. Its error ends the call with that trap.
    pub epoch_callback: Option<EpochCallback>,
    /// Where the last run stopped for lack of fuel (taken by the caller at once).
    pub(crate) paused: Option<crate::interp::Paused>,
    /// With `paused`, when a host function failed: the absolute register of its first
    /// result and its store index.
    pub(crate) host_failed: Option<(usize, u32)>,
    /// Nesting of interpreter runs (host functions calling back into Wasm).
    pub(crate) reentry: usize,
    /// Reused buffers for host calls' arguments and results.
    pub(crate) host_vals: Vec<Val>,
    /// Approximate native stack position of the outermost call into Wasm.
    pub(crate) native_base: usize,
    /// The heap of structs and arrays.
    pub gc: crate::gc::GcHeap,
    /// The Wasm frames stopped in a call to a host function (their state is not in
    /// `frames`), each with `frames.len()` when it made the call: the collector reads their
    /// references too, and backtraces place them among `frames` by that depth.
    pub(crate) host_frames: Vec<(Frame, usize)>,
    /// The resumable calls suspended on this store, oldest first: their frames stay on the
    /// stacks until they finish, or until the embedder drops them (noticed at the next call,
    /// which then unwinds them).
    pub(crate) suspensions: Vec<crate::interp::SuspensionRecord>,
    /// The suspended calls parked off the stacks (`interp::park`), in no order: the
    /// collector reads their references here.
    pub(crate) parked: Vec<crate::interp::ParkedSegment>,
    /// The payload of a host function's panic, caught where Wasm called the function so the
    /// run unwinds as after a trap; the embedding API re-raises it once the call is back in
    /// the embedder's hands.
    pub panic: Option<Box<dyn Any + Send>>,
    /// `host_frames.len()` when the host called a host function directly (not from Wasm),
    /// innermost last: such a function has no calling instance.
    pub(crate) host_called_at: Vec<usize>,
}

impl Store {
    /// How many interpreter runs are in progress: 1 inside a host function called by the
    /// embedder's call, more inside calls a host function made. Only a host function
    /// called at depth 1 can suspend a resumable call.
    pub fn run_depth(&self) -> usize {
        self.reentry
    }

    /// An empty store.
    pub fn new(registry: Arc<TypeRegistry>, data: Box<dyn Any + Send>) -> Self {
        static NEXT_ID: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);
        Store {
            id: NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
            registry,
            data,
            extension: None,
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            tags: Vec::new(),
            exceptions: Vec::new(),
            free_exceptions: Vec::new(),
            exception_threshold: MIN_EXCEPTION_THRESHOLD,
            instances: Vec::new(),
            limits: StoreLimits::default(),
            code_dispatch: None,
            stack: Vec::new(),
            frames: Vec::new(),
            callees: Vec::new(),
            stack_top: 0,
            reentry: 0,
            host_vals: Vec::new(),
            fuel: 0,
            epoch_counter: Arc::new(AtomicU64::new(0)),
            epoch_deadline: 0,
            epoch_callback: None,
            paused: None,
            host_failed: None,
            native_base: 0,
            gc: crate::gc::GcHeap::default(),
            host_frames: Vec::new(),
            suspensions: Vec::new(),
            parked: Vec::new(),
            panic: None,
            host_called_at: Vec::new(),
        }
    }

    /// A new exception of store tag `tag` with `payload` (the tag's parameter values), as
    /// the trap a host function returns to throw it; a host error instead when the payload
    /// does not fit the tag's type.
    pub fn new_exception(&mut self, tag: u32, payload: &[Val]) -> Trap {
        let Some(&ty) = self.tags.get(tag as usize) else {
            return Trap::host("no such tag in this store");
        };
        let params = self.registry.get(ty).params;
        if params.len() != payload.len()
            || !payload
                .iter()
                .zip(&params)
                .all(|(v, t)| self.val_matches(v, *t))
        {
            return Trap::host(format!(
                "an exception of this tag carries values of types {params:?}"
            ));
        }
        let mut cells = vec![0; cells_of(&params)];
        write_all_cells(&mut cells, 0, payload);
        let payload = cells.into_boxed_slice();
        // The host keeps the trap: the exception must stay.
        match self.add_exception(tag, payload, true) {
            Ok(exn) => Trap::exception(exn),
            Err(t) => t,
        }
    }

    /// Stores a new exception, reusing a freed place; its index, or a trap when the store
    /// already holds `StoreLimits::exceptions` of them.
    pub fn add_exception(
        &mut self,
        tag: u32,
        payload: Box<[u64]>,
        referenced: bool,
    ) -> Result<u32, Trap> {
        if self.exceptions.len() - self.free_exceptions.len() >= self.limits.exceptions {
            return Err(Trap::new(TrapCode::ExceptionLimit));
        }
        let exn = ExceptionEntity {
            tag,
            payload,
            referenced,
            pinned: referenced,
            live: true,
            gen: 0,
        };
        Ok(match self.free_exceptions.pop() {
            Some(i) => {
                let gen = self.exceptions[i as usize].gen;
                self.exceptions[i as usize] = ExceptionEntity { gen, ..exn };
                i
            }
            None => {
                self.exceptions.push(exn);
                (self.exceptions.len() - 1) as u32
            }
        })
    }

    /// Frees exception `exn` (nothing names it any more).
    pub fn free_exception(&mut self, exn: u32) {
        if let Some(e) = self.exceptions.get_mut(exn as usize).filter(|e| e.live) {
            e.live = false;
            e.gen = (e.gen + 1) & crate::gc::EXN_GEN_MASK;
            e.payload = Box::new([]);
            self.free_exceptions.push(exn);
        }
    }

    /// Whether `exn` names an exception the store holds.
    pub fn exception_is_live(&self, exn: u32) -> bool {
        self.exceptions.get(exn as usize).is_some_and(|e| e.live)
    }

    /// Exceptions held (those not freed).
    pub fn exceptions_held(&self) -> usize {
        self.exceptions.len() - self.free_exceptions.len()
    }

    /// The `exnref` bits of held exception `exn`, which from now on only the collector frees.
    pub fn exception_ref(&mut self, exn: u32) -> u64 {
        let e = &mut self.exceptions[exn as usize];
        e.referenced = true;
        crate::gc::exn(exn, e.gen)
    }

    /// The index of the exception `bits` (an `exnref`) names, if it is still held: the
    /// host may hand in references the collector has freed since.
    pub fn exception_index(&self, bits: u64) -> Option<u32> {
        let (i, gen) = crate::gc::exn_parts(bits)?;
        let e = self.exceptions.get(i as usize)?;
        (e.live && e.gen == gen).then_some(i)
    }

    /// Keeps exception `exn` as long as the store: the host holds it through a `Trap`.
    pub fn pin_exception(&mut self, exn: u32) {
        if let Some(e) = self.exceptions.get_mut(exn as usize) {
            e.referenced = true;
            e.pinned = true;
        }
    }

    /// The tag and payload of the exception `trap` carries, if it carries one.
    pub fn exception_of(&self, trap: &Trap) -> Option<(u32, Vec<Val>)> {
        let exn = self
            .exceptions
            .get(trap.exception? as usize)
            .filter(|e| e.live)?;
        let ty = self.registry.get(*self.tags.get(exn.tag as usize)?);
        let payload = read_all_cells(&exn.payload, 0, &ty.params, &self.registry).collect();
        Some((exn.tag, payload))
    }

    /// Whether `v` is a value of type `t` (`t` in engine form: concrete types are engine
    /// ids): references by their hierarchy, nullability and, for functions, the function's
    /// type. What the host passes in and host functions return is checked with this.
    pub fn val_matches(&self, v: &Val, t: ValType) -> bool {
        use spindle_decode::{AbstractHeapType as A, HeapType, RefType};
        let reference = |nullable: bool, heap: HeapType| {
            self.registry
                .is_val_subtype(ValType::Ref(RefType { nullable, heap }), t)
        };
        match (v, t) {
            (Val::I32(_), ValType::I32)
            | (Val::I64(_), ValType::I64)
            | (Val::F32(_), ValType::F32)
            | (Val::F64(_), ValType::F64)
            | (Val::V128(_), ValType::V128) => true,
            // Every null is the same bits: a function reference's null also stands for a
            // concrete type's (struct or array) null.
            (
                Val::FuncRef(None),
                ValType::Ref(RefType {
                    nullable,
                    heap: HeapType::Concrete(_) | HeapType::Exact(_),
                }),
            ) => nullable,
            (Val::FuncRef(None), _) => reference(true, HeapType::Abstract(A::NoFunc)),
            (Val::FuncRef(Some(f)), _) => self
                .funcs
                .get(*f as usize)
                .is_some_and(|f| reference(false, HeapType::Concrete(f.ty()))),
            (Val::ExternRef(None), _) => reference(true, HeapType::Abstract(A::NoExtern)),
            (Val::ExternRef(Some(_)), _) => reference(false, HeapType::Abstract(A::Extern)),
            (Val::ExnRef(None), _) => reference(true, HeapType::Abstract(A::NoExn)),
            (Val::ExnRef(Some(e)), _) => {
                self.exception_index(*e).is_some() && reference(false, HeapType::Abstract(A::Exn))
            }
            (Val::AnyRef(None), ValType::Ref(rt)) => {
                rt.nullable
                    && !matches!(
                        rt.heap,
                        HeapType::Abstract(A::Func | A::NoFunc | A::Exn | A::NoExn)
                    )
                    && crate::types::is_gc_ref(t, |id| self.registry.kind(id))
            }
            (Val::AnyRef(Some(r)), ValType::Ref(rt)) => {
                self.gc.is_live(r.0)
                    && crate::types::is_gc_ref(t, |id| self.registry.kind(id))
                    && crate::interp::ref_matches_type(self, r.0, rt)
            }
            _ => false,
        }
    }

    /// Collects garbage now: frees every struct and array no Wasm frame, global, table,
    /// element segment or exception holds.
    pub fn collect_garbage(&mut self) {
        crate::interp::collect_garbage(self, None, &[]);
    }

    /// `collect_garbage` with `extra` (register values) as roots too.
    pub fn collect_garbage_with(&mut self, extra: &[u64]) {
        crate::interp::collect_garbage(self, None, extra);
    }

    /// The epoch counter this store's code checks.
    pub fn epoch_counter(&self) -> &Arc<AtomicU64> {
        &self.epoch_counter
    }

    /// Makes the store check `counter` (an engine's, shared by its stores). Panics while a
    /// call runs in the store (from a host function or an epoch callback): the running
    /// code reads the counter it started with through a pointer.
    pub fn set_epoch_counter(&mut self, counter: Arc<AtomicU64>) {
        assert_eq!(
            self.reentry, 0,
            "the epoch counter cannot change while a call runs in the store"
        );
        self.epoch_counter = counter;
    }

    /// Adds a host function of engine type `ty`.
    pub fn add_host_func(&mut self, ty: u32, func: HostFunc) -> u32 {
        self.add_host_code(ty, HostCode::Vals(func))
            .expect("a host function over values fits any type")
    }

    /// Adds a host function of engine type `ty` with either kind of code; `None` when the
    /// code is over registers and the type has references or is wider than
    /// [`MAX_HOST_CELLS`].
    pub fn add_host_code(&mut self, ty: u32, func: HostCode) -> Option<u32> {
        let sig = Arc::new(self.registry.get(ty));
        if matches!(func, HostCode::Cells(_)) && !cells_fit(&sig) {
            return None;
        }
        let width = |ts: &[ValType]| ts.iter().map(|t| cells(*t)).sum::<usize>() as u16;
        let cells = (width(&sig.params), width(&sig.results));
        self.funcs.push(FuncEntity::Host {
            ty,
            func,
            sig,
            cells,
        });
        Some((self.funcs.len() - 1) as u32)
    }
}

/// Whether a function of type `sig` can be a [`CellHostFunc`]: numbers and vectors only,
/// at most [`MAX_HOST_CELLS`] each way.
pub fn cells_fit(sig: &crate::types::FuncType) -> bool {
    let raw = |ts: &[ValType]| {
        ts.iter().all(|t| !matches!(t, ValType::Ref(_)))
            && ts.iter().map(|t| cells(*t)).sum::<usize>() <= MAX_HOST_CELLS
    };
    raw(&sig.params) && raw(&sig.results)
}

/// How many 64-bit registers a value of type `t` takes: two for a `v128`, else one.
pub fn cells(t: ValType) -> usize {
    if t == ValType::V128 {
        2
    } else {
        1
    }
}

/// How many registers values of `types` take, laid out one after another.
pub fn cells_of(types: &[ValType]) -> usize {
    types.iter().map(|t| cells(*t)).sum()
}

/// A value as 128 bits: a `v128` whole, any other value as its register bits.
pub fn to_bits128(v: Val) -> u128 {
    match v {
        Val::V128(x) => x,
        v => to_bits(v) as u128,
    }
}

/// 128 bits as a value of type `t` (see [`to_bits128`]).
pub fn from_bits128(bits: u128, t: ValType, types: &TypeRegistry) -> Val {
    match t {
        ValType::V128 => Val::V128(bits),
        t => from_bits(bits as u64, t, types),
    }
}

/// Writes `v` to the registers from `regs[at]` (two for a `v128`).
pub fn write_cells(regs: &mut [u64], at: usize, v: Val) {
    regs[at] = to_bits(v);
    if let Val::V128(x) = v {
        regs[at + 1] = (x >> 64) as u64;
    }
}

/// The value of type `t` in the registers from `regs[at]`.
#[inline]
pub fn read_cells(regs: &[u64], at: usize, t: ValType, types: &TypeRegistry) -> Val {
    match t {
        ValType::V128 => Val::V128(regs[at] as u128 | (regs[at + 1] as u128) << 64),
        t => from_bits(regs[at], t, types),
    }
}

/// Writes `vals` of `types` to the registers from `regs[at]`, one after another.
pub fn write_all_cells(regs: &mut [u64], at: usize, vals: &[Val]) {
    let mut at = at;
    for v in vals {
        write_cells(regs, at, *v);
        at += if matches!(v, Val::V128(_)) { 2 } else { 1 };
    }
}

/// The values of `types` in the registers from `regs[at]`, one after another.
pub fn read_all_cells<'a>(
    regs: &'a [u64],
    at: usize,
    types: &'a [ValType],
    registry: &'a TypeRegistry,
) -> impl Iterator<Item = Val> + 'a {
    types.iter().scan(at, move |at, t| {
        let v = read_cells(regs, *at, *t, registry);
        *at += cells(*t);
        Some(v)
    })
}

/// A value as register bits (the low half of a `v128`).
pub fn to_bits(v: Val) -> u64 {
    match v {
        Val::I32(x) => x as u32 as u64,
        Val::I64(x) => x as u64,
        Val::F32(x) => x as u64,
        Val::F64(x) => x,
        Val::V128(x) => x as u64,
        Val::FuncRef(r) => r.map_or(0, |i| i as u64 + 1),
        Val::ExnRef(r) => r.unwrap_or(0),
        Val::ExternRef(r) => r.map_or(0, crate::gc::host),
        Val::AnyRef(r) => r.map_or(0, |r| r.0),
    }
}

/// The zero value of a type with no concrete heap type (numbers, vectors, abstract
/// references): what `from_bits(0, t, _)` gives.
pub fn zero_of(t: ValType) -> Val {
    from_bits(0, t, &TypeRegistry::default())
}

/// Register bits as a value of type `t`.
#[inline]
pub fn from_bits(bits: u64, t: ValType, types: &TypeRegistry) -> Val {
    match t {
        ValType::I32 => Val::I32(bits as u32 as i32),
        ValType::I64 => Val::I64(bits as i64),
        ValType::F32 => Val::F32(bits as u32),
        ValType::F64 => Val::F64(bits),
        ValType::V128 => Val::V128(bits as u128),
        ValType::Ref(rt) => ref_from_bits(bits, rt, types),
    }
}

/// `from_bits` for a reference type.
fn ref_from_bits(bits: u64, rt: spindle_decode::RefType, types: &TypeRegistry) -> Val {
    use spindle_decode::{AbstractHeapType as A, HeapType};
    let r = if bits == 0 {
        None
    } else {
        Some((bits - 1) as u32)
    };
    let any = |bits: u64| (bits != 0).then_some(crate::AnyRef(bits));
    match rt.heap {
        HeapType::Abstract(A::Extern | A::NoExtern) => match crate::gc::kind(bits) {
            _ if bits == 0 => Val::ExternRef(None),
            crate::gc::RefKind::Host(n) => Val::ExternRef(Some(n)),
            _ => Val::AnyRef(any(bits)),
        },
        HeapType::Abstract(A::Exn | A::NoExn) => Val::ExnRef((bits != 0).then_some(bits)),
        HeapType::Abstract(A::Func | A::NoFunc) => Val::FuncRef(r),
        HeapType::Abstract(_) => Val::AnyRef(any(bits)),
        HeapType::Concrete(id) | HeapType::Exact(id) => match types.kind(id) {
            Some(A::Func) | None => Val::FuncRef(r),
            Some(_) => Val::AnyRef(any(bits)),
        },
    }
}
