//! Engine-wide type identities: every module's rec groups are canonicalised across the
//! engine, so that equivalent types (Wasm 3.0's type equivalence: structurally equal rec
//! groups, their outside references to equivalent types) get the same id in every module and
//! `call_indirect` and import checks compare two integers.

use crate::platform::Lock;
use crate::prelude::*;
use alloc::collections::BTreeMap;

use alloc::sync::Arc;

use spindle_decode::{
    AbstractHeapType, CompositeType, HeapType, RefType, StorageType, SubType, ValType,
};

use crate::gc::GcLayout;
use spindle_validate::{map_sub, TypeSpace};

/// A function signature.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

impl FuncType {
    /// A function type of `params` and `results`. The first argument is the engine, as in
    /// wasmtime's signature (`FuncType::new(&engine, params, results)`); types here belong
    /// to no engine, so any value will do.
    pub fn new<E: ?Sized>(
        _engine: &E,
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// The parameter types.
    pub fn params(&self) -> impl ExactSizeIterator<Item = ValType> + '_ {
        self.params.iter().copied()
    }

    /// The result types.
    pub fn results(&self) -> impl ExactSizeIterator<Item = ValType> + '_ {
        self.results.iter().copied()
    }
}

/// As in the text format: `(func (param i32 i64) (result i32))`.
impl core::fmt::Display for FuncType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("(func")?;
        for (word, types) in [("param", &self.params), ("result", &self.results)] {
            if !types.is_empty() {
                write!(f, " ({word}")?;
                for t in types.iter() {
                    write!(f, " {t}")?;
                }
                f.write_str(")")?;
            }
        }
        f.write_str(")")
    }
}

/// Interned types, shared by an engine's modules and stores.
#[derive(Default, Debug)]
pub struct TypeRegistry {
    inner: Lock<Registry>,
}

/// Marks a type index as local to the rec group being keyed. Engine ids stay below it.
const REC_LOCAL: u32 = 1 << 31;

#[derive(Default, Debug)]
struct Registry {
    /// The signature of each id (empty for struct and array types).
    /// Shared, so that hot paths ([`TypeRegistry::get_arc`]) take a reference, not a copy.
    types: Vec<Arc<FuncType>>,
    /// The declared supertype of each id.
    supers: Vec<Option<u32>>,
    /// The abstract heap type each id is a kind of (`func`, `struct` or `array`).
    kinds: Vec<AbstractHeapType>,
    /// Where the references of each struct and array type are (`None` for functions).
    layouts: Vec<Option<Arc<GcLayout>>>,
    /// Canonical rec groups: their structure, references outside the group as engine ids and
    /// inside it as `REC_LOCAL | position`, to the id of their first type.
    groups: BTreeMap<Vec<SubType>, u32>,
}

impl Registry {
    /// The ids of a rec group's types given its key, interning it.
    fn group(&mut self, key: Vec<SubType>) -> u32 {
        if let Some(base) = self.groups.get(&key) {
            return *base;
        }
        let base = self.types.len() as u32;
        assert!(
            base as usize + key.len() < REC_LOCAL as usize,
            "more than 2^31 types in one engine"
        );
        // Within the key a type index is an engine id, or `REC_LOCAL | position` in the group.
        let engine_id = |x: u32| match x & REC_LOCAL {
            0 => x,
            _ => base + (x & !REC_LOCAL),
        };
        let local_kind = |t: &SubType| match t.composite {
            CompositeType::Func(_) => AbstractHeapType::Func,
            CompositeType::Struct(_) => AbstractHeapType::Struct,
            CompositeType::Array(_) => AbstractHeapType::Array,
        };
        // Layouts name engine ids (the group's own types are `base..`).
        let layouts: Vec<Option<Arc<GcLayout>>> = key
            .iter()
            .map(|t| {
                let kind_of = |x: u32| match x.checked_sub(base) {
                    Some(i) if (i as usize) < key.len() => key.get(i as usize).map(local_kind),
                    _ => self.kinds.get(x as usize).copied(),
                };
                layout(&map_sub(t, &mut |x| engine_id(x)), kind_of)
            })
            .collect();
        self.layouts.extend(layouts);
        for t in &key {
            self.types
                .push(Arc::new(signature(&map_sub(t, &mut |x| engine_id(x)))));
            self.supers
                .push(t.supertypes.first().map(|&x| engine_id(x)));
            self.kinds.push(match t.composite {
                CompositeType::Func(_) => AbstractHeapType::Func,
                CompositeType::Struct(_) => AbstractHeapType::Struct,
                CompositeType::Array(_) => AbstractHeapType::Array,
            });
        }
        self.groups.insert(key, base);
        base
    }
}

/// Whether values of storage type `s` are references of the `any` or `extern` hierarchies
/// (what the collector traces); `kind_of` gives a concrete type's kind.
pub fn is_gc_ref(t: ValType, kind_of: impl Fn(u32) -> Option<AbstractHeapType>) -> bool {
    use AbstractHeapType as A;
    match t {
        ValType::Ref(RefType { heap, .. }) => match heap {
            HeapType::Abstract(a) => matches!(
                a,
                A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None | A::Extern | A::NoExtern
            ),
            HeapType::Concrete(x) | HeapType::Exact(x) => {
                matches!(kind_of(x), Some(A::Struct | A::Array))
            }
        },
        _ => false,
    }
}

/// Whether values of type `t` are references the collector traces: those of the
/// `any`/`extern` hierarchies ([`is_gc_ref`]) and exception references.
pub fn is_traced(t: ValType, kind_of: impl Fn(u32) -> Option<AbstractHeapType>) -> bool {
    use AbstractHeapType as A;
    matches!(
        t,
        ValType::Ref(RefType {
            heap: HeapType::Abstract(A::Exn | A::NoExn),
            ..
        })
    ) || is_gc_ref(t, kind_of)
}

/// Registers a value of storage type `s` takes in an object.
pub fn storage_cells(s: StorageType) -> u32 {
    match s {
        StorageType::Val(ValType::V128) => 2,
        _ => 1,
    }
}

/// The collector's layout of struct or array type `t`.
fn layout(t: &SubType, kind_of: impl Fn(u32) -> Option<AbstractHeapType>) -> Option<Arc<GcLayout>> {
    let is_ref = |s: StorageType| match s {
        StorageType::Val(v) => is_traced(v, &kind_of),
        _ => false,
    };
    match &t.composite {
        CompositeType::Func(_) => None,
        CompositeType::Array(f) => Some(Arc::new(GcLayout {
            array: true,
            elem_cells: storage_cells(f.storage) as u8,
            elem_refs: is_ref(f.storage),
            ref_cells: Box::new([]),
            field_cells: Box::new([]),
            has_desc: false,
            desc_cell: 0,
            storage: Box::new([f.storage]),
        })),
        CompositeType::Struct(fields) => {
            let has_desc = t.descriptor.is_some();
            let mut at = 0;
            let mut refs = Vec::new();
            for f in fields.iter() {
                if is_ref(f.storage) {
                    refs.push(at);
                }
                at += storage_cells(f.storage);
            }
            if has_desc {
                refs.push(at);
            }
            Some(Arc::new(GcLayout {
                array: false,
                elem_cells: 0,
                elem_refs: false,
                ref_cells: refs.into(),
                field_cells: fields
                    .iter()
                    .map(|f| storage_cells(f.storage) as u8)
                    .collect(),
                has_desc,
                desc_cell: at,
                storage: fields.iter().map(|f| f.storage).collect(),
            }))
        }
    }
}

/// The signature of `t` (type indices in it as they are), empty for struct and array types.
fn signature(t: &SubType) -> FuncType {
    match &t.composite {
        CompositeType::Func(f) => FuncType {
            params: f.params().to_vec(),
            results: f.results().to_vec(),
        },
        _ => FuncType {
            params: Vec::new(),
            results: Vec::new(),
        },
    }
}

impl TypeRegistry {
    /// The id of a function type defined alone, final and without supertype (what a host
    /// function's signature is), interning it.
    pub fn intern(&self, ty: &FuncType) -> u32 {
        let sub = SubType {
            is_final: true,
            supertypes: Box::new([]),
            composite: CompositeType::Func(spindle_decode::FuncType::new(&ty.params, &ty.results)),
            descriptor: None,
            describes: None,
        };
        let mut r = self.inner.lock();
        r.group(vec![sub])
    }

    /// The engine id of each type of a module, in index order, interning its rec groups.
    pub fn intern_module(&self, space: &TypeSpace) -> Vec<u32> {
        let mut r = self.inner.lock();
        let mut ids: Vec<u32> = Vec::with_capacity(space.len() as usize);
        let mut i = 0;
        while i < space.len() {
            let (start, len) = space.group_of(i);
            let members: Vec<&SubType> =
                (start..start + len).filter_map(|t| space.get(t)).collect();
            let key: Vec<SubType> = members
                .iter()
                .map(|t| {
                    map_sub(t, &mut |x| {
                        if x >= start {
                            REC_LOCAL | (x - start)
                        } else {
                            ids[x as usize]
                        }
                    })
                })
                .collect();
            let base = r.group(key);
            ids.extend(base..base + len);
            i = start + len;
        }
        ids
    }

    /// Whether type `a` is `b` or declares it as a (transitive) supertype.
    pub fn is_subtype(&self, a: u32, b: u32) -> bool {
        let r = self.inner.lock();
        let mut cur = Some(a);
        // Chains are bounded by the subtyping depth limit and acyclic (supertypes precede).
        for _ in 0..=spindle_decode::limits::MAX_SUBTYPING_DEPTH + 1 {
            match cur {
                Some(t) if t == b => return true,
                Some(t) => cur = r.supers.get(t as usize).copied().flatten(),
                None => return false,
            }
        }
        false
    }

    /// Whether value type `a` matches `b`, both in engine form (concrete type indices are
    /// engine ids): reference types by nullability and heap subtyping.
    pub fn is_val_subtype(&self, a: ValType, b: ValType) -> bool {
        match (a, b) {
            _ if a == b => true,
            (ValType::Ref(x), ValType::Ref(y)) => self.is_ref_subtype(x, y),
            _ => false,
        }
    }

    fn is_ref_subtype(&self, a: RefType, b: RefType) -> bool {
        if a.nullable && !b.nullable {
            return false;
        }
        let kind = |id: u32| {
            let r = self.inner.lock();
            r.kinds.get(id as usize).copied()
        };
        use AbstractHeapType as A;
        match (a.heap, b.heap) {
            (HeapType::Abstract(x), HeapType::Abstract(y)) => spindle_validate::abstract_sub(x, y),
            (HeapType::Concrete(i) | HeapType::Exact(i), HeapType::Abstract(y)) => {
                kind(i).is_some_and(|k| spindle_validate::abstract_sub(k, y))
            }
            (HeapType::Abstract(x), HeapType::Concrete(j) | HeapType::Exact(j)) => matches!(
                (x, kind(j)),
                (A::NoFunc, Some(A::Func)) | (A::None, Some(A::Struct | A::Array))
            ),
            (HeapType::Concrete(i) | HeapType::Exact(i), HeapType::Concrete(j)) => {
                self.is_subtype(i, j)
            }
            (HeapType::Exact(i), HeapType::Exact(j)) => i == j,
            (HeapType::Concrete(_), HeapType::Exact(_)) => false,
        }
    }

    /// The collector's layout of struct or array type `id`.
    pub fn layout(&self, id: u32) -> Option<Arc<GcLayout>> {
        let r = self.inner.lock();
        r.layouts.get(id as usize).cloned().flatten()
    }

    /// The kind (`func`, `struct`, `array`) of type `id`.
    pub fn kind(&self, id: u32) -> Option<AbstractHeapType> {
        let r = self.inner.lock();
        r.kinds.get(id as usize).copied()
    }

    /// The signature of the type with id `id` (empty for struct and array types), its
    /// concrete reference types naming engine ids.
    pub fn get(&self, id: u32) -> FuncType {
        (*self.get_arc(id)).clone()
    }

    /// [`TypeRegistry::get`] without copying the signature (what calls use).
    pub fn get_arc(&self, id: u32) -> Arc<FuncType> {
        let r = self.inner.lock();
        r.types[id as usize].clone()
    }
}
