//! The module's type space: rec groups canonicalised so that structurally equal groups get
//! the same identity (the GC proposal's type equivalence), and subtyping over it.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use spindle_decode::{
    AbstractHeapType as A, CompositeType, FieldType, FuncType, HeapType, RecGroup, RefType,
    StorageType, SubType, ValType,
};

use crate::error::{bail, Result};

/// Marks a type index as local to the rec group being keyed (see [`TypeSpace::add_group`]).
const REC_LOCAL: u32 = 1 << 31;

/// All defined types of a module, with canonical identities.
#[derive(Default)]
pub struct TypeSpace {
    /// Every type, in index order (rec groups flattened).
    types: Vec<SubType>,
    /// Canonical id of each type: equal ids mean equivalent types.
    canon: Vec<u32>,
    /// Rec group (first index, length) of each type.
    group: Vec<(u32, u32)>,
    /// Canonical groups seen so far, keyed by their structure.
    groups: BTreeMap<Vec<SubType>, u32>,
    next_canon: u32,
}

fn map_heap(h: HeapType, f: &mut impl FnMut(u32) -> u32) -> HeapType {
    match h {
        HeapType::Abstract(_) => h,
        HeapType::Concrete(i) => HeapType::Concrete(f(i)),
        HeapType::Exact(i) => HeapType::Exact(f(i)),
    }
}

fn map_val(v: ValType, f: &mut impl FnMut(u32) -> u32) -> ValType {
    match v {
        ValType::Ref(r) => ValType::Ref(RefType {
            nullable: r.nullable,
            heap: map_heap(r.heap, f),
        }),
        v => v,
    }
}

fn map_field(t: FieldType, f: &mut impl FnMut(u32) -> u32) -> FieldType {
    let storage = match t.storage {
        StorageType::Val(v) => StorageType::Val(map_val(v, f)),
        s => s,
    };
    FieldType {
        storage,
        mutable: t.mutable,
    }
}

/// `t` with every type index `i` it refers to replaced by `f(i)` (used to key rec groups
/// structurally, here per module and in the engine across modules).
pub fn map_sub(t: &SubType, f: &mut impl FnMut(u32) -> u32) -> SubType {
    let composite = match &t.composite {
        CompositeType::Func(ft) => {
            let params: Vec<ValType> = ft.params().iter().map(|v| map_val(*v, f)).collect();
            let results: Vec<ValType> = ft.results().iter().map(|v| map_val(*v, f)).collect();
            CompositeType::Func(FuncType::new(&params, &results))
        }
        CompositeType::Struct(fields) => {
            CompositeType::Struct(fields.iter().map(|x| map_field(*x, f)).collect())
        }
        CompositeType::Array(x) => CompositeType::Array(map_field(*x, f)),
    };
    SubType {
        is_final: t.is_final,
        supertypes: t.supertypes.iter().map(|i| f(*i)).collect(),
        composite,
        descriptor: t.descriptor.map(&mut *f),
        describes: t.describes.map(&mut *f),
    }
}

impl TypeSpace {
    /// Number of types defined so far.
    pub fn len(&self) -> u32 {
        self.types.len() as u32
    }

    /// Whether no type is defined.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The type at `idx`, if defined.
    pub fn get(&self, idx: u32) -> Option<&SubType> {
        self.types.get(idx as usize)
    }

    /// Adds a rec group whose types have already been checked to refer only to defined types
    /// (or to types of this group).
    pub fn add_group(&mut self, group: &RecGroup) {
        let start = self.types.len() as u32;
        let len = group.types.len() as u32;
        let canon = &self.canon;
        let mut key_of = |i: u32| {
            if i >= start {
                REC_LOCAL | (i - start)
            } else {
                canon[i as usize]
            }
        };
        let key: Vec<SubType> = group
            .types
            .iter()
            .map(|t| map_sub(t, &mut key_of))
            .collect();
        let base = match self.groups.get(&key) {
            Some(b) => *b,
            None => {
                let b = self.next_canon;
                self.next_canon += len;
                self.groups.insert(key, b);
                b
            }
        };
        for (i, t) in group.types.iter().enumerate() {
            self.types.push(t.clone());
            self.canon.push(base + i as u32);
            self.group.push((start, len));
        }
    }

    /// The rec group of type `idx`: its first type index and its length.
    pub fn group_of(&self, idx: u32) -> (u32, u32) {
        self.group[idx as usize]
    }

    /// Whether types `a` and `b` are the same (equivalent) type.
    #[inline]
    pub fn same(&self, a: u32, b: u32) -> bool {
        a == b || self.canon[a as usize] == self.canon[b as usize]
    }

    /// The declared supertype of `idx`, if any.
    pub fn supertype(&self, idx: u32) -> Option<u32> {
        self.types
            .get(idx as usize)
            .and_then(|t| t.supertypes.first().copied())
    }

    /// Whether defined type `a` is a subtype of defined type `b`.
    pub fn is_sub_idx(&self, a: u32, b: u32) -> bool {
        let mut cur = a;
        // Supertype chains are bounded (depth is checked) and acyclic (supertypes precede).
        for _ in 0..=spindle_decode::limits::MAX_SUBTYPING_DEPTH + 1 {
            if self.same(cur, b) {
                return true;
            }
            match self.supertype(cur) {
                Some(s) => cur = s,
                None => return false,
            }
        }
        false
    }

    /// The abstract heap type at the top of `idx`'s hierarchy (func, any-ish, or ...).
    pub fn top_kind(&self, idx: u32) -> A {
        match &self.types[idx as usize].composite {
            CompositeType::Func(_) => A::Func,
            CompositeType::Struct(_) => A::Struct,
            CompositeType::Array(_) => A::Array,
        }
    }

    /// Heap subtyping.
    pub fn is_sub_heap(&self, a: HeapType, b: HeapType) -> bool {
        use HeapType::*;
        match (a, b) {
            (Abstract(x), Abstract(y)) => abstract_sub(x, y),
            (Concrete(i) | Exact(i), Abstract(y)) => {
                let k = self.top_kind(i);
                abstract_sub(k, y)
            }
            (Abstract(x), Concrete(j) | Exact(j)) => {
                let k = self.top_kind(j);
                match x {
                    A::None => matches!(k, A::Struct | A::Array),
                    A::NoFunc => k == A::Func,
                    _ => false,
                }
            }
            (Concrete(i) | Exact(i), Concrete(j)) => self.is_sub_idx(i, j),
            (Exact(i), Exact(j)) => self.same(i, j),
            (Concrete(_), Exact(_)) => false,
        }
    }

    /// Reference subtyping.
    pub fn is_sub_ref(&self, a: RefType, b: RefType) -> bool {
        (!a.nullable || b.nullable) && (a.heap == b.heap || self.is_sub_heap(a.heap, b.heap))
    }

    /// Value subtyping.
    #[inline]
    pub fn is_sub(&self, a: ValType, b: ValType) -> bool {
        if a == b {
            return true;
        }
        match (a, b) {
            (ValType::Ref(x), ValType::Ref(y)) => self.is_sub_ref(x, y),
            _ => false,
        }
    }

    /// Whether two value types are equivalent (the same after canonicalisation).
    pub fn eq_val(&self, a: ValType, b: ValType) -> bool {
        self.is_sub(a, b) && self.is_sub(b, a)
    }

    /// The top heap type of `h`'s hierarchy (`any`, `func`, `extern` or `exn`).
    pub fn top_of(&self, h: HeapType) -> A {
        match h {
            HeapType::Abstract(a) => match a {
                A::Func | A::NoFunc => A::Func,
                A::Extern | A::NoExtern => A::Extern,
                A::Exn | A::NoExn => A::Exn,
                _ => A::Any,
            },
            HeapType::Concrete(i) | HeapType::Exact(i) => match self.top_kind(i) {
                A::Func => A::Func,
                _ => A::Any,
            },
        }
    }

    /// Whether values of type `t` are what a garbage collector must trace: references of
    /// the `any` or `extern` hierarchies, and exception references (function references
    /// are not: functions live as long as their store).
    pub fn is_traced(&self, t: ValType) -> bool {
        use spindle_decode::{AbstractHeapType as A, HeapType};
        match t {
            ValType::Ref(r) => match r.heap {
                HeapType::Abstract(a) => matches!(
                    a,
                    A::Any
                        | A::Eq
                        | A::I31
                        | A::Struct
                        | A::Array
                        | A::None
                        | A::Extern
                        | A::NoExtern
                        | A::Exn
                        | A::NoExn
                ),
                HeapType::Concrete(x) | HeapType::Exact(x) => self
                    .get(x)
                    .is_some_and(|t| !matches!(t.composite, CompositeType::Func(_))),
            },
            _ => false,
        }
    }

    pub fn func_type(&self, idx: u32) -> Option<&FuncType> {
        match &self.types.get(idx as usize)?.composite {
            CompositeType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// Checks that the rec group starting at `start` (already added) is valid: references
    /// in range, supertypes declared before, not final, of the same shape, matching.
    pub fn check_group(
        &self,
        start: u32,
        offset: usize,
        gc: bool,
        custom_desc: bool,
    ) -> Result<()> {
        let end = self.len();
        // Every reference of the group first: later checks follow indices of other members.
        for idx in start..end {
            self.check_refs_in(&self.types[idx as usize], end, offset)?;
        }
        for idx in start..end {
            let t = &self.types[idx as usize];
            if !gc && (!t.is_final || !t.supertypes.is_empty()) {
                bail!(offset, "subtyping requires the gc proposal");
            }
            if (t.descriptor.is_some() || t.describes.is_some()) && !custom_desc {
                bail!(
                    offset,
                    "descriptors require the custom descriptors proposal"
                );
            }
            if t.supertypes.len() > 1 {
                bail!(offset, "type {idx}: multiple supertypes are not allowed");
            }
            if let Some(&s) = t.supertypes.first() {
                if s >= idx {
                    bail!(
                        offset,
                        "type {idx}: supertype {s} must be defined before it"
                    );
                }
                let sup = &self.types[s as usize];
                if sup.is_final {
                    bail!(offset, "type {idx}: sub type cannot extend a final type");
                }
                if !self.composite_sub(&t.composite, &sup.composite) {
                    bail!(
                        offset,
                        "type {idx}: sub type does not match its supertype {s}"
                    );
                }
                let depth = self.depth(s) + 1;
                if depth > spindle_decode::limits::MAX_SUBTYPING_DEPTH {
                    bail!(offset, "type {idx}: subtyping depth is too large");
                }
                // Descriptors must agree with the supertype's (custom descriptors).
                match (t.descriptor, sup.descriptor) {
                    (Some(d), Some(sd)) => {
                        if !self.is_sub_idx(d, sd) {
                            bail!(offset, "type {idx}: descriptor must be a subtype of the supertype's descriptor");
                        }
                    }
                    (None, Some(_)) => bail!(offset, "type {idx}: supertype has a descriptor"),
                    // A subtype may add a descriptor its supertype lacks.
                    (Some(_), None) => {}
                    (None, None) => {}
                }
                match (t.describes, sup.describes) {
                    (Some(d), Some(sd)) => {
                        if !self.is_sub_idx(d, sd) {
                            bail!(
                                offset,
                                "type {idx}: described type must be a subtype of the supertype's"
                            );
                        }
                    }
                    (None, Some(_)) => bail!(offset, "type {idx}: supertype describes a type"),
                    (Some(_), None) => bail!(offset, "type {idx}: supertype describes no type"),
                    (None, None) => {}
                }
            }
            if let Some(d) = t.descriptor {
                if !matches!(t.composite, CompositeType::Struct(_)) {
                    bail!(offset, "type {idx}: only structs may have descriptors");
                }
                if d < start || d >= end {
                    bail!(
                        offset,
                        "type {idx}: descriptor must be in the same rec group"
                    );
                }
                if d <= idx {
                    bail!(
                        offset,
                        "type {idx}: descriptor must be defined after the type it describes"
                    );
                }
                if self.types[d as usize].describes != Some(idx) {
                    bail!(offset, "type {idx}: descriptor {d} does not describe it");
                }
            }
            if let Some(d) = t.describes {
                if !matches!(t.composite, CompositeType::Struct(_)) {
                    bail!(offset, "type {idx}: only structs may be descriptors");
                }
                if d >= idx {
                    bail!(
                        offset,
                        "type {idx}: a descriptor must be defined after the type it describes"
                    );
                }
                if self.types[d as usize].descriptor != Some(idx) {
                    bail!(
                        offset,
                        "type {idx}: described type {d} does not name it as descriptor"
                    );
                }
            }
        }
        Ok(())
    }

    fn depth(&self, mut idx: u32) -> usize {
        let mut d = 0;
        while let Some(s) = self.supertype(idx) {
            d += 1;
            idx = s;
            if d > spindle_decode::limits::MAX_SUBTYPING_DEPTH + 1 {
                break;
            }
        }
        d
    }

    fn check_refs_in(&self, t: &SubType, end: u32, offset: usize) -> Result<()> {
        let check = |i: u32| -> Result<()> {
            if i >= end {
                bail!(offset, "unknown type {i}: type index out of bounds");
            }
            Ok(())
        };
        let check_val = |v: &ValType| -> Result<()> {
            if let ValType::Ref(r) = v {
                if let HeapType::Concrete(i) | HeapType::Exact(i) = r.heap {
                    check(i)?;
                }
            }
            Ok(())
        };
        match &t.composite {
            CompositeType::Func(f) => {
                for v in f.params().iter().chain(f.results()) {
                    check_val(v)?;
                }
            }
            CompositeType::Struct(fields) => {
                for fl in fields.iter() {
                    if let StorageType::Val(v) = &fl.storage {
                        check_val(v)?;
                    }
                }
            }
            CompositeType::Array(fl) => {
                if let StorageType::Val(v) = &fl.storage {
                    check_val(v)?;
                }
            }
        }
        for s in t.supertypes.iter() {
            check(*s)?;
        }
        if let Some(d) = t.descriptor {
            check(d)?;
        }
        if let Some(d) = t.describes {
            check(d)?;
        }
        Ok(())
    }

    fn field_sub(&self, a: &FieldType, b: &FieldType) -> bool {
        if a.mutable != b.mutable {
            return false;
        }
        match (a.storage, b.storage) {
            (StorageType::Val(x), StorageType::Val(y)) => {
                if a.mutable {
                    self.eq_val(x, y)
                } else {
                    self.is_sub(x, y)
                }
            }
            (x, y) => x == y,
        }
    }

    fn composite_sub(&self, a: &CompositeType, b: &CompositeType) -> bool {
        match (a, b) {
            (CompositeType::Func(x), CompositeType::Func(y)) => {
                x.params().len() == y.params().len()
                    && x.results().len() == y.results().len()
                    && x.params()
                        .iter()
                        .zip(y.params())
                        .all(|(p, q)| self.is_sub(*q, *p))
                    && x.results()
                        .iter()
                        .zip(y.results())
                        .all(|(p, q)| self.is_sub(*p, *q))
            }
            (CompositeType::Struct(x), CompositeType::Struct(y)) => {
                x.len() >= y.len() && x.iter().zip(y.iter()).all(|(p, q)| self.field_sub(p, q))
            }
            (CompositeType::Array(x), CompositeType::Array(y)) => self.field_sub(x, y),
            _ => false,
        }
    }
}

/// Subtyping among abstract heap types.
pub fn abstract_sub(a: A, b: A) -> bool {
    if a == b {
        return true;
    }
    match a {
        A::None => matches!(b, A::Any | A::Eq | A::I31 | A::Struct | A::Array),
        A::NoFunc => b == A::Func,
        A::NoExtern => b == A::Extern,
        A::NoExn => b == A::Exn,
        A::I31 | A::Struct | A::Array => matches!(b, A::Eq | A::Any),
        A::Eq => b == A::Any,
        _ => false,
    }
}
