//! The types that despecialize to a variant (variant, enum, option, result), seen as
//! "a case index and an optional payload", both for values and types.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::{type_mismatch, Trap};
use crate::types::{Type, TypeKind};
use crate::values::Val;

/// The number of cases of a variant-like type.
pub(crate) fn case_count(ty: &Type) -> usize {
    match ty.kind() {
        TypeKind::Variant(cases) => cases.len(),
        TypeKind::Enum(labels) => labels.len(),
        TypeKind::Option(_) | TypeKind::Result { .. } => 2,
        _ => 0,
    }
}

/// The payload type of case `i` (which is in range).
pub(crate) fn case_payload(ty: &Type, i: usize) -> Option<&Type> {
    match ty.kind() {
        TypeKind::Variant(cases) => cases[i].ty.as_ref(),
        TypeKind::Option(t) => (i == 1).then_some(t),
        TypeKind::Result { ok, err } => {
            if i == 0 {
                ok.as_ref()
            } else {
                err.as_ref()
            }
        }
        _ => None,
    }
}

/// A case's payload value with its type.
pub(crate) type Payload<'v, 't> = (&'v Val, &'t Type);

/// `match_case`: the case index and payload of a value of a variant-like type, checking
/// the value's shape against the type.
pub(crate) fn match_case<'v, 't>(
    val: &'v Val,
    ty: &'t Type,
) -> Result<(u32, Option<Payload<'v, 't>>), Trap> {
    let bad = || type_mismatch(ty);
    let (index, payload): (usize, Option<&Val>) = match (val, ty.kind()) {
        (Val::Variant(name, v), TypeKind::Variant(cases)) => {
            let i = cases.iter().position(|c| c.name == *name).ok_or_else(bad)?;
            (i, v.as_deref())
        }
        (Val::Enum(name), TypeKind::Enum(labels)) => {
            (labels.iter().position(|l| l == name).ok_or_else(bad)?, None)
        }
        (Val::Option(v), TypeKind::Option(_)) => match v {
            None => (0, None),
            Some(v) => (1, Some(&**v)),
        },
        (Val::Result(r), TypeKind::Result { .. }) => match r {
            Ok(v) => (0, v.as_deref()),
            Err(v) => (1, v.as_deref()),
        },
        _ => return Err(bad()),
    };
    let payload = match (payload, case_payload(ty, index)) {
        (None, None) => None,
        (Some(v), Some(t)) => Some((v, t)),
        _ => return Err(bad()),
    };
    Ok((index as u32, payload))
}

/// The value of case `i` (in range) of a variant-like type, with its lifted payload.
pub(crate) fn make_case(ty: &Type, i: usize, payload: Option<Val>) -> Val {
    let payload = payload.map(Box::new);
    match ty.kind() {
        TypeKind::Variant(cases) => Val::Variant(cases[i].name.clone(), payload),
        TypeKind::Enum(labels) => Val::Enum(labels[i].clone()),
        TypeKind::Option(_) => Val::Option(payload),
        TypeKind::Result { .. } => Val::Result(if i == 0 { Ok(payload) } else { Err(payload) }),
        _ => unreachable!("make_case on a type that is not variant-like"),
    }
}

/// Checks a discriminant read from the guest.
pub(crate) fn check_discriminant(ty: &Type, index: u32) -> Result<usize, Trap> {
    let cases = case_count(ty);
    if index as usize >= cases {
        return Err(Trap::InvalidDiscriminant {
            index,
            cases: cases as u32,
        });
    }
    Ok(index as usize)
}

/// `pack_flags_into_int`, one 32-bit word at a time: bit `i % 32` of word `i / 32` is
/// label `i`. Traps with a type mismatch on a label the type does not have.
pub(crate) fn flags_word(
    set: &[String],
    labels: &[String],
    word: usize,
    ty: &Type,
) -> Result<u32, Trap> {
    let mut bits = 0u32;
    for name in set {
        let i = labels
            .iter()
            .position(|l| l == name)
            .ok_or_else(|| type_mismatch(ty))?;
        if i / 32 == word {
            bits |= 1 << (i % 32);
        }
    }
    Ok(bits)
}

/// `unpack_flags_from_int`: the labels whose bits are set; bits past the last label are
/// ignored, as the specification does.
pub(crate) fn unpack_flags(labels: &[String], word: impl Fn(usize) -> u32) -> Vec<String> {
    let mut set = Vec::new();
    let mut bits = 0;
    for (i, l) in labels.iter().enumerate() {
        if i % 32 == 0 {
            bits = word(i / 32);
        }
        if bits & (1 << (i % 32)) != 0 {
            set.push(l.clone());
        }
    }
    set
}
