//! Functions: host functions from C callbacks, and calls into Wasm.

use crate::refs::{ref_type, RefObject, What};
use crate::store::{ctx, wasm_store_t, StoreData};
use crate::trap::{trap_from_error, wasm_trap_t, TrapData};
use crate::types::{wasm_functype_t, ExternTypeData, FuncTypeData};
use crate::val::{from_val, to_val, wasm_val_t, wasm_val_vec_t};
use crate::vec::{Elem, Vector};
use spindle::{AsContext, Caller, Error, Func, Val};
use std::ffi::c_void;

ref_type!(
    wasm_func_t,
    |w| matches!(w, What::Func(_)),
    [
        wasm_func_delete,
        wasm_func_copy,
        wasm_func_same,
        wasm_func_get_host_info,
        wasm_func_set_host_info,
        wasm_func_set_host_info_with_finalizer
    ],
    wasm_func_as_ref,
    wasm_func_as_ref_const,
    wasm_ref_as_func,
    wasm_ref_as_func_const
);

impl wasm_func_t {
    pub(crate) fn func(&self) -> Func {
        match self.r.what {
            What::Func(f) => f,
            _ => unreachable!("a function handle of another kind"),
        }
    }
}

pub type wasm_func_callback_t = unsafe extern "C" fn(
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t;
pub type wasm_func_callback_with_env_t = unsafe extern "C" fn(
    env: *mut c_void,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t;

enum Callback {
    Plain(wasm_func_callback_t),
    WithEnv(wasm_func_callback_with_env_t, Env),
}

/// The embedder's environment pointer, finalized when the function is dropped (with its
/// store).
struct Env {
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the embedder gave this finalizer for this pointer.
            unsafe { f(self.data) }
        }
    }
}

/// The store pointer and callback a host function carries.
struct HostFn {
    store: *mut wasm_store_t,
    callback: Callback,
    /// The function type's results (to convert what the callback wrote).
    result_types: Vec<spindle::ValType>,
}

// SAFETY: a store, and so every host function in it, is used by one thread at a time (the
// header's rule for stores); Spindle requires host closures to be `Send + Sync` because
// its stores may move between threads, which moves these pointers with them.
unsafe impl Send for HostFn {}
// SAFETY: as above.
unsafe impl Sync for HostFn {}

/// Pops the innermost caller when the host function returns, however it returns.
struct CallerScope(*mut wasm_store_t);

impl Drop for CallerScope {
    fn drop(&mut self) {
        // SAFETY: the store is live while one of its functions runs.
        unsafe { &*self.0 }.callers.borrow_mut().pop();
    }
}

impl HostFn {
    fn call(
        &self,
        mut caller: Caller<'_, StoreData>,
        args: &[Val],
        results: &mut [Val],
    ) -> spindle::Result<()> {
        let store = self.store;
        let c_args = convert_all(args.iter().map(|v| from_val(store, caller.data(), v)))
            .map_err(|e| Error::msg(format!("host function argument: {}", e.0)))?;
        let args_vec = Vector::from_vec(c_args);
        let mut results_vec: wasm_val_vec_t =
            Vector::from_vec((0..results.len()).map(|_| wasm_val_t::blank()).collect());
        // SAFETY: the store is live; the pointer is popped (by `scope`) before `caller`'s
        // borrow ends, and nothing else reaches the store meanwhile (see `store::ctx`).
        unsafe { &*store }
            .callers
            .borrow_mut()
            .push(&mut caller as *mut Caller<'_, StoreData> as *mut c_void);
        let scope = CallerScope(store);
        // SAFETY: the embedder's callback, with vectors of the arity it declared.
        let trap = unsafe {
            match &self.callback {
                Callback::Plain(f) => f(&args_vec, &mut results_vec),
                Callback::WithEnv(f, env) => f(env.data, &args_vec, &mut results_vec),
            }
        };
        drop(scope);
        let mut args_vec = args_vec;
        // SAFETY: both vectors were made here by `Vector::from_vec`.
        for v in unsafe { args_vec.take() } {
            v.release();
        }
        let c_results = unsafe { results_vec.take() };
        let outcome = if trap.is_null() {
            let mut outcome = Ok(());
            let typed = results.iter_mut().zip(&c_results).zip(&self.result_types);
            for (i, ((slot, v), expected)) in typed.enumerate() {
                // SAFETY: a reference the callback stored is an owned handle or null.
                match unsafe { to_val(store, caller.data_mut(), v, expected) } {
                    Ok(val) => *slot = val,
                    Err(e) => {
                        outcome = Err(Error::msg(format!("host function result {i}: {}", e.0)));
                        break;
                    }
                }
            }
            outcome
        } else {
            // SAFETY: an owned trap the callback returned.
            let t = unsafe { Box::from_raw(trap) };
            Err(t.data().to_error())
        };
        for v in c_results {
            v.release();
        }
        outcome
    }
}

unsafe fn new_func(
    store: *mut wasm_store_t,
    ty: *const wasm_functype_t,
    callback: Callback,
) -> *mut wasm_func_t {
    // SAFETY: `store` and `ty` are live (contract).
    let mut cx = unsafe { ctx(store) };
    let Some(func_ty) = (unsafe { (*ty).data() }).to_func_type(cx.engine()) else {
        return std::ptr::null_mut();
    };
    let host = HostFn {
        store,
        callback,
        result_types: func_ty.results().collect(),
    };
    let func = Func::new(&mut cx, func_ty, move |caller, args, results| {
        host.call(caller, args, results)
    });
    RefObject::boxed(store, What::Func(func))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_new(
    store: *mut wasm_store_t,
    ty: *const wasm_functype_t,
    callback: wasm_func_callback_t,
) -> *mut wasm_func_t {
    // SAFETY: forwarded contract.
    unsafe { new_func(store, ty, Callback::Plain(callback)) }
}

/// Every value converted, or the first failure with the values converted before it
/// released (their references would leak otherwise: `wasm_val_t` owns but does not drop).
fn convert_all(
    vals: impl Iterator<Item = Result<wasm_val_t, crate::val::Unrepresentable>>,
) -> Result<Vec<wasm_val_t>, crate::val::Unrepresentable> {
    let mut out = Vec::new();
    for v in vals {
        match v {
            Ok(v) => out.push(v),
            Err(e) => {
                for v in out {
                    v.release();
                }
                return Err(e);
            }
        }
    }
    Ok(out)
}

/// `finalizer(env)` runs when the function is dropped, with its store.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_new_with_env(
    store: *mut wasm_store_t,
    ty: *const wasm_functype_t,
    callback: wasm_func_callback_with_env_t,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> *mut wasm_func_t {
    let env = Env {
        data: env,
        finalizer,
    };
    // SAFETY: forwarded contract.
    unsafe { new_func(store, ty, Callback::WithEnv(callback, env)) }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_type(f: *const wasm_func_t) -> *mut wasm_functype_t {
    // SAFETY: `f` is live, and so is its store.
    let f = unsafe { &*f };
    let cx = unsafe { ctx(f.r.store) };
    let ty = f.func().ty(&cx);
    Box::into_raw(Box::new(crate::types::wasm_externtype_t {
        which: ExternTypeData::Func(FuncTypeData::of(&ty)),
    }))
    .cast()
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_param_arity(f: *const wasm_func_t) -> usize {
    // SAFETY: `f` is live, and so is its store.
    let f = unsafe { &*f };
    f.func()
        .ty(unsafe { ctx(f.r.store) }.as_context())
        .params()
        .len()
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_result_arity(f: *const wasm_func_t) -> usize {
    // SAFETY: `f` is live, and so is its store.
    let f = unsafe { &*f };
    f.func()
        .ty(unsafe { ctx(f.r.store) }.as_context())
        .results()
        .len()
}

/// Calls `f`. `results` must have the function's result arity; on success each slot is
/// overwritten with an owned value. A trap (or a wrong argument) is returned as a trap.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_call(
    f: *const wasm_func_t,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t {
    // SAFETY: `f` is live, and so is its store; the vectors are live (or null when the
    // function takes or gives nothing).
    let f = unsafe { &*f };
    let store = f.r.store;
    let mut cx = unsafe { ctx(store) };
    let func = f.func();
    let ty = func.ty(&cx);
    // The arguments are copied out before the results are borrowed: a caller may pass one
    // vector as both.
    let args: Vec<wasm_val_t> = unsafe { args.as_ref().map_or(&[][..], |a| a.as_slice()) }.to_vec();
    let results = unsafe { results.as_mut().map_or(&mut [][..], |r| r.as_mut_slice()) };
    let fail = |msg: String| crate::trap::new_trap(store, TrapData::message(msg));
    if args.len() != ty.params().len() || results.len() != ty.results().len() {
        return fail(format!(
            "wrong arity: {} arguments and {} result slots for a function of {} parameters and {} results",
            args.len(),
            results.len(),
            ty.params().len(),
            ty.results().len()
        ));
    }
    let mut vals = Vec::with_capacity(args.len());
    for (i, (a, t)) in args.iter().zip(ty.params()).enumerate() {
        // SAFETY: a reference in an argument is a live handle or null.
        match unsafe { to_val(store, cx.data_mut(), a, &t) } {
            Ok(v) => vals.push(v),
            Err(e) => return fail(format!("argument {i}: {}", e.0)),
        }
    }
    let mut out = vec![Val::I32(0); results.len()];
    match func.call(&mut cx, &vals, &mut out) {
        Ok(()) => {
            let converted = convert_all(out.iter().map(|v| from_val(store, cx.data(), v)));
            match converted {
                Ok(c) => {
                    for (slot, v) in results.iter_mut().zip(c) {
                        *slot = v;
                    }
                    std::ptr::null_mut()
                }
                Err(e) => fail(format!("result: {}", e.0)),
            }
        }
        Err(e) => trap_from_error(store, e),
    }
}
