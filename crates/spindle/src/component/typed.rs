//! Typed component functions ([`TypedFunc`]): Rust values in, Rust values out, checked
//! against the function's component type once, when the typed handle is made.
//!
//! In wasmtime's shape: `instance.get_typed_func::<(String, u32), (Result<String, String>,)>
//! (&mut store, "name")?` and `typed.call(&mut store, (s, n))?`; parameters and results are
//! tuples of [`ComponentType`]s. Values cross through the dynamic [`Val`] (the canonical
//! ABI's lifting and lowering is the same code either way).

use std::marker::PhantomData;

use spindle_component::{Type, TypeKind, Val};

use super::Func;
use crate::store::AsContextMut;
use crate::{Error, Result};

/// A Rust type with a component value type.
pub trait ComponentType: Sized {
    /// Whether `ty` is this Rust type's component type.
    fn typecheck(ty: &Type) -> bool;
    /// The value as a component value.
    fn into_val(self) -> Val;
    /// The value from a component value of a type [`ComponentType::typecheck`] accepted.
    fn from_val(v: Val) -> Result<Self>;
}

fn mismatch<T>(v: &Val) -> Result<T> {
    Err(Error::msg(format!(
        "component value {v:?} is not a {}",
        std::any::type_name::<T>()
    )))
}

macro_rules! primitive {
    ($($t:ty => $kind:ident / $val:ident),* $(,)?) => { $(
        impl ComponentType for $t {
            fn typecheck(ty: &Type) -> bool {
                matches!(ty.kind(), TypeKind::$kind)
            }
            fn into_val(self) -> Val {
                Val::$val(self)
            }
            fn from_val(v: Val) -> Result<Self> {
                match v {
                    Val::$val(x) => Ok(x),
                    other => mismatch(&other),
                }
            }
        }
    )* };
}

primitive!(
    bool => Bool / Bool,
    i8 => S8 / S8,
    u8 => U8 / U8,
    i16 => S16 / S16,
    u16 => U16 / U16,
    i32 => S32 / S32,
    u32 => U32 / U32,
    i64 => S64 / S64,
    u64 => U64 / U64,
    f32 => F32 / F32,
    f64 => F64 / F64,
    char => Char / Char,
);

impl ComponentType for String {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::String)
    }
    fn into_val(self) -> Val {
        Val::string(self)
    }
    fn from_val(v: Val) -> Result<Self> {
        match v {
            Val::String(s) => Ok(s.into_string()),
            other => mismatch(&other),
        }
    }
}

impl<T: ComponentType> ComponentType for Vec<T> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::List(e) if T::typecheck(e))
    }
    fn into_val(self) -> Val {
        Val::List(self.into_iter().map(T::into_val).collect())
    }
    fn from_val(v: Val) -> Result<Self> {
        match v {
            Val::List(items) => items.into_iter().map(T::from_val).collect(),
            other => mismatch(&other),
        }
    }
}

impl<T: ComponentType> ComponentType for Option<T> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::Option(t) if T::typecheck(t))
    }
    fn into_val(self) -> Val {
        Val::Option(self.map(|v| Box::new(v.into_val())))
    }
    fn from_val(v: Val) -> Result<Self> {
        match v {
            Val::Option(o) => o.map(|v| T::from_val(*v)).transpose(),
            other => mismatch(&other),
        }
    }
}

/// A payload of a `result` case: a value, or `()` for a case without one.
pub trait ResultCase: Sized {
    #[doc(hidden)]
    fn typecheck_case(ty: Option<&Type>) -> bool;
    #[doc(hidden)]
    fn into_case(self) -> Option<Box<Val>>;
    #[doc(hidden)]
    fn from_case(v: Option<Box<Val>>) -> Result<Self>;
}

impl ResultCase for () {
    fn typecheck_case(ty: Option<&Type>) -> bool {
        ty.is_none()
    }
    fn into_case(self) -> Option<Box<Val>> {
        None
    }
    fn from_case(_: Option<Box<Val>>) -> Result<Self> {
        Ok(())
    }
}

impl<T: ComponentType> ResultCase for T {
    fn typecheck_case(ty: Option<&Type>) -> bool {
        ty.is_some_and(T::typecheck)
    }
    fn into_case(self) -> Option<Box<Val>> {
        Some(Box::new(self.into_val()))
    }
    fn from_case(v: Option<Box<Val>>) -> Result<Self> {
        match v {
            Some(v) => T::from_val(*v),
            None => Err(Error::msg("a result case without its value")),
        }
    }
}

impl<T: ResultCase, E: ResultCase> ComponentType for std::result::Result<T, E> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::Result { ok, err }
            if T::typecheck_case(ok.as_ref()) && E::typecheck_case(err.as_ref()))
    }
    fn into_val(self) -> Val {
        Val::Result(match self {
            Ok(v) => Ok(v.into_case()),
            Err(e) => Err(e.into_case()),
        })
    }
    fn from_val(v: Val) -> Result<Self> {
        match v {
            Val::Result(Ok(v)) => Ok(Ok(T::from_case(v)?)),
            Val::Result(Err(e)) => Ok(Err(E::from_case(e)?)),
            other => mismatch(&other),
        }
    }
}

/// A tuple of [`ComponentType`]s: a function's parameters or results.
pub trait ComponentList: Sized {
    #[doc(hidden)]
    fn typecheck_list(types: &[&Type]) -> bool;
    #[doc(hidden)]
    fn into_vals(self) -> Vec<Val>;
    #[doc(hidden)]
    fn from_vals(vals: Vec<Val>) -> Result<Self>;
}

macro_rules! lists {
    ($( ($($n:ident)*) )*) => { $(
        #[allow(non_snake_case, unused_variables, unused_mut, clippy::unused_unit)]
        impl<$($n: ComponentType),*> ComponentList for ($($n,)*) {
            fn typecheck_list(types: &[&Type]) -> bool {
                let mut it = types.iter();
                $( if !it.next().is_some_and(|t| $n::typecheck(t)) { return false; } )*
                it.next().is_none()
            }
            fn into_vals(self) -> Vec<Val> {
                let ($($n,)*) = self;
                vec![$($n.into_val()),*]
            }
            fn from_vals(vals: Vec<Val>) -> Result<Self> {
                let mut it = vals.into_iter();
                $( let $n = $n::from_val(it.next().ok_or_else(|| Error::msg("too few values"))?)?; )*
                Ok(($($n,)*))
            }
        }
    )* };
}

lists!(
    ()
    (A1)
    (A1 A2)
    (A1 A2 A3)
    (A1 A2 A3 A4)
    (A1 A2 A3 A4 A5)
    (A1 A2 A3 A4 A5 A6)
    (A1 A2 A3 A4 A5 A6 A7)
    (A1 A2 A3 A4 A5 A6 A7 A8)
);

/// A component function with its parameter and result types known to Rust.
pub struct TypedFunc<P, R> {
    func: Func,
    _types: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: ComponentList, R: ComponentList> TypedFunc<P, R> {
    /// The typed view of `func`, or an error naming the function's type when `P` and `R`
    /// are not its parameters and results.
    pub fn new(mut store: impl AsContextMut, func: Func) -> Result<Self> {
        let ty = func.ty(&mut store);
        let params: Vec<&Type> = ty.params().iter().map(|(_, t)| t).collect();
        let results: Vec<&Type> = ty.results().iter().collect();
        if !P::typecheck_list(&params) || !R::typecheck_list(&results) {
            return Err(Error::msg(format!(
                "the function's type is {:?} -> {:?}, not {} -> {}",
                ty.params(),
                ty.results(),
                std::any::type_name::<P>(),
                std::any::type_name::<R>()
            )));
        }
        Ok(TypedFunc {
            func,
            _types: PhantomData,
        })
    }

    /// Calls the function.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let f = self.func.lifted(store.as_context_mut().inner);
        let out = super::func::call_lifted(&mut store, &f, &params.into_vals())?;
        R::from_vals(out)
    }

    /// wasmtime's second step of a call; nothing is left to do here (see
    /// [`Func::post_return`]).
    pub fn post_return(&self, store: impl AsContextMut) -> Result<()> {
        self.func.post_return(store)
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}
