#![forbid(unsafe_code)]
//! The garbage-collected heap of structs and arrays, and the encoding of `anyref` and
//! `externref` values in registers.
//!
//! A reference of the `any` or `extern` hierarchy is one 64-bit register (both hierarchies
//! share the encoding, so `any.convert_extern` and `extern.convert_any` cost nothing):
//! - `0`: null;
//! - low bit 1: an `i31`, its 31 bits above that bit;
//! - low bits `10`: a host reference (`ref.extern n`, `ref.host n`), `n + 1` above them;
//! - low bits `00`: a heap object: bit 2 set for an array, its slot plus one in bits 3-39,
//!   the slot's generation in bits 40-63.
//!
//! The generation makes a reference the host kept past the object's collection detectably
//! stale (the slot may hold another object by then): values coming from the host are
//! checked with [`GcHeap::is_live`]. Wasm code only ever holds live references: the
//! collector finds every one of them (precise roots, see `interp::gc_roots`).
//!
//! Objects are arrays of 64-bit cells (a `v128` field or element takes two, packed `i8` and
//! `i16` values one each, stored unmasked: reads extend them). The collector marks from the
//! roots and sweeps the slots; it runs when the bytes allocated since the last collection
//! pass a threshold that grows with the live heap, and the heap as a whole is bounded by
//! `StoreLimits::gc_heap`.

use crate::prelude::*;
use alloc::sync::Arc;

/// Bits of the slot field.
const SLOT_BITS: u32 = 37;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
const GEN_SHIFT: u32 = 40;
/// Generations wrap at 24 bits.
const GEN_MASK: u32 = (1 << 24) - 1;

/// What a non-null reference of the `any`/`extern` hierarchies is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RefKind {
    I31(i32),
    Host(u32),
    Struct,
    Array,
}

/// The kind of the non-null reference `bits`.
#[inline(always)]
pub fn kind(bits: u64) -> RefKind {
    if bits & 1 == 1 {
        RefKind::I31(((bits as u32) as i32) >> 1)
    } else if bits & 3 == 2 {
        // (Wrapping: forged bits must not panic; `is_live` refuses them at the boundary.)
        RefKind::Host(((bits >> 2).wrapping_sub(1)) as u32)
    } else if bits & 4 != 0 {
        RefKind::Array
    } else {
        RefKind::Struct
    }
}

/// The `i31` reference of the low 31 bits of `v`.
#[inline(always)]
pub fn i31(v: u32) -> u64 {
    ((v << 1) | 1) as u64
}

/// The host reference number `n`.
#[inline(always)]
pub fn host(n: u32) -> u64 {
    ((n as u64 + 1) << 2) | 2
}

/// The slot of heap object reference `bits` (which must be one).
#[inline(always)]
pub fn slot(bits: u64) -> usize {
    (((bits >> 3) & SLOT_MASK) - 1) as usize
}

/// Whether `bits` is a reference to a heap object.
#[inline(always)]
pub fn is_object(bits: u64) -> bool {
    bits != 0 && bits & 3 == 0
}

/// An exception reference (`exnref`): low bits `10` as a host reference, with bit 63 set
/// (which no host reference has, its number being a `u32`), the exception's index in
/// `Store::exceptions` plus one in bits 2-33 and the place's generation in bits 34-57, so
/// a reference the host kept past the exception's collection is detectably stale. Exception
/// references are not of the `any`/`extern` hierarchies; the encoding only keeps them apart
/// from those among the collector's roots.
#[inline(always)]
pub fn exn(index: u32, gen: u32) -> u64 {
    EXN_MARK | ((gen & GEN_MASK) as u64) << EXN_GEN_SHIFT | (index as u64 + 1) << 2 | 2
}

const EXN_MARK: u64 = 1 << 63;
/// Exception generations wrap at 24 bits.
pub const EXN_GEN_MASK: u32 = GEN_MASK;
const EXN_GEN_SHIFT: u32 = 34;

/// Whether `bits` is an exception reference (see [`exn`]).
#[inline(always)]
pub fn is_exn(bits: u64) -> bool {
    bits & (EXN_MARK | 3) == EXN_MARK | 2
}

/// The index and generation of exception reference `bits` (`None` for bits no [`exn`]
/// makes).
#[inline]
pub fn exn_parts(bits: u64) -> Option<(u32, u32)> {
    let plus_one = (bits >> 2) & 0xffff_ffff;
    (is_exn(bits) && plus_one != 0 && bits >> 58 == EXN_MARK >> 58).then(|| {
        (
            (plus_one - 1) as u32,
            (bits >> EXN_GEN_SHIFT) as u32 & GEN_MASK,
        )
    })
}

/// Where a struct's or array's references are, for the collector.
#[derive(Clone, Debug, Default)]
pub struct GcLayout {
    pub array: bool,
    /// Registers per array element (2 for `v128`, else 1).
    pub elem_cells: u8,
    /// Whether array elements are references of the `any`/`extern` hierarchies.
    pub elem_refs: bool,
    /// The cells of a struct that hold such references.
    pub ref_cells: Box<[u32]>,
    /// Registers each field of a struct takes (2 for `v128`, else 1).
    pub field_cells: Box<[u8]>,
    /// Whether the struct type has a descriptor (custom descriptors): the cell after the
    /// fields (`desc_cell`), so a subtype that adds one moves no field of its supertype.
    pub has_desc: bool,
    pub desc_cell: u32,
    /// The storage types of a struct's fields, or of an array's element (one), in engine
    /// form (for the host's reads and writes).
    pub storage: Box<[spindle_decode::StorageType]>,
}

/// A struct or array.
#[derive(Debug)]
pub struct GcObject {
    /// Engine-wide type id.
    pub ty: u32,
    pub cells: Box<[u64]>,
}

#[derive(Debug, Default)]
struct Slot {
    gen: u32,
    obj: Option<GcObject>,
}

/// Bytes an object of `cells` registers is counted as (its cells and its slot).
fn cost(cells: usize) -> usize {
    cells * 8 + 48
}

/// The store's heap of structs and arrays.
#[derive(Debug)]
pub struct GcHeap {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Bytes of the objects alive after the last collection plus those allocated since.
    pub bytes: usize,
    /// Collect when `bytes` passes this.
    pub threshold: usize,
    /// Collections run so far.
    pub collections: u64,
    /// Bytes allocated since the heap was made (as counted for `bytes`).
    pub allocated: u64,
    /// Mark bits, reused between collections.
    marks: Vec<bool>,
    /// References the host roots (`Store::gc_root`), by root number.
    host_roots: Vec<Option<u64>>,
    free_roots: Vec<u32>,
    /// Layouts of the types of allocated objects, by engine id (cached from the registry).
    pub layouts: Vec<Option<Arc<GcLayout>>>,
}

/// The first threshold, and the least one.
const MIN_THRESHOLD: usize = 4 << 20;

impl Default for GcHeap {
    fn default() -> Self {
        GcHeap {
            slots: Vec::new(),
            free: Vec::new(),
            bytes: 0,
            threshold: MIN_THRESHOLD,
            collections: 0,
            allocated: 0,
            marks: Vec::new(),
            host_roots: Vec::new(),
            free_roots: Vec::new(),
            layouts: Vec::new(),
        }
    }
}

impl GcHeap {
    /// Whether allocating `cells` more registers' worth calls for a collection first.
    #[inline]
    pub fn wants_collection(&self, cells: usize) -> bool {
        self.bytes + cost(cells) > self.threshold
    }

    /// Whether allocating `cells` registers would pass `limit` bytes.
    pub fn over_limit(&self, cells: usize, limit: usize) -> bool {
        self.bytes.saturating_add(cost(cells)) > limit
    }

    /// Allocates an object of type `ty` (`array` says which kind) holding `cells`; returns
    /// its reference.
    pub fn alloc(&mut self, ty: u32, array: bool, cells: Box<[u64]>) -> u64 {
        self.bytes += cost(cells.len());
        self.allocated += cost(cells.len()) as u64;
        let obj = GcObject { ty, cells };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize].obj = Some(obj);
                s as usize
            }
            None => {
                self.slots.push(Slot {
                    gen: 0,
                    obj: Some(obj),
                });
                self.slots.len() - 1
            }
        };
        let gen = self.slots[slot].gen as u64;
        (gen << GEN_SHIFT) | ((slot as u64 + 1) << 3) | ((array as u64) << 2)
    }

    /// The object `bits` refers to (a live reference to an object).
    #[inline]
    pub fn get(&self, bits: u64) -> &GcObject {
        self.slots[slot(bits)]
            .obj
            .as_ref()
            .expect("a live reference")
    }

    #[inline]
    pub fn get_mut(&mut self, bits: u64) -> &mut GcObject {
        self.slots[slot(bits)]
            .obj
            .as_mut()
            .expect("a live reference")
    }

    /// Two distinct objects, or the same one twice (`None` for the second).
    pub fn get_two_mut(&mut self, a: u64, b: u64) -> (&mut GcObject, Option<&GcObject>) {
        let (sa, sb) = (slot(a), slot(b));
        if sa == sb {
            return (self.get_mut(a), None);
        }
        let (lo, hi) = self.slots.split_at_mut(sa.max(sb));
        let (x, y) = if sa < sb {
            (&mut lo[sa], &hi[0])
        } else {
            (&mut hi[0], &lo[sb])
        };
        (
            x.obj.as_mut().expect("a live reference"),
            Some(y.obj.as_ref().expect("a live reference")),
        )
    }

    /// Whether `bits` is a reference of the `any`/`extern` hierarchies as the store makes
    /// them: null, an `i31` (nothing above its 32 bits), a host reference (a `u32` number),
    /// or a heap object still alive with the generation and the kind (array bit) it names.
    /// The host may hand in any bits (`AnyRef` is plain data): this is the check.
    pub fn is_live(&self, bits: u64) -> bool {
        if bits == 0 {
            return true;
        }
        if bits & 1 == 1 {
            return bits >> 32 == 0;
        }
        if bits & 3 == 2 {
            return (1..=u32::MAX as u64 + 1).contains(&(bits >> 2));
        }
        let s = (bits >> 3) & SLOT_MASK;
        s != 0
            && self.slots.get(s as usize - 1).is_some_and(|slot| {
                slot.obj.as_ref().is_some_and(|o| {
                    let array = self
                        .layouts
                        .get(o.ty as usize)
                        .and_then(|l| l.as_ref())
                        .is_some_and(|l| l.array);
                    array == (bits & 4 != 0)
                }) && slot.gen == (bits >> GEN_SHIFT) as u32 & GEN_MASK
            })
    }

    /// Roots reference `bits` for the host until [`GcHeap::unroot`]; returns the root's
    /// number.
    pub fn root(&mut self, bits: u64) -> u32 {
        match self.free_roots.pop() {
            Some(i) => {
                self.host_roots[i as usize] = Some(bits);
                i
            }
            None => {
                self.host_roots.push(Some(bits));
                (self.host_roots.len() - 1) as u32
            }
        }
    }

    /// The reference root `i` holds.
    pub fn rooted(&self, i: u32) -> Option<u64> {
        self.host_roots.get(i as usize).copied().flatten()
    }

    /// Releases root `i` (no effect if it is not one).
    pub fn unroot(&mut self, i: u32) {
        if let Some(r) = self.host_roots.get_mut(i as usize) {
            if r.take().is_some() {
                self.free_roots.push(i);
            }
        }
    }

    /// The references the host roots.
    pub fn host_roots(&self) -> impl Iterator<Item = u64> + '_ {
        self.host_roots.iter().flatten().copied()
    }

    /// The object `bits` refers to, if it is a live reference to one.
    pub fn try_get(&self, bits: u64) -> Option<&GcObject> {
        if !is_object(bits) || !self.is_live(bits) {
            return None;
        }
        self.slots.get(slot(bits))?.obj.as_ref()
    }

    /// Objects alive.
    pub fn live_objects(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Marks from `roots` (register values, any kind: only object references count) and
    /// frees every object not reached. (The store's collection, which also traces
    /// exceptions, runs the three steps itself: `start_marking`, `mark`, `sweep`.)
    pub fn collect(&mut self, roots: impl IntoIterator<Item = u64>) {
        self.start_marking();
        self.mark(roots, &mut Vec::new());
        self.sweep();
    }

    /// Clears the marks of the last collection.
    pub fn start_marking(&mut self) {
        self.marks.clear();
        self.marks.resize(self.slots.len(), false);
    }

    /// Marks every object reachable from `roots`; the exception references found on the
    /// way (in `roots` or in objects' fields) are pushed to `exceptions` for the store to
    /// mark, which may call this again with their payloads.
    pub fn mark(&mut self, roots: impl IntoIterator<Item = u64>, exceptions: &mut Vec<u64>) {
        let mut work: Vec<u64> = Vec::new();
        let mut push = |marks: &mut Vec<bool>, work: &mut Vec<u64>, bits: u64| {
            if is_object(bits) {
                let s = slot(bits);
                if s < marks.len() && !marks[s] {
                    marks[s] = true;
                    work.push(bits);
                }
            } else if is_exn(bits) {
                exceptions.push(bits);
            }
        };
        for r in roots {
            push(&mut self.marks, &mut work, r);
        }
        while let Some(bits) = work.pop() {
            let Some(obj) = self.slots[slot(bits)].obj.as_ref() else {
                continue;
            };
            let Some(layout) = self.layouts.get(obj.ty as usize).and_then(|l| l.clone()) else {
                continue;
            };
            if layout.array {
                if layout.elem_refs {
                    for &c in obj.cells.iter() {
                        push(&mut self.marks, &mut work, c);
                    }
                }
            } else {
                for &c in layout.ref_cells.iter() {
                    if let Some(&v) = obj.cells.get(c as usize) {
                        push(&mut self.marks, &mut work, v);
                    }
                }
            }
        }
    }

    /// Frees every object the marking did not reach.
    pub fn sweep(&mut self) {
        let mut live = 0;
        for (i, s) in self.slots.iter_mut().enumerate() {
            match &s.obj {
                Some(_) if !self.marks.get(i).copied().unwrap_or(true) => {
                    s.obj = None;
                    s.gen = (s.gen + 1) & GEN_MASK;
                    self.free.push(i as u32);
                }
                Some(o) => live += cost(o.cells.len()),
                None => {}
            }
        }
        self.bytes = live;
        self.threshold = (live * 2).max(MIN_THRESHOLD);
        self.collections += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip() {
        assert_eq!(kind(i31(0x7fff_ffff)), RefKind::I31(-1));
        assert_eq!(kind(i31(5)), RefKind::I31(5));
        assert_eq!(kind(host(0)), RefKind::Host(0));
        assert_eq!(kind(host(77)), RefKind::Host(77));
        let mut h = GcHeap {
            layouts: vec![
                None,
                None,
                None,
                Some(Arc::default()),
                Some(Arc::new(GcLayout {
                    array: true,
                    ..Default::default()
                })),
            ],
            ..Default::default()
        };
        let s = h.alloc(3, false, vec![1, 2].into());
        let a = h.alloc(4, true, vec![].into());
        assert_eq!((kind(s), kind(a)), (RefKind::Struct, RefKind::Array));
        assert!(h.is_live(s) && h.is_live(a));
        assert_eq!(h.get(s).cells[1], 2);
        // Forged bits: a struct with the array bit, an i31 with high bits, host number
        // past u32 or none at all.
        assert!(!h.is_live(s | 4));
        assert!(!h.is_live(i31(5) | 1 << 40));
        assert!(!h.is_live(2) && !h.is_live(((1u64 << 32) + 1) << 2 | 2));
        assert_eq!(kind(2), RefKind::Host(u32::MAX));
    }

    #[test]
    fn unreachable_objects_are_freed_and_their_references_go_stale() {
        let mut h = GcHeap {
            layouts: vec![
                None,
                Some(Arc::new(GcLayout {
                    ref_cells: vec![0].into(),
                    ..Default::default()
                })),
            ],
            ..Default::default()
        };
        // A chain of three, and one object alone.
        let c = h.alloc(1, false, vec![0].into());
        let b = h.alloc(1, false, vec![c].into());
        let a = h.alloc(1, false, vec![b].into());
        let alone = h.alloc(1, false, vec![0].into());
        h.collect([a, 12345 << 3 /* not an object of the heap */]);
        assert!(h.is_live(a) && h.is_live(b) && h.is_live(c));
        assert!(!h.is_live(alone));
        assert_eq!(h.live_objects(), 3);
        // The freed slot is reused with a new generation: the old reference stays stale.
        let again = h.alloc(1, false, vec![0].into());
        assert_eq!(slot(again), slot(alone));
        assert!(h.is_live(again) && !h.is_live(alone));
        h.collect([]);
        assert_eq!(h.live_objects(), 0);
    }
}
