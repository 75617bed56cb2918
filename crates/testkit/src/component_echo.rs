//! Echo components for canonical-ABI round trips: a generated component value type `T`
//! (every kind of value type, nested to depth 4), a value of it, and the text of a
//! component exporting `echo: func(x: T, pad: P) -> T` that hands `x` back (`P`: 17 bytes).
//!
//! The echo needs no type-specific core code: the 17 pad bytes push the parameters past
//! the 16 flat values a call may pass directly, so they arrive in linear memory as the
//! tuple `(x, pad)` with `x` at offset 0, in exactly the layout a `T` result returned by
//! pointer has; the core function returns that pointer (or, when `T` flattens to a single
//! value, loads it). [`composed_text`] puts a second component in front that imports the
//! echo and forwards to it with its own string encoding: guest to guest, transcoding both
//! ways.
//!
//! Runtimes under test lift and lower values of their own API; [`Value`] is the neutral
//! form both sides convert from.

use arbitrary::{Result, Unstructured};
use std::fmt::Write;

/// A component value type.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
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
    List(Box<Ty>),
    /// Field `i` is named `a{i}`.
    Record(Vec<Ty>),
    Tuple(Vec<Ty>),
    /// Case `i` is named `c{i}`.
    Variant(Vec<Option<Ty>>),
    /// Labels `e0..e{n}`.
    Enum(u32),
    Option(Box<Ty>),
    Result(Option<Box<Ty>>, Option<Box<Ty>>),
    /// Labels `f0..f{n}`.
    Flags(u32),
}

/// A value of a [`Ty`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    S8(i8),
    U8(u8),
    S16(i16),
    U16(u16),
    S32(i32),
    U32(u32),
    S64(i64),
    U64(u64),
    /// Bits, so that NaNs compare.
    F32(u32),
    F64(u64),
    Char(char),
    String(String),
    List(Vec<Value>),
    Record(Vec<Value>),
    Tuple(Vec<Value>),
    Variant(u32, Option<Box<Value>>),
    Enum(u32),
    Option(Option<Box<Value>>),
    Result(std::result::Result<Option<Box<Value>>, Option<Box<Value>>>),
    /// Which labels are set.
    Flags(Vec<bool>),
}

/// The string encodings of `canon` options.
pub const ENCODINGS: [&str; 3] = ["utf8", "utf16", "latin1+utf16"];

/// A type, nested at most `depth` more levels.
pub fn arbitrary_ty(u: &mut Unstructured<'_>, depth: u32) -> Result<Ty> {
    let leaf = depth == 0 || u.ratio(1, 3)?;
    if leaf {
        return Ok(match u.int_in_range(0..=14)? {
            0 => Ty::Bool,
            1 => Ty::S8,
            2 => Ty::U8,
            3 => Ty::S16,
            4 => Ty::U16,
            5 => Ty::S32,
            6 => Ty::U32,
            7 => Ty::S64,
            8 => Ty::U64,
            9 => Ty::F32,
            10 => Ty::F64,
            11 => Ty::Char,
            12 => Ty::String,
            13 => Ty::Enum(u.int_in_range(1..=300)?),
            _ => Ty::Flags(u.int_in_range(1..=32)?),
        });
    }
    let d = depth - 1;
    let several = |u: &mut Unstructured<'_>| -> Result<Vec<Ty>> {
        let n = u.int_in_range(1..=4)?;
        (0..n).map(|_| arbitrary_ty(u, d)).collect()
    };
    Ok(match u.int_in_range(0..=5)? {
        0 => Ty::List(Box::new(arbitrary_ty(u, d)?)),
        1 => Ty::Record(several(u)?),
        2 => Ty::Tuple(several(u)?),
        3 => {
            let n = u.int_in_range(1..=4)?;
            Ty::Variant(
                (0..n)
                    .map(|_| {
                        if u.ratio(1, 3)? {
                            Ok(None)
                        } else {
                            arbitrary_ty(u, d).map(Some)
                        }
                    })
                    .collect::<Result<_>>()?,
            )
        }
        4 => Ty::Option(Box::new(arbitrary_ty(u, d)?)),
        _ => {
            let ok = if u.ratio(1, 3)? {
                None
            } else {
                Some(Box::new(arbitrary_ty(u, d)?))
            };
            let err = if u.ratio(1, 3)? {
                None
            } else {
                Some(Box::new(arbitrary_ty(u, d)?))
            };
            Ty::Result(ok, err)
        }
    })
}

/// Characters that make the encodings differ: ASCII, latin-1, the BMP beyond latin-1, and
/// beyond the BMP (surrogate pairs in UTF-16).
const CHARS: [char; 8] = ['a', 'Z', '0', ' ', 'é', 'ÿ', '中', '😀'];

/// A value of `ty`.
pub fn arbitrary_value(u: &mut Unstructured<'_>, ty: &Ty) -> Result<Value> {
    Ok(match ty {
        Ty::Bool => Value::Bool(u.arbitrary()?),
        Ty::S8 => Value::S8(u.arbitrary()?),
        Ty::U8 => Value::U8(u.arbitrary()?),
        Ty::S16 => Value::S16(u.arbitrary()?),
        Ty::U16 => Value::U16(u.arbitrary()?),
        Ty::S32 => Value::S32(u.arbitrary()?),
        Ty::U32 => Value::U32(u.arbitrary()?),
        Ty::S64 => Value::S64(u.arbitrary()?),
        Ty::U64 => Value::U64(u.arbitrary()?),
        Ty::F32 => Value::F32(u.arbitrary()?),
        Ty::F64 => Value::F64(u.arbitrary()?),
        Ty::Char => Value::Char(if u.ratio(1, 2)? {
            *u.choose(&CHARS)?
        } else {
            u.arbitrary()?
        }),
        Ty::String => {
            let n = u.int_in_range(0..=12)?;
            let mut s = String::new();
            for _ in 0..n {
                s.push(*u.choose(&CHARS)?);
            }
            Value::String(s)
        }
        Ty::List(t) => {
            let n = u.int_in_range(0..=4)?;
            Value::List(
                (0..n)
                    .map(|_| arbitrary_value(u, t))
                    .collect::<Result<_>>()?,
            )
        }
        Ty::Record(ts) => Value::Record(
            ts.iter()
                .map(|t| arbitrary_value(u, t))
                .collect::<Result<_>>()?,
        ),
        Ty::Tuple(ts) => Value::Tuple(
            ts.iter()
                .map(|t| arbitrary_value(u, t))
                .collect::<Result<_>>()?,
        ),
        Ty::Variant(cases) => {
            let i = u.choose_index(cases.len())?;
            let payload = match &cases[i] {
                Some(t) => Some(Box::new(arbitrary_value(u, t)?)),
                None => None,
            };
            Value::Variant(i as u32, payload)
        }
        Ty::Enum(n) => Value::Enum(u.int_in_range(0..=n - 1)?),
        Ty::Option(t) => Value::Option(if u.arbitrary()? {
            Some(Box::new(arbitrary_value(u, t)?))
        } else {
            None
        }),
        Ty::Result(ok, err) => {
            let case =
                |u: &mut Unstructured<'_>, t: &Option<Box<Ty>>| -> Result<Option<Box<Value>>> {
                    Ok(match t {
                        Some(t) => Some(Box::new(arbitrary_value(u, t)?)),
                        None => None,
                    })
                };
            Value::Result(if u.arbitrary()? {
                Ok(case(u, ok)?)
            } else {
                Err(case(u, err)?)
            })
        }
        Ty::Flags(n) => Value::Flags((0..*n).map(|_| u.arbitrary()).collect::<Result<_>>()?),
    })
}

/// How many core values `ty` flattens to.
pub fn flat_count(ty: &Ty) -> usize {
    match ty {
        Ty::String | Ty::List(_) => 2,
        Ty::Record(ts) | Ty::Tuple(ts) => ts.iter().map(flat_count).sum(),
        Ty::Variant(cases) => {
            1 + cases
                .iter()
                .map(|c| c.as_ref().map_or(0, flat_count))
                .max()
                .unwrap_or(0)
        }
        Ty::Option(t) => 1 + flat_count(t),
        Ty::Result(ok, err) => {
            1 + ok
                .as_deref()
                .map_or(0, flat_count)
                .max(err.as_deref().map_or(0, flat_count))
        }
        Ty::Flags(n) => (*n as usize).div_ceil(32),
        _ => 1,
    }
}

/// The core type and load instruction of a `ty` that flattens to one value, read at
/// offset 0 of its memory layout.
fn single_load(ty: &Ty) -> (&'static str, &'static str) {
    match ty {
        Ty::Bool | Ty::U8 | Ty::S8 => ("i32", "i32.load8_u"),
        Ty::U16 | Ty::S16 => ("i32", "i32.load16_u"),
        Ty::U32 | Ty::S32 | Ty::Char => ("i32", "i32.load"),
        Ty::U64 | Ty::S64 => ("i64", "i64.load"),
        Ty::F32 => ("f32", "f32.load"),
        Ty::F64 => ("f64", "f64.load"),
        Ty::Enum(n) => discriminant_load(*n as usize),
        Ty::Variant(cases) => discriminant_load(cases.len()),
        Ty::Result(None, None) => discriminant_load(2),
        Ty::Flags(n) if *n <= 8 => ("i32", "i32.load8_u"),
        Ty::Flags(n) if *n <= 16 => ("i32", "i32.load16_u"),
        Ty::Flags(_) => ("i32", "i32.load"),
        Ty::Record(ts) | Ty::Tuple(ts) => {
            let inner = ts
                .iter()
                .find(|t| flat_count(t) == 1)
                .expect("one flat value");
            single_load(inner)
        }
        _ => unreachable!("{ty:?} flattens to more than one value"),
    }
}

fn discriminant_load(cases: usize) -> (&'static str, &'static str) {
    if cases <= 256 {
        ("i32", "i32.load8_u")
    } else if cases <= 65536 {
        ("i32", "i32.load16_u")
    } else {
        ("i32", "i32.load")
    }
}

/// Memory size and alignment of `ty` (the canonical ABI's `elem_size` and `alignment`).
pub fn size_align(ty: &Ty) -> (u32, u32) {
    fn record(ts: &[Ty]) -> (u32, u32) {
        let mut size = 0u32;
        let mut align = 1u32;
        for t in ts {
            let (s, a) = size_align(t);
            size = size.div_ceil(a) * a + s;
            align = align.max(a);
        }
        (size.div_ceil(align) * align, align)
    }
    fn variant(cases: &[Option<&Ty>]) -> (u32, u32) {
        let disc = match cases.len() {
            0..=256 => 1,
            257..=65536 => 2,
            _ => 4,
        };
        let mut payload = (0u32, 1u32);
        for c in cases.iter().flatten() {
            let (s, a) = size_align(c);
            payload = (payload.0.max(s), payload.1.max(a));
        }
        let align = disc.max(payload.1);
        let size = disc.div_ceil(payload.1) * payload.1 + payload.0;
        (size.div_ceil(align) * align, align)
    }
    match ty {
        Ty::Bool | Ty::S8 | Ty::U8 => (1, 1),
        Ty::S16 | Ty::U16 => (2, 2),
        Ty::S32 | Ty::U32 | Ty::F32 | Ty::Char => (4, 4),
        Ty::S64 | Ty::U64 | Ty::F64 => (8, 8),
        Ty::String | Ty::List(_) => (8, 4),
        Ty::Record(ts) | Ty::Tuple(ts) => record(ts),
        Ty::Variant(cases) => variant(&cases.iter().map(|c| c.as_ref()).collect::<Vec<_>>()),
        Ty::Enum(n) => variant(&vec![None; *n as usize]),
        Ty::Option(t) => variant(&[None, Some(t)]),
        Ty::Result(ok, err) => variant(&[ok.as_deref(), err.as_deref()]),
        Ty::Flags(n) => match n {
            0..=8 => (1, 1),
            9..=16 => (2, 2),
            _ => (4 * n.div_ceil(32), 4),
        },
    }
}

/// Type definitions in component text: named kinds (record, variant, enum, flags) are
/// defined and exported as `t0`, `t1`, ... (a function's type may only name exported or
/// imported types), the rest written inline.
struct TypeText {
    defs: String,
    count: usize,
    /// In an instance type: `(export "tN" (type $tN (eq $tN')))`; in a component:
    /// `(export $tN "tN" (type $tN'))`.
    in_instance_type: bool,
}

impl TypeText {
    fn reference(&mut self, ty: &Ty) -> String {
        let named = |this: &mut TypeText, body: String| {
            let n = this.count;
            this.count += 1;
            let _ = writeln!(this.defs, "(type $t{n}' {body})");
            if this.in_instance_type {
                let _ = writeln!(this.defs, "(export \"t{n}\" (type $t{n} (eq $t{n}')))");
            } else {
                let _ = writeln!(this.defs, "(export $t{n} \"t{n}\" (type $t{n}'))");
            }
            format!("$t{n}")
        };
        match ty {
            Ty::Bool => "bool".into(),
            Ty::S8 => "s8".into(),
            Ty::U8 => "u8".into(),
            Ty::S16 => "s16".into(),
            Ty::U16 => "u16".into(),
            Ty::S32 => "s32".into(),
            Ty::U32 => "u32".into(),
            Ty::S64 => "s64".into(),
            Ty::U64 => "u64".into(),
            Ty::F32 => "f32".into(),
            Ty::F64 => "f64".into(),
            Ty::Char => "char".into(),
            Ty::String => "string".into(),
            Ty::List(t) => format!("(list {})", self.reference(t)),
            Ty::Tuple(ts) => {
                let parts: Vec<String> = ts.iter().map(|t| self.reference(t)).collect();
                format!("(tuple {})", parts.join(" "))
            }
            Ty::Option(t) => format!("(option {})", self.reference(t)),
            Ty::Result(ok, err) => {
                let mut s = "(result".to_string();
                if let Some(t) = ok {
                    s += &format!(" {}", self.reference(t));
                }
                if let Some(t) = err {
                    s += &format!(" (error {})", self.reference(t));
                }
                s + ")"
            }
            Ty::Record(ts) => {
                let fields: Vec<String> = ts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!("(field \"a{i}\" {})", self.reference(t)))
                    .collect();
                named(self, format!("(record {})", fields.join(" ")))
            }
            Ty::Variant(cases) => {
                let cases: Vec<String> = cases
                    .iter()
                    .enumerate()
                    .map(|(i, t)| match t {
                        Some(t) => format!("(case \"c{i}\" {})", self.reference(t)),
                        None => format!("(case \"c{i}\")"),
                    })
                    .collect();
                named(self, format!("(variant {})", cases.join(" ")))
            }
            Ty::Enum(n) => {
                let labels: Vec<String> = (0..*n).map(|i| format!("\"e{i}\"")).collect();
                named(self, format!("(enum {})", labels.join(" ")))
            }
            Ty::Flags(n) => {
                let labels: Vec<String> = (0..*n).map(|i| format!("\"f{i}\"")).collect();
                named(self, format!("(flags {})", labels.join(" ")))
            }
        }
    }
}

/// The pad parameter's type: 17 flat values (17 bytes), so the parameters always spill to
/// memory. Nested in tuples of at most 8, so typed APIs can spell it.
pub const PAD: &str = "(tuple (tuple u8 u8 u8 u8 u8 u8 u8 u8) (tuple u8 u8 u8 u8 u8 u8 u8 u8) u8)";

/// A bump allocator `realloc` (and the memory it allocates in).
const ALLOCATOR: &str = r#"
    (memory (export "memory") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func $realloc (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      ;; Shrinking keeps the block; growing copies it to a new one.
      (if (i32.and (i32.ne (local.get $old) (i32.const 0)) (i32.le_u (local.get $size) (local.get $old_size)))
        (then (return (local.get $old))))
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $p) (local.get $size)))
      (block $ok
        (br_if $ok (i32.le_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536))))
        (br_if $ok (i32.ne (memory.grow (i32.add (i32.shr_u (global.get $bump) (i32.const 16)) (i32.const 1)))
                           (i32.const -1)))
        unreachable)
      (if (i32.ne (local.get $old) (i32.const 0))
        (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
      (local.get $p))
"#;

/// What the echo hands back when its result goes by pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The pointer it was given: the value itself.
    Echo,
    /// That pointer plus one: misaligned when `T`'s alignment is above 1 (the spec's trap).
    Misaligned,
    /// A pointer past the end of memory (the spec's out-of-bounds trap).
    OutOfBounds,
}

/// The echo component's body for `ty`, lifted with string encoding `encoding`.
fn echo_body(ty: &Ty, encoding: &str) -> String {
    echo_body_answering(ty, encoding, Answer::Echo)
}

fn echo_body_answering(ty: &Ty, encoding: &str, answer: Answer) -> String {
    let mut types = TypeText {
        defs: String::new(),
        count: 0,
        in_instance_type: false,
    };
    let t = types.reference(ty);
    let core = if flat_count(ty) == 1 {
        let (result, load) = single_load(ty);
        format!("(func (export \"echo\") (param i32) (result {result}) ({load} (local.get 0)))")
    } else {
        let ptr = match answer {
            Answer::Echo => "(local.get 0)",
            Answer::Misaligned => "(i32.add (local.get 0) (i32.const 1))",
            Answer::OutOfBounds => "(i32.const -8)",
        };
        format!("(func (export \"echo\") (param i32) (result i32) {ptr})")
    };
    format!(
        r#"{defs}
  (core module $M {ALLOCATOR}
    {core})
  (core instance $m (instantiate $M))
  (alias core export $m "memory" (core memory $memory))
  (alias core export $m "realloc" (core func $realloc))
  (func (export "echo") (param "x" {t}) (param "pad" {PAD}) (result {t})
    (canon lift (core func $m "echo") (memory $memory) (realloc $realloc) string-encoding={encoding}))
"#,
        defs = types.defs
    )
}

/// A component exporting `echo` for `ty`, lifted with `encoding`.
pub fn echo_text(ty: &Ty, encoding: &str) -> String {
    format!("(component\n{})", echo_body(ty, encoding))
}

/// [`echo_text`] whose result pointer is `answer` (only for types that flatten to more
/// than one value: their results go by pointer).
pub fn echo_text_answering(ty: &Ty, encoding: &str, answer: Answer) -> String {
    format!("(component\n{})", echo_body_answering(ty, encoding, answer))
}

/// Guest to guest, as a composition (`wasm-tools compose` makes the same shape): the echo
/// component `$B` of [`echo_text`] (string encoding `inner`) and a component `$A`
/// (encoding `outer`) that imports an echo and forwards to it, instantiated side by side,
/// `$A` given `$B`'s instance; the outer component exports `$A`'s instance as `a`. (A component may
/// not call its own child: the spec's `call_might_be_recursive` traps, so the forwarder is
/// a sibling, not the parent.)
pub fn composed_text(ty: &Ty, outer: &str, inner: &str) -> String {
    let mut import_types = TypeText {
        defs: String::new(),
        count: 0,
        in_instance_type: true,
    };
    let imported = import_types.reference(ty);
    let mut own_types = TypeText {
        defs: String::new(),
        count: 0,
        in_instance_type: false,
    };
    let t = own_types.reference(ty);
    let forward = if flat_count(ty) == 1 {
        let (result, _) = single_load(ty);
        format!(
            r#"(import "m" "echo" (func $imp (param i32) (result {result})))
      (func (export "echo") (param i32) (result {result}) (call $imp (local.get 0)))"#
        )
    } else {
        let (size, align) = size_align(ty);
        format!(
            r#"(import "m" "echo" (func $imp (param i32 i32)))
      (import "m" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
      (func (export "echo") (param i32) (result i32) (local $r i32)
        (local.set $r (call $realloc (i32.const 0) (i32.const 0) (i32.const {align}) (i32.const {size})))
        (call $imp (local.get 0) (local.get $r))
        (local.get $r))"#
        )
    };
    format!(
        r#"(component
  (component $B {inner_body})
  (component $A
    (import "b" (instance $b
{import_defs}      (export "echo" (func (param "x" {imported}) (param "pad" {PAD}) (result {imported})))))
    (alias export $b "echo" (func $echo))
{own_defs}
    (core module $Alloc {ALLOCATOR})
    (core instance $alloc (instantiate $Alloc))
    (alias core export $alloc "memory" (core memory $memory))
    (alias core export $alloc "realloc" (core func $realloc))
    (core func $lowered (canon lower (func $echo) (memory $memory) (realloc $realloc) string-encoding={outer}))
    (core module $Fwd
      {forward})
    (core instance $fwd (instantiate $Fwd (with "m" (instance
      (export "echo" (func $lowered)) (export "realloc" (func $realloc))))))
    (func (export "echo") (param "x" {t}) (param "pad" {PAD}) (result {t})
      (canon lift (core func $fwd "echo") (memory $memory) (realloc $realloc) string-encoding={outer})))
  (instance $bi (instantiate $B))
  (instance $ai (instantiate $A (with "b" (instance $bi))))
  (export "a" (instance $ai)))
"#,
        inner_body = echo_body(ty, inner),
        import_defs = import_types.defs,
        own_defs = own_types.defs,
    )
}
