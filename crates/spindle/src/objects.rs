//! Memories, tables, globals and tags, created by the host or exported by instances.

use crate::prelude::*;
use core::fmt;

use spindle_decode::{GlobalType, MemoryType, TableType, ValType};
use spindle_exec::{from_bits, from_bits128, to_bits, to_bits128, GlobalEntity, MemoryEntity};
use spindle_exec::{TableEntity, Val as ExecVal};

use crate::error::EngineError;
use crate::store::{check_store, AsContext, AsContextMut, StoreContext, StoreContextMut};
use crate::{Error, ExternType, Func, FuncType, Result, SharedMemory, Val};

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub struct $name {
            store: u64,
            index: u32,
        }

        impl $name {
            pub(crate) fn from_index(store: u64, index: u32) -> Self {
                $name { store, index }
            }

            /// The store's index of the entity; panics if `store` is not its store.
            #[track_caller]
            pub(crate) fn index(self, store: u64) -> u32 {
                check_store(self.store, store);
                self.index
            }
        }
    };
}

handle!(
    /// A linear memory of a store (a handle, valid only with its store).
    ///
    /// ```
    /// use spindle::{Engine, Memory, MemoryType, Store};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let memory = Memory::new(&mut store, MemoryType::new(1, Some(2)))?;
    /// memory.write(&mut store, 8, b"spindle")?;
    /// let mut buf = [0; 7];
    /// memory.read(&store, 8, &mut buf)?;
    /// assert_eq!(&buf, b"spindle");
    /// assert!(memory.read(&store, 65_535, &mut buf).is_err()); // past the end
    /// assert_eq!(memory.grow(&mut store, 1)?, 1);
    /// assert!(memory.grow(&mut store, 1).is_err()); // beyond the maximum
    /// # Ok::<(), spindle::Error>(())
    /// ```
    Memory
);
handle!(
    /// A table of a store (a handle, valid only with its store).
    ///
    /// ```
    /// use spindle::{Engine, Func, RefType, Store, Table, TableType, Val};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let table = Table::new(&mut store, TableType::new(RefType::FUNCREF, 2, Some(4)), Val::FuncRef(None))?;
    /// let f = Func::wrap(&mut store, || 7);
    /// table.set(&mut store, 1, Val::FuncRef(Some(f)))?;
    /// assert_eq!(table.get(&store, 1), Some(Val::FuncRef(Some(f))));
    /// assert_eq!(table.grow(&mut store, 2, Val::FuncRef(None))?, 2);
    /// assert!(table.grow(&mut store, 1, Val::FuncRef(None)).is_err()); // maximum 4
    /// # Ok::<(), spindle::Error>(())
    /// ```
    Table
);
handle!(
    /// A global of a store (a handle, valid only with its store).
    ///
    /// ```
    /// use spindle::{Engine, Global, GlobalType, Mutability, Store, Val, ValType};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let ty = GlobalType::new(ValType::I64, Mutability::Var);
    /// let counter = Global::new(&mut store, ty, Val::I64(1))?;
    /// counter.set(&mut store, Val::I64(2))?;
    /// assert_eq!(counter.get(&store), Val::I64(2));
    /// # Ok::<(), spindle::Error>(())
    /// ```
    Global
);
handle!(
    /// An exception tag of a store: what `throw` names and `catch` clauses match, by
    /// identity (a handle, valid only with its store).
    ///
    /// ```
    /// use spindle::{Caller, Engine, Extern, FuncType, Instance, Module, Store, Tag, Val, ValType};
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module
    ///     (import "host" "tag" (tag $t (param i32)))
    ///     (import "host" "fail" (func $fail (param i32)))
    ///     (func (export "run") (param i32) (result i32)
    ///       (block $caught (result i32)
    ///         (try_table (catch $t $caught) (call $fail (local.get 0)))
    ///         (i32.const -1))))"#)?;
    /// let mut store = Store::new(&engine, ());
    /// let tag = Tag::new(&mut store, FuncType::new(&engine, [ValType::I32], []))?;
    /// // A host function throws a Wasm exception that the guest catches.
    /// let fail = spindle::Func::wrap(&mut store, move |mut caller: Caller<'_, ()>, x: i32| -> spindle::Result<()> {
    ///     Err(caller.throw(tag, &[Val::I32(x * 2)]))
    /// });
    /// let instance = Instance::new(&mut store, &module, &[Extern::Tag(tag), Extern::Func(fail)])?;
    /// let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
    /// assert_eq!(run.call(&mut store, 21)?, 42);
    /// # Ok::<(), spindle::Error>(())
    /// ```
    Tag
);

/// A read or write outside a memory's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryAccessError {
    _private: (),
}

impl MemoryAccessError {
    pub(crate) fn new() -> MemoryAccessError {
        MemoryAccessError { _private: () }
    }
}

impl fmt::Display for MemoryAccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of bounds memory access")
    }
}

impl core::error::Error for MemoryAccessError {}

fn limit(what: &str) -> Error {
    Error::new(EngineError::Limit(what.into()))
}

impl Memory {
    /// A new memory of type `ty`.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let s = store.as_context_mut().inner;
        let bytes = ty
            .limits
            .initial
            .checked_mul(1 << ty.page_size_log2())
            .filter(|b| *b <= s.limits.memory_size && *b <= isize::MAX as u64)
            .ok_or_else(|| limit("memory too large"))?;
        if s.memories.len() >= s.limits.memories {
            return Err(limit("too many memories"));
        }
        if ty.shared {
            return Err(Error::msg(
                "a shared memory is made with `SharedMemory::new`, not `Memory::new`",
            ));
        }
        let data = spindle_exec::linear::LinearBytes::zeroed(bytes as usize)
            .ok_or_else(|| limit("out of host memory for a linear memory"))?;
        s.memories.push(MemoryEntity::new(data, ty));
        Ok(Memory::from_index(s.id, (s.memories.len() - 1) as u32))
    }

    fn entity<'a>(&self, s: &'a spindle_exec::Store) -> &'a MemoryEntity {
        &s.memories[self.index(s.id) as usize]
    }

    /// The memory's bytes.
    pub fn data<'a, T: 'static>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        let s = store.into().inner;
        &self.entity(s).data
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a, T: 'static>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> &'a mut [u8] {
        let s = store.into().inner;
        let i = self.index(s.id);
        &mut s.memories[i as usize].data
    }

    /// The memory's bytes and the embedder's data, both mutably (a host function that
    /// copies between guest memory and its own state needs both at once).
    pub fn data_and_store_mut<'a, T: 'static>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> (&'a mut [u8], &'a mut T) {
        let s = store.into().inner;
        let i = self.index(s.id);
        let data = &mut s
            .data
            .downcast_mut::<crate::store::StoreData<T>>()
            .expect("the store's data has the type of its context")
            .data;
        (&mut s.memories[i as usize].data, data)
    }

    /// Copies `buffer.len()` bytes from `offset` into `buffer`; an error, and nothing
    /// copied, when the range is not all inside the memory.
    pub fn read(
        &self,
        store: impl AsContext,
        offset: usize,
        buffer: &mut [u8],
    ) -> core::result::Result<(), MemoryAccessError> {
        let s = store.as_context().inner;
        let data = &self.entity(s).data;
        let src = offset
            .checked_add(buffer.len())
            .and_then(|end| data.get(offset..end))
            .ok_or(MemoryAccessError { _private: () })?;
        buffer.copy_from_slice(src);
        Ok(())
    }

    /// Copies `buffer` to the memory at `offset`; an error, and nothing written, when the
    /// range is not all inside the memory.
    pub fn write(
        &self,
        mut store: impl AsContextMut,
        offset: usize,
        buffer: &[u8],
    ) -> core::result::Result<(), MemoryAccessError> {
        let s = store.as_context_mut().inner;
        let i = self.index(s.id);
        let data = &mut s.memories[i as usize].data;
        let dst = offset
            .checked_add(buffer.len())
            .and_then(|end| data.get_mut(offset..end))
            .ok_or(MemoryAccessError { _private: () })?;
        dst.copy_from_slice(buffer);
        Ok(())
    }

    /// The size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        self.entity(store.as_context().inner).data.len()
    }

    /// The size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.entity(store.as_context().inner).pages()
    }

    /// The page size in bytes (64 KiB unless the custom page sizes proposal set another).
    pub fn page_size(&self, store: impl AsContext) -> u64 {
        1 << self.entity(store.as_context().inner).ty.page_size_log2()
    }

    /// Grows by `delta` pages; the old size in pages, or an error when the memory's
    /// maximum or the store's limits do not allow it.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let s = store.as_context_mut().inner;
        let i = self.index(s.id);
        match spindle_exec::memory_grow(s, i as usize, delta) {
            u64::MAX => Err(limit("failed to grow memory")),
            old => Ok(old),
        }
    }

    /// The memory's type (its minimum is the current size).
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let m = self.entity(store.as_context().inner);
        let mut ty = m.ty;
        ty.limits.initial = m.pages();
        ty
    }
}

/// `Ok` when `value` has type `ty` in `store`.
fn check(s: &spindle_exec::Store, value: &ExecVal, ty: ValType) -> Result<()> {
    if s.val_matches(value, ty) {
        Ok(())
    } else {
        Err(Error::msg(format!("{value:?} does not have type {ty}")))
    }
}

impl Table {
    /// A new table of type `ty` with every element `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let s = store.as_context_mut().inner;
        if ty.limits.initial > s.limits.table_elements {
            return Err(limit("table too large"));
        }
        if s.tables.len() >= s.limits.tables {
            return Err(limit("too many tables"));
        }
        let init = init.to_exec(s.id);
        check(s, &init, ValType::Ref(ty.element))?;
        let elems = spindle_exec::fallible::try_filled(ty.limits.initial as usize, to_bits(init))
            .ok_or_else(|| limit("out of host memory for a table"))?;
        s.tables.push(TableEntity { elems, ty });
        Ok(Table::from_index(s.id, (s.tables.len() - 1) as u32))
    }

    fn entity<'a>(&self, s: &'a spindle_exec::Store) -> &'a TableEntity {
        &s.tables[self.index(s.id) as usize]
    }

    /// Number of elements.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.entity(store.as_context().inner).elems.len() as u64
    }

    /// The element at `index` (`None` past the end).
    pub fn get(&self, store: impl AsContext, index: u64) -> Option<Val> {
        let s = store.as_context().inner;
        let t = self.entity(s);
        let bits = *t.elems.get(usize::try_from(index).ok()?)?;
        let v = from_bits(bits, ValType::Ref(t.ty.element), &s.registry);
        Some(Val::from_exec(v, s.id))
    }

    /// Sets the element at `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, value: Val) -> Result<()> {
        let s = store.as_context_mut().inner;
        let i = self.index(s.id) as usize;
        let value = value.to_exec(s.id);
        check(s, &value, ValType::Ref(s.tables[i].ty.element))?;
        match usize::try_from(index)
            .ok()
            .and_then(|at| s.tables[i].elems.get_mut(at))
        {
            Some(slot) => {
                *slot = to_bits(value);
                Ok(())
            }
            None => Err(Error::new(crate::Trap::TableOutOfBounds)),
        }
    }

    /// Grows by `delta` elements set to `init`; the old size, or an error.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        let s = store.as_context_mut().inner;
        let i = self.index(s.id) as usize;
        let init = init.to_exec(s.id);
        check(s, &init, ValType::Ref(s.tables[i].ty.element))?;
        match spindle_exec::table_grow(s, i, delta, to_bits(init)) {
            u64::MAX => Err(limit("failed to grow table")),
            old => Ok(old),
        }
    }

    /// The table's type (its minimum is the current size).
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let t = self.entity(store.as_context().inner);
        let mut ty = t.ty;
        ty.limits.initial = t.elems.len() as u64;
        ty
    }
}

impl Global {
    /// A new global of type `ty` holding `value`, which must have the global's type.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        let s = store.as_context_mut().inner;
        let value = value.to_exec(s.id);
        check(s, &value, ty.content)?;
        s.globals.push(GlobalEntity::new(ty, to_bits128(value)));
        Ok(Global::from_index(s.id, (s.globals.len() - 1) as u32))
    }

    /// The global's value.
    pub fn get(&self, store: impl AsContext) -> Val {
        let s = store.as_context().inner;
        let g = &s.globals[self.index(s.id) as usize];
        Val::from_exec(from_bits128(g.bits(), g.ty.content, &s.registry), s.id)
    }

    /// Sets a mutable global.
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        let s = store.as_context_mut().inner;
        let i = self.index(s.id) as usize;
        let ty = s.globals[i].ty;
        if !ty.mutable {
            return Err(Error::msg("the global is immutable"));
        }
        let value = value.to_exec(s.id);
        check(s, &value, ty.content)?;
        s.globals[i] = GlobalEntity::new(ty, to_bits128(value));
        Ok(())
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        let s = store.as_context().inner;
        s.globals[self.index(s.id) as usize].ty
    }
}

impl Tag {
    /// A new tag whose exceptions carry values of `ty`'s parameter types; `ty` must have no
    /// results.
    pub fn new(mut store: impl AsContextMut, ty: FuncType) -> Result<Tag> {
        if !ty.results.is_empty() {
            return Err(Error::msg("a tag's type has no results"));
        }
        let s = store.as_context_mut().inner;
        let id = s.registry.intern(&ty);
        s.tags.push(id);
        Ok(Tag::from_index(s.id, (s.tags.len() - 1) as u32))
    }

    /// The tag's type: its parameters are the payload's types.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let s = store.as_context().inner;
        s.registry.get(s.tags[self.index(s.id) as usize])
    }
}

/// Anything that can be imported or exported.
///
/// ```
/// use spindle::{Engine, Extern, Memory, MemoryType, Store};
/// let engine = Engine::default();
/// let mut store = Store::new(&engine, ());
/// let e: Extern = Memory::new(&mut store, MemoryType::new(1, None))?.into();
/// assert!(e.clone().into_func().is_none());
/// assert_eq!(e.into_memory().unwrap().size(&store), 1);
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A shared memory (of no store: any store on any thread may import it).
    SharedMemory(SharedMemory),
    /// A global.
    Global(Global),
    /// An exception tag.
    Tag(Tag),
}

macro_rules! extern_variants {
    ($($variant:ident $into:ident,)*) => {
        $(
            impl From<$variant> for Extern {
                fn from(x: $variant) -> Self {
                    Extern::$variant(x)
                }
            }
        )*
        impl Extern {
            $(
                #[doc = concat!("The ", stringify!($variant), ", if this is one.")]
                pub fn $into(self) -> Option<$variant> {
                    match self {
                        Extern::$variant(x) => Some(x),
                        _ => None,
                    }
                }
            )*
        }
    };
}

extern_variants! {
    Func into_func,
    Table into_table,
    Memory into_memory,
    SharedMemory into_shared_memory,
    Global into_global,
    Tag into_tag,
}

impl Extern {
    /// What it is, with its type.
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty(store)),
            Extern::Table(t) => ExternType::Table(t.ty(store)),
            Extern::Memory(m) => ExternType::Memory(m.ty(store)),
            Extern::SharedMemory(m) => ExternType::Memory(m.ty()),
            Extern::Global(g) => ExternType::Global(g.ty(store)),
            Extern::Tag(t) => ExternType::Tag(t.ty(store)),
        }
    }

    /// The interpreter's form in store `s`; panics if it belongs to another store. A shared
    /// memory gets an entity in `s` (the same one each time).
    #[track_caller]
    pub(crate) fn to_exec(&self, s: &mut spindle_exec::Store) -> spindle_exec::Extern {
        if let Extern::SharedMemory(m) = self {
            let found = s.memories.iter().position(|e| {
                e.shared
                    .as_ref()
                    .is_some_and(|b| alloc::sync::Arc::ptr_eq(b, &m.buffer))
            });
            let index = found.unwrap_or_else(|| {
                s.memories.push(m.entity());
                s.memories.len() - 1
            });
            return spindle_exec::Extern::Memory(index as u32);
        }
        self.to_exec_of(s.id)
    }

    /// `to_exec` for an entity of a store (not a shared memory): checks it is `store`'s.
    #[track_caller]
    pub(crate) fn to_exec_of(&self, store: u64) -> spindle_exec::Extern {
        match *self {
            Extern::SharedMemory(_) => unreachable!("shared memories go through `to_exec`"),
            Extern::Func(f) => spindle_exec::Extern::Func(f.index(store)),
            Extern::Table(t) => spindle_exec::Extern::Table(t.index(store)),
            Extern::Memory(m) => spindle_exec::Extern::Memory(m.index(store)),
            Extern::Global(g) => spindle_exec::Extern::Global(g.index(store)),
            Extern::Tag(t) => spindle_exec::Extern::Tag(t.index(store)),
        }
    }

    /// The embedder's form of `s`'s entity `e` (a shared memory as a [`SharedMemory`]).
    pub(crate) fn from_exec(s: &spindle_exec::Store, e: spindle_exec::Extern) -> Self {
        let store = s.id;
        match e {
            spindle_exec::Extern::Func(f) => Extern::Func(Func::from_index(store, f)),
            spindle_exec::Extern::Table(t) => Extern::Table(Table::from_index(store, t)),
            spindle_exec::Extern::Memory(m) => {
                match s.memories.get(m as usize).and_then(SharedMemory::of_entity) {
                    Some(shared) => Extern::SharedMemory(shared),
                    None => Extern::Memory(Memory::from_index(store, m)),
                }
            }
            spindle_exec::Extern::Global(g) => Extern::Global(Global::from_index(store, g)),
            spindle_exec::Extern::Tag(t) => Extern::Tag(Tag::from_index(store, t)),
        }
    }
}
