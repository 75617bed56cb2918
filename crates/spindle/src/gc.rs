//! The host's view of GC references: create structs and arrays of a module's types, read
//! and write their fields, and keep references alive across collections with roots.
//!
//! A reference the host only holds as a [`Val::AnyRef`] stays valid until the next
//! collection (which runs as Wasm code or the host allocates); to keep it longer, root it
//! ([`Store::gc_root`]). A reference whose object was collected is stale: every method here
//! refuses it, and so do calls that would pass it to Wasm.

use crate::prelude::*;
use spindle_decode::{StorageType, ValType};
use spindle_exec::from_bits;
use spindle_exec::gc::{self, GcLayout};

use crate::store::check_store;
use crate::{AnyRef, Error, Module, Store, Val};

type Result<T> = core::result::Result<T, Error>;

/// A GC reference the host keeps alive (see [`Store::gc_root`]); valid only with its store.
///
/// ```
/// use spindle::{Engine, Linker, Module, Store, Val};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module (type $point (struct (field i32) (field i32))))"#)?;
/// let mut store = Store::new(&engine, ());
/// let p = store.struct_new(&module, 0, &[Val::I32(3), Val::I32(4)])?;
/// let root = store.gc_root(p)?; // survives collections while rooted
/// store.gc();
/// let p = store.gc_rooted(root).unwrap();
/// assert_eq!(store.struct_get(p, 1)?, Val::I32(4));
/// store.gc_unroot(root);
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GcRoot {
    store: u64,
    index: u32,
}

fn err(what: impl Into<String>) -> Error {
    Error::msg(what.into())
}

/// The value type a field of storage type `s` reads as (packed fields as `i32`).
fn unpacked(s: StorageType) -> ValType {
    s.unpacked()
}

impl<T: 'static> Store<T> {
    /// Roots `r`: it stays alive until [`Store::gc_unroot`].
    pub fn gc_root(&mut self, r: AnyRef) -> Result<GcRoot> {
        let bits = r.to_exec(self.inner.id).0;
        if !self.inner.gc.is_live(bits) {
            return Err(err("stale GC reference"));
        }
        Ok(GcRoot {
            store: self.inner.id,
            index: self.inner.gc.root(bits),
        })
    }

    /// The reference `root` keeps alive (`None` once unrooted).
    pub fn gc_rooted(&self, root: GcRoot) -> Option<AnyRef> {
        check_store(root.store, self.inner.id);
        let r = self.inner.gc.rooted(root.index)?;
        Some(AnyRef::from_exec(spindle_exec::AnyRef(r), self.inner.id))
    }

    /// Releases `root`: its object lives on only as long as something else holds it.
    pub fn gc_unroot(&mut self, root: GcRoot) {
        check_store(root.store, self.inner.id);
        self.inner.gc.unroot(root.index);
    }

    /// The object `r` refers to and its layout.
    fn object(&self, r: AnyRef) -> Result<(&gc::GcObject, alloc::sync::Arc<GcLayout>)> {
        let obj = self
            .inner
            .gc
            .try_get(r.to_exec(self.inner.id).0)
            .ok_or_else(|| err("not a live struct or array reference"))?;
        let layout = self
            .inner
            .registry
            .layout(obj.ty)
            .ok_or_else(|| err("not a struct or array"))?;
        Ok((obj, layout))
    }

    /// Field `field` of struct `r` (a packed field reads as its `i32`, zero-extended).
    pub fn struct_get(&self, r: AnyRef, field: u32) -> Result<Val> {
        let (obj, layout) = self.object(r)?;
        if layout.array {
            return Err(err("not a struct"));
        }
        let at = struct_cell(&layout, field)?;
        let s = layout.storage[field as usize];
        Ok(read(&self.inner, &obj.cells, at, s))
    }

    /// Sets field `field` of struct `r`. (Whether Wasm may mutate the field is not
    /// checked: the host may also initialise immutable fields of objects it made.)
    pub fn struct_set(&mut self, r: AnyRef, field: u32, v: Val) -> Result<()> {
        let (_, layout) = self.object(r)?;
        if layout.array {
            return Err(err("not a struct"));
        }
        let at = struct_cell(&layout, field)?;
        let s = layout.storage[field as usize];
        let v = self.check(&v, s)?;
        let obj = self.inner.gc.get_mut(r.to_exec(self.inner.id).0);
        write(&mut obj.cells, at, s, v);
        Ok(())
    }

    /// The length of array `r`.
    pub fn array_len(&self, r: AnyRef) -> Result<u32> {
        let (obj, layout) = self.object(r)?;
        if !layout.array {
            return Err(err("not an array"));
        }
        Ok((obj.cells.len() / layout.elem_cells.max(1) as usize) as u32)
    }

    /// Element `index` of array `r`.
    pub fn array_get(&self, r: AnyRef, index: u32) -> Result<Val> {
        let len = self.array_len(r)?;
        let (obj, layout) = self.object(r)?;
        if index >= len {
            return Err(err("array index out of bounds"));
        }
        let at = index as usize * layout.elem_cells as usize;
        Ok(read(&self.inner, &obj.cells, at, layout.storage[0]))
    }

    /// Sets element `index` of array `r`.
    pub fn array_set(&mut self, r: AnyRef, index: u32, v: Val) -> Result<()> {
        let len = self.array_len(r)?;
        let (_, layout) = self.object(r)?;
        if index >= len {
            return Err(err("array index out of bounds"));
        }
        let v = self.check(&v, layout.storage[0])?;
        let at = index as usize * layout.elem_cells as usize;
        let obj = self.inner.gc.get_mut(r.to_exec(self.inner.id).0);
        write(&mut obj.cells, at, layout.storage[0], v);
        Ok(())
    }

    /// A new struct of `module`'s type `type_index` with `fields`.
    pub fn struct_new(
        &mut self,
        module: &Module,
        type_index: u32,
        fields: &[Val],
    ) -> Result<AnyRef> {
        let (ty, layout) = self.gc_type(module, type_index)?;
        if layout.array || layout.has_desc || fields.len() != layout.storage.len() {
            return Err(err(
                "struct_new needs a struct type without descriptor and a value per field",
            ));
        }
        let mut cells = Vec::new();
        for (v, s) in fields.iter().zip(layout.storage.iter()) {
            let v = self.check(v, *s)?;
            let at = cells.len();
            cells.resize(at + gc_cells(*s), 0);
            write(&mut cells, at, *s, v);
        }
        self.alloc(ty, false, cells)
    }

    /// A new array of `module`'s type `type_index` holding `elems`.
    pub fn array_new(&mut self, module: &Module, type_index: u32, elems: &[Val]) -> Result<AnyRef> {
        let (ty, layout) = self.gc_type(module, type_index)?;
        if !layout.array {
            return Err(err("array_new needs an array type"));
        }
        let s = layout.storage[0];
        let mut cells = vec![0; elems.len() * gc_cells(s)];
        for (i, v) in elems.iter().enumerate() {
            let v = self.check(v, s)?;
            write(&mut cells, i * gc_cells(s), s, v);
        }
        self.alloc(ty, true, cells)
    }

    fn gc_type(
        &self,
        module: &Module,
        type_index: u32,
    ) -> Result<(u32, alloc::sync::Arc<GcLayout>)> {
        let ty = *module
            .inner
            .types
            .get(type_index as usize)
            .ok_or_else(|| err("no such type in the module"))?;
        let layout = self
            .inner
            .registry
            .layout(ty)
            .ok_or_else(|| err("not a struct or array type"))?;
        Ok((ty, layout))
    }

    /// Allocates an object of `cells` (which, not yet in the heap, are roots of a
    /// collection run here).
    fn alloc(&mut self, ty: u32, array: bool, cells: Vec<u64>) -> Result<AnyRef> {
        let limit = self.inner.limits.gc_heap;
        let heap = &self.inner.gc;
        if heap.wants_collection(cells.len()) || heap.over_limit(cells.len(), limit) {
            self.inner.collect_garbage_with(&cells);
        }
        let heap = &mut self.inner.gc;
        if heap.over_limit(cells.len(), limit) {
            return Err(Error::new(crate::Trap::GcHeapExhausted));
        }
        if heap.layouts.len() <= ty as usize {
            heap.layouts.resize(ty as usize + 1, None);
        }
        heap.layouts[ty as usize] = self.inner.registry.layout(ty);
        let bits = self.inner.gc.alloc(ty, array, cells.into());
        Ok(AnyRef::from_exec(spindle_exec::AnyRef(bits), self.inner.id))
    }

    /// Whether `v` can be stored in a field of storage type `s`.
    fn check(&self, v: &Val, s: StorageType) -> Result<spindle_exec::Val> {
        let v = v.to_exec(self.inner.id);
        if self.inner.val_matches(&v, unpacked(s)) {
            Ok(v)
        } else {
            Err(err(format!("{v:?} does not fit a field of type {s:?}")))
        }
    }
}

/// Registers a value of storage type `s` takes in an object.
fn gc_cells(s: StorageType) -> usize {
    if s == StorageType::Val(ValType::V128) {
        2
    } else {
        1
    }
}

/// The first cell of field `field` of a struct of `layout`.
fn struct_cell(layout: &GcLayout, field: u32) -> Result<usize> {
    if field as usize >= layout.storage.len() {
        return Err(err("no such field"));
    }
    let before: usize = layout.field_cells[..field as usize]
        .iter()
        .map(|c| *c as usize)
        .sum();
    Ok(before)
}

fn read(store: &spindle_exec::Store, cells: &[u64], at: usize, s: StorageType) -> Val {
    let v = match s {
        StorageType::I8 => spindle_exec::Val::I32(cells[at] as u8 as i32),
        StorageType::I16 => spindle_exec::Val::I32(cells[at] as u16 as i32),
        StorageType::Val(ValType::V128) => {
            spindle_exec::Val::V128(cells[at] as u128 | (cells[at + 1] as u128) << 64)
        }
        StorageType::Val(t) => from_bits(cells[at], t, &store.registry),
    };
    Val::from_exec(v, store.id)
}

fn write(cells: &mut [u64], at: usize, s: StorageType, v: spindle_exec::Val) {
    let bits = spindle_exec::to_bits128(v);
    cells[at] = bits as u64;
    if gc_cells(s) == 2 {
        cells[at + 1] = (bits >> 64) as u64;
    }
}
