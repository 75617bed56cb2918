//! Functions: calling Wasm, and host functions from closures (dynamic and typed).

use std::marker::PhantomData;
use std::sync::Arc;

use spindle_decode::ValType;
use spindle_exec::{Error, FuncType, Trap, Val};

use crate::Store;

/// A function of a store (Wasm or host). Valid only with the store it came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Func(pub(crate) u32);

/// What a host function sees of the store: the embedder's data, and calls back into Wasm.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut spindle_exec::Store,
    pub(crate) _data: PhantomData<fn() -> T>,
}

impl<T: 'static> Caller<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        self.store
            .data
            .downcast_ref()
            .expect("the store's data has type T")
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store
            .data
            .downcast_mut()
            .expect("the store's data has type T")
    }

    /// Calls a function of the same store (re-entering Wasm). An exception the callee does
    /// not catch comes back as a trap that [`Caller::caught`] reads; returning that trap
    /// from the host function throws the exception on into its caller.
    pub fn call(&mut self, func: Func, params: &[Val], results: &mut [Val]) -> Result<(), Trap> {
        spindle_exec::call(self.store, func.0, params, results)
    }

    /// A new exception of `tag` with `payload` (values of the tag's parameter types), as the
    /// trap to return from the host function: the Wasm code that called it sees the
    /// exception thrown at the call, and its `try_table`s can catch it.
    pub fn throw(&mut self, tag: crate::Tag, payload: &[Val]) -> Trap {
        self.store.new_exception(tag.0, payload)
    }

    /// The tag and payload of the exception `trap` carries (one Wasm did not catch), if any.
    pub fn caught(&self, trap: &Trap) -> Option<(crate::Tag, Vec<Val>)> {
        let (tag, payload) = self.store.exception_of(trap)?;
        Some((crate::Tag(tag), payload))
    }
}

impl Func {
    /// A host function of type `ty` from a closure over dynamic values.
    pub fn new<T: Send + 'static>(
        store: &mut Store<T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Func {
        let id = store.inner.registry.intern(&ty);
        let host: spindle_exec::HostFunc = Arc::new(
            move |s: &mut spindle_exec::Store, args: &[Val], results: &mut [Val]| {
                f(
                    Caller {
                        store: s,
                        _data: PhantomData,
                    },
                    args,
                    results,
                )
            },
        );
        Func(store.inner.add_host_func(id, host))
    }

    /// A host function from a typed closure, e.g. `|caller: Caller<'_, T>, a: i32| a + 1`.
    pub fn wrap<T: Send + 'static, Params, Results>(
        store: &mut Store<T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, host) = f.into_func();
        let id = store.inner.registry.intern(&ty);
        Func(store.inner.add_host_func(id, host))
    }

    /// The function's type.
    pub fn ty<T>(&self, store: &Store<T>) -> FuncType {
        store
            .inner
            .registry
            .get(store.inner.funcs[self.0 as usize].ty())
    }

    /// Calls the function with dynamic values. Checks the number and types of `params` and
    /// the number of `results`.
    pub fn call<T>(
        &self,
        store: &mut Store<T>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), Error> {
        let ty = store
            .inner
            .registry
            .get(store.inner.funcs[self.0 as usize].ty());
        if params.len() != ty.params.len() || results.len() != ty.results.len() {
            return Err(Error::Call(format!(
                "expected {} arguments and {} results, got {} and {}",
                ty.params.len(),
                ty.results.len(),
                params.len(),
                results.len()
            )));
        }
        for (v, t) in params.iter().zip(&ty.params) {
            if !store.inner.val_matches(v, *t) {
                return Err(Error::Call(format!(
                    "argument {v:?} does not have type {t}"
                )));
            }
        }
        spindle_exec::call(&mut store.inner, self.0, params, results).map_err(Error::Trap)
    }

    /// Like [`Func::call`], but when the store's fuel runs out, or a host function the Wasm
    /// code calls returns an error, the call is suspended, not unwound: add fuel and
    /// [`ResumableInvocation::resume`] it, or give the host function's results to
    /// [`ResumableInvocation::resume_with`] (a host function can so ask its embedder to do
    /// something, such as wait for I/O, and continue). Only the most recent suspension can
    /// be resumed; its frames stay on the store's stacks until it finishes.
    pub fn call_resumable<T>(
        &self,
        store: &mut Store<T>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<ResumableCall, Error> {
        let ty = store
            .inner
            .registry
            .get(store.inner.funcs[self.0 as usize].ty());
        if params.len() != ty.params.len() || results.len() != ty.results.len() {
            return Err(Error::Call("wrong number of arguments or results".into()));
        }
        let s = spindle_exec::call_resumable(&mut store.inner, self.0, params, results)
            .map_err(Error::Trap)?;
        Ok(ResumableCall::from(s))
    }

    /// A typed view of the function, checked against its type.
    pub fn typed<P: WasmParams, R: WasmResults, T>(
        &self,
        store: &Store<T>,
    ) -> Result<TypedFunc<P, R>, Error> {
        let ty = self.ty(store);
        if ty.params != P::types() || ty.results != R::types() {
            return Err(Error::Call(format!(
                "function type {ty:?} does not match the typed view"
            )));
        }
        Ok(TypedFunc {
            func: *self,
            _ty: PhantomData,
        })
    }
}

/// A function with a statically known type.
#[derive(Clone, Copy, Debug)]
pub struct TypedFunc<P, R> {
    func: Func,
    _ty: PhantomData<fn(P) -> R>,
}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Calls the function.
    pub fn call<T>(&self, store: &mut Store<T>, params: P) -> Result<R, Error> {
        let args = params.into_vals();
        let mut results = R::default_vals();
        spindle_exec::call(&mut store.inner, self.func.0, &args, &mut results)
            .map_err(Error::Trap)?;
        Ok(R::from_vals(&results))
    }

    /// The untyped function.
    pub fn func(&self) -> Func {
        self.func
    }
}

/// A Rust type that is a Wasm value type.
pub trait WasmTy: Copy + Send + 'static {
    /// The Wasm type.
    const TYPE: ValType;
    /// As a dynamic value.
    fn into_val(self) -> Val;
    /// From a dynamic value of type [`WasmTy::TYPE`].
    fn from_val(v: &Val) -> Self;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, $variant:ident, |$x:ident| $into:expr, |$y:ident| $from:expr) => {
        impl WasmTy for $t {
            const TYPE: ValType = ValType::$vt;
            fn into_val(self) -> Val {
                let $x = self;
                Val::$variant($into)
            }
            fn from_val(v: &Val) -> Self {
                match *v {
                    Val::$variant($y) => $from,
                    _ => Default::default(),
                }
            }
        }
    };
}
wasm_ty!(i32, I32, I32, |x| x, |y| y);
wasm_ty!(u32, I32, I32, |x| x as i32, |y| y as u32);
wasm_ty!(i64, I64, I64, |x| x, |y| y);
wasm_ty!(u64, I64, I64, |x| x as i64, |y| y as u64);
wasm_ty!(f32, F32, F32, |x| x.to_bits(), |y| f32::from_bits(y));
wasm_ty!(f64, F64, F64, |x| x.to_bits(), |y| f64::from_bits(y));

/// Parameters of a typed call: a Wasm type or a tuple of them.
pub trait WasmParams: Send + 'static {
    /// The parameter types, in order.
    fn types() -> Vec<ValType>;
    /// As dynamic values.
    fn into_vals(self) -> Vec<Val>;
    /// From dynamic values of [`WasmParams::types`].
    fn from_vals(v: &[Val]) -> Self;
}

/// Results of a typed call: `()`, a Wasm type or a tuple of them.
pub trait WasmResults: Send + 'static {
    /// The result types, in order.
    fn types() -> Vec<ValType>;
    /// Placeholder values (zeros) to receive results in.
    fn default_vals() -> Vec<Val>;
    /// From dynamic values of [`WasmResults::types`].
    fn from_vals(v: &[Val]) -> Self;
    /// As dynamic values.
    fn into_vals(self) -> Vec<Val>;
    /// Writes the values to `out` (of length `types().len()`), without allocating.
    fn write_vals(self, out: &mut [Val]);
}

impl<A: WasmTy> WasmParams for A {
    fn types() -> Vec<ValType> {
        vec![A::TYPE]
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
    fn from_vals(v: &[Val]) -> Self {
        A::from_val(&v[0])
    }
}

impl<A: WasmTy> WasmResults for A {
    fn types() -> Vec<ValType> {
        vec![A::TYPE]
    }
    fn default_vals() -> Vec<Val> {
        vec![spindle_exec::zero_of(A::TYPE)]
    }
    fn from_vals(v: &[Val]) -> Self {
        A::from_val(&v[0])
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
    fn write_vals(self, out: &mut [Val]) {
        out[0] = self.into_val();
    }
}

macro_rules! tuples {
    ($( ($($n:ident)*) )*) => { $(
        #[allow(non_snake_case, unused_variables, unused_mut, clippy::unused_unit)]
        impl<$($n: WasmTy),*> WasmParams for ($($n,)*) {
            fn types() -> Vec<ValType> { vec![$($n::TYPE),*] }
            fn into_vals(self) -> Vec<Val> { let ($($n,)*) = self; vec![$($n.into_val()),*] }
            fn from_vals(v: &[Val]) -> Self {
                let mut i = 0;
                $( let $n = $n::from_val(&v[i]); i += 1; )*
                let _ = i;
                ($($n,)*)
            }
        }
        #[allow(non_snake_case, unused_variables, unused_mut, clippy::unused_unit)]
        impl<$($n: WasmTy),*> WasmResults for ($($n,)*) {
            fn types() -> Vec<ValType> { vec![$($n::TYPE),*] }
            fn default_vals() -> Vec<Val> { vec![$(spindle_exec::zero_of($n::TYPE)),*] }
            fn from_vals(v: &[Val]) -> Self { <Self as WasmParams>::from_vals(v) }
            fn into_vals(self) -> Vec<Val> { <Self as WasmParams>::into_vals(self) }
            fn write_vals(self, out: &mut [Val]) {
                let ($($n,)*) = self;
                let mut i = 0;
                $( out[i] = $n.into_val(); i += 1; )*
                let _ = i;
            }
        }
    )* };
}
tuples!(() (A B) (A B C) (A B C D) (A B C D E) (A B C D E F));

/// Closures that can become host functions (see [`Func::wrap`]).
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    /// The function's type and its adapter to dynamic values.
    fn into_func(self) -> (FuncType, spindle_exec::HostFunc);
}

/// What a typed host closure returns: results, or results or a trap.
pub trait HostResult<R> {
    /// The results, or the trap to raise.
    fn into_result(self) -> Result<R, Trap>;
}

impl<R: WasmResults> HostResult<R> for R {
    fn into_result(self) -> Result<R, Trap> {
        Ok(self)
    }
}

impl<R: WasmResults> HostResult<R> for Result<R, Trap> {
    fn into_result(self) -> Result<R, Trap> {
        self
    }
}

macro_rules! into_func {
    ($( ($($n:ident)*) )*) => { $(
        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<T: 'static, F, Out, R, $($n: WasmTy),*> IntoFunc<T, ($($n,)*), (R, Out)> for F
        where
            F: Fn(Caller<'_, T>, $($n),*) -> Out + Send + Sync + 'static,
            Out: HostResult<R>,
            R: WasmResults,
        {
            fn into_func(self) -> (FuncType, spindle_exec::HostFunc) {
                let ty = FuncType { params: vec![$($n::TYPE),*], results: R::types() };
                let host: spindle_exec::HostFunc = Arc::new(move |s: &mut spindle_exec::Store, args: &[Val], results: &mut [Val]| {
                    let mut _i = 0;
                    $( let $n = $n::from_val(&args[_i]); _i += 1; )*
                    let out = (self)(Caller { store: s, _data: PhantomData }, $($n),*).into_result()?;
                    out.write_vals(results);
                    Ok(())
                });
                (ty, host)
            }
        }
    )* };
}
into_func!(() (A) (A B) (A B C) (A B C D) (A B C D E) (A B C D E G));

/// The outcome of [`Func::call_resumable`].
#[derive(Debug)]
pub enum ResumableCall {
    /// The call returned; the results were written.
    Finished,
    /// The call ran out of fuel and can be resumed.
    OutOfFuel(ResumableInvocation),
    /// A host function returned an error ([`ResumableInvocation::host_error`]); the call
    /// can be resumed with that function's results.
    HostTrap(ResumableInvocation),
}

impl From<Option<spindle_exec::Suspension>> for ResumableCall {
    fn from(s: Option<spindle_exec::Suspension>) -> Self {
        match s {
            None => ResumableCall::Finished,
            Some(s) if s.host_error().is_some() => ResumableCall::HostTrap(ResumableInvocation(s)),
            Some(s) => ResumableCall::OutOfFuel(ResumableInvocation(s)),
        }
    }
}

/// A suspended call: out of fuel, or stopped by a host function's error.
#[derive(Debug)]
pub struct ResumableInvocation(spindle_exec::Suspension);

impl ResumableInvocation {
    /// The error of the host function that suspended the call, if one did.
    pub fn host_error(&self) -> Option<&Trap> {
        self.0.host_error()
    }

    /// The types of the results the failed host function owes (empty after running out of
    /// fuel).
    pub fn host_result_types(&self) -> &[ValType] {
        self.0.host_result_types()
    }

    /// Continues a call that ran out of fuel (add fuel first), or whose failed host function
    /// has no results; it may be suspended again.
    pub fn resume<T>(
        self,
        store: &mut Store<T>,
        results: &mut [Val],
    ) -> Result<ResumableCall, Error> {
        self.resume_with(store, &[], results)
    }

    /// Continues the call as if the failed host function had returned `host_results`.
    pub fn resume_with<T>(
        self,
        store: &mut Store<T>,
        host_results: &[Val],
        results: &mut [Val],
    ) -> Result<ResumableCall, Error> {
        let s = spindle_exec::resume(&mut store.inner, self.0, host_results, results)
            .map_err(Error::Trap)?;
        Ok(ResumableCall::from(s))
    }
}
