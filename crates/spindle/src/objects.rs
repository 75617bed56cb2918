//! Memories, tables, globals and tags, created by the host or exported by instances.

use spindle_decode::{GlobalType, MemoryType, TableType, ValType};
use spindle_exec::{
    from_bits, from_bits128, to_bits, to_bits128, Error, FuncType, GlobalEntity, MemoryEntity,
    TableEntity, Val,
};

use crate::func::Func;
use crate::Store;

/// A linear memory of a store.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Memory(pub(crate) u32);

/// A table of a store.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Table(pub(crate) u32);

/// A global of a store.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Global(pub(crate) u32);

/// An exception tag of a store: what `throw` names and `catch` clauses match, by identity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Tag(pub(crate) u32);

impl Tag {
    /// A new tag whose exceptions carry values of `ty`'s parameter types; `ty` must have no
    /// results.
    pub fn new<T>(store: &mut Store<T>, ty: FuncType) -> Result<Tag, Error> {
        if !ty.results.is_empty() {
            return Err(Error::Call("a tag's type has no results".into()));
        }
        let id = store.inner.registry.intern(&ty);
        store.inner.tags.push(id);
        Ok(Tag((store.inner.tags.len() - 1) as u32))
    }

    /// The tag's type: its parameters are the payload's types.
    pub fn ty<T>(&self, store: &Store<T>) -> FuncType {
        store.inner.registry.get(store.inner.tags[self.0 as usize])
    }
}

/// Anything that can be imported or exported.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A global.
    Global(Global),
    /// An exception tag.
    Tag(Tag),
}

impl From<Func> for Extern {
    fn from(f: Func) -> Self {
        Extern::Func(f)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Self {
        Extern::Table(t)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Self {
        Extern::Memory(m)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Self {
        Extern::Global(g)
    }
}

impl Extern {
    pub(crate) fn to_exec(self) -> spindle_exec::Extern {
        match self {
            Extern::Func(f) => spindle_exec::Extern::Func(f.0),
            Extern::Table(t) => spindle_exec::Extern::Table(t.0),
            Extern::Memory(m) => spindle_exec::Extern::Memory(m.0),
            Extern::Global(g) => spindle_exec::Extern::Global(g.0),
            Extern::Tag(t) => spindle_exec::Extern::Tag(t.0),
        }
    }

    pub(crate) fn from_exec(e: spindle_exec::Extern) -> Option<Self> {
        Some(match e {
            spindle_exec::Extern::Func(f) => Extern::Func(Func(f)),
            spindle_exec::Extern::Table(t) => Extern::Table(Table(t)),
            spindle_exec::Extern::Memory(m) => Extern::Memory(Memory(m)),
            spindle_exec::Extern::Global(g) => Extern::Global(Global(g)),
            spindle_exec::Extern::Tag(t) => Extern::Tag(Tag(t)),
        })
    }
}

impl Memory {
    /// A new memory of type `ty`.
    pub fn new<T>(store: &mut Store<T>, ty: MemoryType) -> Result<Memory, Error> {
        let bytes = ty.limits.initial << ty.page_size_log2();
        if bytes > store.inner.limits.memory_size {
            return Err(Error::Limit("memory too large".into()));
        }
        store.inner.memories.push(MemoryEntity {
            data: vec![0; bytes as usize],
            ty,
        });
        Ok(Memory((store.inner.memories.len() - 1) as u32))
    }

    /// The memory's bytes.
    pub fn data<'a, T>(&self, store: &'a Store<T>) -> &'a [u8] {
        &store.inner.memories[self.0 as usize].data
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a, T>(&self, store: &'a mut Store<T>) -> &'a mut [u8] {
        &mut store.inner.memories[self.0 as usize].data
    }

    /// Size in pages.
    pub fn size<T>(&self, store: &Store<T>) -> u64 {
        store.inner.memories[self.0 as usize].pages()
    }

    /// Grows by `delta` pages; returns the old size, or `None` when not allowed.
    pub fn grow<T>(&self, store: &mut Store<T>, delta: u64) -> Option<u64> {
        let old = spindle_exec::memory_grow(&mut store.inner, self.0 as usize, delta);
        (old != u64::MAX).then_some(old)
    }

    /// The memory's type.
    pub fn ty<T>(&self, store: &Store<T>) -> MemoryType {
        store.inner.memories[self.0 as usize].ty
    }
}

impl Table {
    /// A new table of type `ty` with every element `init`.
    pub fn new<T>(store: &mut Store<T>, ty: TableType, init: Val) -> Result<Table, Error> {
        if ty.limits.initial > store.inner.limits.table_elements {
            return Err(Error::Limit("table too large".into()));
        }
        check(store, &init, ValType::Ref(ty.element))?;
        store.inner.tables.push(TableEntity {
            elems: vec![to_bits(init); ty.limits.initial as usize],
            ty,
        });
        Ok(Table((store.inner.tables.len() - 1) as u32))
    }

    /// Number of elements.
    pub fn size<T>(&self, store: &Store<T>) -> u64 {
        store.inner.tables[self.0 as usize].elems.len() as u64
    }

    /// The element at `index`.
    pub fn get<T>(&self, store: &Store<T>, index: u64) -> Option<Val> {
        let t = &store.inner.tables[self.0 as usize];
        let bits = *t.elems.get(usize::try_from(index).ok()?)?;
        Some(from_bits(
            bits,
            spindle_decode::ValType::Ref(t.ty.element),
            &store.inner.registry,
        ))
    }

    /// Sets the element at `index`.
    pub fn set<T>(&self, store: &mut Store<T>, index: u64, value: Val) -> Result<(), Error> {
        let element = store.inner.tables[self.0 as usize].ty.element;
        check(store, &value, ValType::Ref(element))?;
        let t = &mut store.inner.tables[self.0 as usize];
        match usize::try_from(index).ok().and_then(|i| t.elems.get_mut(i)) {
            Some(slot) => {
                *slot = to_bits(value);
                Ok(())
            }
            None => Err(Error::Trap(spindle_exec::Trap::new(
                spindle_exec::TrapCode::TableOutOfBounds,
            ))),
        }
    }

    /// Grows by `delta` elements set to `init`; returns the old size, or `None` (also when
    /// `init` does not have the element type).
    pub fn grow<T>(&self, store: &mut Store<T>, delta: u64, init: Val) -> Option<u64> {
        let element = store.inner.tables[self.0 as usize].ty.element;
        check(store, &init, ValType::Ref(element)).ok()?;
        let old = spindle_exec::table_grow(&mut store.inner, self.0 as usize, delta, to_bits(init));
        (old != u64::MAX).then_some(old)
    }

    /// The table's type.
    pub fn ty<T>(&self, store: &Store<T>) -> TableType {
        store.inner.tables[self.0 as usize].ty
    }
}

impl Global {
    /// A new global of type `ty` holding `value`, which must have the global's type.
    pub fn new<T>(store: &mut Store<T>, ty: GlobalType, value: Val) -> Result<Global, Error> {
        check(store, &value, ty.content)?;
        store
            .inner
            .globals
            .push(GlobalEntity::new(ty, to_bits128(value)));
        Ok(Global((store.inner.globals.len() - 1) as u32))
    }

    /// The global's value.
    pub fn get<T>(&self, store: &Store<T>) -> Val {
        let g = &store.inner.globals[self.0 as usize];
        from_bits128(g.bits(), g.ty.content, &store.inner.registry)
    }

    /// Sets a mutable global.
    pub fn set<T>(&self, store: &mut Store<T>, value: Val) -> Result<(), Error> {
        let content = store.inner.globals[self.0 as usize].ty.content;
        check(store, &value, content)?;
        let g = &mut store.inner.globals[self.0 as usize];
        if !g.ty.mutable {
            return Err(Error::Call("global is immutable".into()));
        }
        *g = GlobalEntity::new(g.ty, to_bits128(value));
        Ok(())
    }

    /// The global's type.
    pub fn ty<T>(&self, store: &Store<T>) -> GlobalType {
        store.inner.globals[self.0 as usize].ty
    }
}

/// `Ok` when `value` has type `ty` (see `spindle_exec::Store::val_matches`).
fn check<T>(store: &Store<T>, value: &Val, ty: ValType) -> Result<(), Error> {
    if store.inner.val_matches(value, ty) {
        Ok(())
    } else {
        Err(Error::Call(format!("{value:?} does not have type {ty}")))
    }
}
