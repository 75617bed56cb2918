//! Functions: calling Wasm, and host functions from closures (dynamic and typed).

use crate::prelude::*;
use alloc::sync::Arc;
use core::marker::PhantomData;

use spindle_decode::{AbstractHeapType, HeapType, RefType, ValType};
use spindle_exec::Val as ExecVal;

use crate::error::{from_trap, resume_panic, to_trap};
use crate::store::{check_store, store_data, store_data_mut, AsContext, AsContextMut};
use crate::values::{AnyRef, ExternRef, V128};
use crate::{Engine, Error, Extern, FuncType, Result, Val};

/// A function of a store (Wasm or host). A handle: cheap to copy, valid only with the store
/// it came from (another store panics).
///
/// ```
/// use spindle::{Engine, Func, Store};
/// let engine = Engine::default();
/// let mut store = Store::new(&engine, ());
/// let double = Func::wrap(&mut store, |x: i32| x * 2);
/// let typed = double.typed::<i32, i32>(&store)?;
/// assert_eq!(typed.call(&mut store, 21)?, 42);
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Func {
    store: u64,
    index: u32,
}

impl Func {
    pub(crate) fn from_index(store: u64, index: u32) -> Func {
        Func { store, index }
    }

    /// The store's index of the function; panics if `store` is not its store.
    #[track_caller]
    pub(crate) fn index(self, store: u64) -> u32 {
        check_store(self.store, store);
        self.index
    }

    /// A host function of type `ty` from a closure over dynamic values.
    ///
    /// ```
    /// use spindle::{Engine, Func, FuncType, Store, Val, ValType};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let ty = FuncType::new(&engine, [ValType::I32], [ValType::I32]);
    /// let inc = Func::new(&mut store, ty, |_caller, args, results| {
    ///     results[0] = Val::I32(args[0].i32().unwrap() + 1);
    ///     Ok(())
    /// });
    /// let mut out = [Val::I32(0)];
    /// inc.call(&mut store, &[Val::I32(1)], &mut out)?;
    /// assert_eq!(out[0], Val::I32(2));
    /// # Ok::<(), spindle::Error>(())
    /// ```
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let host = spindle_exec::HostCode::Vals(dynamic_host_func(f));
        let s = store.as_context_mut().inner;
        Func::from_index(s.id, add_host(s, &ty, host))
    }

    /// A host function from a typed closure, with or without a leading [`Caller`]:
    /// `|x: i32| x + 1`, `|mut caller: Caller<'_, T>, ptr: i32, len: i32| { ... }`. Up to 16
    /// parameters; results are `()`, a value, a tuple, or a `Result` of those.
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, host) = f.into_func();
        let s = store.as_context_mut().inner;
        Func::from_index(s.id, add_host(s, &ty, host))
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let s = store.as_context().inner;
        s.registry.get(s.funcs[self.index(s.id) as usize].ty())
    }

    /// Calls the function with dynamic values. The number and types of `params` and the
    /// number of `results` must match the function's type.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let s = store.as_context_mut().inner;
        let index = self.index(s.id);
        let args = checked_args(s, index, params, results.len())?;
        let mut out = vec![ExecVal::I32(0); results.len()];
        let r = spindle_exec::call(s, index, &args, &mut out);
        resume_panic(s);
        r.map_err(|t| from_trap(s.id, t))?;
        for (slot, v) in results.iter_mut().zip(out) {
            *slot = Val::from_exec(v, s.id);
        }
        Ok(())
    }

    /// Calls the function with core numbers, for arguments known to follow its type (the
    /// canonical ABI's, for a core function the validator matched against the flattened
    /// component type): the type is not looked up (a debug build still checks it).
    #[cfg(feature = "component")]
    pub(crate) fn call_numbers_trusted(
        &self,
        mut store: impl AsContextMut,
        params: &[ExecVal],
        results: &mut [ExecVal],
    ) -> Result<()> {
        let s = store.as_context_mut().inner;
        let index = self.index(s.id);
        #[cfg(debug_assertions)]
        {
            let ty = s.registry.get(s.funcs[index as usize].ty());
            debug_assert!(
                params.len() == ty.params.len()
                    && results.len() == ty.results.len()
                    && params
                        .iter()
                        .zip(&ty.params)
                        .all(|(v, t)| s.val_matches(v, *t)),
                "core call of type {ty} with {params:?}"
            );
        }
        let r = spindle_exec::call(s, index, params, results);
        resume_panic(s);
        r.map_err(|t| from_trap(s.id, t))
    }

    /// Like [`Func::call`], but when the store's fuel runs out, or a host function the Wasm
    /// code calls returns an error, the call is suspended, not unwound: add fuel and
    /// [`ResumableInvocation::resume`] it, or give the host function's results to
    /// [`ResumableInvocation::resume_with`] (a host function can so ask its embedder to do
    /// something, such as wait for I/O, and continue). Only the most recent suspension can
    /// be resumed; dropping one abandons its call (its frames are freed at the store's next
    /// call).
    pub fn call_resumable(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<ResumableCall> {
        let s = store.as_context_mut().inner;
        let index = self.index(s.id);
        let args = checked_args(s, index, params, results.len())?;
        let mut out = vec![ExecVal::I32(0); results.len()];
        let r = spindle_exec::call_resumable(s, index, &args, &mut out);
        finish_resumable(s, r, &out, results)
    }

    /// A typed view of the function, checked against its type: each Rust parameter type
    /// must be a subtype of the Wasm parameter, each Wasm result a subtype of the Rust one.
    pub fn typed<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<P, R>> {
        let s = store.as_context().inner;
        let ty = self.ty(&store);
        let (params, results) = (P::valtypes(), R::valtypes());
        let fits = params.len() == ty.params.len()
            && results.len() == ty.results.len()
            && params
                .iter()
                .zip(&ty.params)
                .all(|(rust, wasm)| s.registry.is_val_subtype(*rust, *wasm))
            && ty
                .results
                .iter()
                .zip(&results)
                .all(|(wasm, rust)| s.registry.is_val_subtype(*wasm, *rust));
        if !fits {
            return Err(Error::msg(format!(
                "type mismatch: the function has type {ty}, the typed view {}",
                FuncType { params, results }
            )));
        }
        Ok(TypedFunc {
            func: *self,
            _ty: PhantomData,
        })
    }
}

/// `params` in the interpreter's form, checked against the type of function `index`: an
/// error that says which argument is wrong.
fn checked_args(
    s: &spindle_exec::Store,
    index: u32,
    params: &[Val],
    results: usize,
) -> Result<Vec<ExecVal>> {
    let ty = s.registry.get(s.funcs[index as usize].ty());
    if params.len() != ty.params.len() || results != ty.results.len() {
        return Err(Error::msg(format!(
            "the function has type {ty}: it takes {} arguments and gives {} results, not {} and {results}",
            ty.params.len(),
            ty.results.len(),
            params.len(),
        )));
    }
    let mut args = Vec::with_capacity(params.len());
    for (i, (v, t)) in params.iter().zip(&ty.params).enumerate() {
        let v = v.to_exec(s.id);
        if !s.val_matches(&v, *t) {
            return Err(Error::msg(format!(
                "argument {i} ({v:?}) does not have type {t}"
            )));
        }
        args.push(v);
    }
    Ok(args)
}

/// Reads a resumable call's outcome: results, a suspension, or the error.
fn finish_resumable(
    s: &mut spindle_exec::Store,
    r: core::result::Result<Option<spindle_exec::Suspension>, spindle_exec::Trap>,
    out: &[ExecVal],
    results: &mut [Val],
) -> Result<ResumableCall> {
    resume_panic(s);
    match r.map_err(|t| from_trap(s.id, t))? {
        None => {
            for (slot, v) in results.iter_mut().zip(out) {
                *slot = Val::from_exec(*v, s.id);
            }
            Ok(ResumableCall::Finished)
        }
        Some(suspension) => Ok(ResumableCall::suspended(ResumableInvocation::new(
            s.id, suspension,
        ))),
    }
}

/// Adds host function `code` of type `ty` to `s`.
pub(crate) fn add_host(
    s: &mut spindle_exec::Store,
    ty: &FuncType,
    code: spindle_exec::HostCode,
) -> u32 {
    let id = s.registry.intern(ty);
    s.add_host_code(id, code)
        .expect("code over registers only for types of numbers and vectors that fit")
}

/// The adapter from a closure over the embedder's values to the interpreter's host
/// function.
pub(crate) fn dynamic_host_func<T: 'static>(
    f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
) -> spindle_exec::HostFunc {
    Arc::new(
        move |s: &mut spindle_exec::Store, args: &[ExecVal], results: &mut [ExecVal]| {
            let id = s.id;
            let params: Vec<Val> = args.iter().map(|v| Val::from_exec(*v, id)).collect();
            let mut outs: Vec<Val> = results.iter().map(|v| Val::from_exec(*v, id)).collect();
            match f(Caller::new(s), &params, &mut outs) {
                Ok(()) => {
                    for (slot, v) in results.iter_mut().zip(outs) {
                        *slot = v.to_exec(id);
                    }
                    Ok(())
                }
                Err(e) => Err(to_trap(s, e)),
            }
        },
    )
}

/// What a host function sees of the store: the embedder's data, the calling instance's
/// exports (its memory, above all), fuel, and calls back into Wasm (pass `&mut caller` as
/// the context).
///
/// ```
/// use spindle::{Caller, Engine, Linker, Module, Store};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (import "env" "log" (func $log (param i32 i32)))
///     (memory (export "memory") 1)
///     (data (i32.const 16) "hello")
///     (func (export "run") (call $log (i32.const 16) (i32.const 5))))"#)?;
/// let mut linker = Linker::<Vec<String>>::new(&engine);
/// linker.func_wrap("env", "log", |mut caller: Caller<'_, Vec<String>>, ptr: i32, len: i32| {
///     let memory = caller.get_export("memory").unwrap().into_memory().unwrap();
///     let mut buf = vec![0; len as usize];
///     memory.read(&caller, ptr as usize, &mut buf)?;
///     caller.data_mut().push(String::from_utf8(buf)?);
///     Ok(())
/// })?;
/// let mut store = Store::new(&engine, Vec::new());
/// let instance = linker.instantiate(&mut store, &module)?;
/// instance.get_typed_func::<(), ()>(&mut store, "run")?.call(&mut store, ())?;
/// assert_eq!(store.data(), &["hello"]);
/// # Ok::<(), spindle::Error>(())
/// ```
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut spindle_exec::Store,
    _data: PhantomData<fn() -> T>,
}

impl<'a, T: 'static> Caller<'a, T> {
    pub(crate) fn new(store: &'a mut spindle_exec::Store) -> Self {
        Caller {
            store,
            _data: PhantomData,
        }
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &store_data::<T>(self.store).data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut store_data_mut::<T>(self.store).data
    }

    /// The engine of the store.
    pub fn engine(&self) -> &Engine {
        &store_data::<T>(self.store).engine
    }

    /// The export called `name` of the instance whose Wasm code called this host function
    /// (`None` when the host called it directly, or there is no such export).
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let instance = self.store.caller_instance()?;
        let e = *self.store.instances[instance as usize].exports.get(name)?;
        Some(Extern::from_exec(self.store, e))
    }

    /// The fuel left (fuel metering must be on).
    pub fn get_fuel(&self) -> Result<u64> {
        self.as_context().get_fuel()
    }

    /// Sets the fuel left (fuel metering must be on).
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.as_context_mut().set_fuel(fuel)
    }

    /// A new exception of `tag` with `payload` (values of the tag's parameter types), as the
    /// error to return from the host function: the Wasm code that called it sees the
    /// exception thrown at the call, and its `try_table`s can catch it.
    pub fn throw(&mut self, tag: crate::Tag, payload: &[Val]) -> Error {
        let id = self.store.id;
        let tag = tag.index(id);
        let payload: Vec<ExecVal> = payload.iter().map(|v| v.to_exec(id)).collect();
        let t = self.store.new_exception(tag, &payload);
        match t.exception {
            Some(exn) => Error::new(crate::ThrownException { store: id, exn }),
            None => from_trap(id, t),
        }
    }

    /// The tag and payload of the exception `error` carries (one Wasm did not catch), if
    /// any.
    pub fn caught(&self, error: &Error) -> Option<(crate::Tag, Vec<Val>)> {
        crate::error::caught(self.store, error)
    }
}

/// A function with a statically known type: calls skip the dynamic checks and
/// conversions. Made by [`Func::typed`] or
/// [`Instance::get_typed_func`](crate::Instance::get_typed_func).
///
/// ```
/// use spindle::{Engine, Linker, Module, Store, TypedFunc};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (func (export "divmod") (param i32 i32) (result i32 i32)
///       (i32.div_u (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1))))"#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
/// let divmod: TypedFunc<(i32, i32), (i32, i32)> = instance.get_typed_func(&store, "divmod")?;
/// assert_eq!(divmod.call(&mut store, (17, 5))?, (3, 2));
/// // The types are checked once, here:
/// assert!(instance.get_typed_func::<i64, i32>(&store, "divmod").is_err());
/// # Ok::<(), spindle::Error>(())
/// ```
pub struct TypedFunc<P, R> {
    func: Func,
    _ty: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}
impl<P, R> core::fmt::Debug for TypedFunc<P, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TypedFunc")
            .field("func", &self.func)
            .finish()
    }
}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Calls the function.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let s = store.as_context_mut().inner;
        let index = self.func.index(s.id);
        let mut args = Vec::with_capacity(P::len());
        params.push_exec(s.id, &mut args);
        let mut results = R::default_exec();
        let r = spindle_exec::call(s, index, &args, &mut results);
        resume_panic(s);
        r.map_err(|t| from_trap(s.id, t))?;
        Ok(R::from_exec(&results, s.id))
    }

    /// Like [`Func::call_resumable`], typed.
    pub fn call_resumable(
        &self,
        mut store: impl AsContextMut,
        params: P,
    ) -> Result<TypedResumableCall<R>> {
        let s = store.as_context_mut().inner;
        let index = self.func.index(s.id);
        let mut args = Vec::with_capacity(P::len());
        params.push_exec(s.id, &mut args);
        let mut results = R::default_exec();
        let r = spindle_exec::call_resumable(s, index, &args, &mut results);
        resume_panic(s);
        Ok(match r.map_err(|t| from_trap(s.id, t))? {
            None => TypedResumableCall::Finished(R::from_exec(&results, s.id)),
            Some(suspension) => {
                TypedResumableCall::suspended(ResumableInvocation::new(s.id, suspension))
            }
        })
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}

/// A Rust type that stands for a Wasm value type in typed functions: `i32`, `u32`, `i64`,
/// `u64`, `f32`, `f64`, [`V128`], `Func` and `Option<Func>` (function references),
/// [`ExternRef`] and `Option<ExternRef>`, [`AnyRef`] and `Option<AnyRef>`.
pub trait WasmTy: Sized + Send + 'static {
    /// The Wasm type.
    #[doc(hidden)]
    fn valtype() -> ValType;
    /// As the interpreter's value, for store `store` (panics on another store's handle).
    #[doc(hidden)]
    fn into_exec(self, store: u64) -> ExecVal;
    /// From the interpreter's value of type [`WasmTy::valtype`], of store `store`.
    #[doc(hidden)]
    fn from_exec(v: &ExecVal, store: u64) -> Self;
    /// The registers the value takes when it crosses as raw registers (one; two for a
    /// `v128`), or 0 for references, which cross only as interpreter values.
    #[doc(hidden)]
    const CELLS: usize = 0;
    /// From registers `c[0..CELLS]` (only called when `CELLS > 0`).
    #[doc(hidden)]
    #[inline]
    fn from_cells(c: &[u64]) -> Self {
        let _ = c;
        unreachable!("references cross as values, not registers")
    }
    /// To registers `c[0..CELLS]` (only called when `CELLS > 0`).
    #[doc(hidden)]
    #[inline]
    fn into_cells(self, c: &mut [u64]) {
        let _ = c;
        unreachable!("references cross as values, not registers")
    }
}

macro_rules! wasm_num {
    ($t:ty, $vt:ident, $variant:ident, |$x:ident| $into:expr, |$y:ident| $from:expr,
     |$c:ident| $from_cells:expr, |$v:ident| $to_cell:expr) => {
        impl WasmTy for $t {
            const CELLS: usize = 1;
            #[inline(always)]
            fn from_cells($c: &[u64]) -> Self {
                $from_cells
            }
            #[inline(always)]
            fn into_cells(self, c: &mut [u64]) {
                let $v = self;
                c[0] = $to_cell;
            }
            #[inline]
            fn valtype() -> ValType {
                ValType::$vt
            }
            #[inline]
            fn into_exec(self, _store: u64) -> ExecVal {
                let $x = self;
                ExecVal::$variant($into)
            }
            #[inline]
            fn from_exec(v: &ExecVal, _store: u64) -> Self {
                match *v {
                    ExecVal::$variant($y) => $from,
                    _ => Default::default(),
                }
            }
        }
    };
}
// Registers as the interpreter keeps them: an `i32` or `f32` zero-extended.
wasm_num!(
    i32,
    I32,
    I32,
    |x| x,
    |y| y,
    |c| c[0] as u32 as i32,
    |v| v as u32 as u64
);
wasm_num!(
    u32,
    I32,
    I32,
    |x| x as i32,
    |y| y as u32,
    |c| c[0] as u32,
    |v| v as u64
);
wasm_num!(i64, I64, I64, |x| x, |y| y, |c| c[0] as i64, |v| v as u64);
wasm_num!(u64, I64, I64, |x| x as i64, |y| y as u64, |c| c[0], |v| v);
wasm_num!(
    f32,
    F32,
    F32,
    |x| x.to_bits(),
    |y| f32::from_bits(y),
    |c| f32::from_bits(c[0] as u32),
    |v| v.to_bits() as u64
);
wasm_num!(
    f64,
    F64,
    F64,
    |x| x.to_bits(),
    |y| f64::from_bits(y),
    |c| f64::from_bits(c[0]),
    |v| v.to_bits()
);

impl WasmTy for V128 {
    const CELLS: usize = 2;
    fn valtype() -> ValType {
        ValType::V128
    }
    #[inline]
    fn into_exec(self, _store: u64) -> ExecVal {
        ExecVal::V128(self.as_u128())
    }
    #[inline]
    fn from_exec(v: &ExecVal, _store: u64) -> Self {
        match *v {
            ExecVal::V128(y) => V128::from(y),
            _ => Default::default(),
        }
    }
    // Low half first, as the interpreter keeps a `v128`.
    #[inline(always)]
    fn from_cells(c: &[u64]) -> Self {
        V128::from(c[0] as u128 | (c[1] as u128) << 64)
    }
    #[inline(always)]
    fn into_cells(self, c: &mut [u64]) {
        let x = self.as_u128();
        c[0] = x as u64;
        c[1] = (x >> 64) as u64;
    }
}

const fn reference(nullable: bool, heap: AbstractHeapType) -> ValType {
    ValType::Ref(RefType {
        nullable,
        heap: HeapType::Abstract(heap),
    })
}

/// `Option<$t>` (a nullable reference of heap type `$heap`, held by `ExecVal::$variant`)
/// from conversions of the inner value, and `$t` (non-null) through it.
macro_rules! wasm_ref {
    ($t:ty, $heap:ident, $variant:ident, |$x:ident, $s:ident| $into:expr, |$y:ident| $from:expr) => {
        impl WasmTy for Option<$t> {
            fn valtype() -> ValType {
                reference(true, AbstractHeapType::$heap)
            }
            #[allow(unused_variables)]
            fn into_exec(self, $s: u64) -> ExecVal {
                ExecVal::$variant(self.map(|$x| $into))
            }
            #[allow(unused_variables)]
            fn from_exec(v: &ExecVal, $s: u64) -> Self {
                match *v {
                    ExecVal::$variant(r) => r.map(|$y| $from),
                    _ => None,
                }
            }
        }

        impl WasmTy for $t {
            fn valtype() -> ValType {
                reference(false, AbstractHeapType::$heap)
            }
            fn into_exec(self, store: u64) -> ExecVal {
                WasmTy::into_exec(Some(self), store)
            }
            fn from_exec(v: &ExecVal, store: u64) -> Self {
                <Option<$t> as WasmTy>::from_exec(v, store)
                    .expect("a non-null reference by its type")
            }
        }
    };
}
wasm_ref!(Func, Func, FuncRef, |f, store| f.index(store), |i| {
    Func::from_index(store, i)
});
wasm_ref!(ExternRef, Extern, ExternRef, |r, store| r.0, |r| ExternRef(
    r
));
wasm_ref!(AnyRef, Any, AnyRef, |r, store| r.to_exec(store), |r| {
    AnyRef::from_exec(r, store)
});

/// Parameters of a typed call: a [`WasmTy`] or a tuple of up to 16 of them.
pub trait WasmParams: Send + 'static {
    /// The parameter types, in order.
    #[doc(hidden)]
    fn valtypes() -> Vec<ValType>;
    /// How many values.
    #[doc(hidden)]
    fn len() -> usize;
    /// Appends the values, in the interpreter's form, to `out`.
    #[doc(hidden)]
    fn push_exec(self, store: u64, out: &mut Vec<ExecVal>);
    /// From the interpreter's values of [`WasmParams::valtypes`].
    #[doc(hidden)]
    fn from_exec(v: &[ExecVal], store: u64) -> Self;
}

/// Results of a typed call: `()`, a [`WasmTy`] or a tuple of up to 16 of them.
pub trait WasmResults: WasmParams {
    /// Placeholder values (zeros) to receive results in.
    #[doc(hidden)]
    fn default_exec() -> Vec<ExecVal>;
    /// Writes the values to `out` (of length `len()`), without allocating.
    #[doc(hidden)]
    fn write_exec(self, store: u64, out: &mut [ExecVal]);
    /// The registers the results take, or `usize::MAX` when one is a reference (the
    /// results then cross only as interpreter values).
    #[doc(hidden)]
    const CELLS: usize;
    /// Writes the results as registers from `out[0]` (only called when `CELLS` is not
    /// `usize::MAX`).
    #[doc(hidden)]
    fn write_cells(self, out: &mut [u64]);
}

/// [`WasmResults::CELLS`] of results whose [`WasmTy::CELLS`] are `each`.
const fn result_cells(each: &[usize]) -> usize {
    let mut total = 0;
    let mut i = 0;
    while i < each.len() {
        if each[i] == 0 {
            return usize::MAX;
        }
        total += each[i];
        i += 1;
    }
    total
}

impl<A: WasmTy> WasmParams for A {
    fn valtypes() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn len() -> usize {
        1
    }
    fn push_exec(self, store: u64, out: &mut Vec<ExecVal>) {
        out.push(self.into_exec(store));
    }
    fn from_exec(v: &[ExecVal], store: u64) -> Self {
        A::from_exec(&v[0], store)
    }
}

impl<A: WasmTy> WasmResults for A {
    fn default_exec() -> Vec<ExecVal> {
        vec![spindle_exec::zero_of(A::valtype())]
    }
    fn write_exec(self, store: u64, out: &mut [ExecVal]) {
        out[0] = self.into_exec(store);
    }
    const CELLS: usize = result_cells(&[A::CELLS]);
    #[inline(always)]
    fn write_cells(self, out: &mut [u64]) {
        self.into_cells(out);
    }
}

macro_rules! tuples {
    ($( ($($n:ident)*) )*) => { $(
        #[allow(non_snake_case, unused_variables, unused_mut, clippy::unused_unit)]
        impl<$($n: WasmTy),*> WasmParams for ($($n,)*) {
            fn valtypes() -> Vec<ValType> { vec![$($n::valtype()),*] }
            fn len() -> usize { <[&str]>::len(&[$(stringify!($n)),*]) }
            fn push_exec(self, store: u64, out: &mut Vec<ExecVal>) {
                let ($($n,)*) = self;
                $( out.push($n.into_exec(store)); )*
            }
            fn from_exec(v: &[ExecVal], store: u64) -> Self {
                let mut i = 0;
                $( let $n = $n::from_exec(&v[i], store); i += 1; )*
                let _ = i;
                ($($n,)*)
            }
        }
        #[allow(non_snake_case, unused_variables, unused_mut, clippy::unused_unit)]
        impl<$($n: WasmTy),*> WasmResults for ($($n,)*) {
            fn default_exec() -> Vec<ExecVal> { vec![$(spindle_exec::zero_of($n::valtype())),*] }
            fn write_exec(self, store: u64, out: &mut [ExecVal]) {
                let ($($n,)*) = self;
                let mut i = 0;
                $( out[i] = $n.into_exec(store); i += 1; )*
                let _ = i;
            }
            const CELLS: usize = result_cells(&[$($n::CELLS),*]);
            #[inline(always)]
            fn write_cells(self, out: &mut [u64]) {
                let ($($n,)*) = self;
                let mut at = 0;
                $( $n.into_cells(&mut out[at..]); at += $n::CELLS; )*
                let _ = at;
            }
        }
    )* };
}
tuples!(
    ()
    (A1)
    (A1 A2)
    (A1 A2 A3)
    (A1 A2 A3 A4)
    (A1 A2 A3 A4 A5)
    (A1 A2 A3 A4 A5 A6)
    (A1 A2 A3 A4 A5 A6 A7)
    (A1 A2 A3 A4 A5 A6 A7 A8)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16)
);

/// Closures that can become host functions (see [`Func::wrap`]): `Fn(A1, ..., An) -> R`
/// or `Fn(Caller<'_, T>, A1, ..., An) -> R`, `n` up to 16, `R` a [`HostResult`].
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    /// The function's type and its adapter to the interpreter's values.
    #[doc(hidden)]
    fn into_func(self) -> (FuncType, spindle_exec::HostCode);
}

/// What a typed host closure returns: results (`()`, a value, a tuple), or a
/// `Result` of them whose error ends the call (the embedder gets it back).
pub trait HostResult<R> {
    /// The results, or the error to raise.
    fn into_result(self) -> Result<R>;
}

impl<R: WasmResults> HostResult<R> for R {
    #[inline]
    fn into_result(self) -> Result<R> {
        Ok(self)
    }
}

impl<R: WasmResults> HostResult<R> for Result<R> {
    #[inline]
    fn into_result(self) -> Result<R> {
        self
    }
}

/// The interpreter's host function around `call`, which takes the store and the arguments
/// as the interpreter has them and returns typed results or the host's error.
fn typed_host<R: WasmResults>(
    call: impl Fn(&mut spindle_exec::Store, &[ExecVal]) -> Result<R> + Send + Sync + 'static,
) -> spindle_exec::HostCode {
    spindle_exec::HostCode::Vals(Arc::new(
        move |s: &mut spindle_exec::Store, args: &[ExecVal], results: &mut [ExecVal]| match call(
            s, args,
        ) {
            Ok(out) => {
                out.write_exec(s.id, results);
                Ok(())
            }
            Err(e) => Err(to_trap(s, e)),
        },
    ))
}

/// Whether a typed host function with parameters of [`WasmTy::CELLS`] `params` and results
/// `R` can take the interpreter's registers directly: numbers and vectors only, within
/// [`spindle_exec::MAX_HOST_CELLS`] each way. (Constant for each instance.)
#[inline(always)]
fn cells_fit<R: WasmResults>(params: &[usize]) -> bool {
    let p = result_cells(params);
    p <= spindle_exec::MAX_HOST_CELLS && R::CELLS <= spindle_exec::MAX_HOST_CELLS
}

/// [`typed_host`] over registers (see [`spindle_exec::CellHostFunc`]): `call` reads its
/// arguments from the registers, and the results are written back over them.
fn typed_host_cells<R: WasmResults>(
    call: impl Fn(&mut spindle_exec::Store, &[u64]) -> Result<R> + Send + Sync + 'static,
) -> spindle_exec::HostCode {
    spindle_exec::HostCode::Cells(Arc::new(
        move |s: &mut spindle_exec::Store, c: &mut [u64]| match call(s, c) {
            Ok(out) => {
                out.write_cells(c);
                Ok(())
            }
            Err(e) => Err(to_trap(s, e)),
        },
    ))
}

/// `IntoFunc` for closures of each arity, with a leading `Caller` and without.
macro_rules! into_func {
    ($( ($($n:ident)*) )*) => { $(
        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<T: 'static, F, Out, R, $($n: WasmTy),*> IntoFunc<T, (Caller<'static, T>, $($n,)*), (R, Out)> for F
        where
            F: Fn(Caller<'_, T>, $($n),*) -> Out + Send + Sync + 'static,
            Out: HostResult<R>,
            R: WasmResults,
        {
            fn into_func(self) -> (FuncType, spindle_exec::HostCode) {
                let ty = FuncType { params: vec![$($n::valtype()),*], results: R::valtypes() };
                let host = if cells_fit::<R>(&[$($n::CELLS),*]) {
                    typed_host_cells(move |s, c| {
                        let mut _at = 0;
                        $( let $n = $n::from_cells(&c[_at..]); _at += $n::CELLS; )*
                        (self)(Caller::new(s), $($n),*).into_result()
                    })
                } else {
                    typed_host(move |s, args| {
                        let id = s.id;
                        let mut _i = 0;
                        $( let $n = $n::from_exec(&args[_i], id); _i += 1; )*
                        (self)(Caller::new(s), $($n),*).into_result()
                    })
                };
                (ty, host)
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<T: 'static, F, Out, R, $($n: WasmTy),*> IntoFunc<T, ($($n,)*), (R, Out)> for F
        where
            F: Fn($($n),*) -> Out + Send + Sync + 'static,
            Out: HostResult<R>,
            R: WasmResults,
        {
            fn into_func(self) -> (FuncType, spindle_exec::HostCode) {
                let ty = FuncType { params: vec![$($n::valtype()),*], results: R::valtypes() };
                let host = if cells_fit::<R>(&[$($n::CELLS),*]) {
                    typed_host_cells(move |_s, c| {
                        let mut _at = 0;
                        $( let $n = $n::from_cells(&c[_at..]); _at += $n::CELLS; )*
                        (self)($($n),*).into_result()
                    })
                } else {
                    typed_host(move |s, args| {
                        let id = s.id;
                        let mut _i = 0;
                        $( let $n = $n::from_exec(&args[_i], id); _i += 1; )*
                        (self)($($n),*).into_result()
                    })
                };
                (ty, host)
            }
        }
    )* };
}
into_func!(
    ()
    (A1)
    (A1 A2)
    (A1 A2 A3)
    (A1 A2 A3 A4)
    (A1 A2 A3 A4 A5)
    (A1 A2 A3 A4 A5 A6)
    (A1 A2 A3 A4 A5 A6 A7)
    (A1 A2 A3 A4 A5 A6 A7 A8)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16)
);

/// The outcome of [`Func::call_resumable`].
#[derive(Debug)]
pub enum ResumableCall {
    /// The call returned; the results were written.
    Finished,
    /// The call ran out of fuel and can be resumed (add fuel first).
    OutOfFuel(ResumableInvocation),
    /// A host function returned an error ([`ResumableInvocation::host_error`]); the call
    /// can be resumed with that function's results.
    HostTrap(ResumableInvocation),
    /// The store's epoch deadline callback said [`UpdateDeadline::Yield`](crate::UpdateDeadline):
    /// the call can be resumed.
    Interrupted(ResumableInvocation),
}

impl ResumableCall {
    fn suspended(inv: ResumableInvocation) -> ResumableCall {
        if inv.host_error.is_some() {
            ResumableCall::HostTrap(inv)
        } else if inv.inner.interrupted() {
            ResumableCall::Interrupted(inv)
        } else {
            ResumableCall::OutOfFuel(inv)
        }
    }
}

/// The outcome of [`TypedFunc::call_resumable`].
#[derive(Debug)]
pub enum TypedResumableCall<R> {
    /// The call returned these results.
    Finished(R),
    /// The call ran out of fuel and can be resumed.
    OutOfFuel(TypedResumableInvocation<R>),
    /// A host function returned an error; the call can be resumed with its results.
    HostTrap(TypedResumableInvocation<R>),
    /// The epoch deadline callback said to yield; the call can be resumed.
    Interrupted(TypedResumableInvocation<R>),
}

impl<R: WasmResults> TypedResumableCall<R> {
    fn suspended(inv: ResumableInvocation) -> Self {
        let (host, interrupted) = (inv.host_error.is_some(), inv.inner.interrupted());
        let typed = TypedResumableInvocation {
            inner: inv,
            _results: PhantomData,
        };
        if host {
            TypedResumableCall::HostTrap(typed)
        } else if interrupted {
            TypedResumableCall::Interrupted(typed)
        } else {
            TypedResumableCall::OutOfFuel(typed)
        }
    }
}

/// A suspended call: out of fuel, stopped by a host function's error, or yielded by the
/// epoch callback. `Send`, so a host may resume it on another thread (with its store).
/// Dropping it abandons the call.
///
/// ```
/// use spindle::{Config, Engine, Linker, Module, ResumableCall, Store, Val};
/// let engine = Engine::new(Config::new().consume_fuel(true))?;
/// let module = Module::new(&engine, r#"(module (func (export "count") (param i32) (result i32)
///     (local $i i32)
///     (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
///              (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
///     (local.get $i)))"#)?;
/// let mut store = Store::new(&engine, ());
/// let count = Linker::new(&engine).instantiate(&mut store, &module)?.get_func(&store, "count").unwrap();
/// store.set_fuel(1_000)?;
/// let mut out = [Val::I32(0)];
/// let mut call = count.call_resumable(&mut store, &[Val::I32(10_000)], &mut out)?;
/// let mut slices = 1;
/// while let ResumableCall::OutOfFuel(invocation) = call {
///     store.set_fuel(1_000)?; // a time slice: the host may do other work in between
///     slices += 1;
///     call = invocation.resume(&mut store, &mut out)?;
/// }
/// assert_eq!(out[0], Val::I32(10_000));
/// assert!(slices > 10);
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Debug)]
pub struct ResumableInvocation {
    inner: spindle_exec::Suspension,
    host_error: Option<Error>,
}

impl ResumableInvocation {
    fn new(store: u64, mut inner: spindle_exec::Suspension) -> Self {
        // The host function's own error, as it returned it (no backtrace: the call is not
        // over).
        let host_error = inner.take_host_error().map(|mut t| {
            t.backtrace.clear();
            from_trap(store, t)
        });
        ResumableInvocation { inner, host_error }
    }

    /// The error of the host function that suspended the call, if one did.
    pub fn host_error(&self) -> Option<&Error> {
        self.host_error.as_ref()
    }

    /// The types of the results the failed host function owes (empty after running out of
    /// fuel).
    pub fn host_result_types(&self) -> &[ValType] {
        self.inner.host_result_types()
    }

    /// Continues a call that ran out of fuel (add fuel first), or whose failed host function
    /// has no results; it may be suspended again. Resuming on another store than the
    /// call's is an error.
    pub fn resume(self, store: impl AsContextMut, results: &mut [Val]) -> Result<ResumableCall> {
        self.resume_with(store, &[], results)
    }

    /// Continues the call as if the failed host function had returned `host_results`.
    pub fn resume_with(
        self,
        mut store: impl AsContextMut,
        host_results: &[Val],
        results: &mut [Val],
    ) -> Result<ResumableCall> {
        let s = store.as_context_mut().inner;
        let mut out = vec![ExecVal::I32(0); results.len()];
        Ok(match self.resume_raw(s, host_results, &mut out)? {
            None => {
                for (slot, v) in results.iter_mut().zip(out) {
                    *slot = Val::from_exec(v, s.id);
                }
                ResumableCall::Finished
            }
            Some(inv) => ResumableCall::suspended(inv),
        })
    }

    /// Resumes with the results in the interpreter's form: `None` when the call finished
    /// (its results in `out`), else its next suspension.
    fn resume_raw(
        self,
        s: &mut spindle_exec::Store,
        host_results: &[Val],
        out: &mut [ExecVal],
    ) -> Result<Option<ResumableInvocation>> {
        if self.inner.store_id() != s.id {
            return Err(Error::msg(
                "a suspended call can only be resumed on its own store",
            ));
        }
        let host: Vec<ExecVal> = host_results.iter().map(|v| v.to_exec(s.id)).collect();
        let r = spindle_exec::resume(s, self.inner, &host, out);
        resume_panic(s);
        Ok(r.map_err(|t| from_trap(s.id, t))?
            .map(|suspension| ResumableInvocation::new(s.id, suspension)))
    }
}

/// A suspended call parked off the store's stacks (see [`ResumableInvocation::park`]), for
/// the component model's scheduler, whose guest threads block and resume in any order.
#[cfg(feature = "component")]
#[derive(Debug)]
pub(crate) struct ParkedInvocation {
    inner: spindle_exec::ParkedCall,
}

#[cfg(feature = "component")]
impl ResumableInvocation {
    /// Moves the suspended call off the store's stacks, so that other calls can run on
    /// empty stacks and be suspended and parked in turn. Only a call made on empty stacks,
    /// with nothing above it, can be parked; else an error saying why (the call is lost).
    pub(crate) fn park(self, s: &mut spindle_exec::Store) -> Result<ParkedInvocation> {
        spindle_exec::park(s, self.inner)
            .map(|inner| ParkedInvocation { inner })
            .map_err(|refused| from_trap(s.id, refused.why))
    }
}

#[cfg(feature = "component")]
impl ParkedInvocation {
    /// Moves the call back onto the store's stacks (which must be empty), to be resumed.
    pub(crate) fn unpark(self, s: &mut spindle_exec::Store) -> Result<ResumableInvocation> {
        let store = s.id;
        spindle_exec::unpark(s, self.inner)
            .map(|inner| ResumableInvocation {
                inner,
                host_error: None,
            })
            .map_err(|refused| from_trap(store, refused.why))
    }
}

/// A suspended typed call (see [`TypedFunc::call_resumable`]).
#[derive(Debug)]
pub struct TypedResumableInvocation<R> {
    inner: ResumableInvocation,
    _results: PhantomData<fn() -> R>,
}

impl<R: WasmResults> TypedResumableInvocation<R> {
    /// The error of the host function that suspended the call, if one did.
    pub fn host_error(&self) -> Option<&Error> {
        self.inner.host_error()
    }

    /// Continues the call (see [`ResumableInvocation::resume`]).
    pub fn resume(self, store: impl AsContextMut) -> Result<TypedResumableCall<R>> {
        self.resume_with(store, &[])
    }

    /// Continues the call as if the failed host function had returned `host_results`.
    pub fn resume_with(
        self,
        mut store: impl AsContextMut,
        host_results: &[Val],
    ) -> Result<TypedResumableCall<R>> {
        let s = store.as_context_mut().inner;
        let mut out = R::default_exec();
        Ok(match self.inner.resume_raw(s, host_results, &mut out)? {
            None => TypedResumableCall::Finished(R::from_exec(&out, s.id)),
            Some(inv) => TypedResumableCall::suspended(inv),
        })
    }
}
