//! Canonical functions: `canon lift` and `canon lower` with the core signatures the canonical
//! ABI flattens function types to, the resource built-ins, the async built-ins (tasks,
//! subtasks, streams, futures, error contexts, waitable sets, threads), and canonical options.
//!
//! Separate because it is the canonical ABI's share of validation, a concern of its own;
//! it uses the rest only through the index lookups and value types.

use alloc::string::String;
use alloc::vec::Vec;

use spindle_decode::component::{CanonicalFunction, CanonicalOption};
use spindle_decode::{RefType, ValType as CoreValType};

use super::{CoreTypeEntry, State};
use crate::component::types::*;
use crate::error::{bail, Result};

/// Canonical options, checked.
#[derive(Clone, Copy, Default)]
struct Options {
    memory: Option<(u32, bool)>,
    realloc: Option<u32>,
    post_return: Option<u32>,
    is_async: bool,
    callback: Option<u32>,
    core_type: Option<u32>,
    gc: bool,
}

impl Options {
    fn ptr(&self) -> CoreValType {
        match self.memory {
            Some((_, true)) => CoreValType::I64,
            _ => CoreValType::I32,
        }
    }
    fn require_memory(&self, offset: usize) -> Result<()> {
        if self.memory.is_none() {
            bail!(offset, "canonical option `memory` is required");
        }
        Ok(())
    }
    fn require_realloc(&self, offset: usize) -> Result<()> {
        self.require_memory(offset)?;
        if self.realloc.is_none() {
            bail!(offset, "canonical option `realloc` is required");
        }
        Ok(())
    }
    fn require_sync(&self, offset: usize, what: &str) -> Result<()> {
        if self.is_async {
            bail!(offset, "cannot specify `async` option on `{what}`");
        }
        Ok(())
    }
    fn check_lower(&self, offset: usize) -> Result<()> {
        if self.post_return.is_some() {
            bail!(
                offset,
                "canonical option `post-return` cannot be specified for lowerings"
            );
        }
        if self.is_async && self.callback.is_some() {
            bail!(
                offset,
                "canonical option `callback` cannot be specified for lowerings"
            );
        }
        if self.gc && self.core_type.is_none() {
            bail!(
                offset,
                "cannot specify `gc` without also specifying a `core-type` for lowerings"
            );
        }
        Ok(())
    }
}

impl State {
    // ---- canonical functions ----

    fn options(&self, types: &Types, opts: &[CanonicalOption], offset: usize) -> Result<Options> {
        let mut o = Options::default();
        let mut encoding = false;
        for opt in opts {
            match *opt {
                CanonicalOption::Utf8 | CanonicalOption::Utf16 | CanonicalOption::CompactUtf16 => {
                    if encoding {
                        bail!(
                            offset,
                            "canonical encoding option conflicts with a previous encoding option"
                        );
                    }
                    encoding = true;
                }
                CanonicalOption::Memory(i) => {
                    if o.memory.is_some() {
                        bail!(
                            offset,
                            "canonical option `memory` is specified more than once"
                        );
                    }
                    o.memory = Some((i, self.cabi_memory_at(i, offset)?));
                }
                CanonicalOption::Realloc(i) => {
                    if o.realloc.is_some() {
                        bail!(
                            offset,
                            "canonical option `realloc` is specified more than once"
                        );
                    }
                    o.realloc = Some(i);
                }
                CanonicalOption::PostReturn(i) => {
                    if o.post_return.is_some() {
                        bail!(
                            offset,
                            "canonical option `post-return` is specified more than once"
                        );
                    }
                    o.post_return = Some(i);
                }
                CanonicalOption::Async => {
                    if o.is_async {
                        bail!(
                            offset,
                            "canonical option `async` is specified more than once"
                        );
                    }
                    o.is_async = true;
                }
                CanonicalOption::Callback(i) => {
                    if o.callback.is_some() {
                        bail!(
                            offset,
                            "canonical option `callback` is specified more than once"
                        );
                    }
                    o.callback = Some(i);
                }
                CanonicalOption::CoreType(i) => {
                    if o.core_type.is_some() {
                        bail!(
                            offset,
                            "canonical option `core type` is specified more than once"
                        );
                    }
                    match self.core_type_at(i, offset)? {
                        CoreTypeEntry::Sub(t) if types.core.func_type(t).is_some() => {
                            o.core_type = Some(t)
                        }
                        _ => bail!(
                            offset,
                            "canonical option `core type` must reference a core function type"
                        ),
                    }
                }
                CanonicalOption::Gc => {
                    if o.gc {
                        bail!(offset, "canonical option `gc` is specified more than once");
                    }
                    o.gc = true;
                }
            }
        }
        if !o.is_async && o.callback.is_some() {
            bail!(offset, "cannot specify callback without async");
        }
        if o.is_async && o.post_return.is_some() {
            bail!(offset, "cannot specify post-return function in async");
        }
        if !o.gc && o.core_type.is_some() {
            bail!(offset, "cannot specify `core-type` without `gc`");
        }
        if let Some(r) = o.realloc {
            let Some((_, m64)) = o.memory else {
                bail!(
                    offset,
                    "canonical option `realloc` requires `memory` to also be specified"
                );
            };
            let a = if m64 {
                CoreValType::I64
            } else {
                CoreValType::I32
            };
            let t = self.core_func_at(r, offset)?;
            let (p, res) = types.core_sig(t);
            if p != [a, a, a, a] || res != [a] {
                bail!(
                    offset,
                    "canonical option `realloc` uses a core function with an incorrect signature"
                );
            }
        }
        Ok(o)
    }

    /// The core signature of function type `f` lifted (`lift`) or lowered under `o`,
    /// checking the options the ABI requires.
    fn lower_sig(
        types: &Types,
        f: &FuncType,
        o: &Options,
        lift: bool,
        offset: usize,
    ) -> Result<(Vec<CoreValType>, Vec<CoreValType>)> {
        let ptr = o.ptr();
        let require_realloc_if = |c: bool| {
            if o.realloc.is_none() && c {
                o.require_realloc(offset)
            } else {
                Ok(())
            }
        };
        let require_memory_if = |c: bool| {
            if o.memory.is_none() && c {
                o.require_memory(offset)
            } else {
                Ok(())
            }
        };
        let mut max_params = MAX_FLAT_PARAMS;
        if !lift && o.is_async {
            max_params = MAX_FLAT_ASYNC_PARAMS;
        }
        let mut params = Vec::new();
        for (_, t) in &f.params {
            if lift {
                require_realloc_if(types.contains_ptr(*t))?;
            } else {
                require_memory_if(types.contains_ptr(*t))?;
            }
            if !types.flatten(*t, ptr, &mut params, max_params) {
                params.clear();
                params.push(ptr);
                o.require_memory(offset)?;
                if lift {
                    o.require_realloc(offset)?;
                }
                break;
            }
        }
        if let Some(t) = f.result {
            require_realloc_if(!lift && types.contains_ptr(t))?;
        }
        let mut results = Vec::new();
        match (lift, o.is_async) {
            (_, false) => {
                if let Some(t) = f.result {
                    if !types.flatten(t, ptr, &mut results, MAX_FLAT_RESULTS) {
                        results.clear();
                        o.require_memory(offset)?;
                        if lift {
                            results.push(ptr);
                        } else {
                            params.push(ptr);
                        }
                    }
                }
            }
            (false, true) => {
                if f.result.is_some() {
                    params.push(ptr);
                    o.require_memory(offset)?;
                }
                results.push(CoreValType::I32);
            }
            (true, true) => {
                if let Some(t) = f.result {
                    let overflow = !types.flatten(t, ptr, &mut Vec::new(), MAX_FLAT_PARAMS);
                    require_memory_if(overflow || types.contains_ptr(t))?;
                }
                if o.callback.is_some() {
                    results.push(CoreValType::I32);
                }
            }
        }
        Ok((params, results))
    }

    fn check_core_type(
        &self,
        types: &mut Types,
        o: &Options,
        params: &[CoreValType],
        results: &[CoreValType],
        offset: usize,
    ) -> Result<u32> {
        if let Some(t) = o.core_type {
            let (p, r) = types.core_sig(t);
            if p != params || r != results {
                bail!(
                    offset,
                    "declared core type does not match the lowering's signature"
                );
            }
            return Ok(t);
        }
        Ok(types.core_func(params, results))
    }

    pub fn canonical(
        &mut self,
        types: &mut Types,
        f: &CanonicalFunction,
        offset: usize,
    ) -> Result<()> {
        use CanonicalFunction as F;
        use CoreValType::{I32, I64};
        let simple = |s: &mut State,
                      types: &mut Types,
                      p: &[CoreValType],
                      r: &[CoreValType]|
         -> Result<()> {
            let t = types.core_func(p, r);
            s.core_funcs.push(t);
            Ok(())
        };
        match f {
            F::Lift {
                core_func,
                ty,
                options,
            } => {
                let fid = self.func_type_at(*ty, offset)?;
                let ft = types.func(fid).clone();
                let core = self.core_func_at(*core_func, offset)?;
                let o = self.options(types, options, offset)?;
                if let Some(pr) = o.post_return {
                    let prt = self.core_func_at(pr, offset)?;
                    let (pp, prr) = types.core_sig(prt);
                    let (_, cr) = types.core_sig(core);
                    if pp != cr || !prr.is_empty() {
                        bail!(offset, "canonical option `post-return` uses a core function with an incorrect signature");
                    }
                }
                if o.is_async {
                    if let Some(cb) = o.callback {
                        let cbt = self.core_func_at(cb, offset)?;
                        let (p, r) = types.core_sig(cbt);
                        if p != [I32, I32, I32] || r != [I32] {
                            bail!(offset, "canonical option `callback` uses a core function with an incorrect signature");
                        }
                    }
                }
                if o.core_type.is_some() {
                    bail!(
                        offset,
                        "canonical option `core-type` is not allowed in `canon lift`"
                    );
                }
                if o.is_async && !ft.is_async {
                    bail!(
                        offset,
                        "the `async` canonical option requires an async function type"
                    );
                }
                if o.gc {
                    // The GC ABI's lifting rules are not implemented: reject.
                    bail!(
                        offset,
                        "the `gc` canonical option is not supported by this validator"
                    );
                }
                let (p, r) = Self::lower_sig(types, &ft, &o, true, offset)?;
                if types.core.func_type(core).is_none() || !types.is_core_func(core, &p, &r) {
                    bail!(offset, "lowered function type does not match the type of core function {core_func}");
                }
                self.funcs.push(fid);
            }
            F::Lower { func, options } => {
                let fid = self.function_at(*func, offset)?;
                let ft = types.func(fid).clone();
                let o = self.options(types, options, offset)?;
                o.check_lower(offset)?;
                if o.is_async && !ft.is_async {
                    bail!(
                        offset,
                        "the `async` canonical option requires an async function type"
                    );
                }
                if o.gc {
                    bail!(
                        offset,
                        "the `gc` canonical option is not supported by this validator"
                    );
                }
                let (p, r) = Self::lower_sig(types, &ft, &o, false, offset)?;
                let t = types.core_func(&p, &r);
                self.core_funcs.push(t);
            }
            F::ResourceNew { resource } => {
                let rep = self.local_resource(*resource, offset)?;
                simple(self, types, &[rep], &[I32])?;
            }
            F::ResourceDrop { resource } => {
                self.resource_at(*resource, offset)?;
                simple(self, types, &[I32], &[])?;
            }
            F::ResourceRep { resource } => {
                let rep = self.local_resource(*resource, offset)?;
                simple(self, types, &[I32], &[rep])?;
            }
            F::ThreadSpawnRef { func_ty } | F::ThreadSpawnIndirect { func_ty, .. } => {
                match self.core_type_at(*func_ty, offset)? {
                    CoreTypeEntry::Sub(_) => {}
                    CoreTypeEntry::Module(_) => bail!(offset, "expected a core function type"),
                }
                // Shared types (shared-everything threads) are not representable here.
                bail!(offset, "spawn type must be shared");
            }
            F::ThreadAvailableParallelism => simple(self, types, &[], &[I32])?,
            F::BackpressureInc | F::BackpressureDec | F::TaskCancel => {
                simple(self, types, &[], &[])?
            }
            F::TaskReturn { result, options } => {
                let mut params = Vec::new();
                if let Some(t) = result {
                    let t = self.val_type(*t, offset)?;
                    if types.val_abi(t).borrow {
                        bail!(
                            offset,
                            "`task.return` result cannot contain a `borrow` type"
                        );
                    }
                    params.push((String::from("v"), t));
                }
                let ft = FuncType {
                    is_async: false,
                    params,
                    result: None,
                    info: TypeInfo::new(),
                };
                let o = self.options(types, options, offset)?;
                if o.realloc.is_some() {
                    bail!(offset, "cannot specify `realloc` option on `task.return`");
                }
                if o.post_return.is_some() {
                    bail!(
                        offset,
                        "cannot specify `post-return` option on `task.return`"
                    );
                }
                o.check_lower(offset)?;
                o.require_sync(offset, "task.return")?;
                if o.gc {
                    bail!(
                        offset,
                        "the `gc` canonical option is not supported by this validator"
                    );
                }
                let (p, r) = Self::lower_sig(types, &ft, &o, false, offset)?;
                let t = types.core_func(&p, &r);
                self.core_funcs.push(t);
            }
            F::ContextGet { ty, slot } | F::ContextSet { ty, slot } => {
                let what = if matches!(f, F::ContextGet { .. }) {
                    "context.get"
                } else {
                    "context.set"
                };
                if *ty != I32 && *ty != I64 {
                    bail!(offset, "`{what}` only supports `i32` or `i64`");
                }
                match self.context_type {
                    None => self.context_type = Some(*ty),
                    Some(t) if t != *ty => {
                        bail!(offset, "`{what}` type must match previous context type")
                    }
                    _ => {}
                }
                if *slot > 1 {
                    bail!(offset, "`{what}` immediate must be zero or one: {slot}");
                }
                if matches!(f, F::ContextGet { .. }) {
                    simple(self, types, &[], &[*ty])?;
                } else {
                    simple(self, types, &[*ty], &[])?;
                }
            }
            F::SubtaskDrop => simple(self, types, &[I32], &[])?,
            F::SubtaskCancel { .. } => simple(self, types, &[I32], &[I32])?,
            F::StreamNew { ty } | F::FutureNew { ty } => {
                self.stream_or_future(types, *ty, matches!(f, F::StreamNew { .. }), offset)?;
                simple(self, types, &[], &[I64])?;
            }
            F::StreamRead { ty, options }
            | F::StreamWrite { ty, options }
            | F::FutureRead { ty, options }
            | F::FutureWrite { ty, options } => {
                let stream = matches!(f, F::StreamRead { .. } | F::StreamWrite { .. });
                let read = matches!(f, F::StreamRead { .. } | F::FutureRead { .. });
                let elem = self.stream_or_future(types, *ty, stream, offset)?;
                let o = self.options(types, options, offset)?;
                let ptr = o.ptr();
                if o.memory.is_none() && elem.is_some() {
                    o.require_memory(offset)?;
                }
                if read && o.realloc.is_none() && elem.is_some_and(|t| types.contains_ptr(t)) {
                    o.require_realloc(offset)?;
                }
                o.check_lower(offset)?;
                let (p, r) = if stream {
                    (alloc::vec![I32, ptr, ptr], alloc::vec![ptr])
                } else {
                    (alloc::vec![I32, ptr], alloc::vec![I32])
                };
                let t = self.check_core_type(types, &o, &p, &r, offset)?;
                self.core_funcs.push(t);
            }
            F::StreamForward { ty } | F::FutureForward { ty } => {
                self.stream_or_future(types, *ty, matches!(f, F::StreamForward { .. }), offset)?;
                simple(self, types, &[I32, I32], &[])?;
            }
            F::StreamCancelRead { ty, .. }
            | F::StreamCancelWrite { ty, .. }
            | F::FutureCancelRead { ty, .. }
            | F::FutureCancelWrite { ty, .. } => {
                let stream = matches!(f, F::StreamCancelRead { .. } | F::StreamCancelWrite { .. });
                self.stream_or_future(types, *ty, stream, offset)?;
                simple(self, types, &[I32], &[I32])?;
            }
            F::StreamDropReadable { ty }
            | F::StreamDropWritable { ty }
            | F::FutureDropReadable { ty }
            | F::FutureDropWritable { ty } => {
                let stream = matches!(
                    f,
                    F::StreamDropReadable { .. } | F::StreamDropWritable { .. }
                );
                self.stream_or_future(types, *ty, stream, offset)?;
                simple(self, types, &[I32], &[])?;
            }
            F::ErrorContextNew { options } | F::ErrorContextDebugMessage { options } => {
                let new = matches!(f, F::ErrorContextNew { .. });
                let o = self.options(types, options, offset)?;
                let ptr = o.ptr();
                o.require_memory(offset)?;
                if !new {
                    o.require_realloc(offset)?;
                }
                o.require_sync(
                    offset,
                    if new {
                        "error-context.new"
                    } else {
                        "error-context.debug-message"
                    },
                )?;
                o.check_lower(offset)?;
                let (p, r) = if new {
                    (alloc::vec![ptr, ptr], alloc::vec![I32])
                } else {
                    (alloc::vec![I32, ptr], alloc::vec![])
                };
                let t = self.check_core_type(types, &o, &p, &r, offset)?;
                self.core_funcs.push(t);
            }
            F::ErrorContextDrop => simple(self, types, &[I32], &[])?,
            F::WaitableSetNew => simple(self, types, &[], &[I32])?,
            F::WaitableSetWait { memory } | F::WaitableSetPoll { memory } => {
                let m64 = self.cabi_memory_at(*memory, offset)?;
                let p = if m64 { I64 } else { I32 };
                simple(self, types, &[I32, p], &[I32])?;
            }
            F::WaitableSetDrop => simple(self, types, &[I32], &[])?,
            F::WaitableJoin => simple(self, types, &[I32, I32], &[])?,
            F::ThreadIndex => simple(self, types, &[], &[I32])?,
            F::ThreadNewIndirect { func_ty, table } => {
                let t = match self.core_type_at(*func_ty, offset)? {
                    CoreTypeEntry::Sub(t) => t,
                    CoreTypeEntry::Module(_) => bail!(offset, "expected a core function type"),
                };
                let Some(ft) = types.core.func_type(t) else {
                    bail!(offset, "start type must be a function");
                };
                let closure = match ft.params() {
                    [I32] => I32,
                    [I64] => I64,
                    _ => bail!(
                        offset,
                        "start function must take a single `i32` argument (currently)"
                    ),
                };
                if !ft.results().is_empty() {
                    bail!(offset, "start function must not return any values");
                }
                let tt = self.table_at(*table, offset)?;
                if tt.element != RefType::FUNCREF || tt.shared {
                    bail!(offset, "table is not a 32-bit table of (ref null (func))");
                }
                let idx = if tt.table64 { I64 } else { I32 };
                simple(self, types, &[idx, closure], &[I32])?;
            }
            F::ThreadResumeLater => simple(self, types, &[I32], &[])?,
            F::ThreadSuspend | F::ThreadYield => simple(self, types, &[], &[I32])?,
            F::ThreadSuspendThenResume
            | F::ThreadYieldThenResume
            | F::ThreadSuspendThenPromote
            | F::ThreadYieldThenPromote => simple(self, types, &[I32], &[I32])?,
        }
        Ok(())
    }

    /// The payload of stream (or future) type `ty`.
    fn stream_or_future(
        &self,
        types: &Types,
        ty: u32,
        stream: bool,
        offset: usize,
    ) -> Result<Option<ValType>> {
        let id = self.defined_at(ty, offset)?;
        match (&types.defined(id).ty, stream) {
            (DefinedType::Stream(t), true) | (DefinedType::Future(t), false) => Ok(*t),
            (_, true) => bail!(offset, "`stream` built-ins require a stream type"),
            (_, false) => bail!(offset, "`future` built-ins require a future type"),
        }
    }

    fn local_resource(&self, i: u32, offset: usize) -> Result<CoreValType> {
        let r = self.resource_at(i, offset)?;
        match self.defined_resources.iter().find(|(d, _)| *d == r.index) {
            Some((_, Some(rep))) => Ok(*rep),
            _ => bail!(offset, "type {i} is not a local resource"),
        }
    }
}
