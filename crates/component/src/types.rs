//! Component value types and function types.
//!
//! A [`Type`] is an `Arc`-shared node: cloning is a reference-count bump, and every node
//! carries its [`Layout`] (size, alignment, flat core types, field offsets), computed once
//! when the node is built from its children's layouts. The ABI operations therefore never
//! recompute a layout during a call.
//!
//! Constructors of composite types return `Result` because a layout can be too large to
//! describe with the canonical ABI's 32-bit sizes (say, a `list<list<u8, 65536>, 65536>`),
//! and because a variant or enum needs at least one case.

use alloc::boxed::Box;
use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use crate::layout::{self, Layout};

/// A resource type, as the caller numbers them. Handles are checked against it.
pub type ResourceId = u32;

/// Why a type could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeError {
    /// A variant or enum with no cases (the discriminant would have no values).
    NoCases,
    /// A fixed-length list of length 0.
    EmptyFixedList,
    /// Two fields, cases or labels with the same name.
    DuplicateName(String),
    /// The size in memory does not fit the canonical ABI's 32-bit sizes.
    TooLarge,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeError::NoCases => f.write_str("a variant or enum needs at least one case"),
            TypeError::EmptyFixedList => f.write_str("a fixed-length list needs a length > 0"),
            TypeError::DuplicateName(n) => write!(f, "the name `{n}` appears twice"),
            TypeError::TooLarge => f.write_str("the type's layout is too large"),
        }
    }
}

/// A named field of a record.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
}

/// A case of a variant, with its optional payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub name: String,
    pub ty: Option<Type>,
}

/// What kind of value type a [`Type`] is, with its children.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List(Type),
    /// `list<T, N>`: `N` elements stored inline, no pointer.
    FixedList(Type, u32),
    Record(Box<[Field]>),
    Tuple(Box<[Type]>),
    Variant(Box<[Case]>),
    Enum(Box<[String]>),
    Option(Type),
    Result {
        ok: Option<Type>,
        err: Option<Type>,
    },
    Flags(Box<[String]>),
    Own(ResourceId),
    Borrow(ResourceId),
    /// `stream<T>` (or `stream` without elements): a handle to the readable end.
    Stream(Option<Type>),
    /// `future<T>` (or `future`): a handle to the readable end.
    Future(Option<Type>),
    /// `error-context`: a handle.
    ErrorContext,
}

struct TypeNode {
    kind: TypeKind,
    layout: Layout,
}

/// A component value type: cheap to clone, compared structurally.
#[derive(Clone)]
pub struct Type(Arc<TypeNode>);

impl PartialEq for Type {
    fn eq(&self, other: &Type) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.kind == other.0.kind
    }
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.kind, f)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn opt(f: &mut fmt::Formatter<'_>, t: &Option<Type>) -> fmt::Result {
            match t {
                Some(t) => write!(f, "{t}"),
                None => f.write_str("_"),
            }
        }
        match self.kind() {
            TypeKind::Bool => f.write_str("bool"),
            TypeKind::S8 => f.write_str("s8"),
            TypeKind::U8 => f.write_str("u8"),
            TypeKind::S16 => f.write_str("s16"),
            TypeKind::U16 => f.write_str("u16"),
            TypeKind::S32 => f.write_str("s32"),
            TypeKind::U32 => f.write_str("u32"),
            TypeKind::S64 => f.write_str("s64"),
            TypeKind::U64 => f.write_str("u64"),
            TypeKind::F32 => f.write_str("f32"),
            TypeKind::F64 => f.write_str("f64"),
            TypeKind::Char => f.write_str("char"),
            TypeKind::String => f.write_str("string"),
            TypeKind::List(t) => write!(f, "list<{t}>"),
            TypeKind::FixedList(t, n) => write!(f, "list<{t}, {n}>"),
            TypeKind::Record(fields) => {
                f.write_str("record { ")?;
                for (i, fl) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {}", fl.name, fl.ty)?;
                }
                f.write_str(" }")
            }
            TypeKind::Tuple(ts) => {
                f.write_str("tuple<")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(">")
            }
            TypeKind::Variant(cases) => {
                f.write_str("variant { ")?;
                for (i, c) in cases.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&c.name)?;
                    if let Some(t) = &c.ty {
                        write!(f, "({t})")?;
                    }
                }
                f.write_str(" }")
            }
            TypeKind::Enum(labels) => write!(f, "enum {{ {} }}", labels.join(", ")),
            TypeKind::Option(t) => write!(f, "option<{t}>"),
            TypeKind::Result { ok, err } => {
                f.write_str("result<")?;
                opt(f, ok)?;
                f.write_str(", ")?;
                opt(f, err)?;
                f.write_str(">")
            }
            TypeKind::Flags(labels) => write!(f, "flags {{ {} }}", labels.join(", ")),
            TypeKind::Own(r) => write!(f, "own<{r}>"),
            TypeKind::Borrow(r) => write!(f, "borrow<{r}>"),
            TypeKind::Stream(t) => match t {
                Some(t) => write!(f, "stream<{t}>"),
                None => f.write_str("stream"),
            },
            TypeKind::Future(t) => match t {
                Some(t) => write!(f, "future<{t}>"),
                None => f.write_str("future"),
            },
            TypeKind::ErrorContext => f.write_str("error-context"),
        }
    }
}

fn no_duplicates<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), TypeError> {
    let mut seen = BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(TypeError::DuplicateName(n.into()));
        }
    }
    Ok(())
}

impl Type {
    fn leaf(kind: TypeKind) -> Type {
        let layout = layout::compute(&kind).expect("a scalar's layout always fits");
        Type(Arc::new(TypeNode { kind, layout }))
    }

    fn node(kind: TypeKind) -> Result<Type, TypeError> {
        let layout = layout::compute(&kind)?;
        Ok(Type(Arc::new(TypeNode { kind, layout })))
    }

    pub fn bool() -> Type {
        Type::leaf(TypeKind::Bool)
    }
    pub fn s8() -> Type {
        Type::leaf(TypeKind::S8)
    }
    pub fn u8() -> Type {
        Type::leaf(TypeKind::U8)
    }
    pub fn s16() -> Type {
        Type::leaf(TypeKind::S16)
    }
    pub fn u16() -> Type {
        Type::leaf(TypeKind::U16)
    }
    pub fn s32() -> Type {
        Type::leaf(TypeKind::S32)
    }
    pub fn u32() -> Type {
        Type::leaf(TypeKind::U32)
    }
    pub fn s64() -> Type {
        Type::leaf(TypeKind::S64)
    }
    pub fn u64() -> Type {
        Type::leaf(TypeKind::U64)
    }
    pub fn f32() -> Type {
        Type::leaf(TypeKind::F32)
    }
    pub fn f64() -> Type {
        Type::leaf(TypeKind::F64)
    }
    pub fn char() -> Type {
        Type::leaf(TypeKind::Char)
    }
    pub fn string() -> Type {
        Type::leaf(TypeKind::String)
    }
    pub fn own(resource: ResourceId) -> Type {
        Type::leaf(TypeKind::Own(resource))
    }
    pub fn borrow(resource: ResourceId) -> Type {
        Type::leaf(TypeKind::Borrow(resource))
    }
    /// `stream<T>` (`None`: a stream of no values, only their count).
    pub fn stream(elem: Option<Type>) -> Type {
        Type::leaf(TypeKind::Stream(elem))
    }
    /// `future<T>` (`None`: a future of no value, only its completion).
    pub fn future(elem: Option<Type>) -> Type {
        Type::leaf(TypeKind::Future(elem))
    }
    pub fn error_context() -> Type {
        Type::leaf(TypeKind::ErrorContext)
    }
    /// `list<T>`: always a (pointer, length) pair, whatever `T` is.
    pub fn list(elem: Type) -> Type {
        Type::leaf(TypeKind::List(elem))
    }
    /// `list<T, N>`, `N > 0`.
    pub fn fixed_list(elem: Type, len: u32) -> Result<Type, TypeError> {
        if len == 0 {
            return Err(TypeError::EmptyFixedList);
        }
        Type::node(TypeKind::FixedList(elem, len))
    }
    pub fn record<N: Into<String>>(
        fields: impl IntoIterator<Item = (N, Type)>,
    ) -> Result<Type, TypeError> {
        let fields: Box<[Field]> = fields
            .into_iter()
            .map(|(n, ty)| Field { name: n.into(), ty })
            .collect();
        no_duplicates(fields.iter().map(|f| f.name.as_str()))?;
        Type::node(TypeKind::Record(fields))
    }
    pub fn tuple(types: impl IntoIterator<Item = Type>) -> Result<Type, TypeError> {
        Type::node(TypeKind::Tuple(types.into_iter().collect()))
    }
    pub fn variant<N: Into<String>>(
        cases: impl IntoIterator<Item = (N, Option<Type>)>,
    ) -> Result<Type, TypeError> {
        let cases: Box<[Case]> = cases
            .into_iter()
            .map(|(n, ty)| Case { name: n.into(), ty })
            .collect();
        if cases.is_empty() {
            return Err(TypeError::NoCases);
        }
        no_duplicates(cases.iter().map(|c| c.name.as_str()))?;
        Type::node(TypeKind::Variant(cases))
    }
    pub fn enum_<N: Into<String>>(labels: impl IntoIterator<Item = N>) -> Result<Type, TypeError> {
        let labels: Box<[String]> = labels.into_iter().map(Into::into).collect();
        if labels.is_empty() {
            return Err(TypeError::NoCases);
        }
        no_duplicates(labels.iter().map(String::as_str))?;
        Type::node(TypeKind::Enum(labels))
    }
    pub fn option(some: Type) -> Result<Type, TypeError> {
        Type::node(TypeKind::Option(some))
    }
    pub fn result(ok: Option<Type>, err: Option<Type>) -> Result<Type, TypeError> {
        Type::node(TypeKind::Result { ok, err })
    }
    /// `flags`. The current specification validates 1..=32 labels; 0 labels and more
    /// than 32 (the earlier representation, one `i32` per 32 labels, which wasmtime keeps
    /// behind its "more flags" feature) are laid out too, so a caller's validator decides.
    pub fn flags<N: Into<String>>(labels: impl IntoIterator<Item = N>) -> Result<Type, TypeError> {
        let labels: Box<[String]> = labels.into_iter().map(Into::into).collect();
        no_duplicates(labels.iter().map(String::as_str))?;
        Type::node(TypeKind::Flags(labels))
    }

    pub fn kind(&self) -> &TypeKind {
        &self.0.kind
    }

    /// Size, alignment, flat types and offsets, computed when the type was built.
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    /// The cases of a type that despecializes to a variant (variant, enum, option,
    /// result), as payload types in case order; `None` for other types.
    pub fn variant_payloads(&self) -> Option<Vec<Option<Type>>> {
        Some(match self.kind() {
            TypeKind::Variant(cases) => cases.iter().map(|c| c.ty.clone()).collect(),
            TypeKind::Enum(labels) => labels.iter().map(|_| None).collect(),
            TypeKind::Option(t) => alloc::vec![None, Some(t.clone())],
            TypeKind::Result { ok, err } => alloc::vec![ok.clone(), err.clone()],
            _ => return None,
        })
    }
}

/// A component function type: named parameters and results.
///
/// The tuples that spilled parameters and results are stored as are built once here.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncType {
    params: Box<[(String, Type)]>,
    results: Box<[Type]>,
    params_tuple: Type,
    results_tuple: Type,
    /// `async` in the type (the component model's async ABI): the callee may block before
    /// it returns.
    is_async: bool,
}

impl FuncType {
    pub fn new<N: Into<String>>(
        params: impl IntoIterator<Item = (N, Type)>,
        results: impl IntoIterator<Item = Type>,
    ) -> Result<FuncType, TypeError> {
        let params: Box<[(String, Type)]> =
            params.into_iter().map(|(n, t)| (n.into(), t)).collect();
        no_duplicates(params.iter().map(|(n, _)| n.as_str()))?;
        let results: Box<[Type]> = results.into_iter().collect();
        let params_tuple = Type::tuple(params.iter().map(|(_, t)| t.clone()))?;
        let results_tuple = Type::tuple(results.iter().cloned())?;
        Ok(FuncType {
            params,
            results,
            params_tuple,
            results_tuple,
            is_async: false,
        })
    }

    /// This type, `async` (or not).
    pub fn with_async(mut self, is_async: bool) -> FuncType {
        self.is_async = is_async;
        self
    }

    /// Whether the type is `async`.
    pub fn is_async(&self) -> bool {
        self.is_async
    }

    pub fn params(&self) -> &[(String, Type)] {
        &self.params
    }

    pub fn results(&self) -> &[Type] {
        &self.results
    }

    /// The parameters as one tuple: its layout is the spilled parameters' memory layout.
    pub fn params_tuple(&self) -> &Type {
        &self.params_tuple
    }

    /// The results as one tuple: its layout is the spilled results' memory layout.
    pub fn results_tuple(&self) -> &Type {
        &self.results_tuple
    }
}
