//! Memory layout and flattening, as the canonical ABI defines them (`alignment`,
//! `elem_size`, `discriminant_type`, `flatten_type`, `flatten_functype`).
//!
//! `despecialize` is implicit: tuples are laid out as records, and enum, option and
//! result as variants, by [`compute`] sending them through the same functions. The
//! result is stored once in each type node.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::types::{FuncType, Type, TypeError, TypeKind};

/// At most this many flat parameters are passed as core parameters; more are spilled
/// to memory as a tuple and passed by pointer.
pub const MAX_FLAT_PARAMS: usize = 16;
/// At most this many flat results are returned as core results; more are returned
/// through memory.
pub const MAX_FLAT_RESULTS: usize = 1;
/// How many core values of a flat form are kept: a longer one (only reachable through
/// fixed-length lists) is cut to this length. Nothing is lost: a value whose flat form is
/// longer than [`MAX_FLAT_PARAMS`] is never passed flat (its function spills it to
/// memory), and a cut form is still longer than that, so every decision made on a flat
/// form's length stays the same; and no type's layout costs more than this to compute.
pub const MAX_FLAT_TRACKED: usize = 1 << 16;

/// A core WebAssembly value type, as the flat form of a component value uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoreType {
    I32,
    I64,
    F32,
    F64,
}

/// The canonical ABI's `join`: the core type that can carry either of two.
pub fn join(a: CoreType, b: CoreType) -> CoreType {
    match (a, b) {
        _ if a == b => a,
        (CoreType::I32, CoreType::F32) | (CoreType::F32, CoreType::I32) => CoreType::I32,
        _ => CoreType::I64,
    }
}

/// A type's layout: everything the load, store and flat operations need that depends on
/// the type alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// `elem_size`: bytes in memory, a multiple of `align`.
    pub size: u32,
    /// `alignment`: 1, 2, 4 or 8.
    pub align: u32,
    /// `flatten_type`: the core values carrying the value in a flat call.
    pub flat: Arc<[CoreType]>,
    /// Records and tuples: each field's offset from the start.
    pub field_offsets: Arc<[u32]>,
    /// Variant, enum, option, result: bytes of the discriminant (1, 2 or 4); else 0.
    pub discriminant_size: u32,
    /// Variant, enum, option, result: the payload's offset (the discriminant rounded up to
    /// the largest case alignment); else 0.
    pub payload_offset: u32,
}

pub(crate) fn align_to(ptr: u64, align: u32) -> u64 {
    let a = u64::from(align);
    ptr.div_ceil(a) * a
}

/// The discriminant's size for `n` cases (`discriminant_type`): u8 up to 256 cases, u16 up
/// to 65536, u32 beyond.
pub fn discriminant_size(n: usize) -> u32 {
    if n <= 1 << 8 {
        1
    } else if n <= 1 << 16 {
        2
    } else {
        4
    }
}

/// `elem_size_flags`/`alignment_flags`/`flatten_type` for flags of `n` labels: the
/// smallest integer up to 32 labels, then one `i32` per 32 labels; none for 0 labels.
pub fn flags_layout(n: usize) -> (u32, u32, usize) {
    match n {
        0 => (0, 1, 0),
        1..=8 => (1, 1, 1),
        9..=16 => (2, 2, 1),
        _ => {
            let words = n.div_ceil(32);
            (4 * words as u32, 4, words)
        }
    }
}

fn fits(size: u64, _flat: &[CoreType]) -> Result<u32, TypeError> {
    u32::try_from(size).map_err(|_| TypeError::TooLarge)
}

fn scalar(size: u32, flat: CoreType) -> Layout {
    Layout {
        size,
        align: size,
        flat: Arc::from([flat]),
        field_offsets: Arc::from([]),
        discriminant_size: 0,
        payload_offset: 0,
    }
}

fn record<'a>(fields: impl Iterator<Item = &'a Type>) -> Result<Layout, TypeError> {
    let mut size = 0u64;
    let mut align = 1;
    let mut offsets = Vec::new();
    let mut flat = Vec::new();
    for t in fields {
        let l = t.layout();
        size = align_to(size, l.align);
        offsets.push(u32::try_from(size).map_err(|_| TypeError::TooLarge)?);
        size += u64::from(l.size);
        align = align.max(l.align);
        if flat.len() < MAX_FLAT_TRACKED {
            flat.extend_from_slice(&l.flat);
            flat.truncate(MAX_FLAT_TRACKED);
        }
    }
    let size = fits(align_to(size, align), &flat)?;
    Ok(Layout {
        size,
        align,
        flat: flat.into(),
        field_offsets: offsets.into(),
        discriminant_size: 0,
        payload_offset: 0,
    })
}

fn variant<'a>(
    n: usize,
    payloads: impl Iterator<Item = Option<&'a Type>>,
) -> Result<Layout, TypeError> {
    let disc = discriminant_size(n);
    let mut case_align = 1;
    let mut case_size = 0u32;
    let mut joined: Vec<CoreType> = Vec::new();
    for t in payloads.flatten() {
        let l = t.layout();
        case_align = case_align.max(l.align);
        case_size = case_size.max(l.size);
        for (i, &ft) in l.flat.iter().enumerate() {
            match joined.get_mut(i) {
                Some(j) => *j = join(*j, ft),
                None => joined.push(ft),
            }
        }
    }
    let payload_offset = align_to(u64::from(disc), case_align);
    let align = disc.max(case_align);
    let mut flat = Vec::with_capacity(joined.len() + 1);
    flat.push(CoreType::I32);
    flat.extend_from_slice(&joined);
    let size = fits(
        align_to(payload_offset + u64::from(case_size), align),
        &flat,
    )?;
    Ok(Layout {
        size,
        align,
        flat: flat.into(),
        field_offsets: Arc::from([]),
        discriminant_size: disc,
        payload_offset: payload_offset as u32,
    })
}

/// The layout of a type node of this kind, from its children's layouts.
pub(crate) fn compute(kind: &TypeKind) -> Result<Layout, TypeError> {
    Ok(match kind {
        TypeKind::Bool | TypeKind::S8 | TypeKind::U8 => scalar(1, CoreType::I32),
        TypeKind::S16 | TypeKind::U16 => scalar(2, CoreType::I32),
        TypeKind::S32 | TypeKind::U32 | TypeKind::Char => scalar(4, CoreType::I32),
        TypeKind::Own(_)
        | TypeKind::Borrow(_)
        | TypeKind::Stream(_)
        | TypeKind::Future(_)
        | TypeKind::ErrorContext => scalar(4, CoreType::I32),
        TypeKind::S64 | TypeKind::U64 => scalar(8, CoreType::I64),
        TypeKind::F32 => scalar(4, CoreType::F32),
        TypeKind::F64 => scalar(8, CoreType::F64),
        TypeKind::String | TypeKind::List(_) => Layout {
            size: 8,
            align: 4,
            flat: Arc::from([CoreType::I32, CoreType::I32]),
            field_offsets: Arc::from([]),
            discriminant_size: 0,
            payload_offset: 0,
        },
        TypeKind::FixedList(elem, n) => {
            let l = elem.layout();
            let count = *n as usize;
            let len = l.flat.len().saturating_mul(count).min(MAX_FLAT_TRACKED);
            let flat: Vec<CoreType> = l.flat.iter().copied().cycle().take(len).collect();
            let size = fits(u64::from(l.size) * u64::from(*n), &flat)?;
            Layout {
                size,
                align: l.align,
                flat: flat.into(),
                field_offsets: Arc::from([]),
                discriminant_size: 0,
                payload_offset: 0,
            }
        }
        TypeKind::Record(fields) => record(fields.iter().map(|f| &f.ty))?,
        TypeKind::Tuple(ts) => record(ts.iter())?,
        TypeKind::Variant(cases) => variant(cases.len(), cases.iter().map(|c| c.ty.as_ref()))?,
        TypeKind::Enum(labels) => variant(labels.len(), labels.iter().map(|_| None))?,
        TypeKind::Option(t) => variant(2, [None, Some(t)].into_iter())?,
        TypeKind::Result { ok, err } => variant(2, [ok.as_ref(), err.as_ref()].into_iter())?,
        TypeKind::Flags(labels) => {
            let (size, align, words) = flags_layout(labels.len());
            Layout {
                size,
                align,
                flat: alloc::vec![CoreType::I32; words].into(),
                field_offsets: Arc::from([]),
                discriminant_size: 0,
                payload_offset: 0,
            }
        }
    })
}

/// `flatten_types`: the flat forms of several types, concatenated.
pub fn flatten_types<'a>(types: impl IntoIterator<Item = &'a Type>) -> Vec<CoreType> {
    let mut flat = Vec::new();
    for t in types {
        flat.extend_from_slice(&t.layout().flat);
    }
    flat
}

/// Which side of the boundary a core function signature is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlatContext {
    /// `canon lift`: the core function is the callee; spilled results come back as a
    /// returned pointer.
    Lift,
    /// `canon lower`: the core function is the caller's import; spilled results are
    /// written through a pointer passed as the last parameter.
    Lower,
}

/// A core function signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreFuncType {
    pub params: Vec<CoreType>,
    pub results: Vec<CoreType>,
}

/// `flatten_functype` (synchronous): more than [`MAX_FLAT_PARAMS`] flat parameters become
/// one `i32` pointer; more than [`MAX_FLAT_RESULTS`] flat results become a returned `i32`
/// pointer (lift) or an extra `i32` pointer parameter and no results (lower).
pub fn flatten_functype(ft: &FuncType, context: FlatContext) -> CoreFuncType {
    let mut params = flatten_types(ft.params().iter().map(|(_, t)| t));
    let mut results = flatten_types(ft.results());
    if params.len() > MAX_FLAT_PARAMS {
        params = alloc::vec![CoreType::I32];
    }
    if results.len() > MAX_FLAT_RESULTS {
        match context {
            FlatContext::Lift => results = alloc::vec![CoreType::I32],
            FlatContext::Lower => {
                params.push(CoreType::I32);
                results = Vec::new();
            }
        }
    }
    CoreFuncType { params, results }
}

impl FuncType {
    /// Whether the parameters are passed in memory (more than [`MAX_FLAT_PARAMS`] flat).
    pub fn params_spilled(&self) -> bool {
        self.params_tuple().layout().flat.len() > MAX_FLAT_PARAMS
    }

    /// Whether the results are passed in memory (more than [`MAX_FLAT_RESULTS`] flat).
    pub fn results_spilled(&self) -> bool {
        self.results_tuple().layout().flat.len() > MAX_FLAT_RESULTS
    }
}
